import Foundation
import ITOpsCore
import ITOpsOutboundTestSupport
import ITOpsServer
import Logging
import Testing

/// `promtool`, when installed (CI installs Debian's `prometheus` package).
func promtool() -> String? {
    ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// Runs `promtool check metrics` on `text`; returns its exit status and output.
func promtoolCheckMetrics(_ text: String, tool: String) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = ["check", "metrics"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = output
    try process.runSerially()
    input.fileHandleForWriting.write(Data(text.utf8))
    try input.fileHandleForWriting.close()
    let printed = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: printed, as: UTF8.self))
}

@Suite("Operability: metrics and doctor")
struct OperabilityTests {
    @Test(
        "/metrics has per-route duration histograms, write batch sizes, WebSocket and outbound counts, and passes promtool",
        arguments: TestBackend.all)
    func metrics(_ backend: TestBackend) async throws {
        let receiver = try await TestHTTPReceiver.start { _, _ in .ok }
        let app = try await TestApp.make(backend) { $0.webhookHostAllowlist = ["127.0.0.1"] }
        try await app.run(jobs: true) { (client: Client) async throws in
            let token = try await adminToken(app, client)
            _ = try await client.createWebhook(receiver.url("/hook"), events: ["service:status_changed"], token: token)
            try await waitForOutboundJob(app)
            try await client.report("db", "DOWN")
            _ = try await client.get("/ready", key: nil)
            _ = await receiver.waitForRequests(1)
            var text = ""
            try await waitUntil("the delivery is counted") {
                text = try await client.get("/metrics", key: nil).text
                return text.contains("itops_outbound_deliveries_total{kind=\"webhook\",outcome=\"Success\"} 1")
            }
            #expect(
                text.contains(
                    "itops_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/health/report\",le="))
            #expect(text.contains("itops_http_request_duration_seconds_count{method=\"GET\",route=\"/ready\"} 1"))
            #expect(text.contains("itops_write_batch_size_bucket{le=\"1.0\"}"), "\(text)")
            #expect(text.contains("itops_write_batches_total"))
            // Every family has help text (promtool's lint wants it), even where promtool is not installed.
            let lines = text.split(separator: "\n")
            for (index, line) in lines.enumerated() where line.hasPrefix("# TYPE ") {
                let name = line.split(separator: " ")[2]
                #expect(index > 0 && lines[index - 1].hasPrefix("# HELP \(name) "), "\(name) has no help")
            }
            if let tool = promtool() {
                let (status, output) = try promtoolCheckMetrics(text, tool: tool)
                #expect(status == 0, "promtool check metrics: \(output)")
            }
        }
    }

    @Test("/metrics counts open GraphQL WebSockets")
    func webSocketGauge() async throws {
        let app = try await TestApp.make()
        try await app.runLive { live in
            let token = try await app.token(live.http, role: .viewer)
            try await live.webSocket { script in
                try await script.initialise(token: token)
                let text = try await live.http.get("/metrics", key: nil).text
                #expect(text.contains("itops_graphql_ws_connections 1"), "\(text)")
                try await script.outbound.close(.normalClosure, reason: nil)
            }
            try await waitUntil("the socket is counted closed") {
                try await live.http.get("/metrics", key: nil).text.contains("itops_graphql_ws_connections 0")
            }
        }
    }

    @Test("itops doctor passes a healthy installation and flags wide permissions, bad variables and a missing database")
    func doctor() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-doctor-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = Logger(label: "doctor-test")
        logger.logLevel = .critical
        let environment = [
            "ITOPS_DATA_DIR": directory.path, "ITOPS_JWT_SECRET": String(repeating: "j", count: 40),
            "ITOPS_BCRYPT_COST": "4",
        ]
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // A fresh data directory: the schema is pending until the first start (or `itops migrate`).
        let fresh = await Doctor.run(environment: environment, logger: logger)
        #expect(fresh.contains { $0.level == .warn && $0.check == "schema" && $0.fix.contains("itops migrate") })
        #expect(try await ITOpsBinary.run(["migrate"], environment: environment).status == 0)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            try FileManager.default.setAttributes(
                [.posixPermissions: 0o600], ofItemAtPath: directory.appendingPathComponent(name).path)
        }
        let healthy = await Doctor.run(environment: environment, logger: logger)
        #expect(healthy.allSatisfy { $0.level == .ok }, "\(healthy)")
        #expect(Set(healthy.map(\.check)).isSuperset(of: ["config", "data-dir", "database", "schema", "license"]))
        #expect(healthy.contains { $0.check == "license" && $0.message.hasPrefix("trial until") })

        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let database = directory.appendingPathComponent("itops.db").path
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: database)
        let wide = await Doctor.run(environment: environment, logger: logger)
        let warnings = wide.filter { $0.level == .warn && $0.check == "data-dir" }
        #expect(warnings.contains { $0.fix == "chmod 700 \(directory.path)" }, "\(wide)")
        #expect(warnings.contains { $0.fix == "chmod 600 \(database)" }, "\(wide)")

        var typo = environment
        typo["ITOPS_PROT"] = "80"
        let bad = await Doctor.run(environment: typo, logger: logger)
        #expect(bad.contains { $0.level == .fail && $0.message.contains("ITOPS_PROT") })

        let unreachable = await Doctor.run(
            environment: environment.merging(["ITOPS_DATABASE_URL": "postgres://itops@127.0.0.1:1/itops"]) { $1 },
            logger: logger)
        #expect(unreachable.contains { $0.level == .fail && $0.check == "database" }, "\(unreachable)")

        // The command prints the findings and fails on a FAIL.
        let printed = try await ITOpsBinary.run(["doctor"], environment: environment)
        #expect(printed.status == 0, "\(printed.output)\(printed.errors)")
        #expect(printed.output.contains("WARN  data-dir"), "\(printed.output)")
        #expect(printed.output.contains("fix: chmod 700"))
        #expect(printed.output.contains("passed with warnings"))
    }

    @Test("itops doctor on PostgreSQL checks the schema and the clock against the database's")
    func doctorPostgres() async throws {
        guard TestBackend.all.contains(.postgres) else { return }
        let database = try await TestDatabase.create()
        defer { try? database.drop() }
        var logger = Logger(label: "doctor-test")
        logger.logLevel = .critical
        let findings = await Doctor.run(
            environment: [
                "ITOPS_DATABASE_URL": database.url, "ITOPS_JWT_SECRET": String(repeating: "j", count: 40),
                "ITOPS_DATA_DIR": FileManager.default.temporaryDirectory.appendingPathComponent("itops-doctor-pg-\(UUID().uuidString)").path,
            ], logger: logger)
        #expect(findings.contains { $0.check == "clock" && $0.level == .ok }, "\(findings)")
        #expect(findings.contains { $0.check == "schema" && $0.level == .ok }, "\(findings)")
        #expect(!findings.contains { $0.level == .fail }, "\(findings)")
    }

    @Test("itops --version prints the version")
    func version() async throws {
        let outcome = try await ITOpsBinary.run(["--version"])
        #expect(outcome.status == 0)
        #expect(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines) == ITOpsRuntime.version)
    }
}
