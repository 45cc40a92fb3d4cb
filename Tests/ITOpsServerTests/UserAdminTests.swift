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

    static let usersQuery = "{ users { edges { node { id email role disabled provider displayName lastSignInAt } } } }"

    @Test(
        "admins list, update and delete users; the last enabled admin cannot be demoted, disabled or deleted; changes are audited",
        arguments: TestBackend.all)
    func administration(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let admin = try await app.runtime.createUser(email: "admin@example.com", password: "admin-pass-1", role: .admin)
        let bob = try await app.runtime.createUser(email: "bob@example.com", password: "bob-pass-123", role: .operator)
        try await app.run { (client: Client) async throws in
            let token = try await client.login("admin@example.com", "admin-pass-1")
            let list = try await client.graphQL(Self.usersQuery, token: token)
            let nodes = ((list.data?["users"] as? [String: Any])?["edges"] as? [[String: Any]])?.compactMap {
                $0["node"] as? [String: Any]
            } ?? []
            #expect(nodes.count == 2)
            #expect(nodes.first?["provider"] as? String == "local" && nodes.first?["disabled"] as? Bool == false)
            #expect(nodes.first { $0["email"] as? String == "admin@example.com" }?["lastSignInAt"] as? String != nil)

            let update = "mutation($id: String!, $in: UpdateUserInput!) { updateUser(id: $id, input: $in) { role displayName disabled } }"
            let changed = try await client.graphQL(
                update,
                variables: "{\"id\": \"\(bob.id.stored)\", \"in\": {\"role\": \"viewer\", \"displayName\": \" Bob B \"}}",
                token: token)
            #expect((changed.data?["updateUser"] as? [String: Any])?["role"] as? String == "viewer", "\(changed.text)")
            #expect((changed.data?["updateUser"] as? [String: Any])?["displayName"] as? String == "Bob B")
            let badRole = try await client.graphQL(
                update, variables: "{\"id\": \"\(bob.id.stored)\", \"in\": {\"role\": \"root\"}}", token: token)
            #expect(badRole.errorCode == "BAD_USER_INPUT" && badRole.errorMessage?.contains("input.role") == true)

            // The only admin: no demotion, no disabling, no deletion.
            for input in ["{\"role\": \"operator\"}", "{\"disabled\": true}"] {
                let refused = try await client.graphQL(
                    update, variables: "{\"id\": \"\(admin.id.stored)\", \"in\": \(input)}", token: token)
                #expect(refused.errorCode == "CONFLICT", "\(refused.text)")
                #expect(refused.errorMessage?.contains("last enabled admin") == true)
            }
            let delete = "mutation($id: String!) { deleteUser(id: $id) { email } }"
            let refusedDelete = try await client.graphQL(delete, variables: "{\"id\": \"\(admin.id.stored)\"}", token: token)
            #expect(refusedDelete.errorCode == "CONFLICT")
            #expect(try await app.runtime.store.reader.user(id: admin.id)?.role == .admin)

            // Bob has a ticket assigned: deleting him unassigns it and keeps the ticket.
            let ticket = try await app.runtime.tickets.create(
                TicketInput(title: "disk", assigneeId: bob.id.stored), by: TicketActor(kind: "user", id: admin.id, name: admin.email))
            let deleted = try await client.graphQL(delete, variables: "{\"id\": \"\(bob.id.stored)\"}", token: token)
            #expect((deleted.data?["deleteUser"] as? [String: Any])?["email"] as? String == "bob@example.com", "\(deleted.text)")
            #expect(try await app.runtime.store.reader.user(id: bob.id) == nil)
            #expect(try await app.runtime.tickets.ticket(reference: ticket.id.stored)?.assigneeId == nil)
            let again = try await client.graphQL(delete, variables: "{\"id\": \"\(bob.id.stored)\"}", token: token)
            #expect(again.errorCode == "NOT_FOUND")

            // Operators may not administer users.
            let op = try await app.token(client, role: .operator)
            let forbidden = try await client.graphQL(
                update, variables: "{\"id\": \"\(admin.id.stored)\", \"in\": {\"disabled\": true}}", token: op)
            #expect(forbidden.errorCode == "FORBIDDEN")

            let actions = try await app.auditEntries().map(\.action)
            #expect(actions.contains("graphql.updateUser") && actions.contains("graphql.deleteUser"))
        }
    }

    @Test(
        "changePassword ends the user's other sessions and keeps this one; a reset token works once, expires, and ends every session",
        arguments: TestBackend.all)
    func passwords(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        _ = try await app.runtime.createUser(email: "admin@example.com", password: "admin-pass-1", role: .admin)
        let carol = try await app.runtime.createUser(email: "carol@example.com", password: "carol-pass-1", role: .viewer)
        try await app.run { (client: Client) async throws in
            let login = "mutation { login(email: \"carol@example.com\", password: \"carol-pass-1\") { token refreshToken } }"
            let first = try await client.graphQL(login)
            let second = try await client.graphQL(login)
            let firstToken = try #require((first.data?["login"] as? [String: Any])?["token"] as? String)
            let firstRefresh = try #require((first.data?["login"] as? [String: Any])?["refreshToken"] as? String)
            let secondRefresh = try #require((second.data?["login"] as? [String: Any])?["refreshToken"] as? String)
            let change = "mutation($c: String!, $n: String!) { changePassword(current: $c, new: $n) }"
            let wrong = try await client.graphQL(
                change, variables: "{\"c\": \"nope-nope\", \"n\": \"carol-pass-2\"}", token: firstToken)
            #expect(wrong.errorCode == "BAD_USER_INPUT" && wrong.errorMessage?.contains("current") == true)
            let short = try await client.graphQL(
                change, variables: "{\"c\": \"carol-pass-1\", \"n\": \"short\"}", token: firstToken)
            #expect(short.errorCode == "BAD_USER_INPUT" && short.errorMessage?.contains("new") == true)
            let changed = try await client.graphQL(
                change, variables: "{\"c\": \"carol-pass-1\", \"n\": \"carol-pass-2\"}", token: firstToken)
            #expect(changed.data?["changePassword"] as? Bool == true, "\(changed.text)")
            // The other session's refresh token is revoked; this session's still works.
            let other = try await client.graphQL(Self.refresh, variables: "{\"r\": \(jsonString(secondRefresh))}")
            #expect(other.errorCode == "UNAUTHENTICATED")
            let mine = try await client.graphQL(Self.refresh, variables: "{\"r\": \(jsonString(firstRefresh))}")
            #expect(mine.errorCode == nil, "\(mine.text)")
            _ = try await client.login("carol@example.com", "carol-pass-2")
            let audit = try await app.auditEntries().first { $0.action == "graphql.changePassword" }
            #expect(audit?.summary.contains("carol-pass") == false)

            // An admin's reset token.
            let admin = try await client.login("admin@example.com", "admin-pass-1")
            let reset = "mutation($id: String!) { resetPassword(id: $id) { token expiresAt user { email } } }"
            let granted = try await client.graphQL(reset, variables: "{\"id\": \"\(carol.id.stored)\"}", token: admin)
            let resetToken = try #require((granted.data?["resetPassword"] as? [String: Any])?["token"] as? String, "\(granted.text)")
            #expect(try await client.graphQL(reset, variables: "{\"id\": \"\(carol.id.stored)\"}", token: firstToken).errorCode == "FORBIDDEN")
            let complete = "mutation($t: String!, $p: String!) { completePasswordReset(token: $t, newPassword: $p) }"
            let session = try await client.graphQL(login.replacingOccurrences(of: "carol-pass-1", with: "carol-pass-2"))
            let sessionRefresh = try #require((session.data?["login"] as? [String: Any])?["refreshToken"] as? String)
            let done = try await client.graphQL(complete, variables: "{\"t\": \"\(resetToken)\", \"p\": \"carol-pass-3\"}")
            #expect(done.data?["completePasswordReset"] as? Bool == true, "\(done.text)")
            let reused = try await client.graphQL(complete, variables: "{\"t\": \"\(resetToken)\", \"p\": \"carol-pass-4\"}")
            #expect(reused.errorCode == "BAD_USER_INPUT" && reused.errorMessage?.contains("already used") == true)
            _ = try await client.login("carol@example.com", "carol-pass-3")
            #expect(try await client.graphQL(Self.refresh, variables: "{\"r\": \(jsonString(sessionRefresh))}").errorCode == "UNAUTHENTICATED")
            let stored = try await app.runtime.store.reader.passwordReset(hash: resetToken)
            #expect(stored == nil)  // only the hash is stored

            // Expiry: 30 minutes.
            let late = try await client.graphQL(reset, variables: "{\"id\": \"\(carol.id.stored)\"}", token: admin)
            let lateToken = try #require((late.data?["resetPassword"] as? [String: Any])?["token"] as? String)
            app.clock.advance(by: 31 * 60)
            let expired = try await client.graphQL(complete, variables: "{\"t\": \"\(lateToken)\", \"p\": \"carol-pass-5\"}")
            #expect(expired.errorCode == "BAD_USER_INPUT" && expired.errorMessage?.contains("expired") == true)
        }
    }

    @Test("itops user list, set-role, disable, enable and reset-password work against the data directory")
    func cli() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["ITOPS_DATA_DIR": directory.path, "ITOPS_BCRYPT_COST": "4"]
        for (email, role) in [("root@example.com", "admin"), ("ops@example.com", "operator")] {
            let created = try runCLI(
                ["user", "create", "--email", email, "--role", role],
                environment: environment.merging(["ITOPS_NEW_USER_PASSWORD": "password-123"]) { $1 })
            #expect(created.status == 0, "\(created.stderr)")
        }
        #expect(try runCLI(["user", "set-role", "ops@example.com", "viewer"], environment: environment).status == 0)
        #expect(try runCLI(["user", "disable", "ops@example.com"], environment: environment).status == 0)
        let list = try runCLI(["user", "list"], environment: environment)
        let ops = try #require(list.stdout.split(separator: "\n").first { $0.contains("ops@example.com") })
        #expect(ops.contains("\tviewer\tlocal\tdisabled\tnever"), "\(list.stdout)")
        #expect(try runCLI(["user", "enable", "ops@example.com"], environment: environment).status == 0)
        #expect(try runCLI(["user", "list"], environment: environment).stdout.contains("\tviewer\tlocal\tenabled"))
        let lastAdmin = try runCLI(["user", "disable", "root@example.com"], environment: environment)
        #expect(lastAdmin.status != 0 && lastAdmin.stderr.contains("last enabled admin"), "\(lastAdmin.stderr)")
        let badRole = try runCLI(["user", "set-role", "ops@example.com", "root"], environment: environment)
        #expect(badRole.status != 0)
        let reset = try runCLI(["user", "reset-password", "ops@example.com"], environment: environment)
        #expect(reset.status == 0 && reset.stdout.trimmingCharacters(in: .whitespacesAndNewlines).count == 48)
        #expect(reset.stderr.contains("shown only this once"))
        let unknown = try runCLI(["user", "disable", "nobody@example.com"], environment: environment)
        #expect(unknown.status != 0 && unknown.stderr.contains("no user"))
    }
}
