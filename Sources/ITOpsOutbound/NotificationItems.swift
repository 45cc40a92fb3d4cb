import Foundation
import ITOpsCore

/// Domain events in words, and which rules they match.
public enum NotificationItems {
    /// The event names a rule may route.
    public static let events = OutboundEvents.names
    /// The `sla:alert` kinds a rule may filter on.
    public static let alertKinds = [
        "node_silent", "backup_overdue", "storage_warning", "storage_critical", "sla_burn_rate",
        "sla_burn_rate_cleared", "sla_report_generated", "exclusion_window_planned",
    ]

    /// The item of `event`: what happened, where, since when, the link to the console page. `publicURL` is
    /// the console's address (no trailing slash), `nil` for no link.
    public static func item(for event: DomainEvent, publicURL: String?) -> NotificationItem {
        func link(_ path: String) -> String? { publicURL.map { "\($0)/#/\(path)" } }
        switch event {
        case .serviceStatusChanged(let change):
            let action: NotificationAction =
                switch change.to {
                case .down, .degraded: .trigger
                case .operational: .resolve
                default: .info
                }
            let from = change.from.map { " (was \($0.rawValue))" } ?? ""
            return NotificationItem(
                event: event.name, action: action,
                severity: change.to == .down ? "critical" : change.to == .degraded ? "warning" : "info",
                title: "\(change.serviceName) is \(change.to.rawValue) on \(change.nodeId)",
                text: sentences([
                    "\(change.serviceName) is \(change.to.rawValue)\(from)\(change.message.map { ": \($0)" } ?? "")",
                    "Where: \(change.nodeId)", "Since: \(change.at.iso8601)",
                ]),
                dedupKey: "itops-service-\(change.serviceId.stored)", nodeId: change.nodeId.value,
                serviceName: change.serviceName, at: change.at,
                link: link("service/\(change.serviceId.stored)"))
        case .slaIncident(let incident):
            let opened = incident.phase == .opened
            return NotificationItem(
                event: event.name, kind: incident.phase.rawValue, action: opened ? .trigger : .resolve,
                severity: opened ? "critical" : "info",
                title: opened
                    ? "Incident: \(incident.serviceName) is DOWN on \(incident.nodeId)"
                    : "Resolved: \(incident.serviceName) on \(incident.nodeId) is back",
                text: sentences([
                    opened
                        ? "\(incident.serviceName) went DOWN and an incident was opened"
                        : "\(incident.serviceName) left DOWN and its incident was closed",
                    "Where: \(incident.nodeId)", "\(opened ? "Since" : "At"): \(incident.at.iso8601)",
                ]),
                // The service, not the incident id: one open incident per service, and the resolve must carry
                // the trigger's key.
                dedupKey: "itops-incident-\(incident.serviceId.stored)",
                nodeId: incident.nodeId.value, serviceName: incident.serviceName, at: incident.at,
                link: link("service/\(incident.serviceId.stored)"))
        case .slaAlert(let alert):
            return alertItem(alert, event: event.name, link: link)
        case .licenseUpdated(let change):
            return NotificationItem(
                event: event.name, action: .info, severity: "info", title: "License: \(change.reason)",
                text: sentences([
                    change.reason, "Plugins: \(change.plugins.isEmpty ? "none" : change.plugins.joined(separator: ", "))",
                    change.expiresAt.map { "Expires: \($0.iso8601)" } ?? "", "At: \(change.at.iso8601)",
                ]),
                dedupKey: "itops-license", at: change.at, link: link("license"))
        case .ticketCreated(let ticket), .ticketUpdated(let ticket), .ticketDeleted(let ticket):
            let verb = event.name.split(separator: ":").last.map(String.init) ?? "changed"
            return NotificationItem(
                event: event.name, action: .info, severity: "info", title: "Ticket \(verb): \(ticket.title)",
                text: sentences(["Ticket \(verb): \(ticket.title)", "Status: \(ticket.status)", "At: \(ticket.at.iso8601)"]),
                dedupKey: "itops-ticket-\(ticket.ticketId.stored)", at: ticket.at,
                link: link("tickets"))
        }
    }

