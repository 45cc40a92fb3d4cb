import Foundation

/// The ticketing plugin's service: validation, the life cycle, the timeline, automatic tickets and the
/// `ticket:*` events. Every change is one store write; events go out after it committed.
///
/// Callers check the role and the license (`ticketing`) first; automatic tickets check the license
/// through `gate` themselves, so without the plugin none are made.
public final class TicketDesk: Sendable {
    /// Limits of what a ticket may hold.
    public enum Limits {
        public static let title = 256
        public static let description = 65_536
        public static let comment = 16_384
        public static let labels = 20
        public static let label = 64
        public static let search = 128
    }

    let store: any Store
    let events: any EventBus
    let clock: any WallClock
    let gate: any PluginGate

    public init(store: any Store, events: any EventBus, clock: any WallClock, gate: any PluginGate) {
        self.store = store
        self.events = events
        self.clock = clock
        self.gate = gate
    }

    // MARK: Reading

    /// A ticket by id or by key (`ITOPS-42`); `nil` when there is none. Anything else is `invalid`.
    public func ticket(reference: String) async throws -> Ticket? {
        let reader = try store.reader.ticketReader()
        if let number = Ticket.number(fromKey: reference) { return try await reader.ticket(number: number) }
        guard let id = UUID(uuidString: reference) else {
            throw ITOpsError.invalid("id: '\(reference.prefix(64))' is neither a ticket id nor a key like ITOPS-42")
        }
        return try await reader.ticket(id: id)
    }

    /// Newest first, keyset-paginated by number.
    public func tickets(matching filter: TicketFilter, before: Int64?, limit: Int) async throws -> [Ticket] {
        try await store.reader.ticketReader().tickets(matching: filter, before: before, limit: limit)
    }

    public func countTickets(matching filter: TicketFilter) async throws -> Int {
        try await store.reader.ticketReader().countTickets(matching: filter)
    }

    /// Oldest first.
    public func timeline(ticketId: UUID) async throws -> [TicketTimelineEntry] {
        try await store.reader.ticketReader().timeline(ticketId: ticketId)
    }

    // MARK: Changing

    /// Validates `input` and creates a ticket (`open`, source `manual`).
    public func create(_ input: TicketInput, by actor: TicketActor) async throws -> Ticket {
        let title = try Self.title(input.title, field: "input.title")
        let description = try Self.description(input.description ?? "", field: "input.description")
        let priority = try input.priority.map { try Self.priority($0, field: "input.priority") } ?? .p3
        let labels = try Self.labels(input.labels ?? [], field: "input.labels")
        let serviceId = try input.serviceId.map { try Self.uuid($0, field: "input.serviceId") }
        let assigneeId = try input.assigneeId.map { try Self.uuid($0, field: "input.assigneeId") }
        let slaGroup = input.slaGroup
        let now = clock.now()
        let ticket = try await store.write { writer -> Ticket in
            try await Self.checkReferences(
                writer, serviceId: serviceId, slaGroup: slaGroup, assigneeId: assigneeId, prefix: "input")
            return try await Self.insertNew(
                writer,
                Ticket(
                    number: 0, title: title, description: description, status: .open, priority: priority,
                    serviceId: serviceId, slaGroup: slaGroup, assigneeId: assigneeId, reporter: actor, labels: labels,
                    source: .manual, dedupeKey: nil, createdAt: now, updatedAt: now))
        }
        events.publish([.ticketCreated(Self.event(ticket))])
        return ticket
    }

