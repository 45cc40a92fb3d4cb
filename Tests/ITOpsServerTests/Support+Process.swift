import AsyncHTTPClient
import Foundation
import ITOpsCore
import ITOpsStore
import Logging
import NIOCore
import Synchronization
import Testing

/// The `itops` binary built next to the test bundle, run as a command.
enum ITOpsBinary {
    /// Where the binary is.
    static func locate() throws -> URL {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates =
            [binary, binary.deletingLastPathComponent()]
            .map { $0.appendingPathComponent("itops") }
            + [Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("itops")]
        return try #require(
            candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
            "itops binary not found near \(binary.path)")
    }

    /// What a command printed and how it ended.
    struct Outcome: Sendable {
        let status: Int32
        let output: String
        let errors: String
    }

    /// `itops arguments…` with only `environment` (plus PATH), its output and errors piped, started.
    static func start(_ arguments: [String], environment: [String: String]) throws -> (
        process: Process, output: Pipe, errors: Pipe
    ) {
        let process = Process()
        process.executableURL = try locate()
        process.arguments = arguments
        var environment = environment
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.runSerially()
        return (process, output, errors)
    }

    /// Runs `itops arguments…` with only `environment` (plus PATH) and waits for it.
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Outcome {
        let (process, output, errors) = try start(arguments, environment: environment)
        // Read both pipes off the cooperative pool so a chatty command never blocks on a full pipe.
        let errorText = Captured()
        let (out, err) = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let reader = Thread {
                    errorText.data.withLock { $0 = errors.fileHandleForReading.readDataToEndOfFile() }
                }
                reader.start()
                let outData = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                while !reader.isFinished { Thread.sleep(forTimeInterval: 0.005) }
                continuation.resume(returning: (outData, errorText.data.withLock { $0 }))
            }
        }
        return Outcome(
            status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
            errors: String(decoding: err, as: UTF8.self))
    }
}

/// Bytes one thread reads for another.
final class Captured: Sendable {
    let data = Mutex(Data())
}

extension ServerProcess {
    /// Sends SIGTERM and waits for the process to end; returns its exit status and how long it took.
    func terminate(waitingAtMost limit: Duration = .seconds(60)) async -> (status: Int32?, took: Duration) {
        let start = ContinuousClock.now
        Foundation.kill(process.processIdentifier, SIGTERM)
        while process.isRunning, ContinuousClock.now - start < limit {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let took = ContinuousClock.now - start
        guard !process.isRunning else {
            kill()
            return (nil, took)
        }
        return (process.terminationStatus, took)
    }
}

/// Posts unique health reports from several workers until told to stop, recording those answered 200 and
/// any response that arrived incomplete or unreadable (cut mid-response).
final class ReportLoad: Sendable {
    let acknowledged = Mutex<[String]>([])
    let cut = Mutex<[String]>([])
    let statuses = Mutex<[UInt: Int]>([:])
    private let stopped = Atomic(false)
    let node: String

    init(node: String) { self.node = node }

    var count: Int { acknowledged.withLock { $0.count } }
    func stop() { stopped.store(true, ordering: .releasing) }

    /// Runs `workers` loops against `port` until `stop()`, each until its first request without an answer.
    func run(port: Int, workers: Int = 6, client: HTTPClient) async {
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    for i in 0..<1_000_000 {
                        if self.stopped.load(ordering: .acquiring) { return }
                        let name = "svc-\(worker)-\(i)"
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/health/report")
                        request.method = .POST
                        request.headers.add(name: "X-API-Key", value: operatorKey)
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(
                            ByteBuffer(
                                string: "{\"service\": \"\(name)\", \"nodeId\": \"\(self.node)\", \"status\": \"OPERATIONAL\"}"
                            ))
                        let response: HTTPClientResponse
                        do {
                            response = try await client.execute(request, timeout: .seconds(5))
                        } catch {
                            return  // refused or closed before an answer: the server is gone or going
                        }
                        self.statuses.withLock { $0[response.status.code, default: 0] += 1 }
                        do {
                            let body = try await response.body.collect(upTo: 1 << 16)
                            let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
                            guard let success = json?["success"] as? Bool else {
                                self.cut.withLock { $0.append("\(name): \(String(buffer: body))") }
                                continue
                            }
                            if response.status == .ok, success { self.acknowledged.withLock { $0.append(name) } }
                        } catch {
                            self.cut.withLock { $0.append("\(name): \(error)") }
                        }
                    }
                }
            }
        }
    }
}

/// The names among `names` that have no service under `node` in the SQLite database of `directory`.
func missingReports(_ names: [String], node: String, directory: URL) async throws -> [String] {
    let store = try await SQLStore.open(
        .sqlite(path: directory.appendingPathComponent("itops.db").path, durability: .full), clock: SystemWallClock(),
        logger: Logger(label: "test"))
    let path = try NodePath(validating: node)
    var missing: [String] = []
    for name in names where try await store.reader.service(nodeId: path, name: name) == nil {
        missing.append(name)
    }
    await store.shutdown()
    return missing
}
