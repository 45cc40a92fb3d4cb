import Foundation
import ITOpsCore
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit

// SQLite specifics: file, pragmas, and the immediate write lock. Everything else is shared SQL.
extension SQLStore {
    static func openSQLite(
        path: String, durability: SQLiteDurability, cacheMiB: Int, clock: any WallClock, logger: Logger
    ) async throws -> SQLStore
    {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        // Private: the database holds password hashes and webhook secrets.
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Each connection has a thread of its own. SQLite runs a statement on the thread that asks,
        // and the shared NIO thread pool has one thread per core: long dashboard reads held every
        // thread of it, and the writes of ingest queued behind them (Benchmarks/mixed.sh: flips fell
        // to a fortieth of their solo rate with four dashboards open). Now the writer's thread does
        // nothing but writes. (More reader connections measured no better, and each costs file
        // descriptors: a test process holding many stores went past 1,024, where Foundation's
        // `Process`, which uses select(2), corrupts memory.)
        let writerThread = NIOThreadPool(numberOfThreads: 1)
        let readerThread = NIOThreadPool(numberOfThreads: 1)
        writerThread.start()
        readerThread.start()
        var opened: [SQLiteConnection] = []
        // Closes what is open and stops the threads; in a task of its own: a stop that runs in a
        // cancelled task (a service group shutting down) would otherwise have each `close()` throw
        // CancellationError before it ran, leaving connections open (sqlite-nio asserts on that
        // when they are freed).
        let closeAll: @Sendable ([SQLiteConnection]) async -> Void = { connections in
            await Task {
                for connection in connections { try? await connection.close() }
                try? await writerThread.shutdownGracefully()
                try? await readerThread.shutdownGracefully()
            }.value
        }
        let writerConnection: SQLiteConnection
        let readerConnection: SQLiteConnection
        do {
            // The writer's page cache holds what every write touches: the services table and its
            // indexes, the tails of the transition indexes. With SQLite's default (2,000 KiB) an
            // operator sync at 20,000 services spent 14 % of its CPU re-reading pages it had just
            // evicted and spilling dirty ones mid-transaction (`pagerStress`, `readDbPage`;
            // Benchmarks/profile-row.sh operator-flip). The reader keeps the default: its large
            // reads are scans, which a cache does not help.
            writerConnection = try await openConnection(
                path: path, durability: durability, cacheKiB: cacheMiB * 1024, thread: writerThread, logger: logger)
            opened.append(writerConnection)
            readerConnection = try await openConnection(
                path: path, durability: durability, cacheKiB: nil, thread: readerThread, logger: logger)
            opened.append(readerConnection)
            _ = try await Migrations.apply(on: writerConnection.sql(queryLogLevel: .trace), now: clock.now(), logger: logger)
        } catch {
            await closeAll(opened)
            throw error
        }
        let writeDB = writerConnection.sql(queryLogLevel: .trace)
        // BEGIN IMMEDIATE takes the write lock at once, so a transaction never fails half-way
        // on a lock upgrade.
        let writer = WriteQueue(
            connections: SingleConnection(db: writeDB), beginStatements: ["BEGIN IMMEDIATE"], logger: logger)
        return SQLStore(
            writer: writer, readDatabase: readerConnection.sql(queryLogLevel: .trace), eventBus: InProcessEventBus(),
            exclusivity: LocalExclusivity()
        ) { await closeAll([writerConnection, readerConnection]) }
    }

    private static func openConnection(
        path: String, durability: SQLiteDurability, cacheKiB: Int?, thread: NIOThreadPool, logger: Logger
    ) async throws -> SQLiteConnection {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: thread, logger: logger,
            on: MultiThreadedEventLoopGroup.singleton.any())
        do {
            let db = connection.sql()
            _ = try await db.raw("PRAGMA journal_mode=WAL").all()
            try await db.raw("PRAGMA synchronous=\(unsafeRaw: durability.rawValue.uppercased())").run()
            try await db.raw("PRAGMA busy_timeout=5000").run()
            try await db.raw("PRAGMA foreign_keys=ON").run()
            // Statement journals (a multi-row UPDATE inside a transaction keeps one) need no disk.
            try await db.raw("PRAGMA temp_store=MEMORY").run()
            if let cacheKiB { try await db.raw("PRAGMA cache_size=-\(unsafeRaw: String(cacheKiB))").run() }
        } catch {
            try? await connection.close()
            throw error
        }
        return connection
    }
}

/// SQLite's one writer connection, lent to every write transaction in turn.
struct SingleConnection: WriteConnectionSource {
    let db: any SQLDatabase

    func withConnection<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    {
        try await body(db)
    }
}

extension SQLStore {
    /// The schema state of the SQLite file at `path`; a missing file is an empty database (not created).
    static func inspectSQLite(path: String, logger: Logger) async throws -> DatabaseInspection {
        guard FileManager.default.fileExists(atPath: path) else {
            return DatabaseInspection(schema: Migrations.state(applied: []), serverTime: nil)
        }
        let applied = try await withSQLite(path: path, logger: logger) { try await appliedSQLiteMigrations($0) }
        return DatabaseInspection(schema: Migrations.state(applied: applied), serverTime: nil)
    }

    /// The migrations recorded in an SQLite database (none when it has no `schema_migrations` table).
    static func appliedSQLiteMigrations(_ db: any SQLDatabase) async throws -> [Int] {
        let exists =
            try await db.raw(
                "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
            ).first()?.decode(column: "n", as: Int.self) ?? 0
        return try await Migrations.applied(on: db, tableExists: exists > 0)
    }
}
