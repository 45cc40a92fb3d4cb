import Foundation
import ITOpsCore

// Wire shapes of the subscription payloads. One per event of SPEC §8; timestamps are ISO 8601 in UTC.

/// `serviceStatusChanged`: a service moved from one status to another.
struct ServiceStatusChangedDTO: Codable, Sendable {
    let serviceId: String
    let nodeId: String
    let serviceName: String
    let oldStatus: String?
    let newStatus: String
    let message: String?
    let at: String

    init(_ change: ServiceStatusChange) {
        serviceId = change.serviceId.uuidString.lowercased()
        nodeId = change.nodeId.value
        serviceName = change.serviceName
        oldStatus = change.from?.rawValue
        newStatus = change.to.rawValue
        message = change.message
        at = change.at.iso8601
    }
}

/// `slaIncident`: an incident opened or closed.
struct SLAIncidentDTO: Codable, Sendable {
    let incidentId: String
    let serviceId: String
    let nodeId: String
    let serviceName: String
    let phase: String
    let at: String

    init(_ event: IncidentEvent) {
        incidentId = event.incidentId.uuidString.lowercased()
        serviceId = event.serviceId.uuidString.lowercased()
        nodeId = event.nodeId.value
        serviceName = event.serviceName
        phase = event.phase.rawValue
        at = event.at.iso8601
    }
}

/// `slaAlert`: something an operator should look at.
struct SLAAlertDTO: Codable, Sendable {
    let kind: String
    let nodeId: String?
    let serviceId: String?
    let serviceName: String?
    let message: String
    let at: String
    let slaGroup: String?
    let rule: String?
    let burnRate: Double?

    init(_ alert: Alert) {
        kind = alert.kind.rawValue
        nodeId = alert.nodeId?.value
        slaGroup = alert.slaGroup
        rule = alert.rule
        burnRate = alert.burnRate
        serviceId = alert.serviceId?.uuidString.lowercased()
        serviceName = alert.serviceName
        message = alert.message
        at = alert.at.iso8601
    }
}

/// `licenseUpdated`: the effective license changed.
struct LicenseUpdatedDTO: Codable, Sendable {
    let customer: String?
    let plugins: [String]
    let expiresAt: String?
    let trial: Bool
    let reason: String
    let at: String

    init(_ change: LicenseChange) {
        customer = change.customer
        plugins = change.plugins
        expiresAt = change.expiresAt?.iso8601
        trial = change.trial
        reason = change.reason
        at = change.at.iso8601
    }
}

/// `ticketCreated`, `ticketUpdated`, `ticketDeleted`.
struct TicketEventDTO: Codable, Sendable {
    let ticketId: String
    let title: String
    let status: String
    let serviceId: String?
    let at: String

    init(_ event: TicketEvent) {
        ticketId = event.ticketId.uuidString.lowercased()
        title = event.title
        status = event.status
        serviceId = event.serviceId?.uuidString.lowercased()
        at = event.at.iso8601
    }
}
