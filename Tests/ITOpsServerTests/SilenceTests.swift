import Foundation
import ITOpsCore
import ITOpsServer
import Testing

@Suite("Silence detection")
struct SilenceTests {
    @Test(
        "past the heartbeat timeout a node's operator services turn UNKNOWN with a transition and an sla:alert",
        arguments: TestBackend.all)
    func heartbeatTimeout(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let events = EventRecorder(app.runtime.events)
        try await app.run { (client: Client) async throws in
            _ = try await client.post(
                "/api/v1/operator/status",
                "{\"nodeId\": \"org/c1\", \"services\": [{\"name\": \"api\", \"status\": \"OPERATIONAL\"}, {\"name\": \"db\", \"status\": \"DEGRADED\"}]}"
            )
            _ = try await client.post(
                "/api/v1/health/report",
                "{\"service\": \"pushed\", \"nodeId\": \"org/c1\", \"status\": \"OPERATIONAL\", \"expectedIntervalSeconds\": 3600}"
            )
            let heartbeat = try await client.post(
                "/api/v1/operator/heartbeat",
                "{\"nodeId\": \"org/c1\", \"version\": \"1.0.0\", \"watchedServices\": 7, \"healthyServices\": 6, \"unhealthyServices\": 1}"
            )
            #expect(heartbeat.status == .ok)
            app.clock.advance(by: 90)
            #expect(try await app.runtime.ingest.sweep().silentNodes.isEmpty)  // exactly at the timeout: not yet
            app.clock.advance(by: 1)
            let result = try await app.runtime.ingest.sweep()
            #expect(result.silentNodes.map(\.value) == ["org/c1"])
            let reader = app.runtime.store.reader
            let node = try NodePath(validating: "org/c1")
            for name in ["api", "db"] {
                let service = try #require(try await reader.service(nodeId: node, name: name))
                #expect(service.status == .unknown)
                #expect(service.message?.hasPrefix("node silent") == true)
                #expect(try await reader.transitions(serviceId: service.id).last?.to == .unknown)
            }
            // Pushed services are not the agent's: they keep their own staleness clock.
            #expect(try await reader.service(nodeId: node, name: "pushed")?.status == .operational)
            #expect(try await reader.node(node)?.silent == true)
            #expect(try await reader.node(node)?.watchedServices == 7)
            // The next heartbeat clears the silence; a second sweep raises nothing new.
            _ = try await client.post("/api/v1/operator/heartbeat", "{\"nodeId\": \"org/c1\"}")
            #expect(try await reader.node(node)?.silent == false)
            #expect(try await app.runtime.ingest.sweep().silentNodes.isEmpty)
        }
        let alerts = await events.drain().compactMap { event -> Alert? in
            if case .slaAlert(let alert) = event { return alert } else { return nil }
        }
        #expect(alerts.count == 1)
        #expect(alerts.first?.kind == .nodeSilent)
        #expect(alerts.first?.nodeId?.value == "org/c1")
    }

    @Test(
        "a pushed service silent for ITOPS_PUSH_STALE_AFTER, or 3 × its own interval, turns UNKNOWN",
        arguments: TestBackend.all)
    func stalePush(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend) { $0.pushStaleAfter = 300 }
        let events = EventRecorder(app.runtime.events)
        try await app.run { (client: Client) async throws in
            _ = try await client.post(
                "/api/v1/health/report", "{\"service\": \"default\", \"nodeId\": \"bm\", \"status\": \"OPERATIONAL\"}")
            _ = try await client.post(
                "/api/v1/health/report",
                "{\"service\": \"fast\", \"nodeId\": \"bm\", \"status\": \"DOWN\", \"expectedIntervalSeconds\": 10}")
            app.clock.advance(by: 31)
            #expect(try await app.runtime.ingest.sweep().staleServices == 1)
            let reader = app.runtime.store.reader
            let node = try NodePath(validating: "bm")
            let fast = try #require(try await reader.service(nodeId: node, name: "fast"))
            #expect(fast.status == .unknown)
            #expect(fast.message?.hasPrefix("no push since") == true)
            // Leaving DOWN for UNKNOWN closes the incident.
            #expect(try await reader.openIncident(serviceId: fast.id) == nil)
            app.clock.advance(by: 270)
            #expect(try await app.runtime.ingest.sweep().staleServices == 1)
            #expect(try await reader.service(nodeId: node, name: "default")?.status == .unknown)
            // A fresh push brings it back.
            _ = try await client.post(
                "/api/v1/health/report", "{\"service\": \"default\", \"nodeId\": \"bm\", \"status\": \"OPERATIONAL\"}")
            #expect(try await reader.service(nodeId: node, name: "default")?.status == .operational)
        }
        let changes = await events.drain().compactMap { event -> ServiceStatusChange? in
            if case .serviceStatusChanged(let change) = event { return change } else { return nil }
        }
        #expect(changes.filter { $0.to == .unknown }.count == 2)
    }
}
