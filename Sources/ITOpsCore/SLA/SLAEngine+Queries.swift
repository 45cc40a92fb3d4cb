import Foundation

/// `slaDashboardStats`: the fleet this calendar month (UTC) to date.
public struct SLADashboardStats: Sendable, Equatable {
    public var totalServices: Int
    public var servicesWithSla: Int
    public var metCount: Int
    public var atRiskCount: Int
    public var breachedCount: Int
    /// Mean availability of the services with an SLA; 100 when there are none.
    public var averageUptime: Double
}

extension SLADashboardStats {
    /// The dashboard's counts, one service at a time (in inventory order, so that the mean is the
    /// same sum whichever way the results were computed).
    struct Tally {
        var withSLA = 0
        var met = 0
        var atRisk = 0
        var breached = 0
        var percentSum = 0.0

        mutating func count(_ status: SLAStatus?, percent: Double) {
            guard let status else { return }
            withSLA += 1
            percentSum += percent
            switch status {
            case .met: met += 1
            case .atRisk: atRisk += 1
            case .breached: breached += 1
            }
        }

        func stats(totalServices: Int) -> SLADashboardStats {
            SLADashboardStats(
                totalServices: totalServices, servicesWithSla: withSLA, metCount: met, atRiskCount: atRisk,
                breachedCount: breached, averageUptime: withSLA == 0 ? 100 : percentSum / Double(withSLA))
        }
    }
}

/// The error budget of one service or group this calendar month.
public struct SLAErrorBudget: Sendable, Equatable {
    public var scope: SLAScopeKind
    public var scopeId: String
    public var name: String
    public var result: SLAPeriodResult

    public var budgetMs: Int64 { result.budgetMs ?? 0 }
    public var consumedMs: Int64 { result.figures.downMs }
    public var remainingMs: Int64 { budgetMs - consumedMs }
}

extension SLAEngine {
    // MARK: Snapshot trend

    /// `slaSnapshotTrend`: 5-minute buckets aligned to the clock. `hoursBack × 12` complete buckets
    /// and, last, the bucket in progress — 13 buckets for one hour.
    public func snapshotTrend(serviceId: UUID, hoursBack: Int) async throws -> [SLAPeriodResult] {
        guard (1...168).contains(hoursBack) else { throw ITOpsError.invalid("hoursBack: must be between 1 and 168") }
        guard let service = try await reader.service(id: serviceId) else {
            throw ITOpsError.notFound("serviceId: no service \(serviceId.stored)")
        }
        let inventory = try await inventory(only: service)
        let now = SLAPeriod.ms(clock.now())
        let current = SLAPeriod.bucketStart(now)
        let from = current - Int64(hoursBack) * 12 * SLAPeriod.bucket
        let timeline = try await liveTimelines(of: [service], from: from, now: now)[service.id]
        let definition = inventory.definition(of: service)
        return stride(from: from, through: current, by: Int64.Stride(SLAPeriod.bucket)).map { start in
            let end = start + SLAPeriod.bucket
            let figures = timeline?.figures(from: start, to: min(end, now)) ?? AvailabilityFigures()
            return result(
                key: SLAPeriod.bucketKey(start), start: start, end: end, now: now, figures: figures,
                definition: definition)
        }
    }

    /// The inventory with just what one service needs (its group and the definitions).
    func inventory(only service: Service) async throws -> SLAInventory {
        var groups: [String: SLAGroup] = [:]
        if let name = service.slaGroup, let group = try await reader.slaGroup(name: name) { groups[name] = group }
        return SLAInventory(services: [service], groups: groups, definitions: try await definitions())
    }

    // MARK: Daily and monthly trend

