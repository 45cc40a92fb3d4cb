import Foundation

/// The figures of one UTC day for every service and group.
struct SLADay: Sendable {
    var start: Int64
    var services: [SLARollup]
    var groups: [SLARollup]
}

extension SLAEngine {
    /// Rolls up every closed day not yet rolled up (at most `maxDays` per call, oldest first),
    /// then recomputes days that received late data. Returns how many days were closed.
    ///
    /// Run once across instances (`store.exclusively`). A day is closed `rollupGrace` after
    /// midnight UTC; its service rows carry the status at the day's end, where the next day starts,
    /// so each day reads only its own transitions.
    @discardableResult
    public func rollUp(maxDays: Int = 31) async throws -> Int {
        let now = SLAPeriod.ms(clock.now())
        let closable = SLAPeriod.dayStart(now - Int64(settings.rollupGrace * 1000))
        var horizon: Int64
        let stored = try await reader.rollupHorizon(policy: policy)
        // One inventory for the whole pass: the days it closes are past, so later services do not count.
        // Read only when a day is to be closed: the SLA job calls this every minute, and reading
        // 100,000 services for nothing left about 100 MB of freed heap behind each time (BENCHMARKS.md).
        var read: SLAInventory?
        func inventory() async throws -> SLAInventory {
            if let read { return read }
            let inventory = try await self.inventory()
            read = inventory
            return inventory
        }
        if let stored {
            horizon = stored
        } else {
            // First run (or a new policy): start at the first day any service existed.
            let services = try await inventory().services
            horizon = services.map { SLAPeriod.dayStart(SLAPeriod.ms($0.createdAt)) }.min() ?? closable
        }
        var closed = 0
        while horizon < closable, closed < maxDays {
            let day = try await computeDay(horizon, inventory: try await inventory())
            let next = horizon + SLAPeriod.day
            let policy = self.policy
            try await store.write { tx in
                try await tx.save(day.services + day.groups)
                try await tx.rebuildTierRollups(day: day.start, policy: policy)
                try await tx.rebuildMonthRollups(
                    monthStart: SLAPeriod.monthStart(day.start),
                    nextMonthStart: SLAPeriod.monthStart(day.start, offset: 1),
                    policy: policy)
                try await tx.setRollupHorizon(next, policy: policy)
            }
            horizon = next
            closed += 1
        }
        if stored == nil, closed == 0 {
            // Nothing to roll up yet: record where rollups start.
            try await store.write { [policy, horizon] tx in try await tx.setRollupHorizon(horizon, policy: policy) }
        }
        try await recomputeDirtyDays()
        return closed
    }

    /// The figures of the day starting at `start`, for every service that existed and every group.
    func computeDay(_ start: Int64, inventory: SLAInventory) async throws -> SLADay {
        let end = start + SLAPeriod.day
        let services = inventory.services.filter { SLAPeriod.ms($0.createdAt) < end }
        async let previous = reader.rollups(
            kind: .service, scopeId: nil, monthly: false, from: start - SLAPeriod.day, to: start, policy: policy)
        async let transitions = reader.transitions(from: SLAPeriod.date(start), to: SLAPeriod.date(end))
        async let windows = reader.exclusionWindows(from: SLAPeriod.date(start), to: SLAPeriod.date(end))
        let carried = Dictionary(
            try await previous.compactMap { row in row.endStatus.map { (row.scopeId, $0) } }, uniquingKeysWith: { $1 })
        let changes = Dictionary(grouping: try await transitions, by: \.serviceId)
        let spans = Dictionary(grouping: try await windows, by: \.serviceId)
        var timelines: [UUID: CoverageTimeline] = [:]
        var rows: [SLARollup] = []
        for service in services {
            let own = changes[service.id] ?? []
            let initial = try await statusAtStart(
                of: service, start: start, carried: carried[service.id.stored], firstChange: own.first)
            let history = ServiceHistory(
                serviceId: service.id, createdAt: SLAPeriod.ms(service.createdAt), initialStatus: initial,
                changes: own.map { .init(at: SLAPeriod.ms($0.at), status: $0.to) },
                exclusions: (spans[service.id] ?? []).map { $0.span(cap: cap) })
            let timeline = history.timeline(from: start, to: end, policy: policy)
            timelines[service.id] = timeline
            rows.append(
                SLARollup(
                    kind: .service, scopeId: service.id.stored, periodStart: start, policy: policy,
                    figures: timeline.figures(), endStatus: own.last?.to ?? initial,
                    tier: inventory.tier(of: service)?.rawValue ?? noSLATier))
        }
        var groups: [SLARollup] = []
        for (name, members) in inventory.memberIndices {
            let memberTimelines = members.compactMap { timelines[inventory.services[$0].id] }
            guard !memberTimelines.isEmpty else { continue }
            groups.append(
                SLARollup(
                    kind: .group, scopeId: name, periodStart: start, policy: policy,
                    figures: CoverageTimeline.group(memberTimelines, from: start, to: end).figures()))
        }
        return SLADay(start: start, services: rows, groups: groups)
    }

    /// The status in force at the start of a day: carried from the previous day's rollup, else the
    /// `from` of the day's first change, else the current status if it is older than the day, else
    /// the last transition before the day (one lookup, only when nothing else knows).
    private func statusAtStart(
        of service: Service, start: Int64, carried: ServiceStatus?, firstChange: StatusTransition?
    ) async throws -> ServiceStatus {
        if let carried { return carried }
        if let firstChange { return firstChange.from ?? .unknown }
        if SLAPeriod.ms(service.statusChangedAt) < start { return service.status }
        return try await reader.lastTransition(serviceId: service.id, before: SLAPeriod.date(start))?.to ?? .unknown
    }

    /// Recomputes the days that received transitions after they were rolled up: the service's day,
    /// its group's, the tier sums and the month. If the day now ends in another status, the next
    /// closed day is recomputed too.
    func recomputeDirtyDays(limit: Int = 200) async throws {
        let dirty = try await reader.dirtyRollupDays(limit: limit)
        guard !dirty.isEmpty else { return }
        let horizon = try await reader.rollupHorizon(policy: policy) ?? 0
        let inventory = try await inventory()
        for day in Set(dirty.map(\.day)).sorted() {
            let ids = Set(dirty.filter { $0.day == day }.map(\.serviceId))
            let stale = try await reader.rollups(
                kind: .service, scopeId: nil, monthly: false, from: day, to: day + 1, policy: policy)
            let computed = try await computeDay(day, inventory: inventory)
            let before = Dictionary(stale.map { ($0.scopeId, $0.endStatus) }, uniquingKeysWith: { $1 })
            let policy = self.policy
            try await store.write { tx in
                try await tx.save(computed.services + computed.groups)
                try await tx.rebuildTierRollups(day: day, policy: policy)
                try await tx.rebuildMonthRollups(
                    monthStart: SLAPeriod.monthStart(day), nextMonthStart: SLAPeriod.monthStart(day, offset: 1),
                    policy: policy)
                for id in ids {
                    try await tx.clearRollupDirty(serviceId: id, day: day)
                    let after = computed.services.first { $0.scopeId == id.stored }?.endStatus
                    if after != before[id.stored] ?? nil, day + SLAPeriod.day < horizon {
                        try await tx.markRollupDirty(serviceId: id, day: day + SLAPeriod.day)
                    }
                }
            }
        }
    }
}
