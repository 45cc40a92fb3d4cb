import Foundation

/// A monitored service, unique by `(nodeId, name)`.
public struct Service: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var nodeId: NodePath
    public var name: String
    public var displayName: String?
    public var status: ServiceStatus
    public var message: String?
    public var criticality: Criticality?
    public var serviceType: String?
    public var tags: [String]
    public var namespace: String?
    public var workloadType: String?
    public var replicas: Int?
    public var readyReplicas: Int?
    public var slaGroup: String?
    public var source: ServiceSource
    public var backup: BackupState
    /// Set by `operator/register`: the agent is told to watch this service.
    public var registered: Bool = false
    /// For pushed services: the push period the agent promised; stale after three of them.
    public var expectedIntervalSeconds: Int?
    public var lastSeenAt: Date
    public var statusChangedAt: Date
    public var createdAt: Date

    public init(
        id: UUID = UUID.random(), nodeId: NodePath, name: String, status: ServiceStatus, source: ServiceSource,
        at now: Date
    ) {
        self.id = id
        self.nodeId = nodeId
        self.name = name
        self.status = status
        self.source = source
        self.tags = []
        self.backup = BackupState()
        self.lastSeenAt = now
        self.statusChangedAt = now
        self.createdAt = now
    }
}

/// What is expected of a service's backups and what was last seen.
public struct BackupState: Sendable, Equatable {
    public var expected: Bool = false
    public var maxAgeDays: Int = 1
    public var lastAt: Date?
    public var lastStatus: BackupOutcome?
    public var lastSuccessAt: Date?
    public var overdue: Bool = false

    public init() {}

    /// SPEC §3: expected and no successful backup within `maxAgeDays`; a service never backed up
    /// is overdue once `maxAgeDays` have passed since it was created.
    public func isOverdue(now: Date, createdAt: Date) -> Bool {
        guard expected else { return false }
        let reference = lastSuccessAt ?? createdAt
        return now.timeIntervalSince(reference) > TimeInterval(maxAgeDays) * 86_400
    }
}

/// A node of the hierarchy with its agent's last heartbeat.
public struct Node: Sendable, Equatable {
    public var id: NodePath
    public var createdAt: Date
    public var lastHeartbeatAt: Date?
    public var agentVersion: String?
    public var watchedServices: Int?
    public var healthyServices: Int?
    public var unhealthyServices: Int?
    /// Set when the agent missed its heartbeats; cleared by the next heartbeat.
    public var silent: Bool

    public init(id: NodePath, createdAt: Date) {
        self.id = id
        self.createdAt = createdAt
        self.silent = false
    }

    public var parentId: NodePath? { id.parent }
    public var isUnknown: Bool { id == .unknown }
}

/// A named set of services that share an SLA.
public struct SLAGroup: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var name: String
    public var displayName: String?
    public var tier: Criticality

    public init(id: UUID = UUID.random(), name: String, displayName: String?, tier: Criticality) {
        self.id = id
        self.name = name
        self.displayName = displayName
        self.tier = tier
    }
}

/// A recorded change of a service's status.
public struct StatusTransition: Sendable, Equatable {
    public var id: UUID
    public var serviceId: UUID
    public var from: ServiceStatus?
    public var to: ServiceStatus
    public var at: Date
    public var message: String?

    public init(id: UUID = UUID.random(), serviceId: UUID, from: ServiceStatus?, to: ServiceStatus, at: Date, message: String?)
    {
        self.id = id
        self.serviceId = serviceId
        self.from = from
        self.to = to
        self.at = at
        self.message = message
    }
}

/// A period during which a service was `DOWN`.
public struct Incident: Sendable, Equatable {
    public var id: UUID
    public var serviceId: UUID
    public var openedAt: Date
    public var closedAt: Date?
    public var message: String?

    public init(id: UUID = UUID.random(), serviceId: UUID, openedAt: Date, closedAt: Date? = nil, message: String?) {
        self.id = id
        self.serviceId = serviceId
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.message = message
    }
}

/// One backup result as reported, kept for history.
public struct BackupReport: Sendable, Equatable {
    public var id: UUID = UUID.random()
    public var serviceId: UUID
    public var status: BackupOutcome
    public var sizeBytes: Int64?
    public var message: String?
    public var reportedAt: Date

