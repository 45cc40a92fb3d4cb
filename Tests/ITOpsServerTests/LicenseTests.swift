import Crypto
import Foundation
import GraphQL
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ITOpsCore
import ITOpsLicense
import ITOpsServer
import Logging
import Testing

@testable import ITOpsGraphQL

/// A vendor key pair for the tests, and tokens signed with it.
struct TestVendor {
    let key = Curve25519.Signing.PrivateKey()
    var publicKeyBase64: String { key.publicKey.rawRepresentation.base64EncodedString() }

    func token(
        customer: String = "My Company", plugins: [String] = ["ticketing", "sla", "audit"],
        issuedAt: Date = TestApp.start, days: Double = 365, licenseId: String? = "lic-42", maxServices: Int? = 250
    ) throws -> String {
        try LicenseToken.sign(
            License(
                customer: customer, plugins: plugins, issuedAt: issuedAt,
                expiresAt: issuedAt.addingTimeInterval(days * 86_400), licenseId: licenseId, maxServices: maxServices),
            with: key)
    }
}

/// The license events among `events`.
func licenseChanges(_ events: [DomainEvent]) -> [LicenseChange] {
    events.compactMap { if case .licenseUpdated(let change) = $0 { change } else { nil } }
}

extension TestApp {
    /// A test app verifying licenses with `vendor`'s key and a trial of `trialDays` (0 = none).
    static func licensed(
        _ vendor: TestVendor, backend: TestBackend = .sqlite, trialDays: Int = 0,
        _ configure: (inout Config) -> Void = { _ in }
    ) async throws -> TestApp {
        try await make(backend) { config in
            config.licensePublicKey = vendor.publicKeyBase64
            config.trialDays = trialDays
            configure(&config)
        }
    }

    /// Closes the database and removes the data directory (for tests that do not `run`).
    func finish() async {
        await runtime.shutdown()
        try? FileManager.default.removeItem(at: directory)
        try? database?.drop()
    }

    /// An API key with the admin role.
    func adminKey() async throws -> String { try await runtime.createAPIKey(name: "admin", role: .admin).plain }
}

/// Starts a runtime on `directory` with its own clock (for restarts); the caller shuts it down.
func startRuntime(directory: URL, clock: ManualWallClock, _ configure: (inout Config) -> Void) async throws
    -> ITOpsRuntime
{
    var config = Config()
    config.dataDirectory = directory.path
    config.port = 0
    config.jwtSecret = String(repeating: "s", count: 40)
    config.operatorAPIKey = operatorKey
    config.bcryptCost = 4
    config.sqliteSynchronous = .normal
    configure(&config)
    var logger = Logger(label: "itops-test")
    logger.logLevel = .critical
    return try await ITOpsRuntime.start(config: config, clock: clock, logger: logger)
}

func activateBody(_ token: String) -> String { "{\"licenseKey\": \(jsonString(token))}" }

@Suite("Licensing")
struct LicenseTests {
    let vendor = TestVendor()

    @Test(
        "a valid license activates over REST with the reference's response, lists its plugins and gates the rest",
        arguments: TestBackend.all)
    func activateREST(_ backend: TestBackend) async throws {
        let app = try await TestApp.licensed(vendor, backend: backend)
        let admin = try await app.adminKey()
        let events = EventRecorder(app.runtime.events)
        #expect(app.runtime.license.status().edition == .community)
        try await app.run { client in
            let response = try await client.post(
                "/api/v1/license/activate", activateBody(try vendor.token(plugins: ["ticketing", "sla"])), key: admin)
            #expect(response.status == .ok, "\(response.text)")
            #expect(response["success"] as? Bool == true)
            #expect(response["message"] as? String == "License activated")
            #expect(response["customer"] as? String == "My Company")
            #expect(response["plugins"] as? [String] == ["ticketing", "sla"])
            #expect(Set(response.object.keys) == ["success", "message", "customer", "plugins"])
        }
        let status = app.runtime.license.status()
        #expect(status.edition == .licensed)
        #expect(status.state == .active)
        #expect(app.runtime.license.isEnabled(.ticketing))
        #expect(app.runtime.license.isEnabled(.sla))
        #expect(!app.runtime.license.isEnabled(.audit))
        let changes = licenseChanges(await events.drain())
        #expect(changes.count == 1)
        #expect(changes.first?.reason == "license activated")
        #expect(changes.first?.customer == "My Company")
        #expect(changes.first?.plugins == ["ticketing", "sla"])
    }

