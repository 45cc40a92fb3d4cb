import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// Starts a Hummingbird app on 127.0.0.1 with a free port; returns the port and the task serving it.
func serve(_ router: Router<BasicRequestContext>) async throws -> (port: Int, task: Task<Void, any Error>) {
    let port = Mutex<Int?>(nil)
    var logger = Logger(label: "stand-in")
    logger.logLevel = .critical
    let app = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } }, logger: logger)
    let task = Task { try await app.runService() }
    let deadline = ContinuousClock.now + .seconds(60)
    while port.withLock({ $0 }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    guard let bound = port.withLock({ $0 }) else { throw StandInError.notStarted }
    return (bound, task)
}

enum StandInError: Error { case notStarted, dropped }

/// A value shared between a test and its stand-ins.
final class Shared<Value: Sendable>: Sendable {
    private let box: Mutex<Value>
    init(_ value: Value) { box = Mutex(value) }
    var value: Value {
        get { box.withLock { $0 } }
        set { box.withLock { $0 = newValue } }
    }
    func update<T>(_ body: (inout Value) -> T) -> T { box.withLock { body(&$0) } }
}

/// A check target whose answer the test sets: `/health` answers `status` with body `ok`.
final class CheckTarget: Sendable {
    let status = Shared(200)
    let port: Int
    let task: Task<Void, any Error>

    init() async throws {
        let router = Router()
        let status = self.status
        router.get("health") { _, _ -> Response in
            Response(status: .init(code: status.value), body: .init(byteBuffer: ByteBuffer(string: "ok")))
        }
        (port, task) = try await serve(router)
    }

    /// Makes `/health` answer `code` from now on.
    func answer(_ code: Int) { status.value = code }

    var url: String { "http://127.0.0.1:\(port)/health" }
}

/// One request the stand-in ITOps server received.
struct Received: @unchecked Sendable {
    // @unchecked: `body` is parsed JSON (Foundation containers of strings, numbers, arrays), built once
    // and never mutated after it is stored.
    let path: String
    let body: [String: Any]
    let apiKey: String
}

/// A stand-in ITOps server: records every agent request body, answers 200 (or 503 while `failing`).
final class CapturingITOps: Sendable {
    let requests = Shared<[Received]>([])
    let failing = Shared(false)
    /// Paths answered 400 (a report the server refuses).
    let refusing = Shared<Set<String>>([])
    let port: Int
    let task: Task<Void, any Error>

    init() async throws {
        let router = Router()
        let requests = self.requests
        let failing = self.failing
        let refusing = self.refusing
        for path in ["operator/status", "operator/heartbeat", "operator/register", "health/report", "storage/report", "backup/report"] {
            router.post("api/v1/\(path)") { request, _ -> Response in
                let data = try await request.body.collect(upTo: 1 << 22)
                if failing.value { return Response(status: .serviceUnavailable) }
                if refusing.value.contains(path) {
                    return Response(
                        status: .badRequest, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: "{\"success\": false, \"error\": \"observedAt: too old\"}")))
                }
                let json = (try? JSONSerialization.jsonObject(with: Data(buffer: data))) as? [String: Any] ?? [:]
                let key = request.headers[HTTPField.Name("X-API-Key")!] ?? ""
                requests.update { $0.append(Received(path: path, body: json, apiKey: key)) }
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: "{\"success\": true}")))
            }
        }
        (port, task) = try await serve(router)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// The bodies posted to `path`, oldest first.
    func bodies(_ path: String) -> [[String: Any]] { requests.value.filter { $0.path == path }.map(\.body) }

    /// The services of the newest `operator/status` sync, by name.
    func latestSync() -> [String: [String: Any]] {
        let services = bodies("operator/status").last?["services"] as? [[String: Any]] ?? []
        return Dictionary(services.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    }
}
