import Foundation
import GraphQL
import ITOpsCore
import Synchronization

/// What identifies an answer: who asked (their whole credential: role, node scope, session), the
/// document, the operation and the variables. Two callers share an entry only if they sent the
/// same question with the same rights.
struct AnswerKey: Hashable, Sendable {
    let principal: Principal?
    let query: String
    let operationName: String?
    let variables: [String: Map]
}

/// An answer the cache holds: the result, and its JSON once a transport asked for it (encoding a
/// large answer costs more than everything else a cache hit does: 40 % of the server's CPU on the
/// reference's `slaGroups` query before it was kept, BENCHMARKS.md).
public final class KeptAnswer: Sendable {
    /// The query's result (no errors).
    public let result: GraphQLResult
    private let encoded = Mutex<Data?>(nil)

    init(result: GraphQLResult) { self.result = result }

    /// The result as JSON, as `GraphQLExecutor.json` writes it; encoded once, then kept.
    public func json() throws -> Data {
        if let data = encoded.withLock({ $0 }) { return data }
        let data = try GraphQLExecutor.json(result)
        encoded.withLock { $0 = data }
        return data
    }
}

/// Answers to queries, kept so that the same question asked again at once — a dashboard's viewers
/// refreshing it — is answered without executing it again.
///
/// An answer is served again only while all of these hold:
/// - nothing was written since it was computed: its `DataGeneration` is still the current one
///   (every commit of this instance moves it before the writer is answered, and every event from
///   another instance moves it too);
/// - it is younger than `maxAge`, by the monotonic clock and by the application's clock (so figures
///   that move with time alone, such as the current month's uptime, are at most `maxAge` old);
/// - it had no errors, and it answered a query (never a mutation or a subscription).
///
/// The cache holds at most `maxBytes` of answers (estimated, twice their size: the result and its
/// JSON), least recently used dropped first; an answer larger than `maxEntryBytes` is not kept.
final class AnswerCache: Sendable {
    private struct Entry {
        let answer: KeptAnswer
        let generation: UInt64
        let storedAt: ContinuousClock.Instant
        let at: Date
        let bytes: Int
        var used: UInt64
    }

    private struct State {
        var entries: [AnswerKey: Entry] = [:]
        var bytes = 0
        var tick: UInt64 = 0
        var hits = 0
        var misses = 0
        /// Questions being answered now, by the generation they were asked at.
        var flights: [AnswerKey: Flight] = [:]
    }

    /// A question being answered now. Whoever asks the same question at the same generation while it
    /// runs waits for its answer instead of executing it again (single flight): a dashboard's viewers
    /// refreshing together after a write cost one execution, not one each.
    final class Flight: Sendable {
        private struct State {
            var landed = false
            var answer: KeptAnswer?
            var waiting: [CheckedContinuation<KeptAnswer?, Never>] = []
        }
        let generation: UInt64
        private let state = Mutex(State())

        init(generation: UInt64) { self.generation = generation }

        /// The answer once the flight lands: `nil` when it could not be kept (errors, not a query,
        /// too large, past its deadline); the asker then runs the question itself.
        func answer() async -> KeptAnswer? {
            await withCheckedContinuation { continuation in
                let landed = state.withLock { state -> (Bool, KeptAnswer?) in
                    if !state.landed { state.waiting.append(continuation) }
                    return (state.landed, state.answer)
                }
                if landed.0 { continuation.resume(returning: landed.1) }
            }
        }

        fileprivate func land(_ answer: KeptAnswer?) {
            let waiting = state.withLock { state in
                state.landed = true
                state.answer = answer
                defer { state.waiting = [] }
                return state.waiting
            }
            for continuation in waiting { continuation.resume(returning: answer) }
        }
    }

    /// Whether an asker runs the question (and must `land` it) or waits for one who does.
    enum Joined {
        case leader(Flight)
        case follower(Flight)
    }

    let maxAge: Duration
    let maxBytes: Int
    let maxEntryBytes: Int
    private let state = Mutex(State())

    init(maxAge: Duration, maxBytes: Int = 16 << 20, maxEntryBytes: Int = 1 << 20) {
        self.maxAge = maxAge
        self.maxBytes = maxBytes
        self.maxEntryBytes = min(maxEntryBytes, maxBytes)
    }

