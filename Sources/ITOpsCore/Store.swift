import Foundation

/// Which services a listing wants.
public struct ServiceFilter: Sendable, Equatable {
    /// A node and, unless `includeDescendants` is false, everything below it.
    public var nodeId: NodePath?
    public var includeDescendants = true
    public var status: ServiceStatus?
    public var slaGroup: String?
    public var tag: String?
    public var namespace: String?
    public var source: ServiceSource?
    /// Case-insensitive substring of the name or display name.
    public var search: String?
    /// Only services under one of these prefixes (a scoped API key's reads); `nil` is everything.
    public var scope: [NodePath]?

    public init(
        nodeId: NodePath? = nil, status: ServiceStatus? = nil, slaGroup: String? = nil, tag: String? = nil,
        namespace: String? = nil, source: ServiceSource? = nil, search: String? = nil
    ) {
        self.nodeId = nodeId
        self.status = status
        self.slaGroup = slaGroup
        self.tag = tag
        self.namespace = namespace
        self.source = source
        self.search = search
    }
}

/// A position in the `(nodeId, name)` order of services, for keyset pagination.
public struct ServiceCursor: Sendable, Equatable {
    public var nodeId: String
    public var name: String
    public init(nodeId: String, name: String) {
        self.nodeId = nodeId
        self.name = name
    }
}

/// Read access to everything the store keeps.
public protocol StoreReader: SLAReader {
    func service(id: UUID) async throws -> Service?
    /// The services among `ids` that exist, in one read per few hundred ids (no N+1).
    func services(ids: Set<UUID>) async throws -> [UUID: Service]
    func service(nodeId: NodePath, name: String) async throws -> Service?
    /// Services matching `filter` in `(nodeId, name)` order, after `cursor`, at most `limit`.
    func services(matching filter: ServiceFilter, after cursor: ServiceCursor?, limit: Int) async throws -> [Service]
    func countServices(matching filter: ServiceFilter) async throws -> Int
    /// Services with `backup.expected` in `slaGroup`.
    func servicesExpectingBackup(slaGroup: String) async throws -> [Service]
    /// Services with `backup.expected` in `namespace`.
    func servicesExpectingBackup(namespace: String) async throws -> [Service]
    func namespaceExists(_ namespace: String) async throws -> Bool
    /// Services of any of the SLA groups `names`, in `(slaGroup, nodeId, name)` order: one read
    /// for a whole list of groups (no N+1).
    func services(inSLAGroups names: [String]) async throws -> [Service]

    func node(_ id: NodePath) async throws -> Node?
    func nodes() async throws -> [Node]

    func slaGroup(name: String) async throws -> SLAGroup?
    func slaGroups() async throws -> [SLAGroup]

    func transitions(serviceId: UUID) async throws -> [StatusTransition]
    /// The latest transition of the service at or before `at`: the status in effect then.
    func transition(serviceId: UUID, atOrBefore at: Date) async throws -> StatusTransition?
    func openIncident(serviceId: UUID) async throws -> Incident?
    func incidents(serviceId: UUID) async throws -> [Incident]
    func backupReports(serviceId: UUID) async throws -> [BackupReport]
    func lastStorageReport(serviceId: UUID) async throws -> StorageReport?
    func storageReports(serviceId: UUID) async throws -> [StorageReport]

    func user(email: String) async throws -> User?
    func user(id: UUID) async throws -> User?
    func users() async throws -> [User]
    func userCount() async throws -> Int

    func apiKey(hash: String) async throws -> APIKey?
    func apiKeys() async throws -> [APIKey]
    func refreshToken(hash: String) async throws -> RefreshToken?
    func passwordReset(hash: String) async throws -> PasswordReset?
    /// Every user's role, disabled flag and credentials version, every key's state, and the
    /// sessions revoked since `revokedSince`: three small reads.
    func credentialSnapshot(revokedSince: Date) async throws -> CredentialSnapshot

