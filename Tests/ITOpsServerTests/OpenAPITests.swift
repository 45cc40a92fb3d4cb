import Foundation
import HTTPTypes
import ITOpsCore
import ITOpsServer
import Testing

@Suite("OpenAPI document")
struct OpenAPITests {
    /// The repository's root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("docs/openapi.json is the served document; regenerate with `swift run itops openapi > docs/openapi.json`")
    func committedCopy() throws {
        let committed = try String(contentsOf: Self.root.appendingPathComponent("docs/openapi.json"), encoding: .utf8)
        #expect(
            committed == OpenAPIDocument.json + "\n",
            "docs/openapi.json is stale: run `swift run itops openapi > docs/openapi.json`")
        let document = try OpenAPIValidator()
        #expect(document.document["openapi"]?.string == "3.1.0")
        #expect(document.document["info"]?["version"]?.string == ITOpsRuntime.version)
    }

    @Test("the validator refuses what the document does not allow")
    func validatorRefuses() throws {
        let validator = try OpenAPIValidator()
        let health = try #require(validator.operation(method: "POST", path: "/api/v1/health/report"))
        let json = "application/json; charset=utf-8"
        #expect(validator.problems(health, status: 418, contentType: json, body: "{}") == ["status 418 is not documented"])
        #expect(!validator.problems(health, status: 400, contentType: json, body: "{\"success\": true}").isEmpty)
        #expect(!validator.problems(health, status: 400, contentType: "text/plain", body: "x").isEmpty)
        let good =
            "{\"success\": true, \"message\": \"m\", \"serviceId\": \"\(UUID())\", \"serviceName\": \"a\", \"nodeId\": \"n\", \"status\": \"DOWN\", \"created\": true}"
        #expect(validator.problems(health, status: 200, contentType: json, body: good) == [])
        let badEnum = good.replacingOccurrences(of: "DOWN", with: "BROKEN")
        #expect(!validator.problems(health, status: 200, contentType: json, body: badEnum).isEmpty)
        let extra = good.replacingOccurrences(of: "{\"success\"", with: "{\"surprise\": 1, \"success\"")
        #expect(validator.problems(health, status: 200, contentType: json, body: extra) == ["$.surprise: is not documented"])
        let wrongType = good.replacingOccurrences(of: "\"created\": true", with: "\"created\": 1")
        #expect(!validator.problems(health, status: 200, contentType: json, body: wrongType).isEmpty)
        #expect(validator.operation(method: "GET", path: "/api/v1/sla/reports/2026-04-20.csv")?.path == "/api/v1/sla/reports/{date}")
        #expect(validator.operation(method: "DELETE", path: "/api/v1/health/report") == nil)
    }

    @Test(
        "every REST route answers, on success and on error, exactly as the OpenAPI document says",
        arguments: TestBackend.all)
    func everyRoute(_ backend: TestBackend) async throws {
        let vendor = TestVendor()
        let oidc = try Config.load(environment: [
            "ITOPS_OIDC_ISSUER": "http://127.0.0.1:1", "ITOPS_OIDC_CLIENT_ID": "itops", "ITOPS_OIDC_ROLE_MAP": "viewer=*",
            "ITOPS_OIDC_REDIRECT_URL": "http://127.0.0.1:8080/api/v1/auth/oidc/callback",
        ]).oidc
        let app = try await TestApp.licensed(vendor, backend: backend, trialDays: 30) { $0.oidc = oidc }
        let admin = try await app.adminKey()
        let validator = try OpenAPIValidator()
        try await app.run { raw in
            let c = ValidatingClient(raw, validator: validator)
            // System.
            try await c.request(.get, "/health", key: nil)
            try await c.request(.get, "/ready", key: nil)
            try await c.request(.get, "/metrics", key: nil)
            let served = try await c.request(.get, "/api/v1/openapi.json", key: nil)
            #expect(served.text == OpenAPIDocument.json + "\n")
            try await c.request(.get, "/api/v1/auth/providers", key: nil)
            // OIDC points at a provider that does not answer: both routes end on the console with a reason.
            try await c.request(.get, "/api/v1/auth/oidc/login", key: nil)
            try await c.request(.get, "/api/v1/auth/oidc/callback?state=s&code=c", key: nil)
            try await c.request(.get, "/api/v1/auth/oidc/callback", key: nil)
            try await c.request(.post, "/graphql", body: "{\"query\": \"{ __typename }\"}", key: nil)
            try await c.request(.post, "/graphql", body: "not json", key: nil)
            try await c.request(.post, "/graphql", body: "{\"query\": \"{ nope }\"}", key: nil)

            // Agent API.
            let sync =
                "{\"nodeId\": \"c1\", \"services\": [{\"name\": \"api\", \"status\": \"OPERATIONAL\"}], \"slaGroups\": [{\"name\": \"g\", \"tier\": \"high\"}]}"
            try await c.request(.post, "/api/v1/operator/status", body: sync)
            try await c.request(.post, "/api/v1/operator/status", body: sync, key: nil)
            try await c.request(.post, "/api/v1/operator/status", body: "{\"nodeId\": 5}")
            try await c.request(.post, "/api/v1/operator/heartbeat", body: "{\"nodeId\": \"c1\", \"version\": \"1\"}")
            try await c.request(.post, "/api/v1/operator/heartbeat", body: "{\"nodeId\": \"c1\"}", key: "wrong-key-0123456789")
            try await c.request(.post, "/api/v1/operator/heartbeat", body: "{}")
            let register =
                "{\"name\": \"db\", \"nodeId\": \"c1\", \"criticality\": \"high\", \"slaGroup\": \"g\", \"operations\": {\"backup\": {\"expected\": true, \"maxAgeDays\": 1}}}"
            try await c.request(.post, "/api/v1/operator/register", body: register)
            try await c.request(.post, "/api/v1/operator/register", body: register)
            try await c.request(.post, "/api/v1/operator/register", body: "{\"name\": \"\", \"nodeId\": \"c1\"}")
            try await c.request(
                .post, "/api/v1/operator/register", body: register, headers: [.contentType: "text/plain"])
            try await c.request(.get, "/api/v1/operator/services?nodeId=c1")
            try await c.request(.get, "/api/v1/operator/services", key: nil)
            try await c.request(
                .post, "/api/v1/health/report", body: "{\"service\": \"web\", \"nodeId\": \"c1\", \"status\": \"DOWN\"}")
            try await c.request(.post, "/api/v1/health/report", body: "{\"service\": \"web\", \"status\": \"BROKEN\"}")
            try await c.request(.post, "/api/v1/health/report", body: String(repeating: "x", count: 1_100_000))
            try await c.request(
                .post, "/api/v1/storage/report",
                body: "{\"service\": \"disk\", \"nodeId\": \"c1\", \"allocatedBytes\": 100, \"usedBytes\": 90}")
            try await c.request(
                .post, "/api/v1/storage/report",
                body: "{\"service\": \"disk\", \"allocatedBytes\": 100, \"usedBytes\": 900}")
            try await c.request(
                .post, "/api/v1/backup/report", body: "{\"slaGroup\": \"g\", \"status\": \"success\", \"sizeBytes\": 5}")
            try await c.request(.post, "/api/v1/backup/report", body: "{\"status\": \"success\"}")

            // Licensing (admin).
            try await c.request(.post, "/api/v1/license/activate", body: activateBody(try vendor.token()), key: admin)
            try await c.request(.post, "/api/v1/license/activate", body: activateBody(try vendor.token()))
            try await c.request(.post, "/api/v1/license/activate", body: activateBody("garbage"), key: admin)

            // SLA.
            let window = "{\"service\": \"db\", \"nodeId\": \"c1\", \"reason\": \"patching\"}"
            try await c.request(.post, "/api/v1/sla/exclusion-window/start", body: window)
            try await c.request(.post, "/api/v1/sla/exclusion-window/start", body: window)
            try await c.request(
                .post, "/api/v1/sla/exclusion-window/start",
                body: "{\"service\": \"db\", \"nodeId\": \"c1\", \"expectedEndAt\": \"tomorrow\"}")
            try await c.request(.post, "/api/v1/sla/exclusion-window/stop", body: "{\"service\": \"db\", \"nodeId\": \"c1\"}")
            try await c.request(.post, "/api/v1/sla/exclusion-window/stop", body: "{\"service\": \"ghost\", \"nodeId\": \"c1\"}")
            try await c.request(.post, "/api/v1/sla/report/generate", body: "{\"date\": \"2026-04-19\"}")
            try await c.request(.post, "/api/v1/sla/report/generate")
            try await c.request(.post, "/api/v1/sla/report/generate", body: "{\"date\": \"19.04.2026\"}")
            try await c.request(.get, "/api/v1/sla/reports/2026-04-19.json")
            try await c.request(.get, "/api/v1/sla/reports/2026-04-19.csv")
            try await c.request(.get, "/api/v1/sla/reports/2026-04-19", headers: [.accept: "text/csv"])
            try await c.request(.get, "/api/v1/sla/reports/2026-01-01")
            try await c.request(.get, "/api/v1/sla/reports/2026-04-19.pdf")
            try await c.request(.get, "/api/v1/sla/reports/2026-04-19", key: nil)

            // Public status pages (no authentication).
            _ = try await app.runtime.statusPages.create(
                StatusPageDraft(slug: "public", title: "Public", description: nil, groups: [StatusPageGroup(slaGroup: "g", label: "G")]))
            try await c.request(.get, "/status/public", key: nil)
            try await c.request(.get, "/status/public.json", key: nil)
            try await c.request(.get, "/status/public.atom", key: nil)
            try await c.request(.get, "/status/nobody", key: nil)
            try await c.request(.get, "/api/v1/badges/g/status.svg", key: nil)
            try await c.request(.get, "/api/v1/badges/g/uptime.svg?period=7d", key: nil)
            try await c.request(.get, "/api/v1/badges/g/uptime.svg?period=1y", key: nil)
            try await c.request(.get, "/api/v1/badges/private/status.svg", key: nil)

            // Templates (admin).
            let exported = try await c.request(.get, "/api/v1/templates/export", key: admin)
            try await c.request(.get, "/api/v1/templates/export?kinds=workflows", key: admin)
            try await c.request(.get, "/api/v1/templates/export?kinds=nonsense", key: admin)
            try await c.request(.get, "/api/v1/templates/export")
            try await c.request(
                .post, "/api/v1/templates/import?dryRun=true", body: exported.text, key: admin,
                headers: [.contentType: "application/yaml"])
            try await c.request(
                .post, "/api/v1/templates/import", body: "{\"yaml\": \(jsonString(exported.text)), \"dryRun\": true}",
                key: admin)
            try await c.request(
                .post, "/api/v1/templates/import", body: "workflows: [\n", key: admin,
                headers: [.contentType: "application/yaml"])
            try await c.request(
                .post, "/api/v1/templates/import", body: "x", key: admin, headers: [.contentType: "image/png"])

            // A database that stopped answering: /ready says 503.
            await app.runtime.store.shutdown()
            let notReady = try await c.request(.get, "/ready", key: nil)
            #expect(notReady.status == .serviceUnavailable)

            // Every documented operation was exercised, with a success and (where one exists) an error.
            let coverage = c.coverage
            for (path, item) in validator.document["paths"]?.objectValue ?? [:] {
                for method in (item.objectValue ?? [:]).keys {
                    let statuses = coverage[.init(path: path, method: method)] ?? []
                    // A redirect is how a browser route succeeds.
                    #expect(statuses.contains { (200..<400).contains($0) }, "\(method) \(path) never succeeded")
                    let documented = Set((item[method]?["responses"]?.objectValue ?? [:]).keys.compactMap(Int.init))
                    // OIDC login's only error is 404 without OIDC configured: OIDCSignInTests.notConfigured.
                    if documented.contains(where: { $0 >= 400 }), path != "/api/v1/auth/oidc/login" {
                        #expect(statuses.contains { $0 >= 400 }, "\(method) \(path) never answered an error")
                    }
                }
            }
        }
        // The plugin gate's 403 is documented too.
        let unlicensed = try await TestApp.licensed(vendor, backend: backend, trialDays: 0)
        try await unlicensed.run { raw in
            let c = ValidatingClient(raw, validator: validator)
            let refused = try await c.request(.post, "/api/v1/sla/report/generate", body: "{}")
            #expect(refused.status == .forbidden)
        }
    }
}
