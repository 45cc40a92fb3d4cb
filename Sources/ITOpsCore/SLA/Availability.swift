import Foundation

/// How one instant counts for availability (SPEC §4). Times are epoch milliseconds throughout the
/// SLA math, so that sums are exact.
public enum Coverage: UInt8, Sendable, Equatable, CaseIterable {
    /// The service did not exist yet.
    case absent
    /// Inside an exclusion window or in `MAINTENANCE`: never eligible, never downtime.
    case excluded
    /// `UNKNOWN` under the `exclude` policy: reported, not eligible.
    case unknown
    /// `UNKNOWN` under the `down` policy: reported as unknown and counted as downtime.
    case unknownDown
    case down
    /// Up, and reported as degraded minutes.
    case degraded
    case up

    /// Counts as downtime.
    public var isDown: Bool { self == .down || self == .unknownDown }
    /// Counts towards eligible time.
    public var isEligible: Bool {
        switch self {
        case .up, .degraded, .down, .unknownDown: true
        case .absent, .excluded, .unknown: false
        }
    }

    /// How a service in `status` counts, outside exclusion windows.
    public init(status: ServiceStatus, policy: UnknownPolicy) {
        switch status {
        case .operational: self = .up
        case .degraded: self = .degraded
        case .down: self = .down
        case .maintenance: self = .excluded
        case .unknown: self = policy == .down ? .unknownDown : .unknown
        }
    }
}

/// A half-open interval `[start, end)` with one coverage.
public struct CoverageSegment: Sendable, Equatable {
    public var start: Int64
    public var end: Int64
    public var coverage: Coverage

    public init(start: Int64, end: Int64, coverage: Coverage) {
        self.start = start
        self.end = end
        self.coverage = coverage
    }
}

/// The coverage of `[from, to)` as adjacent segments, plus the coverage just before `from`, which
/// decides whether a downtime at `from` is a new incident or the continuation of one.
public struct CoverageTimeline: Sendable, Equatable {
    public var from: Int64
    public var to: Int64
    public var before: Coverage
    public var segments: [CoverageSegment]

    public init(from: Int64, to: Int64, before: Coverage, segments: [CoverageSegment]) {
        self.from = from
        self.to = to
        self.before = before
        self.segments = segments
    }

    /// The figures of the sub-window `[start, end)` (clamped to this timeline).
    public func figures(from start: Int64? = nil, to end: Int64? = nil) -> AvailabilityFigures {
        let lower = max(start ?? from, from)
        let upper = min(end ?? to, to)
        var figures = AvailabilityFigures()
        guard lower < upper else { return figures }
        var previous = before
        for segment in segments {
            defer { previous = segment.coverage }
            guard segment.end > lower else { continue }
            guard segment.start < upper else { break }
            let length = min(segment.end, upper) - max(segment.start, lower)
            figures.add(segment.coverage, milliseconds: length)
            // An incident belongs to the window holding its first instant.
            if segment.coverage.isDown, !previous.isDown, segment.start >= lower {
                figures.incidents += 1
            }
        }
        return figures
    }
}

/// Availability over a window, by category, in milliseconds.
public struct AvailabilityFigures: Sendable, Equatable, Codable {
    public var upMs: Int64 = 0
    public var degradedMs: Int64 = 0
    /// Downtime: `DOWN`, plus `UNKNOWN` under the `down` policy.
    public var downMs: Int64 = 0
    /// All `UNKNOWN` time, whatever the policy.
    public var unknownMs: Int64 = 0
    /// Exclusion windows and `MAINTENANCE`.
    public var excludedMs: Int64 = 0
    /// Downtime episodes that started in the window.
    public var incidents: Int = 0

    public init() {}

    public init(upMs: Int64, degradedMs: Int64, downMs: Int64, unknownMs: Int64, excludedMs: Int64, incidents: Int) {
        self.upMs = upMs
        self.degradedMs = degradedMs
        self.downMs = downMs
        self.unknownMs = unknownMs
        self.excludedMs = excludedMs
        self.incidents = incidents
    }

