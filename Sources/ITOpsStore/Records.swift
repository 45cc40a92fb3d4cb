import Foundation
import ITOpsCore
import SQLKit

// Rows are not API shapes: these records mirror tables column for column (snake_case in SQL),
// hold only portable primitives (TEXT ids, BIGINT epoch milliseconds), and convert to and from
// the core's domain types.

struct NodeRecord: Codable, Sendable {
    var id: String
    var parentId: String?
    var depth: Int
    var createdAt: Int64
    var lastHeartbeatAt: Int64?
    var agentVersion: String?
    var watchedServices: Int?
    var healthyServices: Int?
    var unhealthyServices: Int?
    var silent: Bool

    init(_ node: Node) {
        id = node.id.value
        parentId = node.parentId?.value
        depth = node.id.depth
        createdAt = node.createdAt.epochMilliseconds
        lastHeartbeatAt = node.lastHeartbeatAt?.epochMilliseconds
        agentVersion = node.agentVersion
        watchedServices = node.watchedServices
        healthyServices = node.healthyServices
        unhealthyServices = node.unhealthyServices
        silent = node.silent
    }

    var domain: Node {
        var node = Node(id: .stored(id), createdAt: Date(epochMilliseconds: createdAt))
        node.lastHeartbeatAt = lastHeartbeatAt.map(Date.init(epochMilliseconds:))
        node.agentVersion = agentVersion
        node.watchedServices = watchedServices
        node.healthyServices = healthyServices
        node.unhealthyServices = unhealthyServices
        node.silent = silent
        return node
    }
}

/// A record read column by column from a `SELECT *` row. `SQLRowDecoder` (keyed `Codable`, a key
/// strategy per column per row) was 41 % of an operator sync's CPU, which reads every service of the
/// node, and most of the SLA engine's reads of transitions and rollups.
protocol RowDecodable {
    init(row: any SQLRow) throws
}

extension SQLRow {
    func value<T: Decodable>(_ column: String, _: T.Type = T.self) throws -> T {
        try decode(column: column, as: T.self)
    }

    func optional<T: Decodable>(_ column: String, _: T.Type = T.self) throws -> T? {
        try decodeNil(column: column) ? nil : decode(column: column, as: T.self)
    }
}

/// A column of `services` that an update may change: its name, its SQL type (for casts of `VALUES`
/// columns), how to bind its value and whether two records differ in it.
struct UpdatableColumn: Sendable {
    let name: String
    let type: String
    let bind: @Sendable (ServiceRecord) -> SQLQueryString
    let differs: @Sendable (ServiceRecord, ServiceRecord) -> Bool

    init<V: Encodable & Equatable & Sendable>(
        _ name: String, _ type: String, _ value: @escaping @Sendable (ServiceRecord) -> V
    ) {
        self.name = name
        self.type = type
        bind = { "\(bind: value($0))" }
        differs = { value($0) != value($1) }
    }
}

struct ServiceRecord: Codable, Sendable, RowDecodable {
    var id: String
    var nodeId: String
    var name: String
    var displayName: String?
    var status: String
    var message: String?
    var criticality: String?
    var serviceType: String?
    var tags: String
    var namespace: String?
    var workloadType: String?
    var replicas: Int?
    var readyReplicas: Int?
    var slaGroup: String?
    var source: String
    var registered: Bool
    var backupExpected: Bool
    var backupMaxAgeDays: Int
    var lastBackupAt: Int64?
    var lastBackupStatus: String?
    var lastBackupSuccessAt: Int64?
    var backupOverdue: Bool
    var expectedIntervalSeconds: Int?
    var lastSeenAt: Int64
    var statusChangedAt: Int64
    var createdAt: Int64

