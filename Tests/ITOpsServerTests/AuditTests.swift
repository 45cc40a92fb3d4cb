import Foundation
import ITOpsCore
import ITOpsServer
import Testing

@testable import ITOpsStore

/// Runs the built `itops` executable.
enum ITOpsCLI {
    static var executable: URL? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("itops"),
            root.appendingPathComponent(".build/debug/itops"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// `itops audit verify` against `app`'s database: exit status and standard error.
    static func verify(_ app: TestApp) async throws -> (status: Int32, output: String) {
        let executable = try #require(executable, "itops is not built; run swift build --build-tests")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["audit", "verify"]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ITOPS_") }
        environment["ITOPS_DATA_DIR"] = app.directory.path
        environment["ITOPS_JWT_SECRET"] = String(repeating: "s", count: 40)
        environment["ITOPS_LOG_LEVEL"] = "error"
        if let url = app.database?.url { environment["ITOPS_DATABASE_URL"] = url }
        process.environment = environment
        // Output goes to a file and the exit is awaited, so no thread of the shared pool blocks on the child.
        try FileManager.default.createDirectory(at: app.directory, withIntermediateDirectories: true)
        let log = app.directory.appendingPathComponent("verify-\(UUID().uuidString).log")
        #expect(FileManager.default.createFile(atPath: log.path, contents: nil))
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.runSerially()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try? handle.close()
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return (status, text)
    }
}

extension TestApp {
    /// Every audit entry, oldest first.
    func auditEntries() async throws -> [AuditEntry] {
        try await runtime.store.reader.auditReader().auditEntries(fromSeq: Int64.min, limit: 100_000)
    }

    /// Records `count` entries as a system actor.
    func recordAudit(_ count: Int, action: String = "test.action") async {
        for index in 0..<count {
            await runtime.audit.record(
                AuditDraft(
                    principal: nil, action: action, targetType: "test", targetId: "\(index)", summary: "{\"n\": \(index)}",
                    outcome: .success, client: "127.0.0.1", requestId: "r\(index)"))
        }
    }
}

@Suite("Audit trail: what is recorded, secrets, tamper evidence, retention, gating")
struct AuditTests {
    @Test("mutations, admin REST actions, failed logins and refused authorizations are recorded; agent pushes are not", arguments: TestBackend.all)
    func recorded(backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            _ = try await app.runtime.createUser(email: "admin@example.com", password: "admin-password", role: .admin)
            _ = try await app.runtime.createUser(email: "viewer@example.com", password: "viewer-password", role: .viewer)
            let admin = try await client.login("admin@example.com", "admin-password")
            let viewer = try await client.login("viewer@example.com", "viewer-password")
            let failed = try await client.graphQL(
                "mutation { login(email: \"admin@example.com\", password: \"wrong-password\") { token } }")
            #expect(failed.errorCode != nil)
            let created = try await client.graphQL("mutation { createTicket(input: {title: \"audited\"}) { id } }", token: admin)
            let ticketId = try #require((created.data?["createTicket"] as? [String: Any])?["id"] as? String)
            let denied = try await client.graphQL("mutation { createTicket(input: {title: \"no\"}) { id } }", token: viewer)
            #expect(denied.errorCode == "FORBIDDEN")
            let refused = try await client.post("/api/v1/license/activate", "{\"licenseKey\": \"x.y.z\"}")  // operator key
            #expect(refused.status == .forbidden)
            let adminKey = try await app.adminKey()
            let imported = try await client.post(
                "/api/v1/templates/import?dryRun=true", "{\"yaml\": \"workflows: []\", \"dryRun\": true}", key: adminKey)
            #expect(imported.status.code < 500)
            let before = try await app.auditEntries().count
            let push = try await client.post(
                "/api/v1/health/report", "{\"service\": \"api\", \"nodeId\": \"n1\", \"status\": \"OPERATIONAL\"}")
            #expect(push.status == .ok)
            #expect(try await app.auditEntries().count == before)

            let entries = try await app.auditEntries()
            func find(_ action: String, _ outcome: String) -> AuditEntry? {
                entries.first { $0.action == action && $0.outcome == outcome }
            }
            let login = try #require(find("graphql.login", "success"))
            #expect(login.actorName == "admin@example.com" && login.client != nil && login.requestId != nil)
            let badLogin = try #require(find("graphql.login", "failure"))
            #expect(badLogin.actorKind == "anonymous" && badLogin.actorName == "admin@example.com")
            let ticket = try #require(find("graphql.createTicket", "success"))
            #expect(ticket.actorKind == "user" && ticket.actorName == "admin@example.com")
            #expect(ticket.targetType == "ticket" && ticket.targetId == ticketId)
            #expect(ticket.summary.contains("audited"))
            let refusedRole = try #require(find("graphql.createTicket", "denied"))
            #expect(refusedRole.actorName == "viewer@example.com")
            let refusedREST = try #require(find("auth.refused POST /api/v1/license/activate", "denied"))
            #expect(refusedREST.actorKind == "apikey")
            #expect(entries.contains { $0.action == "POST /api/v1/templates/import" && $0.actorKind == "apikey" })
            #expect(!entries.contains { $0.action.contains("health") })
            #expect(entries.map(\.seq) == Array(1...Int64(entries.count)))

            // auditLogs: admins only, newest first, filtered.
            let logs = try await client.graphQL(
                "{ auditLogs(filter: {action: \"graphql.createTicket\"}, first: 10) { edges { node { seq action outcome actorName targetId } } } }",
                token: admin)
            let edges = try #require((logs.data?["auditLogs"] as? [String: Any])?["edges"] as? [[String: Any]], "\(logs.text)")
            #expect(edges.compactMap { ($0["node"] as? [String: Any])?["outcome"] as? String } == ["denied", "success"])
            let forbidden = try await client.graphQL("{ auditLogs { edges { node { seq } } } }", token: viewer)
            #expect(forbidden.errorCode == "FORBIDDEN")

            // The export streams JSON lines for an admin.
            let export = try await client.get("/api/v1/audit/export?from=2026-01-01T00:00:00Z", key: adminKey)
            #expect(export.status == .ok)
            let lines = export.text.split(separator: "\n")
            #expect(lines.count >= entries.count)
            let firstLine = try #require(lines.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            #expect(firstLine["seq"] as? Int == 1 && firstLine["hash"] is String)
            let badRange = try await client.get("/api/v1/audit/export?from=yesterday", key: adminKey)
            #expect(badRange.status.code == 422 || badRange.status.code == 400)
            #expect(badRange.error?.contains("from") == true)
            let operatorExport = try await client.get("/api/v1/audit/export")
            #expect(operatorExport.status == .forbidden)
        }
    }