    /// Eligible time: up (degraded included) plus downtime.
    public var eligibleMs: Int64 { upMs + degradedMs + downMs }

    /// `100 × (1 − downtime / eligible)`; 100 without eligible time.
    public var actualPercent: Double {
        eligibleMs == 0 ? 100 : 100 * (1 - Double(downMs) / Double(eligibleMs))
    }

    mutating func add(_ coverage: Coverage, milliseconds: Int64) {
        switch coverage {
        case .absent: break
        case .excluded: excludedMs += milliseconds
        case .unknown: unknownMs += milliseconds
        case .unknownDown:
            unknownMs += milliseconds
            downMs += milliseconds
        case .down: downMs += milliseconds
        case .degraded:
            // Degraded counts as up and is reported on its own.
            upMs += milliseconds
            degradedMs += milliseconds
        case .up: upMs += milliseconds
        }
    }

    public static func + (lhs: Self, rhs: Self) -> Self {
        AvailabilityFigures(
            upMs: lhs.upMs + rhs.upMs, degradedMs: lhs.degradedMs + rhs.degradedMs, downMs: lhs.downMs + rhs.downMs,
            unknownMs: lhs.unknownMs + rhs.unknownMs, excludedMs: lhs.excludedMs + rhs.excludedMs,
            incidents: lhs.incidents + rhs.incidents)
    }

    public static func += (lhs: inout Self, rhs: Self) { lhs = lhs + rhs }
}

/// A half-open exclusion interval `[start, end)` in epoch milliseconds.
public struct ExcludedSpan: Sendable, Equatable {
    public var start: Int64
    public var end: Int64
    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }
}

/// What the SLA math needs to know of one service: when it appeared, how its status changed and
/// when it was excluded.
public struct ServiceHistory: Sendable, Equatable {
    public var serviceId: UUID
    public var createdAt: Int64
    /// The status in force before the first change in `changes` (when the history is partial).
    public var initialStatus: ServiceStatus
    /// Status changes in time order (equal times: the later one wins).
    public var changes: [StatusChange]
    public var exclusions: [ExcludedSpan]

    public struct StatusChange: Sendable, Equatable {
        public var at: Int64
        public var status: ServiceStatus
        public init(at: Int64, status: ServiceStatus) {
            self.at = at
            self.status = status
        }
    }

    public init(
        serviceId: UUID, createdAt: Int64, initialStatus: ServiceStatus, changes: [StatusChange],
        exclusions: [ExcludedSpan]
    ) {
        self.serviceId = serviceId
        self.createdAt = createdAt
        self.initialStatus = initialStatus
        self.changes = changes
        self.exclusions = exclusions
    }

    /// The coverage at the instant `t`.
    public func coverage(at t: Int64, policy: UnknownPolicy) -> Coverage {
        guard t >= createdAt else { return .absent }
        if exclusions.contains(where: { $0.start <= t && t < $0.end }) { return .excluded }
        var status = initialStatus
        for change in changes {
            guard change.at <= t else { break }
            status = change.status
        }
        return Coverage(status: status, policy: policy)
    }

    /// The coverage of `[from, to)`. Cost grows with the changes and exclusions given, not with
    /// the length of the window.
    public func timeline(from: Int64, to: Int64, policy: UnknownPolicy) -> CoverageTimeline {
        let before = coverage(at: from - 1, policy: policy)
        guard from < to else { return CoverageTimeline(from: from, to: to, before: before, segments: []) }
        // Every instant where the coverage may change, inside the window.
        var cuts: [Int64] = [from, to]
        if createdAt > from, createdAt < to { cuts.append(createdAt) }
        for change in changes where change.at > from && change.at < to { cuts.append(change.at) }
        for span in exclusions {
            if span.start > from, span.start < to { cuts.append(span.start) }
            if span.end > from, span.end < to { cuts.append(span.end) }
        }
        cuts.sort()
        var status = initialStatus
        var next = changes.startIndex
        var segments: [CoverageSegment] = []
        var index = 0
        while index < cuts.count - 1 {
            let start = cuts[index]
            let end = cuts[index + 1]
            index += 1
            guard start < end else { continue }
            while next < changes.endIndex, changes[next].at <= start {
                status = changes[next].status
                next += 1
            }
            let coverage: Coverage =
                if start < createdAt {
                    .absent
                } else if exclusions.contains(where: { $0.start <= start && start < $0.end }) {
                    .excluded
                } else {
                    Coverage(status: status, policy: policy)
                }
            if let last = segments.last, last.coverage == coverage, last.end == start {
                segments[segments.count - 1].end = end
            } else {
                segments.append(CoverageSegment(start: start, end: end, coverage: coverage))
            }
        }
        return CoverageTimeline(from: from, to: to, before: before, segments: segments)
    }
}

