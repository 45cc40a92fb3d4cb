import Foundation
import ITOpsCore
import ITOpsServer
import Testing

/// Pushes a status for `name` on `org/c1`.
private func push(_ client: Client, _ name: String, _ status: String, extra: String = "") async throws {
    let response = try await client.post(
        "/api/v1/health/report", "{\"service\": \"\(name)\", \"nodeId\": \"org/c1\", \"status\": \"\(status)\"\(extra)}"
    )
    #expect(response.status == .ok, "\(response.text)")
}

private func serviceId(_ app: TestApp, _ name: String) async throws -> String {
    try #require(try await app.runtime.store.reader.service(nodeId: NodePath(validating: "org/c1"), name: name)).id
        .uuidString.lowercased()
}

private func sum(_ periods: [[String: Any]], _ field: String) -> Double {
    periods.compactMap { $0[field] as? Double }.reduce(0, +)
}

@Suite("SLA engine")
struct SLATests {
    @Test(
        "exclusion windows: start 201, again returns the active one, stop, stop again 404", arguments: TestBackend.all)
    func exclusionWindowLifecycle(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            try await push(client, "db", "OPERATIONAL")
            let body =
                "{\"service\": \"db\", \"nodeId\": \"org/c1\", \"reason\": \"scheduled patching\", \"expectedEndAt\": \"2026-04-20T02:00:00Z\"}"
            let started = try await client.post("/api/v1/sla/exclusion-window/start", body)
            #expect(started.status == .created, "\(started.text)")
            let window = try #require(started["window"] as? [String: Any])
            #expect(window["reason"] as? String == "scheduled patching")
            #expect(window["endsAt"] as? String == "2026-04-20T02:00:00.000Z")
            #expect((window["startedBy"] as? String)?.hasPrefix("apikey:") == true)
            let again = try await client.post("/api/v1/sla/exclusion-window/start", body)
            #expect(again.status == .ok)
            #expect((again["window"] as? [String: Any])?["id"] as? String == window["id"] as? String)

            let stop = "{\"service\": \"db\", \"nodeId\": \"org/c1\"}"
            let stopped = try await client.post("/api/v1/sla/exclusion-window/stop", stop)
            #expect(stopped.status == .ok, "\(stopped.text)")
            #expect((stopped["window"] as? [String: Any])?["endedAt"] as? String != nil)
            let twice = try await client.post("/api/v1/sla/exclusion-window/stop", stop)
            #expect(twice.status == .notFound)
            #expect(twice.error?.contains("no active exclusion window") == true)

            // Unknown service: 404; bad input names the field, and nothing is written.
            let unknown = try await client.post(
                "/api/v1/sla/exclusion-window/start", "{\"service\": \"nope\", \"nodeId\": \"org/c1\"}")
            #expect(unknown.status == .notFound)
            let badEnd = try await client.post(
                "/api/v1/sla/exclusion-window/start",
                "{\"service\": \"db\", \"nodeId\": \"org/c1\", \"expectedEndAt\": \"tomorrow\"}")
            #expect(badEnd.status == .unprocessableContent)
            #expect(badEnd.error?.hasPrefix("expectedEndAt:") == true)
            let past = try await client.post(
                "/api/v1/sla/exclusion-window/start",
                "{\"service\": \"db\", \"nodeId\": \"org/c1\", \"expectedEndAt\": \"2026-04-19T00:00:00Z\"}")
            #expect(past.status == .unprocessableContent)
            let missing = try await client.post("/api/v1/sla/exclusion-window/start", "{\"nodeId\": \"org/c1\"}")
            #expect(missing.status == .unprocessableContent)
            #expect(missing.error?.hasPrefix("service:") == true)
            let wrongType = try await client.post(
                "/api/v1/sla/exclusion-window/start", "{\"service\": 42, \"nodeId\": \"org/c1\"}")
            #expect(wrongType.status == .badRequest)
            let id = try await serviceId(app, "db")
            #expect(try await app.runtime.store.reader.exclusionWindows(serviceId: UUID(uuidString: id)!).count == 1)
        }
    }

    @Test("a window closes by itself at expectedEndAt, and after the cap without one", arguments: TestBackend.all)
    func windowsCloseThemselves(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend) { $0.maxExclusionWindow = 3_600 }
        try await app.run { (client: Client) async throws in
            try await push(client, "db", "OPERATIONAL")
            let stop = "{\"service\": \"db\", \"nodeId\": \"org/c1\"}"
            _ = try await client.post(
                "/api/v1/sla/exclusion-window/start",
                "{\"service\": \"db\", \"nodeId\": \"org/c1\", \"expectedEndAt\": \"2026-04-20T00:30:00Z\"}")
            app.clock.advance(by: 1_800)
            #expect(try await client.post("/api/v1/sla/exclusion-window/stop", stop).status == .notFound)
            // Without expectedEndAt: the cap (1 h here).
            let started = try await client.post("/api/v1/sla/exclusion-window/start", stop)
            #expect(started.status == .created)
            #expect((started["window"] as? [String: Any])?["endsAt"] as? String == "2026-04-20T01:30:00.000Z")
            app.clock.advance(by: 3_599)
            #expect(try await client.post("/api/v1/sla/exclusion-window/stop", stop).status == .ok)
            _ = try await client.post("/api/v1/sla/exclusion-window/start", stop)
            app.clock.advance(by: 3_600)
            #expect(try await app.runtime.sla.closeExpiredWindows() == 1)
            #expect(try await client.post("/api/v1/sla/exclusion-window/stop", stop).status == .notFound)
        }
    }

    @Test("slaSnapshotTrend: 13 clock-aligned buckets for one hour; 10 minutes DOWN in a window is no downtime")
    func snapshotTrendWithExclusion() async throws {
        let app = try await TestApp.make()
        try await app.run { (client: Client) async throws in
            try await push(client, "db", "OPERATIONAL", extra: ", \"criticality\": \"critical\"")
            app.clock.advance(by: 300)
            _ = try await client.post(
                "/api/v1/sla/exclusion-window/start",
                "{\"service\": \"db\", \"nodeId\": \"org/c1\", \"reason\": \"patch\"}")
            app.clock.advance(by: 300)
            try await push(client, "db", "DOWN")
            app.clock.advance(by: 600)
            try await push(client, "db", "OPERATIONAL")
            app.clock.advance(by: 300)
            _ = try await client.post(
                "/api/v1/sla/exclusion-window/stop", "{\"service\": \"db\", \"nodeId\": \"org/c1\"}")
            app.clock.advance(by: 32 * 60 + 30)  // 00:57:30: the 00:55 bucket is in progress
            let id = try await serviceId(app, "db")
            let response = try await client.graphQL(
                """
                { slaSnapshotTrend(serviceId: "\(id)", hoursBack: 1) {
                    periodKey periodStart actualValue targetValue incidentCount downtimeMinutes excludedMinutes status } }
                """, token: operatorKey)
            let buckets = try #require(response.data?["slaSnapshotTrend"] as? [[String: Any]], "\(response.text)")
            #expect(buckets.count == 13)
            #expect(buckets.first?["periodKey"] as? String == "2026-04-19T23:55Z")
            #expect(buckets.last?["periodKey"] as? String == "2026-04-20T00:55Z")
            #expect(sum(buckets, "downtimeMinutes") == 0)
            #expect(sum(buckets, "excludedMinutes") == 20)
            #expect(buckets.allSatisfy { $0["actualValue"] as? Double == 100 && $0["status"] as? String == "MET" })
            #expect(buckets.allSatisfy { $0["targetValue"] as? Double == 99.95 })

            // The same outage without a window is downtime, one incident, in the buckets it fell in.
            try await push(client, "db", "DOWN")
            app.clock.advance(by: 120)
            let after = try await client.graphQL(
                "{ slaSnapshotTrend(serviceId: \"\(id)\") { periodKey downtimeMinutes incidentCount status } }",
                token: operatorKey)
            let last = try #require((after.data?["slaSnapshotTrend"] as? [[String: Any]])?.last)
            #expect(last["periodKey"] as? String == "2026-04-20T00:55Z")
            #expect(last["downtimeMinutes"] as? Double == 2)
            #expect(last["incidentCount"] as? Int == 1)
            #expect(last["status"] as? String == "BREACHED")
        }
    }

    @Test("AT_RISK and BREACHED flip at the budget fractions of the whole month", arguments: TestBackend.all)
    func budgetStatusFlips(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            // The service exists from April 20 to the month's end: 11 days, 950,400 s eligible for the
            // whole month; critical (99.95 %) leaves a 475.2 s budget, AT_RISK from 356.4 s.
            _ = try await client.post(
                "/api/v1/operator/status",
                "{\"nodeId\": \"org/c1\", \"services\": [{\"name\": \"pay\", \"status\": \"OPERATIONAL\", \"slaGroup\": \"payments\"}], \"slaGroups\": [{\"name\": \"payments\", \"tier\": \"critical\"}]}"
            )
            func state() async throws -> (group: String?, uptime: Double?, met: Int?, atRisk: Int?, breached: Int?) {
                let response = try await client.graphQL(
                    "{ slaGroups { name status currentUptime } slaDashboardStats { totalServices servicesWithSla metCount atRiskCount breachedCount averageUptime } }",
                    token: operatorKey)
                let group = (response.data?["slaGroups"] as? [[String: Any]])?.first
                let stats = response.data?["slaDashboardStats"] as? [String: Any]
                return (
                    group?["status"] as? String, group?["currentUptime"] as? Double, stats?["metCount"] as? Int,
                    stats?["atRiskCount"] as? Int, stats?["breachedCount"] as? Int
                )
            }
            app.clock.advance(by: 3_600)
            try await push(client, "pay", "DOWN")
            app.clock.advance(by: 356)
            var now = try await state()
            #expect(now.group == "MET")
            #expect(now.met == 1)
            app.clock.advance(by: 1)  // 357 s ≥ 356.4 s
            now = try await state()
            #expect(now.group == "AT_RISK")
            #expect(now.atRisk == 1)
            app.clock.advance(by: 118)  // 475 s: still within the budget
            now = try await state()
            #expect(now.group == "AT_RISK")
            app.clock.advance(by: 1)  // 476 s > 475.2 s
            now = try await state()
            #expect(now.group == "BREACHED")
            #expect(now.breached == 1)
            let uptime = try #require(now.uptime)
            #expect(abs(uptime - 100 * (1 - 476.0 / 4_076.0)) < 1e-9)
        }
    }

    @Test(
        "daily trend reads the same from rollups as from raw history; late data corrects a closed day",
        arguments: TestBackend.all)
    func rollupsMatchRawHistory(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            try await push(client, "db", "OPERATIONAL", extra: ", \"criticality\": \"high\"")
            // Three days: 30 min down on day 1, 2 h degraded on day 2 across midnight, an outage over midnight.
            app.clock.advance(by: 10 * 3_600)
            try await push(client, "db", "DOWN")
            app.clock.advance(by: 1_800)
            try await push(client, "db", "OPERATIONAL")
            app.clock.set(TestApp.start.addingTimeInterval(86_400 + 23 * 3_600))
            try await push(client, "db", "DOWN")
            app.clock.advance(by: 2 * 3_600)
            try await push(client, "db", "OPERATIONAL")
            app.clock.set(TestApp.start.addingTimeInterval(3 * 86_400 + 3_600))
            let id = try await serviceId(app, "db")
            let query =
                "{ slaTrendData(filter: { periodType: \"DAILY\", monthsBack: 1, serviceId: \"\(id)\" }) { periodKey downtimeMinutes incidentCount actualValue status } }"
            let raw = try await client.graphQL(query, token: operatorKey)
            let days = try #require(raw.data?["slaTrendData"] as? [[String: Any]], "\(raw.text)")
            let april = days.filter { ($0["periodKey"] as? String ?? "") >= "2026-04-20" }
            #expect(april.map { $0["downtimeMinutes"] as? Double } == [30, 60, 60, 0])
            #expect(april.map { $0["incidentCount"] as? Int } == [1, 1, 0, 0])

            #expect(try await app.runtime.sla.rollUp() == 3)
            #expect(try await app.runtime.store.reader.rollupHorizon(policy: .exclude) != nil)
            let rolled = try await client.graphQL(query, token: operatorKey)
            #expect(rolled.text == raw.text)
            let monthly = try await client.graphQL(
                "{ slaTrendData(filter: { periodType: \"MONTHLY\", monthsBack: 2, serviceId: \"\(id)\" }) { periodKey downtimeMinutes incidentCount } }",
                token: operatorKey)
            let months = try #require(monthly.data?["slaTrendData"] as? [[String: Any]], "\(monthly.text)")
            #expect(months.map { $0["periodKey"] as? String } == ["2026-03", "2026-04"])
            #expect(months.last?["downtimeMinutes"] as? Double == 150)
            #expect(months.last?["incidentCount"] as? Int == 2)

            // A transition stamped inside day 1 arrives after day 1 was closed (a clock behind):
            // the day is marked and recomputed on the next pass.
            let uuid = try #require(UUID(uuidString: id))
            try await app.runtime.store.write { tx in
                try await tx.insert(
                    StatusTransition(
                        serviceId: uuid, from: .operational, to: .down,
                        at: TestApp.start.addingTimeInterval(20 * 3_600), message: "late"))
                try await tx.insert(
                    StatusTransition(
                        serviceId: uuid, from: .down, to: .operational,
                        at: TestApp.start.addingTimeInterval(20 * 3_600 + 600), message: "late"))
            }
            #expect(try await app.runtime.store.reader.dirtyRollupDays(limit: 10).count == 1)
            try await app.runtime.sla.rollUp()
            #expect(try await app.runtime.store.reader.dirtyRollupDays(limit: 10).isEmpty)
            let corrected = try await client.graphQL(query, token: operatorKey)
            let fixed = try #require(corrected.data?["slaTrendData"] as? [[String: Any]])
                .filter { ($0["periodKey"] as? String ?? "") >= "2026-04-20" }
            #expect(fixed.map { $0["downtimeMinutes"] as? Double } == [40, 60, 60, 0])
            #expect(fixed.map { $0["incidentCount"] as? Int } == [2, 1, 0, 0])
        }
    }

    @Test(
        "burn-rate alerts: raised once per episode, cleared on recovery; maintenance burns nothing",
        arguments: TestBackend.all)
    func burnRateAlerts(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let events = EventRecorder(app.runtime.events)
        try await app.run { (client: Client) async throws in
            try await push(client, "db", "OPERATIONAL", extra: ", \"criticality\": \"critical\"")
            try await push(client, "cache", "OPERATIONAL", extra: ", \"criticality\": \"critical\"")
            app.clock.advance(by: 7_200)
            try await push(client, "db", "DOWN")
            try await push(client, "cache", "MAINTENANCE")
            app.clock.advance(by: 600)
            let first = try await app.runtime.sla.evaluateBurnRates()
            #expect(first.contains { $0.kind == .slaBurnRate && $0.rule == "1h/5m" && $0.serviceName == "db" })
            #expect(!first.contains { $0.serviceName == "cache" })
            app.clock.advance(by: 60)
            #expect(try await app.runtime.sla.evaluateBurnRates().isEmpty)  // same episode: nothing new
            try await push(client, "db", "OPERATIONAL")
            app.clock.advance(by: 6 * 3_600 + 60)
            let recovered = try await app.runtime.sla.evaluateBurnRates()
            #expect(recovered.contains { $0.kind == .slaBurnRateCleared && $0.rule == "1h/5m" })
            #expect(try await app.runtime.store.reader.burnAlerts().allSatisfy { $0.rule != "1h/5m" })
        }
        let published = await events.drain().compactMap { event -> Alert? in
            if case .slaAlert(let alert) = event, alert.rule == "1h/5m" { return alert } else { return nil }
        }
        #expect(published.map(\.kind) == [.slaBurnRate, .slaBurnRateCleared])
    }

    @Test(
        "daily report: generated on demand and at 00:05, stored, JSON and CSV, regenerating replaces it",
        arguments: TestBackend.all)
    func dailyReport(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            _ = try await client.post(
                "/api/v1/operator/status",
                "{\"nodeId\": \"org/c1\", \"services\": [{\"name\": \"pay\", \"status\": \"OPERATIONAL\", \"slaGroup\": \"payments\"}, {\"name\": \"api\", \"status\": \"OPERATIONAL\", \"slaGroup\": \"payments\"}], \"slaGroups\": [{\"name\": \"payments\", \"tier\": \"high\"}]}"
            )
            app.clock.advance(by: 3_600)
            try await push(client, "pay", "DOWN")
            app.clock.advance(by: 90 * 60)
            try await push(client, "pay", "OPERATIONAL")
            // Today has not ended: no report for it.
            let early = try await client.post("/api/v1/sla/report/generate", "{\"date\": \"2026-04-20\"}")
            #expect(early.status == .unprocessableContent)
            app.clock.set(TestApp.start.addingTimeInterval(86_400 + 240))  // 00:04 the next day
            #expect(try await app.runtime.sla.generateDueReport() == nil)
            app.clock.advance(by: 60)
            let due = try #require(try await app.runtime.sla.generateDueReport())
            #expect(due.date == "2026-04-20")
            let group = try #require(due.groups.first)
            #expect(group.downtimeMinutes == 90)
            #expect(group.incidents == 1)
            #expect(group.status == "BREACHED")  // 90 min over a 1.44 min budget (99.9 % of 1 day)

            let json = try await client.get("/api/v1/sla/reports/2026-04-20.json")
            #expect(json.status == .ok)
            #expect((json["services"] as? [[String: Any]])?.count == 2)
            let csv = try await client.get("/api/v1/sla/reports/2026-04-20.csv")
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = csv.text.split(separator: "\r\n")
            #expect(lines.count == 4)  // header, the group, two services
            #expect(lines.first?.hasPrefix("scope,name,serviceId") == true)
            #expect(lines.contains { $0.hasPrefix("group,payments,,,payments,high,99.9,") })

            app.clock.advance(by: 60)
            let again = try await client.post("/api/v1/sla/report/generate", "{\"date\": \"2026-04-20\"}")
            #expect(again.status == .ok, "\(again.text)")
            let reports = try await client.graphQL(
                "{ slaReports { date generatedAt groupCount serviceCount breachedCount csvUrl } }", token: operatorKey)
            let list = try #require(reports.data?["slaReports"] as? [[String: Any]], "\(reports.text)")
            #expect(list.count == 1)
            #expect(list.first?["generatedAt"] as? String == "2026-04-21T00:06:00.000Z")
            #expect(list.first?["breachedCount"] as? Int == 2)

            let noBody = try await client.request(.post, "/api/v1/sla/report/generate")
            #expect(noBody.status == .ok)  // yesterday by default
            #expect(
                try await client.post("/api/v1/sla/report/generate", "{\"date\": \"2026-02-30\"}").status
                    == .unprocessableContent)
            #expect(try await client.get("/api/v1/sla/reports/2026-04-01.json").status == .notFound)
            #expect(try await client.get("/api/v1/sla/reports/2026-04-20.xml").status == .unprocessableContent)
            #expect(try await client.get("/api/v1/sla/reports/../../etc").status != .ok)
        }
    }

    @Test("SLA definitions: defaults per tier, editable by admins, validated")
    func definitions() async throws {
        let app = try await TestApp.make()
        _ = try await app.runtime.createUser(email: "admin@example.com", password: "correct-horse", role: .admin)
        try await app.run { (client: Client) async throws in
            let list = try await client.graphQL(
                "{ slaDefinitions { tier targetPercent atRiskBudgetFraction } }", token: operatorKey)
            let definitions = try #require(list.data?["slaDefinitions"] as? [[String: Any]])
            #expect(definitions.map { $0["tier"] as? String } == ["critical", "high", "medium", "low"])
            #expect(definitions.map { $0["targetPercent"] as? Double } == [99.95, 99.9, 99.5, 99.0])
            let denied = try await client.graphQL(
                "mutation { updateSlaDefinition(tier: \"low\", targetPercent: 98) { tier } }", token: operatorKey)
            #expect(denied.errorCode == "FORBIDDEN")
            let token = try await client.login("admin@example.com", "correct-horse")
            let bad = try await client.graphQL(
                "mutation { updateSlaDefinition(tier: \"low\", targetPercent: 101) { tier } }", token: token)
            #expect(bad.errorMessage?.hasPrefix("targetPercent:") == true)
            let changed = try await client.graphQL(
                "mutation { updateSlaDefinition(tier: \"low\", targetPercent: 98) { tier targetPercent } }",
                token: token)
            #expect((changed.data?["updateSlaDefinition"] as? [String: Any])?["targetPercent"] as? Double == 98)
        }
    }

    @Test("without the sla plugin the REST routes answer 403 and slaGroups status stays null")
    func pluginGate() async throws {
        let app = try await TestApp.make { $0.trialDays = 0 }
        try await app.run { (client: Client) async throws in
            try await push(client, "db", "OPERATIONAL", extra: ", \"slaGroup\": \"g\"")
            let response = try await client.post(
                "/api/v1/sla/exclusion-window/start", "{\"service\": \"db\", \"nodeId\": \"org/c1\"}")
            #expect(response.status == .forbidden)
            let groups = try await client.graphQL("{ slaGroups { name status currentUptime } }", token: operatorKey)
            let group = try #require((groups.data?["slaGroups"] as? [[String: Any]])?.first, "\(groups.text)")
            #expect(group["status"] is NSNull)
            let trend = try await client.graphQL("{ slaDashboardStats { totalServices } }", token: operatorKey)
            #expect(trend.errorCode == "PLUGIN_NOT_LICENSED")
        }
    }

    @Test(
        "GraphQL: window mutations, incidents and windows lists; ITOPS_SLA_UNKNOWN_POLICY=down counts UNKNOWN as down")
    func graphQLWindowsIncidentsAndUnknownPolicy() async throws {
        let app = try await TestApp.make { $0.slaUnknownPolicy = .down }
        try await app.run { (client: Client) async throws in
            try await push(client, "db", "OPERATIONAL", extra: ", \"criticality\": \"low\"")
            let started = try await client.graphQL(
                "mutation { startExclusionWindow(service: \"db\", nodeId: \"org/c1\", reason: \"upgrade\") { id active endsAt reason serviceName } }",
                token: operatorKey)
            let window = try #require(started.data?["startExclusionWindow"] as? [String: Any], "\(started.text)")
            #expect(window["active"] as? Bool == true)
            #expect(window["endsAt"] as? String == "2026-04-21T00:00:00.000Z")  // the 24 h cap
            app.clock.advance(by: 300)
            let stopped = try await client.graphQL(
                "mutation { stopExclusionWindow(service: \"db\", nodeId: \"org/c1\") { id active endedAt } }",
                token: operatorKey)
            #expect((stopped.data?["stopExclusionWindow"] as? [String: Any])?["active"] as? Bool == false)
            let again = try await client.graphQL(
                "mutation { stopExclusionWindow(service: \"db\", nodeId: \"org/c1\") { id } }", token: operatorKey)
            #expect(again.errorCode == "NOT_FOUND")

            try await push(client, "db", "UNKNOWN")
            app.clock.advance(by: 120)
            try await push(client, "db", "DOWN")
            app.clock.advance(by: 60)
            let lists = try await client.graphQL(
                "{ incidents { serviceName open durationMinutes } exclusionWindows { reason active } }",
                token: operatorKey)
            let incidents = try #require(lists.data?["incidents"] as? [[String: Any]], "\(lists.text)")
            #expect(incidents.count == 1)
            #expect(incidents.first?["open"] as? Bool == true)
            #expect(incidents.first?["durationMinutes"] as? Double == 1)
            #expect((lists.data?["exclusionWindows"] as? [[String: Any]])?.first?["reason"] as? String == "upgrade")

            let id = try await serviceId(app, "db")
            let trend = try await client.graphQL(
                "{ slaSnapshotTrend(serviceId: \"\(id)\") { downtimeMinutes unknownMinutes excludedMinutes incidentCount } }",
                token: operatorKey)
            let buckets = try #require(trend.data?["slaSnapshotTrend"] as? [[String: Any]], "\(trend.text)")
            // UNKNOWN then DOWN is one downtime episode of 3 minutes under the `down` policy.
            #expect(sum(buckets, "downtimeMinutes") == 3)
            #expect(sum(buckets, "unknownMinutes") == 2)
            #expect(sum(buckets, "excludedMinutes") == 5)
            #expect(buckets.compactMap { $0["incidentCount"] as? Int }.reduce(0, +) == 1)
        }
    }
}