    /// Nodes that sent heartbeats but none since `cutoff`, and are not yet marked silent.
    func nodesSilent(since cutoff: Date) async throws -> [Node]
    /// Pushed services, not yet `UNKNOWN`, whose last push is older than three promised intervals
    /// or, without a promise, than `defaultStaleAfter` seconds.
    func stalePushedServices(now: Date, defaultStaleAfter: TimeInterval) async throws -> [Service]
    /// Services expecting backups, not yet flagged overdue, with no success within `maxAgeDays`.
    func servicesNewlyOverdue(now: Date) async throws -> [Service]

    /// The licensing row, `nil` before the first start recorded it.
    func licenseSettings() async throws -> LicenseSettings?

    /// Which of the SLA groups `names` exist: one read for a whole list (no N+1).
    func existingSLAGroups(named names: Set<String>) async throws -> Set<String>
    /// Which of the nodes `ids` exist: one read for a whole list.
    func existingNodes(_ ids: Set<NodePath>) async throws -> Set<NodePath>
    /// Which of the services named by `keys` (node and name) exist: one read for a whole list.
    func existingServices(_ keys: Set<ServiceKey>) async throws -> Set<ServiceKey>
}

/// A service's natural key: its node and its name.
public struct ServiceKey: Hashable, Sendable {
    public var nodeId: NodePath
    public var name: String

    public init(nodeId: NodePath, name: String) {
        self.nodeId = nodeId
        self.name = name
    }
}

extension StoreReader {
    /// One look-up per name; SQL stores answer in one query.
    public func existingSLAGroups(named names: Set<String>) async throws -> Set<String> {
        var found = Set<String>()
        for name in names where try await slaGroup(name: name) != nil { found.insert(name) }
        return found
    }

    /// One look-up per node; SQL stores answer in one query.
    public func existingNodes(_ ids: Set<NodePath>) async throws -> Set<NodePath> {
        var found = Set<NodePath>()
        for id in ids where try await node(id) != nil { found.insert(id) }
        return found
    }

    /// One look-up per service; SQL stores answer in one query.
    public func existingServices(_ keys: Set<ServiceKey>) async throws -> Set<ServiceKey> {
        var found = Set<ServiceKey>()
        for key in keys where try await service(nodeId: key.nodeId, name: key.name) != nil { found.insert(key) }
        return found
    }
}

/// The fields a push changes on an existing service; `nil` keeps the stored value.
public struct ServicePatch: Sendable, Equatable {
    public var lastSeenAt: Date
    public var status: ServiceStatus
    /// Set when `status` is a change.
    public var statusChangedAt: Date?
    public var message: String?
    public var displayName: String?
    public var criticality: Criticality?
    public var slaGroup: String?
    public var namespace: String?
    public var serviceType: String?
    public var tags: [String]?
    public var expectedIntervalSeconds: Int?

    public init(lastSeenAt: Date, status: ServiceStatus) {
        self.lastSeenAt = lastSeenAt
        self.status = status
    }

    /// `service` with the patch applied.
    public func applied(to service: Service) -> Service {
        var service = service
        service.lastSeenAt = lastSeenAt
        service.status = status
        service.statusChangedAt = statusChangedAt ?? service.statusChangedAt
        service.message = message ?? service.message
        service.displayName = displayName ?? service.displayName
        service.criticality = criticality ?? service.criticality
        service.slaGroup = slaGroup ?? service.slaGroup
        service.namespace = namespace ?? service.namespace
        service.serviceType = serviceType ?? service.serviceType
        service.tags = tags ?? service.tags
        service.expectedIntervalSeconds = expectedIntervalSeconds ?? service.expectedIntervalSeconds
        return service
    }
}

