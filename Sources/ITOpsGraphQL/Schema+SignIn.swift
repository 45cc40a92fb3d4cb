import Foundation
import Graphiti
import ITOpsCore

/// What a backend offering external sign-in (OIDC) provides; a backend without it answers
/// `exchangeSignInCode` with NOT_FOUND.
public protocol SignInBackend: Sendable {
    /// Spends the one-time code an OIDC sign-in handed to the console and opens a session.
    func exchangeSignInCode(_ code: String) async throws -> AuthSession
}

extension Resolver {
    struct ExchangeSignInCodeArguments: Codable, Sendable {
        let code: String
    }

    func exchangeSignInCode(context: GraphQLContext, arguments: ExchangeSignInCodeArguments) async throws
        -> AuthPayloadDTO
    {
        guard let backend = context.backend as? any SignInBackend else {
            throw ITOpsError.notFound("external sign-in is not available")
        }
        return AuthPayloadDTO(try await backend.exchangeSignInCode(arguments.code))
    }
}

extension ITOpsAPI {
    /// The end of a redirect sign-in (OIDC): the console exchanges the one-time code from the URL fragment.
    static var signInSchema: PartialSchema<Resolver, GraphQLContext> {
        PartialSchema(
            mutation: {
                Field("exchangeSignInCode", at: Resolver.exchangeSignInCode) {
                    Argument("code", at: \.code).description(
                        "The one-time code from the console URL's fragment after an OIDC sign-in; single use, valid 60 s."
                    )
                }
                .description("Opens a session for an OIDC sign-in: the same payload as login.")
            }
        )
    }
}
