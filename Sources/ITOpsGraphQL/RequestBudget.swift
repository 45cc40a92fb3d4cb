import Foundation
import ITOpsCore
import Synchronization

/// What one GraphQL operation may still spend while it runs, and what it computed once for all
/// its fields: the list items its answer may hold (the real bound of lists whose length depends on
/// the data) and memoised per-request results, so that aliases of an expensive field reuse the
/// first one's work.
public final class RequestBudget: Sendable {
    /// Thrown when the answer would hold more list items than allowed.
    public struct Exhausted: Error, Sendable {
        /// The limit that was passed.
        public let limit: Int
    }

    private struct State {
        var items = 0
        var memo: [String: Task<any Sendable, any Error>] = [:]
    }

    /// Most list items the answer may hold.
    public let maxItems: Int
    private let state = Mutex(State())

    /// A budget of `maxItems` list items.
    public init(maxItems: Int) { self.maxItems = maxItems }

    /// Counts `count` more items of the answer; throws `Exhausted` past `maxItems`.
    public func charge(_ count: Int) throws(Exhausted) {
        let passed = state.withLock { state in
            state.items += count
            return state.items > maxItems
        }
        if passed { throw Exhausted(limit: maxItems) }
    }

    /// Items counted so far.
    public var itemsCharged: Int { state.withLock { $0.items } }

    /// `compute()`'s result for `key`, computed at most once per operation.
    func memoised<T: Sendable>(_ key: String, _ compute: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = state.withLock { state in
            if let task = state.memo[key] { return task }
            // On the GraphQL threads: a plain `Task` would run this (the SLA figures, the heaviest
            // work GraphQL does) on the cooperative pool, where ingest's handlers run.
            let task = Task<any Sendable, any Error>(executorPreference: GraphQLExecutor.workers) { try await compute() }
            state.memo[key] = task
            return task
        }
        guard let value = try await task.value as? T else {
            throw ITOpsError(.internal, "memoised value of an unexpected type for \(key)")
        }
        return value
    }
}
