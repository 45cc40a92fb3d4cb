import Foundation
import HTTPTypes
import ITOpsCore
import ITOpsServer
import Testing

@Suite("API keys and tokens on the REST API")
struct AuthTests {
    static let push = "{\"service\": \"s\", \"status\": \"OPERATIONAL\"}"

    @Test(
        "no credential or a wrong key is 401; the bootstrap key works as X-API-Key and as Bearer",
        arguments: TestBackend.all)
    func apiKeys(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            #expect(try await client.post("/api/v1/health/report", Self.push, key: nil).status == .unauthorized)
            #expect(
                try await client.post("/api/v1/health/report", Self.push, key: "wrong-key-000000000").status
                    == .unauthorized)
            #expect(try await client.post("/api/v1/health/report", Self.push).status == .ok)
            let bearer = try await client.request(
                .post, "/api/v1/health/report", body: Self.push, key: nil, bearer: operatorKey)
            #expect(bearer.status == .ok)
            var basic = HTTPFields()
            basic[.authorization] = "Basic abc"
            let wrongScheme = try await client.request(
                .post, "/api/v1/health/report", body: Self.push, key: nil, headers: basic)
            #expect(wrongScheme.status == .unauthorized)
            #expect(wrongScheme.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test(
        "API keys are stored hashed, created keys work until revoked, and a changed bootstrap key replaces the old one",
        arguments: TestBackend.all)
    func keyLifecycle(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let (key, plain) = try await app.runtime.createAPIKey(name: "cronjob", role: .operator)
        let keys = try await app.runtime.listAPIKeys()
        #expect(!keys.contains { $0.keyHash.contains(plain) || $0.keyHash == plain })
        #expect(keys.first { $0.id == key.id }?.keyHash.count == 64)
        try await app.run(keepData: true) { (client: Client) async throws in
            #expect(try await client.post("/api/v1/health/report", Self.push, key: plain).status == .ok)
            _ = try await app.runtime.revokeAPIKey(key.id.uuidString)
            #expect(try await client.post("/api/v1/health/report", Self.push, key: plain).status == .unauthorized)
        }
        // A restart with another ITOPS_OPERATOR_API_KEY revokes the earlier bootstrap key.
        let directory = app.directory
        let second = try await TestApp.make(reusing: app) {
            $0.dataDirectory = directory.path
            $0.operatorAPIKey = "another-bootstrap-key-42"
        }
        try await second.run { (client: Client) async throws in
            #expect(
                try await client.post("/api/v1/health/report", Self.push, key: "another-bootstrap-key-42").status == .ok
            )
            #expect(try await client.post("/api/v1/health/report", Self.push).status == .unauthorized)
        }
    }

    @Test(
        "a user JWT of role operator or admin is accepted on REST; a viewer's is 403; an expired one 401",
        arguments: TestBackend.all)
    func userTokens(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        _ = try await app.runtime.createUser(email: "op@example.com", password: "operator-pass", role: .operator)
        _ = try await app.runtime.createUser(email: "view@example.com", password: "viewer-pass", role: .viewer)
        try await app.run { (client: Client) async throws in
            let op = try await client.login("op@example.com", "operator-pass")
            let viewer = try await client.login("view@example.com", "viewer-pass")
            let accepted = try await client.request(
                .post, "/api/v1/health/report", body: Self.push, key: nil, bearer: op)
            #expect(accepted.status == .ok)
            let refused = try await client.request(
                .post, "/api/v1/health/report", body: Self.push, key: nil, bearer: viewer)
            #expect(refused.status == .forbidden)
            #expect(refused.error?.contains("operator") == true)
            app.clock.advance(by: 3601)
            let expired = try await client.request(
                .post, "/api/v1/health/report", body: Self.push, key: nil, bearer: op)
            #expect(expired.status == .unauthorized)
            #expect(expired.error?.contains("expired") == true)
            let forged = try await client.request(
                .post, "/api/v1/health/report", body: Self.push, key: nil, bearer: op.dropLast(2) + "xx")
            #expect(forged.status == .unauthorized)
        }
    }
}
