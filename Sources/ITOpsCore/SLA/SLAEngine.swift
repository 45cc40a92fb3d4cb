import Foundation
import Synchronization

/// The SLA engine (SPEC §4): exclusion windows, availability over any period, rollups, error
/// budgets, burn-rate alerts and the daily report.
///
/// The math lives in `ServiceHistory`/`CoverageTimeline`; this type only gathers the history a
/// question needs — closed days from rollups, the open part from raw transitions — so the cost of
/// a question grows with what it reads, not with what is stored.
public struct SLAEngine: Sendable {
    public struct Settings: Sendable {
        public var unknownPolicy: UnknownPolicy = .exclude
        /// Cap of a window opened without `expectedEndAt`, and the furthest `expectedEndAt` a
        /// non-admin may set (default 24 h).
        public var maxExclusionWindow: TimeInterval = 86_400
        /// The furthest `expectedEndAt` an admin may set (default 7 days).
        public var maxPlannedExclusionWindow: TimeInterval = 7 * 86_400
        /// A day is rolled up this long after it ended, so writes stamped before midnight land first.
        public var rollupGrace: TimeInterval = 120
        /// Where the heavy questions (this month for the whole fleet) are computed: the server
        /// passes GraphQL's own threads, so that they never take the cores ingest runs on.
        public var computeExecutor: (any TaskExecutor)?
        public init() {}
    }

    public let store: any Store
    public let events: any EventBus
    public let clock: any WallClock
    public let settings: Settings
    /// The closed part of the current month, kept between questions.
    let closedMonths = ClosedMonthCache()
    /// This month's inputs in memory, kept current from the database's change feed.
    let live = SLALiveHistory()
    /// Concurrent questions about this month share a computation.
    public let currentMonths = FreshCoalescer<CurrentMonth>()
    /// The same for the summary (groups and dashboard, no result per service).
    public let monthSummaries = FreshCoalescer<CurrentMonth>()

    public init(store: any Store, events: any EventBus, clock: any WallClock, settings: Settings) {
        self.store = store
        self.events = events
        self.clock = clock
        self.settings = settings
    }

    var policy: UnknownPolicy { settings.unknownPolicy }
    var cap: TimeInterval { settings.maxExclusionWindow }
    var reader: any StoreReader { store.reader }

    // MARK: Definitions

    /// Inserts the default definition of every tier that has none.
    public func seedDefinitions() async throws {
        let now = clock.now()
        try await store.write { tx in
            let present = Set(try await tx.slaDefinitions().map(\.tier))
            for definition in SLADefinition.defaults(at: now) where !present.contains(definition.tier) {
                try await tx.upsert(definition)
            }
        }
    }

    /// The definition of every tier; defaults stand in for missing rows.
    public func definitions() async throws -> [Criticality: SLADefinition] {
        var byTier = Dictionary(uniqueKeysWithValues: SLADefinition.defaults(at: clock.now()).map { ($0.tier, $0) })
        for definition in try await reader.slaDefinitions() { byTier[definition.tier] = definition }
        return byTier
    }

    /// Changes the target of a tier; applies to every period evaluated from now on.
    public func updateDefinition(
        tier: Criticality, targetPercent: Double?, atRiskBudgetFraction: Double?, name: String?
    )
        async throws -> SLADefinition
    {
        var definition = try await definitions()[tier]!
        if let targetPercent { definition.targetPercent = targetPercent }
        if let atRiskBudgetFraction { definition.atRiskBudgetFraction = atRiskBudgetFraction }
        if let name {
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 100 else {
                throw ITOpsError.invalid("name: must be 1–100 characters")
            }
            definition.name = name
        }
        definition.updatedAt = clock.now()
        try definition.validate()
        let saved = definition
        try await store.write { tx in try await tx.upsert(saved) }
        return saved
    }
}

/// What an SLA question is about.
public enum SLAScope: Sendable, Equatable {
    case service(UUID)
    case group(String)
    /// Every service.
    case fleet
}

