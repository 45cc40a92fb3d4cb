import Foundation
import ITOpsCore
import ITOpsGraphQL
import ITOpsIdentity
import ITOpsOutbound
import ITOpsStore
import Logging

/// Everything a running ITOps holds: store, event bus, domain services, auth, metrics.
///
/// Built once by `start` — by the executable and by the tests alike — and handed to
/// `buildApplication`.
public final class ITOpsRuntime: Sendable {
    /// The version reported by `/health`.
    public static let version = "0.1.0"

    public let config: Config
    public let store: SQLStore
    public let events: any EventBus
    public let clock: any WallClock
    public let ingest: Ingest
    /// Availability, exclusion windows, rollups, burn rates and reports.
    public let sla: SLAEngine
    public let logger: Logger
    /// Trial, active license and the plugin gate.
    public let license: LicenseManager
    /// Webhooks, workflows and templates; every outbound call goes through its SSRF-guarded client.
    public let outbound: OutboundService
    /// Tickets (plugin `ticketing`): life cycle, timeline, automatic tickets.
    public let tickets: TicketDesk
    /// The tamper-evident audit trail (plugin `audit`).
    public let audit: AuditTrail
    /// Public status pages (plugin `sla`): what admins publish.
    public let statusPages: StatusPageDesk
    /// What the public sees of them, served from memory.
    let statusPageCache: PublicStatusCache
    let accounts: Accounts
    /// LDAP and OIDC sign-in, and the routing of `login` between local and LDAP.
    let signIn: SignIn
    let apiKeys: APIKeys
    /// Whether issued tokens and keys still hold (revocation within seconds, across instances).
    let credentials: CredentialState
    let tokens: AccessTokens
    let metrics: ITOpsMetrics
    let graphQL: ITOpsAPI
    /// Open connections per client address, capped by `maxConnectionsPerAddress`.
    public let connections: ConnectionLimiter
    /// Open GraphQL WebSockets, closed with 1001 by a graceful stop.
    let webSockets = WebSocketRegistry()

    private init(
        config: Config, store: SQLStore, events: any EventBus, clock: any WallClock, ingest: Ingest, sla: SLAEngine,
        logger: Logger, accounts: Accounts, signIn: SignIn, apiKeys: APIKeys, credentials: CredentialState, tokens: AccessTokens,
        metrics: ITOpsMetrics,
        graphQL: ITOpsAPI, license: LicenseManager, outbound: OutboundService, tickets: TicketDesk, audit: AuditTrail
    ) {
        self.config = config
        self.store = store
        self.events = events
        self.clock = clock
        self.ingest = ingest
        self.sla = sla
        self.logger = logger
        self.accounts = accounts
        self.signIn = signIn
        self.apiKeys = apiKeys
        self.credentials = credentials
        self.tokens = tokens
        self.metrics = metrics
        self.graphQL = graphQL
        self.license = license
        self.outbound = outbound
        connections = ConnectionLimiter(limit: config.maxConnectionsPerAddress, proxies: config.trustedProxies)
        self.tickets = tickets
        self.audit = audit
        statusPages = StatusPageDesk(store: store, engine: sla, clock: clock)
        statusPageCache = PublicStatusCache(desk: statusPages, ttl: config.statusPageTTL, publicURL: config.publicURL)
        statusPages.onChange { [statusPageCache] in statusPageCache.invalidate() }
    }

