import Foundation
import ITOpsCore
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit

// SQLite specifics: file, pragmas, and the immediate write lock. Everything else is shared SQL.
extension SQLStore {
    static func openSQLite(path: String, durability: SQLiteDurability, clock: any WallClock, logger: Logger)
        async throws -> SQLStore
    {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let writerConnection = try await openConnection(path: path, durability: durability, logger: logger)
        let readerConnection: SQLiteConnection
        do {
            readerConnection = try await openConnection(path: path, durability: durability, logger: logger)
        } catch {
            try? await writerConnection.close()
            throw error
        }
        let writeDB = writerConnection.sql(queryLogLevel: .trace)
        do {
            _ = try await Migrations.apply(on: writeDB, now: clock.now(), logger: logger)
        } catch {
            try? await writerConnection.close()
            try? await readerConnection.close()
            throw error
        }
        // BEGIN IMMEDIATE takes the write lock at once, so a transaction never fails half-way
        // on a lock upgrade.
        let writer = WriteQueue(
            connections: SingleConnection(db: writeDB), beginStatements: ["BEGIN IMMEDIATE"], logger: logger)
        return SQLStore(
            writer: writer, readDatabase: readerConnection.sql(queryLogLevel: .trace), eventBus: InProcessEventBus(),
            exclusivity: LocalExclusivity()
        ) {
            try? await writerConnection.close()
            try? await readerConnection.close()
        }
    }

    private static func openConnection(path: String, durability: SQLiteDurability, logger: Logger) async throws
        -> SQLiteConnection
    {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: .singleton, logger: logger,
            on: MultiThreadedEventLoopGroup.singleton.any())
        do {
            let db = connection.sql()
            _ = try await db.raw("PRAGMA journal_mode=WAL").all()
            try await db.raw("PRAGMA synchronous=\(unsafeRaw: durability.rawValue.uppercased())").run()
            try await db.raw("PRAGMA busy_timeout=5000").run()
            try await db.raw("PRAGMA foreign_keys=ON").run()
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
