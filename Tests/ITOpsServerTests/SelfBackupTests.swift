import AsyncHTTPClient
import Foundation
import ITOpsCore
import ITOpsStore
import Logging
import Testing

@Suite("Own backups: itops backup and restore", .serialized)
struct SelfBackupTests {
    @Test("a backup taken under write load restores every report answered 200 before it started")
    func backupUnderLoad() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("itops-backup-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        let backup = root.appendingPathComponent("copy.db").path
        let environment = ["ITOPS_DATA_DIR": data.path]
        let server = try await ServerProcess(dataDirectory: data.path)
        let load = ReportLoad(node: "backup/test")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let port = server.port
        let worker = Task { await load.run(port: port, client: client) }
        while load.count < 300 { try await Task.sleep(for: .milliseconds(5)) }
        let before = load.acknowledged.withLock { $0 }
        let made = try await ITOpsBinary.run(["backup", "--to", backup], environment: environment)
        let during = load.count - before.count
        #expect(made.status == 0, "\(made.errors)")
        #expect(made.output.contains("backed up"), "\(made.output)")
        // Refuses to overwrite.
        let again = try await ITOpsBinary.run(["backup", "--to", backup], environment: environment)
        #expect(again.status == 1)
        #expect(again.errors.contains("already exists"))

        // Restore refuses to run under the live server, and changes nothing.
        let live = try await ITOpsBinary.run(["restore", "--from", backup], environment: environment)
        #expect(live.status == 1)
        #expect(live.errors.contains("another itops process (pid \(server.process.processIdentifier))"), "\(live.errors)")

        load.stop()
        await worker.value
        try await client.shutdown()
        let stopped = await server.terminate()
        #expect(stopped.status == 0)
        let total = load.count
        #expect(total > before.count, "the load went on during the backup (\(during) more during it)")

        let restored = try await ITOpsBinary.run(["restore", "--from", backup], environment: environment)
        #expect(restored.status == 0, "\(restored.errors)")
        #expect(restored.output.contains("kept as"), "\(restored.output)")

        let missing = try await missingReports(before, node: "backup/test", directory: data)
        #expect(missing.isEmpty, "the restore lacks \(missing.count) reports answered before the backup: \(missing.prefix(5))")
        // The replaced database was kept.
        let kept = try FileManager.default.contentsOfDirectory(atPath: data.path).filter { $0.contains(".pre-restore-") }
        #expect(kept.contains { !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") }, "\(kept)")
    }

    @Test("restore checks the backup first: a damaged or foreign file is refused and the database is untouched")
    func restoreChecksIntegrity() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("itops-restore-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        let environment = ["ITOPS_DATA_DIR": data.path]
        #expect(try await ITOpsBinary.run(["migrate"], environment: environment).status == 0)
        let database = data.appendingPathComponent("itops.db").path
        let original = try Data(contentsOf: URL(fileURLWithPath: database))

        let garbage = root.appendingPathComponent("garbage.db").path
        _ = FileManager.default.createFile(atPath: garbage, contents: Data(repeating: 0x41, count: 8192))
        let refused = try await ITOpsBinary.run(["restore", "--from", garbage], environment: environment)
        #expect(refused.status == 1)
        #expect(refused.errors.contains("restore refused"), "\(refused.errors)")

        // A valid SQLite file that is not an ITOps database.
        let foreign = root.appendingPathComponent("foreign.db").path
        try await sqliteExec(foreign, "CREATE TABLE t (x INTEGER)")
        let notOurs = try await ITOpsBinary.run(["restore", "--from", foreign], environment: environment)
        #expect(notOurs.status == 1)
        #expect(notOurs.errors.contains("is not an ITOps database"), "\(notOurs.errors)")

        // A backup whose pages were damaged after it was made.
        let damaged = root.appendingPathComponent("damaged.db").path
        #expect(try await ITOpsBinary.run(["backup", "--to", damaged], environment: environment).status == 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: damaged))
        for offset in stride(from: 4096 + 100, to: min(bytes.count, 4096 * 6), by: 7) { bytes[offset] = 0xFF }
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let broken = try await ITOpsBinary.run(["restore", "--from", damaged], environment: environment)
        #expect(broken.status == 1)
        #expect(broken.errors.contains("restore refused"), "\(broken.errors)")

        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == original)
        let missing = try await ITOpsBinary.run(["restore", "--from", root.appendingPathComponent("nope").path], environment: environment)
        #expect(missing.status == 1)
        #expect(missing.errors.contains("no backup at"))
    }

    @Test("backup and restore point PostgreSQL users to pg_dump")
    func postgresGuidance() async throws {
        let outcome = try await ITOpsBinary.run(
            ["backup", "--to", "/tmp/never.db"], environment: ["ITOPS_DATABASE_URL": "postgres://itops@127.0.0.1:1/itops"])
        #expect(outcome.status == 2)
        #expect(outcome.errors.contains("pg_dump"))
    }
}
