import Foundation
import Graphiti
import ITOpsCore

// Wire shapes of the GraphQL API. Field names follow the API reference exactly; timestamps are
// ISO 8601 strings in UTC.

struct UserDTO: Codable, Sendable {
    let id: String
    let email: String
    let role: String
    let createdAt: String
    let displayName: String?
    let provider: String
    let disabled: Bool
    let lastSignInAt: String?

    init(_ user: User) {
        id = user.id.uuidString.lowercased()
        email = user.email
        role = user.role.rawValue
        createdAt = user.createdAt.iso8601
        displayName = user.displayName
        provider = user.provider
        disabled = user.disabled
        lastSignInAt = user.lastSignInAt?.iso8601
    }
}

struct AuthPayloadDTO: Codable, Sendable {
    let token: String
    let refreshToken: String
    let expiresAt: String
    let user: UserDTO

    init(_ session: AuthSession) {
        token = session.accessToken
        refreshToken = session.refreshToken
        expiresAt = session.expiresAt.iso8601
        user = UserDTO(session.user)
    }
}

struct MeDTO: Codable, Sendable {
    let id: String
    let kind: String
    let email: String?
    let name: String?
    let role: String

    init(_ principal: Principal) {
        role = principal.role.rawValue
        switch principal.kind {
        case .user(let id, let email):
            self.id = id.uuidString.lowercased()
            kind = "user"
            self.email = email
            name = nil
        case .apiKey(let id, let name):
            self.id = id.uuidString.lowercased()
            kind = "apiKey"
            email = nil
            self.name = name
        }
    }
}

struct BackupStatusDTO: Codable, Sendable {
    let backupExpected: Bool
    let lastBackupAt: String?
    let lastBackupStatus: String?
    let backupMaxAgeDays: Int
    let backupOverdue: Bool

    init(_ backup: BackupState) {
        backupExpected = backup.expected
        lastBackupAt = backup.lastAt?.iso8601
        lastBackupStatus = backup.lastStatus?.rawValue
        backupMaxAgeDays = backup.maxAgeDays
        backupOverdue = backup.overdue
    }
}

struct ServiceDTO: Codable, Sendable {
    let id: String
    let nodeId: String
    let name: String
    let serviceName: String
    let displayName: String?
    let status: String
    let message: String?
    let criticality: String?
    let serviceType: String?
    let tags: [String]
    let namespace: String?
    let workloadType: String?
    let replicas: Int?
    let readyReplicas: Int?
    let slaGroup: String?
    let source: String
    let registered: Bool
    let unknownNode: Bool
    let expectedIntervalSeconds: Int?
    let lastSeenAt: String
    let statusChangedAt: String
    let createdAt: String
    let backupStatus: BackupStatusDTO

    init(_ s: Service) {
        id = s.id.uuidString.lowercased()
        nodeId = s.nodeId.value
        name = s.name
        serviceName = s.name
        displayName = s.displayName
        status = s.status.rawValue
        message = s.message
        criticality = s.criticality?.rawValue
        serviceType = s.serviceType
        tags = s.tags
        namespace = s.namespace
        workloadType = s.workloadType
        replicas = s.replicas
        readyReplicas = s.readyReplicas
        slaGroup = s.slaGroup
        source = s.source.rawValue
        registered = s.registered
        unknownNode = s.nodeId == .unknown
        expectedIntervalSeconds = s.expectedIntervalSeconds
        lastSeenAt = s.lastSeenAt.iso8601
        statusChangedAt = s.statusChangedAt.iso8601
        createdAt = s.createdAt.iso8601
        backupStatus = BackupStatusDTO(s.backup)
    }
}

struct ServiceEdgeDTO: Codable, Sendable {
    let cursor: String
    let node: ServiceDTO
}

struct PageInfoDTO: Codable, Sendable {
    let hasNextPage: Bool
    let endCursor: String?
}

struct ServiceConnectionDTO: Codable, Sendable {
    let edges: [ServiceEdgeDTO]
    let pageInfo: PageInfoDTO
    let totalCount: Int
}

struct NodeDTO: Codable, Sendable {
    let id: String
    let name: String
    let parentId: String?
    let depth: Int
    let createdAt: String
    let lastHeartbeatAt: String?
    let agentVersion: String?
    let watchedServices: Int?
    let healthyServices: Int?
    let unhealthyServices: Int?
    let silent: Bool
    let unknown: Bool

    init(_ n: Node) {
        id = n.id.value
        name = n.id.name
        parentId = n.parentId?.value
        depth = n.id.depth
        createdAt = n.createdAt.iso8601
        lastHeartbeatAt = n.lastHeartbeatAt?.iso8601
        agentVersion = n.agentVersion
        watchedServices = n.watchedServices
        healthyServices = n.healthyServices
        unhealthyServices = n.unhealthyServices
        silent = n.silent
        unknown = n.isUnknown
    }
}

struct SLAGroupDTO: Codable, Sendable {
    let id: String
    let name: String
    let displayName: String?
    let tier: String
    /// This month to date, from the SLA engine; `null` while the SLA plugin is off.
    var status: String?
    var currentUptime: Double?
    /// Shared by the groups of one answer: their members load in one read.
    var members: SLAGroupMembers?

    enum CodingKeys: String, CodingKey {
        case id, name, displayName, tier, status, currentUptime
    }

    init(_ g: SLAGroup) {
        id = g.id.uuidString.lowercased()
        name = g.name
        displayName = g.displayName
        tier = g.tier.rawValue
        status = nil
        currentUptime = nil
    }

    func services(context: GraphQLContext, arguments: NoArguments) async throws -> [ServiceDTO] {
        try context.require(.viewer)
        if let members {
            let services = try await members.services(of: name)
            try context.charge(services.count)
            return services.map(ServiceDTO.init)
        }
        var result: [ServiceDTO] = []
        var cursor: ServiceCursor?
        let filter = ServiceFilter(slaGroup: name)
        while true {
            let page = try await context.backend.reader.services(matching: filter, after: cursor, limit: 500)
            try context.charge(page.count)
            result += page.map(ServiceDTO.init)
            guard page.count == 500, let last = page.last else { return result }
            cursor = ServiceCursor(nodeId: last.nodeId.value, name: last.name)
        }
    }
}
