import Foundation
import Synchronization

/// Something that happened, published after its transaction committed.
public enum DomainEvent: Sendable, Equatable {
    case serviceStatusChanged(ServiceStatusChange)
    case slaIncident(IncidentEvent)
    case slaAlert(Alert)
    case licenseUpdated(LicenseChange)
    case ticketCreated(TicketEvent)
    case ticketUpdated(TicketEvent)
    case ticketDeleted(TicketEvent)

    /// The event name of the API reference, e.g. `service:status_changed`.
    public var name: String {
        switch self {
        case .serviceStatusChanged: "service:status_changed"
        case .slaIncident: "sla:incident"
        case .slaAlert: "sla:alert"
        case .licenseUpdated: "license:updated"
        case .ticketCreated: "ticket:created"
        case .ticketUpdated: "ticket:updated"
        case .ticketDeleted: "ticket:deleted"
        }
    }
}

/// The effective license changed: activated, expired, trial ended.
public struct LicenseChange: Sendable, Equatable, Codable {
    /// The licensee, `nil` when running unlicensed (trial or community edition).
    public var customer: String?
    /// Plugins enabled after the change (`ticketing`, `sla`, `audit`).
    public var plugins: [String]
    public var expiresAt: Date?
    public var trial: Bool
    /// Why it changed, for people: "license activated", "license expired", "trial ended".
    public var reason: String
    public var at: Date

    public init(customer: String?, plugins: [String], expiresAt: Date?, trial: Bool, reason: String, at: Date) {
        self.customer = customer
        self.plugins = plugins
        self.expiresAt = expiresAt
        self.trial = trial
        self.reason = reason
        self.at = at
    }
}

/// A ticket was created, updated or deleted (the ticketing plugin publishes these).
public struct TicketEvent: Sendable, Equatable, Codable {
    public var ticketId: UUID
    public var title: String
    public var status: String
    public var serviceId: UUID?
    public var at: Date

    public init(ticketId: UUID, title: String, status: String, serviceId: UUID?, at: Date) {
        self.ticketId = ticketId
        self.title = title
        self.status = status
        self.serviceId = serviceId
        self.at = at
    }
}

/// A service moved from one status to another.
public struct ServiceStatusChange: Sendable, Equatable, Codable {
    public var serviceId: UUID
    public var nodeId: NodePath
    public var serviceName: String
    public var from: ServiceStatus?
    public var to: ServiceStatus
    public var message: String?
    public var at: Date
}

/// An incident opened (a service went `DOWN`) or closed (it left `DOWN`).
public struct IncidentEvent: Sendable, Equatable, Codable {
    public enum Phase: String, Sendable, Codable { case opened, closed }
    public var incidentId: UUID
    public var serviceId: UUID
    public var nodeId: NodePath
    public var serviceName: String
    public var phase: Phase
    public var at: Date
}

/// Something an operator should look at.
public struct Alert: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case nodeSilent = "node_silent"
        case backupOverdue = "backup_overdue"
        case storageWarning = "storage_warning"
        case storageCritical = "storage_critical"
        /// An error budget burns faster than a multi-window rule allows.
        case slaBurnRate = "sla_burn_rate"
        /// A burn-rate alert recovered.
        case slaBurnRateCleared = "sla_burn_rate_cleared"
        /// The daily SLA report was generated.
        case slaReportGenerated = "sla_report_generated"
        /// An admin planned a maintenance window longer than `ITOPS_MAX_EXCLUSION_WINDOW`.
        case exclusionWindowPlanned = "exclusion_window_planned"
    }
    public var kind: Kind
    /// The node concerned; `nil` for alerts about an SLA group or the whole fleet.
    public var nodeId: NodePath?
    public var serviceId: UUID?
    public var serviceName: String?
    public var message: String
    public var at: Date
    /// For SLA alerts about a group.
    public var slaGroup: String? = nil
    /// For burn-rate alerts: the rule (`1h/5m`) and the burn rate of its long window.
    public var rule: String? = nil
    public var burnRate: Double? = nil
}

/// Fans events out to subscribers. In-process here; across instances the PostgreSQL bus follows.
public protocol EventBus: Sendable {
    /// Delivers `events` to every current subscriber, in order.
    func publish(_ events: [DomainEvent])
    /// A stream of every event published from now on; ends when the consumer stops iterating.
    func subscribe(bufferSize: Int) -> AsyncStream<DomainEvent>
    /// How many subscribers are listening in this process.
    var subscriberCount: Int { get }
    /// Events that subscribers in this process lost because they fell behind (their buffer was full).
    var droppedEvents: Int { get }
}

/// An event bus within one process.
///
/// Each subscriber has a bounded buffer: a subscriber that falls behind loses the oldest events
/// rather than slowing the publisher.
public final class InProcessEventBus: EventBus {
    private struct State {
        var nextId = 0
        var subscribers: [Int: AsyncStream<DomainEvent>.Continuation] = [:]
    }
    private let state = Mutex(State())
    private let dropped = Atomic(0)

    public init() {}

    public func publish(_ events: [DomainEvent]) {
        guard !events.isEmpty else { return }
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers {
            for event in events {
                if case .dropped = subscriber.yield(event) {
                    dropped.add(1, ordering: .relaxed)
                }
            }
        }
    }

    public var droppedEvents: Int { dropped.load(ordering: .relaxed) }

    public func subscribe(bufferSize: Int = 1024) -> AsyncStream<DomainEvent> {
        let (stream, continuation) = AsyncStream<DomainEvent>.makeStream(
            bufferingPolicy: .bufferingNewest(bufferSize)
        )
        let id = state.withLock { state in
            let id = state.nextId
            state.nextId += 1
            state.subscribers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// How many subscribers are listening; for tests and metrics.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }
}
