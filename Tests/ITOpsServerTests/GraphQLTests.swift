import Foundation
import ITOpsCore
import ITOpsServer
import Testing

@Suite("GraphQL over HTTP")
struct GraphQLTests {
    static func seeded(_ backend: TestBackend) async throws -> TestApp {
        let app = try await TestApp.make(backend) {
            $0.adminEmail = "admin@example.com"
            $0.adminPassword = "admin-password"
        }
        return app
    }

    @Test(
        "login returns token, refreshToken and user; me answers with the token; wrong passwords are UNAUTHENTICATED",
        arguments: TestBackend.all)
    func login(_ backend: TestBackend) async throws {
        let app = try await Self.seeded(backend)
        try await app.run { (client: Client) async throws in
            let response = try await client.graphQL(
                "mutation { login(email: \"Admin@Example.com\", password: \"admin-password\") { token refreshToken user { id email role } } }"
            )
            let login = try #require(response.data?["login"] as? [String: Any], "\(response.text)")
            #expect((login["token"] as? String)?.split(separator: ".").count == 3)
            #expect((login["refreshToken"] as? String)?.count == 64)
            #expect((login["user"] as? [String: Any])?["email"] as? String == "admin@example.com")
            let token = try #require(login["token"] as? String)
            let me = try await client.graphQL("{ me { email role kind } }", token: token)
            #expect((me.data?["me"] as? [String: Any])?["role"] as? String == "admin")
            let wrong = try await client.graphQL(
                "mutation { login(email: \"admin@example.com\", password: \"nope-nope\") { token } }")
            #expect(wrong.status == .ok)
            #expect(wrong.errorCode == "UNAUTHENTICATED")
            #expect(wrong.errorMessage == "invalid email or password")
            let anonymous = try await client.graphQL("{ me { email } }")
            #expect(anonymous.errorCode == "UNAUTHENTICATED")
        }
    }

    @Test(
        "refresh tokens rotate and are single use; reusing a spent one revokes the whole session",
        arguments: TestBackend.all)
    func refreshRotation(_ backend: TestBackend) async throws {
        let app = try await Self.seeded(backend)
        try await app.run { (client: Client) async throws in
            let login = try await client.graphQL(
                "mutation { login(email: \"admin@example.com\", password: \"admin-password\") { refreshToken } }")
            let first = try #require((login.data?["login"] as? [String: Any])?["refreshToken"] as? String)
            let query = "mutation($t: String!) { refreshToken(refreshToken: $t) { token refreshToken } }"
            let rotated = try await client.graphQL(query, variables: "{\"t\": \"\(first)\"}")
            let second = try #require((rotated.data?["refreshToken"] as? [String: Any])?["refreshToken"] as? String)
            #expect(second != first)
            let reused = try await client.graphQL(query, variables: "{\"t\": \"\(first)\"}")
            #expect(reused.errorCode == "UNAUTHENTICATED")
            #expect(reused.errorMessage?.contains("already used") == true)
            // The reuse revoked the family: the newest token is dead too.
            let afterReuse = try await client.graphQL(query, variables: "{\"t\": \"\(second)\"}")
            #expect(afterReuse.errorCode == "UNAUTHENTICATED")
            let garbage = try await client.graphQL(query, variables: "{\"t\": \"garbage\"}")
            #expect(garbage.errorCode == "UNAUTHENTICATED")
        }
    }

    @Test("logout revokes the refresh token", arguments: TestBackend.all)
    func logout(_ backend: TestBackend) async throws {
        let app = try await Self.seeded(backend)
        try await app.run { (client: Client) async throws in
            let login = try await client.graphQL(
                "mutation { login(email: \"admin@example.com\", password: \"admin-password\") { token refreshToken } }")
            let payload = try #require(login.data?["login"] as? [String: Any])
            let token = try #require(payload["token"] as? String)
            let refresh = try #require(payload["refreshToken"] as? String)
            let out = try await client.graphQL(
                "mutation($t: String) { logout(refreshToken: $t) }", variables: "{\"t\": \"\(refresh)\"}", token: token)
            #expect(out.data?["logout"] as? Bool == true)
            let after = try await client.graphQL(
                "mutation($t: String!) { refreshToken(refreshToken: $t) { token } }",
                variables: "{\"t\": \"\(refresh)\"}")
            #expect(after.errorCode == "UNAUTHENTICATED")
        }
    }

