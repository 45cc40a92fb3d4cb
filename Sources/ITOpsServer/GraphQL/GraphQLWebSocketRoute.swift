import Foundation
import Synchronization
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import ITOpsCore
import ITOpsGraphQL
import NIOCore

/// The request context of `/graphql/ws`: what the WebSocket session needs from the upgrade.
struct GraphQLWebSocketContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    /// The client's address: the rate-limit key of anonymous callers.
    let clientAddress: String
    /// The connection, closed outright when a slow consumer cannot take even its close frame.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        channel = source.channel
    }
}

/// The two GraphQL-over-WebSocket subprotocols.
enum GraphQLSubprotocol: String, Sendable {
    /// `graphql-transport-ws` (the graphql-ws library): the current protocol.
    case transportWS = "graphql-transport-ws"
    /// `graphql-ws` (subscriptions-transport-ws): the legacy protocol of older clients.
    case legacy = "graphql-ws"

    /// The subprotocol to speak, from `Sec-WebSocket-Protocol`: the client's first known
    /// offer; `graphql-transport-ws` when it offers none; `nil` when it offers only unknown ones.
    static func negotiate(_ headers: HTTPFields) -> (GraphQLSubprotocol, offered: Bool)? {
        let offers = headers[values: .secWebSocketProtocol]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard !offers.isEmpty else { return (.transportWS, false) }
        for offer in offers {
            if let known = GraphQLSubprotocol(rawValue: offer) { return (known, true) }
        }
        return nil
    }
}

/// `GET /graphql/ws`: GraphQL over WebSocket, both subprotocols.
struct GraphQLWebSocketRoute {
    let runtime: ITOpsRuntime
    let auth: Authenticator
    let graphQL: GraphQLExecutor

    /// Frames up to 64 KiB; a ping every 30 s; 5 s for the client to answer a close.
    static let configuration = WebSocketServerConfiguration(
        maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(30)), closeTimeout: .seconds(5))

    func add(to router: Router<GraphQLWebSocketContext>) {
        let runtime = runtime
        let auth = auth
        let graphQL = graphQL
        router.ws(
            "graphql/ws",
            shouldUpgrade: { request, _ in
                guard let (subprotocol, offered) = GraphQLSubprotocol.negotiate(request.headers) else {
                    return .dontUpgrade
                }
                var headers = HTTPFields()
                if offered { headers[.secWebSocketProtocol] = subprotocol.rawValue }
                return .upgrade(headers)
            },
            onUpgrade: { inbound, outbound, context in
                let subprotocol = GraphQLSubprotocol.negotiate(context.request.headers)?.0 ?? .transportWS
                let session = GraphQLWebSocketSession(
                    subprotocol: subprotocol, runtime: runtime, auth: auth, graphQL: graphQL,
                    client: runtime.config.trustedProxies.client(
                        peer: context.requestContext.clientAddress,
                        forwardedFor: context.request.headers[values: .forwardedFor]),
                    channel: context.requestContext.channel,
                    upgradeRequest: context.request, logger: context.logger)
                runtime.metrics.webSocketOpened()
                // A graceful stop (SIGTERM) closes the session with 1001 (`ShutdownWatchdog`).
                let registration = runtime.webSockets.register { session.closeForShutdown() }
                defer {
                    runtime.webSockets.unregister(registration)
                    runtime.metrics.webSocketClosed()
                }
                try await session.run(inbound: inbound, outbound: outbound)
            })
    }
}

/// The open GraphQL WebSocket sessions, so that a graceful stop closes them with 1001 (going away) before the
/// HTTP server's own shutdown, which would close them with 1000.
final class WebSocketRegistry: Sendable {
    private struct State {
        var stopping = false
        var sessions: [UUID: @Sendable () -> Void] = [:]
    }
    private let state = Mutex(State())

    /// Registers a session's `close`; when the server is already stopping, calls it at once.
    func register(_ close: @escaping @Sendable () -> Void) -> UUID {
        let id = UUID.random()
        let stopping = state.withLock { state in
            if !state.stopping { state.sessions[id] = close }
            return state.stopping
        }
        if stopping { close() }
        return id
    }

    func unregister(_ id: UUID) { _ = state.withLock { $0.sessions.removeValue(forKey: id) } }

    /// Sessions open now.
    var count: Int { state.withLock { $0.sessions.count } }

    /// Closes every open session, and every one that opens from now on.
    func closeAll() {
        let closers = state.withLock { state in
            state.stopping = true
            return Array(state.sessions.values)
        }
        for close in closers { close() }
    }
}
