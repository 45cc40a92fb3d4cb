import Foundation
import ITOpsCore
import ITOpsServer
import Testing

@Suite("Backup webhook")
struct BackupTests {
    /// Registers `name` under `node` with backup expectations, in `group` and `namespace`.
    static func register(
        _ client: Client, _ name: String, node: String = "c1", group: String? = nil, namespace: String? = nil,
        expected: Bool = true
    ) async throws {
        var fields = ["\"name\": \"\(name)\"", "\"nodeId\": \"\(node)\""]
        if let group { fields.append("\"slaGroup\": \"\(group)\"") }
        if let namespace { fields.append("\"namespace\": \"\(namespace)\"") }
        fields.append("\"operations\": {\"backup\": {\"expected\": \(expected), \"maxAgeDays\": 1}}")
        let response = try await client.post("/api/v1/operator/register", "{\(fields.joined(separator: ", "))}")
        #expect(response.status == .created, "\(response.text)")
    }

    @Test(
        "group mode records the report for every member expecting backups and answers affected and services",
        arguments: TestBackend.all)
    func groupMode(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            for name in ["db-1", "db-2", "cache-1"] { try await Self.register(client, name, group: "payment-system") }
            try await Self.register(client, "api", group: "payment-system", expected: false)
            let response = try await client.post(
                "/api/v1/backup/report", "{\"slaGroup\": \"payment-system\", \"status\": \"success\"}")
            #expect(response.status == .ok)
            #expect(response["success"] as? Bool == true)
            #expect(response["message"] as? String == "backup report recorded for 3 services")
            #expect(response["affected"] as? Int == 3)
            #expect(Set(response["services"] as? [String] ?? []) == ["db-1", "db-2", "cache-1"])
            let db1 = try #require(
                try await app.runtime.store.reader.service(nodeId: try NodePath(validating: "c1"), name: "db-1"))
            #expect(db1.backup.lastStatus == .success)
            #expect(db1.backup.lastSuccessAt == app.clock.now())
            #expect(try await app.runtime.store.reader.backupReports(serviceId: db1.id).count == 1)
        }
    }

    @Test("namespace mode reaches every service of the namespace that expects backups", arguments: TestBackend.all)
    func namespaceMode(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            try await Self.register(client, "pg", namespace: "production")
            try await Self.register(client, "redis", node: "c2", namespace: "production")
            try await Self.register(client, "web", namespace: "production", expected: false)
            try await Self.register(client, "pg-staging", namespace: "staging")
            let response = try await client.post(
                "/api/v1/backup/report", "{\"namespace\": \"production\", \"status\": \"partial\", \"sizeBytes\": 10}")
            #expect(response["affected"] as? Int == 2)
            #expect(Set(response["services"] as? [String] ?? []) == ["pg", "redis"])
        }
    }

    @Test(
        "service mode without nodeId lands under unknown and creates the service expecting daily backups",
        arguments: TestBackend.all)
    func serviceModeUnknownNode(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let response = try await client.post(
                "/api/v1/backup/report",
                "{\"service\": \"my-database\", \"status\": \"success\", \"sizeBytes\": 5242880, \"message\": \"pg_dump completed\"}"
            )
            #expect(response.status == .ok)
            #expect(response["affected"] as? Int == 1)
            #expect(response["services"] as? [String] == ["my-database"])
            #expect(response["message"] as? String == "backup report recorded for 1 service")
            let service = try #require(
                try await app.runtime.store.reader.service(nodeId: .unknown, name: "my-database"))
            #expect(service.backup.expected && service.backup.maxAgeDays == 1)
            #expect(service.source == .backup)
            let report = try #require(try await app.runtime.store.reader.backupReports(serviceId: service.id).first)
            #expect(report.sizeBytes == 5_242_880 && report.message == "pg_dump completed")
        }
    }

    @Test(
        "an unknown group or namespace is 404 with a clear error; zero or several modes are 422",
        arguments: TestBackend.all)
    func unknownTargets(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let group = try await client.post(
                "/api/v1/backup/report", "{\"slaGroup\": \"nope\", \"status\": \"success\"}")
            #expect(group.status == .notFound)
            #expect(group.error == "slaGroup: no SLA group named 'nope'")
            let namespace = try await client.post(
                "/api/v1/backup/report", "{\"namespace\": \"nope\", \"status\": \"success\"}")
            #expect(namespace.status == .notFound)
            #expect(namespace.error?.contains("namespace") == true)
            let none = try await client.post("/api/v1/backup/report", "{\"status\": \"success\"}")
            #expect(none.status == .unprocessableContent)
            let both = try await client.post(
                "/api/v1/backup/report", "{\"service\": \"a\", \"slaGroup\": \"b\", \"status\": \"success\"}")
            #expect(both.status == .unprocessableContent)
            let status = try await client.post("/api/v1/backup/report", "{\"service\": \"a\", \"status\": \"done\"}")
            #expect(status.status == .badRequest)
            #expect(status.error?.hasPrefix("status: must be one of success|failed|partial") == true)
            #expect(try await app.runtime.store.reader.countServices(matching: ServiceFilter()) == 0)
        }
    }

    @Test(
        "a backup becomes overdue after maxAgeDays without success, raising sla:alert once; a success clears it",
        arguments: TestBackend.all)
    func overdue(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let events = EventRecorder(app.runtime.events)
        try await app.run { (client: Client) async throws in
            try await Self.register(client, "pg")
            app.clock.advance(by: 86_400 - 1)
            #expect(try await app.runtime.ingest.sweep().overdueBackups == 0)
            app.clock.advance(by: 2)
            #expect(try await app.runtime.ingest.sweep().overdueBackups == 1)
            #expect(try await app.runtime.ingest.sweep().overdueBackups == 0)  // raised once
            let node = try NodePath(validating: "c1")
            #expect(try await app.runtime.store.reader.service(nodeId: node, name: "pg")?.backup.overdue == true)
            // A failed backup does not clear it; a successful one does.
            _ = try await client.post(
                "/api/v1/backup/report", "{\"service\": \"pg\", \"nodeId\": \"c1\", \"status\": \"failed\"}")
            #expect(try await app.runtime.store.reader.service(nodeId: node, name: "pg")?.backup.overdue == true)
            _ = try await client.post(
                "/api/v1/backup/report", "{\"service\": \"pg\", \"nodeId\": \"c1\", \"status\": \"success\"}")
            #expect(try await app.runtime.store.reader.service(nodeId: node, name: "pg")?.backup.overdue == false)
        }
        let alerts = await events.drain().compactMap { event -> Alert? in
            if case .slaAlert(let alert) = event { return alert } else { return nil }
        }
        #expect(alerts.map(\.kind) == [.backupOverdue])
        #expect(alerts.first?.serviceName == "pg")
    }
}
