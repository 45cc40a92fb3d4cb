import Foundation
import ITOpsCore
import ITOpsServer
import Testing

@Suite("Metrics and CLI")
struct OperationsTests {
    @Test(
        "GET /metrics serves Prometheus text with requests by route, reports by kind and status changes",
        arguments: TestBackend.all)
    func metrics(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            _ = try await client.post("/api/v1/health/report", "{\"service\": \"a\", \"status\": \"DOWN\"}")
            _ = try await client.post("/api/v1/health/report", "{\"service\": \"a\", \"status\": \"OPERATIONAL\"}")
            _ = try await client.post(
                "/api/v1/storage/report", "{\"service\": \"d\", \"allocatedBytes\": 2, \"usedBytes\": 1}")
            _ = try await client.post("/api/v1/health/report", "{}")
            try await Task.sleep(for: .milliseconds(50))  // the event consumer counts status changes
            let response = try await client.request(.get, "/metrics", key: nil)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = response.text
            #expect(
                text.contains(
                    "itops_http_requests_total{method=\"POST\",route=\"/api/v1/health/report\",status=\"200\"} 2"))
            #expect(
                text.contains(
                    "itops_http_requests_total{method=\"POST\",route=\"/api/v1/health/report\",status=\"422\"} 1"))
            #expect(text.contains("itops_reports_ingested_total{kind=\"health\"} 2"))
            #expect(text.contains("itops_reports_ingested_total{kind=\"storage\"} 1"))
            #expect(text.contains("itops_status_changes_total{to=\"OPERATIONAL\"} 2"))
            #expect(text.contains("itops_http_request_duration_seconds_bucket"))
            // A subscriber that never reads, with room for one event, loses the older ones; they are counted.
            let stalled = app.runtime.events.subscribe(bufferSize: 1)
            app.runtime.events.publish(
                (0..<3).map { i in
                    .ticketCreated(
                        TicketEvent(
                            ticketId: UUID(), title: "t\(i)", status: "open", serviceId: nil, at: app.clock.now()))
                })
            let after = try await client.request(.get, "/metrics", key: nil)
            #expect(after.text.contains("itops_events_dropped 2"))
            _ = stalled
        }
    }

    @Test("every response carries a request id, echoing a sane X-Request-Id", arguments: TestBackend.all)
    func requestID(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let generated = try await client.get("/health", key: nil)
            #expect(generated.headers[.init("X-Request-Id")!]?.count == 16)
            let echoed = try await client.request(
                .get, "/health", key: nil, headers: [.init("X-Request-Id")!: "abc-123"])
            #expect(echoed.headers[.init("X-Request-Id")!] == "abc-123")
        }
    }

    @Test("itops user create and apikey create, list and revoke work against the data directory")
    func cli() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["ITOPS_DATA_DIR": directory.path, "ITOPS_BCRYPT_COST": "4"]
        let created = try runCLI(
            ["user", "create", "--email", "ops@example.com", "--role", "operator"],
            environment: environment.merging(["ITOPS_NEW_USER_PASSWORD": "operator-pass"]) { $1 })
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.hasPrefix("created operator ops@example.com"))
        let duplicate = try runCLI(
            ["user", "create", "--email", "ops@example.com"],
            environment: environment.merging(["ITOPS_NEW_USER_PASSWORD": "operator-pass"]) { $1 })
        #expect(duplicate.status != 0)
        #expect(duplicate.stderr.contains("a user with this email exists"))

        let key = try runCLI(["apikey", "create", "--name", "backup-cron"], environment: environment)
        #expect(key.status == 0)
        let plain = key.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(plain.hasPrefix("itops_") && plain.count == 54)
        let list = try runCLI(["apikey", "list"], environment: environment)
        #expect(list.stdout.contains("backup-cron") && list.stdout.contains("active"))
        #expect(!list.stdout.contains(plain))
        let id = String(try #require(list.stdout.split(separator: "\t").first))
        let revoke = try runCLI(["apikey", "revoke", id], environment: environment)
        #expect(revoke.status == 0)
        #expect(try runCLI(["apikey", "list"], environment: environment).stdout.contains("revoked"))

        let bad = try runCLI(
            ["migrate"], environment: environment.merging(["ITOPS_PORT": "x", "ITOPS_JWT_SECRET": "short"]) { $1 })
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("ITOPS_PORT") && bad.stderr.contains("ITOPS_JWT_SECRET"))
    }
}

/// Runs the built `itops` binary and collects its output.
func runCLI(_ arguments: [String], environment: [String: String]) throws -> (
    status: Int32, stdout: String, stderr: String
) {
    let (process, out, err) = try ITOpsBinary.start(arguments, environment: environment)
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}
