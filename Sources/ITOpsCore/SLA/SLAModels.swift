import Foundation

/// A maintenance window: time in it is excluded from SLA math (SPEC §4).
public struct ExclusionWindow: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var serviceId: UUID
    public var reason: String?
    public var startedAt: Date
    public var expectedEndAt: Date?
    /// When `stop` was called, or when the window closed by itself (filled in by the SLA job).
    public var endedAt: Date?
    /// Who opened it: the API key name or user email.
    public var startedBy: String?

    public init(
        id: UUID = UUID.random(), serviceId: UUID, reason: String?, startedAt: Date, expectedEndAt: Date?,
        endedAt: Date? = nil, startedBy: String? = nil
    ) {
        self.id = id
        self.serviceId = serviceId
        self.reason = reason
        self.startedAt = startedAt
        self.expectedEndAt = expectedEndAt
        self.endedAt = endedAt
        self.startedBy = startedBy
    }

    /// When the window ends: at `stop`, else at `expectedEndAt`, else after `cap` — a forgotten
    /// window must not hide downtime for ever.
    public func effectiveEnd(cap: TimeInterval) -> Date {
        if let endedAt { return endedAt }
        return expectedEndAt ?? startedAt.addingTimeInterval(cap)
    }

    public func isActive(at now: Date, cap: TimeInterval) -> Bool {
        startedAt <= now && now < effectiveEnd(cap: cap)
    }

    public func span(cap: TimeInterval) -> ExcludedSpan {
        ExcludedSpan(start: SLAPeriod.ms(startedAt), end: SLAPeriod.ms(effectiveEnd(cap: cap)))
    }
}

/// What a rollup row summarises.
public enum SLAScopeKind: String, Sendable, Codable, CaseIterable {
    case service
    case group
    /// Every service of one tier (`critical` … `low`, or `none` without an SLA): the fleet is their sum.
    case tier
}

/// The tier name of services without an SLA in tier rollups.
public let noSLATier = "none"

/// One closed day (or the closed days of a month) of one scope, under one `UNKNOWN` policy.
public struct SLARollup: Sendable, Equatable {
    public var kind: SLAScopeKind
    public var scopeId: String
    /// Start of the UTC day (or month) in epoch milliseconds.
    public var periodStart: Int64
    public var monthly: Bool
    public var policy: UnknownPolicy
    public var figures: AvailabilityFigures
    /// For service days: the status at the end of the day (where the next day starts) and the
    /// tier the day counted under.
    public var endStatus: ServiceStatus?
    public var tier: String?

    public init(
        kind: SLAScopeKind, scopeId: String, periodStart: Int64, monthly: Bool = false, policy: UnknownPolicy,
        figures: AvailabilityFigures, endStatus: ServiceStatus? = nil, tier: String? = nil
    ) {
        self.kind = kind
        self.scopeId = scopeId
        self.periodStart = periodStart
        self.monthly = monthly
        self.policy = policy
        self.figures = figures
        self.endStatus = endStatus
        self.tier = tier
    }
}

/// A stored daily SLA report: the document as generated (JSON), replaced when regenerated.
public struct SLAReportRecord: Sendable, Equatable {
    /// `YYYY-MM-DD`, the UTC day reported on.
    public var date: String
    public var generatedAt: Date
    public var document: String

    public init(date: String, generatedAt: Date, document: String) {
        self.date = date
        self.generatedAt = generatedAt
        self.document = document
    }
}

/// A burn-rate alert that is raised, kept so that it is raised once per episode and cleared once.
public struct BurnAlertState: Sendable, Equatable, Hashable {
    public var kind: SLAScopeKind
    public var scopeId: String
    /// The rule, e.g. `1h/5m`.
    public var rule: String
    public var raisedAt: Date

    public init(kind: SLAScopeKind, scopeId: String, rule: String, raisedAt: Date) {
        self.kind = kind
        self.scopeId = scopeId
        self.rule = rule
        self.raisedAt = raisedAt
    }
}

