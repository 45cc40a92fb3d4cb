import AsyncHTTPClient
import Foundation
import ITOpsCore
import ITOpsStore
import Logging
import NIOCore
import Synchronization
import Testing

/// What a stream of reports saw while the database restarted.
final class FaultTally: Sendable {
    struct State {
        var acknowledged: [String] = []
        var statuses: [Int: Int] = [:]
        var transportErrors: [String] = []
        var slowest: Duration = .zero
    }
    let state = Mutex(State())
}

/// Restarts a PostgreSQL cluster of its own under load. Runs when `.ci/run` (or a developer) started
/// one with `scripts/pg-test-cluster.sh start ITOPS_TEST_FAULT`.
@Suite(
    "PostgreSQL restarts under load",
    .enabled(
        if: ProcessInfo.processInfo.environment["ITOPS_TEST_FAULT_PG_RESTART"] != nil,
        "needs ITOPS_TEST_FAULT_DATABASE_URL and ITOPS_TEST_FAULT_PG_RESTART"))
struct DatabaseFaultTests {
    @Test("a restart gives 503s, never another 5xx or a hang; no 200 is lost; ready again within 5 s")
    func restartUnderLoad() async throws {
        let environment = ProcessInfo.processInfo.environment
        let admin = try #require(environment["ITOPS_TEST_FAULT_DATABASE_URL"])
        let restart = try #require(environment["ITOPS_TEST_FAULT_PG_RESTART"])
        let name = "itops_fault_" + UUID().uuidString.prefix(8).lowercased()
        try TemplateDatabase.runPSQL(admin, "CREATE DATABASE \(name)")
        let url = TestDatabase.url(admin, database: name)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "itops-fault-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerProcess(dataDirectory: directory.path, environment: ["ITOPS_DATABASE_URL": url])
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let port = server.port
        let tally = FaultTally()
        let stopFlag = StopFlag()

        async let load: Void = withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var i = 0
                    while !stopFlag.isSet {
                        i += 1
                        let name = "svc-\(worker)-\(i)"
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/health/report")
                        request.method = .POST
                        request.headers.add(name: "X-API-Key", value: operatorKey)
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(
                            ByteBuffer(
                                string: "{\"service\": \"\(name)\", \"nodeId\": \"fault\", \"status\": \"OPERATIONAL\"}"
                            ))
                        let start = ContinuousClock.now
                        do {
                            let response = try await client.execute(request, timeout: .seconds(15))
                            _ = try await response.body.collect(upTo: 1 << 16)
                            let elapsed = ContinuousClock.now - start
                            tally.state.withLock { state in
                                state.statuses[Int(response.status.code), default: 0] += 1
                                if response.status == .ok { state.acknowledged.append(name) }
                                state.slowest = max(state.slowest, elapsed)
                            }
                        } catch {
                            tally.state.withLock { $0.transportErrors.append("\(error)") }
                        }
                    }
                }
            }
        }

        try await Task.sleep(for: .seconds(1))
        let restartStatus = try shell(restart)
        #expect(restartStatus == 0, "the restart command failed")
        // The database accepts connections again: measure until ITOps is ready.
        let back = ContinuousClock.now
        var readyAfter: Duration?
        while ContinuousClock.now - back < .seconds(15) {
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/ready")
            if let response = try? await client.execute(request, timeout: .seconds(2)), response.status == .ok {
                readyAfter = ContinuousClock.now - back
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .seconds(1))  // keep reporting after recovery
        stopFlag.set()
        await load
        try await client.shutdown()

        let state = tally.state.withLock { $0 }
        #expect(server.process.isRunning, "the server crashed")
        server.kill()
        let ready = try #require(readyAfter, "not ready within 15 s of the database")
        #expect(ready < .seconds(5), "ready \(ready) after the database")
        let unexpected = state.statuses.filter { $0.key != 200 && $0.key != 503 }
        #expect(unexpected.isEmpty, "statuses other than 200 and 503: \(unexpected)")
        #expect(state.transportErrors.isEmpty, "requests that hung or broke: \(state.transportErrors.prefix(3))")
        // Bounds: 5 s to get a connection, then 5 s per statement (a wedged connection).
        #expect(state.slowest < .seconds(12), "slowest answer took \(state.slowest)")
        #expect((state.statuses[200] ?? 0) > 5, "the load never got going")

        let store = try await SQLStore.open(
            .postgres(url: url), clock: SystemWallClock(), logger: Logger(label: "test"))
        let node = try NodePath(validating: "fault")
        var missing = 0
        for name in state.acknowledged where try await store.reader.service(nodeId: node, name: name) == nil {
            missing += 1
        }
        #expect(missing == 0, "\(missing) reports answered 200 are not in the database")
        await store.shutdown()
        try? TemplateDatabase.runPSQL(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        print("fault test: \(state.statuses), ready after \(ready), slowest \(state.slowest)")
    }
}

final class StopFlag: Sendable {
    private let flag = Atomic(false)
    func set() { flag.store(true, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}

/// Runs `command` with /bin/sh and returns its exit status.
///
/// Through Python's `subprocess` with `close_fds`: the command restarts a database server, and a server
/// started straight from `system` was seen holding this process's open sockets — its database
/// connections stayed open for as long as that server ran. `system`
/// rather than `Process`, because Foundation's `waitUntilExit` can miss the exit of a command that
/// leaves a daemon behind.
func shell(_ command: String) throws -> Int32 {
    let script =
        "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1], shell=True, close_fds=True, "
        + "stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))"
    let quoted = "'" + command.replacingOccurrences(of: "'", with: "'\\''") + "'"
    let status = system("python3 -c '\(script)' \(quoted) </dev/null >/dev/null 2>&1")
    return status == -1 ? -1 : (status >> 8) & 0xff
}