/// Write access, given only inside a transaction (`Store.write`).
public protocol StoreWriter: StoreReader, SLAWriter {
    func insert(_ node: Node) async throws
    func update(_ node: Node) async throws
    func insert(_ service: Service) async throws
    func update(_ service: Service) async throws
    func upsert(_ group: SLAGroup) async throws
    func insert(_ transition: StatusTransition) async throws
    func insert(_ incident: Incident) async throws
    func update(_ incident: Incident) async throws
    func insert(_ report: BackupReport) async throws
    func insert(_ report: StorageReport) async throws
    func insert(_ user: User) async throws
    /// Rewrites a user's row (role, display name, disabled, password hash, credentials version…).
    func update(_ user: User) async throws
    /// Records a successful sign-in, without rewriting the rest of the row.
    func recordSignIn(userId: UUID, at: Date) async throws
    /// Deletes a user with their refresh tokens and reset tokens; tickets assigned to them become
    /// unassigned. The audit trail keeps its copies of their id and name.
    func deleteUser(id: UUID) async throws
    /// Stores a reset token, replacing the user's earlier unused ones.
    func insert(_ reset: PasswordReset) async throws
    /// Marks a reset token spent.
    func update(_ reset: PasswordReset) async throws
    func insert(_ key: APIKey) async throws
    func update(_ key: APIKey) async throws
    /// Records when a key was last used, without rewriting the rest of the row.
    func touchAPIKey(id: UUID, at: Date) async throws
    func insert(_ token: RefreshToken) async throws
    func update(_ token: RefreshToken) async throws
    /// Revokes every unrevoked token of `familyId`; returns how many.
    @discardableResult func revokeRefreshTokens(familyId: UUID, at: Date) async throws -> Int
    /// Revokes every unrevoked token of `userId`; returns how many.
    @discardableResult func revokeRefreshTokens(userId: UUID, at: Date) async throws -> Int
    /// Revokes every unrevoked token of `userId` outside the family `exceptFamily`; returns how many.
    @discardableResult func revokeRefreshTokens(userId: UUID, exceptFamily: UUID?, at: Date) async throws -> Int
    /// Creates or replaces the licensing row.
    func save(_ settings: LicenseSettings) async throws

    /// Compare-and-set: applies `patch` to service `id` only if its stored status is still
    /// `expected`; returns whether it did. With the row lock the update takes, the caller knows
    /// the status it replaced without reading the row first.
    func updateService(_ id: UUID, ifStatus expected: ServiceStatus, _ patch: ServicePatch) async throws -> Bool
    /// Sets `lastSeenAt` of every service in `ids` (a sync that changed nothing else).
    func touchServices(_ ids: [UUID], at: Date) async throws

    // Writes as data: one statement for many rows (SQL stores chunk them), so a group-commit batch
    // costs a handful of statements rather than a few per write.

    /// Compare-and-set on many services: applies each patch only where the stored status is still
    /// the expected one; returns the ids it applied. An id must appear at most once.
    func updateServices(_ changes: [ServiceCompareAndSet]) async throws -> Set<UUID>
    /// Rewrites many whole service rows.
    func update(_ services: [Service]) async throws
    /// Writes many services read in this transaction (`previous`, in the same order), setting only
    /// the columns that changed.
    func update(_ services: [Service], from previous: [Service]) async throws
    func insert(_ services: [Service]) async throws
    func insert(_ transitions: [StatusTransition]) async throws
    func insert(_ incidents: [Incident]) async throws
    /// Closes the open incident of each service at its time; returns each closed incident by
    /// service. A service must appear at most once.
    func closeOpenIncidents(_ closes: [(serviceId: UUID, at: Date)]) async throws -> [UUID: UUID]
    /// Keeps a service's transitions a chain after one was placed at `at`: the first transition
    /// after `at` now starts from `status` (even if it then changes nothing: a later placement may
    /// split the stretch again, and the change it records must still be there).
    func relinkTransition(serviceId: UUID, after at: Date, from status: ServiceStatus) async throws
}

/// One compare-and-set of `StoreWriter.updateServices`.
public struct ServiceCompareAndSet: Sendable, Equatable {
    public var id: UUID
    public var expected: ServiceStatus
    public var patch: ServicePatch
    /// When set, the update also requires that the service's status last changed no later than
    /// this (a report observed earlier than the latest change belongs in history instead).
    public var notChangedAfter: Date?

    public init(id: UUID, expected: ServiceStatus, patch: ServicePatch, notChangedAfter: Date? = nil) {
        self.id = id
        self.expected = expected
        self.patch = patch
        self.notChangedAfter = notChangedAfter
    }
}

