import Foundation
import Testing

@testable import ITOpsCore

/// The SLA math against a brute-force reference that looks at every second on its own.
///
/// Every time in these histories is a whole second, so sampling each second is exact: if the
/// interval math and the per-second count ever disagree, one of them is wrong.
@Suite struct AvailabilityPropertyTests {
    /// A small deterministic generator (SplitMix64), so a failure names a seed that reproduces it.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(next() % UInt64(range.count))
        }
        mutating func pick<T>(_ values: [T]) -> T { values[int(0...(values.count - 1))] }
    }

    static let horizon = 4_000  // seconds of history per case

    static func randomHistory(_ g: inout Generator) -> ServiceHistory {
        let created = g.int(0...600)
        var changes: [ServiceHistory.StatusChange] = []
        var t = created
        // The first transition is the creation itself, as the ingest records it.
        changes.append(.init(at: Int64(t) * 1000, status: g.pick(ServiceStatus.allCases)))
        for _ in 0..<g.int(0...25) {
            t += g.int(0...300)
            guard t < horizon else { break }
            changes.append(.init(at: Int64(t) * 1000, status: g.pick(ServiceStatus.allCases)))
        }
        var exclusions: [ExcludedSpan] = []
        for _ in 0..<g.int(0...3) {
            let start = g.int(0...horizon)
            exclusions.append(.init(start: Int64(start) * 1000, end: Int64(start + g.int(1...900)) * 1000))
        }
        return ServiceHistory(
            serviceId: UUID(), createdAt: Int64(created) * 1000, initialStatus: .unknown, changes: changes,
            exclusions: exclusions)
    }

    /// The definition of SPEC §4, one second at a time.
    static func bruteForce(_ coverageAt: (Int64) -> Coverage, from: Int, to: Int) -> AvailabilityFigures {
        var figures = AvailabilityFigures()
        var previous = coverageAt(Int64(from - 1) * 1000)
        for second in from..<max(from, to) {
            let coverage = coverageAt(Int64(second) * 1000)
            switch coverage {
            case .absent: break
            case .excluded: figures.excludedMs += 1000
            case .unknown: figures.unknownMs += 1000
            case .unknownDown:
                figures.unknownMs += 1000
                figures.downMs += 1000
            case .down: figures.downMs += 1000
            case .degraded:
                figures.degradedMs += 1000
                figures.upMs += 1000
            case .up: figures.upMs += 1000
            }
            if coverage.isDown && !previous.isDown { figures.incidents += 1 }
            previous = coverage
        }
        return figures
    }

    /// Status at an instant straight from the definition: the last change at or before it.
    static func naiveCoverage(_ history: ServiceHistory, _ t: Int64, _ policy: UnknownPolicy) -> Coverage {
        if t < history.createdAt { return .absent }
        if history.exclusions.contains(where: { $0.start <= t && t < $0.end }) { return .excluded }
        let status = history.changes.last(where: { $0.at <= t })?.status ?? history.initialStatus
        return Coverage(status: status, policy: policy)
    }

    @Test(arguments: UnknownPolicy.allCases)
    func serviceFiguresMatchSecondBySecond(policy: UnknownPolicy) {
        var g = Generator(state: policy == .exclude ? 1 : 2)
        var mismatches = 0
        for _ in 0..<2_000 {
            let history = Self.randomHistory(&g)
            let from = g.int(0...(Self.horizon - 1))
            let to = g.int(from...Self.horizon)
            let timeline = history.timeline(from: Int64(from) * 1000, to: Int64(to) * 1000, policy: policy)
            let expected = Self.bruteForce({ Self.naiveCoverage(history, $0, policy) }, from: from, to: to)
            if timeline.figures() != expected { mismatches += 1 }
            // Sub-windows read from a wider timeline agree as well (what buckets do).
            let mid = g.int(from...to)
            if timeline.figures(from: Int64(mid) * 1000)
                != Self.bruteForce(
                    { Self.naiveCoverage(history, $0, policy) }, from: mid, to: to)
            {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }

    @Test(arguments: UnknownPolicy.allCases)
    func groupFiguresMatchSecondBySecond(policy: UnknownPolicy) {
        var g = Generator(state: policy == .exclude ? 3 : 4)
        var mismatches = 0
        for _ in 0..<600 {
            let members = (0..<g.int(1...5)).map { _ in Self.randomHistory(&g) }
            let from = g.int(0...(Self.horizon - 1))
            let to = g.int(from...Self.horizon)
            let timelines = members.map { $0.timeline(from: Int64(from) * 1000, to: Int64(to) * 1000, policy: policy) }
            let group = CoverageTimeline.group(timelines, from: Int64(from) * 1000, to: Int64(to) * 1000)
            let expected = Self.bruteForce(
                { t in
                    let states = members.map { Self.naiveCoverage($0, t, policy) }
                    // The group definition, spelled out: any member down → down; else any eligible
                    // member → up (degraded if one is); else unknown, excluded, absent.
                    if states.contains(.down) { return .down }
                    if states.contains(.unknownDown) { return .unknownDown }
                    if states.contains(.degraded) { return .degraded }
                    if states.contains(.up) { return .up }
                    if states.contains(.unknown) { return .unknown }
                    if states.contains(.excluded) { return .excluded }
                    return .absent
                }, from: from, to: to)
            if group.figures() != expected { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    /// A group built from members cut to a longer range, then clipped, equals one built over the
    /// range itself (the live month caches member timelines up to the month's end); a member that
    /// covers only part of the range is absent outside it.
    @Test func groupOfLongerMembersAndOfGaps() {
        var g = Generator(state: 9)
        for _ in 0..<300 {
            let members = (0..<g.int(1...6)).map { _ in Self.randomHistory(&g) }
            let from = Int64(g.int(0...(Self.horizon / 2))) * 1000
            let now = from + Int64(g.int(1...(Self.horizon / 2))) * 1000
            let end = Int64(Self.horizon) * 1000 + 5_000
            let exact = CoverageTimeline.group(
                members.map { $0.timeline(from: from, to: now, policy: .exclude) }, from: from, to: now)
            let long = CoverageTimeline.group(
                members.map { $0.timeline(from: from, to: end, policy: .exclude) }, from: from, to: end)
            #expect(long.figures(from: from, to: now) == exact.figures())
        }
        let partial = CoverageTimeline(
            from: 10, to: 20, before: .absent, segments: [CoverageSegment(start: 10, end: 20, coverage: .down)])
        let whole = CoverageTimeline(
            from: 0, to: 40, before: .absent, segments: [CoverageSegment(start: 0, end: 40, coverage: .excluded)])
        #expect(
            CoverageTimeline.group([partial, whole], from: 0, to: 40).segments == [
                CoverageSegment(start: 0, end: 10, coverage: .excluded),
                CoverageSegment(start: 10, end: 20, coverage: .down),
                CoverageSegment(start: 20, end: 40, coverage: .excluded),
            ])
    }

    /// Daily rollups are sums: figures of `[a, c)` equal those of `[a, b)` plus `[b, c)`.
    @Test func figuresAddUpAcrossAdjacentWindows() {
        var g = Generator(state: 5)
        var mismatches = 0
        for _ in 0..<2_000 {
            let history = Self.randomHistory(&g)
            let a = g.int(0...Self.horizon)
            let b = g.int(a...Self.horizon)
            let c = g.int(b...Self.horizon)
            let whole = history.timeline(from: Int64(a) * 1000, to: Int64(c) * 1000, policy: .exclude).figures()
            let left = history.timeline(from: Int64(a) * 1000, to: Int64(b) * 1000, policy: .exclude).figures()
            let right = history.timeline(from: Int64(b) * 1000, to: Int64(c) * 1000, policy: .exclude).figures()
            if whole != left + right { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func tenMinutesDownInsideAnExclusionWindowIsNoDowntime() {
        let minute: Int64 = 60_000
        let history = ServiceHistory(
            serviceId: UUID(), createdAt: 0, initialStatus: .operational,
            changes: [
                .init(at: 0, status: .operational), .init(at: 20 * minute, status: .down),
                .init(at: 30 * minute, status: .operational),
            ],
            exclusions: [ExcludedSpan(start: 15 * minute, end: 45 * minute)])
        let figures = history.timeline(from: 0, to: 60 * minute, policy: .exclude).figures()
        #expect(figures.downMs == 0)
        #expect(figures.incidents == 0)
        #expect(figures.excludedMs == 30 * minute)
        #expect(figures.actualPercent == 100)
    }

    @Test func statusFlipsAtTheBudgetFractions() {
        // 99.9 % over 1,000,000 ms eligible: a budget of 1,000 ms; at risk from 750 ms.
        let definition = SLADefinition(
            name: "high", tier: .high, targetPercent: 99.9, atRiskBudgetFraction: 0.75, updatedAt: Date())
        func status(_ down: Int64) -> SLAStatus {
            SLAStatus(downtimeMs: down, periodEligibleMs: 1_000_000, definition: definition)
        }
        #expect(status(0) == .met)
        #expect(status(749) == .met)
        #expect(status(750) == .atRisk)
        #expect(status(1_000) == .atRisk)
        #expect(status(1_001) == .breached)
    }

    @Test func periodKeysAreUTC() {
        let t = SLAPeriod.ms(ISO8601DateFormatter().date(from: "2026-04-20T01:07:31Z")!)
        #expect(SLAPeriod.bucketKey(SLAPeriod.bucketStart(t)) == "2026-04-20T01:05Z")
        #expect(SLAPeriod.dayKey(t) == "2026-04-20")
        #expect(SLAPeriod.monthKey(t) == "2026-04")
        #expect(SLAPeriod.dayKey(SLAPeriod.monthStart(t, offset: -4)) == "2025-12-01")
        #expect(SLAPeriod.parseDay("2026-02-30") == nil)
        #expect(SLAPeriod.parseDay("2026-02-28").map(SLAPeriod.dayKey) == "2026-02-28")
    }

    @Test func csvCellsCannotRunAsFormulas() {
        #expect(SLAReport.cell("=1+2") == "'=1+2")
        #expect(SLAReport.cell("@SUM(A1)") == "'@SUM(A1)")
        #expect(SLAReport.cell("-12.5") == "-12.5")
        #expect(SLAReport.cell("a,\"b\"") == "\"a,\"\"b\"\"\"")
    }
}
