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
        commandName: "user", abstract: "Manage users.",
        subcommands: [Create.self, List.self, SetRole.self, Disable.self, Enable.self, ResetPassword.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List users: id, email, role, provider, state, last sign-in, display name.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let users = try await withRuntime(options) { try await $0.listUsers() }
            for user in users {
                let signIn = user.lastSignInAt.map { ISO8601.format($0) } ?? "never"
                print(
                    "\(user.id.uuidString.lowercased())\t\(user.email)\t\(user.role.rawValue)\t\(user.provider)\t\(user.disabled ? "disabled" : "enabled")\t\(signIn)\t\(user.displayName ?? "")"
                )
            }
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-role", abstract: "Change a user's role (the last enabled admin keeps theirs).")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The user's id or email.") var user: String
        @Argument(help: "admin, operator or viewer.") var role: String

        func run() async throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("role must be admin, operator or viewer") }
            let updated = try await withRuntime(options) { runtime in
                try await runtime.identity.updateUser(id: try await runtime.user(user).id, UserUpdate(role: role))
            }
            print("\(updated.email) is now \(updated.role.rawValue)")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a user: no sign-in, and their sessions end within seconds.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The user's id or email.") var user: String

        func run() async throws {
            let updated = try await withRuntime(options) { runtime in
                try await runtime.identity.updateUser(id: try await runtime.user(user).id, UserUpdate(disabled: true))
            }
            print("disabled \(updated.email)")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The user's id or email.") var user: String

        func run() async throws {
            let updated = try await withRuntime(options) { runtime in
                try await runtime.identity.updateUser(id: try await runtime.user(user).id, UserUpdate(disabled: false))
            }
            print("enabled \(updated.email)")
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Print a one-time password-reset token (30 minutes); the user spends it with completePasswordReset.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The user's id or email.") var user: String

        func run() async throws {
            let grant = try await withRuntime(options) { runtime in
                try await runtime.identity.resetPassword(id: try await runtime.user(user).id)
            }
            print(grant.token)
            FileHandle.standardError.write(
                Data(
                    "reset token for \(grant.user.email), valid until \(ISO8601.format(grant.expiresAt)); it is shown only this once\n"
                        .utf8))
        }
    }

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
        @Option(help: "A hierarchy prefix the key is limited to (repeat for several); none: every node.")
        var scope: [String] = []
        @Option(help: "Days until the key expires; none: never.") var expiresInDays: Int?

        func run() async throws {
            guard let role = Role(rawValue: role), role != .viewer else {
                throw ValidationError("--role must be operator or admin")
            }
            let nodeScope: [NodePath]?
            do {
                nodeScope = scope.isEmpty ? nil : try scope.map { try NodePath(validating: $0, field: "--scope") }
            } catch { throw ValidationError("\(error)") }
            if let days = expiresInDays, !(1...3650).contains(days) {
                throw ValidationError("--expires-in-days must be between 1 and 3650")
            }
            let expiresAt = expiresInDays.map { Date().addingTimeInterval(Double($0) * 86_400) }
            let (key, plain) = try await withRuntime(options) {
                try await $0.createAPIKey(name: name, role: role, nodeScope: nodeScope, expiresAt: expiresAt)
            }
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
                let scope = key.nodeScope.map { $0.map(\.value).joined(separator: ",") } ?? "*"
                let expires = key.expiresAt.map { "expires \(ISO8601.format($0))" } ?? "no expiry"
                print(
                    "\(key.id.uuidString.lowercased())\t\(key.prefix)\t\(key.role.rawValue)\t\(state)\t\(key.name)\t\(scope)\t\(expires)"
                )
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
