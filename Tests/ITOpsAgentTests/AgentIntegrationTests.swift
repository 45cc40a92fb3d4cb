import AsyncHTTPClient
import Foundation
import Testing

@testable import ITOpsAgent

/// The real `itops-agent` binary against a real `itops serve`, both on loopback.
@Suite("itops-agent against itops serve", .serialized)
struct AgentIntegrationTests {
    static func config(server: String, directory: URL, target: String, extra: String = "") -> String {
        """
        nodeId: agent/test/host1
        server:
          url: \(server)
          apiKey: \(operatorKey)
          timeout: 2s
        syncInterval: 1s
        heartbeatInterval: 1s
        listen: 127.0.0.1:0
        buffer:
          directory: \(directory.path)/buffer
          replayRate: 50
          retryMin: 100ms
          retryMax: 500ms
        services:
          - name: web
            displayName: Web front
            criticality: high
            checks:
              - {type: http, url: "\(target)", interval: 200ms, timeout: 3s}
        \(extra)
        """
    }

    static func startAgent(_ yaml: String, directory: URL) async throws -> (ChildProcess, metricsPort: Int) {
        let path = directory.appendingPathComponent("it-ops.yaml")
        try Data(yaml.utf8).write(to: path)
        let agent = try ChildProcess(try builtBinary("itops-agent"), ["run", "--config", path.path])
        let output = try await agent.waitFor("metrics and health listening on 127.0.0.1:")
        let range = try #require(output.range(of: "metrics and health listening on 127.0.0.1:"))
        return (agent, try #require(Int(output[range.upperBound...].prefix { $0.isNumber })))
    }

    @Test("services appear and follow their check results; /metrics and /healthz answer; SIGTERM stops it cleanly")
    func followsChecks() async throws {
        let directory = scratchDirectory("follow")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerUnderTest(directory: directory.appendingPathComponent("data"))
        let target = try await CheckTarget()
        defer { target.task.cancel() }
        let extra = """
              - name: db
                criticality: critical
                operations: {backup: {expected: true, maxAgeDays: 1}}
                checks:
                  - {type: tcp, host: 127.0.0.1, port: \(server.port), interval: 300ms}
            """
        let (agent, metricsPort) = try await Self.startAgent(
            Self.config(server: server.url, directory: directory, target: target.url, extra: extra), directory: directory)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let client = JSONClient(http: http)
        do {
            func status(_ name: String) async throws -> String? {
                try await client.services(server.url, nodeId: "agent/test/host1")[name]?["status"] as? String
            }
            try await eventually("web and db OPERATIONAL") {
                let web = try await status("web")
                let db = try await status("db")
                return web == "OPERATIONAL" && db == "OPERATIONAL"
            }
            let services = try await client.services(server.url, nodeId: "agent/test/host1")
            #expect(services["web"]?["displayName"] as? String == "Web front")
            #expect(services["db"]?["criticality"] as? String == "critical")
            let backup = (services["db"]?["operations"] as? [String: Any])?["backup"] as? [String: Any]
            #expect(backup?["expected"] as? Bool == true)

            target.answer(503)
            try await eventually("web DOWN") { try await status("web") == "DOWN" }
            target.answer(200)
            try await eventually("web OPERATIONAL again") { try await status("web") == "OPERATIONAL" }

            let (metricsStatus, _) = try await client.send(.GET, "http://127.0.0.1:\(metricsPort)/healthz")
            #expect(metricsStatus == 200)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/metrics")
            request.method = .GET
            let metrics = String(buffer: try await http.execute(request, timeout: .seconds(5)).body.collect(upTo: 1 << 20))
            #expect(metrics.contains("itops_agent_reports_sent_total{path=\"operator/status\"}"))
            #expect(metrics.contains("itops_agent_checks_total{status=\"DOWN\",type=\"http\"}") || metrics.contains("itops_agent_checks_total{type=\"http\",status=\"DOWN\"}"))
            #expect(metrics.contains("# TYPE itops_agent_buffer_reports gauge"))
        } catch {
            Issue.record("agent output:\n\(agent.output)")
            throw error
        }
        let start = ContinuousClock.now
        let exit = await agent.stop()
        #expect(exit == 0)
        #expect(ContinuousClock.now - start < .seconds(5))
        await server.stop()
        try await http.shutdown()
    }

    @Test("the server stopped for a while: the outage is filled from the buffer at the observed times, counted once")
    func outageBackfill() async throws {
        let directory = scratchDirectory("outage")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerUnderTest(directory: directory.appendingPathComponent("data"))
        let target = try await CheckTarget()
        defer { target.task.cancel() }
        let (agent, metricsPort) = try await Self.startAgent(
            Self.config(server: server.url, directory: directory, target: target.url), directory: directory)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let client = JSONClient(http: http)
        func status(_ url: String) async throws -> String? {
            try await client.services(url, nodeId: "agent/test/host1")["web"]?["status"] as? String
        }
        try await eventually("web OPERATIONAL") { try await status(server.url) == "OPERATIONAL" }

        // The server goes away; meanwhile web goes down and comes back.
        await server.stop()
        try await Task.sleep(for: .milliseconds(500))
        let down = Date()
        target.answer(503)
        try await Task.sleep(for: .seconds(3))
        let up = Date()
        target.answer(200)
        try await Task.sleep(for: .seconds(1))
        let restarted = try await server.restarted()
        defer { Task { await restarted.stop() } }

        // The buffer drains; the current status is the latest observed.
        try await eventually("buffer drained", within: .seconds(30)) {
            let (_, health) = try await client.send(.GET, "http://127.0.0.1:\(metricsPort)/healthz")
            return health["buffered"] as? Int == 0
        }
        try await eventually("web OPERATIONAL after replay") { try await status(restarted.url) == "OPERATIONAL" }

        // One incident, opened and closed when the agent saw it happen (not when the server came back).
        let token = try await client.login(restarted.url)
        let id = try #require(try await client.services(restarted.url, nodeId: "agent/test/host1")["web"]?["id"] as? String)
        let json = try await client.graphQL(
            restarted.url, "{ incidents(serviceId: \"\(id)\") { openedAt closedAt open durationMinutes } }", token: token)
        let incidents = try #require((json["data"] as? [String: Any])?["incidents"] as? [[String: Any]], "\(json)")
        #expect(incidents.count == 1, "incidents: \(incidents)")
        let parse = { (text: Any?) -> Date? in
            guard let text = text as? String else { return nil }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: text) { return date }
            formatter.formatOptions = [.withInternetDateTime]
            return formatter.date(from: text)
        }
        let incident = try #require(incidents.first)
        let opened = try #require(parse(incident["openedAt"]), "\(incident)")
        let closed = try #require(parse(incident["closedAt"]), "\(incident)")
        // The check runs every 200 ms; a report is stamped when its check finished, which on a machine
        // loaded by the rest of the suite can be a second or two late. Stamped on arrival instead, the
        // incident would open more than 4.5 s late (the server was away that long).
        #expect(abs(opened.timeIntervalSince(down)) < 2.5, "opened \(opened) vs down \(down)")
        #expect(abs(closed.timeIntervalSince(up)) < 2.5, "closed \(closed) vs up \(up)")
        #expect(incident["open"] as? Bool == false)
        let minutes = try #require(incident["durationMinutes"] as? Double)
        #expect(abs(minutes * 60 - up.timeIntervalSince(down)) < 2.5, "\(minutes) min for \(up.timeIntervalSince(down)) s")
        await agent.stop()
        try await http.shutdown()
    }

