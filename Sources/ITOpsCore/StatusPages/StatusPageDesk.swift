import Foundation
import Synchronization

/// The status pages' service: the admin's changes (validated against the inventory) and the public
/// snapshot the pages, their JSON, feed and badges are drawn from.
///
/// Callers check the role and the license (`sla`) first.
public final class StatusPageDesk: Sendable {
    /// Days of uptime bars on a page.
    public static let days = 90

    let store: any Store
    let engine: SLAEngine
    let clock: any WallClock
    private let observers = Mutex<[@Sendable () -> Void]>([])

    public init(store: any Store, engine: SLAEngine, clock: any WallClock) {
        self.store = store
        self.engine = engine
        self.clock = clock
    }

    /// Calls `observer` after every change an admin makes on this instance (the public cache
    /// forgets what it rendered).
    public func onChange(_ observer: @escaping @Sendable () -> Void) {
        observers.withLock { $0.append(observer) }
    }

    private func changed() {
        for observer in observers.withLock({ $0 }) { observer() }
    }

    // MARK: The admin's side

    public func pages() async throws -> [StatusPage] { try await store.reader.statusPageReader().statusPages() }

    /// Errors name the field under `prefix` (`input` → `input.slug`).
    public func create(_ draft: StatusPageDraft, prefix: String = "") async throws -> StatusPage {
        let draft = try draft.validated(prefix: prefix)
        let now = clock.now()
        let page = StatusPage(
            slug: draft.slug, title: draft.title, description: draft.description, groups: draft.groups, createdAt: now,
            updatedAt: now)
        try await store.write { writer in
            try await Self.checkReferences(draft, reader: writer, prefix: prefix)
            try await writer.statusPageWriter().insert(page)
        }
        changed()
        return page
    }

    public func update(id: UUID, _ draft: StatusPageDraft, prefix: String = "") async throws -> StatusPage {
        let draft = try draft.validated(prefix: prefix)
        defer { changed() }
        return try await store.write { writer -> StatusPage in
            let pages = try writer.statusPageWriter()
            guard var page = try await pages.statusPage(id: id) else {
                throw ITOpsError.notFound("id: no status page \(id.stored)")
            }
            try await Self.checkReferences(draft, reader: writer, prefix: prefix)
            page.slug = draft.slug
            page.title = draft.title
            page.description = draft.description
            page.groups = draft.groups
            page.updatedAt = self.clock.now()
            try await pages.update(page)
            return page
        }
    }

    public func delete(id: UUID) async throws -> Bool {
        defer { changed() }
        return try await store.write { writer -> Bool in
            let pages = try writer.statusPageWriter()
            guard try await pages.statusPage(id: id) != nil else { return false }
            try await pages.deleteStatusPage(id: id)
            return true
        }
    }

    /// Every group exists; every named service exists and belongs to the group it is listed under.
    static func checkReferences(_ draft: StatusPageDraft, reader: any StoreReader, prefix: String) async throws {
        let p = prefix.isEmpty ? "" : prefix + "."
        let names = draft.groups.map(\.slaGroup)
        let existing = try await reader.existingSLAGroups(named: Set(names))
        if let index = names.firstIndex(where: { !existing.contains($0) }) {
            throw ITOpsError.invalid("\(p)groups[\(index)].slaGroup: no SLA group '\(names[index].prefix(80))'")
        }
        let ids = Set(draft.groups.flatMap { $0.services.map(\.serviceId) })
        guard !ids.isEmpty else { return }
        let services = try await reader.services(ids: ids)
        for (index, group) in draft.groups.enumerated() {
            for (serviceIndex, entry) in group.services.enumerated() {
                let field = "\(p)groups[\(index)].services[\(serviceIndex)].serviceId"
                guard let service = services[entry.serviceId] else {
                    throw ITOpsError.invalid("\(field): no service \(entry.serviceId.stored)")
                }
                guard service.slaGroup == group.slaGroup else {
                    throw ITOpsError.invalid("\(field): the service is not in SLA group '\(group.slaGroup.prefix(80))'")
                }
            }
        }
    }

    // MARK: The public side

