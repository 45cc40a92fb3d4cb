import Foundation

/// What an operator sync did.
public struct SyncResult: Sendable, Equatable {
    public var created: Int
    public var updated: Int
    /// Operator services of the node that the sync left out and that turned `UNKNOWN`.
    public var markedUnknown: Int
}

extension Ingest {
    /// `operator/status`: upserts every listed service and group; operator services of the node
    /// missing from the sync become `UNKNOWN` ("not reported by operator"), never deleted.
    public func operatorStatus(_ command: Commands.OperatorStatus) async throws -> SyncResult {
        let nodeId = try Check.nodePath(command.nodeId, defaultUnknown: false)
        let version = try Check.text(command.operatorVersion, "operatorVersion", max: 64)
        let services = command.services ?? []
        guard services.count <= settings.maxServicesPerSync else {
            throw ITOpsError.invalid("services: at most \(settings.maxServicesPerSync) services per sync")
        }
        var seen = Set<String>()
        for (index, service) in services.enumerated() {
            let field = "services[\(index)]"
            let name = try Check.name(service.name, "\(field).name")
            guard seen.insert(name).inserted else {
                throw ITOpsError.invalid("\(field).name: '\(name)' is listed twice")
            }
            _ = try Check.required(service.status, "\(field).status")
            _ = try Check.optionalName(service.slaGroup, "\(field).slaGroup")
            _ = try Check.optionalName(service.namespace, "\(field).namespace")
            _ = try Check.count(service.replicas, "\(field).replicas")
            _ = try Check.count(service.readyReplicas, "\(field).readyReplicas")
            _ = try Check.tags(service.tags, "\(field).tags")
            _ = try Check.text(service.message, "\(field).message", max: 4096)
            _ = try Check.text(service.displayName, "\(field).displayName", max: 256)
            _ = try Check.text(service.workloadType, "\(field).workloadType", max: 64)
            _ = try Check.text(service.serviceType, "\(field).serviceType", max: 64)
        }
        for (index, group) in (command.slaGroups ?? []).enumerated() {
            _ = try Check.name(group.name, "slaGroups[\(index)].name")
            _ = try Check.text(group.displayName, "slaGroups[\(index)].displayName", max: 256)
        }
        let now = clock.now()
        let observed = try Check.observedAt(command.observedAt, now: now, settings: settings)
        let at = observed ?? now
        return try await transaction { tx, log in
            var node = try await tx.ensureNodeChain(nodeId, at: now)
            // A sync is a sign of life as good as a heartbeat.
            node.lastHeartbeatAt = now
            node.silent = false
            node.agentVersion = version ?? node.agentVersion
            try await tx.update(node)
            for group in command.slaGroups ?? [] {
                try await tx.ensureGroup(group.name!, displayName: group.displayName, tier: group.tier)
            }
            // Groups named only by services: one read for all of them, then the missing ones.
            let listed = Set((command.slaGroups ?? []).compactMap(\.name))
            let named = Set(services.compactMap(\.slaGroup)).subtracting(listed)
            if !named.isEmpty {
                let existing = try await tx.existingSLAGroups(named: named)
                for group in named.subtracting(existing).sorted() { try await tx.ensureGroup(group) }
            }
            // Every service of the node in one read (not one look-up per listed service).
            var stored: [String: Service] = [:]
            for service in try await tx.services(matching: ServiceFilter(), inNodeOnly: nodeId) {
                stored[service.name] = service
            }
            // Writes as data: the changed rows, the new rows and the transitions are collected and
            // written in a few statements, whatever the number of services.
            var result = SyncResult(created: 0, updated: 0, markedUnknown: 0)
            var reported = Set<String>()
            var unchanged: [UUID] = []
            var changed: [Service] = []
            var created: [Service] = []
            var changes: [StatusChange] = []
            /// A report older than a service's latest change: placed in history, after the rest.
            var late: [(service: Service, status: ServiceStatus, message: String?)] = []
            for item in services {
                let name = item.name!
                reported.insert(name)
                if let existing = stored[name] {
                    var service = existing
                    service.apply(item)
                    if at < existing.statusChangedAt {
                        late.append((existing, item.status!, item.message))
                    } else if let change = service.changeStatus(to: item.status!, message: item.message, at: at) {
                        changes.append(change)
                    }
                    if service == existing {
                        // Nothing but the time of the last report: updated with the others in bulk.
                        unchanged.append(service.id)
                    } else {
                        service.lastSeenAt = now
                        changed.append(service)
                    }
                    result.updated += 1
                } else {
                    var service = Service(nodeId: nodeId, name: name, status: item.status!, source: .operator, at: at)
                    service.apply(item)
                    service.message = item.message
                    service.lastSeenAt = now
                    created.append(service)
                    changes.append(service.creation)
                    result.created += 1
                }
            }
            for var service in stored.values.sorted(by: { $0.name < $1.name })
            where service.source == .operator && !reported.contains(service.name) && service.status != .unknown {
                if at < service.statusChangedAt {
                    late.append((service, .unknown, "not reported by operator"))
                } else if let change = service.changeStatus(to: .unknown, message: "not reported by operator", at: at) {
                    changes.append(change)
                    changed.append(service)
                    result.markedUnknown += 1
                }
            }
            try await tx.insert(created)
            try await tx.update(changed, from: changed.map { stored[$0.name]! })
            try await tx.touchServices(unchanged, at: now)
            for change in try await tx.recordChanges(changes) {
                for event in change.events { log.append(event) }
            }
            for entry in late {
                try await tx.placeInHistory(
                    ServiceIdentity(entry.service), status: entry.status, message: entry.message, at: at,
                    createdAt: entry.service.createdAt)
            }
            return result
        }
    }

