import Foundation
import ITOpsCore
import Synchronization

/// Runs named jobs on at most one instance at a time.
protocol Exclusivity: Sendable {
    /// Runs `body` if no other holder runs the job `name`; `nil` when another does.
    func run<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T?
}

/// Exclusivity within one process: enough for SQLite, which one process owns.
final class LocalExclusivity: Exclusivity {
    private let running = Mutex(Set<String>())

    func run<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T? {
        guard running.withLock({ $0.insert(name).inserted }) else { return nil }
        defer { _ = running.withLock { $0.remove(name) } }
        return try await body()
    }
}
