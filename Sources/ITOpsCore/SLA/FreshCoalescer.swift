import Synchronization

/// Shares one computation among callers that ask at the same time, without ever answering a caller
/// with data read before it asked: a caller that arrives while a computation runs waits for the
/// next one, which starts when the running one ends and serves everybody who arrived meanwhile
/// (group commit, for reads). So at most one computation runs and one waits, however many ask:
/// four dashboards open on a busy fleet cost one dashboard's CPU at a time, not four.
public final class FreshCoalescer<Value: Sendable>: Sendable {
    private struct Flight {
        let id: Int
        let task: Task<Value, any Error>
    }

    private struct State {
        var running: Flight?
        var next: Flight?
        var issued = 0
        var computations = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// How many computations ran (for tests and metrics).
    public var computations: Int { state.withLock { $0.computations } }

    /// The value of a computation that started after this call; `compute` runs on `executor` when given.
    public func value(
        on executor: (any TaskExecutor)? = nil, _ compute: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let task = state.withLock { state -> Task<Value, any Error> in
            if let next = state.next { return next.task }
            state.issued += 1
            let id = state.issued
            let previous = state.running?.task
            let task = Task<Value, any Error>(executorPreference: executor) { [self] in
                if let previous { _ = try? await previous.value }
                self.state.withLock { state in
                    if state.next?.id == id { (state.running, state.next) = (state.next, nil) }
                    state.computations += 1
                }
                defer { self.state.withLock { state in if state.running?.id == id { state.running = nil } } }
                return try await compute()
            }
            if previous == nil { state.running = Flight(id: id, task: task) } else { state.next = Flight(id: id, task: task) }
            return task
        }
        return try await task.value
    }
}
