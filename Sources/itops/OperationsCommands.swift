import ArgumentParser
import Foundation
import ITOpsCore
import ITOpsServer
import ITOpsStore
import Logging

/// Prints `message` to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// The SQLite file of `config`, or exit 2 with PostgreSQL guidance.
func sqlitePath(_ config: Config, command: String) throws -> String {
    guard case .sqlite(let path, _, _) = config.storeLocation else {
        printError(
            "itops \(command) handles the embedded SQLite database; for PostgreSQL use pg_dump / pg_restore or point-in-time recovery (docs/operations.md)"
        )
        throw ExitCode(2)
    }
    return path
}

/// A logger for one-off commands: warnings and worse only.
func quietLogger(_ config: Config) -> Logger {
    var logger = makeLogger(config)
    logger.logLevel = max(config.logLevel, .warning)
    return logger
}

/// `itops backup --to FILE`: a consistent copy of the embedded database, safe while the server runs.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the embedded SQLite database consistently (VACUUM INTO), also while the server runs.")
    @OptionGroup var options: ConfigOptions
    @Option(help: "The backup file to create (must not exist).") var to: String

    func run() async throws {
        let config = try options.load()
        let path = try sqlitePath(config, command: "backup")
        do {
            let summary = try await SQLStore.backupSQLite(databasePath: path, to: to, logger: quietLogger(config))
            print("backed up \(path) to \(summary.path) (\(summary.bytes) bytes, schema version \(summary.schemaVersion))")
        } catch {
            printError("backup failed: \(error)")
            throw ExitCode(1)
        }
    }
}

/// `itops restore --from FILE`: replaces the embedded database with a checked backup; never under a live server.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace the embedded SQLite database with a backup (server stopped; integrity checked first).")
    @OptionGroup var options: ConfigOptions
    @Option(help: "The backup file made by `itops backup`.") var from: String

    func run() async throws {
        let config = try options.load()
        let path = try sqlitePath(config, command: "restore")
        do {
            let (summary, previous) = try await SQLStore.restoreSQLite(
                from: from, databasePath: path, now: Date(), logger: quietLogger(config))
            print("restored \(from) into \(summary.path) (schema version \(summary.schemaVersion))")
            if let previous { print("the database it replaced is kept as \(previous)") }
        } catch {
            printError("restore refused: \(error)")
            throw ExitCode(1)
        }
    }
}

/// `itops doctor`: checks configuration, database, schema, license, permissions and clock; says what to fix.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check configuration, database and schema, license, data-directory permissions and clock skew.")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        var logger = Logger(label: "itops-doctor")
        logger.logLevel = .critical
        let findings = await Doctor.run(
            environment: ProcessInfo.processInfo.environment, overrides: options.overrides, logger: logger)
        for finding in findings { print(finding) }
        let worst = findings.map(\.level).max() ?? .ok
        print(worst == .ok ? "all checks passed" : worst == .warn ? "passed with warnings" : "problems found")
        if worst == .fail { throw ExitCode(1) }
    }
}