    init(row: any SQLRow) throws {
        func value<T: Decodable>(_ column: String, _: T.Type = T.self) throws -> T { try row.value(column) }
        func optional<T: Decodable>(_ column: String, _: T.Type = T.self) throws -> T? { try row.optional(column) }
        id = try value("id")
        nodeId = try value("node_id")
        name = try value("name")
        displayName = try optional("display_name")
        status = try value("status")
        message = try optional("message")
        criticality = try optional("criticality")
        serviceType = try optional("service_type")
        tags = try value("tags")
        namespace = try optional("namespace")
        workloadType = try optional("workload_type")
        replicas = try optional("replicas")
        readyReplicas = try optional("ready_replicas")
        slaGroup = try optional("sla_group")
        source = try value("source")
        registered = try value("registered")
        backupExpected = try value("backup_expected")
        backupMaxAgeDays = try value("backup_max_age_days")
        lastBackupAt = try optional("last_backup_at")
        lastBackupStatus = try optional("last_backup_status")
        lastBackupSuccessAt = try optional("last_backup_success_at")
        backupOverdue = try value("backup_overdue")
        expectedIntervalSeconds = try optional("expected_interval_seconds")
        lastSeenAt = try value("last_seen_at")
        statusChangedAt = try value("status_changed_at")
        createdAt = try value("created_at")
    }

    /// Every column but the identity (id, node, name) and the creation time.
    static let updatable: [UpdatableColumn] = [
        UpdatableColumn("display_name", "TEXT") { $0.displayName },
        UpdatableColumn("status", "TEXT") { $0.status },
        UpdatableColumn("message", "TEXT") { $0.message },
        UpdatableColumn("criticality", "TEXT") { $0.criticality },
        UpdatableColumn("service_type", "TEXT") { $0.serviceType },
        UpdatableColumn("tags", "TEXT") { $0.tags },
        UpdatableColumn("namespace", "TEXT") { $0.namespace },
        UpdatableColumn("workload_type", "TEXT") { $0.workloadType },
        UpdatableColumn("replicas", "INTEGER") { $0.replicas },
        UpdatableColumn("ready_replicas", "INTEGER") { $0.readyReplicas },
        UpdatableColumn("sla_group", "TEXT") { $0.slaGroup },
        UpdatableColumn("source", "TEXT") { $0.source },
        UpdatableColumn("registered", "BOOLEAN") { $0.registered },
        UpdatableColumn("backup_expected", "BOOLEAN") { $0.backupExpected },
        UpdatableColumn("backup_max_age_days", "INTEGER") { $0.backupMaxAgeDays },
        UpdatableColumn("last_backup_at", "BIGINT") { $0.lastBackupAt },
        UpdatableColumn("last_backup_status", "TEXT") { $0.lastBackupStatus },
        UpdatableColumn("last_backup_success_at", "BIGINT") { $0.lastBackupSuccessAt },
        UpdatableColumn("backup_overdue", "BOOLEAN") { $0.backupOverdue },
        UpdatableColumn("expected_interval_seconds", "INTEGER") { $0.expectedIntervalSeconds },
        UpdatableColumn("last_seen_at", "BIGINT") { $0.lastSeenAt },
        UpdatableColumn("status_changed_at", "BIGINT") { $0.statusChangedAt },
    ]

    init(_ s: Service) {
        id = s.id.stored
        nodeId = s.nodeId.value
        name = s.name
        displayName = s.displayName
        status = s.status.rawValue
        message = s.message
        criticality = s.criticality?.rawValue
        serviceType = s.serviceType
        tags = Self.encodeTags(s.tags)
        namespace = s.namespace
        workloadType = s.workloadType
        replicas = s.replicas
        readyReplicas = s.readyReplicas
        slaGroup = s.slaGroup
        source = s.source.rawValue
        registered = s.registered
        backupExpected = s.backup.expected
        backupMaxAgeDays = s.backup.maxAgeDays
        lastBackupAt = s.backup.lastAt?.epochMilliseconds
        lastBackupStatus = s.backup.lastStatus?.rawValue
        lastBackupSuccessAt = s.backup.lastSuccessAt?.epochMilliseconds
        backupOverdue = s.backup.overdue
        expectedIntervalSeconds = s.expectedIntervalSeconds
        lastSeenAt = s.lastSeenAt.epochMilliseconds
        statusChangedAt = s.statusChangedAt.epochMilliseconds
        createdAt = s.createdAt.epochMilliseconds
    }

