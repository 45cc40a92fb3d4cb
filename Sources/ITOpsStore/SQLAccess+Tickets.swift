import Foundation
import ITOpsCore
import SQLKit

// Tickets and their timeline (migration 6), over portable SQL.

struct TicketRecord: Codable, Sendable {
    var id: String
    var number: Int64
    var title: String
    var description: String
    var status: String
    var priority: String
    var serviceId: String?
    var slaGroup: String?
    var assigneeId: String?
    var reporterKind: String
    var reporterId: String?
    var reporterName: String
    var labels: String
    var source: String
    var dedupeKey: String?
    var createdAt: Int64
    var updatedAt: Int64
    var acknowledgedAt: Int64?
    var resolvedAt: Int64?

    init(_ ticket: Ticket) {
        id = ticket.id.stored
        number = ticket.number
        title = ticket.title
        description = ticket.description
        status = ticket.status.rawValue
        priority = ticket.priority.rawValue
        serviceId = ticket.serviceId?.stored
        slaGroup = ticket.slaGroup
        assigneeId = ticket.assigneeId?.stored
        reporterKind = ticket.reporter.kind
        reporterId = ticket.reporter.id?.stored
        reporterName = ticket.reporter.name
        labels = OutboundJSON.encode(ticket.labels)
        source = ticket.source.rawValue
        dedupeKey = ticket.dedupeKey
        createdAt = ticket.createdAt.epochMilliseconds
        updatedAt = ticket.updatedAt.epochMilliseconds
        acknowledgedAt = ticket.acknowledgedAt?.epochMilliseconds
        resolvedAt = ticket.resolvedAt?.epochMilliseconds
    }

    func domain() throws -> Ticket {
        guard let status = TicketStatus(rawValue: status), let priority = TicketPriority(rawValue: priority),
            let source = TicketSource(rawValue: source)
        else { throw ITOpsError(.internal, "stored ticket \(id) has an unknown status, priority or source") }
        return Ticket(
            id: try OutboundJSON.uuid(id), number: number, title: title, description: description, status: status,
            priority: priority, serviceId: try serviceId.map(OutboundJSON.uuid), slaGroup: slaGroup,
            assigneeId: try assigneeId.map(OutboundJSON.uuid),
            reporter: TicketActor(kind: reporterKind, id: try reporterId.map(OutboundJSON.uuid), name: reporterName),
            labels: try OutboundJSON.decode([String].self, labels), source: source, dedupeKey: dedupeKey,
            createdAt: Date(epochMilliseconds: createdAt), updatedAt: Date(epochMilliseconds: updatedAt),
            acknowledgedAt: acknowledgedAt.map(Date.init(epochMilliseconds:)),
            resolvedAt: resolvedAt.map(Date.init(epochMilliseconds:)))
    }
}

struct TicketTimelineRecord: Codable, Sendable {
    var id: String
    var ticketId: String
    var position: Int
    var at: Int64
    var actorKind: String
    var actorId: String?
    var actorName: String
    var kind: String
    var field: String?
    var beforeValue: String?
    var afterValue: String?
    var body: String?

    init(_ entry: TicketTimelineEntry, position: Int) {
        self.position = position
        id = entry.id.stored
        ticketId = entry.ticketId.stored
        at = entry.at.epochMilliseconds
        actorKind = entry.actor.kind
        actorId = entry.actor.id?.stored
        actorName = entry.actor.name
        kind = entry.kind.rawValue
        field = entry.field
        beforeValue = entry.before
        afterValue = entry.after
        body = entry.body
    }

    func domain() throws -> TicketTimelineEntry {
        guard let kind = TicketTimelineEntry.Kind(rawValue: kind) else {
            throw ITOpsError(.internal, "stored timeline entry \(id) has an unknown kind")
        }
        return TicketTimelineEntry(
            id: try OutboundJSON.uuid(id), ticketId: try OutboundJSON.uuid(ticketId),
            at: Date(epochMilliseconds: at),
            actor: TicketActor(kind: actorKind, id: try actorId.map(OutboundJSON.uuid), name: actorName), kind: kind,
            field: field, before: beforeValue, after: afterValue, body: body)
    }
}

