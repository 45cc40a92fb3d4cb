import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import ITOpsAgent

@Suite("Checks and what they report", .serialized)
struct ChecksTests {
    let http = HTTPClient.shared

    func runner() -> CheckRunner { CheckRunner(http: http) }

    func check(_ kind: Check.Kind, timeout: Duration = .seconds(2)) -> Check {
        Check(kind: kind, interval: .seconds(1), timeout: timeout, jitter: .zero)
    }

    @Test("HTTP: expected status, body text, latency above the threshold is DEGRADED, refused is DOWN")
    func httpCheck() async throws {
        let target = try await CheckTarget()
        defer { target.task.cancel() }
        let run = runner()
        guard case .status(.operational, _) = await run.run(check(.http(url: target.url, expectStatus: [200], bodyContains: "ok", degradedAfter: nil))) else {
            Issue.record("expected OPERATIONAL")
            return
        }
        guard case .status(.down, let message) = await run.run(check(.http(url: target.url, expectStatus: [200], bodyContains: "healthy", degradedAfter: nil))) else {
            Issue.record("expected DOWN for a missing body text")
            return
        }
        #expect(message.contains("healthy"))
        guard case .status(.degraded, _) = await run.run(check(.http(url: target.url, expectStatus: [200], bodyContains: nil, degradedAfter: .zero))) else {
            Issue.record("expected DEGRADED above the latency threshold")
            return
        }
        target.answer(500)
        guard case .status(.down, let code) = await run.run(check(.http(url: target.url, expectStatus: [200], bodyContains: nil, degradedAfter: nil))) else {
            Issue.record("expected DOWN for HTTP 500")
            return
        }
        #expect(code == "HTTP 500")
    }

    @Test("TCP connect, command exit codes (with timeout), process presence")
    func localChecks() async throws {
        let target = try await CheckTarget()
        defer { target.task.cancel() }
        let run = runner()
        #expect(await run.run(check(.tcp(host: "127.0.0.1", port: target.port))).status == .operational)
        // A port nobody listens on (the target's, after it stops, is not reliable: take a fresh one and close it).
        let closed = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: target.port).get()
        let unused = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let freePort = unused.localAddress!.port!
        try await unused.close()
        try await closed.close()
        #expect(await run.run(check(.tcp(host: "127.0.0.1", port: freePort))).status == .down)

        #expect(await run.run(check(.command(arguments: ["/bin/sh", "-c", "exit 0"], degradedExitCodes: []))).status == .operational)
        #expect(await run.run(check(.command(arguments: ["/bin/sh", "-c", "exit 1"], degradedExitCodes: [1]))).status == .degraded)
        #expect(await run.run(check(.command(arguments: ["/bin/sh", "-c", "exit 2"], degradedExitCodes: [1]))).status == .down)
        let start = ContinuousClock.now
        let slow = await run.run(check(.command(arguments: ["/bin/sleep", "10"], degradedExitCodes: []), timeout: .milliseconds(300)))
        #expect(slow.status == .down)
        #expect(ContinuousClock.now - start < .seconds(3))
        #expect(await run.run(check(.command(arguments: ["/no/such/program"], degradedExitCodes: []))).status == .down)

        let me = try String(contentsOfFile: "/proc/self/comm", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(await run.run(check(.process(name: me))).status == .operational)
        #expect(await run.run(check(.process(name: "no-such-process-xyz"))).status == .down)
    }

    @Test("TLS expiry: a certificate within warnBefore is DEGRADED, a fresh one OPERATIONAL, no server DOWN")
    func tlsExpiry() async throws {
        let directory = scratchDirectory("tls")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await TLSTestServer(directory: directory, days: 5)
        defer { Task { await server.close() } }
        let run = runner()
        let soon = await run.run(check(.tls(host: "127.0.0.1", port: server.port, serverName: "localhost", warnBefore: .seconds(14 * 86400))))
        #expect(soon.status == .degraded, "\(soon)")
        let fine = await run.run(check(.tls(host: "127.0.0.1", port: server.port, serverName: nil, warnBefore: .seconds(86400))))
        #expect(fine.status == .operational, "\(fine)")
        #expect(await run.run(check(.tls(host: "127.0.0.1", port: 1, serverName: nil, warnBefore: .zero))).status == .down)
    }