    /// `slaTrendData`: `DAILY` periods from the same date `monthsBack` months ago (exclusive)
    /// through today, or `MONTHLY` periods for this month and the `monthsBack − 1` before it.
    /// Closed days come from rollups; only the days not yet rolled up are read raw.
    public func trend(_ kind: SLAPeriod.Kind, monthsBack: Int, scope: SLAScope) async throws -> [SLAPeriodResult] {
        guard (1...36).contains(monthsBack) else { throw ITOpsError.invalid("monthsBack: must be between 1 and 36") }
        let now = SLAPeriod.ms(clock.now())
        let today = SLAPeriod.dayStart(now)
        var periods: [(key: String, start: Int64, end: Int64)] = []
        switch kind {
        case .daily:
            let first = SLAPeriod.dayStart(SLAPeriod.shift(now, months: -monthsBack)) + SLAPeriod.day
            for start in stride(from: first, through: today, by: Int64.Stride(SLAPeriod.day)) {
                periods.append((SLAPeriod.dayKey(start), start, start + SLAPeriod.day))
            }
        case .monthly:
            for offset in stride(from: -(monthsBack - 1), through: 0, by: 1) {
                let start = SLAPeriod.monthStart(now, offset: offset)
                periods.append((SLAPeriod.monthKey(start), start, SLAPeriod.monthStart(now, offset: offset + 1)))
            }
        }
        guard let rangeStart = periods.first?.start else { return [] }
        let figures = try await periodFigures(
            scope: scope, monthly: kind == .monthly, periods: periods.map { ($0.start, $0.end) }, from: rangeStart,
            now: now)
        return periods.enumerated().map { index, period in
            result(
                key: period.key, start: period.start, end: period.end, now: now, figures: figures.values[index],
                definition: figures.definition, scopeCount: figures.scopeCount)
        }
    }

    /// Figures per period for one scope: rollup rows for what is closed, raw history for the rest.
    private func periodFigures(
        scope: SLAScope, monthly: Bool, periods: [(start: Int64, end: Int64)], from: Int64, now: Int64
    ) async throws -> (values: [AvailabilityFigures], definition: SLADefinition?, scopeCount: Int) {
        let horizon = try await reader.rollupHorizon(policy: policy) ?? from
        let inventory: SLAInventory
        let kind: SLAScopeKind
        let scopeId: String?
        var definition: SLADefinition?
        var scopeCount = 1
        let liveServices: [Service]
        switch scope {
        case .service(let id):
            guard let service = try await reader.service(id: id) else {
                throw ITOpsError.notFound("serviceId: no service \(id.stored)")
            }
            inventory = try await self.inventory(only: service)
            (kind, scopeId, definition, liveServices) = (
                .service, id.stored, inventory.definition(of: service), [service]
            )
        case .group(let name):
            guard let group = try await reader.slaGroup(name: name) else {
                throw ITOpsError.notFound("slaGroup: no SLA group '\(name)'")
            }
            let members = try await reader.services(inSLAGroups: [name])
            inventory = SLAInventory(
                services: members, groups: [name: group], definitions: try await definitions())
            (kind, scopeId, definition, liveServices) = (.group, name, inventory.definitions[group.tier], members)
        case .fleet:
            inventory = try await self.inventory()
            (kind, scopeId, liveServices) = (.tier, nil, inventory.services)
            let withSLA = inventory.services.compactMap { inventory.definition(of: $0) }
            scopeCount = withSLA.count
            definition = Self.fleetDefinition(withSLA)
        }
        let rows = try await reader.rollups(
            kind: kind, scopeId: scopeId, monthly: monthly, from: periods.first?.start ?? from,
            to: periods.last?.end ?? from, policy: policy)
        let byStart = Dictionary(grouping: rows, by: \.periodStart).mapValues {
            $0.reduce(AvailabilityFigures()) { $0 + $1.figures }
        }
        // The part after the horizon, from raw history: one timeline for a service or a group
        // (a union), one per service for the fleet (a sum).
        let liveFrom = max(horizon, periods.first?.start ?? horizon)
        var live: [CoverageTimeline] = []
        if liveFrom < now {
            let timelines = try await liveTimelines(of: liveServices, from: liveFrom, now: now)
            switch scope {
            case .service(let id): live = timelines[id].map { [$0] } ?? []
            case .group:
                if !timelines.isEmpty {
                    live = [CoverageTimeline.group(Array(timelines.values), from: liveFrom, to: now)]
                }
            case .fleet: live = Array(timelines.values)
            }
        }
        let values = periods.map { period -> AvailabilityFigures in
            // Day rows exist for closed days only; a month row holds the closed days of its month.
            var figures =
                period.start < horizon ? byStart[period.start] ?? AvailabilityFigures() : AvailabilityFigures()
            if period.end > horizon {
                for timeline in live { figures += timeline.figures(from: max(period.start, horizon), to: period.end) }
            }
            return figures
        }
        return (values, definition, scopeCount)
    }

