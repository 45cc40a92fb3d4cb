#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ServiceLifecycle

/// glibc's malloc gives threads their own arenas (up to eight per core), and memory freed in one is
/// kept there for that arena's next use. The server's work hops between many threads — NIO event loops,
/// the concurrency pool, the SQLite thread pool — so a burst of large requests left memory spread
/// over arenas that no single thread reuses: 450 operator syncs of 200 services raised the idle
/// RSS from 59 MB to 273 MB (Benchmarks/ingest.sh, BENCHMARKS.md), of which `malloc_trim` gave back
/// half. Two arenas keep it at 59 MB, and the syncs ran faster, not slower.
///
/// Within an arena, a burst can still leave free memory below a live chunk, which malloc keeps: 450
/// syncs after a push load held 253 MB of free heap with 8 MB in use. `trim()` hands such pages back
/// (`malloc_trim`), and `itops serve` calls it every ten seconds (`MemoryTrimJob`).
public enum MemoryArenas {
    /// The arenas `itops serve` allows unless `MALLOC_ARENA_MAX` says otherwise.
    public static let serverLimit: Int32 = 2

    /// Caps malloc's arenas (Linux with glibc; nothing elsewhere). An operator's own
    /// `MALLOC_ARENA_MAX` wins: glibc has applied it already.
    public static func limit(to count: Int32 = serverLimit) {
        #if canImport(Glibc)
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
        // `mallopt` is declared in <malloc.h>, which the Glibc module does not export: look it up.
        // M_ARENA_MAX is -8 in every glibc release (malloc.h).
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: MallOpt.self)(-8, count)
        #endif
    }

    /// Returns the free pages of malloc's heaps to the system (Linux with glibc; nothing elsewhere).
    public static func trim() {
        #if canImport(Glibc)
        // Declared in <malloc.h> too: looked up like `mallopt`.
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }
}

extension MemoryArenas {
    /// malloc's account of its heaps (`malloc_info`): what the program holds and what malloc keeps
    /// free for reuse. Free chunks whose pages `trim()` handed back still count as free here, so
    /// `inUse` is the figure to compare; the RSS adds code, stacks and SQLite's page cache.
    public struct Usage: Sendable {
        /// Bytes of the arenas' heaps (not counting chunks mmapped on their own).
        public var heap: Int
        /// Free bytes in those heaps (fast bins and the rest).
        public var free: Int
        /// Bytes in chunks mmapped on their own (large allocations, all in use).
        public var mmapped: Int
        /// Bytes the program holds.
        public var inUse: Int { heap - free + mmapped }
    }

    /// The heaps' usage now; `nil` without glibc.
    public static func usage() -> Usage? {
        #if canImport(Glibc)
        typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_info") else { return nil }
        var buffer: UnsafeMutablePointer<CChar>?
        var length = 0
        guard let file = open_memstream(&buffer, &length) else { return nil }
        _ = unsafeBitCast(symbol, to: MallocInfo.self)(0, file)
        fclose(file)
        guard let buffer else { return nil }
        defer { Glibc.free(buffer) }
        let xml = String(cString: buffer)
        // The totals over every arena follow the last `</heap>`.
        let totals = xml.range(of: "</heap>", options: .backwards).map { xml[$0.upperBound...] } ?? xml[...]
        func size(_ tag: String) -> Int {
            guard let start = totals.range(of: tag) else { return 0 }
            let rest = totals[start.upperBound...]
            guard let open = rest.range(of: "size=\""), let close = rest[open.upperBound...].firstIndex(of: "\"")
            else { return 0 }
            return Int(rest[open.upperBound..<close]) ?? 0
        }
        return Usage(
            heap: size("<system type=\"current\""),
            free: size("<total type=\"fast\"") + size("<total type=\"rest\""),
            mmapped: size("<total type=\"mmap\""))
        #else
        return nil
        #endif
    }
}

/// Trims malloc's heaps every `interval` (see `MemoryArenas`): after a burst, the idle RSS falls back
/// within one interval instead of staying at the burst's peak.
/// Each trim's duration goes to `itops_memory_trim_duration_seconds`: `malloc_trim` holds an arena's
/// lock while it hands pages back, and the threads allocating from that arena wait for it.
struct MemoryTrimJob: ServiceLifecycle.Service {
    let metrics: ITOpsMetrics
    var interval: Duration = .seconds(10)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                trimOnce()
            }
        }
    }

    /// One trim, timed.
    func trimOnce() {
        let clock = ContinuousClock()
        let duration = clock.measure { MemoryArenas.trim() }
        metrics.memoryTrimmed(duration: duration)
    }
}
