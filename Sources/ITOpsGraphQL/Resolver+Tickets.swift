import Foundation
import Graphiti
import ITOpsCore

extension Resolver {
    struct TicketFilterInput: Codable, Sendable {
        let status: String?
        let priority: String?
        let serviceId: String?
        let slaGroup: String?
        let assigneeId: String?
        let source: String?
        let search: String?
    }

    struct TicketsArguments: Codable, Sendable {
        let filter: TicketFilterInput?
        let first: Int?
        let after: String?
    }

    struct TicketInputDTO: Codable, Sendable {
        let title: String
        let description: String?
        let priority: String?
        let serviceId: String?
        let slaGroup: String?
        let assigneeId: String?
        let labels: [String]?
    }

    struct TicketPatchDTO: Codable, Sendable {
        let title: String?
        let description: String?
        let status: String?
        let priority: String?
        let serviceId: String?
        let slaGroup: String?
        let assigneeId: String?
        let labels: [String]?
    }

    struct CreateTicketArguments: Codable, Sendable {
        let input: TicketInputDTO
    }

    struct UpdateTicketArguments: Codable, Sendable {
        let id: String
        let input: TicketPatchDTO
    }

    struct CommentArguments: Codable, Sendable {
        let id: String
        let body: String
    }

    /// The ticket desk after the plugin check every ticket resolver makes (the role is checked by the caller).
    static func desk(_ context: GraphQLContext) throws -> TicketDesk {
        try context.requirePlugin(.ticketing)
        guard let desk = context.backend.tickets else {
            throw ITOpsError(.unavailable, "ticketing is not available on this server")
        }
        return desk
    }

    func tickets(context: GraphQLContext, arguments: TicketsArguments) async throws -> TicketConnectionDTO {
        try context.require(.viewer)
        let desk = try Self.desk(context)
        let first = try Self.limit(arguments.first)
        let filter = try Self.ticketFilter(arguments.filter)
        var before: Int64?
        if let after = arguments.after {
            guard let data = Data(base64Encoded: after), let text = String(data: data, encoding: .utf8),
                let number = Ticket.number(fromKey: text)
            else { throw ITOpsError.invalid("after: not a cursor from this API") }
            before = number
        }
        let page = try await desk.tickets(matching: filter, before: before, limit: first + 1)
        let edges = page.prefix(first).map {
            TicketEdgeDTO(cursor: Data($0.key.utf8).base64EncodedString(), node: TicketDTO($0))
        }
        return TicketConnectionDTO(
            edges: edges, pageInfo: PageInfoDTO(hasNextPage: page.count > first, endCursor: edges.last?.cursor),
            totalCount: try await desk.countTickets(matching: filter))
    }

    func ticket(context: GraphQLContext, arguments: IDArgument) async throws -> TicketDTO? {
        try context.require(.viewer)
        return try await Self.desk(context).ticket(reference: arguments.id).map(TicketDTO.init)
    }

    func createTicket(context: GraphQLContext, arguments: CreateTicketArguments) async throws -> TicketDTO {
        let principal = try context.require(.operator)
        let input = arguments.input
        return TicketDTO(
            try await Self.desk(context).create(
                TicketInput(
                    title: input.title, description: input.description, priority: input.priority,
                    serviceId: input.serviceId, slaGroup: input.slaGroup, assigneeId: input.assigneeId,
                    labels: input.labels),
                by: TicketActor(principal)))
    }

    func updateTicket(context: GraphQLContext, arguments: UpdateTicketArguments) async throws -> TicketDTO {
        let principal = try context.require(.operator)
        let input = arguments.input
        return TicketDTO(
            try await Self.desk(context).update(
                reference: arguments.id,
                TicketPatch(
                    title: input.title, description: input.description, status: input.status,
                    priority: input.priority, serviceId: input.serviceId, slaGroup: input.slaGroup,
                    assigneeId: input.assigneeId, labels: input.labels),
                by: TicketActor(principal)))
    }

    func deleteTicket(context: GraphQLContext, arguments: IDArgument) async throws -> Bool {
        try context.require(.admin)
        return try await Self.desk(context).delete(reference: arguments.id) != nil
    }

    func addTicketComment(context: GraphQLContext, arguments: CommentArguments) async throws -> TicketTimelineEntryDTO
    {
        let principal = try context.require(.operator)
        return TicketTimelineEntryDTO(
            try await Self.desk(context).comment(reference: arguments.id, body: arguments.body, by: TicketActor(principal))
        )
    }

    static func ticketFilter(_ input: TicketFilterInput?) throws -> TicketFilter {
        guard let input else { return TicketFilter() }
        var filter = TicketFilter()
        if let status = input.status {
            guard let value = TicketStatus(rawValue: status) else {
                throw ITOpsError.invalid("filter.status: must be one of \(TicketStatus.allowedSpellings)")
            }
            filter.status = value
        }
        if let priority = input.priority {
            guard let value = TicketPriority(rawValue: priority.uppercased()) else {
                throw ITOpsError.invalid("filter.priority: must be one of \(TicketPriority.allowedSpellings)")
            }
            filter.priority = value
        }
        if let source = input.source {
            guard let value = TicketSource(rawValue: source) else {
                throw ITOpsError.invalid("filter.source: must be one of \(TicketSource.allowedSpellings)")
            }
            filter.source = value
        }
        filter.serviceId = try input.serviceId.map { try uuid($0, field: "filter.serviceId") }
        filter.assigneeId = try input.assigneeId.map { try uuid($0, field: "filter.assigneeId") }
        filter.slaGroup = input.slaGroup
        if let search = input.search {
            guard search.count <= TicketDesk.Limits.search else {
                throw ITOpsError.invalid("filter.search: at most \(TicketDesk.Limits.search) characters")
            }
            filter.search = search
        }
        return filter
    }
}
