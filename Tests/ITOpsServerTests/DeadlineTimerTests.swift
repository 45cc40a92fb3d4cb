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
}