    @Test(
        "forged, expired, wrong-algorithm, truncated and tampered tokens are refused with 4xx and change nothing",
        arguments: TestBackend.all)
    func refusals(_ backend: TestBackend) async throws {
        let app = try await TestApp.licensed(vendor, backend: backend)
        let admin = try await app.adminKey()
        let good = try vendor.token(customer: "Kept Ltd", plugins: ["sla"])
        let parts = good.split(separator: ".").map(String.init)
        let richerPayload = Data(
            #"{"customer":"Kept Ltd","exp":1808179200,"iat":1776643200,"plugins":["ticketing","sla","audit"]}"#.utf8)
        func b64url(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let hs256Header = b64url(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let hs256Input = hs256Header + "." + b64url(richerPayload)
        let hs256 =
            hs256Input + "."
            + b64url(
                Data(
                    HMAC<SHA256>.authenticationCode(
                        for: Data(hs256Input.utf8),
                        using: SymmetricKey(data: Data(base64Encoded: vendor.publicKeyBase64)!))))
        let none = b64url(Data(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + b64url(richerPayload) + "."
        let bad: [(String, String)] = [
            ("forged", try TestVendor().token(plugins: ["ticketing", "sla", "audit"])),
            ("expired", try vendor.token(issuedAt: TestApp.start.addingTimeInterval(-40 * 86_400), days: 30)),
            ("future", try vendor.token(issuedAt: TestApp.start.addingTimeInterval(86_400))),
            ("alg none", none),
            ("alg HS256", hs256),
            ("truncated", String(good.dropLast(12))),
            ("two parts", parts[0] + "." + parts[1]),
            ("tampered payload", parts[0] + "." + b64url(richerPayload) + "." + parts[2]),
            ("garbage", "not-a-license"),
            ("empty", ""),
        ]
        try await app.run { client in
            let first = try await client.post("/api/v1/license/activate", activateBody(good), key: admin)
            #expect(first.status == .ok)
            let before = app.runtime.license.status()
            let storedBefore = try await app.runtime.store.reader.licenseSettings()
            let events = EventRecorder(app.runtime.events)
            for (name, token) in bad {
                let response = try await client.post("/api/v1/license/activate", activateBody(token), key: admin)
                #expect([400, 422].contains(response.status.code), "\(name): \(response.status) \(response.text)")
                #expect(response["success"] as? Bool == false, "\(name)")
                #expect((response.error ?? "").hasPrefix("license refused: "), "\(name): \(response.text)")
            }
            let missing = try await client.post("/api/v1/license/activate", "{}", key: admin)
            #expect(missing.status == .badRequest)
            #expect(missing.error == "licenseKey: is required")
            #expect(app.runtime.license.status() == before)
            #expect(try await app.runtime.store.reader.licenseSettings() == storedBefore)
            #expect(licenseChanges(await events.drain()).isEmpty)
        }
        #expect(app.runtime.license.status().customer == "Kept Ltd")
        #expect(app.runtime.license.status().plugins == [.sla])
    }

    @Test(
        "refusal messages say why: expired names the date, a foreign key says signature, HS256 says only EdDSA",
        arguments: TestBackend.all)
    func refusalMessages(_ backend: TestBackend) async throws {
        let app = try await TestApp.licensed(vendor, backend: backend)
        let admin = try await app.adminKey()
        try await app.run { client in
            let expired = try await client.post(
                "/api/v1/license/activate",
                activateBody(try vendor.token(issuedAt: TestApp.start.addingTimeInterval(-10 * 86_400), days: 1)),
                key: admin)
            #expect(expired.status == .unprocessableContent)
            #expect(expired.error?.contains("expired on 2026-04-11") == true, "\(expired.text)")
            let forged = try await client.post(
                "/api/v1/license/activate", activateBody(try TestVendor().token()), key: admin)
            #expect(forged.error?.contains("signature is not valid") == true, "\(forged.text)")
        }
    }

    @Test(
        "activation needs the admin role: no credential is 401, an operator key 403, an admin JWT 200",
        arguments: TestBackend.all)
    func activationAuth(_ backend: TestBackend) async throws {
        let app = try await TestApp.licensed(vendor, backend: backend)
        _ = try await app.runtime.createUser(email: "admin@example.com", password: "correct-horse", role: .admin)
        _ = try await app.runtime.createUser(email: "ops@example.com", password: "correct-horse", role: .operator)
        let token = try vendor.token()
        try await app.run { client in
            let anonymous = try await client.post("/api/v1/license/activate", activateBody(token), key: nil)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous["success"] as? Bool == false)
            let badKey = try await client.post("/api/v1/license/activate", activateBody(token), key: "itops_nope")
            #expect(badKey.status == .unauthorized)
            let operatorResponse = try await client.post(
                "/api/v1/license/activate", activateBody(token), key: operatorKey)
            #expect(operatorResponse.status == .forbidden)
            let operatorJWT = try await client.login("ops@example.com", "correct-horse")
            let operatorUser = try await client.request(
                .post, "/api/v1/license/activate", body: activateBody(token), key: nil, bearer: operatorJWT)
            #expect(operatorUser.status == .forbidden)
            #expect(app.runtime.license.status().edition == .community)
            let adminJWT = try await client.login("admin@example.com", "correct-horse")
            let admin = try await client.request(
                .post, "/api/v1/license/activate", body: activateBody(token), key: nil, bearer: adminJWT)
            #expect(admin.status == .ok, "\(admin.text)")
            #expect(admin["plugins"] as? [String] == ["ticketing", "sla", "audit"])
        }
        #expect(app.runtime.license.status().edition == .licensed)
    }

    @Test(
        "GraphQL: license shows the state; activateLicense needs admin and refuses bad tokens as BAD_USER_INPUT",
        arguments: TestBackend.all)
    func graphQL(_ backend: TestBackend) async throws {
        let app = try await TestApp.licensed(vendor, backend: backend, trialDays: 30)
        _ = try await app.runtime.createUser(email: "admin@example.com", password: "correct-horse", role: .admin)
        _ = try await app.runtime.createUser(email: "viewer@example.com", password: "correct-horse", role: .viewer)
        let fields = "customer plugins licensedPlugins expiresAt trial trialEndsAt edition licenseId maxServices status"
        try await app.run { client in
            let anonymous = try await client.graphQL("{ license { status } }")
            #expect(anonymous.errorCode == "UNAUTHENTICATED")

            let viewer = try await client.login("viewer@example.com", "correct-horse")
            let trial = try await client.graphQL("{ license { \(fields) } }", token: viewer)
            let trialLicense = try #require(trial.data?["license"] as? [String: Any], "\(trial.text)")
            #expect(trialLicense["edition"] as? String == "trial")
            #expect(trialLicense["status"] as? String == "trial")
            #expect(trialLicense["trial"] as? Bool == true)
            #expect(trialLicense["plugins"] as? [String] == ["ticketing", "sla", "audit"])
            #expect(trialLicense["trialEndsAt"] as? String == "2026-05-20T00:00:00.000Z")
            #expect(trialLicense["customer"] is NSNull)

            let mutation = "mutation($k: String!) { activateLicense(licenseKey: $k) { \(fields) } }"
            let token = try vendor.token(plugins: ["audit"], days: 100)
            let denied = try await client.graphQL(mutation, variables: "{\"k\": \(jsonString(token))}", token: viewer)
            #expect(denied.errorCode == "FORBIDDEN")

            let admin = try await client.login("admin@example.com", "correct-horse")
            let forged = try await client.graphQL(
                mutation, variables: "{\"k\": \(jsonString(try TestVendor().token()))}", token: admin)
            #expect(forged.errorCode == "BAD_USER_INPUT")
            #expect(forged.errorMessage?.contains("signature") == true)

            let activated = try await client.graphQL(
                mutation, variables: "{\"k\": \(jsonString(token))}", token: admin)
            let license = try #require(
                activated.data?["activateLicense"] as? [String: Any], "\(activated.text)")
            #expect(license["customer"] as? String == "My Company")
            #expect(license["edition"] as? String == "licensed")
            #expect(license["status"] as? String == "active")
            #expect(license["licensedPlugins"] as? [String] == ["audit"])
            // The trial keeps every plugin on until it ends.
            #expect(license["plugins"] as? [String] == ["ticketing", "sla", "audit"])
            #expect(license["trial"] as? Bool == true)
            #expect(license["expiresAt"] as? String == "2026-07-29T00:00:00.000Z")
            #expect(license["licenseId"] as? String == "lic-42")
            #expect(license["maxServices"] as? Int == 250)
        }
        // After the trial only the license's plugin is left.
        app.clock.advance(by: 31 * 86_400)
        #expect(app.runtime.license.status().plugins == [.audit])
    }

    @Test(
        "the trial enables every plugin from first start; its end disables them and publishes license:updated",
        arguments: TestBackend.all)
    func trial(_ backend: TestBackend) async throws {
        let app = try await TestApp.licensed(vendor, backend: backend, trialDays: 30)
        let events = EventRecorder(app.runtime.events)
        let license = app.runtime.license
        let status = license.status()
        #expect(status.edition == .trial)
        #expect(status.trialEndsAt == TestApp.start.addingTimeInterval(30 * 86_400))
        #expect(Plugin.allCases.allSatisfy(license.isEnabled))
        #expect(try await app.runtime.store.reader.licenseSettings()?.trialStartedAt == TestApp.start)

        app.clock.advance(by: 30 * 86_400 - 1)
        #expect(license.checkForChanges() == nil)
        #expect(license.isEnabled(.sla))
        app.clock.advance(by: 1)
        #expect(!license.isEnabled(.sla))
        #expect(!license.isEnabled(.ticketing))
        #expect(!license.isEnabled(.audit))
        #expect(license.status().edition == .community)
        #expect(license.status().state == .community)
        #expect(license.checkForChanges() == nil, "announced once")
        let changes = licenseChanges(await events.drain())
        #expect(changes.count == 1)
        #expect(changes.first?.reason == "trial ended")
        #expect(changes.first?.plugins == [])
        #expect(changes.first?.trial == false)
        await app.finish()
    }

    @Test("ITOPS_TRIAL_DAYS=0 disables the trial: community edition from the first start", arguments: TestBackend.all)
    func noTrial(_ backend: TestBackend) async throws {
        let app = try await TestApp.licensed(vendor, backend: backend, trialDays: 0)
        let status = app.runtime.license.status()
        #expect(status.edition == .community)
        #expect(status.trialEndsAt == nil)
        #expect(status.plugins.isEmpty)
        await app.finish()
    }

    @Test(
        "a license expiring while running switches its plugins off without a restart and publishes license:updated",
        arguments: TestBackend.all)
    func expiryWhileRunning(_ backend: TestBackend) async throws {
        let app = try await TestApp.licensed(vendor, backend: backend)
        let license = app.runtime.license
        _ = try await license.activate(token: try vendor.token(plugins: ["sla", "audit"], days: 2))
        #expect(license.isEnabled(.sla))
        let events = EventRecorder(app.runtime.events)
        app.clock.advance(by: 2 * 86_400 - 1)
        #expect(license.isEnabled(.sla))
        app.clock.advance(by: 1)
        // The background watch would find it; here the job's step runs by hand.
        let change = try #require(license.checkForChanges())
        #expect(change.reason == "license expired")
        #expect(change.plugins == [])
        #expect(change.customer == "My Company")
        #expect(!license.isEnabled(.sla))
        #expect(!license.isEnabled(.audit))
        let status = license.status()
        #expect(status.state == .expired)
        #expect(status.edition == .community)
        #expect(status.licensedPlugins == [.sla, .audit])
        #expect(licenseChanges(await events.drain()).map(\.reason) == ["license expired"])
        await app.finish()
    }

    @Test("a gate check alone notices an expiry and publishes license:updated once", arguments: TestBackend.all)
    func expiryNoticedByGate(_ backend: TestBackend) async throws {
        let app = try await TestApp.licensed(vendor, backend: backend)
        _ = try await app.runtime.license.activate(token: try vendor.token(plugins: ["sla"], days: 1))
        let events = EventRecorder(app.runtime.events)
        app.clock.advance(by: 86_400)
        #expect(!app.runtime.license.isEnabled(.sla))
        #expect(!app.runtime.license.isEnabled(.sla))
        #expect(licenseChanges(await events.drain()).map(\.reason) == ["license expired"])
        await app.finish()
    }

    @Test("the license and the trial start survive a restart on the same data directory")
    func survivesRestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let vendor = vendor
        let configure: (inout Config) -> Void = {
            $0.licensePublicKey = vendor.publicKeyBase64
            $0.trialDays = 30
        }
        let first = try await startRuntime(directory: directory, clock: ManualWallClock(TestApp.start), configure)
        let admin = try await first.createAPIKey(name: "admin", role: .admin).plain
        let token = try vendor.token(customer: "Persistent GmbH", plugins: ["ticketing"], days: 90)
        try await buildApplication(runtime: first, runJobs: false).test(.router) { client in
            let response = try await Client(raw: client).post(
                "/api/v1/license/activate", activateBody(token), key: admin)
            #expect(response.status == .ok)
        }
        await first.shutdown()

        // Restart 40 days later: the trial (started at the first start) is over, the license is not.
        let later = ManualWallClock(TestApp.start.addingTimeInterval(40 * 86_400))
        let second = try await startRuntime(directory: directory, clock: later, configure)
        let status = second.license.status()
        #expect(status.customer == "Persistent GmbH")
        #expect(status.state == .active)
        #expect(status.trial == false)
        #expect(status.trialEndsAt == TestApp.start.addingTimeInterval(30 * 86_400))
        #expect(status.plugins == [.ticketing])
        #expect(second.license.isEnabled(.ticketing))
        #expect(!second.license.isEnabled(.sla))
        await second.shutdown()
    }

    @Test("a valid ITOPS_LICENSE_KEY is active from start-up and persisted")
    func startupKey() async throws {
        let token = try vendor.token(customer: "Env Corp", plugins: ["audit"])
        let app = try await TestApp.licensed(vendor) { $0.licenseKey = token }
        let status = app.runtime.license.status()
        #expect(status.customer == "Env Corp")
        #expect(status.plugins == [.audit])
        #expect(try await app.runtime.store.reader.licenseSettings()?.licenseToken == token)
        await app.finish()
    }

    @Test("a bad ITOPS_LICENSE_KEY does not stop start-up: the server runs without it")
    func badStartupKey() async throws {
        for token in [
            "garbage", try TestVendor().token(), try vendor.token(issuedAt: Date(timeIntervalSince1970: 1e9)),
        ] {
            let app = try await TestApp.licensed(vendor) { $0.licenseKey = token }
            #expect(app.runtime.license.status().edition == .community)
            #expect(try await app.runtime.store.reader.licenseSettings()?.licenseToken == nil)
            try await app.run { client in
                let health = try await client.get("/health", key: nil)
                #expect(health.status == .ok)
            }
        }
    }

    @Test(
        "gated REST routes answer 403 naming the plugin until it is licensed; core monitoring is never gated",
        arguments: TestBackend.all)
    func restGate(_ backend: TestBackend) async throws {
        let app = try await TestApp.licensed(vendor, backend: backend)
        let router = Router(context: AppRequestContext.self)
        router.group("api/v1/sla", requiring: .sla, gate: app.runtime.license).get("reports") { _, _ in "reports" }
        router.group("api/v1/tickets", requiring: .ticketing, gate: app.runtime.license).get("") { _, _ in "tickets" }
        try await Application(router: router).test(.router) { client in
            let denied = try await client.execute(uri: "/api/v1/sla/reports", method: .get)
            #expect(denied.status == .forbidden)
            let body = try #require(
                try JSONSerialization.jsonObject(with: Data(String(buffer: denied.body).utf8)) as? [String: Any])
            #expect(body["success"] as? Bool == false)
            #expect((body["error"] as? String)?.hasPrefix("the sla plugin is not licensed") == true)
            _ = try await app.runtime.license.activate(token: try vendor.token(plugins: ["sla"]))
            let allowed = try await client.execute(uri: "/api/v1/sla/reports", method: .get)
            #expect(allowed.status == .ok)
            #expect(String(buffer: allowed.body) == "reports")
            let tickets = try await client.execute(uri: "/api/v1/tickets", method: .get)
            #expect(tickets.status == .forbidden)
            #expect(String(buffer: tickets.body).contains("the ticketing plugin is not licensed"))
        }
        // Community edition (the license above expires): ingest and reads still answer.
        app.clock.advance(by: 400 * 86_400)
        #expect(app.runtime.license.status().edition == .community)
        try await app.run { client in
            let health = try await client.post(
                "/api/v1/health/report", "{\"service\": \"api\", \"nodeId\": \"n1\", \"status\": \"OPERATIONAL\"}")
            #expect(health.status == .ok, "\(health.text)")
            #expect(try await client.get("/api/v1/operator/services?nodeId=n1").status == .ok)
        }
    }

    @Test(
        "GraphQL requirePlugin throws an error mapped to PLUGIN_NOT_LICENSED naming the plugin",
        arguments: TestBackend.all)
    func graphQLGate(_ backend: TestBackend) async throws {
        let app = try await TestApp.licensed(vendor, backend: backend)
        let context = GraphQLContext(
            principal: nil, client: "test", backend: LicenseOnlyBackend(runtime: app.runtime))
        let error = try #require(throws: ITOpsError.self) { try context.requirePlugin(.audit) }
        #expect(error.code == .pluginNotLicensed)
        let (code, message) = GraphQLErrorMapping.classify(GraphQLError(error))
        #expect(code == "PLUGIN_NOT_LICENSED")
        #expect(message.hasPrefix("the audit plugin is not licensed"))
        _ = try await app.runtime.license.activate(token: try vendor.token(plugins: ["audit"]))
        try context.requirePlugin(.audit)
        #expect(throws: ITOpsError.self) { try context.requirePlugin(.sla) }
        await app.finish()
    }

    @Test("the plugin names of the license format and of the core agree")
    func pluginVocabulary() {
        #expect(License.knownPlugins == Plugin.allCases.map(\.rawValue))
    }
}

/// A GraphQL backend exposing only the runtime's licensing, for the gate helper test.
struct LicenseOnlyBackend: GraphQLBackend {
    let runtime: ITOpsRuntime
    var reader: any StoreReader { runtime.store.reader }
    var licensing: any Licensing { runtime.license }
    func login(email: String, password: String, client: String) async throws -> AuthSession {
        throw ITOpsError.unauthenticated()
    }
    func refresh(refreshToken: String, client: String) async throws -> AuthSession {
        throw ITOpsError.unauthenticated()
    }
    func logout(principal: Principal, refreshToken: String?) async throws -> Bool { false }
    func events() -> AsyncStream<DomainEvent> { runtime.events.subscribe(bufferSize: 16) }
    func createUser(email: String, password: String, role: Role) async throws -> User {
        throw ITOpsError.forbidden("not in this backend")
    }
    func createAPIKey(name: String, role: Role, nodeScope: [NodePath]?, expiresAt: Date?) async throws -> (
        key: APIKey, plain: String
    ) {
        throw ITOpsError.forbidden("not in this backend")
    }
    func revokeAPIKey(_ reference: String) async throws -> APIKey { throw ITOpsError.forbidden("not in this backend") }
}
