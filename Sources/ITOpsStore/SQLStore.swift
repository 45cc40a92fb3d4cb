import Foundation
import ITOpsCore
import Logging
import SQLKit
import Synchronization

/// Where the store keeps its data.
public enum StoreLocation: Sendable, Equatable {
    /// An SQLite file (created with its directory if missing); `cacheMiB` is the writer
    /// connection's page cache.
    case sqlite(path: String, durability: SQLiteDurability, cacheMiB: Int = 32)
    /// A PostgreSQL database: `postgres://user:pass@host:port/db`.
    case postgres(url: String)
}

/// How hard SQLite works to keep a commit: `normal` survives a killed process, `full` also a
/// power loss (one more fsync per commit, which group commit amortises).
public enum SQLiteDurability: String, Sendable, CaseIterable {
    case normal, full
}

/// The one SQL store behind the core's ports, for every supported database.
public final class SQLStore: Store {
    private let writer: WriteQueue
    public let reader: any StoreReader
    /// The event bus that reaches every instance sharing this database.
    public let eventBus: any EventBus
    private let probe: any SQLDatabase
    private let exclusivity: any Exclusivity
    private let onShutdown: @Sendable () async -> Void
    private let closed = Mutex(false)
    /// Moves on every committed write of this instance and every event from another one.
    public var generation: DataGeneration { writer.generation }

    init(
        writer: WriteQueue, readDatabase: any SQLDatabase, eventBus: any EventBus, exclusivity: any Exclusivity,
        onShutdown: @escaping @Sendable () async -> Void
    ) {
        self.writer = writer
        self.reader = SQLAccess(db: readDatabase)
        self.probe = readDatabase
        self.eventBus = eventBus
        self.exclusivity = exclusivity
        self.onShutdown = onShutdown
    }

    /// Opens the database at `location`, applies pending migrations, and returns the store.
    public static func open(_ location: StoreLocation, clock: any WallClock, logger: Logger) async throws -> SQLStore {
        switch location {
        case .sqlite(let path, let durability, let cacheMiB):
            return try await openSQLite(
                path: path, durability: durability, cacheMiB: cacheMiB, clock: clock, logger: logger)
        case .postgres(let url):
            return try await openPostgres(url: url, clock: clock, logger: logger)
        }
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreWriter) async throws -> T) async throws -> T {
        try await writer.submit(body)
    }

    public func write<W: BatchedWrite>(_ item: W.Item, batchedBy writer: W) async throws -> W.Output {
        try await self.writer.submit(item, batchedBy: writer)
    }

    public func ping() async throws {
        do {
            _ = try await probe.raw("SELECT 1 AS one").first()
        } catch {
            throw ITOpsError(.unavailable, "the database is not answering")
        }
    }

    public func exclusively<T: Sendable>(_ job: String, _ body: @escaping @Sendable () async throws -> T)
        async throws -> T?
    {
        try await exclusivity.run(job, body)
    }

    public func shutdown() async {
        closed.withLock { $0 = true }
        await writer.close()
        await onShutdown()
    }

    /// A store dropped without `shutdown()` (a caller that failed half-way) still closes its
    /// connections, in the background: the task keeps them alive until they are closed.
    deinit {
        guard !closed.withLock({ $0 }) else { return }
        let close = onShutdown
        Task { await close() }
    }

    /// Calls `observer` with the number of writes in every committed group-commit transaction.
    public func observeBatches(_ observer: @escaping @Sendable (Int) -> Void) async {
        await writer.observeBatches(observer)
    }

    /// Write transactions committed so far and the writes they held (group-commit ratio).
    public func commitStatistics() async -> (batches: Int, writes: Int) {
        (await writer.batches, await writer.writes)
    }
}

/// A look at a database without changing it: its schema state and, for a server database, its clock.
public struct DatabaseInspection: Sendable {
    /// Where the schema stands relative to this build.
    public let schema: SchemaState
    /// The database server's clock when asked (`nil` for SQLite, which shares this machine's clock).
    public let serverTime: Date?
}

extension SQLStore {
    /// Reads the schema state (and the server clock) without applying migrations or creating anything:
    /// `itops migrate --dry-run` and `itops doctor`.
    public static func inspect(_ location: StoreLocation, logger: Logger) async throws -> DatabaseInspection {
        switch location {
        case .sqlite(let path, _, _):
            return try await inspectSQLite(path: path, logger: logger)
        case .postgres(let url):
            return try await inspectPostgres(url: url, logger: logger)
        }
    }
}
