import ArgumentParser
import AsyncHTTPClient
import Foundation
import ITOpsAgent
import Logging
import ServiceLifecycle

@main
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "itops-agent",
        abstract: "The ITOps agent: checks services on a host or watches a Kubernetes cluster, and reports to ITOps.",
        version: AgentVersion.current,
        subcommands: [Run.self, Check.self, Backup.self])
}

/// Options every command shares.
struct Common: ParsableArguments {
    @Option(name: .long, help: "Path of it-ops.yaml.")
    var config: String = "/etc/itops-agent/it-ops.yaml"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(name: .long, help: "Log format: text or json.")
    var logFormat: String = "text"

    func logger() throws -> Logger {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json") }
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "itops-agent")
    }

    func load() throws -> AgentConfig {
        do {
            return try AgentConfig.load(path: config)
        } catch let error as AgentConfigError {
            FileHandle.standardError.write(Data("\(config): \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Runs the agent until SIGTERM or SIGINT.")
    @OptionGroup var common: Common

    func run() async throws {
        let config = try common.load()
        let logger = try common.logger()
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let agent = try Agent(config: config, http: http, logger: logger)
        var services: [any Service] = [agent]
        if let listen = config.listen {
            services.append(try AgentHTTP.application(agent: agent, listen: listen, logger: logger))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validates it-ops.yaml; prints every problem with its line, exits 2 when there is one.")
    @OptionGroup var common: Common

    func run() async throws {
        let config = try common.load()
        let checks = config.services.reduce(0) { $0 + $1.checks.count }
        print("\(common.config): ok (node \(config.nodeId), mode \(config.mode.rawValue), \(config.services.count) services, \(checks) checks)")
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Backup helpers.", subcommands: [BackupRun.self])
}

struct BackupRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Runs a backup command and reports its outcome, size and duration to backup/report.",
        discussion: "Example: itops-agent backup run --service db --size-of /var/backups/db.dump -- pg_dump -Fc -f /var/backups/db.dump db")
    @OptionGroup var common: Common

    @Option(help: "The service the backup belongs to.")
    var service: String

    @Option(help: "A file or directory whose size is the backup's size (optional).")
    var sizeOf: String?

    @Argument(parsing: .postTerminator, help: "The backup command and its arguments, after --.")
    var command: [String]

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the backup command after --") }
    }

    func run() async throws {
        let config = try common.load()
        let logger = try common.logger()
        let outcome = try await BackupWrapper.run(command: command, service: service, sizeOf: sizeOf, config: config, logger: logger)
        throw ExitCode(outcome.exitCode)
    }
}
