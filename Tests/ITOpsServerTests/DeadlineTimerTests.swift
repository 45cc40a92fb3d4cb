import ITOpsCore
import Logging
import Testing

@testable import ITOpsStore

/// PostgreSQL's statement and lease deadlines (`withStatementDeadline`, `withLeaseDeadline`) arm a timer
/// per statement and per lease. Once the work has answered, the timer must end: left sleeping, it held
/// its task for the whole bound, tens of thousands of them under ingest (BENCHMARKS.md, "Ingest on
/// PostgreSQL").
@Suite("Deadline timers")
struct DeadlineTimerTests {
    static func sleeper() -> Task<Void, Never> {
        Task {
            do { try await Task.sleep(for: .seconds(120)) } catch { return }
        }
    }

    @Test("the timer is cancelled as soon as the work answers")
    func cancelledByTheResult() async throws {
        let outcome = Outcome<Int>()
        let timer = Self.sleeper()
        let value = try await withCheckedThrowingContinuation { continuation in
            outcome.install(continuation)
            outcome.arm(timer)
            outcome.finish(.success(7))
        }
        #expect(value == 7)
        #expect(timer.isCancelled)
        // The timer task ends at once instead of sleeping out its 120 s.
        await timer.value
    }

    @Test("a timer armed after the result is cancelled at once; a late result changes nothing")
    func armedAfterTheResult() async throws {
        let outcome = Outcome<Int>()
        let value = try await withCheckedThrowingContinuation { continuation in
            outcome.install(continuation)
            #expect(outcome.finish(.success(1)))
        }
        #expect(value == 1)
        let timer = Self.sleeper()
        outcome.arm(timer)
        #expect(timer.isCancelled)
        #expect(!outcome.finish(.success(2)))
        await timer.value
    }

    @Test("a statement that answers in time leaves no timer behind, one that does not is cut off")
    func statementDeadline() async throws {
        let started = ContinuousClock.now
        for _ in 0..<100 {
            let value = try await withStatementDeadline(.seconds(60), { 3 }, onTimeout: {})
            #expect(value == 3)
        }
        await #expect(throws: (any Error).self) {
            try await withStatementDeadline(.milliseconds(50), {
                try await Task.sleep(for: .seconds(30))
                return 0
            }, onTimeout: {})
        }
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test("a statement whose connection closes while it waits is answered at once, not at its deadline")
    func abandonedWhenTheConnectionCloses() async throws {
        let closed = StopFlag()
        Task {
            try? await Task.sleep(for: .milliseconds(50))
            closed.set()
        }
        let started = ContinuousClock.now
        await #expect(throws: ITOpsError.self) {
            try await withStatementDeadline(.seconds(30), closed: { closed.isSet }) {
                try await Task.sleep(for: .seconds(30))
                return 0
            } onTimeout: {
            }
        }
        // The closure is seen at the next check (every `SQLStore.closedConnectionCheck`, 0.1 s), not after 30 s.
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    /// postgres-nio 1.33 drops a query written to a connection that has already closed: it never answers.
    /// Its pool can hand out a connection that closed a moment earlier (seen while PostgreSQL restarts),
    /// and the writer's opening statements, bounded at 30 s, then held the whole write queue.
    @Test(
        "a statement on a connection that has closed fails at once, even one with the lock-wait bound",
        .enabled(if: TestDatabase.adminURL != nil, "needs ITOPS_TEST_DATABASE_URL"))
    func closedConnection() async throws {
        let admin = try #require(TestDatabase.adminURL)
        let started = ContinuousClock.now
        await #expect(throws: ITOpsError.self) {
            try await SQLStore.statementOnClosedConnectionForTesting(url: admin, logger: Logger(label: "test"))
        }
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    /// The same driver behaviour on the raw connections that bypass `StatementDeadline`: the job lock
    /// (a wedged `pg_try_advisory_lock` stopped that job — the silence sweep, say — for good) and the
    /// event forwarder (its sender keeps the order of notifications, so one lost answer stopped every
    /// later event from reaching the other instances).
    @Test(
        "the job lock and the event forwarder fail at once on a connection that has closed",
        .enabled(if: TestDatabase.adminURL != nil, "needs ITOPS_TEST_DATABASE_URL"))
    func rawStatementsOnClosedConnection() async throws {
        let admin = try #require(TestDatabase.adminURL)
        let started = ContinuousClock.now
        // Bounded here too, so that a regression fails this test instead of hanging the suite.
        let failures = try await withStatementDeadline(.seconds(20)) {
            try await SQLStore.rawStatementsOnClosedConnectionForTesting(url: admin, logger: Logger(label: "test"))
        } onTimeout: {}
        #expect(failures.count == 2, "\(failures)")
        #expect(failures.allSatisfy { $0.contains("closed the connection") }, "\(failures)")
        #expect(ContinuousClock.now - started < .seconds(2))
    }
}
