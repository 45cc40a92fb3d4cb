import Foundation
import ITOpsCore
import ITOpsServer
import Testing

/// Managed users: sign-in bookkeeping, disabled accounts, administration by GraphQL and the CLI.
@Suite("Managed users")
struct UserAdminTests {
    static let refresh = "mutation($r: String!) { refreshToken(refreshToken: $r) { token refreshToken } }"

    @Test("a sign-in records lastSignInAt; a disabled user can neither sign in nor refresh", arguments: TestBackend.all)
    func disabledUser(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let user = try await app.runtime.createUser(email: "dana@example.com", password: "password-123", role: .operator)
        #expect(user.provider == "local" && !user.disabled && user.lastSignInAt == nil && user.credentialsVersion == 0)
        try await app.run { (client: Client) async throws in
            let login = try await client.graphQL(
                "mutation { login(email: \"dana@example.com\", password: \"password-123\") { token refreshToken } }")
            let refreshToken = try #require((login.data?["login"] as? [String: Any])?["refreshToken"] as? String)
            let stored = try await app.runtime.store.reader.user(id: user.id)
            #expect(stored?.lastSignInAt == app.clock.now())
            try await app.runtime.store.write { tx in
                var disabled = try #require(try await tx.user(id: user.id))
                disabled.disabled = true
                try await tx.update(disabled)
            }
            let refused = try await client.graphQL(
                "mutation { login(email: \"dana@example.com\", password: \"password-123\") { token } }")
            #expect(refused.errorCode == "FORBIDDEN")
            #expect(refused.errorMessage?.contains("disabled") == true)
            let wrong = try await client.graphQL(
                "mutation { login(email: \"dana@example.com\", password: \"wrong-password\") { token } }")
            #expect(wrong.errorCode == "UNAUTHENTICATED")
            let noRefresh = try await client.graphQL(Self.refresh, variables: "{\"r\": \(jsonString(refreshToken))}")
            #expect(noRefresh.errorCode == "FORBIDDEN")
            #expect(noRefresh.errorMessage?.contains("disabled") == true)
        }
    }
}
