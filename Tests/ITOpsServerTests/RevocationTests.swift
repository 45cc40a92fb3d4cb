import Foundation
import HTTPTypes
import ITOpsCore
import ITOpsServer
import Testing

/// Revocation that takes effect: on HTTP at once (a change made here) or within the refresh
/// interval (a change made elsewhere), and on open WebSockets within the interval.
@Suite("Revocation of tokens, sessions and keys")
struct RevocationTests {
    static let push = "{\"service\": \"s\", \"status\": \"OPERATIONAL\"}"
    static let login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token refreshToken } }"

    /// Signs in; returns the access and the refresh token.
    static func session(_ client: Client, _ email: String, _ password: String = "password-123") async throws -> (
        String, String
    ) {
        let response = try await client.graphQL(
            login, variables: "{\"e\": \(jsonString(email)), \"p\": \(jsonString(password))}")
        let payload = try #require(response.data?["login"] as? [String: Any], "\(response.text)")
        return (try #require(payload["token"] as? String), try #require(payload["refreshToken"] as? String))
    }

    static func report(_ client: Client, _ token: String) async throws -> JSONResponse {
        try await client.request(.post, "/api/v1/health/report", body: push, key: nil, bearer: token)
    }

    @Test(
        "logout, a disabled or deleted user, a lowered role, a changed password and a revoked key take effect on the next HTTP request",
        arguments: TestBackend.all)
    func local(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let users = try await (1...4).asyncMap { index in
            try await app.runtime.createUser(email: "u\(index)@example.com", password: "password-123", role: .operator)
        }
        try await app.run { (client: Client) async throws in
            // Logout ends that session's access token, not the user's other session.
            let (first, firstRefresh) = try await Self.session(client, "u1@example.com")
            let (second, _) = try await Self.session(client, "u1@example.com")
            #expect(try await Self.report(client, first).status == .ok)
            let logout = try await client.graphQL(
                "mutation($r: String) { logout(refreshToken: $r) }", variables: "{\"r\": \(jsonString(firstRefresh))}",
                token: first)
            #expect(logout.errorCode == nil, "\(logout.text)")
            let afterLogout = try await Self.report(client, first)
            #expect(afterLogout.status == .unauthorized)
            #expect(afterLogout.error?.contains("signed out") == true)
            #expect(try await Self.report(client, second).status == .ok)

            // Disabled, then enabled again: the old token stays dead (its version was bumped).
            let (disabled, _) = try await Self.session(client, "u2@example.com")
            _ = try await app.runtime.identity.updateUser(id: users[1].id, UserUpdate(disabled: true))
            let refused = try await Self.report(client, disabled)
            #expect(refused.status == .unauthorized && refused.error?.contains("disabled") == true)
            _ = try await app.runtime.identity.updateUser(id: users[1].id, UserUpdate(disabled: false))
            #expect(try await Self.report(client, disabled).status == .unauthorized)

            // A lowered role: operator → viewer cannot push any more.
            let (demoted, _) = try await Self.session(client, "u3@example.com")
            _ = try await app.runtime.identity.updateUser(id: users[2].id, UserUpdate(role: .viewer))
            #expect(try await Self.report(client, demoted).status != .ok)

            // Deleted.
            let (deleted, _) = try await Self.session(client, "u4@example.com")
            _ = try await app.runtime.identity.deleteUser(id: users[3].id)
            let gone = try await Self.report(client, deleted)
            #expect(gone.status == .unauthorized && gone.error?.contains("no longer exists") == true)

            // A changed password ends the other session's access token; this one goes on.
            let change = "mutation { changePassword(current: \"password-123\", new: \"password-456\") }"
            #expect(try await client.graphQL(change, token: second).data?["changePassword"] as? Bool == true)
            let (third, _) = try await Self.session(client, "u1@example.com", "password-456")
            _ = try await client.graphQL(
                "mutation { changePassword(current: \"password-456\", new: \"password-789\") }", token: third)
            #expect(try await Self.report(client, second).status == .unauthorized)
            #expect(try await Self.report(client, third).status == .ok)

            // A revoked key, including one cached a moment ago.
            let (key, plain) = try await app.runtime.createAPIKey(name: "ci", role: .operator)
            #expect(try await client.post("/api/v1/health/report", Self.push, key: plain).status == .ok)
            _ = try await app.runtime.revokeAPIKey(key.id.stored)
            #expect(try await client.post("/api/v1/health/report", Self.push, key: plain).status == .unauthorized)
        }
    }

    @Test(
        "a change written behind this instance's back (another instance, the CLI) takes effect once the refresh interval passed",
        arguments: TestBackend.all)
    func behindTheBack(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend) { $0.credentialRefreshInterval = 5 }
        let user = try await app.runtime.createUser(email: "x@example.com", password: "password-123", role: .operator)
        let (key, plain) = try await app.runtime.createAPIKey(name: "ci", role: .operator)
        try await app.run { (client: Client) async throws in
            let (token, _) = try await Self.session(client, "x@example.com")
            #expect(try await Self.report(client, token).status == .ok)
            #expect(try await client.post("/api/v1/health/report", Self.push, key: plain).status == .ok)
            try await app.runtime.store.write { tx in
                var stored = try #require(try await tx.user(id: user.id))
                stored.disabled = true
                try await tx.update(stored)
                var revoked = try #require(try await tx.apiKeys().first { $0.id == key.id })
                revoked.revokedAt = app.clock.now()
                try await tx.update(revoked)
            }
            // Until this instance re-reads (the interval), the change is not seen here…
            #expect(try await Self.report(client, token).status == .ok)
            app.clock.advance(by: 5)
            // …and then it is.
            #expect(try await Self.report(client, token).status == .unauthorized)
            #expect(try await client.post("/api/v1/health/report", Self.push, key: plain).status == .unauthorized)
        }
    }

    @Test(
        "an open /graphql/ws socket: a lowered role applies to it, and a disabled user or a revoked key closes it with 4403",
        arguments: TestBackend.all)
    func webSocket(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend) { $0.credentialRefreshInterval = 0.2 }
        let admins = try await (1...2).asyncMap { index in
            try await app.runtime.createUser(email: "a\(index)@example.com", password: "password-123", role: .admin)
        }
        let (key, plain) = try await app.runtime.createAPIKey(name: "ws", role: .operator)
        try await app.runLive { live in
            let token = try await live.http.login("a1@example.com", "password-123")
            let closed = try await live.webSocket { ws in
                try await ws.initialise(token: token)
                try await ws.subscribe("users", "{ users { totalCount } }")
                #expect(try await ws.receive()?["type"] as? String == "next")
                _ = try await ws.receive()  // complete
                try await ws.subscribe("live", "subscription { serviceStatusChanged { serviceName } }")
                try await Task.sleep(for: .milliseconds(100))
                _ = try await app.runtime.identity.updateUser(id: admins[0].id, UserUpdate(role: .viewer))
                // The running subscription ends with FORBIDDEN; the socket stays open as a viewer.
                let ended = try #require(try await ws.receive())
                #expect(ended["id"] as? String == "live" && ended.firstErrorCode == "FORBIDDEN", "\(ended)")
                try await ws.subscribe("again", "{ users { totalCount } }")
                let refused = try #require(try await ws.receive())
                #expect(refused.firstErrorCode == "FORBIDDEN", "\(refused)")
                try await ws.subscribe("me", "{ me { role } }")
                #expect(try await ws.receive()?.payloadData("me")?["role"] as? String == "viewer")
                _ = try await ws.receive()  // complete
                try await ws.subscribe("live2", "subscription { serviceStatusChanged { serviceName } }")
                _ = try await app.runtime.identity.updateUser(id: admins[0].id, UserUpdate(disabled: true))
                let start = ContinuousClock.now  // from the commit
                _ = try await ws.drainUntilClosed()
                #expect(ContinuousClock.now - start < .seconds(10))
            }
            #expect(closed.code == 4403)

            let keyClosed = try await live.webSocket { ws in
                try await ws.initialise(token: plain)
                try await ws.subscribe("live", "subscription { serviceStatusChanged { serviceName } }")
                try await Task.sleep(for: .milliseconds(100))
                _ = try await app.runtime.revokeAPIKey(key.id.stored)
                _ = try await ws.drainUntilClosed()
            }
            #expect(keyClosed.code == 4403)
        }
    }
}

