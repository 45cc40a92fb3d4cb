import ArgumentParser
import Foundation
import ITOpsServer

/// One flag per `ITOPS_*` variable; a flag wins over its variable.
struct ConfigOptions: ParsableArguments {
    @Option(name: .customLong("host"), help: "Overrides ITOPS_HOST.")
    var host: String?

    @Option(name: .customLong("port"), help: "Overrides ITOPS_PORT.")
    var port: String?

    @Option(name: .customLong("data-dir"), help: "Overrides ITOPS_DATA_DIR.")
    var dataDir: String?

    @Option(name: .customLong("database-url"), help: "Overrides ITOPS_DATABASE_URL.")
    var databaseUrl: String?

    @Option(name: .customLong("jwt-secret"), help: "Overrides ITOPS_JWT_SECRET.")
    var jwtSecret: String?

    @Option(name: .customLong("operator-api-key"), help: "Overrides ITOPS_OPERATOR_API_KEY.")
    var operatorApiKey: String?

    @Option(name: .customLong("admin-email"), help: "Overrides ITOPS_ADMIN_EMAIL.")
    var adminEmail: String?

    @Option(name: .customLong("admin-password"), help: "Overrides ITOPS_ADMIN_PASSWORD.")
    var adminPassword: String?

    @Option(name: .customLong("license-key"), help: "Overrides ITOPS_LICENSE_KEY.")
    var licenseKey: String?

    @Option(name: .customLong("license-public-key"), help: "Overrides ITOPS_LICENSE_PUBLIC_KEY.")
    var licensePublicKey: String?

    @Option(name: .customLong("trial-days"), help: "Overrides ITOPS_TRIAL_DAYS.")
    var trialDays: String?

    @Option(name: .customLong("heartbeat-timeout"), help: "Overrides ITOPS_HEARTBEAT_TIMEOUT.")
    var heartbeatTimeout: String?

    @Option(name: .customLong("push-stale-after"), help: "Overrides ITOPS_PUSH_STALE_AFTER.")
    var pushStaleAfter: String?

    @Option(name: .customLong("sla-unknown-policy"), help: "Overrides ITOPS_SLA_UNKNOWN_POLICY.")
    var slaUnknownPolicy: String?

    @Option(name: .customLong("max-exclusion-window"), help: "Overrides ITOPS_MAX_EXCLUSION_WINDOW.")
    var maxExclusionWindow: String?

    @Option(
        name: .customLong("security-webhook-host-allowlist"), help: "Overrides ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST.")
    var securityWebhookHostAllowlist: String?

    @Option(
        name: .customLong("security-allow-private-webhooks"), help: "Overrides ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS.")
    var securityAllowPrivateWebhooks: String?

    @Option(name: .customLong("outbound-timeout"), help: "Overrides ITOPS_OUTBOUND_TIMEOUT.")
    var outboundTimeout: String?

    @Option(name: .customLong("log-level"), help: "Overrides ITOPS_LOG_LEVEL.")
    var logLevel: String?

    @Option(name: .customLong("sweep-interval"), help: "Overrides ITOPS_SWEEP_INTERVAL.")
    var sweepInterval: String?

    @Option(name: .customLong("sqlite-synchronous"), help: "Overrides ITOPS_SQLITE_SYNCHRONOUS.")
    var sqliteSynchronous: String?

    @Option(name: .customLong("bcrypt-cost"), help: "Overrides ITOPS_BCRYPT_COST.")
    var bcryptCost: String?

    @Option(name: .customLong("graphql-rate-limit"), help: "Overrides ITOPS_GRAPHQL_RATE_LIMIT.")
    var graphqlRateLimit: String?

    @Option(name: .customLong("graphql-rate-burst"), help: "Overrides ITOPS_GRAPHQL_RATE_BURST.")
    var graphqlRateBurst: String?

    @Option(name: .customLong("graphql-max-depth"), help: "Overrides ITOPS_GRAPHQL_MAX_DEPTH.")
    var graphqlMaxDepth: String?

    @Option(name: .customLong("graphql-max-complexity"), help: "Overrides ITOPS_GRAPHQL_MAX_COMPLEXITY.")
    var graphqlMaxComplexity: String?

    @Option(name: .customLong("shutdown-timeout"), help: "Overrides ITOPS_SHUTDOWN_TIMEOUT.")
    var shutdownTimeout: String?

    /// The flags that were given, keyed by variable name.
    var overrides: [String: String] {
        let pairs: [(String, String?)] = [
            ("ITOPS_HOST", host),
            ("ITOPS_PORT", port),
            ("ITOPS_DATA_DIR", dataDir),
            ("ITOPS_DATABASE_URL", databaseUrl),
            ("ITOPS_JWT_SECRET", jwtSecret),
            ("ITOPS_OPERATOR_API_KEY", operatorApiKey),
            ("ITOPS_ADMIN_EMAIL", adminEmail),
            ("ITOPS_ADMIN_PASSWORD", adminPassword),
            ("ITOPS_LICENSE_KEY", licenseKey),
            ("ITOPS_LICENSE_PUBLIC_KEY", licensePublicKey),
            ("ITOPS_TRIAL_DAYS", trialDays),
            ("ITOPS_HEARTBEAT_TIMEOUT", heartbeatTimeout),
            ("ITOPS_PUSH_STALE_AFTER", pushStaleAfter),
            ("ITOPS_SLA_UNKNOWN_POLICY", slaUnknownPolicy),
            ("ITOPS_MAX_EXCLUSION_WINDOW", maxExclusionWindow),
            ("ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST", securityWebhookHostAllowlist),
            ("ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS", securityAllowPrivateWebhooks),
            ("ITOPS_OUTBOUND_TIMEOUT", outboundTimeout),
            ("ITOPS_LOG_LEVEL", logLevel),
            ("ITOPS_SWEEP_INTERVAL", sweepInterval),
            ("ITOPS_SQLITE_SYNCHRONOUS", sqliteSynchronous),
            ("ITOPS_BCRYPT_COST", bcryptCost),
            ("ITOPS_GRAPHQL_RATE_LIMIT", graphqlRateLimit),
            ("ITOPS_GRAPHQL_RATE_BURST", graphqlRateBurst),
            ("ITOPS_GRAPHQL_MAX_DEPTH", graphqlMaxDepth),
            ("ITOPS_GRAPHQL_MAX_COMPLEXITY", graphqlMaxComplexity),
            ("ITOPS_SHUTDOWN_TIMEOUT", shutdownTimeout),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { name, value in value.map { (name, $0) } })
    }

    /// The configuration from the environment and these flags; on error prints every problem and exits 2.
    func load() throws -> Config {
        do {
            return try Config.load(environment: ProcessInfo.processInfo.environment, overrides: overrides)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(2)
        }
    }
}
