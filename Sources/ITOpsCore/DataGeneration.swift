import Synchronization

/// Moves on every committed write this instance makes, and on every event another instance
/// forwards: an answer computed at one generation may be stale at any other. Caches of what
/// readers were answered (GraphQL's answer cache) keep an entry only while the generation it was
/// computed at is still the current one.
public final class DataGeneration: Sendable {
    private let value = Atomic<UInt64>(0)

    public init() {}

    /// The current generation.
    public var current: UInt64 { value.load(ordering: .acquiring) }

    /// Moves to the next generation: called after a commit, before its callers are answered, so
    /// that a read that follows a write never sees the generation from before it.
    public func advance() { value.add(1, ordering: .releasing) }
}