    /// Opens the database (applying migrations), loads or generates secrets, and creates the
    /// bootstrap admin and API key when configured.
    public static func start(config: Config, clock: any WallClock = SystemWallClock(), logger: Logger) async throws
        -> ITOpsRuntime
    {
        try DataDirectory.secure(config: config, logger: logger)
        let secret = try config.jwtSecret ?? loadOrGenerateSecret(dataDirectory: config.dataDirectory, logger: logger)
        let store = try await SQLStore.open(config.storeLocation, clock: clock, logger: logger)
        do {
            let events = store.eventBus
            var settings = Ingest.Settings()
            settings.heartbeatTimeout = config.heartbeatTimeout
            settings.pushStaleAfter = config.pushStaleAfter
            settings.maxClockSkew = config.maxClockSkew
            settings.lateDataHorizon = config.lateDataHorizon
            let ingest = Ingest(store: store, events: events, clock: clock, settings: settings)
            var slaSettings = SLAEngine.Settings()
            slaSettings.unknownPolicy = config.slaUnknownPolicy
            slaSettings.maxExclusionWindow = config.maxExclusionWindow
            slaSettings.maxPlannedExclusionWindow = config.maxPlannedExclusionWindow
            slaSettings.computeExecutor = GraphQLExecutor.workers
            let sla = SLAEngine(store: store, events: events, clock: clock, settings: slaSettings)
            try await sla.seedDefinitions()
            let tokens = await AccessTokens.make(secret: secret, clock: clock)
            let hasher = PasswordHasher(cost: config.bcryptCost)
            let credentials = CredentialState(
                store: store, clock: clock, interval: config.credentialRefreshInterval, logger: logger)
            let accounts = Accounts(
                store: store, clock: clock, tokens: tokens, hasher: hasher, throttle: LoginThrottle(clock: clock),
                decoyHash: try await hasher.hash(Secrets.randomHex(bytes: 16)),
                onCredentialsChange: { credentials.invalidate() })
            let signIn = SignIn(
                store: store, clock: clock, accounts: accounts, ldap: try config.ldap.map(LDAPDirectory.init(settings:)),
                oidc: config.oidc.map { OIDCClient(settings: $0) }, logger: logger)
            let apiKeys = APIKeys(
                store: store, clock: clock, cache: KeyCache(ttl: config.credentialRefreshInterval),
                credentials: credentials)
            if let key = config.operatorAPIKey, try await apiKeys.bootstrap(key) == .revoked {
                logger.error(
                    "ITOPS_OPERATOR_API_KEY names an API key that was revoked; it stays revoked and is not re-created. Set ITOPS_OPERATOR_API_KEY to a new value (or unset it) to have a bootstrap key again"
                )
            }
            if let email = config.adminEmail, let password = config.adminPassword,
                try await accounts.bootstrapAdmin(email: email, password: password)
            {
                logger.notice("created the first admin from ITOPS_ADMIN_EMAIL", metadata: ["email": "\(email)"])
            }
            let license = try await LicenseManager.start(
                config: config, store: store, events: events, clock: clock, logger: logger)
            let metrics = ITOpsMetrics()
            await store.observeBatches { metrics.writeBatch(size: $0) }
            let tickets = TicketDesk(store: store, events: events, clock: clock, gate: license)
            let outbound = makeOutbound(
                config: config, store: store, events: events, clock: clock, tickets: tickets, logger: logger,
                metrics: metrics, sla: sla)
            let audit = AuditTrail(store: store, clock: clock, gate: license, logger: logger)
            return ITOpsRuntime(
                config: config, store: store, events: events, clock: clock, ingest: ingest, sla: sla, logger: logger,
                accounts: accounts, signIn: signIn, apiKeys: apiKeys, credentials: credentials, tokens: tokens, metrics: metrics,
                graphQL: try ITOpsAPI(),
                license: license, outbound: outbound, tickets: tickets, audit: audit)
        } catch {
            await store.shutdown()
            throw error
        }
    }

    /// The outbound service: one SSRF guard from the configuration, one client, the SLA definitions port.
    static func makeOutbound(
        config: Config, store: SQLStore, events: any EventBus, clock: any WallClock, tickets: TicketDesk?,
        logger: Logger, metrics: ITOpsMetrics, sla: SLAEngine? = nil
    ) -> OutboundService {
        let policy = SSRFPolicy(hostAllowlist: config.webhookHostAllowlist, allowPrivate: config.allowPrivateWebhooks)
        if policy.allowPrivate {
            logger.warning("ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS is on: outbound calls may reach private addresses")
        }
        var settings = OutboundHTTPClient.Settings()
        settings.timeout = .milliseconds(Int(config.outboundTimeout * 1000))
        settings.connectTimeout = min(.seconds(5), settings.timeout)
        settings.userAgent = "ITOps/\(version)"
        let client = OutboundHTTPClient(guardian: SSRFGuard(policy: policy), settings: settings)
        var outboundSettings = OutboundService.Settings()
        outboundSettings.onOutcome = { kind, status in metrics.outboundOutcome(kind: kind, status: status.rawValue) }
        outboundSettings.publicURL = config.publicURL
        if let sla {
            let figures = SLAFigureLines(sla: sla)
            outboundSettings.slaFigure = { serviceId, group in await figures.line(serviceId: serviceId, group: group) }
        }
        // Templates import and export the SLA engine's definitions (one per tier).
        return OutboundService(
            store: store, events: events, clock: clock, client: client, slaCatalog: StoreSLADefinitionCatalog(),
            tickets: tickets, logger: logger, settings: outboundSettings)
    }

