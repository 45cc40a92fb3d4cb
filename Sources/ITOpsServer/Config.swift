import Foundation
import ITOpsCore
import ITOpsGraphQL
import ITOpsIdentity
import ITOpsStore
import Logging

/// The whole configuration, read once at start-up from `ITOPS_*` variables and CLI flags.
///
/// Nothing else in ITOps reads the environment. `load` reports every bad variable at once.
public struct Config: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = "./data"
    /// `nil` means the SQLite file in the data directory.
    public var databaseURL: String?
    public var jwtSecret: String?
    public var operatorAPIKey: String?
    public var adminEmail: String?
    public var adminPassword: String?
    public var licenseKey: String?
    public var licensePublicKey: String?
    public var trialDays = 30
    public var heartbeatTimeout: TimeInterval = 90
    public var pushStaleAfter: TimeInterval = 300
    /// How far in the future a report's `observedAt` may be (`ITOPS_MAX_CLOCK_SKEW`).
    public var maxClockSkew: TimeInterval = 300
    /// How far in the past a report's `observedAt` may be (`ITOPS_LATE_DATA_HORIZON`).
    public var lateDataHorizon: TimeInterval = 86_400
    public var slaUnknownPolicy = UnknownPolicy.exclude
    public var maxExclusionWindow: TimeInterval = 86_400
    public var webhookHostAllowlist: [String] = []
    public var allowPrivateWebhooks = false
    /// Longest outbound HTTP call (webhook delivery, workflow step), redirects included.
    public var outboundTimeout: TimeInterval = 10
    /// Where people reach the console (`ITOPS_PUBLIC_URL`, no trailing slash): notifications link to it.
    public var publicURL: String?
    public var logLevel = Logger.Level.info
    /// How often the silence sweep runs.
    public var sweepInterval: TimeInterval = 15
    /// SQLite durability: `full` (default, survives power loss) or `normal`.
    public var sqliteSynchronous = SQLiteDurability.full
    /// The SQLite writer connection's page cache, in MiB.
    public var sqliteCacheMiB = 32
    /// bcrypt cost for password hashes (4–31, default 12).
    public var bcryptCost = 12
    /// GraphQL limits (depth, cost, size, rate, WebSocket buffers), the same on HTTP and WebSocket.
    public var graphQL = GraphQLLimits()
    /// Proxies whose `X-Forwarded-For` names the client (`ITOPS_TRUSTED_PROXIES`); none by default.
    public var trustedProxies = TrustedProxies()
    /// An HTTP connection that sends nothing (between requests, or in the middle of one) for this
    /// long is closed.
    public var httpIdleTimeout: TimeInterval = 30
    /// Connections one client address may hold open at once; 0 is no limit.
    public var maxConnectionsPerAddress = 128
    /// Longest maintenance window an admin may plan with `expectedEndAt` (others are held to
    /// `maxExclusionWindow`).
    public var maxPlannedExclusionWindow: TimeInterval = 7 * 86_400
    /// How long a stop (SIGTERM, SIGINT) may take: in-flight requests, the write batch, WebSockets and jobs
    /// get this long to finish before the process exits anyway.
    public var shutdownTimeout: TimeInterval = 30
    /// Days of audit entries to keep (whole UTC days are pruned); `nil` keeps everything.
    public var auditRetentionDays: Int?
    /// LDAP sign-in (`ITOPS_LDAP_*`); `nil` when `ITOPS_LDAP_URL` is not set.
    public var ldap: LDAPDirectory.Settings?
    /// OpenID Connect sign-in (`ITOPS_OIDC_*`); `nil` when `ITOPS_OIDC_ISSUER` is not set.
    public var oidc: OIDCClient.Settings?
    /// How long a public status page (its JSON, feed and badges) is served from memory before it is
    /// recomputed (`ITOPS_STATUS_PAGE_TTL`).
    public var statusPageTTL: TimeInterval = 30
    /// Longest age of an instance's view of revocations (users disabled, deleted or demoted, sessions
    /// signed out, keys revoked); an open WebSocket re-checks its credential this often too.
    public var credentialRefreshInterval: TimeInterval = 5

    /// How `UNKNOWN` time counts in SLA math.

    public init() {}

    /// Every variable: name, default as documented, meaning. The README's table is this list.
    public static let variables: [(name: String, defaultValue: String, meaning: String)] = [
        ("ITOPS_HOST", "127.0.0.1", "listen address"),
        ("ITOPS_PORT", "8080", "listen port (0 picks a free one)"),
        ("ITOPS_DATA_DIR", "./data", "embedded database, generated secrets, reports"),
        (
            "ITOPS_DATABASE_URL", "SQLite file in the data dir",
            "`sqlite:///path/to/file.db` or `postgres://user:pass@host:port/db`"
        ),
        ("ITOPS_JWT_SECRET", "generated into the data dir, with a warning", "HS256 key, at least 32 characters"),
        ("ITOPS_OPERATOR_API_KEY", "none", "bootstrap API key for agents and scripts (at least 16 characters)"),
        ("ITOPS_ADMIN_EMAIL", "none", "with ITOPS_ADMIN_PASSWORD: creates the first admin if no user exists"),
        ("ITOPS_ADMIN_PASSWORD", "none", "password of that first admin (at least 8 characters)"),
        ("ITOPS_LICENSE_KEY", "none", "license token (read by the licensing feature)"),
        ("ITOPS_LICENSE_PUBLIC_KEY", "built-in", "license verifying key, base64 raw Ed25519"),
        ("ITOPS_TRIAL_DAYS", "30", "trial length in days; 0 disables the trial"),
        (
            "ITOPS_HEARTBEAT_TIMEOUT", "90s",
            "a node without heartbeat this long is silent; its operator services turn UNKNOWN"
        ),
        ("ITOPS_PUSH_STALE_AFTER", "300s", "a pushed service silent this long turns UNKNOWN"),
        ("ITOPS_MAX_CLOCK_SKEW", "5m", "furthest in the future a report's `observedAt` may be (the reporter's clock ahead)"),
        (
            "ITOPS_LATE_DATA_HORIZON", "24h",
            "oldest `observedAt` a report may carry (an agent replaying its buffer); older is refused"
        ),
        ("ITOPS_SLA_UNKNOWN_POLICY", "exclude", "`exclude` or `down`: how UNKNOWN time counts in SLA math"),
        (
            "ITOPS_MAX_EXCLUSION_WINDOW", "24h",
            "longest maintenance window: the cap of one without expectedEndAt, and the furthest expectedEndAt a non-admin may set"
        ),
        (
            "ITOPS_MAX_PLANNED_EXCLUSION_WINDOW", "7d",
            "furthest expectedEndAt an admin may set (recorded as an sla:alert); nothing may be longer"
        ),
        (
            "ITOPS_TRUSTED_PROXIES", "empty",
            "comma-separated addresses or CIDR ranges of proxies whose X-Forwarded-For names the client"
        ),
        ("ITOPS_HTTP_IDLE_TIMEOUT", "30s", "an HTTP connection silent this long (idle or mid-request) is closed"),
        ("ITOPS_MAX_CONNECTIONS_PER_ADDRESS", "128", "connections one client address may hold open; 0 is no limit"),
        ("ITOPS_GRAPHQL_TIMEOUT", "10s", "longest a GraphQL query or mutation may run before it is answered TIMEOUT"),
        (
            "ITOPS_GRAPHQL_ANSWER_TTL", "1s",
            "how long a query's answer is served again to the same caller asking the same question, while nothing was written meanwhile (0–60s; 0 turns it off)"
        ),
        (
            "ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST", "empty",
            "comma-separated host names outbound calls may reach despite the SSRF guard"
        ),
        ("ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS", "false", "lift the SSRF block entirely (development only)"),
        (
            "ITOPS_OUTBOUND_TIMEOUT", "10s",
            "longest outbound HTTP call (webhook delivery, workflow step), redirects included; at most 5m"
        ),
        (
            "ITOPS_PUBLIC_URL", "unset",
            "the console's public address (http(s)://host[:port][/path]); notifications link to its pages"
        ),
        ("ITOPS_LOG_LEVEL", "info", "trace, debug, info, notice, warning, error, critical"),
        ("ITOPS_SWEEP_INTERVAL", "15s", "how often the silence sweep runs"),
        (
            "ITOPS_STATUS_PAGE_TTL", "30s",
            "how long public status pages, their JSON, feed and badges are served from memory before they are recomputed (1s–10m)"
        ),
        ("ITOPS_SQLITE_SYNCHRONOUS", "full", "`full` (survives power loss) or `normal` (survives a killed process)"),
        (
            "ITOPS_SQLITE_CACHE_MB", "32",
            "page cache of SQLite's writer connection in MiB, 1–4096: what every write touches (services and their indexes) should fit"
        ),
        ("ITOPS_BCRYPT_COST", "12", "bcrypt cost of password hashes, 4–31"),
        (
            "ITOPS_GRAPHQL_RATE_LIMIT", "50",
            "GraphQL operations per second per principal, HTTP and WebSocket; 0 is no limit"
        ),
        ("ITOPS_GRAPHQL_RATE_BURST", "200", "GraphQL operations a principal may send at once after a quiet spell"),
        ("ITOPS_GRAPHQL_MAX_DEPTH", "15", "deepest GraphQL field nesting accepted"),
        ("ITOPS_GRAPHQL_MAX_COMPLEXITY", "20000", "largest GraphQL query cost accepted (fields, lists by first or 20)"),
        (
            "ITOPS_SHUTDOWN_TIMEOUT", "30s",
            "on SIGTERM: how long in-flight requests, the write batch and WebSockets get before the process exits"
        ),
        (
            "ITOPS_AUTH_REFRESH_INTERVAL", "5s",
            "how often each instance re-reads revocations (disabled users, signed-out sessions, revoked keys), and an open WebSocket re-checks its credential; 0.1s–5s"
        ),
        (
            "ITOPS_AUDIT_RETENTION", "forever",
            "days of audit trail to keep (`90` or `90d`); older whole days are pruned, the chain still verifies"
        ),
    ] + signInVariables

    /// Every variable name, for flag mapping and unknown-variable warnings.
    public static var variableNames: [String] { variables.map(\.name) }

    /// `ITOPS_*` variables read by tools rather than the server: not configuration, not typos.
    public static let toolVariables = [
        "ITOPS_NEW_USER_PASSWORD",  // `itops user create`
        "ITOPS_TEST_DATABASE_URL",  // the test suite's PostgreSQL; every ITOPS_TEST_* belongs to the tests
    ]

    /// The CLI flag for a variable: `ITOPS_DATA_DIR` → `data-dir`.
    public static func flagName(for variable: String) -> String {
        variable.dropFirst("ITOPS_".count).lowercased().replacingOccurrences(of: "_", with: "-")
    }

    /// Reads the configuration from `environment`, with `overrides` (from flags, keyed by
    /// variable name) winning. Throws one error listing every bad variable.
    public static func load(environment: [String: String], overrides: [String: String] = [:]) throws(ConfigError)
        -> Config
    {
        var values = environment.filter { $0.key.hasPrefix("ITOPS_") }
        values.merge(overrides) { _, flag in flag }
        var config = Config()
        var problems: [String] = []

        func read(_ name: String, _ apply: (String) throws(ConfigProblem) -> Void) {
            guard let raw = values[name] else { return }
            do throws(ConfigProblem) { try apply(raw) } catch { problems.append("\(name): \(error.message)") }
        }

        read("ITOPS_HOST") { value throws(ConfigProblem) in
            guard !value.isEmpty else { throw ConfigProblem("must not be empty") }
            config.host = value
        }
        read("ITOPS_PORT") { value throws(ConfigProblem) in
            guard let port = Int(value), (0...65_535).contains(port) else {
                throw ConfigProblem("'\(value)' is not a port (0–65535)")
            }
            config.port = port
        }
        read("ITOPS_DATA_DIR") { value throws(ConfigProblem) in
            guard !value.isEmpty else { throw ConfigProblem("must not be empty") }
            config.dataDirectory = value
        }
        read("ITOPS_DATABASE_URL") { value throws(ConfigProblem) in
            if value.hasPrefix("sqlite://") {
                guard value.count > "sqlite://".count else { throw ConfigProblem("sqlite:// needs a path") }
            } else if value.hasPrefix("postgres://") || value.hasPrefix("postgresql://") {
                guard let url = URL(string: value), url.host != nil else {
                    throw ConfigProblem("'postgres://user:pass@host:port/db' expected")
                }
            } else {
                throw ConfigProblem("must start with sqlite:// or postgres:// (e.g. sqlite:///var/lib/itops/itops.db)")
            }
            config.databaseURL = value
        }
        read("ITOPS_JWT_SECRET") { value throws(ConfigProblem) in
            guard value.count >= 32 else { throw ConfigProblem("must be at least 32 characters (got \(value.count))") }
            config.jwtSecret = value
        }
        read("ITOPS_OPERATOR_API_KEY") { value throws(ConfigProblem) in
            guard value.count >= 16 else { throw ConfigProblem("must be at least 16 characters") }
            config.operatorAPIKey = value
        }
        read("ITOPS_ADMIN_EMAIL") { value throws(ConfigProblem) in
            guard Email.isPlausible(value) else { throw ConfigProblem("'\(value)' is not an email address") }
            config.adminEmail = value
        }
        read("ITOPS_ADMIN_PASSWORD") { value throws(ConfigProblem) in
            guard value.count >= 8 else { throw ConfigProblem("must be at least 8 characters") }
            config.adminPassword = value
        }
        read("ITOPS_LICENSE_KEY") { value throws(ConfigProblem) in config.licenseKey = value }
        read("ITOPS_LICENSE_PUBLIC_KEY") { value throws(ConfigProblem) in
            guard let raw = Data(base64Encoded: value), raw.count == 32 else {
                throw ConfigProblem("must be a base64 raw Ed25519 public key (32 bytes)")
            }
            config.licensePublicKey = value
        }
        read("ITOPS_TRIAL_DAYS") { value throws(ConfigProblem) in
            guard let days = Int(value), (0...3650).contains(days) else {
                throw ConfigProblem("'\(value)' is not a number of days (0–3650)")
            }
            config.trialDays = days
        }
        read("ITOPS_AUDIT_RETENTION") { value throws(ConfigProblem) in
            if value == "forever" {
                config.auditRetentionDays = nil
                return
            }
            let digits = value.hasSuffix("d") ? String(value.dropLast()) : value
            guard let days = Int(digits), (1...36_500).contains(days) else {
                throw ConfigProblem("'\(value)' is not `forever` or a number of days (1–36500, e.g. 90d)")
            }
            config.auditRetentionDays = days
        }
        read("ITOPS_AUTH_REFRESH_INTERVAL") { value throws(ConfigProblem) in
            let interval = try duration(value)
            guard interval >= 0.1, interval <= 5 else {
                throw ConfigProblem("must be between 0.1s and 5s (revocation must take effect within 10 s)")
            }
            config.credentialRefreshInterval = interval
        }
        read("ITOPS_HEARTBEAT_TIMEOUT") { value throws(ConfigProblem) in config.heartbeatTimeout = try duration(value) }
        read("ITOPS_PUSH_STALE_AFTER") { value throws(ConfigProblem) in config.pushStaleAfter = try duration(value) }
        read("ITOPS_MAX_CLOCK_SKEW") { value throws(ConfigProblem) in config.maxClockSkew = try duration(value) }
        read("ITOPS_LATE_DATA_HORIZON") { value throws(ConfigProblem) in config.lateDataHorizon = try duration(value) }
        read("ITOPS_MAX_EXCLUSION_WINDOW") { value throws(ConfigProblem) in
            config.maxExclusionWindow = try duration(value)
        }
        read("ITOPS_STATUS_PAGE_TTL") { value throws(ConfigProblem) in
            let ttl = try duration(value)
            guard (1...600).contains(ttl) else { throw ConfigProblem("'\(value)' must be between 1s and 10m") }
            config.statusPageTTL = ttl
        }
        read("ITOPS_MAX_PLANNED_EXCLUSION_WINDOW") { value throws(ConfigProblem) in
            config.maxPlannedExclusionWindow = try duration(value)
        }
        read("ITOPS_TRUSTED_PROXIES") { value throws(ConfigProblem) in
            switch TrustedProxies.parse(value) {
            case .success(let proxies): config.trustedProxies = proxies
            case .failure(let bad):
                throw ConfigProblem("'\(bad.entry.prefix(64))' is not an address or CIDR range (10.0.0.0/8, ::1)")
            }
        }
        read("ITOPS_HTTP_IDLE_TIMEOUT") { value throws(ConfigProblem) in
            let timeout = try duration(value)
            guard timeout >= 1, timeout <= 3600 else { throw ConfigProblem("must be between 1s and 1h") }
            config.httpIdleTimeout = timeout
        }
        read("ITOPS_MAX_CONNECTIONS_PER_ADDRESS") { value throws(ConfigProblem) in
            guard let limit = Int(value), limit >= 0 else { throw ConfigProblem("must be a whole number, 0 for no limit") }
            config.maxConnectionsPerAddress = limit
        }
        read("ITOPS_GRAPHQL_TIMEOUT") { value throws(ConfigProblem) in
            let timeout = try duration(value)
            guard timeout >= 1, timeout <= 600 else { throw ConfigProblem("must be between 1s and 10m") }
            config.graphQL.deadline = .milliseconds(Int64(timeout * 1000))
        }
        read("ITOPS_GRAPHQL_ANSWER_TTL") { value throws(ConfigProblem) in
            let ttl = value == "0" || value == "0s" ? 0 : try duration(value)
            guard ttl <= 60 else { throw ConfigProblem("'\(value)' must be between 0 (off) and 60s") }
            config.graphQL.answerMaxAge = .milliseconds(Int64(ttl * 1000))
        }
        read("ITOPS_SWEEP_INTERVAL") { value throws(ConfigProblem) in config.sweepInterval = try duration(value) }
        read("ITOPS_SLA_UNKNOWN_POLICY") { value throws(ConfigProblem) in
            guard let policy = UnknownPolicy(rawValue: value) else { throw ConfigProblem("must be exclude or down") }
            config.slaUnknownPolicy = policy
        }
        read("ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST") { value throws(ConfigProblem) in
            config.webhookHostAllowlist = value.split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }.filter { !$0.isEmpty }
        }
        read("ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS") { value throws(ConfigProblem) in
            config.allowPrivateWebhooks = try bool(value)
        }
        read("ITOPS_OUTBOUND_TIMEOUT") { value throws(ConfigProblem) in
            let timeout = try duration(value)
            guard timeout >= 1, timeout <= 300 else { throw ConfigProblem("must be between 1s and 5m") }
            config.outboundTimeout = timeout
        }
        read("ITOPS_PUBLIC_URL") { value throws(ConfigProblem) in
            var text = value.trimmingCharacters(in: .whitespaces)
            while text.hasSuffix("/") { text.removeLast() }
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
                let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil, text.count <= 2048
            else { throw ConfigProblem("must be an http(s) URL without query or fragment, e.g. https://itops.example.com") }
            config.publicURL = text
        }
        read("ITOPS_LOG_LEVEL") { value throws(ConfigProblem) in
            guard let level = Logger.Level(rawValue: value.lowercased()) else {
                throw ConfigProblem("must be one of trace, debug, info, notice, warning, error, critical")
            }
            config.logLevel = level
        }
        read("ITOPS_SQLITE_SYNCHRONOUS") { value throws(ConfigProblem) in
            guard let mode = SQLiteDurability(rawValue: value.lowercased()) else {
                throw ConfigProblem("must be full or normal")
            }
            config.sqliteSynchronous = mode
        }
        read("ITOPS_SQLITE_CACHE_MB") { value throws(ConfigProblem) in
            guard let mib = Int(value), (1...4096).contains(mib) else { throw ConfigProblem("must be 1–4096 (MiB)") }
            config.sqliteCacheMiB = mib
        }
        read("ITOPS_BCRYPT_COST") { value throws(ConfigProblem) in
            guard let cost = Int(value), (4...31).contains(cost) else { throw ConfigProblem("must be 4–31") }
            config.bcryptCost = cost
        }
        read("ITOPS_GRAPHQL_RATE_LIMIT") { value throws(ConfigProblem) in
            guard let rate = Double(value), rate >= 0, rate.isFinite else {
                throw ConfigProblem("must be a number of operations per second, 0 for no limit")
            }
            config.graphQL.requestsPerSecond = rate
        }
        read("ITOPS_GRAPHQL_RATE_BURST") { value throws(ConfigProblem) in
            guard let burst = Int(value), burst >= 1 else { throw ConfigProblem("must be a whole number, at least 1") }
            config.graphQL.burst = Double(burst)
        }
        read("ITOPS_GRAPHQL_MAX_DEPTH") { value throws(ConfigProblem) in
            guard let depth = Int(value), (1...100).contains(depth) else { throw ConfigProblem("must be 1–100") }
            config.graphQL.maxDepth = depth
        }
        read("ITOPS_GRAPHQL_MAX_COMPLEXITY") { value throws(ConfigProblem) in
            guard let cost = Int(value), cost >= 1 else { throw ConfigProblem("must be a whole number, at least 1") }
            config.graphQL.maxComplexity = cost
            config.graphQL.maxResultItems = cost
        }
        if config.maxPlannedExclusionWindow < config.maxExclusionWindow {
            problems.append(
                "ITOPS_MAX_PLANNED_EXCLUSION_WINDOW: must not be shorter than ITOPS_MAX_EXCLUSION_WINDOW")
        }
        read("ITOPS_SHUTDOWN_TIMEOUT") { value throws(ConfigProblem) in
            let timeout = try duration(value)
            guard timeout <= 600 else { throw ConfigProblem("must be at most 10m") }
            config.shutdownTimeout = timeout
        }
        readSignIn(values, into: &config, problems: &problems)
        if (config.adminEmail == nil) != (config.adminPassword == nil) {
            problems.append("ITOPS_ADMIN_EMAIL and ITOPS_ADMIN_PASSWORD: set both or neither")
        }
        let unknown = values.keys.filter {
            !variableNames.contains($0) && !toolVariables.contains($0) && !$0.hasPrefix("ITOPS_TEST_")
        }.sorted()
        for name in unknown { problems.append("\(name): not a known ITOps variable (typo?)") }
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        return config
    }

    /// Accepts `90s`, `5m`, `24h`, `2d` or plain seconds.
    static func duration(_ text: String) throws(ConfigProblem) -> TimeInterval {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var number = Substring(text)
        var factor = 1.0
        if let last = text.last, let unit = units[last] {
            number = text.dropLast()
            factor = unit
        }
        guard let value = Double(number), value > 0, value.isFinite else {
            throw ConfigProblem("'\(text)' is not a duration (90s, 5m, 24h or seconds)")
        }
        return value * factor
    }

    static func bool(_ text: String) throws(ConfigProblem) -> Bool {
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw ConfigProblem("must be true or false")
        }
    }

    /// Where the store lives.
    public var storeLocation: StoreLocation {
        if let url = databaseURL, url.hasPrefix("sqlite://") {
            return .sqlite(
                path: String(url.dropFirst("sqlite://".count)), durability: sqliteSynchronous, cacheMiB: sqliteCacheMiB)
        }
        if let url = databaseURL { return .postgres(url: url) }
        return .sqlite(
            path: URL(fileURLWithPath: dataDirectory).appendingPathComponent("itops.db").path,
            durability: sqliteSynchronous, cacheMiB: sqliteCacheMiB)
    }
}

/// One bad variable.
public struct ConfigProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Every bad variable, one line each.
public struct ConfigError: Error, CustomStringConvertible {
    public let problems: [String]
    public var description: String { problems.map { "configuration error: \($0)" }.joined(separator: "\n") }
}

/// Light email validation: something@something.tld, no spaces, at most 254 characters.
enum Email {
    static func isPlausible(_ text: String) -> Bool {
        guard text.count <= 254, !text.contains(where: \.isWhitespace) else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix(".")
        else { return false }
        return true
    }
}
