import Foundation
import Synchronization

/// What the SLA questions about "now" read — the inventory, every transition since a little before
/// the oldest instant any of them looks at, the exclusion windows — kept in memory and brought up
/// to date from the database's change feed before each question (docs/sla.md, "The live month in
/// memory").
///
/// The feed is the database's, not this process's events, so the copy is right on every instance
/// of a PostgreSQL deployment and after a missed event: transitions come by their sequence
/// (`SLAReader.transitionFeed`); everything else the math reads bumps `slaInputsVersion` in the
/// transaction that changed it, and a new version reloads the whole copy. A question therefore
/// costs three small reads plus the work its answer needs, and the answer is the one the engine
/// would compute from the tables (`SLALiveHistoryTests` compares both after random histories).
///
/// Each service's timeline of the current month is cached until one of its transitions arrives,
/// and each group's until one of its members changes; a question sums cached figures.
final class SLALiveHistory: Sendable {
    /// How far before the oldest instant asked about transitions are kept (a day: the month's
    /// horizon moves once a day).
    static let slack: Int64 = SLAPeriod.day

    private let state = Mutex<State?>(nil)
    /// Reloads and feed reads, for tests and metrics.
    private let counters = Mutex((reloads: 0, feedReads: 0))

    var reloads: Int { counters.withLock { $0.reloads } }

    /// One transition as the math needs it.
    struct Change: Sendable {
        var seq: Int64
        var id: UUID
        var at: Int64
        var from: ServiceStatus?
        var to: ServiceStatus
    }

    struct State: Sendable {
        var inputsVersion: Int64
        var cursor: SLAFeedCursor
        /// Transitions with `at >= lower` are held.
        var lower: Int64
        var inventory: SLAInventory
        /// Each service's SLA group, to drop a group's cached timeline when a member changes.
        var groupOf: [UUID: String]
        /// Windows not ended before `lower`, by service.
        var windows: [UUID: [ExclusionWindow]]
        /// Transitions by service, in `(at, seq)` order.
        var changes: [UUID: [Change]]
        /// Where each held transition is, to apply a rewritten one in its place.
        var held: [UUID: (service: UUID, seq: Int64)]
        /// Each service's current status and when it took it: the latest transition's (a report
        /// placed into history is older than it and leaves the status alone, docs/api.md).
        var current: [UUID: (at: Int64, status: ServiceStatus)]
        /// Month timelines (`from` to `to`), by service and by group, and what they were built over.
        var cache = TimelineCache()
    }

    struct TimelineCache: Sendable {
        var from: Int64 = 0
        var to: Int64 = 0
        var policy: UnknownPolicy = .exclude
        var services: [UUID: CoverageTimeline] = [:]
        var groups: [String: CoverageTimeline] = [:]

        mutating func reset(from: Int64, to: Int64, policy: UnknownPolicy) {
            guard from != self.from || to != self.to || policy != self.policy else { return }
            (self.from, self.to, self.policy) = (from, to, policy)
            services.removeAll(keepingCapacity: true)
            groups.removeAll(keepingCapacity: true)
        }
    }

    /// The longest burn-rate window: its transitions are kept whatever the month needs.
    static let burnRateReach: Int64 = BurnRateRule.standard.map(\.long).max() ?? 0

    /// Brings the copy up to date with the database, so that it can answer questions about the
    /// month from `monthFrom` (its horizon) and the burn-rate windows up to `now`, then runs `body`.
    func withCurrent<R>(
        reader: any StoreReader, engine: SLAEngine, monthFrom: Int64, now: Int64, _ body: (inout State) throws -> R
    ) async throws -> R {
        // Both kinds of question are served from one copy: it keeps the older of their starts.
        let keep = min(monthFrom, now - Self.burnRateReach) - Self.slack
        let version = try await reader.slaInputsVersion()
        let current = state.withLock { state -> (cursor: SLAFeedCursor, fits: Bool)? in
            guard let state else { return nil }
            return (state.cursor, state.inputsVersion == version && state.lower <= keep)
        }
        if let current, current.fits {
            let feed = try await reader.transitionFeed(after: current.cursor)
            counters.withLock { $0.feedReads += 1 }
            return try state.withLock { state in
                // Another question may have reloaded meanwhile: apply only what is newer.
                guard var live = state.take() else { throw CancellationError() }
                defer { state = live }
                live.apply(feed.transitions, next: feed.next)
                if keep - live.lower > SLAPeriod.day { live.prune(below: keep) }
                return try body(&live)
            }
        }
        var loaded = try await load(reader: reader, engine: engine, version: version, lower: keep)
        counters.withLock { $0.reloads += 1 }
        return try state.withLock { state in
            defer { state = loaded }
            return try body(&loaded)
        }
    }