    /// Creates a user (CLI and tests).
    public func createUser(email: String, password: String, role: Role) async throws -> User {
        try await accounts.createUser(email: email, password: password, role: role)
    }

    /// Creates an API key, optionally scoped and expiring; the plain text is returned once.
    public func createAPIKey(name: String, role: Role, nodeScope: [NodePath]? = nil, expiresAt: Date? = nil)
        async throws -> (key: APIKey, plain: String)
    {
        try await apiKeys.create(name: name, role: role, nodeScope: nodeScope, expiresAt: expiresAt)
    }

    /// User administration (CLI and tests).
    public var identity: any IdentityAdmin { accounts }

    /// Every user, by email.
    public func listUsers() async throws -> [User] { try await store.reader.users() }

    /// The user with this id or email; `notFound` otherwise.
    public func user(_ reference: String) async throws -> User {
        let found =
            if let id = UUID(uuidString: reference) {
                try await store.reader.user(id: id)
            } else {
                try await store.reader.user(email: reference)
            }
        guard let found else { throw ITOpsError.notFound("no user with id or email '\(reference.prefix(254))'") }
        return found
    }

    /// Every API key, revoked ones included.
    public func listAPIKeys() async throws -> [APIKey] { try await apiKeys.list() }

    /// Revokes the key with this id or prefix.
    public func revokeAPIKey(_ reference: String) async throws -> APIKey { try await apiKeys.revoke(reference) }

    /// Closes the database.
    public func shutdown() async { await store.shutdown() }

    /// The JWT secret from `<data dir>/jwt-secret`, generated (0600) on first start.
    static func loadOrGenerateSecret(dataDirectory: String, logger: Logger) throws -> String {
        let directory = URL(fileURLWithPath: dataDirectory)
        let file = directory.appendingPathComponent("jwt-secret")
        if let existing = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines),
            existing.count >= 32
        {
            return existing
        }
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let secret = Secrets.randomHex(bytes: 32)
        // Unwritten, the secret would change at every start and sign every user out.
        guard
            FileManager.default.createFile(
                atPath: file.path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw ITOpsError(.unavailable, "could not write the JWT secret to \(file.path): check the data directory's permissions")
        }
        logger.warning(
            "ITOPS_JWT_SECRET is not set: generated one into the data directory; set it explicitly when running several instances",
            metadata: ["file": "\(file.path)"])
        return secret
    }
}

/// The GraphQL resolvers' view of the runtime.
struct Backend: GraphQLBackend {
    let runtime: ITOpsRuntime

    var reader: any StoreReader { runtime.store.reader }

    var licensing: any Licensing { runtime.license }

    var sla: SLAEngine? { runtime.sla }
    var outbound: (any OutboundAdmin)? { runtime.outbound }
    var tickets: TicketDesk? { runtime.tickets }
    var audit: AuditTrail? { runtime.audit }
    var statusPages: StatusPageDesk? { runtime.statusPages }
    var identity: (any IdentityAdmin)? { runtime.accounts }

    func login(email: String, password: String, client: String) async throws -> AuthSession {
        try await runtime.signIn.login(email: email, password: password, client: client)
    }

    func refresh(refreshToken: String, client: String) async throws -> AuthSession {
        try await runtime.accounts.refresh(refreshToken: refreshToken, client: client)
    }

    func logout(principal: Principal, refreshToken: String?) async throws -> Bool {
        try await runtime.accounts.logout(principal: principal, refreshToken: refreshToken)
    }

    func events() -> AsyncStream<DomainEvent> {
        runtime.events.subscribe(bufferSize: runtime.config.graphQL.subscriberBufferSize)
    }

    func createUser(email: String, password: String, role: Role) async throws -> User {
        try await runtime.accounts.createUser(email: email, password: password, role: role)
    }

    func createAPIKey(name: String, role: Role, nodeScope: [NodePath]?, expiresAt: Date?) async throws -> (
        key: APIKey, plain: String
    ) {
        try await runtime.apiKeys.create(name: name, role: role, nodeScope: nodeScope, expiresAt: expiresAt)
    }

    func revokeAPIKey(_ reference: String) async throws -> APIKey {
        try await runtime.apiKeys.revoke(reference)
    }
}