    @Test("disk usage goes to storage/report and a new backup file to backup/report, stamped with its time")
    func pushes() async throws {
        let itops = try await CapturingITOps()
        defer { itops.task.cancel() }
        let directory = scratchDirectory("pushes")
        defer { try? FileManager.default.removeItem(at: directory) }
        let backups = directory.appendingPathComponent("backups")
        try FileManager.default.createDirectory(at: backups, withIntermediateDirectories: true)
        let dump = backups.appendingPathComponent("db-1.dump")
        try Data(repeating: 7, count: 1234).write(to: dump)
        let finished = Date(timeIntervalSinceNow: -600)
        try FileManager.default.setAttributes([.modificationDate: finished], ofItemAtPath: dump.path)
        try Data("old".utf8).write(to: backups.appendingPathComponent("notes.txt"))
        let yaml = """
            nodeId: agent/test/pushes
            server: {url: "\(itops.url)", apiKey: k}
            syncInterval: 1s
            buffer: {directory: "\(directory.path)/buffer", retryMin: 50ms, retryMax: 100ms}
            services:
              - name: db
                operations: {backup: {expected: true, maxAgeDays: 1}}
                checks:
                  - {type: disk, path: "\(directory.path)", interval: 300ms}
                  - {type: backupFile, path: "\(backups.path)/*.dump", interval: 200ms}
                  - {type: command, command: [/bin/sh, -c, "exit 1"], degradedExitCodes: [1], interval: 200ms}
            """
        let agent = try Agent(config: try AgentConfig.parse(yaml), http: http, logger: Logger(label: "test"))
        let running = Task { await agent.runLoops() }
        try await eventually("storage, backup and a DEGRADED sync") {
            !itops.bodies("storage/report").isEmpty && !itops.bodies("backup/report").isEmpty
                && itops.latestSync()["db"]?["status"] as? String == "DEGRADED"
        }
        try await Task.sleep(for: .milliseconds(600))
        running.cancel()
        await running.value

        let storage = try #require(itops.bodies("storage/report").first)
        #expect(storage["service"] as? String == "db")
        #expect((storage["allocatedBytes"] as? Int ?? 0) > 0)
        #expect(storage["mountPath"] as? String == directory.path)
        #expect(storage["observedAt"] is String)
        let backupsSent = itops.bodies("backup/report")
        #expect(backupsSent.count == 1, "the same file is reported once")
        let backup = try #require(backupsSent.first)
        #expect(backup["status"] as? String == "success" && backup["sizeBytes"] as? Int == 1234)
        #expect(backup["nodeId"] as? String == "agent/test/pushes")
        #expect(backup["observedAt"] as? String == Reports.timestamp(finished))
        let register = try #require(itops.bodies("operator/register").first)
        #expect((register["operations"] as? [String: Any]).flatMap { $0["backup"] as? [String: Any] }?["maxAgeDays"] as? Int == 1)
    }

    @Test("while the server fails, reports wait on disk; then they go oldest first, each with its observedAt")
    func buffersThroughFailures() async throws {
        let itops = try await CapturingITOps()
        defer { itops.task.cancel() }
        let directory = scratchDirectory("failing")
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = try await CheckTarget()
        defer { target.task.cancel() }
        itops.failing.value = true
        let yaml = """
            nodeId: agent/test/failing
            server: {url: "\(itops.url)", apiKey: k}
            syncInterval: 200ms
            buffer: {directory: "\(directory.path)/buffer", retryMin: 50ms, retryMax: 100ms}
            services:
              - name: web
                checks: [{type: http, url: "\(target.url)", interval: 100ms}]
            """
        let agent = try Agent(config: try AgentConfig.parse(yaml), http: http, logger: Logger(label: "test"))
        let running = Task { await agent.runLoops() }
        try await Task.sleep(for: .milliseconds(1500))
        // Each state holds for 1.5 s: checks run every 100 ms, but a loaded test machine has let
        // 500 ms pass without one (the DOWN was then never seen).
        let downAt = Date()
        target.answer(503)
        try await Task.sleep(for: .milliseconds(1500))
        target.answer(200)
        let upAt = Date()
        try await Task.sleep(for: .milliseconds(1500))
        #expect(itops.bodies("operator/status").isEmpty)
        // Syncs every 200 ms for 4.5 s, with latencies in their messages: only the changes were kept.
        // The registration, then the syncs OPERATIONAL, DOWN, OPERATIONAL (and an UNKNOWN one first when the
        // machine is so busy that the first check takes longer than the 200 ms the first sync waits for it).
        #expect((3...5).contains(agent.outbox.buffer.count), "\(agent.outbox.buffer.count) buffered")
        #expect(agent.outbox.buffer.coalesced >= 1)
        let buffered = agent.outbox.buffer.count
        itops.failing.value = false
        try await eventually("buffer drained") { agent.outbox.buffer.count == 0 && itops.bodies("operator/status").count >= buffered }
        running.cancel()
        await running.value
        let statuses = itops.bodies("operator/status").map {
            (($0["services"] as? [[String: Any]])?.first?["status"] as? String ?? "", $0["observedAt"] as? String ?? "")
        }
        // Only changes were kept while failing, and they arrive in order: the DOWN, then the recovery.
        // (The first OPERATIONAL may be missing when a loaded machine's first check lands after the
        // first sync took UNKNOWN and the buffer folded it into the next change.)
        let changes = Array(statuses.map(\.0).drop { $0 == "UNKNOWN" || $0 == "OPERATIONAL" }.prefix(2))
        #expect(changes == ["DOWN", "OPERATIONAL"], "\(statuses)")
        let stamps = statuses.map(\.1)
        #expect(stamps == stamps.sorted(), "oldest first: \(stamps)")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let down = try #require(statuses.first { $0.0 == "DOWN" })
        let stamped = try #require(formatter.date(from: down.1))
        // Stamped when the check saw it (while the target answered 503), not when it was finally sent.
        #expect(stamped >= downAt.addingTimeInterval(-0.1) && stamped <= upAt.addingTimeInterval(0.2), "\(stamped) vs \(downAt)…\(upAt)")
        #expect(agent.metrics.value("itops_agent_send_failures_total") > 0)
    }