    /// Applies `patch` (validated; status transitions checked) and records each change in the timeline.
    public func update(reference: String, _ patch: TicketPatch, by actor: TicketActor) async throws -> Ticket {
        let title = try patch.title.map { try Self.title($0, field: "input.title") }
        let description = try patch.description.map { try Self.description($0, field: "input.description") }
        let status = try patch.status.map { try Self.status($0, field: "input.status") }
        let priority = try patch.priority.map { try Self.priority($0, field: "input.priority") }
        let labels = try patch.labels.map { try Self.labels($0, field: "input.labels") }
        // An empty string clears the service, the group or the assignee.
        let serviceId = try patch.serviceId.map { $0.isEmpty ? nil : try Self.uuid($0, field: "input.serviceId") }
        let assigneeId = try patch.assigneeId.map { $0.isEmpty ? nil : try Self.uuid($0, field: "input.assigneeId") }
        let slaGroup = patch.slaGroup.map { $0.isEmpty ? nil : $0 }
        let existing = try await require(reference)
        let now = clock.now()
        let changed = try await store.write { writer -> Ticket in
            let tickets = try writer.ticketWriter()
            guard var ticket = try await tickets.ticket(id: existing.id) else { throw Self.notFound(reference) }
            guard ticket.status != .closed else {
                throw ITOpsError.invalid("input: \(ticket.key) is closed; a closed ticket is final")
            }
            try await Self.checkReferences(
                writer, serviceId: serviceId ?? nil, slaGroup: slaGroup ?? nil, assigneeId: assigneeId ?? nil,
                prefix: "input")
            var entries: [TicketTimelineEntry] = []
            func record<V: Equatable>(_ field: String, _ path: WritableKeyPath<Ticket, V>, _ value: V?, _ text: (V) -> String?) {
                guard let value, ticket[keyPath: path] != value else { return }
                entries.append(
                    TicketTimelineEntry(
                        ticketId: ticket.id, at: now, actor: actor, kind: .changed, field: field,
                        before: text(ticket[keyPath: path]), after: text(value)))
                ticket[keyPath: path] = value
            }
            record("title", \.title, title) { $0 }
            record("description", \.description, description) { "\($0.count) characters" }
            record("priority", \.priority, priority) { $0.rawValue }
            record("labels", \.labels, labels) { $0.joined(separator: ", ") }
            record("serviceId", \.serviceId, serviceId) { $0?.stored }
            record("slaGroup", \.slaGroup, slaGroup) { $0 }
            record("assigneeId", \.assigneeId, assigneeId) { $0?.stored }
            if let status, status != ticket.status {
                guard ticket.status.allowedNext.contains(status) else {
                    throw ITOpsError.invalid(
                        "input.status: \(ticket.key) cannot go from \(ticket.status.rawValue) to \(status.rawValue) (allowed: \(ticket.status.allowedNext.map(\.rawValue).joined(separator: "|")))"
                    )
                }
                let reopened = ticket.status == .resolved && status.isOpen
                entries.append(
                    TicketTimelineEntry(
                        ticketId: ticket.id, at: now, actor: actor, kind: reopened ? .reopened : .changed,
                        field: "status", before: ticket.status.rawValue, after: status.rawValue))
                Self.move(&ticket, to: status, at: now)
            }
            guard !entries.isEmpty else { return ticket }
            ticket.updatedAt = now
            try await tickets.update(ticket)
            for entry in entries { try await tickets.insert(entry) }
            return ticket
        }
        if changed.updatedAt == now { events.publish([.ticketUpdated(Self.event(changed))]) }
        return changed
    }

    /// Deletes a ticket and its timeline; `false` when there was none.
    public func delete(reference: String) async throws -> Ticket? {
        guard let existing = try await ticket(reference: reference) else { return nil }
        let deleted = try await store.write { writer -> Ticket? in
            let tickets = try writer.ticketWriter()
            guard let ticket = try await tickets.ticket(id: existing.id) else { return nil }
            try await tickets.deleteTicket(id: ticket.id)
            return ticket
        }
        if let deleted {
            var event = Self.event(deleted)
            event.at = clock.now()
            events.publish([.ticketDeleted(event)])
        }
        return deleted
    }

    /// Adds a comment to the timeline (closed tickets included: a comment changes nothing).
    public func comment(reference: String, body: String, by actor: TicketActor) async throws -> TicketTimelineEntry {
        let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, body.count <= Limits.comment else {
            throw ITOpsError.invalid("body: must be 1–\(Limits.comment) characters")
        }
        let existing = try await require(reference)
        let now = clock.now()
        let (ticket, entry) = try await store.write { writer -> (Ticket, TicketTimelineEntry) in
            let tickets = try writer.ticketWriter()
            guard var ticket = try await tickets.ticket(id: existing.id) else { throw Self.notFound(reference) }
            let entry = TicketTimelineEntry(ticketId: ticket.id, at: now, actor: actor, kind: .comment, body: body)
            try await tickets.insert(entry)
            ticket.updatedAt = now
            try await tickets.update(ticket)
            return (ticket, entry)
        }
        events.publish([.ticketUpdated(Self.event(ticket))])
        return entry
    }

    // MARK: Automatic tickets

