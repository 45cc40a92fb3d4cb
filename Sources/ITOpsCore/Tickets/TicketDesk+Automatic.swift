import Foundation

/// Which events open, comment on or resolve automatic tickets.
public struct AutoTicketRule: Sendable, Equatable {
    public var source: TicketSource
    public var priority: TicketPriority
    /// Whether the ticket is resolved when its cause clears (otherwise it only gets a comment).
    public var autoResolve: Bool

    public init(source: TicketSource, priority: TicketPriority, autoResolve: Bool) {
        self.source = source
        self.priority = priority
        self.autoResolve = autoResolve
    }

    /// The built-in rules: incidents on critical (P1) or high (P2) services, fast burn-rate alerts (P2),
    /// overdue backups (P3), critical storage (P2). Incidents and burn rates resolve their ticket when they clear.
    public static let defaults: [TicketSource: AutoTicketRule] = [
        .incident: AutoTicketRule(source: .incident, priority: .p1, autoResolve: true),
        .burnRate: AutoTicketRule(source: .burnRate, priority: .p2, autoResolve: true),
        .backupOverdue: AutoTicketRule(source: .backupOverdue, priority: .p3, autoResolve: false),
        .storage: AutoTicketRule(source: .storage, priority: .p2, autoResolve: false),
    ]
}

extension TicketDesk {
    /// Reacts to one domain event: opens (or comments on) the ticket of a new cause, comments on and maybe
    /// resolves the ticket of a cause that cleared. Nothing without the ticketing plugin.
    public func handle(_ event: DomainEvent, rules: [TicketSource: AutoTicketRule] = AutoTicketRule.defaults)
        async throws
    {
        guard gate.isEnabled(.ticketing) else { return }
        switch event {
        case .slaIncident(let incident):
            guard let rule = rules[.incident] else { return }
            let name = "\(incident.nodeId.value)/\(incident.serviceName)"
            switch incident.phase {
            case .opened:
                guard let service = try await store.reader.service(id: incident.serviceId),
                    service.criticality == .critical || service.criticality == .high
                else { return }
                try await raise(
                    TicketCause(
                        source: .incident, serviceId: incident.serviceId, title: "Incident: \(name) is DOWN",
                        detail: "\(name) went DOWN at \(incident.at.iso8601).",
                        priority: service.criticality == .critical ? rule.priority : lower(rule.priority)))
            case .closed:
                try await clear(
                    .incident, serviceId: incident.serviceId,
                    note: "The incident closed at \(incident.at.iso8601): \(name) is no longer DOWN.",
                    resolve: rule.autoResolve)
            }
        case .slaAlert(let alert):
            switch alert.kind {
            case .backupOverdue:
                guard let rule = rules[.backupOverdue], let service = alert.serviceId else { return }
                try await raise(
                    TicketCause(
                        source: .backupOverdue, serviceId: service,
                        title: "Backup overdue: \(alert.serviceName ?? service.stored)",
                        detail: alert.message, priority: rule.priority))
            case .storageCritical:
                guard let rule = rules[.storage], let service = alert.serviceId else { return }
                try await raise(
                    TicketCause(
                        source: .storage, serviceId: service,
                        title: "Storage critical: \(alert.serviceName ?? service.stored)",
                        detail: alert.message, priority: rule.priority))
            case .slaBurnRate:
                guard let rule = rules[.burnRate] else { return }
                try await raise(
                    TicketCause(
                        source: .burnRate, serviceId: alert.serviceId, slaGroup: alert.slaGroup,
                        title: "Error budget burning fast: \(alert.serviceName ?? alert.slaGroup ?? "SLA")",
                        detail: alert.message, priority: rule.priority))
            case .slaBurnRateCleared:
                guard let rule = rules[.burnRate] else { return }
                try await clear(
                    .burnRate, serviceId: alert.serviceId, slaGroup: alert.slaGroup, note: alert.message,
                    resolve: rule.autoResolve)
            default:
                return
            }
        default:
            return
        }
    }

    private func lower(_ priority: TicketPriority) -> TicketPriority {
        switch priority {
        case .p1: .p2
        case .p2: .p3
        default: .p4
        }
    }
}
