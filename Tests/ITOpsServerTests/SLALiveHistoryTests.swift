import Foundation
@testable import ITOpsCore
import ITOpsGraphQL
import ITOpsServer
import Synchronization
import Testing

/// The SLA engine answers questions about now from a copy of its inputs kept in memory and brought
/// up to date from the database's change feed (issue 19). After any history — pushes, reports
/// placed into the past, windows, services joining and leaving groups, days rolled up, time
/// passing — its answers must equal those computed from the tables alone.
@Suite("SLA engine: the live month in memory")
struct SLALiveHistoryTests {
    private static let statuses = ["OPERATIONAL", "DEGRADED", "DOWN", "OPERATIONAL", "MAINTENANCE", "UNKNOWN"]
    private static let groups = ["payments", "search", "edge"]

    private func push(
        _ client: Client, _ service: String, _ status: String, group: String? = nil, criticality: String? = nil,
        observed: Date? = nil
    ) async throws {
        var fields = "\"service\": \"\(service)\", \"nodeId\": \"org/prod\", \"status\": \"\(status)\""
        if let group { fields += ", \"slaGroup\": \"\(group)\"" }
        if let criticality { fields += ", \"criticality\": \"\(criticality)\"" }
        if let observed { fields += ", \"observedAt\": \"\(ISO8601.format(observed))\"" }
        let answer = try await client.post("/api/v1/health/report", "{\(fields)}")
        #expect(answer.status == .ok, "\(answer.text)")
    }