    /// The fleet's combined target: the error budgets of every service with an SLA, added up, as one
    /// definition (the target weighted by service; at-risk fraction of the strictest tier).
    static func fleetDefinition(_ definitions: [SLADefinition]) -> SLADefinition? {
        guard !definitions.isEmpty else { return nil }
        let ppm = definitions.reduce(Int64(0)) { $0 + $1.budgetPPM } / Int64(definitions.count)
        return SLADefinition(
            name: "fleet", tier: .medium, targetPercent: Double(1_000_000 - ppm) / 10_000,
            atRiskBudgetFraction: definitions.map(\.atRiskBudgetFraction).min() ?? 0.75,
            updatedAt: definitions.map(\.updatedAt).max() ?? Date())
    }

    // MARK: This month

    /// This calendar month to date for every service and every group in one pass: month rollups
    /// for the closed days, raw history for the rest. Callers that ask together share one
    /// computation that started after they asked (`FreshCoalescer`).
    public func currentMonth() async throws -> CurrentMonth {
        try await currentMonths.value(on: settings.computeExecutor) { try await computeCurrentMonth(perService: true) }
    }

    /// This month's groups and dashboard figures, without a result per service: what
    /// `slaDashboardStats` and `slaGroups` need, at a fraction of the cost on a large fleet.
    public func monthSummary() async throws -> CurrentMonth {
        try await monthSummaries.value(on: settings.computeExecutor) { try await computeCurrentMonth(perService: false) }
    }

    /// Now, this month's bounds, where its open part starts (the rollup horizon) and the rollups' version.
    private func monthFrame() async throws -> (
        now: Int64, monthStart: Int64, monthEnd: Int64, horizon: Int64, version: SLARollupVersion
    ) {
        let now = SLAPeriod.ms(clock.now())
        let monthStart = SLAPeriod.monthStart(now)
        let version = try await reader.rollupVersion(policy: policy)
        return (now, monthStart, SLAPeriod.monthStart(now, offset: 1), max(monthStart, version.horizon ?? monthStart), version)
    }