    /// Opens a ticket for `cause` unless one is open for the same cause; then the repeat becomes a comment.
    /// Returns `nil` without the ticketing plugin. Safe to call from every instance for the same event:
    /// writes are serialised across instances and a partial unique index allows one open ticket per cause.
    @discardableResult
    public func raise(_ cause: TicketCause, by actor: TicketActor = .system("automatic")) async throws
        -> (ticket: Ticket, created: Bool)?
    {
        guard gate.isEnabled(.ticketing) else { return nil }
        let now = clock.now()
        let key = cause.dedupeKey
        let body: @Sendable (any StoreWriter) async throws -> (Ticket, Bool) = { writer in
            let tickets = try writer.ticketWriter()
            if var open = try await tickets.openTicket(dedupeKey: key) {
                try await tickets.insert(
                    TicketTimelineEntry(
                        ticketId: open.id, at: now, actor: actor, kind: .comment, body: "Again: \(cause.detail)"))
                open.updatedAt = now
                try await tickets.update(open)
                return (open, false)
            }
            var slaGroup = cause.slaGroup
            if slaGroup == nil, let service = cause.serviceId { slaGroup = try await writer.service(id: service)?.slaGroup }
            let ticket = try await Self.insertNew(
                writer,
                Ticket(
                    number: 0, title: String(cause.title.prefix(Limits.title)),
                    description: String(cause.detail.prefix(Limits.description)), status: .open,
                    priority: cause.priority, serviceId: cause.serviceId, slaGroup: slaGroup, assigneeId: nil,
                    reporter: actor, labels: ["automatic"], source: cause.source, dedupeKey: key, createdAt: now,
                    updatedAt: now))
            return (ticket, true)
        }
        let outcome: (Ticket, Bool)
        do {
            outcome = try await store.write(body)
        } catch let error as ITOpsError where error.code == .unavailable {
            throw error
        } catch {
            // Another writer opened the cause's ticket first (the unique index refused ours): comment on it.
            outcome = try await store.write(body)
        }
        let event: DomainEvent = outcome.1 ? .ticketCreated(Self.event(outcome.0)) : .ticketUpdated(Self.event(outcome.0))
        events.publish([event])
        return outcome
    }

    /// The cause cleared: comments on its open ticket and, when `resolve`, resolves it. `nil` when none is open.
    @discardableResult
    public func clear(
        _ source: TicketSource, serviceId: UUID?, slaGroup: String? = nil, note: String, resolve: Bool
    ) async throws -> Ticket? {
        guard gate.isEnabled(.ticketing) else { return nil }
        let key = TicketCause(
            source: source, serviceId: serviceId, slaGroup: slaGroup, title: "", detail: "", priority: .p4
        ).dedupeKey
        let now = clock.now()
        let actor = TicketActor.system("automatic")
        let cleared = try await store.write { writer -> Ticket? in
            let tickets = try writer.ticketWriter()
            guard var ticket = try await tickets.openTicket(dedupeKey: key) else { return nil }
            try await tickets.insert(
                TicketTimelineEntry(ticketId: ticket.id, at: now, actor: actor, kind: .comment, body: note))
            if resolve {
                try await tickets.insert(
                    TicketTimelineEntry(
                        ticketId: ticket.id, at: now, actor: actor, kind: .changed, field: "status",
                        before: ticket.status.rawValue, after: TicketStatus.resolved.rawValue))
                Self.move(&ticket, to: .resolved, at: now)
            }
            ticket.updatedAt = now
            try await tickets.update(ticket)
            return ticket
        }
        if let cleared { events.publish([.ticketUpdated(Self.event(cleared))]) }
        return cleared
    }

    // MARK: Helpers

    private func require(_ reference: String) async throws -> Ticket {
        guard let ticket = try await ticket(reference: reference) else { throw Self.notFound(reference) }
        return ticket
    }

    static func notFound(_ reference: String) -> ITOpsError {
        ITOpsError.notFound("id: no ticket '\(reference.prefix(64))'")
    }

    /// Allocates the number and inserts the ticket with its `created` timeline entry (inside `writer`'s transaction).
    static func insertNew(_ writer: any StoreWriter, _ draft: Ticket) async throws -> Ticket {
        let tickets = try writer.ticketWriter()
        var ticket = draft
        ticket.number = try await tickets.nextTicketNumber()
        try await tickets.insert(ticket)
        try await tickets.insert(
            TicketTimelineEntry(
                ticketId: ticket.id, at: ticket.createdAt, actor: ticket.reporter, kind: .created,
                after: ticket.status.rawValue, body: ticket.source == .manual ? nil : "source: \(ticket.source.rawValue)"))
        return ticket
    }

    static func move(_ ticket: inout Ticket, to status: TicketStatus, at now: Date) {
        switch status {
        case .acknowledged, .inProgress:
            if ticket.acknowledgedAt == nil { ticket.acknowledgedAt = now }
            ticket.resolvedAt = nil
        case .resolved, .closed:
            if ticket.resolvedAt == nil || ticket.status.isOpen { ticket.resolvedAt = now }
        case .open:
            ticket.resolvedAt = nil
        }
        ticket.status = status
    }

