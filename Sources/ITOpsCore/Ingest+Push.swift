import Foundation

/// What a storage report concluded.
public struct StorageResult: Sendable, Equatable {
    public var serviceName: String
    public var freePercent: Int
    public var state: StorageState
}

/// What a health report did: enough for the REST answer, without reading the service back.
public struct HealthReceipt: Sendable, Equatable {
    public var serviceId: UUID
    public var nodeId: NodePath
    public var serviceName: String
    public var status: ServiceStatus
    public var created = false
}

/// Which services a backup report reached.
public struct BackupResult: Sendable, Equatable {
    public var services: [String]
}

extension Ingest {
    /// `health/report`: the first push creates the service and its node chain; later pushes change
    /// status and message, plus any other field given.
    public func healthReport(_ command: Commands.HealthReport) async throws -> (service: Service, created: Bool) {
        let receipt = try await recordHealth(command)
        guard let service = try await store.reader.service(id: receipt.serviceId) else {
            throw ITOpsError(.internal, "service \(receipt.serviceId) vanished after its report")
        }
        return (service, receipt.created)
    }

    /// `health/report` without reading the service back: what the REST route answers with.
    ///
    /// A push on a service this process knows is one compare-and-set update (plus the transition
    /// when the status changes) instead of a look-up and a rewrite of the whole row.
    public func recordHealth(_ command: Commands.HealthReport) async throws -> HealthReceipt {
        let nodeId = try Check.nodePath(command.nodeId, defaultUnknown: true)
        let name = try Check.name(command.service, "service")
        let status = try Check.required(command.status, "status")
        let message = try Check.text(command.message, "message", max: 4096)
        let displayName = try Check.text(command.displayName, "displayName", max: 256)
        let group = try Check.optionalName(command.slaGroup, "slaGroup")
        let namespace = try Check.optionalName(command.namespace, "namespace")
        let serviceType = try Check.text(command.serviceType, "serviceType", max: 64)
        let tags = try Check.tags(command.tags)
        if let interval = command.expectedIntervalSeconds, !(1...86_400).contains(interval) {
            throw ITOpsError.invalid("expectedIntervalSeconds: must be between 1 and 86400")
        }
        let now = clock.now()
        let observed = try Check.observedAt(command.observedAt, now: now, settings: settings)
        var fields = ServicePatch(lastSeenAt: now, status: status)
        fields.message = message
        fields.displayName = displayName
        fields.criticality = command.criticality
        fields.slaGroup = group
        fields.namespace = namespace
        fields.serviceType = serviceType
        fields.tags = tags
        fields.expectedIntervalSeconds = command.expectedIntervalSeconds
        let push = HealthPush(
            nodeId: nodeId, name: name, status: status, message: message, group: group, fields: fields,
            known: directory.lookup(node: nodeId, name: name), at: observed ?? now, observed: observed != nil,
            now: now)
        let outcome = try await store.write(push, batchedBy: HealthPushes())
        events.publish(outcome.log.events)
        // Committed: only now may the directory learn from it.
        let receipt = outcome.receipt
        directory.remember(node: nodeId, name: name, .init(id: receipt.serviceId, status: receipt.status))
        return receipt
    }