extension CoverageTimeline {
    /// The coverage of an SLA group from its members' (SPEC §4): down whenever any member counts
    /// as down, up (degraded if any eligible member is degraded) while any member is eligible,
    /// otherwise unknown, excluded or absent as its members are.
    ///
    /// One sweep over the members' segment boundaries in time order, keeping how many members are
    /// in each coverage: the cost grows with the segments, not with segments × members.
    public static func group(_ members: [CoverageTimeline], from: Int64, to: Int64) -> CoverageTimeline {
        let before = combine(members.map(\.before))
        guard from < to else { return CoverageTimeline(from: from, to: to, before: before, segments: []) }
        var counts = [Int](repeating: 0, count: Coverage.allCases.count)
        // When a member leaves one coverage for another.
        var moves: [(at: Int64, leave: Coverage, enter: Coverage)] = []
        for member in members {
            let first = member.segments.first { $0.end > from }
            var state = first.map { $0.start <= from && $0.start < to ? $0.coverage : .absent } ?? .absent
            counts[Int(state.rawValue)] += 1
            var end: Int64?
            for segment in member.segments {
                guard segment.end > from else { continue }
                guard segment.start < to else { break }
                // The segment at `from` was counted above; later ones are moves.
                if segment.start > from {
                    if let end, end < segment.start {
                        moves.append((end, state, .absent))
                        state = .absent
                    }
                    moves.append((segment.start, state, segment.coverage))
                    state = segment.coverage
                }
                end = segment.end
            }
            if let end, end < to { moves.append((end, state, .absent)) }
        }
        moves.sort { $0.at < $1.at }
        var segments: [CoverageSegment] = []
        func emit(_ start: Int64, _ end: Int64, _ coverage: Coverage) {
            guard start < end else { return }
            if let last = segments.last, last.coverage == coverage, last.end == start {
                segments[segments.count - 1].end = end
            } else {
                segments.append(CoverageSegment(start: start, end: end, coverage: coverage))
            }
        }
        var start = from
        var index = moves.startIndex
        while index < moves.endIndex {
            let at = moves[index].at
            emit(start, at, combine(counts: counts))
            while index < moves.endIndex, moves[index].at == at {
                counts[Int(moves[index].leave.rawValue)] -= 1
                counts[Int(moves[index].enter.rawValue)] += 1
                index += 1
            }
            start = at
        }
        emit(start, to, combine(counts: counts))
        return CoverageTimeline(from: from, to: to, before: before, segments: segments)
    }

    /// One instant of a group from how many members are in each coverage.
    static func combine(counts: [Int]) -> Coverage {
        for candidate in precedence where counts[Int(candidate.rawValue)] > 0 { return candidate }
        return .absent
    }

    private static let precedence: [Coverage] = [.down, .unknownDown, .degraded, .up, .unknown, .excluded]

    /// One instant of a group from its members' coverage at that instant.
    public static func combine(_ members: [Coverage]) -> Coverage {
        var seen: UInt8 = 0
        for member in members { seen |= 1 << member.rawValue }
        for candidate in precedence where seen & (1 << candidate.rawValue) != 0 {
            return candidate
        }
        return .absent
    }
}
