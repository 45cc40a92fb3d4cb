import Foundation
import ITOpsCore

/// A workload seen through the Kubernetes API.
public struct Workload: Sendable, Equatable {
    /// `Deployment`, `StatefulSet` or `DaemonSet`, as the reference spells `workloadType`.
    public var kind: String
    public var namespace: String
    public var name: String
    /// Desired replicas (`desiredNumberScheduled` for a DaemonSet).
    public var replicas: Int
    /// Ready replicas (`numberReady` for a DaemonSet).
    public var readyReplicas: Int

    /// A workload with these counts.
    public init(kind: String, namespace: String, name: String, replicas: Int, readyReplicas: Int) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.replicas = replicas
        self.readyReplicas = readyReplicas
    }

    /// All desired replicas ready → OPERATIONAL; none ready → DOWN (a workload scaled to zero serves
    /// nothing, so it is DOWN too); some → DEGRADED.
    public var status: ServiceStatus {
        if replicas > 0, readyReplicas >= replicas { return .operational }
        if readyReplicas <= 0 { return .down }
        return .degraded
    }
}

/// What the agent currently knows: the catalogue, the last result of every check, the workloads.
actor AgentState {
    private(set) var catalog: AgentCatalog
    private var results: [String: [Int: (ServiceStatus, String)]] = [:]
    private var workloads: [String: Workload] = [:]
    private var backupSeen: [String: Date] = [:]
    private var registered: [String: Data] = [:]
    /// Bumped by every change that may alter the sync; the sync loop waits on it.
    private(set) var generation = 0

    init(catalog: AgentCatalog) { self.catalog = catalog }

    func setCatalog(_ catalog: AgentCatalog) {
        let names = Set(catalog.services.map(\.name))
        results = results.filter { names.contains($0.key) }
        self.catalog = catalog
        generation += 1
    }

    func record(service: String, check: Int, status: ServiceStatus, message: String) {
        results[service, default: [:]][check] = (status, message)
        generation += 1
    }

    func setWorkload(_ workload: Workload) {
        workloads["\(workload.kind)/\(workload.namespace)/\(workload.name)"] = workload
        generation += 1
    }

    func removeWorkload(kind: String, namespace: String, name: String) {
        workloads["\(kind)/\(namespace)/\(name)"] = nil
        generation += 1
    }

    /// Replaces every workload of `kind` in `namespace` (every namespace when nil) after a list.
    func replaceWorkloads(kind: String, namespace: String?, with list: [Workload]) {
        workloads = workloads.filter { $0.value.kind != kind || (namespace != nil && $0.value.namespace != namespace) }
        for w in list { workloads["\(w.kind)/\(w.namespace)/\(w.name)"] = w }
        generation += 1
    }

    /// Whether `finishedAt` is a backup not reported yet for `key`; records it.
    func isNewBackup(_ key: String, finishedAt: Date) -> Bool {
        if let seen = backupSeen[key], seen >= finishedAt { return false }
        backupSeen[key] = finishedAt
        return true
    }

    /// Whether `body` differs from what was last registered for `name`; records it.
    func needsRegistering(_ name: String, body: Data) -> Bool {
        guard registered[name] != body else { return false }
        registered[name] = body
        return true
    }

    /// Whether some service still waits for the first result of one of its checks (none of them DOWN).
    func awaitingFirstResults() -> Bool {
        catalog.services.contains { service in
            let checks = service.checks.indices.filter { service.checks[$0].affectsStatus }
            let found = checks.compactMap { results[service.name]?[$0] }
            return found.count < checks.count && !found.contains { $0.0 == .down }
        }
    }

    /// The services of the next sync: configured services with status checks, and watched workloads.
    func services() -> [Reports.Service] {
        var byName: [String: Reports.Service] = [:]
        var order: [String] = []
        let configured = Dictionary(catalog.services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for service in catalog.services where service.checks.contains(where: \.affectsStatus) {
            let checks = service.checks.indices.filter { service.checks[$0].affectsStatus }
            let found = checks.compactMap { results[service.name]?[$0] }
            let status: ServiceStatus
            let message: String
            if found.count < checks.count {
                status = found.contains { $0.0 == .down } ? .down : .unknown
                message = "waiting for the first result of every check"
            } else {
                status = found.map(\.0).max(by: { $0.severity < $1.severity }) ?? .operational
                message = found.filter { $0.0 == status }.map(\.1).joined(separator: "; ")
            }
            byName[service.name] = Self.report(service, status: status, message: message)
            order.append(service.name)
        }
        for workload in workloads.values.sorted(by: { ($0.namespace, $0.name, $0.kind) < ($1.namespace, $1.name, $1.kind) }) {
            var entry = byName[workload.name] ?? configured[workload.name].map {
                Self.report($0, status: workload.status, message: "")
            } ?? Reports.Service(name: workload.name, status: workload.status)
            if byName[workload.name] == nil { order.append(workload.name) }
            if workload.status.severity > entry.status.severity || byName[workload.name] == nil {
                entry.status = workload.status
                entry.message = "\(workload.readyReplicas)/\(workload.replicas) replicas ready"
            }
            entry.replicas = workload.replicas
            entry.readyReplicas = workload.readyReplicas
            entry.workloadType = workload.kind
            entry.namespace = entry.namespace ?? workload.namespace
            byName[workload.name] = entry
        }
        return order.compactMap { byName[$0] }
    }

    static func report(_ service: AgentConfig.Service, status: ServiceStatus, message: String) -> Reports.Service {
        Reports.Service(
            name: service.name, status: status, message: message.isEmpty ? nil : String(message.prefix(1000)),
            displayName: service.displayName, slaGroup: service.slaGroup, namespace: service.namespace,
            criticality: service.criticality, serviceType: service.serviceType,
            tags: service.tags.isEmpty ? nil : service.tags)
    }
}

extension ServiceStatus {
    /// Worse is larger: the status of a service with several checks is the worst of them.
    var severity: Int {
        switch self {
        case .operational: 0
        case .maintenance: 1
        case .unknown: 2
        case .degraded: 3
        case .down: 4
        }
    }
}
