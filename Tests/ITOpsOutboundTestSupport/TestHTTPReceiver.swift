import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP server on 127.0.0.1 and a free port, for outbound tests: it counts the TCP connections it
/// accepts (the proof that a refused call opened none) and records every request it answers.
public final class TestHTTPReceiver: Sendable {
    /// A request as received.
    public struct Received: Sendable {
        public var method: String
        public var uri: String
        /// Header names lower-cased; a repeated header keeps its last value.
        public var headers: [String: String]
        public var body: [UInt8]
        /// The body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// The answer to a request; status 0 means "never answer" (for timeouts).
    public struct Reply: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: String

        public init(status: Int, headers: [(String, String)] = [], body: String = "") {
            self.status = status
            self.headers = headers
            self.body = body
        }

        /// 200 with a small body.
        public static let ok = Reply(status: 200, body: "ok")
        /// No answer at all.
        public static let hang = Reply(status: 0)
    }

    private struct State {
        var accepted = 0
        var requests: [Received] = []
    }

    private let state = Mutex(State())
    private let replies: @Sendable (_ index: Int, _ request: Received) -> Reply
    private let channel = Mutex<(any Channel)?>(nil)
    /// The port it listens on.
    public let port: Int

    private init(port: Int, replies: @escaping @Sendable (Int, Received) -> Reply) {
        self.port = port
        self.replies = replies
    }

    /// Starts a receiver on 127.0.0.1 answering request `index` (from 0) with `replies(index, request)`.
    public static func start(
        replies: @escaping @Sendable (_ index: Int, _ request: Received) -> Reply = { _, _ in .ok }
    )
        async throws -> TestHTTPReceiver
    {
        let box = ReceiverBox()
        let channel = try await ServerBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    guard let receiver = box.value.withLock({ $0 }) else { return }
                    receiver.state.withLock { $0.accepted += 1 }
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    try child.pipeline.syncOperations.addHandler(ReceiverHandler(receiver: receiver))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let receiver = TestHTTPReceiver(port: channel.localAddress?.port ?? 0, replies: replies)
        receiver.channel.withLock { $0 = channel }
        box.value.withLock { $0 = receiver }
        return receiver
    }

    /// `http://127.0.0.1:<port><path>`.
    public func url(_ path: String = "/") -> String { "http://127.0.0.1:\(port)\(path)" }

    /// TCP connections accepted so far.
    public var acceptedConnections: Int { state.withLock { $0.accepted } }

    /// Requests received so far, in order.
    public var requests: [Received] { state.withLock { $0.requests } }

    /// Waits until at least `count` requests arrived (at most `timeout`); returns them.
    public func waitForRequests(_ count: Int, timeout: Duration = .seconds(30)) async -> [Received] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let current = requests
            if current.count >= count { return current }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return requests
    }

    /// Stops listening.
    public func stop() async {
        let channel = self.channel.withLock { $0 }
        try? await channel?.close()
    }

    fileprivate func record(_ request: Received) -> Reply {
        let index = state.withLock { state in
            state.requests.append(request)
            return state.requests.count - 1
        }
        return replies(index, request)
    }
}

private final class ReceiverBox: Sendable {
    let value = Mutex<TestHTTPReceiver?>(nil)
}

/// A flag tests flip while a receiver's reply closure reads it.
public final class TestFlag: Sendable {
    private let value = Mutex(false)
    public init() {}
    public var isSet: Bool { value.withLock { $0 } }
    public func set(_ on: Bool = true) { value.withLock { $0 = on } }
}

private final class ReceiverHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let receiver: TestHTTPReceiver
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(receiver: TestHTTPReceiver) { self.receiver = receiver }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(let buffer):
            body += buffer.readableBytesView
        case .end:
            guard let head else { return }
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            let reply = receiver.record(
                TestHTTPReceiver.Received(method: head.method.rawValue, uri: head.uri, headers: headers, body: body))
            guard reply.status > 0 else { return }
            var responseHeaders = HTTPHeaders(reply.headers)
            responseHeaders.add(name: "Content-Length", value: "\(reply.body.utf8.count)")
            responseHeaders.add(name: "Connection", value: "close")
            let responseHead = HTTPResponseHead(
                version: .http1_1, status: HTTPResponseStatus(statusCode: reply.status), headers: responseHeaders)
            context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: reply.body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
