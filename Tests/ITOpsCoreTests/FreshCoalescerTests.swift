import ITOpsCore
import Synchronization
import Testing

@Suite("Fresh coalescer")
struct FreshCoalescerTests {
    /// A counter that computations read when they start: a caller that saw `n` before asking must get a value ≥ n.
    final class Writes: Sendable {
        let value = Mutex(0)
        func bump() -> Int { value.withLock { $0 += 1; return $0 } }
        var current: Int { value.withLock { $0 } }
    }

    @Test("callers one after another each get a computation of their own")
    func sequential() async throws {
        let coalescer = FreshCoalescer<Int>()
        let writes = Writes()
        for expected in 1...3 {
            _ = writes.bump()
            #expect(try await coalescer.value { writes.current } == expected)
        }
        #expect(coalescer.computations == 3)
    }

    @Test("callers arriving during a computation share the next one, which sees everything written before they asked")
    func concurrent() async throws {
        let coalescer = FreshCoalescer<Int>()
        let writes = Writes()
        let (gate, open) = AsyncStream<Void>.makeStream()
        let started = Mutex(0)
        let compute: @Sendable () async throws -> Int = {
            let first = started.withLock { $0 += 1; return $0 == 1 }
            let seen = writes.current
            if first { for await _ in gate { break } }
            return seen
        }
        let firstCaller = Task { try await coalescer.value(compute) }
        while started.withLock({ $0 }) == 0 { await Task.yield() }
        // The first computation is running (and saw 0). Writes land, then ten callers ask at once.
        _ = writes.bump()
        _ = writes.bump()
        let before = writes.current
        let callers = (0..<10).map { _ in Task { try await coalescer.value(compute) } }
        try await Task.sleep(for: .milliseconds(20))
        open.yield()
        open.finish()
        #expect(try await firstCaller.value == 0)
        for caller in callers {
            #expect(try await caller.value >= before, "a caller got data read before it asked")
        }
        #expect(coalescer.computations == 2, "the ten callers shared one computation")
    }
}