    @Test("a report the server refuses (4xx) is dropped and counted, and does not hold up the rest; heartbeats go")
    func refusedReports() async throws {
        let itops = try await CapturingITOps()
        defer { itops.task.cancel() }
        itops.refusing.value = ["operator/register"]
        let directory = scratchDirectory("refused")
        defer { try? FileManager.default.removeItem(at: directory) }
        let yaml = """
            nodeId: agent/test/refused
            server: {url: "\(itops.url)", apiKey: k}
            syncInterval: 1s
            heartbeatInterval: 100ms
            buffer: {directory: "\(directory.path)/buffer", retryMin: 50ms, retryMax: 100ms}
            services:
              - name: web
                checks: [{type: command, command: [/bin/true], interval: 100ms}]
            """
        let agent = try Agent(config: try AgentConfig.parse(yaml), http: http, logger: Logger(label: "test"))
        let running = Task { await agent.runLoops() }
        try await eventually("a sync and a heartbeat counting the healthy service after the refused registration") {
            itops.latestSync()["web"]?["status"] as? String == "OPERATIONAL"
                && itops.bodies("operator/heartbeat").contains { $0["healthyServices"] as? Int == 1 }
        }
        running.cancel()
        await running.value
        #expect(agent.metrics.value("itops_agent_reports_rejected_total", [("path", "operator/register")]) == 1)
        #expect(itops.bodies("operator/register").isEmpty)
        let heartbeat = try #require(itops.bodies("operator/heartbeat").first { $0["healthyServices"] as? Int == 1 })
        #expect(heartbeat["nodeId"] as? String == "agent/test/refused" && heartbeat["version"] as? String == AgentVersion.current)
        #expect(heartbeat["watchedServices"] as? Int == 1 && heartbeat["unhealthyServices"] as? Int == 0)
    }

    @Test("a backlog is replayed oldest first at no more than replayRate reports a second")
    func boundedReplay() async throws {
        let itops = try await CapturingITOps()
        defer { itops.task.cancel() }
        let directory = scratchDirectory("replay")
        defer { try? FileManager.default.removeItem(at: directory) }
        let settings = AgentConfig.Buffer(
            directory: directory.path, maxBytes: 1 << 20, maxEntries: 100, replayRate: 10, retryMin: .milliseconds(50),
            retryMax: .milliseconds(100))
        let buffer = try ReportBuffer(directory: directory.path, maxBytes: 1 << 20, maxEntries: 100)
        for i in 0..<20 {
            try buffer.append(
                PendingReport(
                    path: "health/report", key: "health:s\(i)", fingerprint: "\(i)", observedAt: Date(),
                    body: Data("{\"service\": \"s\(i)\", \"status\": \"OPERATIONAL\"}".utf8)))
        }
        let server = AgentConfig.Server(url: itops.url, apiKey: "k", timeout: .seconds(5))
        let outbox = Outbox(
            buffer: buffer, client: ITOpsClient(http: http, server: server), settings: settings, metrics: AgentMetrics(),
            logger: Logger(label: "test"))
        let start = ContinuousClock.now
        let running = Task { await outbox.run() }
        try await eventually("all 20 sent") { itops.bodies("health/report").count == 20 }
        let took = ContinuousClock.now - start
        running.cancel()
        await running.value
        // 20 reports at 10 a second: the first goes at once, each next one 100 ms later.
        #expect(took >= .milliseconds(1800), "drained in \(took)")
        #expect(itops.bodies("health/report").map { $0["service"] as? String } == (0..<20).map { "s\($0)" })
    }

