import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdWSClient
import ITOpsCore
import ITOpsServer
import ITOpsStore
import Logging
import NIOCore
import Synchronization
import Testing

@Suite("Graceful stop", .serialized)
struct GracefulStopTests {
    @Test("SIGTERM under load: no request answered 200 is lost, none is cut mid-response, WebSockets close with 1001")
    func sigterm() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-term-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let timeout = 10
        let server = try await ServerProcess(
            dataDirectory: directory.path, environment: ["ITOPS_SHUTDOWN_TIMEOUT": "\(timeout)s"])
        let port = server.port
        let load = ReportLoad(node: "term/test")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let worker = Task { await load.run(port: port, client: client) }

        // A GraphQL WebSocket that stays open until the server closes it.
        let connected = Atomic(false)
        let socket = Task { () -> Int? in
            var logger = Logger(label: "ws-test")
            logger.logLevel = .critical
            var configuration = WebSocketClientConfiguration()
            configuration.additionalHeaders[.secWebSocketProtocol] = "graphql-transport-ws"
            configuration.autoPing = .disabled
            let frame = try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/graphql/ws", configuration: configuration, logger: logger
            ) { inbound, outbound, _ in
                try await outbound.write(
                    .text("{\"type\": \"connection_init\", \"payload\": {\"Authorization\": \"Bearer \(operatorKey)\"}}"))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message, text.contains("connection_ack") {
                        connected.store(true, ordering: .releasing)
                    }
                }
            }
            return frame.code
        }
        let started = ContinuousClock.now
        while load.count < 300 || !connected.load(ordering: .acquiring) {
            try await Task.sleep(for: .milliseconds(5))
            if ContinuousClock.now - started > .seconds(60) {
                Issue.record("no load or no acknowledged WebSocket after 60 s (count \(load.count))")
                break
            }
        }
        let stop = await server.terminate()
        load.stop()
        await worker.value
        try await client.shutdown()
        let closeCode = try await socket.value

        #expect(stop.status == 0, "the server exited with \(String(describing: stop.status))")
        #expect(stop.took < .seconds(timeout + 2), "the stop took \(stop.took)")
        #expect(closeCode == 1001, "the WebSocket closed with \(String(describing: closeCode))")
        let cut = load.cut.withLock { $0 }
        #expect(cut.isEmpty, "\(cut.count) responses were cut or unreadable: \(cut.prefix(3))")
        let statuses = load.statuses.withLock { $0 }
        #expect(Set(statuses.keys).isSubset(of: [200, 503]), "\(statuses)")

        let names = load.acknowledged.withLock { $0 }
        let missing = try await missingReports(names, node: "term/test", directory: directory)
        #expect(missing.isEmpty, "lost \(missing.count) of \(names.count) acknowledged reports: \(missing.prefix(5))")
        // The lock went with the process: the next start (or a restore) may take it.
        #expect(!DatabaseLock.isHeld(databasePath: directory.appendingPathComponent("itops.db").path))
    }

    @Test("ITOPS_SHUTDOWN_TIMEOUT takes a duration up to 10 minutes")
    func timeoutVariable() throws {
        #expect(try Config.load(environment: [:]).shutdownTimeout == 30)
        #expect(try Config.load(environment: ["ITOPS_SHUTDOWN_TIMEOUT": "5s"]).shutdownTimeout == 5)
        #expect(try Config.load(environment: [:], overrides: ["ITOPS_SHUTDOWN_TIMEOUT": "2m"]).shutdownTimeout == 120)
        for bad in ["11m", "0", "soon"] {
            #expect(throws: ConfigError.self) { try Config.load(environment: ["ITOPS_SHUTDOWN_TIMEOUT": bad]) }
        }
    }

    @Test("a second itops serve on the same SQLite data directory refuses to start")
    func secondServerRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-lock-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerProcess(dataDirectory: directory.path)
        let second = try await ITOpsBinary.run(
            ["serve"], environment: ["ITOPS_DATA_DIR": directory.path, "ITOPS_PORT": "0"])
        #expect(second.status != 0)
        #expect(second.errors.contains("another itops process"), "\(second.errors)")
        let stop = await server.terminate()
        #expect(stop.status == 0)
    }
}
