import Foundation

// Tickets (plugin `ticketing`, issue 13): the domain types, the rules of their life cycle and the
// storage ports. The SQL store implements the ports; `TicketDesk` is the service that uses them.

/// Where a ticket stands.
public enum TicketStatus: String, Vocabulary {
    case open
    case acknowledged
    case inProgress = "in_progress"
    case resolved
    case closed
    public static let vocabularyName = "status"

    /// Whether the ticket still needs work (automatic tickets deduplicate against these).
    public var isOpen: Bool { self != .resolved && self != .closed }

    /// The statuses a ticket may move to from this one. `closed` is final; a resolved ticket may
    /// be reopened (to `open` or `in_progress`).
    public var allowedNext: [TicketStatus] {
        switch self {
        case .open: [.acknowledged, .inProgress, .resolved, .closed]
        case .acknowledged: [.open, .inProgress, .resolved, .closed]
        case .inProgress: [.acknowledged, .resolved, .closed]
        case .resolved: [.open, .inProgress, .closed]
        case .closed: []
        }
    }
}

/// How urgent a ticket is, P1 (most) to P4.
public enum TicketPriority: String, Vocabulary {
    case p1 = "P1", p2 = "P2", p3 = "P3", p4 = "P4"
    public static let vocabularyName = "priority"
}

/// What made a ticket.
public enum TicketSource: String, Vocabulary {
    case manual, incident
    case slaBreach = "sla_breach"
    case burnRate = "burn_rate"
    case backupOverdue = "backup_overdue"
    case storage, workflow
    public static let vocabularyName = "source"
}

/// Who did something to a ticket: a user, an API key, or ITOps itself (automatic tickets, workflows).
public struct TicketActor: Sendable, Equatable, Codable {
    /// `user`, `apikey` or `system`.
    public var kind: String
    public var id: UUID?
    /// The email, the key's name, or what in ITOps acted (`automatic`, `workflow <name>`).
    public var name: String

    public init(kind: String, id: UUID?, name: String) {
        self.kind = kind
        self.id = id
        self.name = name
    }

    /// The principal making a request.
    public init(_ principal: Principal) {
        switch principal.kind {
        case .user(let id, let email): self.init(kind: "user", id: id, name: email)
        case .apiKey(let id, let name): self.init(kind: "apikey", id: id, name: name)
        }
    }

    /// ITOps itself, naming what acted.
    public static func system(_ name: String) -> TicketActor { TicketActor(kind: "system", id: nil, name: name) }
}

/// A ticket.
public struct Ticket: Sendable, Equatable, Identifiable {
    /// The prefix of human keys: `ITOPS-42`.
    public static let keyPrefix = "ITOPS-"

    public var id: UUID
    /// Sequential without gaps, across instances: `ITOPS-<number>`.
    public var number: Int64
    public var title: String
    public var description: String
    public var status: TicketStatus
    public var priority: TicketPriority
    public var serviceId: UUID?
    public var slaGroup: String?
    public var assigneeId: UUID?
    public var reporter: TicketActor
    public var labels: [String]
    public var source: TicketSource
    /// For automatic tickets: the cause (`<kind>:<service id>`); at most one open ticket per cause.
    public var dedupeKey: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var acknowledgedAt: Date?
    public var resolvedAt: Date?

    /// `ITOPS-<number>`.
    public var key: String { Self.keyPrefix + String(number) }

    public init(
        id: UUID = UUID.random(), number: Int64, title: String, description: String, status: TicketStatus,
        priority: TicketPriority, serviceId: UUID?, slaGroup: String?, assigneeId: UUID?, reporter: TicketActor,
        labels: [String], source: TicketSource, dedupeKey: String?, createdAt: Date, updatedAt: Date,
        acknowledgedAt: Date? = nil, resolvedAt: Date? = nil
    ) {
        self.id = id
        self.number = number
        self.title = title
        self.description = description
        self.status = status
        self.priority = priority
        self.serviceId = serviceId
        self.slaGroup = slaGroup
        self.assigneeId = assigneeId
        self.reporter = reporter
        self.labels = labels
        self.source = source
        self.dedupeKey = dedupeKey
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.acknowledgedAt = acknowledgedAt
        self.resolvedAt = resolvedAt
    }

    /// The number in a key like `ITOPS-42` (case-insensitive), `nil` for anything else.
    public static func number(fromKey text: String) -> Int64? {
        guard text.uppercased().hasPrefix(keyPrefix), let number = Int64(text.dropFirst(keyPrefix.count)),
            number > 0
        else { return nil }
        return number
    }
}

/// One line of a ticket's timeline: a creation, a change of one field (before → after), a comment,
/// a reopening, an exclusion window that names the ticket.
public struct TicketTimelineEntry: Sendable, Equatable, Identifiable {
    /// What happened.
    public enum Kind: String, Vocabulary {
        case created, changed, comment, reopened
        case exclusionWindow = "exclusion_window"
        public static let vocabularyName = "kind"
    }

    public var id: UUID
    public var ticketId: UUID
    public var at: Date
    public var actor: TicketActor
    public var kind: Kind
    /// The field changed (`changed`, `reopened`).
    public var field: String?
    public var before: String?
    public var after: String?
    /// A comment's text, or a note.
    public var body: String?

    public init(
        id: UUID = UUID.random(), ticketId: UUID, at: Date, actor: TicketActor, kind: Kind, field: String? = nil,
        before: String? = nil, after: String? = nil, body: String? = nil
    ) {
        self.id = id
        self.ticketId = ticketId
        self.at = at
        self.actor = actor
        self.kind = kind
        self.field = field
        self.before = before
        self.after = after
        self.body = body
    }
}