    /// `operator/heartbeat`: records the node's last heartbeat, agent version and counts.
    public func heartbeat(_ command: Commands.Heartbeat) async throws {
        let nodeId = try Check.nodePath(command.nodeId, defaultUnknown: false)
        let version = try Check.text(command.version, "version", max: 64)
        let watched = try Check.count(command.watchedServices, "watchedServices")
        let healthy = try Check.count(command.healthyServices, "healthyServices")
        let unhealthy = try Check.count(command.unhealthyServices, "unhealthyServices")
        let now = clock.now()
        try await transaction { tx, _ in
            var node = try await tx.ensureNodeChain(nodeId, at: now)
            node.lastHeartbeatAt = now
            node.silent = false
            node.agentVersion = version ?? node.agentVersion
            node.watchedServices = watched ?? node.watchedServices
            node.healthyServices = healthy ?? node.healthyServices
            node.unhealthyServices = unhealthy ?? node.unhealthyServices
            try await tx.update(node)
        }
    }

    /// `operator/register`: creates or updates the expected service with its backup settings.
    /// Returns the service and whether it was created.
    public func register(_ command: Commands.Register) async throws -> (service: Service, created: Bool) {
        let nodeId = try Check.nodePath(command.nodeId, defaultUnknown: false)
        let name = try Check.name(command.name, "name")
        let displayName = try Check.text(command.displayName, "displayName", max: 256)
        let namespace = try Check.optionalName(command.namespace, "namespace")
        let group = try Check.optionalName(command.slaGroup, "slaGroup")
        let serviceType = try Check.text(command.serviceType, "serviceType", max: 64)
        let tags = try Check.tags(command.tags)
        let backup = command.operations?.backup
        if let days = backup?.maxAgeDays, !(1...3650).contains(days) {
            throw ITOpsError.invalid("operations.backup.maxAgeDays: must be between 1 and 3650")
        }
        let now = clock.now()
        return try await transaction { tx, log in
            _ = try await tx.ensureNodeChain(nodeId, at: now)
            if let group { try await tx.ensureGroup(group) }
            let existing = try await tx.service(nodeId: nodeId, name: name)
            // Not yet reported: detection over silence says UNKNOWN, not OPERATIONAL.
            var service = existing ?? Service(nodeId: nodeId, name: name, status: .unknown, source: .register, at: now)
            service.registered = true
            service.displayName = displayName ?? service.displayName
            service.criticality = command.criticality ?? service.criticality
            service.namespace = namespace ?? service.namespace
            service.slaGroup = group ?? service.slaGroup
            service.serviceType = serviceType ?? service.serviceType
            service.tags = tags ?? service.tags
            if let backup {
                service.backup.expected = backup.expected ?? service.backup.expected
                service.backup.maxAgeDays = backup.maxAgeDays ?? service.backup.maxAgeDays
                service.backup.overdue = service.backup.isOverdue(now: now, createdAt: service.createdAt)
            }
            if existing == nil {
                try await tx.create(service, log: &log)
            } else {
                try await tx.update(service)
            }
            return (service, existing == nil)
        }
    }

    /// `operator/services?nodeId=`: the registered services of a node.
    public func registeredServices(nodeId text: String?) async throws -> [Service] {
        let nodeId = try Check.nodePath(text, defaultUnknown: false)
        return try await store.reader.services(matching: ServiceFilter(), inNodeOnly: nodeId).filter(\.registered)
    }
}

extension StoreReader {
    /// Services of exactly `node` (not its descendants) matching `filter`, every page read.
    public func services(matching filter: ServiceFilter, inNodeOnly node: NodePath) async throws -> [Service] {
        var filter = filter
        filter.nodeId = node
        filter.includeDescendants = false
        var result: [Service] = []
        var cursor: ServiceCursor?
        while true {
            let page = try await services(matching: filter, after: cursor, limit: 1000)
            result += page
            guard page.count == 1000, let last = page.last else { return result }
            cursor = ServiceCursor(nodeId: last.nodeId.value, name: last.name)
        }
    }
}

extension Service {
    /// Copies the fields an operator sync carries; absent fields keep their value.
    mutating func apply(_ item: Commands.OperatorService) {
        displayName = item.displayName ?? displayName
        replicas = item.replicas ?? replicas
        readyReplicas = item.readyReplicas ?? readyReplicas
        slaGroup = item.slaGroup ?? slaGroup
        workloadType = item.workloadType ?? workloadType
        namespace = item.namespace ?? namespace
        criticality = item.criticality ?? criticality
        serviceType = item.serviceType ?? serviceType
        tags = item.tags ?? tags
    }
}
