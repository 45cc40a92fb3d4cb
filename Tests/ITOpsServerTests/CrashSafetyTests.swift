import AsyncHTTPClient
import Foundation
import ITOpsCore
import ITOpsStore
import Logging
import NIOCore
import Synchronization
import Testing

/// A real `itops serve` process on loopback, for tests that need a process to kill.
final class ServerProcess: Sendable {
    let process: Process
    let port: Int

    /// Starts the `itops` binary built next to the test bundle, waiting for its listening line.
    init(dataDirectory: String, environment extra: [String: String] = [:]) async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates =
            [binary, binary.deletingLastPathComponent()]
            .map { $0.appendingPathComponent("itops") }
            + [Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("itops")]
        let executable = try #require(
            candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
            "itops binary not found near \(binary.path)")
        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve"]
        var environment = ["ITOPS_PORT": "0", "ITOPS_DATA_DIR": dataDirectory, "ITOPS_OPERATOR_API_KEY": operatorKey]
        environment.merge(extra) { $1 }
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        process.environment = environment
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        self.process = process
        // Hummingbird logs "Server started and listening on 127.0.0.1:PORT".
        var output = ""
        let deadline = ContinuousClock.now + .seconds(60)
        var found: Int?
        while found == nil, ContinuousClock.now < deadline, process.isRunning {
            let data = pipe.fileHandleForReading.availableData
            if data.isEmpty { try await Task.sleep(for: .milliseconds(20)); continue }
            output += String(decoding: data, as: UTF8.self)
            if let range = output.range(of: "listening on 127.0.0.1:") {
                let digits = output[range.upperBound...].prefix { $0.isNumber }
                found = Int(digits)
            }
        }
        guard let found else {
            process.terminate()
            throw ServerStartFailed(output: output)
        }
        port = found
        // Keep draining stderr so the server never blocks on a full pipe.
        pipe.fileHandleForReading.readabilityHandler = { _ = $0.availableData }
    }

    struct ServerStartFailed: Error, CustomStringConvertible {
        let output: String
        var description: String { "server did not start:\n\(output)" }
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// Names of reports answered 200, appended from many tasks.
final class Acknowledged: Sendable {
    let names = Mutex<[String]>([])
}

@Suite("Crash safety", .serialized)
struct CrashSafetyTests {
    @Test("SIGKILL in the middle of a stream of reports loses no report that was answered 200")
    func sigkill() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-kill-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerProcess(dataDirectory: directory.path)
        let acknowledged = Acknowledged()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let port = server.port
        let killAfter = 400
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for i in 0..<10_000 {
                        let name = "svc-\(worker)-\(i)"
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/health/report")
                        request.method = .POST
                        request.headers.add(name: "X-API-Key", value: operatorKey)
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(
                            ByteBuffer(
                                string:
                                    "{\"service\": \"\(name)\", \"nodeId\": \"kill/test\", \"status\": \"OPERATIONAL\"}"
                            ))
                        do {
                            let response = try await client.execute(request, timeout: .seconds(5))
                            _ = try await response.body.collect(upTo: 1 << 16)
                            guard response.status == .ok else { return }
                            acknowledged.names.withLock { $0.append(name) }
                        } catch {
                            return  // the server is gone
                        }
                    }
                }
            }
            group.addTask {
                while acknowledged.names.withLock({ $0.count }) < killAfter {
                    try? await Task.sleep(for: .milliseconds(2))
                }
                server.kill()
            }
        }
        try await client.shutdown()
        let names = acknowledged.names.withLock { $0 }
        #expect(names.count >= killAfter)

        // Every acknowledged report is in the database that the killed process left behind.
        let store = try await SQLStore.open(
            .sqlite(path: directory.appendingPathComponent("itops.db").path, durability: .full),
            clock: SystemWallClock(), logger: Logger(label: "test"))
        let node = try NodePath(validating: "kill/test")
        var missing: [String] = []
        for name in names where try await store.reader.service(nodeId: node, name: name) == nil {
            missing.append(name)
        }
        #expect(missing.isEmpty, "lost \(missing.count) acknowledged reports, e.g. \(missing.prefix(5))")
        await store.shutdown()

        // And the server starts again on the same data.
        let restarted = try await ServerProcess(dataDirectory: directory.path)
        restarted.kill()
    }
}