    private static func alertItem(_ alert: Alert, event: String, link: (String) -> String?) -> NotificationItem {
        let subject = alert.serviceId?.stored ?? alert.nodeId?.value ?? alert.slaGroup ?? "fleet"
        var action = NotificationAction.trigger
        var severity = "warning"
        var key = "itops-\(alert.kind.rawValue)-\(subject)"
        var page = alert.serviceId.map { "service/\($0.stored)" } ?? "overview"
        var heading: String
        switch alert.kind {
        case .nodeSilent:
            severity = "critical"
            heading = "Node silent"
        case .backupOverdue:
            severity = "error"
            heading = "Backup overdue"
            page = "backups"
        case .storageWarning:
            heading = "Storage warning"
            key = "itops-storage-\(subject)"
            page = "storage"
        case .storageCritical:
            severity = "critical"
            heading = "Storage critical"
            key = "itops-storage-\(subject)"
            page = "storage"
        case .slaBurnRate, .slaBurnRateCleared:
            let cleared = alert.kind == .slaBurnRateCleared
            action = cleared ? .resolve : .trigger
            severity = cleared ? "info" : "error"
            heading = cleared ? "SLA burn rate recovered" : "SLA error budget burning"
            key = "itops-sla_burn_rate-\(alert.slaGroup ?? subject)-\(alert.rule ?? "")"
            page = "reports"
        case .slaReportGenerated:
            action = .info
            severity = "info"
            heading = "SLA report"
            page = "reports"
        case .exclusionWindowPlanned:
            action = .info
            severity = "info"
            heading = "Maintenance window planned"
            page = "incidents"
        }
        let target = [alert.serviceName, alert.nodeId?.value].compactMap { $0 }.joined(separator: " on ")
        return NotificationItem(
            event: event, kind: alert.kind.rawValue, action: action, severity: severity,
            title: "\(heading): \(target.isEmpty ? alert.slaGroup ?? alert.message : target)",
            text: sentences([
                alert.message, alert.nodeId.map { "Where: \($0)" } ?? "",
                alert.slaGroup.map { "SLA group: \($0)" } ?? "",
                alert.rule.map { "Rule: \($0)" } ?? "",
                alert.burnRate.map { "Burn rate: \(String(format: "%.1f", $0))× the budget (budget left shrinks at this pace)" }
                    ?? "",
                "Since: \(alert.at.iso8601)",
            ]),
            dedupKey: key, nodeId: alert.nodeId?.value, serviceName: alert.serviceName, slaGroup: alert.slaGroup,
            at: alert.at, link: link(page))
    }

    private static func sentences(_ parts: [String]) -> String {
        parts.filter { !$0.isEmpty }.map { $0.hasSuffix(".") ? $0 : $0 + "." }.joined(separator: "\n")
    }

    /// The service an event is about, if any (for the SLA group, tier and tag filters).
    public static func serviceId(of event: DomainEvent) -> UUID? {
        switch event {
        case .serviceStatusChanged(let change): change.serviceId
        case .slaIncident(let incident): incident.serviceId
        case .slaAlert(let alert): alert.serviceId
        case .ticketCreated(let ticket), .ticketUpdated(let ticket), .ticketDeleted(let ticket): ticket.serviceId
        case .licenseUpdated: nil
        }
    }

    /// Whether `rule` routes `item` (of event `name`); `service` is the event's service when it has one.
    public static func matches(
        _ rule: NotificationRuleDefinition, event name: String, item: NotificationItem, service: Service?
    ) -> Bool {
        guard rule.enabled, rule.events.contains(name) else { return false }
        if name == "sla:alert", !rule.alertKinds.isEmpty {
            guard let kind = item.kind, rule.alertKinds.contains(kind) else { return false }
        }
        if !rule.slaGroups.isEmpty {
            guard let group = item.slaGroup ?? service?.slaGroup, rule.slaGroups.contains(group) else { return false }
        }
        if !rule.tiers.isEmpty {
            guard let tier = service?.criticality?.rawValue, rule.tiers.contains(tier) else { return false }
        }
        if !rule.tags.isEmpty {
            guard let tags = service?.tags, tags.contains(where: rule.tags.contains) else { return false }
        }
        if !rule.nodePrefixes.isEmpty {
            guard let node = item.nodeId ?? service?.nodeId.value,
                rule.nodePrefixes.contains(where: { node == $0 || node.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") })
            else { return false }
        }
        return true
    }

    /// A message of several items (a summary), or of one.
    public static func message(_ items: [NotificationItem], rule: String?) -> NotificationMessage {
        if items.count == 1 { return NotificationMessage(title: items[0].title, items: items, action: items[0].action, rule: rule) }
        let triggers = items.filter { $0.action == .trigger }.count
        let resolves = items.filter { $0.action == .resolve }.count
        var counts: [String] = []
        if triggers > 0 { counts.append("\(triggers) alerting") }
        if resolves > 0 { counts.append("\(resolves) recovered") }
        let others = items.count - triggers - resolves
        if others > 0 { counts.append("\(others) other") }
        return NotificationMessage(
            title: "\(items.count) notifications\(rule.map { " from rule \($0)" } ?? ""): \(counts.joined(separator: ", "))",
            items: items, action: .info, rule: rule)
    }

    /// The items a message lists in full; the rest are counted ("… and 450 more").
    public static let listedItems = 50

    /// The message as plain text: one paragraph per item (the first ``listedItems``), links included.
    public static func plainText(_ message: NotificationMessage) -> String {
        if message.items.count == 1 {
            let item = message.items[0]
            return item.text + (item.link.map { "\nOpen in ITOps: \($0)" } ?? "")
        }
        var lines = [message.title, ""]
        for item in message.items.prefix(listedItems) {
            lines.append("- \(item.title) (\(item.at.iso8601))")
        }
        if message.items.count > listedItems { lines.append("… and \(message.items.count - listedItems) more") }
        if let link = message.items.first?.link { lines.append("\nOpen in ITOps: \(link)") }
        return lines.joined(separator: "\n")
    }
}
