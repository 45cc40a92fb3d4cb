import Foundation
import ITOpsCore
import ITOpsServer
import Testing

/// API keys with a role, an expiry, a last-used time and a node scope.
@Suite("Scoped API keys")
struct ScopedKeyTests {
    static let create = """
        mutation($in: CreateApiKeyInput) { createApiKey(input: $in) { key apiKey { id role nodeScope expiresAt lastUsedAt } } }
        """

    static func report(_ client: Client, _ node: String?, key: String, service: String = "api") async throws
        -> JSONResponse
    {
        let nodeField = node.map { ", \"nodeId\": \(jsonString($0))" } ?? ""
        return try await client.post(
            "/api/v1/health/report", "{\"service\": \"\(service)\", \"status\": \"OPERATIONAL\"\(nodeField)}", key: key)
    }

    @Test(
        "createApiKey(input:) with role, nodeScope and expiresAt; the short form still works; bad input names the field",
        arguments: TestBackend.all)
    func creation(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let admin = try await app.token(client, role: .admin)
            let made = try await client.graphQL(
                Self.create,
                variables: """
                    {"in": {"name": "ci", "role": "viewer", "nodeScope": ["acme/prod", "acme/stage"], "expiresAt": "2026-05-01T00:00:00Z"}}
                    """, token: admin)
            let created = try #require(made.data?["createApiKey"] as? [String: Any], "\(made.text)")
            let key = try #require(created["apiKey"] as? [String: Any])
            #expect(key["role"] as? String == "viewer")
            #expect(key["nodeScope"] as? [String] == ["acme/prod", "acme/stage"])
            #expect(key["expiresAt"] as? String == "2026-05-01T00:00:00.000Z")
            #expect((created["key"] as? String)?.hasPrefix("itops_") == true)
            let short = try await client.graphQL("mutation { createApiKey(name: \"old\") { apiKey { role nodeScope } } }", token: admin)
            #expect(((short.data?["createApiKey"] as? [String: Any])?["apiKey"] as? [String: Any])?["role"] as? String == "operator")
            for (input, field) in [
                ("{\"name\": \"x\", \"nodeScope\": [\"acme//prod\"]}", "input.nodeScope[0]"),
                ("{\"name\": \"x\", \"nodeScope\": []}", "nodeScope"),
                ("{\"name\": \"x\", \"expiresAt\": \"2020-01-01T00:00:00Z\"}", "expiresAt"),
                ("{\"name\": \"x\", \"expiresAt\": \"tomorrow\"}", "input.expiresAt"),
                ("{\"name\": \"x\", \"role\": \"root\"}", "input.role"),
            ] {
                let bad = try await client.graphQL(Self.create, variables: "{\"in\": \(input)}", token: admin)
                #expect(bad.errorCode == "BAD_USER_INPUT" && bad.errorMessage?.contains(field) == true, "\(bad.text)")
            }
            let both = try await client.graphQL(
                "mutation { createApiKey(name: \"x\", input: {name: \"y\"}) { key } }", token: admin)
            #expect(both.errorCode == "BAD_USER_INPUT")
        }
    }

    @Test(
        "a scoped key acts only on nodes under its prefixes (segment-wise), reads only what is under them, and expires",
        arguments: TestBackend.all)
    func scope(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let expiry = app.clock.now().addingTimeInterval(3600)
        let (_, plain) = try await app.runtime.createAPIKey(
            name: "prod-ci", role: .operator, nodeScope: [try NodePath(validating: "acme/prod")], expiresAt: expiry)
        try await app.run { (client: Client) async throws in
            // Set-up with the unscoped key.
            for node in ["acme/prod/c1", "acme/prodx/c1", "acme/dev"] {
                #expect(try await Self.report(client, node, key: operatorKey).status == .ok)
            }
            // Acting.
            #expect(try await Self.report(client, "acme/prod/c2", key: plain).status == .ok)
            #expect(try await Self.report(client, "acme/prod", key: plain).status == .ok)
            let outside = try await Self.report(client, "acme/prodx/c1", key: plain)
            #expect(outside.status == .forbidden && outside.error?.contains("acme/prod") == true, "\(outside.text)")
            #expect(try await Self.report(client, nil, key: plain).status == .forbidden)
            let register = try await client.post(
                "/api/v1/operator/register", "{\"name\": \"db\", \"nodeId\": \"acme/dev\"}", key: plain)
            #expect(register.status == .forbidden)
            let sync = try await client.post(
                "/api/v1/operator/status", "{\"nodeId\": \"acme/prod/c1\", \"services\": []}", key: plain)
            #expect(sync.status == .ok, "\(sync.text)")
            let byGroup = try await client.post("/api/v1/backup/report", "{\"slaGroup\": \"db\", \"status\": \"success\"}", key: plain)
            #expect(byGroup.status == .forbidden && byGroup.error?.contains("by service") == true)
            let window = try await client.post(
                "/api/v1/sla/exclusion-window/start", "{\"service\": \"api\", \"nodeId\": \"acme/dev\"}", key: plain)
            #expect(window.status == .forbidden)
            let inWindow = try await client.post(
                "/api/v1/sla/exclusion-window/start", "{\"service\": \"api\", \"nodeId\": \"acme/prod/c1\"}", key: plain)
            #expect(inWindow.status == .created, "\(inWindow.text)")
            #expect(try await client.get("/api/v1/templates/export", key: plain).status == .forbidden)

            // Reading.
            let services = try await client.graphQL(
                "{ services { totalCount edges { node { id nodeId } } } }", token: plain)
            let connection = try #require(services.data?["services"] as? [String: Any], "\(services.text)")
            let nodes = (connection["edges"] as? [[String: Any]])?.compactMap { ($0["node"] as? [String: Any])?["nodeId"] as? String }
            #expect(Set(nodes ?? []) == ["acme/prod/c1", "acme/prod/c2", "acme/prod"])
            #expect(connection["totalCount"] as? Int == 3)
            let hidden = try #require(
                try await app.runtime.store.reader.service(nodeId: try NodePath(validating: "acme/dev"), name: "api"))
            let single = try await client.graphQL("{ service(id: \"\(hidden.id.stored)\") { id } }", token: plain)
            #expect(single.errorCode == nil && (single.data?["service"] is NSNull), "\(single.text)")
            let history = try await client.graphQL(
                "{ serviceHistory(serviceId: \"\(hidden.id.stored)\") { totalCount } }", token: plain)
            #expect(history.errorCode == "NOT_FOUND")
            let nodeList = try await client.graphQL("{ nodes { id } }", token: plain)
            let ids = (nodeList.data?["nodes"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            #expect(!ids.isEmpty && ids.allSatisfy { $0 == "acme/prod" || $0.hasPrefix("acme/prod/") }, "\(ids)")
            let groups = try await client.graphQL("{ slaGroups { name } }", token: plain)
            #expect(groups.errorCode == "FORBIDDEN" && groups.errorMessage?.contains("node scope") == true)

            // lastUsedAt is written (coalesced, in the background).
            try await waitUntil("lastUsedAt is written", timeout: .seconds(10)) {
                try await app.runtime.listAPIKeys().first { $0.name == "prod-ci" }?.lastUsedAt != nil
            }

            // Expiry.
            app.clock.advance(by: 3601)
            let expired = try await Self.report(client, "acme/prod/c1", key: plain)
            #expect(expired.status == .unauthorized && expired.error?.contains("expired") == true, "\(expired.text)")
        }
    }

    @Test("lastUsedAt is written at most once a minute per key, not per request", arguments: TestBackend.all)
    func lastUsedCoalesced(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let (key, plain) = try await app.runtime.createAPIKey(name: "busy", role: .operator)
        let first = app.clock.now()
        @Sendable func lastUsed() async throws -> Date? {
            try await app.runtime.listAPIKeys().first { $0.id == key.id }?.lastUsedAt
        }
        try await app.run { (client: Client) async throws in
            #expect(try await Self.report(client, "a/b", key: plain).status == .ok)
            try await waitUntil("the first use is written", timeout: .seconds(10)) { try await lastUsed() == first }
            app.clock.advance(by: 30)
            for _ in 0..<5 { #expect(try await Self.report(client, "a/b", key: plain).status == .ok) }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await lastUsed() == first)  // within the minute: not written again
            app.clock.advance(by: 31)
            #expect(try await Self.report(client, "a/b", key: plain).status == .ok)
            let later = app.clock.now()
            try await waitUntil("a use a minute later is written", timeout: .seconds(10)) { try await lastUsed() == later }
        }
    }

    @Test("an operator key asking for template export or license activation gets a 403 naming the admin role")
    func adminRoutes() async throws {
        let app = try await TestApp.make()
        try await app.run { (client: Client) async throws in
            let export = try await client.get("/api/v1/templates/export")
            #expect(export.status == .forbidden && export.error?.contains("admin") == true)
            let activate = try await client.post("/api/v1/license/activate", "{\"licenseKey\": \"x\"}")
            #expect(activate.status == .forbidden && activate.error?.contains("admin") == true)
            let (_, admin) = try await app.runtime.createAPIKey(name: "root", role: .admin)
            #expect(try await client.get("/api/v1/templates/export", key: admin).status == .ok)
        }
    }
}
