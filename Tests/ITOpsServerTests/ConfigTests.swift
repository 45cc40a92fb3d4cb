import Foundation
import ITOpsCore
import ITOpsServer
import Logging
import Testing

@Suite("Configuration")
struct ConfigTests {
    @Test("defaults follow the SPEC's configuration contract")
    func defaults() throws {
        let config = try Config.load(environment: [:])
        #expect(config.host == "127.0.0.1" && config.port == 8080)
        #expect(config.dataDirectory == "./data")
        #expect(config.heartbeatTimeout == 90 && config.pushStaleAfter == 300)
        #expect(config.maxExclusionWindow == 86_400)
        #expect(config.trialDays == 30)
        #expect(config.slaUnknownPolicy == .exclude)
        #expect(config.logLevel == .info)
        #expect(!config.allowPrivateWebhooks)
    }

    @Test("durations accept 90s, 5m, 24h and plain seconds; flags win over variables")
    func parsing() throws {
        let config = try Config.load(
            environment: [
                "ITOPS_HEARTBEAT_TIMEOUT": "2m", "ITOPS_PUSH_STALE_AFTER": "45", "ITOPS_MAX_EXCLUSION_WINDOW": "12h",
                "ITOPS_PORT": "9000", "ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST": "Hooks.example.com, a.b ,",
                "ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS": "true", "PATH": "/usr/bin",
            ],
            overrides: ["ITOPS_PORT": "9100"])
        #expect(config.heartbeatTimeout == 120)
        #expect(config.pushStaleAfter == 45)
        #expect(config.maxExclusionWindow == 43_200)
        #expect(config.port == 9100)
        #expect(config.webhookHostAllowlist == ["hooks.example.com", "a.b"])
        #expect(config.allowPrivateWebhooks)
    }

    @Test("every bad variable is reported at once, each naming the variable")
    func everyProblem() {
        do {
            _ = try Config.load(environment: [
                "ITOPS_PORT": "http", "ITOPS_JWT_SECRET": "short", "ITOPS_HEARTBEAT_TIMEOUT": "soon",
                "ITOPS_SLA_UNKNOWN_POLICY": "maybe", "ITOPS_ADMIN_EMAIL": "root@example.com", "ITOPS_PROT": "1",
                "ITOPS_DATABASE_URL": "mysql://x", "ITOPS_SQLITE_CACHE_MB": "0",
            ])
            Issue.record("expected a configuration error")
        } catch {
            let names = error.problems.map { String($0.prefix { $0 != ":" }) }
            #expect(
                Set(names) == [
                    "ITOPS_PORT", "ITOPS_JWT_SECRET", "ITOPS_HEARTBEAT_TIMEOUT", "ITOPS_SLA_UNKNOWN_POLICY",
                    "ITOPS_ADMIN_EMAIL and ITOPS_ADMIN_PASSWORD", "ITOPS_PROT", "ITOPS_DATABASE_URL",
                    "ITOPS_SQLITE_CACHE_MB",
                ])
            #expect(
                error.problems.first { $0.hasPrefix("ITOPS_JWT_SECRET") }?.contains("at least 32 characters") == true)
            #expect(error.description.split(separator: "\n").count == 8)
        }
    }

    @Test("without ITOPS_JWT_SECRET a secret is generated into the data directory with mode 0600 and reused")
    func generatedSecret() async throws {
        let app = try await TestApp.make { $0.jwtSecret = nil }
        let file = app.directory.appendingPathComponent("jwt-secret")
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let secret = try String(contentsOf: file, encoding: .utf8)
        #expect(secret.count >= 32)
        await app.runtime.shutdown()
        let directory = app.directory
        let again = try await TestApp.make {
            $0.jwtSecret = nil
            $0.dataDirectory = directory.path
        }
        #expect(try String(contentsOf: file, encoding: .utf8) == secret)
        await again.runtime.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    @Test("the README's configuration table lists every variable the server reads")
    func readmeTable() throws {
        let readme = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "../../README.md"),
            encoding: .utf8)
        for variable in Config.variables {
            #expect(readme.contains("`\(variable.name)`"), "README lacks \(variable.name)")
        }
    }
}