/// Which tickets a listing wants.
public struct TicketFilter: Sendable, Equatable {
    public var status: TicketStatus?
    public var priority: TicketPriority?
    public var serviceId: UUID?
    public var slaGroup: String?
    public var assigneeId: UUID?
    public var source: TicketSource?
    /// Case-insensitive substring of the title, or a key (`ITOPS-42`).
    public var search: String?

    public init(
        status: TicketStatus? = nil, priority: TicketPriority? = nil, serviceId: UUID? = nil, slaGroup: String? = nil,
        assigneeId: UUID? = nil, source: TicketSource? = nil, search: String? = nil
    ) {
        self.status = status
        self.priority = priority
        self.serviceId = serviceId
        self.slaGroup = slaGroup
        self.assigneeId = assigneeId
        self.source = source
        self.search = search
    }
}

/// A new ticket, as `createTicket(input:)` sends it (validated by `TicketDesk`).
public struct TicketInput: Sendable, Equatable {
    public var title: String
    public var description: String?
    public var priority: String?
    public var serviceId: String?
    public var slaGroup: String?
    public var assigneeId: String?
    public var labels: [String]?

    public init(
        title: String, description: String? = nil, priority: String? = nil, serviceId: String? = nil,
        slaGroup: String? = nil, assigneeId: String? = nil, labels: [String]? = nil
    ) {
        self.title = title
        self.description = description
        self.priority = priority
        self.serviceId = serviceId
        self.slaGroup = slaGroup
        self.assigneeId = assigneeId
        self.labels = labels
    }
}

/// Changes to a ticket (`updateTicket(id:, input:)`): absent fields keep their value.
public struct TicketPatch: Sendable, Equatable {
    public var title: String?
    public var description: String?
    public var status: String?
    public var priority: String?
    public var serviceId: String?
    public var slaGroup: String?
    public var assigneeId: String?
    public var labels: [String]?

    public init(
        title: String? = nil, description: String? = nil, status: String? = nil, priority: String? = nil,
        serviceId: String? = nil, slaGroup: String? = nil, assigneeId: String? = nil, labels: [String]? = nil
    ) {
        self.title = title
        self.description = description
        self.status = status
        self.priority = priority
        self.serviceId = serviceId
        self.slaGroup = slaGroup
        self.assigneeId = assigneeId
        self.labels = labels
    }
}

/// A cause of an automatic ticket: what happened to which service.
public struct TicketCause: Sendable, Equatable {
    public var source: TicketSource
    public var serviceId: UUID?
    /// The SLA group, for causes about a group (burn rate, breach).
    public var slaGroup: String?
    public var title: String
    public var detail: String
    public var priority: TicketPriority
    /// Narrows the cause beyond (kind, service or group), e.g. a workflow and its rendered title.
    public var scope: String?

    public init(
        source: TicketSource, serviceId: UUID?, slaGroup: String? = nil, title: String, detail: String,
        priority: TicketPriority, scope: String? = nil
    ) {
        self.scope = scope
        self.source = source
        self.serviceId = serviceId
        self.slaGroup = slaGroup
        self.title = title
        self.detail = detail
        self.priority = priority
    }

    /// One open ticket per (cause kind, service or group).
    public var dedupeKey: String {
        "\(source.rawValue):" + (serviceId?.stored ?? "group:" + (slaGroup ?? "-"))
            + (scope.map { ":" + $0 } ?? "")
    }
}

// MARK: - Storage ports

/// Read access to tickets. The SQL store implements it; reach it with ``StoreReader/ticketReader()``.
public protocol TicketReader: Sendable {
    func ticket(id: UUID) async throws -> Ticket?
    func ticket(number: Int64) async throws -> Ticket?
    /// The open ticket of an automatic cause, if any.
    func openTicket(dedupeKey: String) async throws -> Ticket?
    /// Newest first (by number), numbers below `before` when given, at most `limit`.
    func tickets(matching filter: TicketFilter, before: Int64?, limit: Int) async throws -> [Ticket]
    func countTickets(matching filter: TicketFilter) async throws -> Int
    /// Oldest first.
    func timeline(ticketId: UUID) async throws -> [TicketTimelineEntry]
}

/// Write access to tickets, inside a store transaction: ``StoreWriter/ticketWriter()``.
public protocol TicketWriter: TicketReader {
    /// The next ticket number. Call it inside the write that inserts the ticket: writes are serialised
    /// (across instances too) and a rolled-back write gives its number back, so numbers have no gaps.
    func nextTicketNumber() async throws -> Int64
    func insert(_ ticket: Ticket) async throws
    func update(_ ticket: Ticket) async throws
    /// Deletes the ticket and its timeline.
    func deleteTicket(id: UUID) async throws
    func insert(_ entry: TicketTimelineEntry) async throws
}

extension StoreReader {
    /// The tickets of this store (a cast, as for the outbound records, so the store protocols stay as they are).
    public func ticketReader() throws -> any TicketReader {
        guard let records = self as? any TicketReader else {
            throw ITOpsError(.internal, "this store keeps no tickets")
        }
        return records
    }
}

extension StoreWriter {
    /// The tickets, inside this transaction.
    public func ticketWriter() throws -> any TicketWriter {
        guard let records = self as? any TicketWriter else {
            throw ITOpsError(.internal, "this store keeps no tickets")
        }
        return records
    }
}
