import Foundation
import ITOpsCore
import ITOpsServer
import ITOpsStore
import Logging
import NIOPosix
import SQLiteKit
import Testing

/// Runs `sql` (one or more statements) on the SQLite file at `path`: the tests' way to fake what a newer build
/// or another program left behind.
func sqliteExec(_ path: String, _ sql: String) async throws {
    let connection = try await SQLiteConnection.open(
        storage: .file(path: path), threadPool: .singleton, logger: Logger(label: "test"),
        on: MultiThreadedEventLoopGroup.singleton.any())
    do {
        for statement in sql.split(separator: ";") where !statement.trimmingCharacters(in: .whitespaces).isEmpty {
            _ = try await connection.query(String(statement)).get()
        }
        try await connection.close()
    } catch {
        try? await connection.close()
        throw error
    }
}

@Suite("Upgrades: schema version", .serialized)
struct UpgradeTests {
    static func directory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("itops-upgrade-\(UUID().uuidString)")
    }

    @Test("a database migrated by a newer build refuses to start, naming both versions", arguments: TestBackend.all)
    func newerSchemaRefuses(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        await app.runtime.shutdown()
        defer {
            try? FileManager.default.removeItem(at: app.directory)
            try? app.database?.drop()
        }
        let location = app.runtime.config.storeLocation
        let known = try await SQLStore.inspect(location, logger: Logger(label: "test")).schema.known
        let future = known + 1
        let fake = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(future), 'from-the-future', 0)"
        switch location {
        case .sqlite(let path, _, _): try await sqliteExec(path, fake)
        case .postgres(let url): try TemplateDatabase.runPSQL(url, fake)
        }
        let inspection = try await SQLStore.inspect(location, logger: Logger(label: "test"))
        #expect(inspection.schema.isNewerThanBuild)
        #expect(inspection.schema.database == future)
        if backend == .postgres {
            let skew = abs(try #require(inspection.serverTime).timeIntervalSinceNow)
            #expect(skew < 5)
        }
        await #expect {
            _ = try await TestApp.make(reusing: app)
        } throws: { error in
            let text = "\(error)"
            return text.contains("schema version \(future)") && text.contains("(\(known))")
                && text.contains("upgrade ITOps")
        }
    }

    @Test("itops serve and itops migrate --dry-run refuse a newer schema; dry-run lists pending migrations")
    func cli() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["ITOPS_DATA_DIR": directory.path, "ITOPS_PORT": "0"]
        let database = directory.appendingPathComponent("itops.db").path

        // A fresh installation: everything is pending, and the dry run creates nothing.
        let fresh = try await ITOpsBinary.run(["migrate", "--dry-run"], environment: environment)
        #expect(fresh.status == 0, "\(fresh.errors)")
        #expect(fresh.output.contains("database schema version 0"))
        #expect(fresh.output.contains("  1 inventory"))
        #expect(!FileManager.default.fileExists(atPath: database))

        let migrate = try await ITOpsBinary.run(["migrate"], environment: environment)
        #expect(migrate.status == 0, "\(migrate.errors)")
        let current = try await ITOpsBinary.run(["migrate", "--dry-run"], environment: environment)
        #expect(current.output.contains("no pending migrations"), "\(current.output)")
        let known = try await SQLStore.inspect(
            .sqlite(path: database, durability: .full), logger: Logger(label: "test")
        ).schema.known

        // An older database (the last migration not applied yet) lists exactly that one. Versions may
        // skip numbers (branches reserve theirs), so the previous one is read back, not computed.
        try await sqliteExec(database, "DELETE FROM schema_migrations WHERE version = \(known)")
        // The versions need not be contiguous (branches reserve numbers): the one before is what is applied.
        let previous = try await SQLStore.inspect(
            .sqlite(path: database, durability: .full), logger: Logger(label: "test")
        ).schema.database
        #expect(previous < known)
        let older = try await ITOpsBinary.run(["migrate", "--dry-run"], environment: environment)
        #expect(older.output.contains("database schema version \(previous); this build knows \(known)"))
        #expect(older.output.contains("pending migrations"))
        #expect(older.output.contains("  \(known) "))
        #expect(!older.output.contains("  \(previous) "))
        try await sqliteExec(
            database,
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(known), 'restored', 0); INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(known + 7), 'future', 0)"
        )

        let dryRun = try await ITOpsBinary.run(["migrate", "--dry-run"], environment: environment)
        #expect(dryRun.status == 1)
        #expect(dryRun.errors.contains("schema version \(known + 7), newer than this build knows (\(known))"))
        let serve = try await ITOpsBinary.run(["serve"], environment: environment)
        #expect(serve.status != 0)
        #expect(
            serve.errors.contains("schema version \(known + 7), newer than this build knows (\(known))"),
            "\(serve.errors)")
        let doctor = try await ITOpsBinary.run(["doctor"], environment: environment)
        #expect(doctor.status == 1)
        #expect(doctor.output.contains("FAIL  schema"), "\(doctor.output)")
    }
}