    func domain() throws -> Service {
        var s = Service(
            id: try uuid(id), nodeId: .stored(nodeId), name: name, status: try vocabulary(status),
            source: try vocabulary(source), at: Date(epochMilliseconds: createdAt))
        s.displayName = displayName
        s.message = message
        s.criticality = try criticality.map(vocabulary)
        s.serviceType = serviceType
        s.tags = Self.decodeTags(tags)
        s.namespace = namespace
        s.workloadType = workloadType
        s.replicas = replicas
        s.readyReplicas = readyReplicas
        s.slaGroup = slaGroup
        s.registered = registered
        s.backup.expected = backupExpected
        s.backup.maxAgeDays = backupMaxAgeDays
        s.backup.lastAt = lastBackupAt.map(Date.init(epochMilliseconds:))
        s.backup.lastStatus = try lastBackupStatus.map(vocabulary)
        s.backup.lastSuccessAt = lastBackupSuccessAt.map(Date.init(epochMilliseconds:))
        s.backup.overdue = backupOverdue
        s.expectedIntervalSeconds = expectedIntervalSeconds
        s.lastSeenAt = Date(epochMilliseconds: lastSeenAt)
        s.statusChangedAt = Date(epochMilliseconds: statusChangedAt)
        return s
    }

    /// Tags as a JSON array, so a tag filter can match `"tag"` with its quotes.
    static func encodeTags(_ tags: [String]) -> String {
        "[" + tags.map { "\"\($0)\"" }.joined(separator: ",") + "]"
    }

    /// The inverse of `encodeTags`. Tags are `[A-Za-z0-9._-]` (validated on the way in), so the
    /// array is split without a JSON decoder per row; anything else goes through one.
    static func decodeTags(_ text: String) -> [String] {
        if text == "[]" { return [] }
        let bytes = text.utf8
        guard bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]"),
            !bytes.contains(UInt8(ascii: "\\"))
        else {
            return (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
        }
        var tags: [String] = []
        for part in text.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false) {
            guard part.count >= 2, part.first == "\"", part.last == "\"" else {
                return (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
            }
            tags.append(String(part.dropFirst().dropLast()))
        }
        return tags
    }
}

struct GroupRecord: Codable, Sendable {
    var name: String
    var id: String
    var displayName: String?
    var tier: String

    init(_ g: SLAGroup) {
        name = g.name
        id = g.id.stored
        displayName = g.displayName
        tier = g.tier.rawValue
    }

    func domain() throws -> SLAGroup {
        SLAGroup(id: try uuid(id), name: name, displayName: displayName, tier: try vocabulary(tier))
    }
}

struct TransitionRecord: Codable, Sendable, RowDecodable {
    var id: String
    var serviceId: String
    var fromStatus: String?
    var toStatus: String
    var at: Int64
    var message: String?

    init(row: any SQLRow) throws {
        id = try row.value("id")
        serviceId = try row.value("service_id")
        fromStatus = try row.optional("from_status")
        toStatus = try row.value("to_status")
        at = try row.value("at")
        message = try row.optional("message")
    }

    init(_ t: StatusTransition) {
        id = t.id.stored
        serviceId = t.serviceId.stored
        fromStatus = t.from?.rawValue
        toStatus = t.to.rawValue
        at = t.at.epochMilliseconds
        message = t.message
    }

    func domain() throws -> StatusTransition {
        StatusTransition(
            id: try uuid(id), serviceId: try uuid(serviceId), from: try fromStatus.map(vocabulary),
            to: try vocabulary(toStatus), at: Date(epochMilliseconds: at), message: message)
    }
}

struct IncidentRecord: Codable, Sendable {
    var id: String
    var serviceId: String
    var openedAt: Int64
    var closedAt: Int64?
    var message: String?