    /// The month and the burn rates from memory equal those from the tables.
    private func expectSame(_ engine: SLAEngine, _ label: String) async throws {
        let live = try await engine.currentMonth()
        let tables = try await engine.computeCurrentMonthFromStore()
        #expect(live.services == tables.services, "\(label): services")
        #expect(live.groups == tables.groups, "\(label): groups")
        #expect(live.dashboard == tables.dashboard, "\(label): dashboard")
        let summary = try await engine.monthSummary()
        #expect(summary.groups == tables.groups && summary.dashboard == tables.dashboard, "\(label): summary")
        let now = engine.clock.now()
        let burning = try await engine.burnRates(rules: BurnRateRule.standard, at: now)
        let burningFromTables = try await engine.burnRates(rules: BurnRateRule.standard, at: now, fromStore: true)
        #expect(
            burning.firing.mapValues { $0.1 } == burningFromTables.firing.mapValues { $0.1 }, "\(label): burn rates")
    }

    @Test("after random histories the month and the burn rates from memory equal the tables'", arguments: TestBackend.all)
    func randomHistories(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend) { $0.lateDataHorizon = 6 * 86_400 }
        let engine = app.runtime.sla
        try await app.run { (client: Client) async throws in
            var random = SystemRandomNumberGenerator()
            var names = (0..<6).map { "svc\($0)" }
            for name in names { try await push(client, name, "OPERATIONAL", group: Self.groups.randomElement()) }
            // Without an SLA and outside every group until a step gives them one: the summary and
            // the burn-rate pass skip them, the per-service month does not.
            for name in ["plain0", "plain1"] {
                try await push(client, name, "OPERATIONAL")
                names.append(name)
            }
            try await expectSame(engine, "at the start")
            for step in 0..<60 {
                let name = names.randomElement(using: &random)!
                switch Int.random(in: 0..<100, using: &random) {
                case 0..<45:
                    try await push(client, name, Self.statuses.randomElement(using: &random)!)
                case 45..<60:
                    // A report observed earlier: placed into history (or, after the latest change, ordinary).
                    let back = Double.random(in: 60...(5 * 86_400), using: &random)
                    try await push(
                        client, name, Self.statuses.randomElement(using: &random)!,
                        observed: app.clock.now().addingTimeInterval(-back))
                case 60..<68:
                    try await push(
                        client, name, Self.statuses.randomElement(using: &random)!,
                        group: Self.groups.randomElement(using: &random)!,
                        criticality: ["critical", "high", "low"].randomElement(using: &random)!)
                case 68..<74:
                    let end = Bool.random(using: &random) ? app.clock.now().addingTimeInterval(1_800) : nil
                    _ = try? await engine.startExclusionWindow(
                        .init(service: name, nodeId: "org/prod", reason: "step \(step)", expectedEndAt: end.map(ISO8601.format)),
                        by: "test", byAdmin: true)
                case 74..<80:
                    _ = try? await engine.stopExclusionWindow(.init(service: name, nodeId: "org/prod"))
                case 80..<85:
                    let fresh = "new\(step)"
                    names.append(fresh)
                    try await push(client, fresh, Self.statuses.randomElement(using: &random)!, group: "payments")
                case 85..<90:
                    _ = try await engine.rollUp()
                default:
                    _ = try await engine.updateDefinition(
                        tier: .critical, targetPercent: [99.9, 99.5, 99.0].randomElement(using: &random)!,
                        atRiskBudgetFraction: nil, name: nil)
                }
                app.clock.advance(by: Double.random(in: 1...(6 * 3_600), using: &random))
                if step % 3 == 0 { try await expectSame(engine, "step \(step)") }
            }
            try await expectSame(engine, "at the end")
        }
    }

    @Test("status changes reach the copy through the feed; a new group reloads it", arguments: TestBackend.all)
    func incremental(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let engine = app.runtime.sla
        try await app.run { (client: Client) async throws in
            for name in ["a", "b", "c"] { try await push(client, name, "OPERATIONAL", group: "payments") }
            app.clock.advance(by: 3_600)
            _ = try await engine.currentMonth()
            let loaded = engine.live.reloads
            // Flips are transitions: read from the feed, no reload, and the figures follow them.
            for status in ["DOWN", "OPERATIONAL", "DEGRADED"] {
                try await push(client, "a", status)
                app.clock.advance(by: 600)
                try await expectSame(engine, "after \(status)")
            }
            #expect(engine.live.reloads == loaded)
            let down = try await engine.currentMonth().groups["payments"]?.figures.downMs
            #expect(down == 600_000)
            // A service moving to another group changes what the copy was built from: it reloads.
            try await push(client, "b", "OPERATIONAL", group: "search")
            try await expectSame(engine, "after a group change")
            #expect(engine.live.reloads == loaded + 1)
        }
    }

    @Test("a late ordinary report before the copy's reach, and a relinked transition, reach the copy", arguments: TestBackend.all)
    func lateReports(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend) { $0.lateDataHorizon = 6 * 86_400 }
        let engine = app.runtime.sla
        try await app.run { (client: Client) async throws in
            for name in ["x", "quiet"] { try await push(client, name, "OPERATIONAL", group: "payments") }
            app.clock.advance(by: 5 * 86_400 + 3_600)  // 2026-04-25T01:00Z
            try await push(client, "x", "DOWN")
            app.clock.advance(by: 3_600)
            _ = try await engine.rollUp()  // the month's open part now starts at 2026-04-25T00:00Z
            _ = try await engine.currentMonth()
            let loaded = engine.live.reloads
            // Observed after quiet's latest change (its creation) but before what the copy holds
            // (four days back): an ordinary report that changes the current status all the same.
            try await push(client, "quiet", "DOWN", observed: TestApp.start.addingTimeInterval(12 * 3_600))
            // Observed before x's latest change: placed into history; x's DOWN now starts from DEGRADED.
            try await push(client, "x", "DEGRADED", observed: TestApp.start.addingTimeInterval(5 * 86_400 - 3_600))
            try await expectSame(engine, "after the late reports")
            #expect(engine.live.reloads == loaded)
            let month = try await engine.currentMonth()
            let x = try #require(month.inventory.first { $0.name == "x" })
            #expect(month.services[x.id]?.figures.degradedMs ?? 0 >= 3_600_000)
        }
    }

    @Test("slaDashboardStats and slaGroups in one operation share one computation")
    func oneComputationPerOperation() async throws {
        let app = try await TestApp.make()
        let engine = app.runtime.sla
        try await app.run { (client: Client) async throws in
            try await push(client, "a", "OPERATIONAL", group: "payments", criticality: "critical")
            let before = engine.monthSummaries.computations
            let response = try await client.graphQL(
                "{ slaGroups { name status currentUptime } slaDashboardStats { totalServices servicesWithSla } }",
                token: operatorKey)
            #expect((response.data?["slaDashboardStats"] as? [String: Any])?["servicesWithSla"] as? Int == 1)
            #expect((response.data?["slaGroups"] as? [[String: Any]])?.first?["status"] as? String == "MET")
            #expect(engine.monthSummaries.computations == before + 1)
        }
    }

    @Test("another instance's writes reach this instance's copy through the database")
    func otherInstance() async throws {
        guard TestBackend.all.contains(.postgres) else { return }
        let first = try await TestApp.make(.postgres)
        let second = try await TestApp.make(.postgres, existing: first.database)
        try await first.run(keepData: true) { (client: Client) async throws in
            try await push(client, "api", "OPERATIONAL", group: "payments", criticality: "critical")
            for app in [first, second] { app.clock.advance(by: 3_600) }
            _ = try await second.runtime.sla.currentMonth()
            let loaded = second.runtime.sla.live.reloads
            try await push(client, "api", "DOWN")
            for app in [first, second] { app.clock.advance(by: 900) }
            try await expectSame(second.runtime.sla, "after the first instance's flip")
            #expect(second.runtime.sla.live.reloads == loaded)
            #expect(try await second.runtime.sla.currentMonth().groups["payments"]?.figures.downMs == 900_000)
        }
        try await second.run { _ in }
    }

    @Test(
        "a burn-rate pass reads a snapshot: a dashboard asked while it reads is answered, and sees what the pass does not",
        arguments: TestBackend.all)
    func passHoldsUpNoQuestion(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let engine = app.runtime.sla
        try await app.run { (client: Client) async throws in
            for name in ["a", "b", "c"] { try await push(client, name, "OPERATIONAL", group: "payments") }
            #expect(try await engine.monthSummary().dashboard.totalServices == 3)
            let probe = PassProbe()
            // The pass blocks a thread while it reads: it runs on GraphQL's, as in the server.
            let pass = Task(executorPreference: GraphQLExecutor.workers) {
                try await engine.burnRates(rules: BurnRateRule.standard, at: engine.clock.now()) {
                    // A new service and a dashboard while the pass reads. Before the snapshot,
                    // the pass held the copy's lock all along: the dashboard waited for its end.
                    Task { [self] in
                        try await push(client, "d", "DOWN", group: "payments")
                        probe.answer(services: try await engine.monthSummary().dashboard.totalServices)
                    }
                    probe.waitForAnswer(seconds: 20)
                }
            }
            let firing = try await pass.value
            #expect(probe.answeredWhileReading)
            #expect(probe.services == 4)
            // The pass read the copy as it was when it started: three services.
            #expect(firing.inventory.services.count == 3)
        }
    }
}

/// What a dashboard asked during a burn-rate pass saw, and whether it was answered before the pass
/// stopped waiting for it.
private final class PassProbe: Sendable {
    private let answered = DispatchSemaphore(value: 0)
    private let state = Mutex<(inTime: Bool, services: Int)>((false, 0))

    var answeredWhileReading: Bool { state.withLock { $0.inTime } }
    var services: Int { state.withLock { $0.services } }

    func answer(services: Int) {
        state.withLock { $0.services = services }
        answered.signal()
    }

    /// Blocks the calling thread until `answer` or the timeout.
    func waitForAnswer(seconds: Int) {
        let inTime = answered.wait(timeout: .now() + .seconds(seconds)) == .success
        state.withLock { $0.inTime = inTime }
    }
}