    @Test("the first sync waits for every check's first result instead of reporting UNKNOWN")
    func firstSyncWaits() async throws {
        let itops = try await CapturingITOps()
        defer { itops.task.cancel() }
        let directory = scratchDirectory("first-sync")
        defer { try? FileManager.default.removeItem(at: directory) }
        let yaml = """
            nodeId: agent/test/first
            server: {url: "\(itops.url)", apiKey: k}
            syncInterval: 5s
            buffer: {directory: "\(directory.path)/buffer"}
            services:
              - name: slow
                checks: [{type: command, command: [/bin/sleep, "0.5"], interval: 30s}]
              - name: fast
                checks: [{type: command, command: [/bin/true], interval: 30s, jitter: 300ms}]
            """
        let agent = try Agent(config: try AgentConfig.parse(yaml), http: http, logger: Logger(label: "test"))
        let running = Task { await agent.runLoops() }
        try await eventually("a first sync") { !itops.bodies("operator/status").isEmpty }
        running.cancel()
        await running.value
        let first = itops.bodies("operator/status")[0]["services"] as? [[String: Any]] ?? []
        #expect(first.map { $0["status"] as? String } == ["OPERATIONAL", "OPERATIONAL"], "\(first)")
    }

    @Test("itops-agent backup run reports outcome, size and duration, passes the exit code on, buffers when unreachable")
    func backupRun() async throws {
        let itops = try await CapturingITOps()
        defer { itops.task.cancel() }
        let directory = scratchDirectory("backup-run")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("it-ops.yaml")
        try Data(
            "nodeId: agent/test/backup\nserver: {url: \"\(itops.url)\", apiKey: k}\nbuffer: {directory: \"\(directory.path)/buffer\", retryMin: 10ms, retryMax: 20ms}\n"
                .utf8
        ).write(to: config)
        let dump = directory.appendingPathComponent("db.dump")
        let ok = try ChildProcess(
            try builtBinary("itops-agent"),
            ["backup", "run", "--config", config.path, "--service", "db", "--size-of", dump.path, "--", "/bin/sh", "-c", "printf 12345 > \(dump.path)"])
        #expect(await ok.exited() == 0, "\(ok.output)")
        let success = try #require(itops.bodies("backup/report").last)
        #expect(success["status"] as? String == "success" && success["sizeBytes"] as? Int == 5)
        #expect(success["service"] as? String == "db" && success["nodeId"] as? String == "agent/test/backup")
        #expect((success["message"] as? String)?.contains("completed in") == true)
        #expect(success["observedAt"] is String)

        let failed = try ChildProcess(
            try builtBinary("itops-agent"), ["backup", "run", "--config", config.path, "--service", "db", "--", "/bin/sh", "-c", "exit 3"])
        #expect(await failed.exited() == 3)
        #expect(itops.bodies("backup/report").last?["status"] as? String == "failed")

        itops.failing.value = true
        let buffered = try ChildProcess(
            try builtBinary("itops-agent"), ["backup", "run", "--config", config.path, "--service", "db", "--", "/bin/true"])
        #expect(await buffered.exited() == 0)
        let waiting = try ReportBuffer(directory: directory.path + "/buffer", maxBytes: 1 << 20, maxEntries: 10)
        #expect(waiting.count == 1)
        #expect(waiting.oldest()?.report.path == "backup/report")
    }
}

extension CheckOutput {
    var status: ServiceStatusName? {
        if case .status(let status, _) = self { return ServiceStatusName(rawValue: status.rawValue) }
        return nil
    }
}

/// Status spellings for comparisons in the tests.
enum ServiceStatusName: String { case operational = "OPERATIONAL", degraded = "DEGRADED", down = "DOWN", unknown = "UNKNOWN", maintenance = "MAINTENANCE" }