    /// This month from the copy kept in memory (`SLALiveHistory`): cached timelines, summed.
    private func computeCurrentMonth(perService: Bool) async throws -> CurrentMonth {
        let (now, monthStart, monthEnd, horizon, version) = try await monthFrame()
        let closedMonth = try await closedMonth(monthStart, version: version)
        let closedKey = ClosedMonthCache.Key(monthStart: monthStart, policy: policy, version: version)
        let key = SLAPeriod.monthKey(monthStart)
        let (policy, cap) = (self.policy, self.cap)
        return try await live.withCurrent(reader: reader, engine: self, monthFrom: horizon, now: now) { live in
            live.cache.reset(from: horizon, to: monthEnd, policy: policy)
            let inventory = live.inventory
            let closed = live.closedFigures(closedMonth, key: closedKey)
            // A service's timeline when it can be cached; otherwise its history read as the tables give it.
            var uncached: [Int: CoverageTimeline] = [:]
            var results: [SLAPeriodResult] = []
            if perService { results.reserveCapacity(inventory.services.count) }
            var dashboard = SLADashboardStats.Tally()
            let remaining = max(0, monthEnd - max(now, monthStart))
            // By place, touching a service's row only when its timeline must be built: copying a
            // `Service` retains a dozen strings, the loop's main cost at 100,000 services.
            for place in inventory.services.indices {
                // Without an SLA and outside every group a service counts only in the per-service
                // results: the summary neither builds nor caches its timeline.
                if !perService, !live.matters(place) { continue }
                var figures = closed[place]
                if horizon < now {
                    if let cached = live.monthTimeline(at: place, now: now, cap: cap) {
                        figures += cached.figures(from: horizon, to: now)
                    } else {
                        let made = live.history(at: place, from: horizon, now: now, cap: cap)
                            .timeline(from: horizon, to: now, policy: policy)
                        uncached[place] = made
                        figures += made.figures()
                    }
                }
                if perService {
                    let result = result(
                        key: key, start: monthStart, end: monthEnd, now: now, figures: figures,
                        definition: live.definitions[place])
                    dashboard.count(result.status, percent: result.actualPercent)
                    results.append(result)
                } else if let terms = live.budgets[place] {
                    // `result(…)`'s status, without building the result.
                    let status = SLAStatus(
                        downtimeMs: figures.downMs, periodEligibleMs: figures.eligibleMs + remaining,
                        budgetPPM: terms.ppm, atRiskBudgetFraction: terms.atRisk)
                    dashboard.count(status, percent: figures.actualPercent)
                }
            }
            var groups: [String: SLAPeriodResult] = [:]
            for (name, group) in inventory.groups {
                var figures = closedMonth.groups[name] ?? AvailabilityFigures()
                let members = inventory.memberIndices[name] ?? []
                if horizon < now, !members.isEmpty {
                    if let cached = live.cache.groups[name] {
                        figures += cached.figures(from: horizon, to: now)
                    } else if members.allSatisfy({ uncached[$0] == nil }) {
                        let combined = CoverageTimeline.group(
                            members.compactMap { live.cache.services[$0] }, from: horizon, to: monthEnd)
                        live.cache.groups[name] = combined
                        figures += combined.figures(from: horizon, to: now)
                    } else {
                        let timelines = members.compactMap { uncached[$0] ?? live.cache.services[$0]?.clipped(to: now) }
                        figures += CoverageTimeline.group(timelines, from: horizon, to: now).figures()
                    }
                }
                groups[name] = result(
                    key: key, start: monthStart, end: monthEnd, now: now, figures: figures,
                    definition: inventory.definitions[group.tier])
            }
            return CurrentMonth(
                inventory: inventory.services, results: results, groups: groups,
                dashboard: dashboard.stats(totalServices: inventory.services.count))
        }
    }

    /// This month computed from the tables alone, as before the copy in memory: what the copy's
    /// answers are checked against.
    func computeCurrentMonthFromStore() async throws -> CurrentMonth {
        let inventory = try await inventory()
        let (now, monthStart, monthEnd, horizon, version) = try await monthFrame()
        let closed = try await closedMonth(monthStart, version: version)
        let (closedServices, closedGroups) = (closed.services, closed.groups)
        let timelines = try await liveTimelines(of: inventory.services, from: horizon, now: now)
        let key = SLAPeriod.monthKey(monthStart)
        let results = inventory.services.map { service in
            var figures = closedServices[service.id] ?? AvailabilityFigures()
            if let live = timelines[service.id] { figures += live.figures() }
            return result(
                key: key, start: monthStart, end: monthEnd, now: now, figures: figures,
                definition: inventory.definition(of: service))
        }
        var groups: [String: SLAPeriodResult] = [:]
        for (name, group) in inventory.groups {
            var figures = closedGroups[name] ?? AvailabilityFigures()
            let memberTimelines = (inventory.memberIndices[name] ?? []).compactMap { timelines[inventory.services[$0].id] }
            if horizon < now, !memberTimelines.isEmpty {
                figures += CoverageTimeline.group(memberTimelines, from: horizon, to: now).figures()
            }
            groups[name] = result(
                key: key, start: monthStart, end: monthEnd, now: now, figures: figures,
                definition: inventory.definitions[group.tier])
        }
        var dashboard = SLADashboardStats.Tally()
        for result in results { dashboard.count(result.status, percent: result.actualPercent) }
        return CurrentMonth(
            inventory: inventory.services, results: results, groups: groups,
            dashboard: dashboard.stats(totalServices: inventory.services.count))
    }

