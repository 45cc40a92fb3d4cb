import Foundation
import Graphiti
import ITOpsCore

extension ITOpsAPI {
    /// Sign-in, tokens and the current principal.
    static var authSchema: PartialSchema<Resolver, GraphQLContext> {
        PartialSchema(
            types: {
                Type(UserDTO.self, as: "User") {
                    Field("id", at: \.id)
                    Field("email", at: \.email)
                    Field("role", at: \.role).description("admin | operator | viewer")
                    Field("createdAt", at: \.createdAt)
                    Field("displayName", at: \.displayName)
                    Field("provider", at: \.provider).description("Where the user signs in: local | ldap | oidc")
                    Field("disabled", at: \.disabled).description("A disabled user cannot sign in; their tokens stop working.")
                    Field("lastSignInAt", at: \.lastSignInAt)
                }
                Type(MeDTO.self, as: "Me") {
                    Field("id", at: \.id)
                    Field("kind", at: \.kind).description("user | apiKey")
                    Field("email", at: \.email)
                    Field("name", at: \.name)
                    Field("role", at: \.role)
                }
                .description("The signed-in principal.")
                Type(AuthPayloadDTO.self, as: "AuthPayload") {
                    Field("token", at: \.token).description("HS256 access token, valid for one hour.")
                    Field("refreshToken", at: \.refreshToken).description(
                        "Opaque, single use; rotate with refreshToken.")
                    Field("expiresAt", at: \.expiresAt)
                    Field("user", at: \.user)
                }
            },
            query: {
                Field("me", at: Resolver.me)
            },
            mutation: {
                Field("login", at: Resolver.login) {
                    Argument("email", at: \.email)
                    Argument("password", at: \.password)
                }
                Field("refreshToken", at: Resolver.refreshToken) {
                    Argument("refreshToken", at: \.refreshToken)
                }
                Field("logout", at: Resolver.logout) {
                    Argument("refreshToken", at: \.refreshToken)
                        .description("The token to revoke; without it every refresh token of the user is revoked.")
                }
            }
        )
    }
}