    /// `storage/report`: keeps the measurement; the first report creates the service tagged
    /// `storage`; entering warning or critical raises an `sla:alert`.
    public func storageReport(_ command: Commands.StoragePush) async throws -> StorageResult {
        let nodeId = try Check.nodePath(command.nodeId, defaultUnknown: true)
        let name = try Check.name(command.service, "service")
        let allocated = try Check.required(command.allocatedBytes, "allocatedBytes")
        let used = try Check.required(command.usedBytes, "usedBytes")
        guard allocated > 0 else { throw ITOpsError.invalid("allocatedBytes: must be greater than 0") }
        guard used >= 0 else { throw ITOpsError.invalid("usedBytes: must not be negative") }
        guard used <= allocated else { throw ITOpsError.invalid("usedBytes: must not exceed allocatedBytes") }
        let storageType = try Check.text(command.storageType, "storageType", max: 64)
        let mountPath = try Check.text(command.mountPath, "mountPath", max: 1024)
        let freePercent = Storage.freePercent(allocated: allocated, used: used)
        let state = Storage.state(freePercent: freePercent)
        let now = clock.now()
        let at = try Check.observedAt(command.observedAt, now: now, settings: settings) ?? now
        return try await transaction { tx, log in
            var service: Service
            if let existing = try await tx.service(nodeId: nodeId, name: name) {
                service = existing
                service.lastSeenAt = now
                if !service.tags.contains("storage") { service.tags.append("storage") }
                try await tx.update(service)
            } else {
                _ = try await tx.ensureNodeChain(nodeId, at: now)
                // A volume that reports is up; its fill level is a separate state, not downtime.
                service = Service(nodeId: nodeId, name: name, status: .operational, source: .storage, at: now)
                service.tags = ["storage"]
                try await tx.create(service, log: &log)
            }
            let last = try await tx.lastStorageReport(serviceId: service.id)
            let previous = last?.state ?? .healthy
            try await tx.insert(
                StorageReport(
                    serviceId: service.id, allocatedBytes: allocated, usedBytes: used, freePercent: freePercent,
                    state: state, storageType: storageType, mountPath: mountPath, reportedAt: at))
            // A measurement older than the latest one fills history and alerts nobody.
            let isLatest = last.map { at >= $0.reportedAt } ?? true
            if isLatest, Storage.severity(state) > Storage.severity(previous) {
                log.append(
                    .slaAlert(
                        Alert(
                            kind: state == .critical ? .storageCritical : .storageWarning, nodeId: nodeId,
                            serviceId: service.id, serviceName: name,
                            message: "storage of \(nodeId)/\(name) is \(state.rawValue): \(freePercent)% free",
                            at: now)))
            }
            return StorageResult(serviceName: name, freePercent: freePercent, state: state)
        }
    }

    /// `backup/report`: records a backup for one service, every member of an SLA group, or every
    /// service of a namespace that expects backups.
    public func backupReport(_ command: Commands.BackupPush) async throws -> BackupResult {
        let modes = [command.service, command.slaGroup, command.namespace].compactMap { $0 }
        guard modes.count == 1 else {
            throw ITOpsError.invalid("exactly one of service, slaGroup or namespace is required")
        }
        let status = try Check.required(command.status, "status")
        if let size = command.sizeBytes, size < 0 { throw ITOpsError.invalid("sizeBytes: must not be negative") }
        let message = try Check.text(command.message, "message", max: 4096)
        let now = clock.now()
        let at = try Check.observedAt(command.observedAt, now: now, settings: settings) ?? now

        enum Target { case service(NodePath, String), group(String), namespace(String) }
        let target: Target
        if let service = command.service {
            try Identifier.validateName(service, field: "service")
            target = .service(try Check.nodePath(command.nodeId, defaultUnknown: true), service)
        } else if let group = command.slaGroup {
            try Identifier.validateName(group, field: "slaGroup")
            target = .group(group)
        } else {
            let namespace = command.namespace!
            try Identifier.validateName(namespace, field: "namespace")
            target = .namespace(namespace)
        }

        return try await transaction { tx, log in
            var services: [Service]
            switch target {
            case .service(let nodeId, let name):
                if let existing = try await tx.service(nodeId: nodeId, name: name) {
                    services = [existing]
                } else {
                    _ = try await tx.ensureNodeChain(nodeId, at: now)
                    var created = Service(nodeId: nodeId, name: name, status: .unknown, source: .backup, at: now)
                    created.backup.expected = true
                    created.backup.maxAgeDays = 1
                    try await tx.create(created, log: &log)
                    services = [created]
                }
            case .group(let name):
                guard try await tx.slaGroup(name: name) != nil else {
                    throw ITOpsError.notFound("slaGroup: no SLA group named '\(name)'")
                }
                services = try await tx.servicesExpectingBackup(slaGroup: name)
            case .namespace(let name):
                guard try await tx.namespaceExists(name) else {
                    throw ITOpsError.notFound("namespace: no service in namespace '\(name)'")
                }
                services = try await tx.servicesExpectingBackup(namespace: name)
            }
            for var service in services {
                try await tx.insert(
                    BackupReport(
                        serviceId: service.id, status: status, sizeBytes: command.sizeBytes, message: message,
                        reportedAt: at))
                // A report replayed late never hides a newer one.
                if service.backup.lastAt.map({ at >= $0 }) ?? true {
                    service.backup.lastAt = at
                    service.backup.lastStatus = status
                }
                if status == .success, service.backup.lastSuccessAt.map({ at > $0 }) ?? true {
                    service.backup.lastSuccessAt = at
                }
                service.backup.overdue = service.backup.isOverdue(now: now, createdAt: service.createdAt)
                try await tx.update(service)
            }
            return BackupResult(services: services.map(\.name))
        }
    }
}