extension StoreWriter {
    /// Read, compare, write; SQL stores do it in one statement.
    public func updateService(_ id: UUID, ifStatus expected: ServiceStatus, _ patch: ServicePatch) async throws
        -> Bool
    {
        guard let service = try await service(id: id), service.status == expected else { return false }
        try await update(patch.applied(to: service))
        return true
    }

    /// One compare-and-set per service; SQL stores do them all in one statement.
    public func updateServices(_ changes: [ServiceCompareAndSet]) async throws -> Set<UUID> {
        var applied = Set<UUID>()
        for change in changes {
            if let bound = change.notChangedAfter {
                guard let service = try await service(id: change.id), service.statusChangedAt <= bound else { continue }
            }
            if try await updateService(change.id, ifStatus: change.expected, change.patch) { applied.insert(change.id) }
        }
        return applied
    }

    public func update(_ services: [Service]) async throws { for service in services { try await update(service) } }
    public func update(_ services: [Service], from previous: [Service]) async throws { try await update(services) }
    public func insert(_ services: [Service]) async throws { for service in services { try await insert(service) } }
    public func insert(_ transitions: [StatusTransition]) async throws {
        for transition in transitions { try await insert(transition) }
    }
    public func insert(_ incidents: [Incident]) async throws { for incident in incidents { try await insert(incident) } }

    public func closeOpenIncidents(_ closes: [(serviceId: UUID, at: Date)]) async throws -> [UUID: UUID] {
        var closed: [UUID: UUID] = [:]
        for (id, at) in closes {
            guard var incident = try await openIncident(serviceId: id) else { continue }
            incident.closedAt = at
            try await update(incident)
            closed[id] = incident.id
        }
        return closed
    }

    /// One update per service; SQL stores update them in a few statements.
    public func touchServices(_ ids: [UUID], at: Date) async throws {
        for id in ids {
            guard var service = try await service(id: id) else { continue }
            service.lastSeenAt = at
            try await update(service)
        }
    }
}

/// A write that runs as data: the store hands every item of one group-commit batch to a single
/// `run`, which can then cost a few statements for the whole batch instead of a few per item.
///
/// Items of one conforming type are run together by any one instance of that type, so instances
/// must behave alike (carry no state of their own).
public protocol BatchedWrite: Sendable {
    associatedtype Item: Sendable
    associatedtype Output: Sendable
    /// Runs `items` in the open transaction and returns one output per item, in order. Throwing
    /// fails the attempt for all of them; the store then runs each item alone, so a bad item
    /// fails by itself. Like a `Store.write` body, `run` may therefore run more than once.
    func run(_ items: [Item], in tx: any StoreWriter) async throws -> [Output]
}

/// The store: one transaction per public operation, reads outside transactions.
public protocol Store: Sendable {
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    /// The returned value is handed back only after the commit is durable.
    ///
    /// `body` may run more than once: writes share transactions (group commit), and when a
    /// neighbour fails the shared transaction is rolled back and run again with each write
    /// isolated. A body must therefore change nothing outside the transaction except through
    /// its return value (or in ways that tolerate a repeat, such as a counter that only grows).
    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreWriter) async throws -> T) async throws -> T
    /// Runs `item` with the other items of its kind that share its group-commit batch: one
    /// `writer.run` for all of them. Committed when it returns, like `write`.
    func write<W: BatchedWrite>(_ item: W.Item, batchedBy writer: W) async throws -> W.Output
    /// Read access outside any transaction.
    var reader: any StoreReader { get }
    /// Answers when the database answers; throws `ITOpsError.unavailable` otherwise.
    func ping() async throws
    /// Runs `body` unless another holder — on any instance sharing the database — runs the job
    /// named `job`; returns `nil` then. A holder that dies releases the job.
    func exclusively<T: Sendable>(_ job: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T?
    /// Closes connections; further calls fail.
    func shutdown() async
}

extension Store {
    /// One transaction per item; the SQL store batches them.
    public func write<W: BatchedWrite>(_ item: W.Item, batchedBy writer: W) async throws -> W.Output {
        try await write { tx in
            guard let output = try await writer.run([item], in: tx).first else {
                throw ITOpsError(.internal, "\(W.self) returned no output")
            }
            return output
        }
    }
}
