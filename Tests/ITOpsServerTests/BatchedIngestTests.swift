import Foundation
import ITOpsCore
import ITOpsServer
import ITOpsStore
import Testing

/// Writes as data (issue 19): the pushes of one group-commit batch become a few statements. These
/// tests hold the batched path to the rules the one-by-one path keeps: every transition, incident
/// and event of every push, in order per service, nothing lost when pushes share a batch.
@Suite("Ingest writes as data")
struct BatchedIngestTests {
    private func report(_ name: String, _ status: ServiceStatus, node: String = "org/c1") throws
        -> Commands.HealthReport
    {
        let json = "{\"service\": \"\(name)\", \"nodeId\": \"\(node)\", \"status\": \"\(status.rawValue)\"}"
        return try JSONDecoder().decode(Commands.HealthReport.self, from: Data(json.utf8))
    }

    /// Pushes every report at once, so that they queue behind each other and share batches.
    private func pushAll(_ ingest: Ingest, _ reports: [Commands.HealthReport]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for report in reports { group.addTask { _ = try await ingest.recordHealth(report) } }
            try await group.waitForAll()
        }
    }

    private func chain(_ app: TestApp, _ id: UUID) async throws -> [StatusTransition] {
        try await app.runtime.store.reader.transitions(serviceId: id)
    }

    @Test(
        "concurrent flips of 64 services share batches and each records its transition, incident and events",
        arguments: TestBackend.all)
    func concurrentFlips(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let ingest = app.runtime.ingest
        let store = app.runtime.store
        let names = (0..<64).map { "svc-\($0)" }
        try await pushAll(ingest, try names.map { try report($0, .operational) })
        let recorder = EventRecorder(app.runtime.events)
        let before = await store.commitStatistics()
        app.clock.advance(by: 10)
        try await pushAll(ingest, try names.map { try report($0, .down) })
        let after = await store.commitStatistics()
        // 64 writes in fewer transactions: they were batched.
        #expect(after.writes - before.writes == 64)
        #expect(after.batches - before.batches < 64)

        app.clock.advance(by: 10)
        try await pushAll(ingest, try names.map { try report($0, .operational) })
        let reader = app.runtime.store.reader
        for name in names {
            let service = try #require(try await reader.service(nodeId: try NodePath(validating: "org/c1"), name: name))
            #expect(service.status == .operational)
            #expect(service.statusChangedAt == TestApp.start.addingTimeInterval(20))
            let transitions = try await chain(app, service.id).map { "\($0.from?.rawValue ?? "-")>\($0.to.rawValue)" }
            #expect(transitions == ["->OPERATIONAL", "OPERATIONAL>DOWN", "DOWN>OPERATIONAL"])
            let incidents = try await reader.incidents(serviceId: service.id)
            #expect(incidents.count == 1)
            #expect(incidents.first?.openedAt == TestApp.start.addingTimeInterval(10))
            #expect(incidents.first?.closedAt == TestApp.start.addingTimeInterval(20))
        }
        let events = await recorder.wait { events in
            events.filter { if case .slaIncident = $0 { true } else { false } }.count >= 128
        }
        var opened = 0
        var closed = 0
        var changes = 0
        for event in events {
            switch event {
            case .slaIncident(let incident): if incident.phase == .opened { opened += 1 } else { closed += 1 }
            case .serviceStatusChanged: changes += 1
            default: break
            }
        }
        #expect(opened == 64 && closed == 64 && changes == 128)
        try await app.run { (client: Client) async throws in
            // The incident list names each incident's service (read together, not one by one).
            let answer = try await client.graphQL("{ incidents(first: 100) { serviceName open } }", token: operatorKey)
            let rows = try #require(answer.data?["incidents"] as? [[String: Any]], "\(answer.text)")
            #expect(Set(rows.compactMap { $0["serviceName"] as? String }) == Set(names))
            #expect(rows.allSatisfy { $0["open"] as? Bool == false })
        }
    }

    @Test(
        "first pushes of new services share batches: each service, node, creation transition and incident is written once",
        arguments: TestBackend.all)
    func batchedCreation(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let ingest = app.runtime.ingest
        let store = app.runtime.store
        let recorder = EventRecorder(app.runtime.events)
        // 60 new services on 6 new nodes, half born DOWN; each pushed twice at once (the second
        // push of a new service in the same batch updates what the first created).
        let reports = try (0..<60).flatMap { i -> [Commands.HealthReport] in
            let status: ServiceStatus = i % 2 == 0 ? .down : .operational
            let node = "org/new/n\(i % 6)"
            return [try report("svc-\(i)", status, node: node), try report("svc-\(i)", status, node: node)]
        }
        let before = await store.commitStatistics()
        let receipts = try await withThrowingTaskGroup(of: HealthReceipt.self) { group in
            for command in reports { group.addTask { try await ingest.recordHealth(command) } }
            var all: [HealthReceipt] = []
            for try await receipt in group { all.append(receipt) }
            return all
        }
        let after = await store.commitStatistics()
        #expect(after.batches - before.batches < 120)
        // Exactly one push per service says it created it, and both name the same service.
        for (name, pair) in Dictionary(grouping: receipts, by: \.serviceName) {
            #expect(pair.count == 2 && pair.filter(\.created).count == 1, "\(name)")
            #expect(Set(pair.map(\.serviceId)).count == 1, "\(name)")
        }
        let reader = app.runtime.store.reader
        for n in 0..<6 { #expect(try await reader.node(try NodePath(validating: "org/new/n\(n)")) != nil) }
        for i in 0..<60 {
            let service = try #require(
                try await reader.service(nodeId: try NodePath(validating: "org/new/n\(i % 6)"), name: "svc-\(i)"))
            let born: ServiceStatus = i % 2 == 0 ? .down : .operational
            #expect(service.status == born && service.source == .push)
            let transitions = try await chain(app, service.id).map { "\($0.from?.rawValue ?? "-")>\($0.to.rawValue)" }
            #expect(transitions == ["->\(born.rawValue)"], "svc-\(i)")
            #expect(try await reader.incidents(serviceId: service.id).count == (born == .down ? 1 : 0), "svc-\(i)")
        }
        let events = await recorder.wait { events in
            events.filter { if case .serviceStatusChanged = $0 { true } else { false } }.count >= 60
        }
        #expect(events.filter { if case .serviceStatusChanged = $0 { true } else { false } }.count == 60)
        #expect(events.filter { if case .slaIncident = $0 { true } else { false } }.count == 30)
        try await app.run { _ in }
    }

    @Test(
        "pushes leaving DOWN in one batch close each incident at its own report's time",
        arguments: TestBackend.all)
    func incidentsCloseAtTheirOwnTimes(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let ingest = app.runtime.ingest
        let names = (0..<64).map { "svc-\($0)" }
        try await pushAll(ingest, try names.map { try report($0, .operational) })
        app.clock.advance(by: 10)
        try await pushAll(ingest, try names.map { try report($0, .down) })
        app.clock.advance(by: 100)
        // Each recovery observed at its own second: one statement closes all incidents of a batch,
        // each at its service's time (they used to be grouped by time, a statement per time).
        let recoveries = try names.enumerated().map { index, name in
            var command = try report(name, .operational)
            command.observedAt = ISO8601DateFormatter().string(from: TestApp.start.addingTimeInterval(Double(11 + index)))
            return command
        }
        try await pushAll(ingest, recoveries)
        let reader = app.runtime.store.reader
        for (index, name) in names.enumerated() {
            let service = try #require(try await reader.service(nodeId: try NodePath(validating: "org/c1"), name: name))
            let incidents = try await reader.incidents(serviceId: service.id)
            #expect(incidents.count == 1)
            #expect(incidents.first?.closedAt == TestApp.start.addingTimeInterval(Double(11 + index)), "\(name)")
        }
        try await app.run { _ in }
    }

    @Test(
        "many pushes on one service at once are recorded as one consistent chain, whatever their order",
        arguments: TestBackend.all)
    func oneServiceManyPushes(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let ingest = app.runtime.ingest
        _ = try await ingest.recordHealth(try report("api", .operational))
        let statuses: [ServiceStatus] = [.down, .operational, .degraded, .down, .operational, .down, .degraded, .down]
        try await pushAll(ingest, try (0..<40).map { try report("api", statuses[$0 % statuses.count]) })
        let reader = app.runtime.store.reader
        let service = try #require(try await reader.service(nodeId: try NodePath(validating: "org/c1"), name: "api"))
        let transitions = try await chain(app, service.id)
        // The pushes share one timestamp, so the stored order of transitions is arbitrary; what must
        // hold is that they form one chain from the creation to the current status: no self-loop,
        // and every status entered as often as left, but the current one, entered once more.
        #expect(transitions.filter { $0.from == nil }.count == 1)
        #expect(transitions.allSatisfy { $0.from != $0.to })
        for status in ServiceStatus.allCases {
            let entered = transitions.filter { $0.to == status }.count
            let left = transitions.filter { $0.from == status }.count
            #expect(entered - left == (status == service.status ? 1 : 0), "\(status)")
        }
        // An incident is open exactly when the service is DOWN, and there is one per entry into DOWN.
        let incidents = try await reader.incidents(serviceId: service.id)
        #expect(incidents.count == transitions.filter { $0.to == .down }.count)
        #expect(incidents.filter { $0.closedAt == nil }.count == (service.status == .down ? 1 : 0))
        // (The directory may now hold any of the statuses: concurrent pushes teach it in the order
        // their answers return, and it is only a hint that the compare-and-set checks.)
        try await app.run { _ in }
    }

    @Test(
        "a sweep of 20 silent nodes turns their 400 services UNKNOWN in one go, each node's changes before its alert",
        arguments: TestBackend.all)
    func bulkSweep(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            for node in 0..<20 {
                let items = (0..<20).map { "{\"name\": \"s\($0)\", \"status\": \"\($0 == 0 ? "DOWN" : "OPERATIONAL")\"}" }
                let body = "{\"nodeId\": \"fleet/n\(node)\", \"services\": [\(items.joined(separator: ", "))]}"
                #expect(try await client.post("/api/v1/operator/status", body).status == .ok)
            }
            let recorder = EventRecorder(app.runtime.events)
            app.clock.advance(by: 91)
            let result = try await app.runtime.ingest.sweep()
            #expect(result.silentNodes.count == 20)
            let events = await recorder.wait { $0.filter { if case .slaAlert = $0 { true } else { false } }.count >= 20 }
            // Per node: 20 status changes (and the DOWN one's incident closing), then the node's alert.
            var seen: [String: Int] = [:]
            for event in events {
                switch event {
                case .serviceStatusChanged(let change):
                    #expect(change.to == .unknown)
                    seen[change.nodeId.value, default: 0] += 1
                case .slaAlert(let alert):
                    #expect(seen[alert.nodeId?.value ?? ""] == 20, "\(alert.message)")
                default: break
                }
            }
            #expect(seen.values.reduce(0, +) == 400)
            let reader = app.runtime.store.reader
            let down = try #require(try await reader.service(nodeId: try NodePath(validating: "fleet/n7"), name: "s0"))
            #expect(down.status == .unknown)
            #expect(try await reader.openIncident(serviceId: down.id) == nil)
            #expect(try await reader.transitions(serviceId: down.id).map(\.to) == [.down, .unknown])
        }
    }

    @Test(
        "an operator sync writes exactly the fields it changes and keeps the rest (backup settings, registration)",
        arguments: TestBackend.all)
    func syncWritesChangedFields(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let register = """
                {"name": "db", "nodeId": "org/k8s", "criticality": "critical",
                 "operations": {"backup": {"expected": true, "maxAgeDays": 3}}}
                """
            #expect(try await client.post("/api/v1/operator/register", register).status == .created)
            let full = """
                {"nodeId": "org/k8s", "services": [
                  {"name": "db", "status": "DOWN", "message": "crash loop", "displayName": "DB", "replicas": 3,
                   "readyReplicas": 1, "slaGroup": "g1", "workloadType": "StatefulSet", "namespace": "data",
                   "serviceType": "postgres", "tags": ["x", "y"]},
                  {"name": "cache", "status": "OPERATIONAL", "replicas": 2, "readyReplicas": 2}]}
                """
            app.clock.advance(by: 10)
            #expect(try await client.post("/api/v1/operator/status", full).status == .ok)
            // Only readiness and status change; everything else must stay as the first sync left it.
            let partial = """
                {"nodeId": "org/k8s", "services": [{"name": "db", "status": "OPERATIONAL", "readyReplicas": 3},
                  {"name": "cache", "status": "OPERATIONAL", "readyReplicas": 1}]}
                """
            app.clock.advance(by: 10)
            #expect(try await client.post("/api/v1/operator/status", partial).status == .ok)
            let node = try NodePath(validating: "org/k8s")
            let reader = app.runtime.store.reader
            let db = try #require(try await reader.service(nodeId: node, name: "db"))
            #expect(db.status == .operational && db.message == "crash loop")
            #expect(db.statusChangedAt == TestApp.start.addingTimeInterval(20))
            #expect(db.lastSeenAt == TestApp.start.addingTimeInterval(20))
            #expect(db.displayName == "DB" && db.replicas == 3 && db.readyReplicas == 3)
            #expect(db.slaGroup == "g1" && db.workloadType == "StatefulSet" && db.namespace == "data")
            #expect(db.serviceType == "postgres" && db.tags == ["x", "y"] && db.criticality == .critical)
            #expect(db.registered && db.backup.expected && db.backup.maxAgeDays == 3)
            #expect(db.source == .register && db.createdAt == TestApp.start)
            let cache = try #require(try await reader.service(nodeId: node, name: "cache"))
            #expect(cache.status == .operational && cache.replicas == 2 && cache.readyReplicas == 1)
            #expect(cache.statusChangedAt == TestApp.start.addingTimeInterval(10))
            #expect(try await chain(app, db.id).map(\.to) == [.unknown, .down, .operational])
        }
    }

    @Test(
        "an operator sync flipping 300 services writes every transition and incident, and marks the missing UNKNOWN",
        arguments: TestBackend.all)
    func largeSync(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        @Sendable func sync(_ count: Int, _ status: String) -> String {
            let items = (0..<count).map { "{\"name\": \"w\($0)\", \"status\": \"\(status)\"}" }
            return "{\"nodeId\": \"org/k8s\", \"services\": [\(items.joined(separator: ", "))]}"
        }
        try await app.run { (client: Client) async throws in
            let first = try await client.post("/api/v1/operator/status", sync(300, "OPERATIONAL"))
            #expect(first.status == .ok)
            #expect(first["created"] as? Int == 300)
            app.clock.advance(by: 60)
            #expect(try await client.post("/api/v1/operator/status", sync(300, "DOWN")).status == .ok)
            app.clock.advance(by: 60)
            // w250…w299 left out: they turn UNKNOWN (closing their incidents); the rest recover.
            let last = try await client.post("/api/v1/operator/status", sync(250, "OPERATIONAL"))
            #expect(last.status == .ok)
            #expect(last["markedUnknown"] as? Int == 50)

            let reader = app.runtime.store.reader
            let node = try NodePath(validating: "org/k8s")
            for index in [0, 137, 249, 250, 299] {
                let service = try #require(try await reader.service(nodeId: node, name: "w\(index)"))
                let expected: ServiceStatus = index < 250 ? .operational : .unknown
                #expect(service.status == expected)
                let transitions = try await chain(app, service.id).map(\.to)
                #expect(transitions == [.operational, .down, expected])
                let incidents = try await reader.incidents(serviceId: service.id)
                #expect(incidents.count == 1)
                #expect(incidents.first?.closedAt == TestApp.start.addingTimeInterval(120))
            }
        }
    }
}