/// Storage arithmetic of SPEC §3.
public enum Storage {
    /// `round(100 × (allocated − used) / allocated)`, computed without overflow.
    public static func freePercent(allocated: Int64, used: Int64) -> Int {
        Int((Double(allocated - used) * 100 / Double(allocated)).rounded())
    }

    /// `healthy` above 30 % free, `warning` from 10 to 30 %, `critical` below 10 %.
    public static func state(freePercent: Int) -> StorageState {
        if freePercent > 30 { return .healthy }
        if freePercent >= 10 { return .warning }
        return .critical
    }

    static func severity(_ state: StorageState) -> Int {
        switch state {
        case .healthy: 0
        case .warning: 1
        case .critical: 2
        }
    }
}

/// A validated health push, with the service this process believes it is about.
struct HealthPush: Sendable {
    var nodeId: NodePath
    var name: String
    var status: ServiceStatus
    var message: String?
    var group: String?
    /// The fields the push sets (`lastSeenAt` is the time it arrived).
    var fields: ServicePatch
    /// The directory's hint: id and last committed status.
    var known: ServiceDirectory.Entry?
    /// When the status was observed: the report's `observedAt`, else `now`.
    var at: Date
    /// Whether `at` came from the reporter: such a report may be older than the service's latest
    /// change and then belongs in history only.
    var observed: Bool
    var now: Date
}

/// What a push did, and the events to publish once it is committed.
struct PushOutcome: Sendable {
    var receipt: HealthReceipt
    var log = EventLog()
}

/// Health pushes as data: the pushes of one group-commit batch on services this process knows
/// become one compare-and-set statement, one insert of transitions and one of incidents; the first
/// pushes of new services become one insert of services and one of their first transitions.
/// Pushes neither shortcut can take — a stale hint, a service this process has not seen yet that
/// exists, a second push on one service in the batch, a report older than the service's latest
/// change — run one by one after them, in the same transaction.
struct HealthPushes: BatchedWrite {
    func run(_ items: [HealthPush], in tx: any StoreWriter) async throws -> [PushOutcome] {
        let groups = Set(items.compactMap(\.group))
        if !groups.isEmpty {
            let existing = try await tx.existingSLAGroups(named: groups)
            for group in groups.subtracting(existing).sorted() { try await tx.ensureGroup(group) }
        }
        var fast: [(index: Int, known: ServiceDirectory.Entry)] = []
        var seen = Set<UUID>()
        for (index, item) in items.enumerated() {
            if let known = item.known, seen.insert(known.id).inserted { fast.append((index, known)) }
        }
        let applied = try await tx.updateServices(
            fast.map { index, known in
                let item = items[index]
                var patch = item.fields
                if known.status != item.status { patch.statusChangedAt = item.at }
                return ServiceCompareAndSet(
                    id: known.id, expected: known.status, patch: patch, notChangedAfter: item.observed ? item.at : nil)
            })
        var outcomes = [PushOutcome?](repeating: nil, count: items.count)
        var changes: [(index: Int, change: StatusChange)] = []
        for (index, known) in fast where applied.contains(known.id) {
            let item = items[index]
            outcomes[index] = PushOutcome(
                receipt: HealthReceipt(
                    serviceId: known.id, nodeId: item.nodeId, serviceName: item.name, status: item.status))
            if known.status != item.status {
                let identity = ServiceIdentity(id: known.id, nodeId: item.nodeId, name: item.name)
                changes.append(
                    (index, StatusChange(service: identity, from: known.status, to: item.status, message: item.message, at: item.at)))
            }
        }
        for (change, log) in zip(changes, try await tx.recordChanges(changes.map(\.change))) {
            outcomes[change.index]?.log = log
        }
        try await Self.createNew(items, &outcomes, in: tx)
        for index in items.indices where outcomes[index] == nil {
            outcomes[index] = try await Self.runAlone(items[index], in: tx)
        }
        return outcomes.map { $0! }
    }