/// The figures and verdict of one period.
public struct SLAPeriodResult: Sendable, Equatable {
    /// `2026-04-20T01:05Z`, `2026-04-20` or `2026-04`.
    public var periodKey: String
    public var periodStart: Date
    public var periodEnd: Date
    public var figures: AvailabilityFigures
    /// The availability target, `nil` without an SLA.
    public var targetPercent: Double?
    /// `nil` without an SLA.
    public var status: SLAStatus?
    /// The error budget of the whole period in milliseconds, `nil` without an SLA.
    public var budgetMs: Int64?

    public var actualPercent: Double { figures.actualPercent }
}

/// The inventory as the SLA math needs it: services, their tiers, group members, definitions.
struct SLAInventory: Sendable {
    let services: [Service]
    let groups: [String: SLAGroup]
    let definitions: [Criticality: SLADefinition]
    /// The services of every existing SLA group, copied from `services` when asked (kept, the
    /// copies doubled the inventory's memory: 28 MB at 100,000 services).
    var membersByGroup: [String: [Service]] { memberIndices.mapValues { $0.map { services[$0] } } }
    /// The same members as indices into `services`.
    let memberIndices: [String: [Int]]

    init(services: [Service], groups: [String: SLAGroup], definitions: [Criticality: SLADefinition]) {
        self.services = services
        self.groups = groups
        self.definitions = definitions
        var indices: [String: [Int]] = [:]
        for (index, service) in services.enumerated() {
            guard let name = service.slaGroup, groups[name] != nil else { continue }
            indices[name, default: []].append(index)
        }
        memberIndices = indices
    }

    /// A service's tier: its SLA group's, else its criticality; `nil` without an SLA.
    func tier(of service: Service) -> Criticality? {
        if let name = service.slaGroup, let group = groups[name] { return group.tier }
        return service.criticality
    }

    func definition(of service: Service) -> SLADefinition? { tier(of: service).flatMap { definitions[$0] } }

    func members(of group: String) -> [Service] { services.filter { $0.slaGroup == group } }
}

extension SLAEngine {
    func inventory() async throws -> SLAInventory {
        async let services = reader.services(matching: ServiceFilter(), after: nil, limit: Int.max)
        async let groups = reader.slaGroups()
        async let definitions = definitions()
        return SLAInventory(
            services: try await services,
            groups: Dictionary(uniqueKeysWithValues: try await groups.map { ($0.name, $0) }),
            definitions: try await definitions)
    }

    /// Histories of `services` from `from` to now, from raw transitions: the status at `from` is the
    /// `from` of the first later transition, or the current status when none followed.
    func liveHistories(
        of services: [Service], from: Int64, transitions: [StatusTransition], windows: [ExclusionWindow]
    ) -> [UUID: ServiceHistory] {
        let changes = Dictionary(grouping: transitions, by: \.serviceId)
        let spans = Dictionary(grouping: windows, by: \.serviceId)
        var histories: [UUID: ServiceHistory] = [:]
        histories.reserveCapacity(services.count)
        for service in services {
            let own = changes[service.id] ?? []
            let initial = own.first.map { $0.from ?? .unknown } ?? service.status
            histories[service.id] = ServiceHistory(
                serviceId: service.id, createdAt: SLAPeriod.ms(service.createdAt), initialStatus: initial,
                changes: own.map { .init(at: SLAPeriod.ms($0.at), status: $0.to) },
                exclusions: (spans[service.id] ?? []).map { $0.span(cap: cap) })
        }
        return histories
    }

    /// Coverage of every service (and group) over `[from, now)`, read from raw history.
    func liveTimelines(of services: [Service], from: Int64, now: Int64) async throws
        -> [UUID: CoverageTimeline]
    {
        guard from < now else { return [:] }
        let all = services.count > 50
        let transitions: [StatusTransition]
        if all {
            transitions = try await reader.transitions(from: SLAPeriod.date(from), to: SLAPeriod.date(now + 1))
        } else {
            var collected: [StatusTransition] = []
            for service in services {
                collected += try await reader.transitions(serviceId: service.id, from: SLAPeriod.date(from))
            }
            transitions = collected
        }
        let windows = try await reader.exclusionWindows(from: SLAPeriod.date(from), to: SLAPeriod.date(now))
        let histories = liveHistories(of: services, from: from, transitions: transitions, windows: windows)
        return histories.mapValues { $0.timeline(from: from, to: now, policy: policy) }
    }

