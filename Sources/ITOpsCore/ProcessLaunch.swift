import Foundation
import Synchronization

extension Process {
    /// The lock every `Process.run()` of this process takes: on Linux, swift-corelibs-foundation's
    /// `run()` is not safe to call from two threads at once (the test suite, which starts servers,
    /// agents and tools in parallel, crashed in its `memcpy` now and then). Only the launch is
    /// serialised, never the child's life.
    private static let launching = Mutex(())

    /// `run()`, one launch at a time in this process.
    public func runSerially() throws {
        try Self.launching.withLock { _ in try run() }
    }
}
