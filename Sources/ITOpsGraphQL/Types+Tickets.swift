import Foundation
import Graphiti
import ITOpsCore

extension GraphQLBackend {
    /// The ticketing service; `nil` for backends without one (resolvers then answer a clear error).
    public var tickets: TicketDesk? { nil }
}

/// Who did something to a ticket.
struct TicketActorDTO: Codable, Sendable {
    let kind: String
    let id: String?
    let name: String

    init(_ actor: TicketActor) {
        kind = actor.kind
        id = actor.id?.uuidString.lowercased()
        name = actor.name
    }
}

/// One line of a ticket's timeline.
struct TicketTimelineEntryDTO: Codable, Sendable {
    let id: String
    let at: String
    let actor: TicketActorDTO
    let kind: String
    let field: String?
    let before: String?
    let after: String?
    let body: String?

    init(_ entry: TicketTimelineEntry) {
        id = entry.id.uuidString.lowercased()
        at = entry.at.iso8601
        actor = TicketActorDTO(entry.actor)
        kind = entry.kind.rawValue
        field = entry.field
        before = entry.before
        after = entry.after
        body = entry.body
    }
}

/// A ticket on the wire.
struct TicketDTO: Codable, Sendable {
    let id: String
    let key: String
    let number: Int
    let title: String
    let description: String
    let status: String
    let priority: String
    let serviceId: String?
    let slaGroup: String?
    let assigneeId: String?
    let reporter: TicketActorDTO
    let labels: [String]
    let source: String
    let createdAt: String
    let updatedAt: String
    let acknowledgedAt: String?
    let resolvedAt: String?

    init(_ ticket: Ticket) {
        id = ticket.id.uuidString.lowercased()
        key = ticket.key
        number = Int(ticket.number)
        title = ticket.title
        description = ticket.description
        status = ticket.status.rawValue
        priority = ticket.priority.rawValue
        serviceId = ticket.serviceId?.uuidString.lowercased()
        slaGroup = ticket.slaGroup
        assigneeId = ticket.assigneeId?.uuidString.lowercased()
        reporter = TicketActorDTO(ticket.reporter)
        labels = ticket.labels
        source = ticket.source.rawValue
        createdAt = ticket.createdAt.iso8601
        updatedAt = ticket.updatedAt.iso8601
        acknowledgedAt = ticket.acknowledgedAt?.iso8601
        resolvedAt = ticket.resolvedAt?.iso8601
    }

    /// Every change, oldest first.
    func timeline(context: GraphQLContext, arguments: NoArguments) async throws -> [TicketTimelineEntryDTO] {
        let desk = try Resolver.desk(context)
        guard let id = UUID(uuidString: id) else { return [] }
        return try await desk.timeline(ticketId: id).map(TicketTimelineEntryDTO.init)
    }

    /// The comments of the timeline, oldest first.
    func comments(context: GraphQLContext, arguments: NoArguments) async throws -> [TicketTimelineEntryDTO] {
        try await timeline(context: context, arguments: arguments).filter { $0.kind == "comment" }
    }

    /// The assigned user's email, when the viewer may see it.
    func assigneeEmail(context: GraphQLContext, arguments: NoArguments) async throws -> String? {
        guard let text = assigneeId, let id = UUID(uuidString: text) else { return nil }
        return try await context.backend.reader.user(id: id)?.email
    }
}

struct TicketEdgeDTO: Codable, Sendable {
    let cursor: String
    let node: TicketDTO
}

struct TicketConnectionDTO: Codable, Sendable {
    let edges: [TicketEdgeDTO]
    let pageInfo: PageInfoDTO
    let totalCount: Int
}
