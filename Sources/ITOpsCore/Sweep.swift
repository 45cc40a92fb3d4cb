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
            for var node in try await tx.nodesSilent(since: now.addingTimeInterval(-heartbeatTimeout)) {
                node.silent = true
                try await tx.update(node)
                result.silentNodes.append(node.id)
                let since = node.lastHeartbeatAt.map { ISO8601.format($0) } ?? "never"
                let message = "node silent: no heartbeat since \(since)"
                for var service in try await tx.services(
                    matching: ServiceFilter(source: .operator), inNodeOnly: node.id)
                where service.status != .unknown {
                    try await tx.setStatus(of: &service, to: .unknown, message: message, at: now, log: &log)
                    try await tx.update(service)
                }
                log.append(
                    .slaAlert(
                        Alert(
                            kind: .nodeSilent, nodeId: node.id, serviceId: nil, serviceName: nil,
                            message: "node \(node.id) went silent: no heartbeat since \(since)", at: now)))
            }
            for var service in try await tx.stalePushedServices(now: now, defaultStaleAfter: pushStaleAfter) {
                let message = "no push since \(ISO8601.format(service.lastSeenAt))"
                try await tx.setStatus(of: &service, to: .unknown, message: message, at: now, log: &log)
                try await tx.update(service)
                result.staleServices += 1
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
