import Foundation
import ITOpsCore
import ITOpsServer
import Testing

@Suite("GraphQL users, API keys and SLA groups")
struct GraphQLAccessTests {
    @Test("users and apiKeys are admin only: viewers and operators get FORBIDDEN, anonymous UNAUTHENTICATED")
    func roles() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let viewer = try await app.token(client, role: .viewer)
            let op = try await app.token(client, role: .operator)
            let admin = try await app.token(client, role: .admin)
            for query in [
                "{ users { totalCount } }", "{ apiKeys { totalCount } }",
                "mutation { createUser(email: \"x@example.com\", password: \"password-123\", role: \"viewer\") { id } }",
                "mutation { createApiKey(name: \"ci\") { key } }", "mutation { revokeApiKey(id: \"abc\") { id } }",
            ] {
                #expect(try await client.graphQL(query).errorCode == "UNAUTHENTICATED", "\(query)")
                #expect(try await client.graphQL(query, token: viewer).errorCode == "FORBIDDEN", "\(query)")
                #expect(try await client.graphQL(query, token: op).errorCode == "FORBIDDEN", "\(query)")
            }
            let users = try await client.graphQL("{ users { totalCount edges { node { email role } } } }", token: admin)
            #expect(users.errorCode == nil)
            #expect((users.data?["users"] as? [String: Any])?["totalCount"] as? Int == 3)
        }
    }

    @Test("createUser validates every argument and answers BAD_USER_INPUT naming it; the new user can sign in")
    func createUser() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let admin = try await app.token(client, role: .admin)
            let mutation =
                "mutation($e: String!, $p: String!, $r: String!) { createUser(email: $e, password: $p, role: $r) { id email role } }"
            let badRole = try await client.graphQL(
                mutation, variables: #"{"e": "new@example.com", "p": "password-123", "r": "root"}"#, token: admin)
            #expect(badRole.errorCode == "BAD_USER_INPUT")
            #expect(badRole.errorMessage?.hasPrefix("role:") == true)
            let badEmail = try await client.graphQL(
                mutation, variables: #"{"e": "nope", "p": "password-123", "r": "viewer"}"#, token: admin)
            #expect(badEmail.errorCode == "BAD_USER_INPUT")
            #expect(badEmail.errorMessage?.hasPrefix("email:") == true)
            let shortPassword = try await client.graphQL(
                mutation, variables: #"{"e": "new@example.com", "p": "short", "r": "viewer"}"#, token: admin)
            #expect(shortPassword.errorMessage?.hasPrefix("password:") == true)
            let created = try await client.graphQL(
                mutation, variables: #"{"e": "New@Example.com", "p": "password-123", "r": "operator"}"#, token: admin)
            let user = try #require(created.data?["createUser"] as? [String: Any], "\(created.text)")
            #expect(user["email"] as? String == "new@example.com")
            #expect(user["role"] as? String == "operator")
            let again = try await client.graphQL(
                mutation, variables: #"{"e": "new@example.com", "p": "password-123", "r": "viewer"}"#, token: admin)
            #expect(again.errorCode == "CONFLICT")
            _ = try await client.login("new@example.com", "password-123")
        }
    }

    @Test("createApiKey returns the plain key once and it works on REST; revokeApiKey stops it")
    func apiKeys() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let admin = try await app.token(client, role: .admin)
            let created = try await client.graphQL(
                "mutation { createApiKey(name: \"ci\", role: \"operator\") { key apiKey { id name prefix role revoked } } }",
                token: admin)
            let payload = try #require(created.data?["createApiKey"] as? [String: Any], "\(created.text)")
            let key = try #require(payload["key"] as? String)
            let apiKey = try #require(payload["apiKey"] as? [String: Any])
            #expect(key.hasPrefix("itops_"))
            #expect(key.hasPrefix(try #require(apiKey["prefix"] as? String)))
            #expect(apiKey["revoked"] as? Bool == false)
            let push = try await client.post(
                "/api/v1/health/report", healthReport("x", node: "acme/a", status: "OPERATIONAL"), key: key)
            #expect(push.status == .ok)
            let list = try await client.graphQL("{ apiKeys { totalCount edges { node { name } } } }", token: admin)
            #expect(list.text.contains("\"key\"") == false, "the plain key is never listed")
            #expect((list.data?["apiKeys"] as? [String: Any])?["totalCount"] as? Int == 2, "bootstrap and ci")
            let empty = try await client.graphQL("mutation { createApiKey(name: \"  \") { key } }", token: admin)
            #expect(empty.errorCode == "BAD_USER_INPUT")
            #expect(empty.errorMessage?.hasPrefix("name:") == true)
            let badRole = try await client.graphQL(
                "mutation { createApiKey(name: \"x\", role: \"god\") { key } }", token: admin)
            #expect(badRole.errorMessage?.hasPrefix("role:") == true)
            let id = try #require(apiKey["id"] as? String)
            let revoked = try await client.graphQL(
                "mutation { revokeApiKey(id: \"\(id)\") { revoked revokedAt } }", token: admin)
            #expect((revoked.data?["revokeApiKey"] as? [String: Any])?["revoked"] as? Bool == true)
            let refused = try await client.post(
                "/api/v1/health/report", healthReport("x", node: "acme/a", status: "DOWN"), key: key)
            #expect(refused.status == .unauthorized)
            let missing = try await client.graphQL("mutation { revokeApiKey(id: \"nothing\") { id } }", token: admin)
            #expect(missing.errorCode == "NOT_FOUND")
        }
    }

    @Test("users paginate with first/after and pageInfo; a foreign cursor is BAD_USER_INPUT")
    func pagination() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let admin = try await app.token(client, role: .admin, email: "a@example.com")
            for name in ["b", "c", "d"] {
                _ = try await app.runtime.createUser(
                    email: "\(name)@example.com", password: "password-123", role: .viewer)
            }
            let query =
                "query($after: String) { users(first: 3, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { email } } } }"
            let first = try await client.graphQL(query, token: admin)
            let page1 = try #require(first.data?["users"] as? [String: Any], "\(first.text)")
            let info1 = try #require(page1["pageInfo"] as? [String: Any])
            #expect(info1["hasNextPage"] as? Bool == true)
            #expect(page1["totalCount"] as? Int == 4)
            let emails1 = (page1["edges"] as? [[String: Any]])?.compactMap {
                ($0["node"] as? [String: Any])?["email"] as? String
            }
            #expect(emails1 == ["a@example.com", "b@example.com", "c@example.com"])
            let cursor = try #require(info1["endCursor"] as? String)
            let second = try await client.graphQL(query, variables: "{\"after\": \(jsonString(cursor))}", token: admin)
            let page2 = try #require(second.data?["users"] as? [String: Any])
            #expect((page2["pageInfo"] as? [String: Any])?["hasNextPage"] as? Bool == false)
            #expect((page2["edges"] as? [[String: Any]])?.count == 1)
            let bad = try await client.graphQL(query, variables: #"{"after": "bm9wZQ=="}"#, token: admin)
            #expect(bad.errorCode == "BAD_USER_INPUT")
            let tooMany = try await client.graphQL("{ users(first: 0) { totalCount } }", token: admin)
            #expect(tooMany.errorMessage?.hasPrefix("first:") == true)
        }
    }

    @Test("slaGroups { services } lists each group's members (loaded in one batched read)")
    func slaGroupMembers() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let viewer = try await app.token(client, role: .viewer)
            let sync = """
                {"nodeId": "acme/prod/c1", "operatorVersion": "1.0.0",
                 "services": [{"name": "api", "status": "OPERATIONAL", "slaGroup": "payments"},
                              {"name": "db", "status": "DOWN", "slaGroup": "payments"},
                              {"name": "web", "status": "OPERATIONAL", "slaGroup": "frontend"},
                              {"name": "batch", "status": "OPERATIONAL"}],
                 "slaGroups": [{"name": "payments", "tier": "critical"}, {"name": "frontend", "tier": "low"},
                               {"name": "empty", "tier": "low"}]}
                """
            #expect(try await client.post("/api/v1/operator/status", sync).status == .ok)
            let response = try await client.graphQL(
                "{ slaGroups { name services { serviceName status backupStatus { backupExpected } } } }", token: viewer)
            let groups = try #require(response.data?["slaGroups"] as? [[String: Any]], "\(response.text)")
            var members: [String: [String]] = [:]
            for group in groups {
                members[group["name"] as? String ?? ""] =
                    (group["services"] as? [[String: Any]])?.compactMap { $0["serviceName"] as? String }
            }
            #expect(members == ["empty": [], "frontend": ["web"], "payments": ["api", "db"]])
            let page = try await client.graphQL(
                "{ slaGroups(first: 2, after: \"empty\") { name } nodes(first: 1, after: \"acme\") { id } }",
                token: viewer)
            let names = (page.data?["slaGroups"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["frontend", "payments"])
            let nodes = (page.data?["nodes"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(nodes == ["acme/prod"])
            let bad = try await client.graphQL("{ nodes(first: 501) { id } }", token: viewer)
            #expect(bad.errorMessage?.hasPrefix("first:") == true)
        }
    }
}