    static func checkReferences(
        _ writer: any StoreWriter, serviceId: UUID?, slaGroup: String?, assigneeId: UUID?, prefix: String
    ) async throws {
        if let serviceId, try await writer.service(id: serviceId) == nil {
            throw ITOpsError.invalid("\(prefix).serviceId: no service \(serviceId.stored)")
        }
        if let slaGroup, try await writer.slaGroup(name: slaGroup) == nil {
            throw ITOpsError.invalid("\(prefix).slaGroup: no SLA group '\(slaGroup.prefix(64))'")
        }
        if let assigneeId, try await writer.user(id: assigneeId) == nil {
            throw ITOpsError.invalid("\(prefix).assigneeId: no user \(assigneeId.stored)")
        }
    }

    static func event(_ ticket: Ticket) -> TicketEvent {
        TicketEvent(
            ticketId: ticket.id, title: ticket.title, status: ticket.status.rawValue, serviceId: ticket.serviceId,
            at: ticket.updatedAt)
    }

    static func title(_ text: String, field: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, text.count <= Limits.title, !text.contains(where: \.isNewline) else {
            throw ITOpsError.invalid("\(field): must be 1–\(Limits.title) characters on one line")
        }
        return trimmed
    }

    static func description(_ text: String, field: String) throws -> String {
        guard text.utf8.count <= Limits.description else {
            throw ITOpsError.invalid("\(field): at most \(Limits.description / 1024) KiB")
        }
        return text
    }

    static func status(_ text: String, field: String) throws -> TicketStatus {
        guard let value = TicketStatus(rawValue: text) else {
            throw ITOpsError.invalid("\(field): must be one of \(TicketStatus.allowedSpellings), not '\(text.prefix(32))'")
        }
        return value
    }

    static func priority(_ text: String, field: String) throws -> TicketPriority {
        guard let value = TicketPriority(rawValue: text.uppercased()) else {
            throw ITOpsError.invalid(
                "\(field): must be one of \(TicketPriority.allowedSpellings), not '\(text.prefix(32))'")
        }
        return value
    }

    static func labels(_ labels: [String], field: String) throws -> [String] {
        guard labels.count <= Limits.labels else { throw ITOpsError.invalid("\(field): at most \(Limits.labels) labels") }
        var seen = Set<String>()
        for (index, label) in labels.enumerated() {
            guard !label.isEmpty, label.count <= Limits.label, !label.contains(where: { $0.isNewline || $0 == "," })
            else {
                throw ITOpsError.invalid("\(field)[\(index)]: must be 1–\(Limits.label) characters, no comma")
            }
        }
        return labels.filter { seen.insert($0).inserted }
    }

    static func uuid(_ text: String, field: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else {
            throw ITOpsError.invalid("\(field): '\(text.prefix(64))' is not a UUID")
        }
        return id
    }
}

extension TicketDesk {
    /// The ticket an exclusion window names (`ticketId`: id or key), checked before the window opens:
    /// `PLUGIN_NOT_LICENSED` without ticketing, `invalid` naming the field when there is no such ticket.
    public func changeTicket(_ reference: String) async throws -> Ticket {
        try gate.require(.ticketing)
        guard let ticket = try? await ticket(reference: reference) else {
            throw ITOpsError.invalid("ticketId: no ticket '\(reference.prefix(64))'")
        }
        return ticket
    }

    /// Records in `ticket`'s timeline that `window` was opened for it.
    public func noteExclusionWindow(_ window: ExclusionWindow, service: String, on ticket: Ticket, by actor: TicketActor)
        async throws
    {
        let now = clock.now()
        var text = "Exclusion window \(window.id.stored) on \(service) from \(window.startedAt.iso8601)"
        if let end = window.expectedEndAt { text += " until \(end.iso8601)" }
        if let reason = window.reason, !reason.isEmpty { text += ": \(reason)" }
        let body = text
        let updated = try await store.write { writer -> Ticket? in
            let tickets = try writer.ticketWriter()
            guard var current = try await tickets.ticket(id: ticket.id) else { return nil }
            try await tickets.insert(
                TicketTimelineEntry(
                    ticketId: current.id, at: now, actor: actor, kind: .exclusionWindow, field: "exclusionWindow",
                    after: window.id.stored, body: body))
            current.updatedAt = now
            try await tickets.update(current)
            return current
        }
        if let updated { events.publish([.ticketUpdated(Self.event(updated))]) }
    }
}