    /// What the public may see of `groups`, as of now: for each group its state, the state of each
    /// member, 90 days of daily figures, its incidents of those days and its maintenance in progress.
    /// Groups that no longer exist are left out.
    public func snapshot(groups names: Set<String>) async throws -> PublicStatusSnapshot {
        let now = clock.now()
        let reader = store.reader
        let existing = try await reader.existingSLAGroups(named: names)
        let members = try await reader.services(inSLAGroups: existing.sorted())
        let memberIds = members.map(\.id)
        let since = now.addingTimeInterval(-Double(Self.days) * 86_400)
        let incidents = try await reader.statusPageReader().incidents(
            serviceIds: memberIds, from: since, to: now.addingTimeInterval(1), limit: 10_000)
        let windows = try await reader.exclusionWindows(from: now, to: now.addingTimeInterval(1))
            .filter { $0.endedAt == nil || $0.endedAt! > now }
        let inWindow = Set(windows.map(\.serviceId))
        var groups: [String: PublicGroupStatus] = [:]
        for name in existing {
            let groupMembers = members.filter { $0.slaGroup == name }
            var states: [UUID: PublicState] = [:]
            for service in groupMembers {
                states[service.id] = inWindow.contains(service.id) ? .maintenance : PublicState(service.status)
            }
            let trend = try await engine.trend(.daily, monthsBack: 3, scope: .group(name))
            let ids = Set(groupMembers.map(\.id))
            groups[name] = PublicGroupStatus(
                slaGroup: name, state: PublicState.combined(Array(states.values)), services: states,
                days: trend.suffix(Self.days).map { PublicDay(date: $0.periodKey, start: $0.periodStart, figures: $0.figures) },
                targetPercent: trend.last?.targetPercent,
                incidents: incidents.filter { ids.contains($0.serviceId) }.map {
                    PublicIncident(id: $0.id, serviceId: $0.serviceId, openedAt: $0.openedAt, closedAt: $0.closedAt)
                },
                maintenance: windows.filter { ids.contains($0.serviceId) }.map {
                    PublicMaintenance(serviceId: $0.serviceId, startedAt: $0.startedAt, expectedEndAt: $0.expectedEndAt)
                })
        }
        return PublicStatusSnapshot(generatedAt: now, groups: groups)
    }
}

/// The state the public sees, of a service, a group or a page.
public enum PublicState: String, Sendable, CaseIterable, Codable {
    case operational = "OPERATIONAL"
    case degraded = "DEGRADED"
    case partialOutage = "PARTIAL_OUTAGE"
    case majorOutage = "MAJOR_OUTAGE"
    case maintenance = "MAINTENANCE"
    case unknown = "UNKNOWN"

    init(_ status: ServiceStatus) {
        switch status {
        case .operational: self = .operational
        case .degraded: self = .degraded
        case .down: self = .majorOutage
        case .maintenance: self = .maintenance
        case .unknown: self = .unknown
        }
    }

    /// How bad it is, for ordering: the worst state wins a page's headline.
    var severity: Int {
        switch self {
        case .operational: 0
        case .unknown: 1
        case .maintenance: 2
        case .degraded: 3
        case .partialOutage: 4
        case .majorOutage: 5
        }
    }

    /// A group's state from its members': all down is a major outage, some down a partial one;
    /// otherwise the worst of degraded and maintenance. Members whose state is unknown (a silent
    /// agent) do not colour the group unless every member is unknown.
    public static func combined(_ states: [PublicState]) -> PublicState {
        let known = states.filter { $0 != .unknown }
        guard !known.isEmpty else { return .unknown }
        let down = known.filter { $0 == .majorOutage || $0 == .partialOutage }.count
        let active = known.filter { $0 != .maintenance }.count
        if down > 0 { return down == active ? .majorOutage : .partialOutage }
        if known.contains(.degraded) { return .degraded }
        if known.contains(.maintenance) { return .maintenance }
        return .operational
    }

    /// The worst of several groups' states (a page's headline).
    public static func worst(_ states: [PublicState]) -> PublicState {
        states.max { $0.severity < $1.severity } ?? .unknown
    }
}

/// One day's bar.
public struct PublicDay: Sendable, Equatable {
    /// `2026-11-30`.
    public var date: String
    public var start: Date
    public var figures: AvailabilityFigures

    /// `nil` when the day has no eligible time (no data, or all excluded).
    public var uptimePercent: Double? { figures.eligibleMs > 0 ? figures.actualPercent : nil }
}

/// An incident of a member service (which the page names only if the admin chose to).
public struct PublicIncident: Sendable, Equatable {
    public var id: UUID
    public var serviceId: UUID
    public var openedAt: Date
    public var closedAt: Date?
}

/// Maintenance in progress on a member service: an open exclusion window (its reason stays private).
public struct PublicMaintenance: Sendable, Equatable {
    public var serviceId: UUID
    public var startedAt: Date
    public var expectedEndAt: Date?
}

/// A public group as of the snapshot. Service ids stay internal: a page shows only the labels its
/// admin gave them.
public struct PublicGroupStatus: Sendable, Equatable {
    public var slaGroup: String
    public var state: PublicState
    public var services: [UUID: PublicState]
    public var days: [PublicDay]
    public var targetPercent: Double?
    /// The last 90 days', most recent first.
    public var incidents: [PublicIncident]
    public var maintenance: [PublicMaintenance]

    /// Uptime over the last `days` days (today included); `nil` without eligible time.
    public func uptime(lastDays count: Int) -> Double? {
        let figures = days.suffix(count).reduce(AvailabilityFigures()) { $0 + $1.figures }
        return figures.eligibleMs > 0 ? figures.actualPercent : nil
    }
}

/// Every public group at one moment.
public struct PublicStatusSnapshot: Sendable, Equatable {
    public var generatedAt: Date
    public var groups: [String: PublicGroupStatus]
}