    public init(serviceId: UUID, status: BackupOutcome, sizeBytes: Int64?, message: String?, reportedAt: Date) {
        self.serviceId = serviceId
        self.status = status
        self.sizeBytes = sizeBytes
        self.message = message
        self.reportedAt = reportedAt
    }
}

/// One storage measurement, kept for trends.
public struct StorageReport: Sendable, Equatable {
    public var id: UUID = UUID.random()
    public var serviceId: UUID
    public var allocatedBytes: Int64
    public var usedBytes: Int64
    public var freePercent: Int
    public var state: StorageState
    public var storageType: String?
    public var mountPath: String?
    public var reportedAt: Date

    public init(
        serviceId: UUID, allocatedBytes: Int64, usedBytes: Int64, freePercent: Int, state: StorageState,
        storageType: String?, mountPath: String?, reportedAt: Date
    ) {
        self.serviceId = serviceId
        self.allocatedBytes = allocatedBytes
        self.usedBytes = usedBytes
        self.freePercent = freePercent
        self.state = state
        self.storageType = storageType
        self.mountPath = mountPath
        self.reportedAt = reportedAt
    }
}

/// A person who signs in to the UI or the GraphQL API.
public struct User: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var email: String
    /// bcrypt; `!` for users of an external provider (no password can match).
    public var passwordHash: String
    public var role: Role
    public var createdAt: Date
    /// A name to show instead of the email.
    public var displayName: String?
    /// Where the user signs in: `local`, `ldap` or `oidc`.
    public var provider: String
    /// The provider's stable id for the user (LDAP DN, OIDC `sub`); `nil` for local users.
    public var externalSubject: String?
    /// Set by an admin: no sign-in, no refresh, and every token of the user stops working.
    public var disabled: Bool
    public var lastSignInAt: Date?
    /// Bumped to invalidate every access token issued before (password reset, disabling).
    public var credentialsVersion: Int64

    public init(
        id: UUID = UUID.random(), email: String, passwordHash: String, role: Role, createdAt: Date,
        displayName: String? = nil, provider: String = "local", externalSubject: String? = nil,
        disabled: Bool = false, lastSignInAt: Date? = nil, credentialsVersion: Int64 = 0
    ) {
        self.id = id
        self.email = email
        self.passwordHash = passwordHash
        self.role = role
        self.createdAt = createdAt
        self.displayName = displayName
        self.provider = provider
        self.externalSubject = externalSubject
        self.disabled = disabled
        self.lastSignInAt = lastSignInAt
        self.credentialsVersion = credentialsVersion
    }
}

/// An API key for agents and scripts; only its SHA-256 hash is stored.
public struct APIKey: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var name: String
    public var keyHash: String
    /// The first characters of the key, so an operator can tell keys apart in a list.
    public var prefix: String
    public var role: Role
    public var createdAt: Date
    public var revokedAt: Date?
    /// Keys created from `ITOPS_OPERATOR_API_KEY` are replaced when that variable changes.
    public var bootstrap: Bool
    /// After this instant the key is refused; `nil` never expires.
    public var expiresAt: Date?
    /// When the key was last accepted (written at most once a minute per key).
    public var lastUsedAt: Date?
    /// The hierarchy prefixes the key may act on and read; `nil` is everything.
    public var nodeScope: [NodePath]?

    public init(
        id: UUID = UUID.random(), name: String, keyHash: String, prefix: String, role: Role, createdAt: Date,
        revokedAt: Date? = nil, bootstrap: Bool = false, expiresAt: Date? = nil, lastUsedAt: Date? = nil,
        nodeScope: [NodePath]? = nil
    ) {
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.nodeScope = nodeScope
        self.id = id
        self.name = name
        self.keyHash = keyHash
        self.prefix = prefix
        self.role = role
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.bootstrap = bootstrap
    }
}

/// An opaque, single-use refresh token; only its hash is stored.
public struct RefreshToken: Sendable, Equatable {
    public var id: UUID
    public var userId: UUID
    public var tokenHash: String
    /// Every token rotated from one login shares a family; reuse of a spent token revokes the family.
    public var familyId: UUID
    public var createdAt: Date
    public var expiresAt: Date
    public var usedAt: Date?
    public var revokedAt: Date?

    public init(
        id: UUID = UUID.random(), userId: UUID, tokenHash: String, familyId: UUID, createdAt: Date, expiresAt: Date
    ) {
        self.id = id
        self.userId = userId
        self.tokenHash = tokenHash
        self.familyId = familyId
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}
