import Foundation
import Hummingbird
import ITOpsCore
import NIOCore

/// The request context of every ITOps route.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's address, for login throttling and logs; `unknown` when there is no socket.
    /// The socket's peer, or — when the peer is a trusted proxy — the client it names in
    /// `X-Forwarded-For` (set by `RequestMiddleware`).
    public var clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Request bodies are capped at 1 MiB; larger ones answer 413.
    public var maxUploadSize: Int { 1 << 20 }
}
