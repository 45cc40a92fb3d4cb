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
        let process = Process()
        process.executableURL = try ITOpsBinary.locate()
        process.arguments = ["serve"]
        var environment = ["ITOPS_PORT": "0", "ITOPS_DATA_DIR": dataDirectory, "ITOPS_OPERATOR_API_KEY": operatorKey]
        environment.merge(extra) { $1 }
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        process.environment = environment
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.runSerially()
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

@Suite("Crash safety", .serialized)
struct CrashSafetyTests {
    @Test("SIGKILL in the middle of a stream of reports loses no report that was answered 200")
    func sigkill() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-kill-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerProcess(dataDirectory: directory.path)
        let load = ReportLoad(node: "kill/test")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let port = server.port
        let killAfter = 400
        let worker = Task { await load.run(port: port, workers: 8, client: client) }
        while load.count < killAfter { try await Task.sleep(for: .milliseconds(2)) }
        server.kill()
        await worker.value
        try await client.shutdown()
        let names = load.acknowledged.withLock { $0 }
        #expect(names.count >= killAfter)

        // Every acknowledged report is in the database that the killed process left behind.
        let missing = try await missingReports(names, node: "kill/test", directory: directory)
        #expect(missing.isEmpty, "lost \(missing.count) acknowledged reports, e.g. \(missing.prefix(5))")

        // And the server starts again on the same data.
        let restarted = try await ServerProcess(dataDirectory: directory.path)
        restarted.kill()
    }
}