    /// New services as data: the first push of each service this process does not know whose
    /// service does not exist either. One read tells which exist, one which of their nodes do; then
    /// one insert of the services and one of their first transitions (and incidents). A service
    /// that exists, or a second push on a new one, is left to `runAlone`.
    private static func createNew(
        _ items: [HealthPush], _ outcomes: inout [PushOutcome?], in tx: any StoreWriter
    ) async throws {
        var firsts: [Int] = []
        var keys = Set<ServiceKey>()
        for index in items.indices where outcomes[index] == nil && items[index].known == nil {
            if keys.insert(ServiceKey(nodeId: items[index].nodeId, name: items[index].name)).inserted {
                firsts.append(index)
            }
        }
        guard !firsts.isEmpty else { return }
        let existing = try await tx.existingServices(keys)
        let fresh = firsts.filter { !existing.contains(ServiceKey(nodeId: items[$0].nodeId, name: items[$0].name)) }
        guard !fresh.isEmpty else { return }
        // Each missing node once, created at the time of the first push that names it.
        var firstPush: [NodePath: Date] = [:]
        for index in fresh where firstPush[items[index].nodeId] == nil {
            firstPush[items[index].nodeId] = items[index].now
        }
        let knownNodes = try await tx.existingNodes(Set(firstPush.keys))
        for (node, now) in firstPush where !knownNodes.contains(node) { _ = try await tx.ensureNodeChain(node, at: now) }
        let services = fresh.map { index in
            let item = items[index]
            return item.fields.applied(
                to: Service(nodeId: item.nodeId, name: item.name, status: item.status, source: .push, at: item.at))
        }
        try await tx.insert(services)
        for ((index, service), log) in zip(zip(fresh, services), try await tx.recordChanges(services.map(\.creation))) {
            outcomes[index] = PushOutcome(
                receipt: HealthReceipt(
                    serviceId: service.id, nodeId: service.nodeId, serviceName: service.name, status: service.status,
                    created: true),
                log: log)
        }
    }

    /// The push the long way: read the service, then update, place in history, or create it.
    private static func runAlone(_ item: HealthPush, in tx: any StoreWriter) async throws -> PushOutcome {
        var log = EventLog()
        if let existing = try await tx.service(nodeId: item.nodeId, name: item.name) {
            var patch = item.fields
            patch.status = existing.status
            patch.message = nil
            var service = patch.applied(to: existing)
            if item.at < existing.statusChangedAt {
                // Older than what the service already knows: history only, current status kept.
                try await tx.update(service)
                try await tx.placeInHistory(
                    ServiceIdentity(service), status: item.status, message: item.message, at: item.at,
                    createdAt: existing.createdAt)
                return PushOutcome(
                    receipt: HealthReceipt(
                        serviceId: service.id, nodeId: item.nodeId, serviceName: item.name, status: service.status))
            }
            try await tx.setStatus(of: &service, to: item.status, message: item.message, at: item.at, log: &log)
            try await tx.update(service)
            return PushOutcome(
                receipt: HealthReceipt(
                    serviceId: service.id, nodeId: item.nodeId, serviceName: item.name, status: item.status),
                log: log)
        }
        _ = try await tx.ensureNodeChain(item.nodeId, at: item.now)
        let service = item.fields.applied(
            to: Service(nodeId: item.nodeId, name: item.name, status: item.status, source: .push, at: item.at))
        try await tx.create(service, log: &log)
        return PushOutcome(
            receipt: HealthReceipt(
                serviceId: service.id, nodeId: item.nodeId, serviceName: item.name, status: item.status,
                created: true),
            log: log)
    }
}