    /// Reads the whole copy. The feed cursor and the inputs version are read first: whatever is
    /// written while the rest is read comes again through them.
    private func load(reader: any StoreReader, engine: SLAEngine, version: Int64, lower: Int64) async throws -> State {
        let cursor = try await reader.transitionFeedCursor()
        let inventory = try await engine.inventory()
        let windows = try await reader.exclusionWindows(from: SLAPeriod.date(lower), to: .distantFuture)
        var live = State(
            inputsVersion: version, cursor: cursor, lower: lower, inventory: inventory,
            groupOf: inventory.services.reduce(into: [:]) { $0[$1.id] = $1.slaGroup },
            windows: Dictionary(grouping: windows, by: \.serviceId), changes: [:], held: [:],
            current: inventory.services.reduce(into: [:]) {
                $0[$1.id] = (SLAPeriod.ms($1.statusChangedAt), $1.status)
            })
        live.apply(try await reader.sequencedTransitions(from: lower), next: cursor)
        return live
    }
}

extension SLALiveHistory.State {
    /// Applies transitions from the feed: new ones join their service's history in time order, a
    /// rewritten one (same id, higher `seq`) replaces the one held, one seen before is skipped.
    mutating func apply(_ feed: [SequencedTransition], next: SLAFeedCursor) {
        cursor = SLAFeedCursor(position: max(cursor.position, next.position))
        for row in feed {
            let t = row.transition
            let at = t.at.epochMilliseconds
            if let now = current[t.serviceId], at >= now.at {
                current[t.serviceId] = (at, t.to)
                if now.status != t.to { invalidate(t.serviceId) }
            }
            guard at >= lower else { continue }
            if let place = held[t.id] {
                guard place.seq < row.seq else { continue }
                changes[place.service]?.removeAll { $0.id == t.id }
            }
            let change = SLALiveHistory.Change(
                seq: row.seq, id: t.id, at: t.at.epochMilliseconds, from: t.from, to: t.to)
            var list = changes[t.serviceId] ?? []
            // Nearly always the newest: found from the end.
            var index = list.endIndex
            while index > list.startIndex, (list[index - 1].at, list[index - 1].seq) > (change.at, change.seq) {
                index -= 1
            }
            list.insert(change, at: index)
            changes[t.serviceId] = list
            held[t.id] = (t.serviceId, row.seq)
            invalidate(t.serviceId)
        }
    }

    /// Forgets the transitions before `lower` (no question starts before it any more).
    mutating func prune(below newLower: Int64) {
        guard newLower > lower else { return }
        lower = newLower
        for (service, list) in changes {
            guard let first = list.first, first.at < newLower else { continue }
            let kept = list.filter { $0.at >= newLower }
            for gone in list where gone.at < newLower { held.removeValue(forKey: gone.id) }
            changes[service] = kept.isEmpty ? nil : kept
        }
    }

    private mutating func invalidate(_ service: UUID) {
        guard cache.services.removeValue(forKey: service) != nil else { return }
        if let group = groupOf[service] { cache.groups.removeValue(forKey: group) }
    }

    /// The status of `service` now.
    func status(of service: Service) -> ServiceStatus { current[service.id]?.status ?? service.status }

    /// The history of `service` over `[from, now]` exactly as the engine reads it from the tables
    /// (`SLAEngine.liveHistories`): transitions with `from <= at <= now`, windows started before
    /// `now` and not stopped before `from`.
    func history(of service: Service, from: Int64, now: Int64, cap: TimeInterval) -> ServiceHistory {
        let own = (changes[service.id] ?? []).filter { $0.at >= from && $0.at <= now }
        let initial = own.first.map { $0.from ?? .unknown } ?? status(of: service)
        let spans = (windows[service.id] ?? []).filter {
            SLAPeriod.ms($0.startedAt) < now && ($0.endedAt.map { SLAPeriod.ms($0) > from } ?? true)
        }
        return ServiceHistory(
            serviceId: service.id, createdAt: SLAPeriod.ms(service.createdAt), initialStatus: initial,
            changes: own.map { .init(at: $0.at, status: $0.to) }, exclusions: spans.map { $0.span(cap: cap) })
    }

    /// The timeline of `service` from the cache's `from` to its `to`, whose figures up to any `now`
    /// before `to` are those of the engine's timeline over `[from, now)`: a later change or window
    /// only shapes the time after `now`. Not cacheable (`nil`) while a change is stamped after
    /// `now` and is the first of the period — the engine then starts from the current status.
    mutating func monthTimeline(of service: Service, now: Int64, cap: TimeInterval) -> CoverageTimeline? {
        if let cached = cache.services[service.id] { return cached }
        let from = cache.from
        let own = (changes[service.id] ?? []).filter { $0.at >= from }
        if let first = own.first, first.at > now { return nil }
        let spans = (windows[service.id] ?? []).filter { $0.endedAt.map { SLAPeriod.ms($0) > from } ?? true }
        let history = ServiceHistory(
            serviceId: service.id, createdAt: SLAPeriod.ms(service.createdAt),
            initialStatus: own.first.map { $0.from ?? .unknown } ?? status(of: service),
            changes: own.map { .init(at: $0.at, status: $0.to) }, exclusions: spans.map { $0.span(cap: cap) })
        let timeline = history.timeline(from: from, to: cache.to, policy: cache.policy)
        cache.services[service.id] = timeline
        return timeline
    }
}

extension Optional {
    /// Moves the value out, leaving `nil`.
    fileprivate mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}
