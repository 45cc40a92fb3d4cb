import Foundation

/// One multi-window burn-rate rule (Google SRE workbook): it fires when both windows burn the
/// error budget at least `factor` times faster than the target allows.
public struct BurnRateRule: Sendable, Equatable {
    public var long: Int64
    public var short: Int64
    public var factor: Double
    public var name: String

    /// 1 h & 5 m at 14.4×, 6 h & 30 m at 6×, 1 d & 2 h at 3×, 3 d & 6 h at 1×.
    public static let standard: [BurnRateRule] = [
        BurnRateRule(long: 3_600_000, short: 300_000, factor: 14.4, name: "1h/5m"),
        BurnRateRule(long: 21_600_000, short: 1_800_000, factor: 6, name: "6h/30m"),
        BurnRateRule(long: 86_400_000, short: 7_200_000, factor: 3, name: "1d/2h"),
        BurnRateRule(long: 259_200_000, short: 21_600_000, factor: 1, name: "3d/6h"),
    ]

    /// The burn rate of `figures`: the share of eligible time that was down, over the share the
    /// target allows. No eligible time burns nothing — maintenance never burns budget.
    public static func burnRate(_ figures: AvailabilityFigures, definition: SLADefinition) -> Double {
        guard figures.eligibleMs > 0, definition.budgetPPM > 0 else { return 0 }
        return (Double(figures.downMs) / Double(figures.eligibleMs)) / (Double(definition.budgetPPM) / 1_000_000)
    }
}

extension SLAEngine {
    /// Evaluates every rule for every service and group with an SLA, raises an `sla:alert` once per
    /// episode when a rule starts firing and a cleared alert when it stops. Run once across
    /// instances. Returns the alerts published.
    @discardableResult
    public func evaluateBurnRates(rules: [BurnRateRule] = BurnRateRule.standard) async throws -> [Alert] {
        let nowDate = clock.now()
        // On the compute threads (GraphQL's, at nice 19 in the server), like the dashboards: at
        // 100,000 services a pass builds every service's timeline, and ingest comes first.
        let (inventory, firing) = try await withTaskExecutorPreference(settings.computeExecutor) {
            try await burnRates(rules: rules, at: nowDate)
        }
        let raised = Dictionary(try await reader.burnAlerts().map { ($0.key, $0) }, uniquingKeysWith: { $1 })
        let newAlerts = firing.filter { raised[$0.key] == nil }
        let recovered = raised.filter { firing[$0.key] == nil }
        guard !newAlerts.isEmpty || !recovered.isEmpty else { return [] }
        var published: [Alert] = newAlerts.keys.sorted(by: { $0.scopeId + $0.rule < $1.scopeId + $1.rule }).map {
            newAlerts[$0]!.0
        }
        let byId = recovered.isEmpty ? [:] : Dictionary(inventory.services.map { ($0.id.stored, $0) }) { $1 }
        for state in recovered.values.sorted(by: { $0.scopeId + $0.rule < $1.scopeId + $1.rule }) {
            let service = state.kind == .service ? byId[state.scopeId] : nil
            published.append(
                Alert(
                    kind: .slaBurnRateCleared, nodeId: service?.nodeId, serviceId: service?.id,
                    serviceName: service?.name,
                    message:
                        "\(state.kind == .group ? "SLA group \(state.scopeId)" : service.map { "\($0.nodeId)/\($0.name)" } ?? state.scopeId) recovered: \(state.rule) burn rate back under its threshold",
                    at: nowDate, slaGroup: state.kind == .group ? state.scopeId : service?.slaGroup, rule: state.rule))
        }
        try await store.write { tx in
            for state in newAlerts.keys {
                try await tx.raise(
                    BurnAlertState(kind: state.kind, scopeId: state.scopeId, rule: state.rule, raisedAt: nowDate))
            }
            for state in recovered.values { try await tx.clear(state) }
        }
        events.publish(published.map(DomainEvent.slaAlert))
        return published
    }

