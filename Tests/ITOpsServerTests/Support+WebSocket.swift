import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import HummingbirdWSTesting
import ITOpsCore
import ITOpsServer
import Logging
import NIOWebSocket
import Testing

extension TestApp {
    /// Runs `body` against the real application on a real loopback port (WebSocket needs it).
    func runLive<T: Sendable>(_ body: @Sendable (LiveClient) async throws -> T) async throws -> T {
        let app = buildApplication(runtime: runtime, runJobs: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await app.test(.live) { client in try await body(LiveClient(raw: client, app: self)) }
    }

    /// Creates a user with `role` and signs in; returns the access token.
    func token(_ client: Client, role: Role, email: String? = nil) async throws -> String {
        let email = email ?? "\(role.rawValue)-\(UUID().uuidString.prefix(8))@example.com"
        _ = try await runtime.createUser(email: email, password: "password-123", role: role)
        return try await client.login(email, "password-123")
    }

    /// Waits until the event bus has `count` subscribers (a subscription reached the bus).
    func waitForSubscribers(_ count: Int) async throws {
        for _ in 0..<500 {
            if runtime.events.subscriberCount >= count { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the event bus never reached \(count) subscribers (has \(runtime.events.subscriberCount))")
    }
}

/// The HTTP client and the WebSocket opener of a live test.
struct LiveClient: Sendable {
    let raw: any TestClientProtocol
    let app: TestApp
    var http: Client { Client(raw: raw) }

    /// Opens `/graphql/ws` with `subprotocol` and runs `script`; returns the server's close frame.
    @discardableResult
    func webSocket(
        subprotocol: String? = "graphql-transport-ws", headers extra: HTTPFields = [:],
        _ script: @escaping @Sendable (WebSocketScript) async throws -> Void
    ) async throws -> WebSocketCloseFrame? {
        var headers = extra
        if let subprotocol { headers[.secWebSocketProtocol] = subprotocol }
        var logger = Logger(label: "ws-test")
        logger.logLevel = .warning
        return try await raw.ws(
            "/graphql/ws",
            configuration: .init(maxFrameSize: 1 << 22, additionalHeaders: headers, autoPing: .disabled),
            logger: logger
        ) { inbound, outbound, _ in
            try await script(WebSocketScript(inbound: inbound, outbound: outbound))
        }
    }
}

/// Speaks JSON messages over a test WebSocket, one at a time.
final class WebSocketScript: @unchecked Sendable {
    // @unchecked: used only by the one task that runs the script (the client's handler); the
    // iterator is never shared.
    private var iterator: WebSocketInboundMessageStream.AsyncIterator
    let outbound: WebSocketOutboundWriter

    init(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) {
        iterator = inbound.messages(maxSize: 1 << 24).makeAsyncIterator()
        self.outbound = outbound
    }

    func send(_ text: String) async throws { try await outbound.write(.text(text)) }

    /// Sends a JSON object.
    func send(_ object: [String: Any]) async throws {
        try await send(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }

    /// The next message as a JSON object; `nil` once the server closed.
    func receive() async throws -> [String: Any]? {
        guard let message = try await iterator.next() else { return nil }
        guard case .text(let text) = message else { return ["binary": true] }
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    /// The next message that is not a keep-alive (`ka`) or `ping`.
    func receiveSkippingKeepAlive() async throws -> [String: Any]? {
        while true {
            guard let message = try await receive() else { return nil }
            let type = message["type"] as? String
            if type == "ka" || type == "ping" { continue }
            return message
        }
    }

    /// Reads until the server closes; returns the messages seen.
    func drainUntilClosed() async throws -> [[String: Any]] {
        var seen: [[String: Any]] = []
        while let message = try await receive() { seen.append(message) }
        return seen
    }

    /// `connection_init` with `token`, expecting `connection_ack`.
    func initialise(token: String?) async throws {
        var payload: [String: Any] = [:]
        if let token { payload["Authorization"] = "Bearer \(token)" }
        try await send(["type": "connection_init", "payload": payload])
        let ack = try await receive()
        #expect(ack?["type"] as? String == "connection_ack", "expected connection_ack, got \(String(describing: ack))")
    }

    /// `subscribe` (graphql-transport-ws) of `query` under `id`.
    func subscribe(_ id: String, _ query: String, variables: [String: Any] = [:]) async throws {
        try await send(["type": "subscribe", "id": id, "payload": ["query": query, "variables": variables]])
    }
}

extension [String: Any] {
    /// `payload.data.<field>` of a `next` message.
    func payloadData(_ field: String) -> [String: Any]? {
        (((self["payload"] as? [String: Any])?["data"] as? [String: Any])?[field]) as? [String: Any]
    }

    /// `extensions.code` of the first error of an `error` message (or a `next` with errors).
    var firstErrorCode: String? {
        let errors =
            (self["payload"] as? [[String: Any]])
            ?? ((self["payload"] as? [String: Any])?["errors"] as? [[String: Any]])
        return (errors?.first?["extensions"] as? [String: Any])?["code"] as? String
    }
}

extension Optional where Wrapped == WebSocketCloseFrame {
    /// The close code as a number.
    var code: Int? {
        guard let frame = self else { return nil }
        switch frame.closeCode {
        case .unknown(let code): return Int(code)
        case .normalClosure: return 1000
        case .goingAway: return 1001
        case .protocolError: return 1002
        case .policyViolation: return 1008
        case .messageTooLarge: return 1009
        case .unexpectedServerError: return 1011
        default: return -1
        }
    }
}

/// A health push body.
func healthReport(_ service: String, node: String, status: String, message: String? = nil) -> String {
    var body = "{\"service\": \"\(service)\", \"nodeId\": \"\(node)\", \"status\": \"\(status)\""
    if let message { body += ", \"message\": \(jsonString(message))" }
    return body + "}"
}