    @Test("no audit entry carries a secret used in the requests", arguments: TestBackend.all)
    func noSecrets(backend: TestBackend) async throws {
        let vendor = TestVendor()
        let app = try await TestApp.licensed(vendor, backend: backend, trialDays: 30)
        let licenseKey = try vendor.token()
        try await app.run { (client: Client) async throws in
            _ = try await app.runtime.createUser(email: "admin@example.com", password: "Adm1n-Secret-Passw0rd", role: .admin)
            let adminLogin = try await client.graphQL(
                "mutation($p: String!) { login(email: \"admin@example.com\", password: $p) { token refreshToken } }",
                variables: "{\"p\": \"Adm1n-Secret-Passw0rd\"}")
            let session = try #require(adminLogin.data?["login"] as? [String: Any], "\(adminLogin.text)")
            let admin = try #require(session["token"] as? String)
            let refresh = try #require(session["refreshToken"] as? String)
            _ = try await client.graphQL(
                "mutation { login(email: \"admin@example.com\", password: \"Wr0ng-Secret-Passw0rd\") { token } }")
            _ = try await client.graphQL(
                "mutation { createUser(email: \"new@example.com\", password: \"N3w-User-Secret-Pass\", role: \"operator\") { id } }",
                token: admin)
            let key = try await client.graphQL("mutation { createApiKey(name: \"ci\", role: \"operator\") { key } }", token: admin)
            let plainKey = try #require((key.data?["createApiKey"] as? [String: Any])?["key"] as? String, "\(key.text)")
            _ = try await client.graphQL(
                "mutation($i: WebhookInput!) { createWebhook(input: $i) { id } }",
                variables: "{\"i\": {\"url\": \"https://hooks.example.com/x\", \"events\": [\"ticket:created\"], \"secret\": \"whsec-Very-Secret-Hook-Key\"}}",
                token: admin)
            _ = try await client.graphQL(
                "mutation($k: String!) { activateLicense(licenseKey: $k) { customer } }",
                variables: "{\"k\": \(jsonString(licenseKey))}", token: admin)
            _ = try await client.post("/api/v1/license/activate", "{\"licenseKey\": \(jsonString(licenseKey))}", key: plainKey)
            let refreshed = try await client.graphQL(
                "mutation($r: String!) { refreshToken(refreshToken: $r) { token } }", variables: "{\"r\": \(jsonString(refresh))}")
            #expect(refreshed.errorCode == nil, "\(refreshed.text)")
            _ = try await client.get("/api/v1/audit/export", key: "a-wrong-but-secret-api-key-value")
            let entries = try await app.auditEntries()
            #expect(entries.count >= 8)
            let secrets = [
                "Adm1n-Secret-Passw0rd", "Wr0ng-Secret-Passw0rd", "N3w-User-Secret-Pass", plainKey,
                "whsec-Very-Secret-Hook-Key", licenseKey, String(licenseKey.suffix(40)), refresh, admin, operatorKey,
                "a-wrong-but-secret-api-key-value",
            ]
            for entry in entries {
                let row = [
                    entry.actorKind, entry.actorId ?? "", entry.actorName ?? "", entry.action, entry.targetType ?? "",
                    entry.targetId ?? "", entry.summary, entry.outcome, entry.client ?? "", entry.requestId ?? "",
                ].joined(separator: "|")
                for secret in secrets {
                    #expect(!row.contains(secret), "audit entry #\(entry.seq) (\(entry.action)) carries a secret: \(row)")
                }
            }
            #expect(entries.contains { $0.action == "graphql.createWebhook" && $0.summary.contains(AuditRedaction.mask) })
        }
    }