    @Test("a bad it-ops.yaml is refused with its line number, by check and by run")
    func badConfig() async throws {
        let directory = scratchDirectory("bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("it-ops.yaml")
        try Data(
            """
            nodeId: agent/test/host1
            server: {url: "http://127.0.0.1:1", apiKey: k}
            services:
              - name: web
                checks:
                  - {type: tcp, host: localhost, port: 99999}

            """.utf8
        ).write(to: path)
        for command in ["check", "run"] {
            let process = try ChildProcess(try builtBinary("itops-agent"), [command, "--config", path.path])
            #expect(await process.exited() == 2)
            try await Task.sleep(for: .milliseconds(50))
            #expect(process.output.contains("services[0].checks[0].port (line 6): must be between 1 and 65535"), "\(process.output)")
        }
        try Data("nodeId: agent/test/host1\nserver: {url: \"http://127.0.0.1:1\", apiKey: k}\n".utf8).write(to: path)
        let ok = try ChildProcess(try builtBinary("itops-agent"), ["check", "--config", path.path])
        #expect(await ok.exited() == 0)
    }

    @Test("--log-format json writes one JSON object per line; --version prints the version")
    func jsonLogsAndVersion() async throws {
        let itops = try await CapturingITOps()
        defer { itops.task.cancel() }
        let directory = scratchDirectory("json")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("it-ops.yaml")
        try Data(
            "nodeId: agent/test/json\nserver: {url: \"\(itops.url)\", apiKey: k}\nlisten: 127.0.0.1:0\nbuffer: {directory: \"\(directory.path)/buffer\"}\n"
                .utf8
        ).write(to: path)
        let agent = try ChildProcess(try builtBinary("itops-agent"), ["run", "--config", path.path, "--log-format", "json"])
        _ = try await agent.waitFor("metrics and health listening")
        #expect(await agent.stop() == 0)
        let lines = agent.output.split(separator: "\n").filter { !$0.isEmpty }
        #expect(lines.count >= 3)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["ts"] is String && object["level"] is String && object["msg"] is String, "\(line)")
        }
        #expect(lines.contains { $0.contains("\"nodeId\":\"agent\\/test\\/json\"") || $0.contains("\"nodeId\":\"agent/test/json\"") })

        let version = try ChildProcess(try builtBinary("itops-agent"), ["--version"])
        #expect(await version.exited() == 0)
        try await Task.sleep(for: .milliseconds(50))
        #expect(version.output.trimmingCharacters(in: .whitespacesAndNewlines) == AgentVersion.current)
    }
}
