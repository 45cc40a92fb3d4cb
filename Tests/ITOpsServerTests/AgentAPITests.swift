import Foundation
import ITOpsCore
import ITOpsServer
import Testing

@Suite("Agent REST API")
struct AgentAPITests {
    static let operatorExample = """
        {"nodeId": "myorg/platform/prod/cluster1", "operatorVersion": "1.0.0",
         "services": [{"name": "my-api", "status": "OPERATIONAL", "replicas": 3, "readyReplicas": 3,
                       "slaGroup": "payment-system", "workloadType": "Deployment"}],
         "slaGroups": [{"name": "payment-system", "displayName": "Payment System", "tier": "critical"}]}
        """

    @Test("health answers status and version; ready answers once the database does", arguments: TestBackend.all)
    func probes(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let health = try await client.get("/health", key: nil)
            #expect(health.status == .ok)
            #expect(health["status"] as? String == "ok")
            #expect(health["version"] as? String == ITOpsRuntime.version)
            let ready = try await client.get("/ready", key: nil)
            #expect(ready.status == .ok)
            await app.runtime.store.shutdown()
            let down = try await client.get("/ready", key: nil)
            #expect(down.status == .serviceUnavailable)
            #expect(down["success"] as? Bool == false)
        }
    }

    @Test(
        "the reference's storage example answers freePercent 50 and healthy, and creates a storage-tagged service",
        arguments: TestBackend.all)
    func storageExample(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let response = try await client.post(
                "/api/v1/storage/report",
                """
                {"service": "postgresql", "nodeId": "myorg/platform/prod/cluster1", "allocatedBytes": 107374182400,
                 "usedBytes": 53687091200, "storageType": "pvc", "mountPath": "/var/lib/postgresql"}
                """)
            #expect(response.status == .ok)
            #expect(response["success"] as? Bool == true)
            #expect(response["serviceName"] as? String == "postgresql")
            #expect(response["freePercent"] as? Int == 50)
            #expect(response["status"] as? String == "healthy")
            let service = try #require(
                try await app.runtime.store.reader.service(
                    nodeId: try NodePath(validating: "myorg/platform/prod/cluster1"), name: "postgresql"))
            #expect(service.tags == ["storage"])
            #expect(service.source == .storage)
            #expect(try await app.runtime.store.reader.storageReports(serviceId: service.id).count == 1)
        }
    }

    @Test(
        "storage thresholds: >30 % healthy, 10–30 % warning, <10 % critical; entering them raises sla:alert",
        arguments: TestBackend.all)
    func storageThresholds(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let events = EventRecorder(app.runtime.events)
        try await app.run { (client: Client) async throws in
            func report(_ used: Int) async throws -> String? {
                try await client.post(
                    "/api/v1/storage/report",
                    "{\"service\": \"disk\", \"nodeId\": \"n1\", \"allocatedBytes\": 100, \"usedBytes\": \(used)}"
                )["status"] as? String
            }
            // 31 % free, 30 %, 20 %, 10 %, 9 %, 5 %.
            var states: [String?] = []
            for used in [69, 70, 80, 90, 91, 95] { states.append(try await report(used)) }
            #expect(states == ["healthy", "warning", "warning", "warning", "critical", "critical"])
        }
        let alerts = await events.drain().compactMap { event -> Alert? in
            if case .slaAlert(let alert) = event { return alert } else { return nil }
        }
        #expect(alerts.map(\.kind) == [.storageWarning, .storageCritical])
    }

    @Test(
        "storage rejects used > allocated, allocated 0 and negative usage with 422, writing nothing",
        arguments: TestBackend.all)
    func storageInvalid(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            for body in [
                "{\"service\": \"d\", \"allocatedBytes\": 10, \"usedBytes\": 11}",
                "{\"service\": \"d\", \"allocatedBytes\": 0, \"usedBytes\": 0}",
                "{\"service\": \"d\", \"allocatedBytes\": 10, \"usedBytes\": -1}",
                "{\"service\": \"d\", \"usedBytes\": 1}",
            ] {
                let response = try await client.post("/api/v1/storage/report", body)
                #expect(response.status == .unprocessableContent, "\(body)")
                #expect(response["success"] as? Bool == false)
            }
            #expect(try await app.runtime.store.reader.countServices(matching: ServiceFilter()) == 0)
        }
    }

    @Test(
        "operator/status upserts the reference example's services and groups, and counts as a sign of life",
        arguments: TestBackend.all)
    func operatorStatusExample(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let response = try await client.post("/api/v1/operator/status", Self.operatorExample)
            #expect(response.status == .ok)
            #expect(response["created"] as? Int == 1)
            let reader = app.runtime.store.reader
            let node = try NodePath(validating: "myorg/platform/prod/cluster1")
            let service = try #require(try await reader.service(nodeId: node, name: "my-api"))
            #expect(service.status == .operational)
            #expect(service.replicas == 3 && service.readyReplicas == 3)
            #expect(service.workloadType == "Deployment")
            #expect(service.slaGroup == "payment-system")
            #expect(service.source == .operator)
            let group = try #require(try await reader.slaGroup(name: "payment-system"))
            #expect(group.displayName == "Payment System" && group.tier == .critical)
            // Every prefix of the path is a node.
            let nodes = try await reader.nodes().map(\.id.value)
            #expect(nodes == ["myorg", "myorg/platform", "myorg/platform/prod", "myorg/platform/prod/cluster1"])
            #expect(try await reader.node(node)?.agentVersion == "1.0.0")
            let again = try await client.post("/api/v1/operator/status", Self.operatorExample)
            #expect(again["updated"] as? Int == 1 && again["created"] as? Int == 0)
            // A later sync that lists the group without a tier keeps the tier it has.
            _ = try await client.post(
                "/api/v1/operator/status",
                "{\"nodeId\": \"myorg/platform/prod/cluster1\", \"services\": [], \"slaGroups\": [{\"name\": \"payment-system\"}]}"
            )
            #expect(try await reader.slaGroup(name: "payment-system")?.tier == .critical)
        }
    }

    @Test(
        "an operator service missing from the next sync turns UNKNOWN ('not reported by operator'), not deleted",
        arguments: TestBackend.all)
    func operatorMissingService(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            _ = try await client.post(
                "/api/v1/operator/status",
                "{\"nodeId\": \"c1\", \"services\": [{\"name\": \"a\", \"status\": \"OPERATIONAL\"}, {\"name\": \"b\", \"status\": \"DOWN\"}]}"
            )
            app.clock.advance(by: 30)
            let response = try await client.post(
                "/api/v1/operator/status",
                "{\"nodeId\": \"c1\", \"services\": [{\"name\": \"a\", \"status\": \"OPERATIONAL\"}]}")
            #expect(response["markedUnknown"] as? Int == 1)
            let b = try #require(
                try await app.runtime.store.reader.service(nodeId: try NodePath(validating: "c1"), name: "b"))
            #expect(b.status == .unknown)
            #expect(b.message == "not reported by operator")
            let transitions = try await app.runtime.store.reader.transitions(serviceId: b.id)
            #expect(transitions.map(\.to) == [.down, .unknown])
            // Leaving DOWN closed the incident it had opened.
            let incidents = try await app.runtime.store.reader.incidents(serviceId: b.id)
            #expect(incidents.count == 1 && incidents[0].closedAt == app.clock.now())
        }
    }

    @Test(
        "register answers 201 for a new service and 200 for an update; operator/services lists it with backup settings",
        arguments: TestBackend.all)
    func registerAndList(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let example = """
                {"name": "my-database", "displayName": "My Database", "nodeId": "myorg/platform/prod/cluster1",
                 "criticality": "critical", "operations": {"backup": {"expected": true, "maxAgeDays": 1}}}
                """
            let first = try await client.post("/api/v1/operator/register", example)
            #expect(first.status == .created)
            #expect(first["created"] as? Bool == true)
            let second = try await client.post("/api/v1/operator/register", example)
            #expect(second.status == .ok)
            let list = try await client.get("/api/v1/operator/services?nodeId=myorg/platform/prod/cluster1")
            #expect(list.status == .ok)
            let services = try #require(list["services"] as? [[String: Any]])
            #expect(services.count == 1)
            #expect(services[0]["name"] as? String == "my-database")
            #expect(services[0]["criticality"] as? String == "critical")
            let backup = (services[0]["operations"] as? [String: Any])?["backup"] as? [String: Any]
            #expect(backup?["expected"] as? Bool == true)
            #expect(backup?["maxAgeDays"] as? Int == 1)
            let service = try #require(
                try await app.runtime.store.reader.service(
                    nodeId: try NodePath(validating: "myorg/platform/prod/cluster1"), name: "my-database"))
            #expect(service.status == .unknown)  // registered but never reported
            let missing = try await client.get("/api/v1/operator/services")
            #expect(missing.status == .unprocessableContent)
            #expect(missing.error?.contains("nodeId") == true)
        }
    }

    @Test("operator endpoints require nodeId", arguments: TestBackend.all)
    func operatorRequiresNode(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            for (path, body) in [
                ("/api/v1/operator/status", "{\"services\": []}"),
                ("/api/v1/operator/heartbeat", "{\"version\": \"1\"}"),
                ("/api/v1/operator/register", "{\"name\": \"x\"}"),
            ] {
                let response = try await client.post(path, body)
                #expect(response.status == .unprocessableContent, "\(path)")
                #expect(response.error == "nodeId: is required", "\(path)")
            }
        }
    }

    @Test(
        "health/report creates the service and its node chain, then changes only status and message",
        arguments: TestBackend.all)
    func healthPush(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let first = try await client.post(
                "/api/v1/health/report",
                """
                {"service": "galera-node1", "nodeId": "myorg/infra/prod/baremetal", "status": "OPERATIONAL",
                 "message": "wsrep_cluster_size=3", "criticality": "critical", "slaGroup": "database-cluster",
                 "serviceType": "database", "tags": ["database", "baremetal"]}
                """)
            #expect(first.status == .ok)
            #expect(first["created"] as? Bool == true)
            app.clock.advance(by: 10)
            let second = try await client.post(
                "/api/v1/health/report",
                "{\"service\": \"galera-node1\", \"nodeId\": \"myorg/infra/prod/baremetal\", \"status\": \"DEGRADED\", \"message\": \"wsrep_cluster_size=2\"}"
            )
            #expect(second["created"] as? Bool == false)
            let reader = app.runtime.store.reader
            let service = try #require(
                try await reader.service(
                    nodeId: try NodePath(validating: "myorg/infra/prod/baremetal"), name: "galera-node1"))
            #expect(service.status == .degraded)
            #expect(service.message == "wsrep_cluster_size=2")
            #expect(service.criticality == .critical)  // kept
            #expect(service.tags == ["database", "baremetal"])
            #expect(service.source == .push)
            #expect(try await reader.nodes().map(\.id.value).contains("myorg/infra"))
            #expect(try await reader.slaGroup(name: "database-cluster") != nil)
        }
    }

    @Test("a push without nodeId lands under the unknown node", arguments: TestBackend.all)
    func pushWithoutNode(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let response = try await client.post(
                "/api/v1/health/report", "{\"service\": \"vm-1\", \"status\": \"OPERATIONAL\"}")
            #expect(response["nodeId"] as? String == "unknown")
            #expect(try await app.runtime.store.reader.node(.unknown) != nil)
        }
    }

    @Test(
        "a change into DOWN opens an incident and publishes sla:incident; leaving DOWN closes it",
        arguments: TestBackend.all)
    func incidents(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let events = EventRecorder(app.runtime.events)
        try await app.run { (client: Client) async throws in
            _ = try await client.post(
                "/api/v1/health/report", "{\"service\": \"s\", \"nodeId\": \"n\", \"status\": \"OPERATIONAL\"}")
            app.clock.advance(by: 60)
            _ = try await client.post(
                "/api/v1/health/report", "{\"service\": \"s\", \"nodeId\": \"n\", \"status\": \"DOWN\"}")
            let service = try #require(
                try await app.runtime.store.reader.service(nodeId: try NodePath(validating: "n"), name: "s"))
            #expect(try await app.runtime.store.reader.openIncident(serviceId: service.id) != nil)
            app.clock.advance(by: 60)
            _ = try await client.post(
                "/api/v1/health/report", "{\"service\": \"s\", \"nodeId\": \"n\", \"status\": \"OPERATIONAL\"}")
            #expect(try await app.runtime.store.reader.openIncident(serviceId: service.id) == nil)
            // A report that changes nothing records no transition.
            _ = try await client.post(
                "/api/v1/health/report", "{\"service\": \"s\", \"nodeId\": \"n\", \"status\": \"OPERATIONAL\"}")
            #expect(try await app.runtime.store.reader.transitions(serviceId: service.id).count == 3)
        }
        let phases = await events.drain().compactMap { event -> IncidentEvent.Phase? in
            if case .slaIncident(let incident) = event { return incident.phase } else { return nil }
        }
        #expect(phases == [.opened, .closed])
    }

    @Test("auth/providers lists the local provider without authentication", arguments: TestBackend.all)
    func providers(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let response = try await client.get("/api/v1/auth/providers", key: nil)
            #expect(response.status == .ok)
            let providers = try #require(response["providers"] as? [[String: Any]])
            #expect(providers.map { $0["id"] as? String } == ["local"])
        }
    }
}
