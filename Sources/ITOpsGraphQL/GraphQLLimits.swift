import Foundation

/// Limits that keep GraphQL safe, applied identically over HTTP and WebSocket.
public struct GraphQLLimits: Sendable, Equatable {
    /// Largest document, in UTF-8 bytes (`DOCUMENT_TOO_LARGE`).
    public var maxDocumentBytes = 32 * 1024
    /// Deepest nesting of fields with selections, fragments inlined (`QUERY_TOO_DEEP`).
    /// The standard introspection query needs 13.
    public var maxDepth = 15
    /// Largest cost (`QUERY_TOO_COMPLEX`): every field costs 1, and what is below a list field
    /// counts once per element: its `first` argument, or `defaultListSize` without one.
    public var maxComplexity = 20_000
    /// The assumed length of a list field that has no `first` argument.
    public var defaultListSize = 20
    /// Sustained requests per second per principal (anonymous callers: per client address);
    /// each GraphQL operation, over either transport, takes one token (`RATE_LIMITED`); 0 turns
    /// the limit off.
    public var requestsPerSecond: Double = 50
    /// Token-bucket size: how many operations may come at once after a quiet spell.
    public var burst: Double = 200
    /// Parsed and validated documents kept, least recently used dropped first.
    public var documentCacheSize = 512
    /// Messages queued for one WebSocket before it counts as a slow consumer and is closed; also
    /// the size of each subscription's buffer on the event bus (oldest events lost first when the
    /// server itself cannot execute them as fast as they are published).
    public var subscriberBufferSize = 1024
    /// Active operations on one WebSocket.
    public var maxOperationsPerConnection = 100
    /// How long a WebSocket may stay open without `connection_init`.
    public var connectionInitTimeout: Duration = .seconds(10)
    /// Largest inbound WebSocket message, in bytes.
    public var maxMessageBytes = 64 * 1024

    /// The defaults above.
    public init() {}
}