    /// The verdict of a period: budget over its whole length, the part still to come counted as
    /// eligible (SPEC §4: the error budget of the whole period).
    func result(
        key: String, start: Int64, end: Int64, now: Int64, figures: AvailabilityFigures,
        definition: SLADefinition?, scopeCount: Int = 1
    ) -> SLAPeriodResult {
        let remaining = max(0, end - max(now, start)) * Int64(scopeCount)
        let wholeEligible = figures.eligibleMs + remaining
        return SLAPeriodResult(
            periodKey: key, periodStart: SLAPeriod.date(start), periodEnd: SLAPeriod.date(end), figures: figures,
            targetPercent: definition?.targetPercent,
            status: definition.map {
                SLAStatus(downtimeMs: figures.downMs, periodEligibleMs: wholeEligible, definition: $0)
            },
            budgetMs: definition?.budgetMs(eligibleMs: wholeEligible))
    }
}

/// The month rollup rows of one month, per service and per group, as last read.
///
/// Month rows change only when a rollup rebuilds them, which moves the horizon or the rollup
/// generation (`SLAReader.rollupVersion`) in the same transaction; an entry read under the same
/// version is therefore exactly what the table holds, on every instance.
final class ClosedMonthCache: Sendable {
    struct Key: Hashable {
        var monthStart: Int64
        var policy: UnknownPolicy
        var version: SLARollupVersion
    }

    struct Figures: Sendable {
        var services: FiguresById
        var groups: [String: AvailabilityFigures]
    }

    /// Figures by service id in two sorted arrays, looked up by bisection: 64 bytes a service where a
    /// dictionary took 168 (its buckets, a power of two, three quarters full at most).
    struct FiguresById: Sendable {
        private var keys: [UUIDKey] = []
        private var values: [AvailabilityFigures] = []

        /// Figures of the same service are added up.
        init(_ rows: [(UUID, AvailabilityFigures)]) {
            let sorted = rows.map { (UUIDKey($0.0), $0.1) }.sorted { $0.0 < $1.0 }
            keys.reserveCapacity(sorted.count)
            values.reserveCapacity(sorted.count)
            for (key, figures) in sorted {
                if keys.last == key { values[values.count - 1] += figures } else {
                    keys.append(key)
                    values.append(figures)
                }
            }
        }

        var count: Int { keys.count }

        subscript(id: UUID) -> AvailabilityFigures? {
            let key = UUIDKey(id)
            var (low, high) = (0, keys.count)
            while low < high {
                let middle = (low + high) / 2
                if keys[middle] < key { low = middle + 1 } else { high = middle }
            }
            return low < keys.count && keys[low] == key ? values[low] : nil
        }
    }

    /// A UUID as two integers, to sort by.
    struct UUIDKey: Sendable, Comparable {
        var high: UInt64
        var low: UInt64
        init(_ id: UUID) {
            (high, low) = withUnsafeBytes(of: id.uuid) {
                (UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self)), UInt64(bigEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
            }
        }
        static func < (a: Self, b: Self) -> Bool { (a.high, a.low) < (b.high, b.low) }
    }

    private let entry = Mutex<(key: Key, figures: Figures)?>(nil)

    func figures(for key: Key) -> Figures? {
        entry.withLock { $0?.key == key ? $0?.figures : nil }
    }

    func keep(_ figures: Figures, for key: Key) { entry.withLock { $0 = (key, figures) } }

    /// The figures kept, whatever their key.
    var kept: Figures? { entry.withLock { $0?.figures } }
}