    init(_ i: Incident) {
        id = i.id.stored
        serviceId = i.serviceId.stored
        openedAt = i.openedAt.epochMilliseconds
        closedAt = i.closedAt?.epochMilliseconds
        message = i.message
    }

    func domain() throws -> Incident {
        Incident(
            id: try uuid(id), serviceId: try uuid(serviceId), openedAt: Date(epochMilliseconds: openedAt),
            closedAt: closedAt.map(Date.init(epochMilliseconds:)), message: message)
    }
}

struct BackupRecord: Codable, Sendable {
    var id: String
    var serviceId: String
    var status: String
    var sizeBytes: Int64?
    var message: String?
    var reportedAt: Int64

    init(_ r: BackupReport) {
        id = r.id.stored
        serviceId = r.serviceId.stored
        status = r.status.rawValue
        sizeBytes = r.sizeBytes
        message = r.message
        reportedAt = r.reportedAt.epochMilliseconds
    }

    func domain() throws -> BackupReport {
        var r = BackupReport(
            serviceId: try uuid(serviceId), status: try vocabulary(status), sizeBytes: sizeBytes, message: message,
            reportedAt: Date(epochMilliseconds: reportedAt))
        r.id = try uuid(id)
        return r
    }
}

struct StorageRecord: Codable, Sendable {
    var id: String
    var serviceId: String
    var allocatedBytes: Int64
    var usedBytes: Int64
    var freePercent: Int
    var state: String
    var storageType: String?
    var mountPath: String?
    var reportedAt: Int64

    init(_ r: StorageReport) {
        id = r.id.stored
        serviceId = r.serviceId.stored
        allocatedBytes = r.allocatedBytes
        usedBytes = r.usedBytes
        freePercent = r.freePercent
        state = r.state.rawValue
        storageType = r.storageType
        mountPath = r.mountPath
        reportedAt = r.reportedAt.epochMilliseconds
    }

    func domain() throws -> StorageReport {
        var r = StorageReport(
            serviceId: try uuid(serviceId), allocatedBytes: allocatedBytes, usedBytes: usedBytes,
            freePercent: freePercent, state: try vocabulary(state), storageType: storageType, mountPath: mountPath,
            reportedAt: Date(epochMilliseconds: reportedAt))
        r.id = try uuid(id)
        return r
    }
}

struct UserRecord: Codable, Sendable {
    var id: String
    var email: String
    var passwordHash: String
    var role: String
    var createdAt: Int64
    var displayName: String?
    var provider: String
    var externalSubject: String?
    var disabled: Bool
    var lastSignInAt: Int64?
    var credentialsVersion: Int64

    init(_ u: User) {
        id = u.id.stored
        email = u.email
        passwordHash = u.passwordHash
        role = u.role.rawValue
        createdAt = u.createdAt.epochMilliseconds
        displayName = u.displayName
        provider = u.provider
        externalSubject = u.externalSubject
        disabled = u.disabled
        lastSignInAt = u.lastSignInAt?.epochMilliseconds
        credentialsVersion = u.credentialsVersion
    }

    func domain() throws -> User {
        User(
            id: try uuid(id), email: email, passwordHash: passwordHash, role: try vocabulary(role),
            createdAt: Date(epochMilliseconds: createdAt), displayName: displayName, provider: provider,
            externalSubject: externalSubject, disabled: disabled,
            lastSignInAt: lastSignInAt.map(Date.init(epochMilliseconds:)), credentialsVersion: credentialsVersion)
    }
}

struct APIKeyRecord: Codable, Sendable {
    var id: String
    var name: String
    var keyHash: String
    var prefix: String
    var role: String
    var createdAt: Int64
    var revokedAt: Int64?
    var bootstrap: Bool
    var expiresAt: Int64?
    var lastUsedAt: Int64?
    /// A JSON array of node paths; `NULL` is unscoped.
    var nodeScope: String?

