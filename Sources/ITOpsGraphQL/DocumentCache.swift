import Foundation
import GraphQL
import Synchronization

/// A parsed and validated document, kept so that each distinct document is parsed and
/// validated once.
struct PreparedDocument: Sendable {
    let document: Document?
    /// Parse or validation errors: the document never executes.
    let errors: [GraphQLError]
}

/// A bounded least-recently-used cache of prepared documents, keyed by the document text.
final class DocumentCache: Sendable {
    private struct State {
        var entries: [String: (value: PreparedDocument, used: UInt64)] = [:]
        var tick: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// The cached document for `text`, or `make()`'s, stored.
    func document(for text: String, make: () -> PreparedDocument) -> PreparedDocument {
        let cached = state.withLock { state -> PreparedDocument? in
            state.tick += 1
            guard let entry = state.entries[text] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            state.entries[text] = (entry.value, state.tick)
            return entry.value
        }
        if let cached { return cached }
        let made = make()
        state.withLock { state in
            if state.entries.count >= capacity, state.entries[text] == nil {
                // Evict the least recently used eighth at once, so eviction stays rare.
                let victims = state.entries.sorted { $0.value.used < $1.value.used }.prefix(max(1, capacity / 8))
                for victim in victims { state.entries.removeValue(forKey: victim.key) }
            }
            state.tick += 1
            state.entries[text] = (made, state.tick)
        }
        return made
    }

    /// The cached document for `text`, if there is one; never parses, counts nothing.
    func cached(_ text: String) -> PreparedDocument? {
        state.withLock { $0.entries[text]?.value }
    }

    /// Hits, misses and size, for tests and metrics.
    var statistics: (hits: Int, misses: Int, count: Int) {
        state.withLock { ($0.hits, $0.misses, $0.entries.count) }
    }
}