/// Read access to what the SLA engine keeps.
public protocol SLAReader: Sendable {
    func slaDefinitions() async throws -> [SLADefinition]
    func exclusionWindows(serviceId: UUID) async throws -> [ExclusionWindow]
    /// Windows of any service that started before `to` and were not stopped before `from`.
    func exclusionWindows(from: Date, to: Date) async throws -> [ExclusionWindow]
    /// The most recent windows first.
    func recentExclusionWindows(limit: Int) async throws -> [ExclusionWindow]
    /// Transitions of every service with `from <= at < to`, in time order.
    func transitions(from: Date, to: Date) async throws -> [StatusTransition]
    /// Transitions of one service with `at >= from`, in time order.
    func transitions(serviceId: UUID, from: Date) async throws -> [StatusTransition]
    /// The status of a service before `at`: the last transition before it.
    func lastTransition(serviceId: UUID, before at: Date) async throws -> StatusTransition?
    /// Incidents opened before `to` and not closed before `from`, most recent first.
    func incidents(from: Date, to: Date, limit: Int) async throws -> [Incident]
    /// Rollups of one kind (and scope, when given), day or month rows with `from <= start < to`.
    func rollups(
        kind: SLAScopeKind, scopeId: String?, monthly: Bool, from: Int64, to: Int64, policy: UnknownPolicy
    ) async throws -> [SLARollup]
    /// The start of the first day not yet rolled up under `policy`; `nil` before the first rollup.
    func rollupHorizon(policy: UnknownPolicy) async throws -> Int64?
    /// The horizon and how many times month rollups were rebuilt: when neither moved, the month
    /// rollup rows are what they were.
    func rollupVersion(policy: UnknownPolicy) async throws -> SLARollupVersion
    /// Days marked for recomputation because data arrived after they were closed.
    func dirtyRollupDays(limit: Int) async throws -> [(serviceId: UUID, day: Int64)]
    func slaReports(limit: Int) async throws -> [SLAReportRecord]
    func slaReport(date: String) async throws -> SLAReportRecord?
    func burnAlerts() async throws -> [BurnAlertState]

    // The change feed the live month reads (docs/sla.md, "The live month in memory").

    /// Bumped in the transaction of every change to what the SLA math reads besides statuses:
    /// services' identity, group and tier, SLA groups, definitions, exclusion windows.
    func slaInputsVersion() async throws -> Int64
    /// A place in the transition feed: `transitionFeed(after:)` returns every transition written
    /// (or rewritten) after it.
    func transitionFeedCursor() async throws -> SLAFeedCursor
    /// Transitions with `at >= from` (epoch ms) and their place in the feed, in time order.
    func sequencedTransitions(from: Int64) async throws -> [SequencedTransition]
    /// Transitions written since `cursor`, and the cursor to ask from next. On PostgreSQL, where
    /// transactions commit out of sequence order, a transition may come twice; apply by `seq`.
    func transitionFeed(after cursor: SLAFeedCursor) async throws -> (
        transitions: [SequencedTransition], next: SLAFeedCursor
    )
}

/// A place in the transition feed: the last sequence read on SQLite (one writer commits in
/// order), the oldest transaction still running at the last read on PostgreSQL.
public struct SLAFeedCursor: Sendable, Equatable {
    public var position: Int64
    public init(position: Int64) { self.position = position }
}

/// A transition and its place in the feed: a rewritten transition (same `id`) comes back with a
/// higher `seq`.
public struct SequencedTransition: Sendable, Equatable {
    public var seq: Int64
    public var transition: StatusTransition
    public init(seq: Int64, transition: StatusTransition) {
        self.seq = seq
        self.transition = transition
    }
}

/// Write access of the SLA engine, inside a transaction.
public protocol SLAWriter: SLAReader {
    func upsert(_ definition: SLADefinition) async throws
    func insert(_ window: ExclusionWindow) async throws
    func update(_ window: ExclusionWindow) async throws
    /// Creates or replaces rows (same kind, scope, period and policy).
    func save(_ rollups: [SLARollup]) async throws
    /// Rebuilds the month rows of `monthStart` from its day rows, for every scope, under `policy`.
    func rebuildMonthRollups(monthStart: Int64, nextMonthStart: Int64, policy: UnknownPolicy) async throws
    /// Rebuilds the tier rows of `day` from its service rows, under `policy`.
    func rebuildTierRollups(day: Int64, policy: UnknownPolicy) async throws
    func setRollupHorizon(_ day: Int64, policy: UnknownPolicy) async throws
    func markRollupDirty(serviceId: UUID, day: Int64) async throws
    func clearRollupDirty(serviceId: UUID, day: Int64) async throws
    func save(_ report: SLAReportRecord) async throws
    func raise(_ alert: BurnAlertState) async throws
    func clear(_ alert: BurnAlertState) async throws
}

/// Where the rollups stand: `SLAReader.rollupVersion(policy:)`.
public struct SLARollupVersion: Sendable, Equatable, Hashable {
    public var horizon: Int64?
    public var generation: Int64

    public init(horizon: Int64?, generation: Int64) {
        self.horizon = horizon
        self.generation = generation
    }
}