    /// The month rollup rows of `monthStart` by scope: from memory while the rollups have not moved.
    func closedMonth(_ monthStart: Int64, version: SLARollupVersion) async throws -> ClosedMonthCache.Figures {
        let key = ClosedMonthCache.Key(monthStart: monthStart, policy: policy, version: version)
        if let figures = closedMonths.figures(for: key) { return figures }
        async let serviceRows = reader.rollups(
            kind: .service, scopeId: nil, monthly: true, from: monthStart, to: monthStart + 1, policy: policy)
        async let groupRows = reader.rollups(
            kind: .group, scopeId: nil, monthly: true, from: monthStart, to: monthStart + 1, policy: policy)
        let figures = ClosedMonthCache.Figures(
            services: ClosedMonthCache.FiguresById(
                try await serviceRows.compactMap { row in UUID(parsing: row.scopeId).map { ($0, row.figures) } }),
            groups: Dictionary(try await groupRows.map { ($0.scopeId, $0.figures) }, uniquingKeysWith: +))
        // Kept only if the rollups did not move while they were read.
        if try await reader.rollupVersion(policy: policy) == version { closedMonths.keep(figures, for: key) }
        return figures
    }

    /// `slaDashboardStats`.
    public func dashboard() async throws -> SLADashboardStats { try await monthSummary().dashboard }

    /// Error budgets of every service and group with an SLA, this calendar month.
    public func errorBudgets() async throws -> [SLAErrorBudget] {
        let month = try await currentMonth()
        var budgets: [SLAErrorBudget] = []
        for (name, result) in month.groups.sorted(by: { $0.key < $1.key }) where result.status != nil {
            budgets.append(SLAErrorBudget(scope: .group, scopeId: name, name: name, result: result))
        }
        for (service, result) in zip(month.inventory, month.results) {
            guard result.status != nil else { continue }
            budgets.append(
                SLAErrorBudget(
                    scope: .service, scopeId: service.id.stored, name: "\(service.nodeId)/\(service.name)",
                    result: result))
        }
        return budgets
    }
}

extension SLAPeriod {
    /// `t` moved by whole calendar months (UTC), clamped to the end of shorter months.
    public static func shift(_ t: Int64, months: Int) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return ms(calendar.date(byAdding: .month, value: months, to: date(t))!)
    }
}

/// Every service's and group's figures this calendar month.
public struct CurrentMonth: Sendable {
    /// The services the figures were computed over (as of the last change to anything but their
    /// status: read `status` elsewhere).
    public let inventory: [Service]
    /// `results[i]` is the figures of `inventory[i]` (none for `SLAEngine.monthSummary()`).
    public let results: [SLAPeriodResult]
    public let groups: [String: SLAPeriodResult]
    public let dashboard: SLADashboardStats

    /// The results by service id (empty for `SLAEngine.monthSummary()`).
    public var services: [UUID: SLAPeriodResult] {
        Dictionary(zip(inventory.map(\.id), results)) { first, _ in first }
    }
}

extension CoverageTimeline {
    /// The same timeline ending at `end`.
    func clipped(to end: Int64) -> CoverageTimeline {
        CoverageTimeline(
            from: from, to: min(to, end), before: before,
            segments: segments.compactMap {
                $0.start < end ? CoverageSegment(start: $0.start, end: min($0.end, end), coverage: $0.coverage) : nil
            })
    }
}