    /// The rules firing at `nowDate` for every service and group, keyed by alert identity, with the
    /// alert each would raise and its long-window burn rate. The windows come from the copy in
    /// memory (`SLALiveHistory`), or from the tables when `fromStore` (what tests check it against).
    /// `reading`, a seam for tests, runs while the pass reads the copy.
    func burnRates(
        rules: [BurnRateRule], at nowDate: Date, fromStore: Bool = false, reading: (() -> Void)? = nil
    ) async throws -> (
        inventory: SLAInventory, firing: [BurnAlertState: (Alert, Double)]
    ) {
        let now = SLAPeriod.ms(nowDate)
        let longest = rules.map(\.long).max() ?? 0
        // The copy keeps the standard rules' reach; a longer custom window reads the tables.
        if fromStore || longest > SLALiveHistory.burnRateReach {
            let inventory = try await self.inventory()
            let byId = try await liveTimelines(of: inventory.services, from: now - longest, now: now)
            return (
                inventory,
                Self.firing(rules: rules, inventory: inventory, now: now, at: nowDate) { byId[inventory.services[$0].id] }
            )
        }
        let version = try await reader.rollupVersion(policy: policy)
        let monthStart = SLAPeriod.monthStart(now)
        let (policy, cap) = (self.policy, self.cap)
        // A pass reads for half a second at 100,000 services: it reads a snapshot, so that the
        // dashboards asked meanwhile are not held up behind the copy's lock.
        let live = try await live.snapshot(
            reader: reader, engine: self, monthFrom: max(monthStart, version.horizon ?? monthStart), now: now)
        reading?()
        // Timelines are built group by group and dropped after it (`firing`), and only for
        // services the rules look at: a pass allocates one group's worth at a time.
        let firing = Self.firing(rules: rules, inventory: live.inventory, now: now, at: nowDate) { place in
            guard longest > 0, live.matters(place) else { return nil }
            return live.history(at: place, from: now - longest, now: now, cap: cap)
                .timeline(from: now - longest, to: now, policy: policy)
        }
        return (live.inventory, firing)
    }

    /// The rules firing for every service with an SLA and every group, from each service's timeline
    /// over the longest window (`timeline(place)`, `nil` for none), asked for once per service.
    private static func firing(
        rules: [BurnRateRule], inventory: SLAInventory, now: Int64, at nowDate: Date,
        timeline: (Int) -> CoverageTimeline?
    ) -> [BurnAlertState: (Alert, Double)] {
        let longest = rules.map(\.long).max() ?? 0
        var firing: [BurnAlertState: (Alert, Double)] = [:]
        func evaluate(
            _ timeline: CoverageTimeline, definition: SLADefinition, kind: SLAScopeKind, id: @autoclosure () -> String,
            describe: (BurnRateRule, Double) -> Alert
        ) {
            for rule in rules {
                let long = BurnRateRule.burnRate(timeline.figures(from: now - rule.long), definition: definition)
                guard long >= rule.factor else { continue }
                let short = BurnRateRule.burnRate(timeline.figures(from: now - rule.short), definition: definition)
                guard short >= rule.factor else { continue }
                let state = BurnAlertState(kind: kind, scopeId: id(), rule: rule.name, raisedAt: nowDate)
                firing[state.key] = (describe(rule, long), long)
            }
        }
        func evaluate(service place: Int, _ timeline: CoverageTimeline?) {
            let service = inventory.services[place]
            guard let definition = inventory.definition(of: service), let timeline else { return }
            evaluate(timeline, definition: definition, kind: .service, id: service.id.stored) { rule, rate in
                Alert(
                    kind: .slaBurnRate, nodeId: service.nodeId, serviceId: service.id, serviceName: service.name,
                    message:
                        "\(service.nodeId)/\(service.name) burns its error budget \(Self.times(rate)) too fast (\(rule.name) windows, threshold \(Self.times(rule.factor)))",
                    at: nowDate, slaGroup: service.slaGroup, rule: rule.name, burnRate: rate)
            }
        }
        var inGroup = [Bool](repeating: false, count: inventory.services.count)
        for (name, members) in inventory.memberIndices {
            var memberTimelines: [CoverageTimeline] = []
            memberTimelines.reserveCapacity(members.count)
            for place in members {
                inGroup[place] = true
                let made = timeline(place)
                evaluate(service: place, made)
                if let made { memberTimelines.append(made) }
            }
            guard let group = inventory.groups[name], let definition = inventory.definitions[group.tier],
                !memberTimelines.isEmpty
            else { continue }
            let combined = CoverageTimeline.group(memberTimelines, from: now - longest, to: now)
            evaluate(combined, definition: definition, kind: .group, id: name) { rule, rate in
                Alert(
                    kind: .slaBurnRate, nodeId: nil, serviceId: nil, serviceName: nil,
                    message:
                        "SLA group \(name) burns its error budget \(Self.times(rate)) too fast (\(rule.name) windows, threshold \(Self.times(rule.factor)))",
                    at: nowDate, slaGroup: name, rule: rule.name, burnRate: rate)
            }
        }
        for place in inventory.services.indices where !inGroup[place] && inventory.definition(of: inventory.services[place]) != nil {
            evaluate(service: place, timeline(place))
        }
        return firing
    }
}

extension SLAEngine {
    /// `14.4×`.
    static func times(_ value: Double) -> String { "\((value * 10).rounded() / 10)×" }
}

extension BurnAlertState {
    /// The identity of an alert, without the time it was raised.
    var key: BurnAlertState {
        BurnAlertState(kind: kind, scopeId: scopeId, rule: rule, raisedAt: Date(timeIntervalSince1970: 0))
    }
}
