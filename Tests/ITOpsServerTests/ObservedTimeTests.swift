import Foundation
import ITOpsCore
import ITOpsServer
import ITOpsStore
import Testing

/// `observedAt` on pushes and syncs (issue 16): an agent that buffered reports while the server was
/// unreachable sends them later with the time it saw them, and the SLA history is placed there.
@Suite("Observed time of reports")
struct ObservedTimeTests {
    private func at(_ seconds: TimeInterval) -> String { ISO8601.format(TestApp.start.addingTimeInterval(seconds)) }

    private func push(_ client: Client, _ status: String, observed: String?, service: String = "db") async throws
        -> JSONResponse
    {
        let observedField = observed.map { ", \"observedAt\": \"\($0)\"" } ?? ""
        return try await client.post(
            "/api/v1/health/report",
            "{\"service\": \"\(service)\", \"nodeId\": \"org/bm\", \"status\": \"\(status)\"\(observedField)}")
    }

    private func history(_ app: TestApp, _ service: String = "db") async throws -> [String] {
        let reader = app.runtime.store.reader
        let found = try #require(try await reader.service(nodeId: try NodePath(validating: "org/bm"), name: service))
        return try await reader.transitions(serviceId: found.id).map {
            "\(Int($0.at.timeIntervalSince(TestApp.start))):\($0.from?.rawValue ?? "-")>\($0.to.rawValue)"
        }
    }

    @Test("observedAt outside the skew and late-data bounds, or malformed, is refused naming the field")
    func bounds() async throws {
        let app = try await TestApp.make()
        try await app.run { (client: Client) async throws in
            app.clock.advance(by: 100_000)
            for (value, words) in [
                (at(100_000 + 301), "future"), (at(100_000 - 86_401), "late-data horizon"),
                ("yesterday", "RFC 3339"), ("2026-13-45T99:00:00Z", "RFC 3339"),
            ] {
                let answer = try await push(client, "DOWN", observed: value)
                #expect(answer.status == .unprocessableContent)
                #expect(answer.error?.contains("observedAt") == true)
                #expect(answer.error?.contains(words) == true, "\(answer.error ?? "")")
            }
            let sync = try await client.post(
                "/api/v1/operator/status",
                "{\"nodeId\": \"org/k\", \"observedAt\": \"\(at(100_000 + 3600))\", \"services\": [{\"name\": \"a\", \"status\": \"DOWN\"}]}"
            )
            #expect(sync.status == .unprocessableContent && sync.error?.contains("observedAt") == true)
            let storage = try await client.post(
                "/api/v1/storage/report",
                "{\"service\": \"v\", \"allocatedBytes\": 10, \"usedBytes\": 1, \"observedAt\": 12}")
            #expect(storage.status == .badRequest && storage.error?.contains("observedAt") == true)
            // Nothing was written by any refused report.
            let reader = app.runtime.store.reader
            #expect(try await reader.countServices(matching: ServiceFilter()) == 0)
            // Within the bounds it is accepted; slightly ahead is placed at arrival.
            #expect(try await push(client, "DOWN", observed: at(100_000 + 60)).status == .ok)
            #expect(try await history(app) == ["100000:->DOWN"])
        }
    }

    @Test(
        "a buffered outage replayed oldest first lands at its observed times, and replaying it twice changes nothing",
        arguments: TestBackend.all)
    func replayedOutage(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            #expect(try await push(client, "OPERATIONAL", observed: nil).status == .ok)
            // The server was unreachable from 0 to 1000 s; the agent saw DOWN at 200 and recovery at 500.
            app.clock.advance(by: 1000)
            let replay = [("DOWN", 200.0), ("OPERATIONAL", 500.0), ("OPERATIONAL", 990.0)]
            for _ in 0..<2 {
                for (status, time) in replay {
                    #expect(try await push(client, status, observed: at(time)).status == .ok)
                }
            }
            #expect(try await history(app) == ["0:->OPERATIONAL", "200:OPERATIONAL>DOWN", "500:DOWN>OPERATIONAL"])
            let reader = app.runtime.store.reader
            let service = try #require(
                try await reader.service(nodeId: try NodePath(validating: "org/bm"), name: "db"))
            #expect(service.status == .operational)
            #expect(service.lastSeenAt == app.clock.now())
            let incidents = try await reader.incidents(serviceId: service.id)
            #expect(incidents.count == 1)
            #expect(incidents.first?.openedAt == TestApp.start.addingTimeInterval(200))
            #expect(incidents.first?.closedAt == TestApp.start.addingTimeInterval(500))

