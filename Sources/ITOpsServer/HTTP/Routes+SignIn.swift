import Foundation
import HTTPTypes
import Hummingbird
import ITOpsCore
import ITOpsGraphQL
import ITOpsIdentity

/// The browser's side of OIDC sign-in.
///
/// `GET /api/v1/auth/oidc/login` answers 302 to the provider. `GET /api/v1/auth/oidc/callback` finishes
/// the flow and answers 302 to the console with `#signin-code=<one-time code>` — in the fragment, which
/// browsers never send to a server or a proxy — or `#signin-error=<reason>` when the provider refused,
/// the state was unknown or spent, or the ID token did not verify. Only "OIDC is not configured" is a
/// JSON error (404): there is no console sign-in to return to from a provider that does not exist.
struct SignInRoutes {
    let runtime: ITOpsRuntime

    func add(to router: Router<AppRequestContext>) {
        let signIn = runtime.signIn
        let logger = runtime.logger
        let api = router.group("api/v1/auth/oidc")
        api.get("login") { _, _ in
            guard signIn.oidc != nil else { throw ITOpsError.notFound("OIDC sign-in is not configured") }
            do {
                return Self.redirect(to: try await signIn.startOIDC())
            } catch {
                logger.error("OIDC sign-in could not start", metadata: ["error": "\(error)"])
                return Self.redirect(
                    to: Self.consoleError(signIn, "the identity provider cannot be reached: \(Self.reason(error))"))
            }
        }
        api.get("callback") { request, _ in
            guard signIn.oidc != nil else { throw ITOpsError.notFound("OIDC sign-in is not configured") }
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters where query[String(key)] == nil {
                query[String(key)] = String(value)
            }
            // Not a provider's answer (those carry state, or an error): nothing to send the browser back with.
            guard query["state"] != nil || query["error"] != nil else {
                throw ITOpsError.malformed("state: the provider's redirect carries state (or error); this request has neither")
            }
            do {
                let code = try await signIn.finishOIDC(query)
                return Self.redirect(to: signIn.consoleURL + "#signin-code=" + code)
            } catch {
                return Self.redirect(to: Self.consoleError(signIn, Self.reason(error)))
            }
        }
    }

    /// A message for the person: domain and flow errors as they are, anything else hidden.
    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as ITOpsError where error.code != .internal: error.message
        case let error as OIDCClient.Failure: error.description
        case let error as IDTokenError: error.description
        default: "sign-in failed; see the server log"
        }
    }

    static func consoleError(_ signIn: SignIn, _ message: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded =
            String(message.prefix(300)).addingPercentEncoding(withAllowedCharacters: allowed) ?? "sign-in%20failed"
        return signIn.consoleURL + "#signin-error=" + encoded
    }

    static func redirect(to location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: .found, headers: headers)
    }
}

extension Backend: SignInBackend {
    func exchangeSignInCode(_ code: String) async throws -> AuthSession {
        try await runtime.signIn.exchange(code: code)
    }
}
