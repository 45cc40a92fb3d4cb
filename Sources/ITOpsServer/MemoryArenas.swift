#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// glibc's malloc gives threads their own arenas (up to eight per core), and memory freed in one is
/// kept there for that arena's next use. The server's work hops between many threads — NIO event loops,
/// the concurrency pool, the SQLite thread pool — so a burst of large requests left memory spread
/// over arenas that no single thread reuses: 450 operator syncs of 200 services raised the idle
/// RSS from 59 MB to 273 MB (Benchmarks/ingest.sh, BENCHMARKS.md), of which `malloc_trim` gave back
/// half. Two arenas keep it at 59 MB, and the syncs ran faster, not slower.
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
}
