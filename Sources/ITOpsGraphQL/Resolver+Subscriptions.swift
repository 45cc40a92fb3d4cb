import Foundation
import Graphiti
import ITOpsCore

/// Who may see which event. Every role may see every event today; a feature that needs less
/// (tickets of a team, say) narrows it here, and every subscription obeys.
enum EventVisibility {
    /// Whether `principal` may receive `event`.
    static func canSee(_ event: DomainEvent, _ principal: Principal) -> Bool {
        switch event {
        case .serviceStatusChanged(let change) where principal.nodeScope != nil:
            principal.covers(change.nodeId)
        case .serviceStatusChanged, .slaIncident, .slaAlert, .licenseUpdated, .ticketCreated, .ticketUpdated,
            .ticketDeleted:
            principal.role >= .viewer
        }
    }
}

extension Resolver {
    struct StatusChangedArguments: Codable, Sendable {
        let nodeId: String?
        let serviceId: String?
    }

    func serviceStatusChanged(context: GraphQLContext, arguments: StatusChangedArguments) async throws
        -> AsyncStream<ServiceStatusChangedDTO>
    {
        let node = try arguments.nodeId.map { try NodePath(validating: $0, field: "nodeId") }
        let service = try arguments.serviceId.map { try Self.uuid($0, field: "serviceId") }
        return try Self.events(context) { event in
            guard case .serviceStatusChanged(let change) = event else { return nil }
            if let service, change.serviceId != service { return nil }
            if let node, change.nodeId != node, !change.nodeId.value.hasPrefix(node.value + "/") { return nil }
            return ServiceStatusChangedDTO(change)
        }
    }

    func slaIncident(context: GraphQLContext, arguments: NoArguments) async throws -> AsyncStream<SLAIncidentDTO> {
        try Self.events(context) { event in
            guard case .slaIncident(let incident) = event else { return nil }
            return SLAIncidentDTO(incident)
        }
    }

    func slaAlert(context: GraphQLContext, arguments: NoArguments) async throws -> AsyncStream<SLAAlertDTO> {
        try Self.events(context) { event in
            guard case .slaAlert(let alert) = event else { return nil }
            return SLAAlertDTO(alert)
        }
    }

    func licenseUpdated(context: GraphQLContext, arguments: NoArguments) async throws
        -> AsyncStream<LicenseUpdatedDTO>
    {
        try Self.events(context) { event in
            guard case .licenseUpdated(let change) = event else { return nil }
            return LicenseUpdatedDTO(change)
        }
    }

    func ticketCreated(context: GraphQLContext, arguments: NoArguments) async throws -> AsyncStream<TicketEventDTO> {
        try context.require(.viewer)
        try context.requirePlugin(.ticketing)
        return try Self.events(context) { event in
            guard case .ticketCreated(let ticket) = event else { return nil }
            return TicketEventDTO(ticket)
        }
    }

    func ticketUpdated(context: GraphQLContext, arguments: NoArguments) async throws -> AsyncStream<TicketEventDTO> {
        try context.require(.viewer)
        try context.requirePlugin(.ticketing)
        return try Self.events(context) { event in
            guard case .ticketUpdated(let ticket) = event else { return nil }
            return TicketEventDTO(ticket)
        }
    }

    func ticketDeleted(context: GraphQLContext, arguments: NoArguments) async throws -> AsyncStream<TicketEventDTO> {
        try context.require(.viewer)
        try context.requirePlugin(.ticketing)
        return try Self.events(context) { event in
            guard case .ticketDeleted(let ticket) = event else { return nil }
            return TicketEventDTO(ticket)
        }
    }

    /// The events of the bus that the principal may see, transformed; `nil` from `transform`
    /// skips an event. Fed by the event bus (never by polling). A relay task filters while
    /// GraphQL executes the previous event; its buffer drops the oldest events when full, as the
    /// bus's own does. The bus subscription ends when the consumer stops.
    static func events<T: Sendable>(
        _ context: GraphQLContext, _ transform: @escaping @Sendable (DomainEvent) -> T?
    ) throws -> AsyncStream<T> {
        let principal = try context.require(.viewer)
        let source = context.backend.events()
        return AsyncStream<T>(bufferingPolicy: .bufferingNewest(1024)) { continuation in
            let relay = Task {
                for await event in source {
                    guard EventVisibility.canSee(event, principal), let value = transform(event) else { continue }
                    continuation.yield(value)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in relay.cancel() }
        }
    }
}