extension Sequence {
    /// `map` with an async transform, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

@Suite("The bootstrap key (ITOPS_OPERATOR_API_KEY)")
struct BootstrapKeyTests {
    @Test("a bootstrap key an admin revoked stays revoked after a restart with the same variable", arguments: TestBackend.all)
    func staysRevoked(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let bootstrap = try #require(try await app.runtime.listAPIKeys().first { $0.bootstrap })
        try await app.run(keepData: true) { (client: Client) async throws in
            #expect(try await client.post("/api/v1/health/report", RevocationTests.push).status == .ok)
            _ = try await app.runtime.revokeAPIKey(bootstrap.id.stored)
            #expect(try await client.post("/api/v1/health/report", RevocationTests.push).status == .unauthorized)
        }
        await app.runtime.shutdown()
        let restarted = try await TestApp.make(reusing: app)  // same ITOPS_OPERATOR_API_KEY
        try await restarted.run { (client: Client) async throws in
            #expect(try await client.post("/api/v1/health/report", RevocationTests.push).status == .unauthorized)
            let keys = try await restarted.runtime.listAPIKeys()
            #expect(keys.filter(\.bootstrap).count == 1 && keys.allSatisfy { $0.revokedAt != nil })
        }
    }

    @Test("start-up with a revoked ITOPS_OPERATOR_API_KEY logs an error naming the variable and does not re-create the key")
    func loggedAtStartUp() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = [
            "ITOPS_DATA_DIR": directory.path, "ITOPS_BCRYPT_COST": "4", "ITOPS_OPERATOR_API_KEY": "bootstrap-key-0123456789",
        ]
        #expect(try runCLI(["migrate"], environment: environment).status == 0)
        let list = try runCLI(["apikey", "list"], environment: environment)
        let id = String(try #require(list.stdout.split(separator: "\t").first))
        #expect(try runCLI(["apikey", "revoke", id], environment: environment).status == 0)
        let again = try runCLI(["migrate"], environment: environment)
        #expect(again.status == 0)
        #expect(again.stderr.contains("ITOPS_OPERATOR_API_KEY") && again.stderr.contains("revoked"), "\(again.stderr)")
        let after = try runCLI(["apikey", "list"], environment: environment).stdout
        #expect(after.split(separator: "\n").count == 1 && after.contains("revoked"), "\(after)")
    }
}
