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
        /// A report's `observedAt` may be this far in the future (the reporter's clock ahead).
        public var maxClockSkew: TimeInterval = 300
        /// A report's `observedAt` may be this far in the past (an agent replaying its buffer).
        public var lateDataHorizon: TimeInterval = 86_400
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
        guard let change = service.changeStatus(to: status, message: message, at: now) else { return }
        try await recordChange(
            of: change.service, from: change.from, to: change.to, message: change.message, at: change.at, log: &log)
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

    /// `recordChange` for many changes at once — one insert of transitions, one of incidents, one
    /// statement closing incidents — with each change's events in its own log, in the changes'
    /// order. The services must be distinct (a service changing twice is recorded one by one).
    func recordChanges(_ changes: [StatusChange]) async throws -> [EventLog] {
        guard Set(changes.map(\.service.id)).count == changes.count else {
            var logs: [EventLog] = []
            for change in changes {
                var log = EventLog()
                try await recordChange(
                    of: change.service, from: change.from, to: change.to, message: change.message, at: change.at,
                    log: &log)
                logs.append(log)
            }
            return logs
        }
        try await insert(
            changes.map {
                StatusTransition(serviceId: $0.service.id, from: $0.from, to: $0.to, at: $0.at, message: $0.message)
            })
        let opened = changes.filter { $0.to == .down }.map {
            (service: $0.service.id, incident: Incident(serviceId: $0.service.id, openedAt: $0.at, message: $0.message))
        }
        try await insert(opened.map(\.incident))
        let openedBy = Dictionary(uniqueKeysWithValues: opened.map { ($0.service, $0.incident.id) })
        // Every change from DOWN closes its service's incident at its own time, in one statement.
        let closedBy = try await closeOpenIncidents(
            changes.filter { $0.from == .down && $0.to != .down }.map { (serviceId: $0.service.id, at: $0.at) })
        return changes.map { change in
            var log = EventLog()
            log.append(
                .serviceStatusChanged(
                    ServiceStatusChange(
                        serviceId: change.service.id, nodeId: change.service.nodeId,
                        serviceName: change.service.name, from: change.from, to: change.to, message: change.message,
                        at: change.at)))
            if let incident = openedBy[change.service.id] {
                log.append(.slaIncident(.init(change.service, incident: incident, phase: .opened, at: change.at)))
            } else if let incident = closedBy[change.service.id] {
                log.append(.slaIncident(.init(change.service, incident: incident, phase: .closed, at: change.at)))
            }
            return log
        }
    }

    /// Places a report observed at `at` into the service's history without touching its current
    /// state: a transition at `at` when the status in effect then differed, and the next transition
    /// relinked so that the history stays a chain (each transition starts where the previous one
    /// ended — the SLA engine reads the status at a time from it). Placing the same report twice
    /// leaves one transition; a time before the service existed is ignored.
    func placeInHistory(
        _ service: ServiceIdentity, status: ServiceStatus, message: String?, at: Date, createdAt: Date
    ) async throws {
        guard at >= createdAt else { return }
        let previous = try await transition(serviceId: service.id, atOrBefore: at)
        // What the server recorded at that very instant stands.
        guard previous?.to != status, previous?.at != at else { return }
        try await insert(
            [StatusTransition(serviceId: service.id, from: previous?.to, to: status, at: at, message: message)])
        try await relinkTransition(serviceId: service.id, after: at, from: status)
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

/// A status change written (or about to be written) to its service row, not yet recorded.
struct StatusChange: Sendable {
    var service: ServiceIdentity
    var from: ServiceStatus?
    var to: ServiceStatus
    var message: String?
    var at: Date
}

extension Service {
    /// Moves the service to `status` (and takes `message`); returns the change to record, `nil`
    /// when the status is unchanged.
    mutating func changeStatus(to status: ServiceStatus, message: String?, at now: Date) -> StatusChange? {
        if let message { self.message = message }
        guard self.status != status else { return nil }
        let old = self.status
        self.status = status
        statusChangedAt = now
        return StatusChange(service: ServiceIdentity(self), from: old, to: status, message: message, at: now)
    }

    /// Its birth as a change: from nothing to its status.
    var creation: StatusChange {
        StatusChange(service: ServiceIdentity(self), from: nil, to: status, message: message, at: createdAt)
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

    /// A report's `observedAt`: RFC 3339, within the clock-skew and late-data bounds.
    static func observedAt(_ text: String?, field: String = "observedAt", now: Date, settings: Ingest.Settings)
        throws(ITOpsError) -> Date?
    {
        guard let text else { return nil }
        guard text.count <= 64, let date = ISO8601.parse(text) else {
            throw .invalid("\(field): must be an RFC 3339 timestamp such as 2026-04-20T02:00:00Z")
        }
        guard date.timeIntervalSince(now) <= settings.maxClockSkew else {
            throw .invalid(
                "\(field): is \(Int(date.timeIntervalSince(now))) s in the future, more than the allowed clock skew of \(Int(settings.maxClockSkew)) s (ITOPS_MAX_CLOCK_SKEW)")
        }
        guard now.timeIntervalSince(date) <= settings.lateDataHorizon else {
            throw .invalid(
                "\(field): is older than the late-data horizon of \(Int(settings.lateDataHorizon)) s (ITOPS_LATE_DATA_HORIZON)")
        }
        // Never later than now: a report from a clock slightly ahead is placed at arrival.
        return min(date, now)
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