extension SQLAccess: TicketWriter {
    private func ticketWhere(_ filter: TicketFilter) -> SQLQueryString {
        var sql: SQLQueryString = "1 = 1"
        if let status = filter.status { sql = sql + " AND status = \(bind: status.rawValue)" }
        if let priority = filter.priority { sql = sql + " AND priority = \(bind: priority.rawValue)" }
        if let service = filter.serviceId { sql = sql + " AND service_id = \(bind: service.stored)" }
        if let group = filter.slaGroup { sql = sql + " AND sla_group = \(bind: group)" }
        if let assignee = filter.assigneeId { sql = sql + " AND assignee_id = \(bind: assignee.stored)" }
        if let source = filter.source { sql = sql + " AND source = \(bind: source.rawValue)" }
        if let search = filter.search?.lowercased(), !search.isEmpty {
            let pattern = "%" + Self.escapeLike(search) + "%"
            if let number = Ticket.number(fromKey: search) {
                sql = sql + " AND (number = \(bind: number) OR LOWER(title) LIKE \(bind: pattern) ESCAPE '\\')"
            } else {
                sql = sql + " AND LOWER(title) LIKE \(bind: pattern) ESCAPE '\\'"
            }
        }
        return sql
    }

    func ticket(id: UUID) async throws -> Ticket? {
        try await first("SELECT * FROM tickets WHERE id = \(bind: id.stored)", as: TicketRecord.self)?.domain()
    }

    func ticket(number: Int64) async throws -> Ticket? {
        try await first("SELECT * FROM tickets WHERE number = \(bind: number)", as: TicketRecord.self)?.domain()
    }

    func openTicket(dedupeKey: String) async throws -> Ticket? {
        try await first(
            "SELECT * FROM tickets WHERE dedupe_key = \(bind: dedupeKey) AND status IN ('open', 'acknowledged', 'in_progress')",
            as: TicketRecord.self)?.domain()
    }

    func tickets(matching filter: TicketFilter, before: Int64?, limit: Int) async throws -> [Ticket] {
        var sql: SQLQueryString = "SELECT * FROM tickets WHERE " + ticketWhere(filter)
        if let before { sql = sql + " AND number < \(bind: before)" }
        sql = sql + " ORDER BY number DESC LIMIT \(literal: max(0, limit))"
        return try await all(sql, as: TicketRecord.self).map { try $0.domain() }
    }

    func countTickets(matching filter: TicketFilter) async throws -> Int {
        let row = try await db.raw("SELECT COUNT(*) AS n FROM tickets WHERE " + ticketWhere(filter)).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    func timeline(ticketId: UUID) async throws -> [TicketTimelineEntry] {
        try await all(
            "SELECT * FROM ticket_timeline WHERE ticket_id = \(bind: ticketId.stored) ORDER BY position",
            as: TicketTimelineRecord.self
        ).map { try $0.domain() }
    }

    func nextTicketNumber() async throws -> Int64 {
        try await db.raw("UPDATE ticket_counter SET value = value + 1 WHERE name = 'ticket'").run()
        let row = try await db.raw("SELECT value FROM ticket_counter WHERE name = 'ticket'").first()
        guard let value = try row?.decode(column: "value", as: Int64.self) else {
            throw ITOpsError(.internal, "the ticket counter is missing")
        }
        return value
    }

    func insert(_ ticket: Ticket) async throws { try await insertRow("tickets", TicketRecord(ticket)) }

    func update(_ ticket: Ticket) async throws { try await updateRow("tickets", id: ticket.id.stored, TicketRecord(ticket)) }

    func deleteTicket(id: UUID) async throws {
        try await db.raw("DELETE FROM ticket_timeline WHERE ticket_id = \(bind: id.stored)").run()
        try await db.raw("DELETE FROM tickets WHERE id = \(bind: id.stored)").run()
    }

    func insert(_ entry: TicketTimelineEntry) async throws {
        // Writes are serialised: the next position cannot be taken by another writer meanwhile.
        let row = try await db.raw(
            "SELECT COALESCE(MAX(position), 0) AS last FROM ticket_timeline WHERE ticket_id = \(bind: entry.ticketId.stored)"
        ).first()
        let last = try row?.decode(column: "last", as: Int.self) ?? 0
        try await insertRow("ticket_timeline", TicketTimelineRecord(entry, position: last + 1))
    }
}