    /// The answer stored for `key`, if it is still valid at `generation` and application time `now`.
    func answer(for key: AnswerKey, generation: UInt64, now: Date) -> KeptAnswer? {
        let instant = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[key] else {
                state.misses += 1
                return nil
            }
            let appAge = now.timeIntervalSince(entry.at)
            guard entry.generation == generation, instant - entry.storedAt < maxAge, appAge >= 0,
                appAge < Self.seconds(maxAge)
            else {
                state.entries[key] = nil
                state.bytes -= entry.bytes
                state.misses += 1
                return nil
            }
            state.hits += 1
            state.tick += 1
            state.entries[key]?.used = state.tick
            return entry.answer
        }
    }

    /// Keeps `result` for `key`, computed from what the database held at `generation`, at
    /// application time `at`.
    @discardableResult
    func store(_ result: GraphQLResult, for key: AnswerKey, generation: UInt64, at: Date) -> KeptAnswer? {
        guard result.errors.isEmpty, let data = result.data else { return nil }
        let bytes = 2 * Self.estimatedBytes(data) + key.query.utf8.count
        guard bytes <= maxEntryBytes else { return nil }
        let instant = ContinuousClock.now
        let answer = KeptAnswer(result: result)
        state.withLock { state in
            if let old = state.entries.removeValue(forKey: key) { state.bytes -= old.bytes }
            if state.bytes + bytes > maxBytes {
                // Expired answers first, then the least recently used, until an eighth of the
                // budget is free: one sort per many answers kept, not one per answer.
                let target = maxBytes - max(bytes, maxBytes / 8)
                let victims = state.entries.sorted { left, right in
                    let leftExpired = instant - left.value.storedAt >= maxAge
                    let rightExpired = instant - right.value.storedAt >= maxAge
                    if leftExpired != rightExpired { return leftExpired }
                    return left.value.used < right.value.used
                }
                for victim in victims where state.bytes > target {
                    state.entries[victim.key] = nil
                    state.bytes -= victim.value.bytes
                }
            }
            state.tick += 1
            state.entries[key] = Entry(
                answer: answer, generation: generation, storedAt: instant, at: at, bytes: bytes, used: state.tick)
            state.bytes += bytes
        }
        return answer
    }

    /// Joins the flight answering `key` at `generation`, or starts one (then the caller must `land`
    /// it, whatever happens). A flight of an older generation is left to finish alone: its answer
    /// may be stale for this asker.
    func join(_ key: AnswerKey, generation: UInt64) -> Joined {
        state.withLock { state in
            if let flight = state.flights[key], flight.generation == generation { return .follower(flight) }
            let flight = Flight(generation: generation)
            state.flights[key] = flight
            return .leader(flight)
        }
    }

    /// Ends `flight`: keeps `result` (when it may be kept: see `store`) and hands what was kept to
    /// everyone waiting on the flight. Returns it.
    @discardableResult
    func land(_ flight: Flight, key: AnswerKey, result: GraphQLResult?, generation: UInt64, at: Date) -> KeptAnswer? {
        let kept = result.flatMap { store($0, for: key, generation: generation, at: at) }
        state.withLock { state in
            if state.flights[key] === flight { state.flights[key] = nil }
        }
        flight.land(kept)
        return kept
    }

    /// Hits, misses, entries and their estimated bytes, for tests and metrics.
    var statistics: (hits: Int, misses: Int, count: Int, bytes: Int) {
        state.withLock { ($0.hits, $0.misses, $0.entries.count, $0.bytes) }
    }

    /// About what an answer takes in memory: its strings and a fixed cost per value.
    static func estimatedBytes(_ map: Map) -> Int {
        switch map {
        case .undefined, .null, .bool, .number: 16
        case .string(let text): 16 + text.utf8.count
        case .array(let values): values.reduce(16) { $0 + estimatedBytes($1) }
        case .dictionary(let fields): fields.reduce(16) { $0 + 16 + $1.key.utf8.count + estimatedBytes($1.value) }
        }
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
