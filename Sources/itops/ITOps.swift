import ArgumentParser
import Foundation
import ITOpsCore
import ITOpsServer
import ITOpsStore
import Logging

@main
struct ITOps: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "itops",
        abstract: "ITOps: self-hosted IT-operations backend.",
        version: ITOpsRuntime.version,
        subcommands: [
            Serve.self, Migrate.self, UserCommand.self, APIKeyCommand.self, SchemaCommand.self, OpenAPICommand.self,
            BackupCommand.self, RestoreCommand.self, DoctorCommand.self, AuditCommand.self,
        ],
        defaultSubcommand: Serve.self)
}

/// A logger at the configured level, writing to standard error.
func makeLogger(_ config: Config) -> Logger {
    var logger = Logger(label: "itops")
    logger.logLevel = config.logLevel
    return logger
}

/// Starts the runtime for a one-off command (migrations run as part of it).
func withRuntime<T>(_ options: ConfigOptions, _ body: (ITOpsRuntime) async throws -> T) async throws -> T {
    let config = try options.load()
    var logger = makeLogger(config)
    logger.logLevel = max(config.logLevel, .warning)
    let runtime = try await ITOpsRuntime.start(config: config, logger: logger)
    do {
        let value = try await body(runtime)
        await runtime.shutdown()
        return value
    } catch {
        await runtime.shutdown()
        throw error
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server.")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load()
        try await serve(config: config, logger: makeLogger(config))
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and exit.")
    @OptionGroup var options: ConfigOptions
    @Flag(help: "List the pending migrations without applying them.") var dryRun = false

    func run() async throws {
        if dryRun {
            let config = try options.load()
            var logger = makeLogger(config)
            logger.logLevel = max(config.logLevel, .warning)
            let schema = try await SQLStore.inspect(config.storeLocation, logger: logger).schema
            if schema.isNewerThanBuild {
                FileHandle.standardError.write(
                    Data(
                        "the database is at schema version \(schema.database), newer than this build knows (\(schema.known)); upgrade ITOps\n"
                            .utf8))
                throw ExitCode(1)
            }
            print("database schema version \(schema.database); this build knows \(schema.known)")
            if schema.pending.isEmpty {
                print("no pending migrations")
            } else {
                print("pending migrations (applied by `itops migrate` or at start-up):")
                for step in schema.pending { print("  \(step.version) \(step.name)") }
            }
            return
        }
        try await withRuntime(options) { _ in print("database is up to date") }
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user (the password is read from ITOPS_NEW_USER_PASSWORD or standard input).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Email address.") var email: String
        @Option(help: "admin, operator or viewer.") var role: String = "admin"

        func run() async throws {
            guard let role = Role(rawValue: role) else {
                throw ValidationError("--role must be admin, operator or viewer")
            }
            let password =
                ProcessInfo.processInfo.environment["ITOPS_NEW_USER_PASSWORD"]
                ?? readLine(strippingNewline: true) ?? ""
            let user = try await withRuntime(options) { runtime in
                try await runtime.createUser(email: email, password: password, role: role)
            }
            print("created \(user.role.rawValue) \(user.email) (\(user.id.uuidString.lowercased()))")
        }
    }
}

struct APIKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey", abstract: "Manage API keys.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key; it is printed once.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "A name to recognise the key by.") var name: String
        @Option(help: "operator (default) or admin.") var role: String = "operator"

        func run() async throws {
            guard let role = Role(rawValue: role), role != .viewer else {
                throw ValidationError("--role must be operator or admin")
            }
            let (key, plain) = try await withRuntime(options) { try await $0.createAPIKey(name: name, role: role) }
            print(plain)
            FileHandle.standardError.write(
                Data(
                    "created API key \(key.id.uuidString.lowercased()) '\(key.name)'; it is shown only this once\n".utf8
                ))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let keys = try await withRuntime(options) { try await $0.listAPIKeys() }
            for key in keys {
                let state = key.revokedAt.map { "revoked \(ISO8601.format($0))" } ?? "active"
                print("\(key.id.uuidString.lowercased())\t\(key.prefix)\t\(key.role.rawValue)\t\(state)\t\(key.name)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by id or prefix.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The key's id or prefix.") var key: String

        func run() async throws {
            let revoked = try await withRuntime(options) { try await $0.revokeAPIKey(key) }
            print("revoked \(revoked.id.uuidString.lowercased()) '\(revoked.name)'")
        }
    }
}