            // The SLA engine counts exactly the 300 s of the outage in that stretch.
            let buckets = try await app.runtime.sla.snapshotTrend(serviceId: service.id, hoursBack: 1)
            #expect(buckets.map(\.figures.downMs).reduce(0, +) == 300_000)
        }
    }

    @Test(
        "a report older than the latest change goes into history only, once, and leaves the current status alone",
        arguments: TestBackend.all)
    func lateReportInHistory(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            #expect(try await push(client, "OPERATIONAL", observed: nil).status == .ok)
            app.clock.advance(by: 600)
            #expect(try await push(client, "DOWN", observed: nil).status == .ok)
            app.clock.advance(by: 60)
            let recorder = EventRecorder(app.runtime.events)
            for _ in 0..<2 {
                let late = try await push(client, "DEGRADED", observed: at(300))
                #expect(late.status == .ok)
                #expect(late["status"] as? String == "DOWN")
            }
            // Same status as in effect then: nothing to place.
            #expect(try await push(client, "OPERATIONAL", observed: at(100)).status == .ok)
            #expect(
                try await history(app) == ["0:->OPERATIONAL", "300:OPERATIONAL>DEGRADED", "600:DEGRADED>DOWN"])
            // History only: no event, and the incident opened at 600 is still open.
            #expect(await recorder.drain().isEmpty)
            let reader = app.runtime.store.reader
            let service = try #require(
                try await reader.service(nodeId: try NodePath(validating: "org/bm"), name: "db"))
            #expect(service.status == .down && service.statusChangedAt == TestApp.start.addingTimeInterval(600))
            #expect(try await reader.openIncident(serviceId: service.id) != nil)
            // A report observed after the latest change is an ordinary one, dated when observed.
            #expect(try await push(client, "OPERATIONAL", observed: at(630)).status == .ok)
            #expect(try await history(app).last == "630:DOWN>OPERATIONAL")
            #expect(try await reader.incidents(serviceId: service.id).first?.closedAt == TestApp.start.addingTimeInterval(630))
        }
    }

    @Test(
        "a late report that moves the start of an outage earlier keeps the history a chain, and the SLA sees it",
        arguments: TestBackend.all)
    func lateReportExtendsOutage(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            #expect(try await push(client, "OPERATIONAL", observed: nil).status == .ok)
            app.clock.advance(by: 600)
            #expect(try await push(client, "DOWN", observed: nil).status == .ok)
            app.clock.advance(by: 300)
            // The agent saw the outage begin at 300: the server's DOWN at 600 then changes nothing, and
            // is kept so that a later report can still split the stretch before it.
            #expect(try await push(client, "DOWN", observed: at(300)).status == .ok)
            #expect(try await history(app) == ["0:->OPERATIONAL", "300:OPERATIONAL>DOWN", "600:DOWN>DOWN"])
            #expect(try await push(client, "OPERATIONAL", observed: at(400)).status == .ok)
            #expect(
                try await history(app) == [
                    "0:->OPERATIONAL", "300:OPERATIONAL>DOWN", "400:DOWN>OPERATIONAL", "600:OPERATIONAL>DOWN",
                ])
            let reader = app.runtime.store.reader
            let service = try #require(
                try await reader.service(nodeId: try NodePath(validating: "org/bm"), name: "db"))
            let buckets = try await app.runtime.sla.snapshotTrend(serviceId: service.id, hoursBack: 1)
            // DOWN 300–400 and 600–900.
            #expect(buckets.map(\.figures.downMs).reduce(0, +) == 400_000)
        }
    }

    @Test("an operator sync carries one observed time for all its services, late ones into history", arguments: TestBackend.all)
    func observedSync(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        @Sendable func sync(_ observed: TimeInterval, _ a: String, _ b: String) -> String {
            "{\"nodeId\": \"org/bm\", \"observedAt\": \"\(at(observed))\", \"services\": [{\"name\": \"a\", \"status\": \"\(a)\"}, {\"name\": \"db\", \"status\": \"\(b)\"}]}"
        }
        try await app.run { (client: Client) async throws in
            app.clock.advance(by: 1000)
            #expect(try await client.post("/api/v1/operator/status", sync(100, "OPERATIONAL", "OPERATIONAL")).status == .ok)
            #expect(try await client.post("/api/v1/operator/status", sync(400, "DOWN", "OPERATIONAL")).status == .ok)
            // db changes at 900 through a push; a sync observed at 700 is late for db only.
            #expect(try await push(client, "DEGRADED", observed: at(900)).status == .ok)
            #expect(try await client.post("/api/v1/operator/status", sync(700, "OPERATIONAL", "DOWN")).status == .ok)
            #expect(try await history(app, "a") == ["100:->OPERATIONAL", "400:OPERATIONAL>DOWN", "700:DOWN>OPERATIONAL"])
            #expect(try await history(app, "db") == ["100:->OPERATIONAL", "700:OPERATIONAL>DOWN", "900:DOWN>DEGRADED"])
            let reader = app.runtime.store.reader
            let db = try #require(try await reader.service(nodeId: try NodePath(validating: "org/bm"), name: "db"))
            #expect(db.status == .degraded)
            // Liveness is the arrival time, whatever the observed time.
            let node = try #require(try await reader.node(try NodePath(validating: "org/bm")))
            #expect(node.lastHeartbeatAt == app.clock.now())
        }
    }

    @Test("a late backup report never hides a newer one; a late storage measurement alerts nobody")
    func lateBackupAndStorage() async throws {
        let app = try await TestApp.make()
        try await app.run { (client: Client) async throws in
            app.clock.advance(by: 10_000)
            func backup(_ status: String, _ observed: TimeInterval) async throws -> JSONResponse {
                try await client.post(
                    "/api/v1/backup/report",
                    "{\"service\": \"pg\", \"nodeId\": \"org/bm\", \"status\": \"\(status)\", \"observedAt\": \"\(at(observed))\"}")
            }
            #expect(try await backup("success", 9000).status == .ok)
            #expect(try await backup("failed", 5000).status == .ok)
            let reader = app.runtime.store.reader
            let pg = try #require(try await reader.service(nodeId: try NodePath(validating: "org/bm"), name: "pg"))
            #expect(pg.backup.lastStatus == .success)
            #expect(pg.backup.lastSuccessAt == TestApp.start.addingTimeInterval(9000))
            #expect(try await reader.backupReports(serviceId: pg.id).map(\.reportedAt).count == 2)

            let recorder = EventRecorder(app.runtime.events)
            func storage(_ used: Int, _ observed: TimeInterval) async throws -> JSONResponse {
                try await client.post(
                    "/api/v1/storage/report",
                    "{\"service\": \"vol\", \"nodeId\": \"org/bm\", \"allocatedBytes\": 100, \"usedBytes\": \(used), \"observedAt\": \"\(at(observed))\"}")
            }
            #expect(try await storage(10, 9000).status == .ok)
            #expect(try await storage(95, 8000).status == .ok)
            let alerts = await recorder.drain().filter { if case .slaAlert = $0 { true } else { false } }
            #expect(alerts.isEmpty)
            let vol = try #require(try await reader.service(nodeId: try NodePath(validating: "org/bm"), name: "vol"))
            #expect(try await reader.lastStorageReport(serviceId: vol.id)?.usedBytes == 10)
        }
    }
}
