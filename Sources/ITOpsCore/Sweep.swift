import Foundation

/// What one silence sweep changed.
public struct SweepResult: Sendable, Equatable {
    public var silentNodes: [NodePath] = []
    public var staleServices: Int = 0
    public var overdueBackups: Int = 0
}

extension Ingest {
    /// Detection over silence: turns the operator services of silent nodes and stale pushed services
    /// `UNKNOWN`, flags overdue backups, and raises an `sla:alert` for each silent node and each
    /// newly overdue backup. Idempotent: a second sweep at the same instant changes nothing.
    public func sweep() async throws -> SweepResult {
        let now = clock.now()
        let heartbeatTimeout = settings.heartbeatTimeout
        let pushStaleAfter = settings.pushStaleAfter
        return try await transaction { tx, log in
            var result = SweepResult()
            // Writes as data: every service turning UNKNOWN is collected, then written in a few
            // statements, so a thousand silent nodes do not hold the write lock for many seconds.
            // The events keep their order: each node's status changes, then its alert.
            var changed: [Service] = []
            var changes: [StatusChange] = []
            var pending: [(changes: Range<Int>, alert: DomainEvent?)] = []
            for var node in try await tx.nodesSilent(since: now.addingTimeInterval(-heartbeatTimeout)) {
                node.silent = true
                try await tx.update(node)
                result.silentNodes.append(node.id)
                let since = node.lastHeartbeatAt.map { ISO8601.format($0) } ?? "never"
                let message = "node silent: no heartbeat since \(since)"
                let first = changes.count
                for var service in try await tx.services(
                    matching: ServiceFilter(source: .operator), inNodeOnly: node.id)
                where service.status != .unknown {
                    guard let change = service.changeStatus(to: .unknown, message: message, at: now) else { continue }
                    changes.append(change)
                    changed.append(service)
                }
                pending.append(
                    (
                        first..<changes.count,
                        .slaAlert(
                            Alert(
                                kind: .nodeSilent, nodeId: node.id, serviceId: nil, serviceName: nil,
                                message: "node \(node.id) went silent: no heartbeat since \(since)", at: now))
                    ))
            }
            let first = changes.count
            for var service in try await tx.stalePushedServices(now: now, defaultStaleAfter: pushStaleAfter) {
                let message = "no push since \(ISO8601.format(service.lastSeenAt))"
                result.staleServices += 1
                guard let change = service.changeStatus(to: .unknown, message: message, at: now) else { continue }
                changes.append(change)
                changed.append(service)
            }
            pending.append((first..<changes.count, nil))
            try await tx.update(changed)
            let logs = try await tx.recordChanges(changes)
            for entry in pending {
                for index in entry.changes { for event in logs[index].events { log.append(event) } }
                if let alert = entry.alert { log.append(alert) }
            }
            for var service in try await tx.servicesNewlyOverdue(now: now) {
                service.backup.overdue = true
                try await tx.update(service)
                result.overdueBackups += 1
                let last =
                    service.backup.lastSuccessAt.map { "last success \(ISO8601.format($0))" } ?? "never backed up"
                log.append(
                    .slaAlert(
                        Alert(
                            kind: .backupOverdue, nodeId: service.nodeId, serviceId: service.id,
                            serviceName: service.name,
                            message:
                                "backup of \(service.nodeId)/\(service.name) is overdue (\(last), max age \(service.backup.maxAgeDays) d)",
                            at: now)))
            }
            return result
        }
    }
}
