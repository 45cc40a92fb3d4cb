import Foundation
@testable import ITOpsServer
import Testing

/// malloc's account of its heaps, as `itops-sla-bench` prints it beside the RSS (issue 19).
@Suite("Memory arenas")
struct MemoryArenasTests {
    @Test("the heap in use follows what the program holds")
    func usageFollowsAllocations() throws {
        #if canImport(Glibc)
        let before = try #require(MemoryArenas.usage())
        #expect(before.inUse > 0 && before.heap >= before.free)
        // 16,000 blocks of 8 KiB (125 MiB) (below glibc's mmap threshold: in the arenas' heaps), held.
        let blocks = (0..<16_000).map { _ in UnsafeMutableRawPointer.allocate(byteCount: 8_192, alignment: 16) }
        for block in blocks { block.storeBytes(of: 1, as: UInt8.self) }
        let held = try #require(MemoryArenas.usage())
        #expect(held.inUse - before.inUse >= 64_000_000)
        for block in blocks { block.deallocate() }
        MemoryArenas.trim()
        let after = try #require(MemoryArenas.usage())
        #expect(held.inUse - after.inUse >= 64_000_000)
        #endif
    }

    @Test("every trim of the heaps is timed in itops_memory_trim_duration_seconds")
    func trimsAreTimed() {
        let metrics = ITOpsMetrics()
        let job = MemoryTrimJob(metrics: metrics)
        job.trimOnce()
        job.trimOnce()
        let text = metrics.render()
        #expect(text.contains("# HELP itops_memory_trim_duration_seconds"))
        #expect(text.contains("itops_memory_trim_duration_seconds_count 2"), "\(text)")
    }

    @Test("the SLA pass's own trim is timed too")
    func slaPassTrimIsTimed() async throws {
        let app = try await TestApp.make()
        defer { try? FileManager.default.removeItem(at: app.directory) }
        await SLAJob(runtime: app.runtime, interval: 60).runOnce()
        #expect(app.runtime.metrics.render().contains("itops_memory_trim_duration_seconds_count 1"))
        await app.runtime.shutdown()
    }
}
