import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A task executor with threads of its own, so that CPU-heavy GraphQL work (parsing, validation,
/// analysis, SLA figures computed in resolvers) never runs on the threads that serve `/health`,
/// agent pushes and the database: those keep Swift's shared cooperative pool and NIO's event loops
/// and thread pool. Jobs run in the order they arrive.
public final class WorkerExecutor: TaskExecutor {
    private let queue = Mutex<JobQueue>(JobQueue())
    private let available = DispatchSemaphore(value: 0)

    /// Starts `threads` threads named `name`; they live as long as the process. With `niceness`
    /// (Linux), the threads run at that lower scheduling priority, so that when the cores are
    /// busy, the work queued here yields to everything else (ingest before dashboards).
    public init(threads: Int, name: String, niceness: Int32 = 0) {
        for index in 0..<max(1, threads) {
            let thread = Thread { [self] in
                Self.lowerPriority(by: niceness)
                self.work()
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    /// Queues a job for the next free thread.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.withLock { $0.append(job) }
        available.signal()
    }

    /// Lowers the calling thread's priority (Linux schedules threads as tasks, each with its own nice).
    private static func lowerPriority(by niceness: Int32) {
        #if os(Linux)
        guard niceness > 0 else { return }
        // `who` 0 is the calling thread: on Linux the nice value is per thread (setpriority(2), NOTES).
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        #endif
    }

    private func work() {
        while true {
            available.wait()
            guard let job = queue.withLock({ $0.popFirst() }) else { continue }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// A first-in first-out queue of jobs with amortised O(1) removal at the front.
private struct JobQueue: ~Copyable {
    private var items: [UnownedJob] = []
    private var head = 0

    mutating func append(_ job: UnownedJob) { items.append(job) }

    mutating func popFirst() -> UnownedJob? {
        guard head < items.count else { return nil }
        let job = items[head]
        head += 1
        if head > 1_024, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return job
    }
}

/// Admits at most `limit` operations at once; up to `maxWaiting` more wait in order, and any more
/// are turned away at once.
final class AdmissionControl: Sendable {
    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let limit: Int
    private let maxWaiting: Int
    private let state = Mutex(State())

    init(limit: Int, maxWaiting: Int) {
        self.limit = max(1, limit)
        self.maxWaiting = max(0, maxWaiting)
    }

    /// Waits for a slot; `false` at once when too many already wait. Pair a `true` with `leave()`.
    func enter() async -> Bool {
        enum Decision { case run, wait, refuse }
        let decision = state.withLock { state -> Decision in
            if state.running < limit {
                state.running += 1
                return .run
            }
            return state.waiting.count < maxWaiting ? .wait : .refuse
        }
        switch decision {
        case .run: return true
        case .refuse: return false
        case .wait:
            await withCheckedContinuation { continuation in
                let admitted = state.withLock { state -> Bool in
                    // A slot may have freed between the decision and now.
                    if state.running < limit {
                        state.running += 1
                        return true
                    }
                    state.waiting.append(continuation)
                    return false
                }
                if admitted { continuation.resume() }
            }
            return true
        }
    }

    /// Operations admitted and not yet finished (timed-out ones included until they end).
    var running: Int { state.withLock { $0.running + $0.waiting.count } }

    /// Frees a slot, handing it to the longest waiter if any.
    func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiting.isEmpty {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()  // the slot passes on: `running` is unchanged
        }
        next?.resume()
    }
}
