import Foundation
import ITOpsCore

extension Authenticator {
    /// The principal of a credential sent outside HTTP headers (a WebSocket's `connection_init`):
    /// `Bearer <jwt or API key>` or the bare token; throws `unauthenticated` for a bad one.
    func principal(credential raw: String) async throws -> Principal {
        var credential = raw.trimmingCharacters(in: .whitespaces)
        if credential.lowercased().hasPrefix("bearer ") {
            credential = String(credential.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        guard !credential.isEmpty else { throw ITOpsError.unauthenticated("empty credential") }
        if credential.split(separator: ".").count == 3 {
            return try await runtime.credentials.check(try await runtime.tokens.verify(credential))
        }
        guard let principal = try await runtime.apiKeys.authenticate(credential) else {
            throw ITOpsError.unauthenticated("invalid or revoked API key")
        }
        return principal
    }
}