    init(_ k: APIKey) {
        expiresAt = k.expiresAt?.epochMilliseconds
        lastUsedAt = k.lastUsedAt?.epochMilliseconds
        nodeScope = k.nodeScope.map { scope in
            (try? JSONEncoder().encode(scope.map(\.value))).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        }
        id = k.id.stored
        name = k.name
        keyHash = k.keyHash
        prefix = k.prefix
        role = k.role.rawValue
        createdAt = k.createdAt.epochMilliseconds
        revokedAt = k.revokedAt?.epochMilliseconds
        bootstrap = k.bootstrap
    }

    func domain() throws -> APIKey {
        APIKey(
            id: try uuid(id), name: name, keyHash: keyHash, prefix: prefix, role: try vocabulary(role),
            createdAt: Date(epochMilliseconds: createdAt), revokedAt: revokedAt.map(Date.init(epochMilliseconds:)),
            bootstrap: bootstrap, expiresAt: expiresAt.map(Date.init(epochMilliseconds:)),
            lastUsedAt: lastUsedAt.map(Date.init(epochMilliseconds:)), nodeScope: try nodeScope.map(Self.scope))
    }

    static func scope(_ text: String) throws -> [NodePath] {
        guard let paths = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
            throw CorruptRow(description: "node_scope is not a JSON array: \(text.prefix(64))")
        }
        return try paths.map { path in
            do { return try NodePath(validating: path) } catch { throw CorruptRow(description: "node_scope: \(error)") }
        }
    }
}

struct RefreshTokenRecord: Codable, Sendable {
    var id: String
    var userId: String
    var tokenHash: String
    var familyId: String
    var createdAt: Int64
    var expiresAt: Int64
    var usedAt: Int64?
    var revokedAt: Int64?

    init(_ t: RefreshToken) {
        id = t.id.stored
        userId = t.userId.stored
        tokenHash = t.tokenHash
        familyId = t.familyId.stored
        createdAt = t.createdAt.epochMilliseconds
        expiresAt = t.expiresAt.epochMilliseconds
        usedAt = t.usedAt?.epochMilliseconds
        revokedAt = t.revokedAt?.epochMilliseconds
    }

    func domain() throws -> RefreshToken {
        var t = RefreshToken(
            id: try uuid(id), userId: try uuid(userId), tokenHash: tokenHash, familyId: try uuid(familyId),
            createdAt: Date(epochMilliseconds: createdAt), expiresAt: Date(epochMilliseconds: expiresAt))
        t.usedAt = usedAt.map(Date.init(epochMilliseconds:))
        t.revokedAt = revokedAt.map(Date.init(epochMilliseconds:))
        return t
    }
}

struct PasswordResetRecord: Codable, Sendable {
    var id: String
    var userId: String
    var tokenHash: String
    var createdAt: Int64
    var expiresAt: Int64
    var usedAt: Int64?

    init(_ r: PasswordReset) {
        id = r.id.stored
        userId = r.userId.stored
        tokenHash = r.tokenHash
        createdAt = r.createdAt.epochMilliseconds
        expiresAt = r.expiresAt.epochMilliseconds
        usedAt = r.usedAt?.epochMilliseconds
    }

    func domain() throws -> PasswordReset {
        PasswordReset(
            id: try uuid(id), userId: try uuid(userId), tokenHash: tokenHash,
            createdAt: Date(epochMilliseconds: createdAt), expiresAt: Date(epochMilliseconds: expiresAt),
            usedAt: usedAt.map(Date.init(epochMilliseconds:)))
    }
}

/// A stored value that does not parse: the database was changed behind the store's back.
struct CorruptRow: Error, CustomStringConvertible {
    let description: String
}

func uuid(_ text: String) throws -> UUID {
    guard let value = UUID(parsing: text) else { throw CorruptRow(description: "not a UUID: \(text)") }
    return value
}

func vocabulary<V: Vocabulary>(_ text: String) throws -> V {
    guard let value = V(rawValue: text) else {
        throw CorruptRow(description: "'\(text)' is not a \(V.vocabularyName)")
    }
    return value
}
