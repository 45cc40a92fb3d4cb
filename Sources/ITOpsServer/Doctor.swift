import Foundation
import ITOpsCore
import ITOpsStore
import Logging

/// `itops doctor`: checks an installation and says what to fix.
///
/// Read-only except that, when the schema is current, it starts the runtime once (as every CLI command does)
/// to read the license state.
public enum Doctor {
    /// One result.
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        /// How bad.
        public enum Level: String, Sendable, Comparable {
            case ok, warn, fail
            public static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }
            var rank: Int { self == .ok ? 0 : self == .warn ? 1 : 2 }
        }
        public let level: Level
        /// What was checked: `config`, `data-dir`, `database`, `schema`, `license`, `clock`.
        public let check: String
        public let message: String
        /// What to do about it (empty when fine).
        public let fix: String

        public var description: String {
            let head = "\(level.rawValue.uppercased().padding(toLength: 5, withPad: " ", startingAt: 0)) \(check): \(message)"
            return fix.isEmpty ? head : head + "\n      fix: " + fix
        }
    }

    /// Largest tolerated difference between this machine's clock and the database server's.
    public static let maxClockSkew: TimeInterval = 2

    /// Runs every check against the configuration read from `environment`.
    public static func run(environment: [String: String], overrides: [String: String] = [:], logger: Logger) async
        -> [Finding]
    {
        let config: Config
        do {
            config = try Config.load(environment: environment, overrides: overrides)
        } catch {
            return error.problems.map {
                Finding(level: .fail, check: "config", message: $0, fix: "correct the variable (see the README's table)")
            }
        }
        var findings = [Finding(level: .ok, check: "config", message: "every ITOPS_* variable is valid", fix: "")]
        findings += dataDirectory(config)
        let inspection: DatabaseInspection
        do {
            inspection = try await SQLStore.inspect(config.storeLocation, logger: logger)
        } catch {
            findings.append(
                Finding(
                    level: .fail, check: "database", message: "not reachable: \(error)",
                    fix: config.databaseURL?.hasPrefix("postgres") == true
                        ? "check ITOPS_DATABASE_URL, that PostgreSQL runs and accepts this user (pg_isready)"
                        : "check that the data directory is readable and writable by this user"))
            return findings
        }
        findings.append(Finding(level: .ok, check: "database", message: "reachable", fix: ""))
        let schema = inspection.schema
        if schema.isNewerThanBuild {
            findings.append(
                Finding(
                    level: .fail, check: "schema",
                    message: "the database is at schema version \(schema.database), newer than this build (\(schema.known))",
                    fix: "install the ITOps version that migrated it (or newer); this one refuses to start"))
        } else if !schema.pending.isEmpty {
            findings.append(
                Finding(
                    level: .warn, check: "schema",
                    message:
                        "\(schema.pending.count) pending migration(s) (database \(schema.database), build \(schema.known))",
                    fix: "back up (itops backup --to FILE), then run itops migrate (start-up also applies them)"))
        } else {
            findings.append(Finding(level: .ok, check: "schema", message: "at version \(schema.known)", fix: ""))
        }
        if let serverTime = inspection.serverTime {
            let skew = Date().timeIntervalSince(serverTime)
            findings.append(
                abs(skew) > maxClockSkew
                    ? Finding(
                        level: .warn, check: "clock",
                        message: String(format: "this machine's clock is %.1f s off the database's", skew),
                        fix: "synchronise both machines with NTP (chrony or systemd-timesyncd); SLA math uses both")
                    : Finding(
                        level: .ok, check: "clock", message: String(format: "within %.1f s of the database", abs(skew)),
                        fix: ""))
        }
        if schema.pending.isEmpty, !schema.isNewerThanBuild {
            findings.append(await license(config, logger: logger))
        }
        return findings
    }

    /// Permissions of the data directory and what it holds: nobody but the owner may read them.
    static func dataDirectory(_ config: Config) -> [Finding] {
        let manager = FileManager.default
        var paths: [(String, Int, String)] = []  // path, wanted mode, fix
        let directory = config.dataDirectory
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return [
                Finding(
                    level: config.databaseURL == nil ? .warn : .ok, check: "data-dir",
                    message: "\(directory) does not exist yet",
                    fix: config.databaseURL == nil ? "it is created (0700) at first start; or mkdir -m 700 \(directory)" : "")
            ]
        }
        paths.append((directory, 0o700, "chmod 700 \(directory)"))
        for name in ["itops.db", "itops.db-wal", "itops.db-shm", "jwt-secret"] {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            if manager.fileExists(atPath: path) { paths.append((path, 0o600, "chmod 600 \(path)")) }
        }
        if case .sqlite(let path, _, _) = config.storeLocation, !path.hasPrefix(directory), manager.fileExists(atPath: path) {
            paths.append((path, 0o600, "chmod 600 \(path)"))
        }
        var findings: [Finding] = []
        for (path, wanted, fix) in paths {
            guard let mode = DataDirectory.mode(of: path) else { continue }
            if mode & 0o077 != 0 {
                findings.append(
                    Finding(
                        level: .warn, check: "data-dir",
                        message:
                            "\(path) is mode \(String(mode & 0o777, radix: 8)), wider than \(String(wanted, radix: 8)): others can read it",
                        fix: fix))
            }
            if !manager.isWritableFile(atPath: path) {
                findings.append(
                    Finding(
                        level: .fail, check: "data-dir", message: "\(path) is not writable by this user",
                        fix: "run as the user that owns it (the package's `itops` user), or chown it"))
            }
        }
        if findings.isEmpty {
            findings.append(
                Finding(level: .ok, check: "data-dir", message: "\(directory): owner-only permissions", fix: ""))
        }
        return findings
    }

    static func license(_ config: Config, logger: Logger) async -> Finding {
        do {
            let runtime = try await ITOpsRuntime.start(config: config, logger: logger)
            let status = runtime.license.status()
            await runtime.shutdown()
            let now = Date()
            switch status.state {
            case .active:
                let days = Int((status.expiresAt ?? now).timeIntervalSince(now) / 86_400)
                return days < 14
                    ? Finding(
                        level: .warn, check: "license",
                        message: "licensed to \(status.customer ?? "?"), expires in \(days) day(s)",
                        fix: "renew: activate the new key (POST /api/v1/license/activate or ITOPS_LICENSE_KEY)")
                    : Finding(
                        level: .ok, check: "license",
                        message: "licensed to \(status.customer ?? "?") until \(ISO8601.format(status.expiresAt ?? now))",
                        fix: "")
            case .trial:
                return Finding(
                    level: .ok, check: "license",
                    message: "trial until \(status.trialEndsAt.map(ISO8601.format) ?? "?"): every plugin is on",
                    fix: "")
            case .expired:
                return Finding(
                    level: .warn, check: "license", message: "the license expired: plugins are off",
                    fix: "activate a renewed key (POST /api/v1/license/activate or ITOPS_LICENSE_KEY)")
            case .community:
                return Finding(
                    level: .ok, check: "license", message: "community edition (no license, no trial)", fix: "")
            }
        } catch {
            return Finding(
                level: .fail, check: "license", message: "could not start to read it: \(error)",
                fix: "see the error; `itops serve` would fail the same way")
        }
    }
}
