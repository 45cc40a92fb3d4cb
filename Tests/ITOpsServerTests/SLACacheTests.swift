import Foundation
import ITOpsCore
import ITOpsServer
import Testing

/// The SLA engine keeps the closed part of the month in memory (issue 19). Whatever happens to the
/// rollups — a day closed, a late report correcting a closed day, another instance rolling up — its
/// answers must equal those of an engine that reads everything afresh.
@Suite("SLA engine: the month kept in memory")
struct SLACacheTests {
    /// An engine with nothing in memory, on the same store and clock.
    private func fresh(_ app: TestApp) -> SLAEngine {
        SLAEngine(
            store: app.runtime.store, events: app.runtime.events, clock: app.clock, settings: app.runtime.sla.settings)
    }

    private func expectSame(_ app: TestApp, _ label: String) async throws -> SLAPeriodResult? {
        let cached = try await app.runtime.sla.currentMonth()
        let reference = try await fresh(app).currentMonth()
        #expect(cached.services == reference.services, "\(label): services")
        #expect(cached.groups == reference.groups, "\(label): groups")
        return cached.groups["payments"]
    }

    private func push(_ client: Client, _ service: String, _ status: String, observed: Date? = nil) async throws {
        let observedField = observed.map { ", \"observedAt\": \"\(ISO8601.format($0))\"" } ?? ""
        let answer = try await client.post(
            "/api/v1/health/report",
            "{\"service\": \"\(service)\", \"nodeId\": \"org/prod\", \"status\": \"\(status)\", \"slaGroup\": \"payments\", \"criticality\": \"critical\"\(observedField)}"
        )
        #expect(answer.status == .ok, "\(answer.text)")
    }

    @Test(
        "cached month figures equal a fresh engine's after days close, late data corrects one, and time passes",
        arguments: TestBackend.all)
    func cachedEqualsFresh(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend) { $0.lateDataHorizon = 30 * 86_400 }
        try await app.run { (client: Client) async throws in
            // Three days of history for three services of one group, the clock starting 2026-04-20.
            var generator = SystemRandomNumberGenerator()
            // Every service starts OPERATIONAL and stays so for five hours (the late report below
            // lands there), then changes at random.
            for service in ["api", "db", "cache"] { try await push(client, service, "OPERATIONAL") }
            app.clock.advance(by: 5 * 3_600)
            let statuses = ["OPERATIONAL", "DEGRADED", "DOWN", "OPERATIONAL", "MAINTENANCE"]
            for step in 0..<36 {
                for service in ["api", "db", "cache"] where Bool.random(using: &generator) {
                    try await push(client, service, statuses.randomElement(using: &generator)!)
                }
                app.clock.advance(by: 2 * 3_600 + Double(step))
            }
            let previous = try await expectSame(app, "before any rollup")
            // Close the days: the month rows are rebuilt, and the memory must follow.
            try await app.runtime.sla.rollUp()
            let rolled = try await expectSame(app, "after the rollup")
            // Closing days changes where figures come from, not what they are.
            #expect(rolled == previous)
            _ = try await expectSame(app, "asked again (from memory)")
            // A late report on a closed day: marked dirty, recomputed by the next pass, seen at once.
            try await push(client, "db", "DOWN", observed: TestApp.start.addingTimeInterval(3_600))
            try await push(client, "db", "OPERATIONAL", observed: TestApp.start.addingTimeInterval(3 * 3_600))
            try await app.runtime.sla.rollUp()
            let corrected = try await expectSame(app, "after a closed day was corrected")
            // db DOWN for two hours while the others ran: the group was partly out (DEGRADED) longer.
            let notUp = { (figures: AvailabilityFigures?) in (figures?.degradedMs ?? 0) + (figures?.downMs ?? 0) }
            #expect(notUp(corrected?.figures) >= notUp(previous?.figures) + 7_200_000)
            // Time passes with no new data: the open part grows, the closed part comes from memory.
            app.clock.advance(by: 26 * 3_600)
            try await app.runtime.sla.rollUp()
            _ = try await expectSame(app, "a day later")
        }
    }

    @Test("a rollup by another instance reaches this instance's memory through the database")
    func otherInstance() async throws {
        guard TestBackend.all.contains(.postgres) else { return }
        let first = try await TestApp.make(.postgres) { $0.lateDataHorizon = 30 * 86_400 }
        let second = try await TestApp.make(.postgres, existing: first.database)
        try await first.run(keepData: true) { (client: Client) async throws in
            try await push(client, "api", "OPERATIONAL")
            first.clock.advance(by: 3_600)
            second.clock.advance(by: 3_600)
            try await push(client, "api", "DOWN")
            first.clock.advance(by: 2 * 86_400)
            second.clock.advance(by: 2 * 86_400)
            // The second instance reads the month into memory, then the first one closes the days.
            _ = try await second.runtime.sla.currentMonth()
            try await first.runtime.sla.rollUp()
            let seen = try await second.runtime.sla.currentMonth()
            let reference = try await fresh(second).currentMonth()
            #expect(seen.services == reference.services)
            #expect(seen.groups == reference.groups)
            // A correction of a closed day leaves the horizon where it was: the generation tells.
            try await push(client, "api", "DOWN", observed: TestApp.start.addingTimeInterval(600))
            try await first.runtime.sla.rollUp()
            let corrected = try await second.runtime.sla.currentMonth()
            #expect(corrected.groups == (try await fresh(second).currentMonth()).groups)
            #expect(corrected.groups["payments"]?.figures.downMs != seen.groups["payments"]?.figures.downMs)
        }
        try await second.run { _ in }
    }
}
