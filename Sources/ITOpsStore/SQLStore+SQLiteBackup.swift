import Foundation
import ITOpsCore
import Logging
import NIOPosix
import SQLKit
import SQLiteKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive lock on `<database>.lock` next to an SQLite database: `itops serve` holds it while it
/// runs and `itops restore` takes it before replacing the file, so a restore can never run under a live
/// server. `flock` locks die with their process, so a killed server leaves no stale lock behind.
public final class DatabaseLock: Sendable {
    /// The lock file.
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// The lock file of the database at `databasePath`.
    public static func lockPath(forDatabase databasePath: String) -> String { databasePath + ".lock" }

    /// Takes the lock of `databasePath` (creating the directory and the file), recording this process's id
    /// in it; throws `conflict` naming the holder's process id when another process holds it.
    public static func acquire(databasePath: String) throws -> DatabaseLock {
        let path = lockPath(forDatabase: databasePath)
        // Private, like the database beside it (the lock is taken before the server secures the directory).
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let descriptor = open(path, O_RDWR | O_CREAT, 0o600)
        guard descriptor >= 0 else {
            throw ITOpsError(.unavailable, "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(
                in: .whitespacesAndNewlines)
            close(descriptor)
            throw ITOpsError(
                .conflict,
                "another itops process (pid \(holder.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown")) is using \(databasePath); stop it first"
            )
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return DatabaseLock(path: path, descriptor: descriptor)
    }

    /// Whether a live process holds the lock of `databasePath` (without taking it for long).
    public static func isHeld(databasePath: String) -> Bool {
        let path = lockPath(forDatabase: databasePath)
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_SH | LOCK_NB) == 0 else { return true }
        flock(descriptor, LOCK_UN)
        return false
    }

    /// Releases the lock (also released when the process ends, however it ends).
    public func release() {
        ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// What a backup or restore copied.
public struct SQLiteCopySummary: Sendable {
    /// The file written.
    public let path: String
    /// Its size in bytes.
    public let bytes: Int64
    /// The schema version it holds.
    public let schemaVersion: Int
}

extension SQLStore {
    /// `itops backup`: a consistent copy of the live SQLite database at `databasePath` into `target` (which must
    /// not exist), taken with `VACUUM INTO` in one read transaction while the server keeps writing, written
    /// to a temporary name and renamed once its integrity check passed.
    public static func backupSQLite(databasePath: String, to target: String, logger: Logger) async throws
        -> SQLiteCopySummary
    {
        guard FileManager.default.fileExists(atPath: databasePath) else {
            throw ITOpsError.notFound("no database at \(databasePath)")
        }
        guard !FileManager.default.fileExists(atPath: target) else {
            throw ITOpsError(.conflict, "\(target) already exists; choose a new file name")
        }
        let partial = target + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        try await withSQLite(path: databasePath, logger: logger) { db in
            try await db.raw("VACUUM INTO \(bind: partial)").run()
        }
        do {
            let version = try await verifySQLite(path: partial, logger: logger)
            try FileManager.default.moveItem(atPath: partial, toPath: target)
            return SQLiteCopySummary(path: target, bytes: fileSize(target), schemaVersion: version)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }

    /// `itops restore`: replaces the database at `databasePath` with the backup at `source`, after checking the
    /// backup's integrity and schema version, while holding the database lock (so never under a live server).
    /// The database it replaces is kept beside it as `<name>.pre-restore-<time>` (with its `-wal`/`-shm`).
    public static func restoreSQLite(from source: String, databasePath: String, now: Date, logger: Logger)
        async throws -> (summary: SQLiteCopySummary, previous: String?)
    {
        guard FileManager.default.fileExists(atPath: source) else { throw ITOpsError.notFound("no backup at \(source)") }
        let lock = try DatabaseLock.acquire(databasePath: databasePath)
        defer { lock.release() }
        let version = try await verifySQLite(path: source, logger: logger)
        // A clean copy (no WAL of its own) under a temporary name in the target's directory, then a rename.
        let incoming = databasePath + ".restoring"
        try? FileManager.default.removeItem(atPath: incoming)
        try await withSQLite(path: source, logger: logger) { db in
            try await db.raw("VACUUM INTO \(bind: incoming)").run()
        }
        var previous: String?
        let manager = FileManager.default
        if manager.fileExists(atPath: databasePath) {
            let stamp = ISO8601.format(now).replacingOccurrences(of: ":", with: "")
            let aside = databasePath + ".pre-restore-" + stamp
            for suffix in ["-wal", "-shm", ""] where manager.fileExists(atPath: databasePath + suffix) {
                try manager.moveItem(atPath: databasePath + suffix, toPath: aside + suffix)
            }
            previous = aside
        }
        try manager.moveItem(atPath: incoming, toPath: databasePath)
        try? manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: databasePath)
        return (SQLiteCopySummary(path: databasePath, bytes: fileSize(databasePath), schemaVersion: version), previous)
    }

    /// Checks an SQLite file: `PRAGMA integrity_check` must say `ok`, it must hold ITOps's schema, and not a
    /// newer one than this build knows. Returns its schema version.
    static func verifySQLite(path: String, logger: Logger) async throws -> Int {
        let (integrity, applied) = try await withSQLite(path: path, logger: logger) { db in
            let rows = try await db.raw("PRAGMA integrity_check").all()
            let integrity = try rows.map { try $0.decode(column: "integrity_check", as: String.self) }
            return (integrity, try await appliedSQLiteMigrations(db))
        }
        guard integrity == ["ok"] else {
            throw ITOpsError.invalid("\(path) fails its integrity check: \(integrity.prefix(3).joined(separator: "; "))")
        }
        guard let version = applied.last else { throw ITOpsError.invalid("\(path) is not an ITOps database") }
        guard version <= Migrations.latest else { throw Migrations.newerError(database: version) }
        return version
    }

    /// Runs `body` on a fresh connection to the SQLite file at `path`; a file that is not SQLite is `invalid`.
    static func withSQLite<T: Sendable>(
        path: String, logger: Logger, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: path), threadPool: .singleton, logger: logger,
            on: MultiThreadedEventLoopGroup.singleton.any())
        do {
            let db = connection.sql()
            try await db.raw("PRAGMA busy_timeout=5000").run()
            let value = try await body(db)
            try? await connection.close()
            return value
        } catch let error as SQLiteError {
            try? await connection.close()
            throw ITOpsError.invalid("\(path): \(error.message)")
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
