import Foundation

/// The rules of SPEC §3: how pushes, syncs and reports change the inventory.
///
/// Every operation is one store transaction; its events are published only after the commit.
public struct Ingest: Sendable {
    /// Silence thresholds and limits.
    public struct Settings: Sendable {
        /// A node that sent no heartbeat for this long is silent (default 90 s).
        public var heartbeatTimeout: TimeInterval = 90
        /// A pushed service that sent nothing for this long turns `UNKNOWN` (default 300 s).
        public var pushStaleAfter: TimeInterval = 300
        /// At most this many services in one operator sync.
        public var maxServicesPerSync = 10_000
        public init() {}
    }

    public let store: any Store
    public let events: any EventBus
    public let clock: any WallClock
    public let settings: Settings
    /// Ids and last committed statuses of services seen by this process: a hint that lets a push
    /// on a known service skip its look-up (see `ServiceDirectory`).
    public let directory: ServiceDirectory

    public init(store: any Store, events: any EventBus, clock: any WallClock, settings: Settings) {
        self.store = store
        self.events = events
        self.clock = clock
        self.settings = settings
        self.directory = ServiceDirectory()
    }

    /// Runs `body` in a transaction with a fresh event log and publishes the log after commit.
    func transaction<T: Sendable>(
        _ body: @escaping @Sendable (any StoreWriter, inout EventLog) async throws -> T
    ) async throws -> T {
        let (value, log) = try await store.write { tx in
            var log = EventLog()
            let value = try await body(tx, &log)
            return (value, log)
        }
        events.publish(log.events)
        return value
    }
}

/// The events one transaction produced, in order.
public struct EventLog: Sendable {
    public private(set) var events: [DomainEvent] = []
    public init() {}
    public mutating func append(_ event: DomainEvent) { events.append(event) }
}

// MARK: - Shared rules

extension StoreWriter {
    /// Creates `path` and every missing ancestor.
    public func ensureNodeChain(_ path: NodePath, at now: Date) async throws -> Node {
        if let existing = try await node(path) { return existing }
        var created: Node?
        for prefix in path.chain where try await node(prefix) == nil {
            let node = Node(id: prefix, createdAt: now)
            try await insert(node)
            created = node
        }
        return created ?? Node(id: path, createdAt: now)
    }

    /// Inserts a new service with its first transition (from nothing to its status), opening an
    /// incident when it is born `DOWN`.
    public func create(_ service: Service, log: inout EventLog) async throws {
        try await insert(service)
        try await recordChange(of: service, from: nil, message: service.message, at: service.createdAt, log: &log)
    }

    /// Moves `service` to `status`, recording the transition, the incident and the events;
    /// does nothing but refresh the message when the status is unchanged. The caller saves `service`.
    public func setStatus(
        of service: inout Service, to status: ServiceStatus, message: String?, at now: Date, log: inout EventLog
    ) async throws {
        if let message { service.message = message }
        guard service.status != status else { return }
        let old = service.status
        service.status = status
        service.statusChangedAt = now
        try await recordChange(of: service, from: old, message: message, at: now, log: &log)
    }

    private func recordChange(
        of service: Service, from old: ServiceStatus?, message: String?, at now: Date, log: inout EventLog
    ) async throws {
        try await recordChange(
            of: ServiceIdentity(service), from: old, to: service.status, message: message, at: now, log: &log)
    }

    /// Records a status change already written to the service row: the transition, the incident
    /// it opens or closes, and their events.
    func recordChange(
        of service: ServiceIdentity, from old: ServiceStatus?, to status: ServiceStatus, message: String?,
        at now: Date, log: inout EventLog
    ) async throws {
        try await insert(StatusTransition(serviceId: service.id, from: old, to: status, at: now, message: message))
        log.append(
            .serviceStatusChanged(
                ServiceStatusChange(
                    serviceId: service.id, nodeId: service.nodeId, serviceName: service.name, from: old,
                    to: status, message: message, at: now)))
        if status == .down {
            let incident = Incident(serviceId: service.id, openedAt: now, message: message)
            try await insert(incident)
            log.append(.slaIncident(.init(service, incident: incident.id, phase: .opened, at: now)))
        } else if old == .down, var incident = try await openIncident(serviceId: service.id) {
            incident.closedAt = now
            try await update(incident)
            log.append(.slaIncident(.init(service, incident: incident.id, phase: .closed, at: now)))
        }
    }

    /// Ensures an SLA group named `name` exists, creating it with `tier` (default `medium`).
    func ensureGroup(_ name: String, displayName: String? = nil, tier: Criticality? = nil) async throws {
        if var group = try await slaGroup(name: name) {
            guard displayName != nil || tier != nil else { return }
            group.displayName = displayName ?? group.displayName
            group.tier = tier ?? group.tier
            try await upsert(group)
        } else {
            try await upsert(SLAGroup(name: name, displayName: displayName, tier: tier ?? .medium))
        }
    }
}

/// Who a service is: enough to name it in events without reading its row.
struct ServiceIdentity: Sendable {
    var id: UUID
    var nodeId: NodePath
    var name: String

    init(id: UUID, nodeId: NodePath, name: String) {
        self.id = id
        self.nodeId = nodeId
        self.name = name
    }

    init(_ service: Service) { self.init(id: service.id, nodeId: service.nodeId, name: service.name) }
}

extension IncidentEvent {
    init(_ service: ServiceIdentity, incident: UUID, phase: Phase, at: Date) {
        self.init(
            incidentId: incident, serviceId: service.id, nodeId: service.nodeId, serviceName: service.name,
            phase: phase, at: at)
    }
}

extension IncidentEvent {
    init(_ service: Service, incident: UUID, phase: Phase, at: Date) {
        self.init(ServiceIdentity(service), incident: incident, phase: phase, at: at)
    }
}

// MARK: - Validation helpers

/// Field-naming validation shared by the ingest operations.
enum Check {
    static func required<T>(_ value: T?, _ field: String) throws(ITOpsError) -> T {
        guard let value else { throw .invalid("\(field): is required") }
        return value
    }

    static func nodePath(_ text: String?, field: String = "nodeId", defaultUnknown: Bool) throws(ITOpsError)
        -> NodePath
    {
        guard let text else {
            if defaultUnknown { return .unknown }
            throw .invalid("\(field): is required")
        }
        return try NodePath(validating: text, field: field)
    }

    static func name(_ text: String?, _ field: String) throws(ITOpsError) -> String {
        let text = try required(text, field)
        try Identifier.validateName(text, field: field)
        return text
    }

    static func optionalName(_ text: String?, _ field: String) throws(ITOpsError) -> String? {
        guard let text else { return nil }
        try Identifier.validateName(text, field: field)
        return text
    }

    static func text(_ text: String?, _ field: String, max: Int = 1024) throws(ITOpsError) -> String? {
        guard let text else { return nil }
        guard text.count <= max else { throw .invalid("\(field): must be at most \(max) characters") }
        return text
    }

    static func count(_ value: Int?, _ field: String) throws(ITOpsError) -> Int? {
        guard let value else { return nil }
        guard value >= 0 else { throw .invalid("\(field): must not be negative") }
        return value
    }

    static func tags(_ tags: [String]?, _ field: String = "tags") throws(ITOpsError) -> [String]? {
        guard let tags else { return nil }
        guard tags.count <= 64 else { throw .invalid("\(field): at most 64 tags") }
        for (index, tag) in tags.enumerated() {
            try Identifier.validateName(tag, field: "\(field)[\(index)]", maxLength: 64)
        }
        var seen = Set<String>()
        return tags.filter { seen.insert($0).inserted }
    }
}