    @Test("an entry changed, removed or inserted by hand makes itops audit verify fail and name it", arguments: TestBackend.all)
    func tamperEvidence(backend: TestBackend) async throws {
        for tamper in ["changed", "removed", "inserted", "newest removed"] {
            let app = try await TestApp.make(backend)
            await app.recordAudit(5)
            let intact = try await app.runtime.audit.verify()
            #expect(intact.isIntact && intact.checked == 5)
            let store = app.runtime.store
            let expected: (AuditVerification.Problem, Int64)
            switch tamper {
            case "changed":
                try await store.executeForTesting("UPDATE audit_log SET outcome = 'failure' WHERE seq = 3")
                expected = (.changed, 3)
            case "removed":
                try await store.executeForTesting("DELETE FROM audit_log WHERE seq = 2")
                expected = (.removed, 2)
            case "inserted":
                // A forged entry with a self-consistent hash, appended after #5 (the head still says #5).
                let last = try #require(try await app.auditEntries().last)
                var forged = AuditEntry(
                    seq: 6, at: last.at, actorKind: "user", actorId: nil, actorName: "mallory", action: "graphql.createUser",
                    targetType: nil, targetId: nil, summary: "{}", outcome: "success", client: nil, requestId: nil,
                    prevHash: String(repeating: "f", count: 64), hash: "")
                forged.hash = AuditTrail.hash(forged)
                try await store.executeForTesting(
                    "INSERT INTO audit_log (seq, at, actor_kind, actor_name, action, summary, outcome, prev_hash, hash) VALUES (6, \(last.at.epochMilliseconds), 'user', 'mallory', 'graphql.createUser', '{}', 'success', '\(forged.prevHash)', '\(forged.hash)')"
                )
                expected = (.inserted, 6)
            default:
                try await store.executeForTesting("DELETE FROM audit_log WHERE seq = 5")
                expected = (.removed, 5)
            }
            let result = try await app.runtime.audit.verify()
            #expect(result.problem?.kind == expected.0 && result.problem?.seq == expected.1, "\(tamper): \(String(describing: result.problem))")
            await app.runtime.shutdown()
            let cli = try await ITOpsCLI.verify(app)
            #expect(cli.status != 0, "\(tamper): \(cli.output)")
            #expect(cli.output.contains("#\(expected.1)"), "\(tamper): \(cli.output)")
            try? FileManager.default.removeItem(at: app.directory)
            try? app.database?.drop()
        }
    }

    @Test("itops audit verify passes on an intact chain")
    func cliIntact() async throws {
        let app = try await TestApp.make()
        await app.recordAudit(3)
        await app.runtime.shutdown()
        let cli = try await ITOpsCLI.verify(app)
        #expect(cli.status == 0, "\(cli.output)")
        #expect(cli.output.contains("3 entries verified"))
        try? FileManager.default.removeItem(at: app.directory)
    }

    @Test("retention prunes whole days and verification still passes", arguments: TestBackend.all)
    func retention(backend: TestBackend) async throws {
        let app = try await TestApp.make(backend) { $0.auditRetentionDays = 2 }
        await app.recordAudit(4, action: "day.one")
        app.clock.advance(by: 86_400)
        await app.recordAudit(2, action: "day.two")
        app.clock.advance(by: 2 * 86_400 + 3600)
        await app.recordAudit(1, action: "day.four")
        let pruned = try await app.runtime.audit.prune(keepDays: 2)
        #expect(pruned == 4)
        let left = try await app.auditEntries()
        #expect(left.map(\.action) == ["day.two", "day.two", "day.four"])
        #expect(left.first?.seq == 5)
        let result = try await app.runtime.audit.verify()
        #expect(result.isIntact && result.checked == 3, "\(String(describing: result.problem))")
        await app.recordAudit(1, action: "after")
        #expect(try await app.runtime.audit.verify().isIntact)
        await app.finish()
    }

    @Test("without the audit plugin nothing is recorded and auditLogs answers PLUGIN_NOT_LICENSED")
    func gating() async throws {
        let vendor = TestVendor()
        let app = try await TestApp.licensed(vendor)
        try await app.run { (client: Client) async throws in
            let admin = try await app.adminKey()
            _ = try await client.graphQL("mutation { createApiKey(name: \"x\") { key } }", key: admin)
            #expect(try await app.auditEntries().isEmpty)
            let logs = try await client.graphQL("{ auditLogs { edges { node { seq } } } }", key: admin)
            #expect(logs.errorCode == "PLUGIN_NOT_LICENSED")
            let export = try await client.get("/api/v1/audit/export", key: admin)
            #expect(export.status == .forbidden)
            _ = try await app.runtime.license.activate(token: try vendor.token(plugins: ["audit"]))
            _ = try await client.graphQL("mutation { createApiKey(name: \"y\") { key } }", key: admin)
            #expect(try await app.auditEntries().map(\.action) == ["graphql.createApiKey"])
        }
    }
}