    @Test(
        "five failed logins for one email answer RATE_LIMITED, even with the right password", arguments: TestBackend.all
    )
    func throttling(_ backend: TestBackend) async throws {
        let app = try await Self.seeded(backend)
        try await app.run { (client: Client) async throws in
            for _ in 0..<5 {
                let wrong = try await client.graphQL(
                    "mutation { login(email: \"admin@example.com\", password: \"wrong-pass\") { token } }")
                #expect(wrong.errorCode == "UNAUTHENTICATED")
            }
            let blocked = try await client.graphQL(
                "mutation { login(email: \"admin@example.com\", password: \"admin-password\") { token } }")
            #expect(blocked.errorCode == "RATE_LIMITED")
            app.clock.advance(by: 15 * 60 + 1)
            let later = try await client.graphQL(
                "mutation { login(email: \"admin@example.com\", password: \"admin-password\") { token } }")
            #expect(later.errorCode == nil, "\(later.text)")
        }
    }

    @Test(
        "services paginate with cursors and filter by node subtree, status, group, tag and search",
        arguments: TestBackend.all)
    func services(_ backend: TestBackend) async throws {
        let app = try await Self.seeded(backend)
        try await app.run { (client: Client) async throws in
            for i in 0..<7 {
                let status = i % 2 == 0 ? "OPERATIONAL" : "DOWN"
                let node = i < 4 ? "org/a" : "org/b/c"
                _ = try await client.post(
                    "/api/v1/health/report",
                    "{\"service\": \"svc-\(i)\", \"nodeId\": \"\(node)\", \"status\": \"\(status)\", \"tags\": [\"t\(i % 3)\"], \"slaGroup\": \"g\(i % 2)\"}"
                )
            }
            let token = try await client.login("admin@example.com", "admin-password")
            let query = """
                query($f: ServiceFilter, $first: Int, $after: String) {
                  services(filter: $f, first: $first, after: $after) {
                    totalCount edges { cursor node { name nodeId status } } pageInfo { hasNextPage endCursor } } }
                """
            var names: [String] = []
            var after = "null"
            while true {
                let page = try await client.graphQL(
                    query, variables: "{\"first\": 3, \"after\": \(after)}", token: token)
                let services = try #require(page.data?["services"] as? [String: Any], "\(page.text)")
                #expect(services["totalCount"] as? Int == 7)
                let edges = try #require(services["edges"] as? [[String: Any]])
                names += edges.compactMap { ($0["node"] as? [String: Any])?["name"] as? String }
                let info = try #require(services["pageInfo"] as? [String: Any])
                guard info["hasNextPage"] as? Bool == true else { break }
                after = jsonString(try #require(info["endCursor"] as? String))
            }
            #expect(names == (0..<7).map { "svc-\($0)" })

            func count(_ filter: String) async throws -> Int? {
                let response = try await client.graphQL(query, variables: "{\"f\": \(filter)}", token: token)
                return (response.data?["services"] as? [String: Any])?["totalCount"] as? Int
            }
            #expect(try await count("{\"nodeId\": \"org/b\"}") == 3)
            #expect(try await count("{\"nodeId\": \"org\"}") == 7)
            #expect(try await count("{\"status\": \"DOWN\"}") == 3)
            #expect(try await count("{\"slaGroup\": \"g0\"}") == 4)
            #expect(try await count("{\"tag\": \"t1\"}") == 2)
            #expect(try await count("{\"search\": \"SVC-6\"}") == 1)
            let bad = try await client.graphQL(query, variables: "{\"f\": {\"status\": \"BROKEN\"}}", token: token)
            #expect(bad.errorCode == "BAD_USER_INPUT")
            let zero = try await client.graphQL(query, variables: "{\"first\": 0}", token: token)
            #expect(zero.errorCode == "BAD_USER_INPUT")
        }
    }

    @Test(
        "slaGroups answer the reference's shape with backupStatus; and this month's SLA status",
        arguments: TestBackend.all)
    func slaGroups(_ backend: TestBackend) async throws {
        let app = try await Self.seeded(backend)
        try await app.run { (client: Client) async throws in
            _ = try await client.post("/api/v1/operator/status", AgentAPITests.operatorExample)
            _ = try await client.post(
                "/api/v1/operator/register",
                "{\"name\": \"my-api\", \"nodeId\": \"myorg/platform/prod/cluster1\", \"operations\": {\"backup\": {\"expected\": true, \"maxAgeDays\": 2}}}"
            )
            let token = try await client.login("admin@example.com", "admin-password")
            let response = try await client.graphQL(
                """
                { slaGroups { id name displayName tier status currentUptime
                    services { serviceName status replicas readyReplicas
                      backupStatus { backupExpected lastBackupAt lastBackupStatus backupMaxAgeDays backupOverdue } } } }
                """, token: token)
            let groups = try #require(response.data?["slaGroups"] as? [[String: Any]], "\(response.text)")
            #expect(groups.count == 1)
            let group = groups[0]
            #expect(group["name"] as? String == "payment-system")
            #expect(group["tier"] as? String == "critical")
            // In trial the SLA plugin is on: the group is up since it was created this month.
            #expect(group["status"] as? String == "MET")
            #expect(group["currentUptime"] as? Double == 100)
            let service = try #require((group["services"] as? [[String: Any]])?.first)
            #expect(service["serviceName"] as? String == "my-api")
            #expect(service["replicas"] as? Int == 3)
            let backup = try #require(service["backupStatus"] as? [String: Any])
            #expect(backup["backupExpected"] as? Bool == true)
            #expect(backup["backupMaxAgeDays"] as? Int == 2)
            #expect(backup["backupOverdue"] as? Bool == false)
            #expect(backup["lastBackupAt"] is NSNull)
        }
    }

    @Test(
        "nodes list the hierarchy and flag the unknown node; service(id:) finds one service", arguments: TestBackend.all
    )
    func nodesAndService(_ backend: TestBackend) async throws {
        let app = try await Self.seeded(backend)
        try await app.run { (client: Client) async throws in
            let pushed = try await client.post(
                "/api/v1/health/report", "{\"service\": \"orphan\", \"status\": \"DOWN\"}")
            _ = try await client.post("/api/v1/operator/heartbeat", "{\"nodeId\": \"a/b\", \"version\": \"2.0\"}")
            let token = try await client.login("admin@example.com", "admin-password")
            let nodes = try await client.graphQL(
                "{ nodes { id name parentId depth unknown agentVersion } }", token: token)
            let list = try #require(nodes.data?["nodes"] as? [[String: Any]])
            #expect(list.compactMap { $0["id"] as? String } == ["a", "a/b", "unknown"])
            #expect(list.first { $0["id"] as? String == "unknown" }?["unknown"] as? Bool == true)
            #expect(list.first { $0["id"] as? String == "a/b" }?["parentId"] as? String == "a")
            let id = try #require(pushed["serviceId"] as? String)
            let one = try await client.graphQL("{ service(id: \"\(id)\") { name unknownNode status } }", token: token)
            let service = try #require(one.data?["service"] as? [String: Any])
            #expect(service["unknownNode"] as? Bool == true)
            #expect(service["status"] as? String == "DOWN")
            let missing = try await client.graphQL("{ service(id: \"\(UUID())\") { name } }", token: token)
            #expect(missing.data?["service"] is NSNull)
            let bad = try await client.graphQL("{ service(id: \"not-a-uuid\") { name } }", token: token)
            #expect(bad.errorCode == "BAD_USER_INPUT")
        }
    }

    @Test("malformed GraphQL requests answer JSON errors, never a 500", arguments: TestBackend.all)
    func malformed(_ backend: TestBackend) async throws {
        let app = try await Self.seeded(backend)
        try await app.run { (client: Client) async throws in
            let notJSON = try await client.request(.post, "/graphql", body: "{query", key: nil)
            #expect(notJSON.status == .badRequest)
            #expect(notJSON["errors"] is [[String: Any]])
            let syntax = try await client.graphQL("{ services { ")
            #expect(syntax.status == .ok)
            #expect(syntax.errorCode == "GRAPHQL_PARSE_FAILED")
            let unknownField = try await client.graphQL("{ nope }")
            #expect(unknownField.errorCode == "GRAPHQL_VALIDATION_FAILED")
        }
    }
}
