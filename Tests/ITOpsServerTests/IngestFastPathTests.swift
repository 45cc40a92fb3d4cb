import Foundation
import ITOpsCore
import ITOpsServer
import ITOpsStore
import Synchronization
import Testing

/// The fast write path: a push on a known service trusts the in-memory directory only as far as
/// a compare-and-set on the stored status allows, and the directory learns only from commits.
@Suite("Ingest fast path")
struct IngestFastPathTests {
    private func push(_ client: Client, _ service: String, _ status: String, node: String = "org/c1") async throws
        -> JSONResponse
    {
        try await client.post(
            "/api/v1/health/report", "{\"service\": \"\(service)\", \"nodeId\": \"\(node)\", \"status\": \"\(status)\"}"
        )
    }

    private func statuses(_ app: TestApp, _ service: String, node: String = "org/c1") async throws -> [String] {
        let reader = app.runtime.store.reader
        let found = try #require(try await reader.service(nodeId: try NodePath(validating: node), name: service))
        return try await reader.transitions(serviceId: found.id).map { "\($0.from?.rawValue ?? "-")>\($0.to.rawValue)" }
    }

    @Test(
        "a status changed behind the directory's back (operator sync, staleness sweep) is seen by the next push",
        arguments: TestBackend.all)
    func staleDirectoryEntry(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            #expect(try await push(client, "api", "OPERATIONAL").status == .ok)
            // The directory now says OPERATIONAL; an operator sync of the same node moves it to DOWN.
            app.clock.advance(by: 1)
            let sync = try await client.post(
                "/api/v1/operator/status",
                "{\"nodeId\": \"org/c1\", \"services\": [{\"name\": \"api\", \"status\": \"DOWN\"}]}")
            #expect(sync.status == .ok)
            app.clock.advance(by: 1)
            let back = try await push(client, "api", "OPERATIONAL")
            #expect(back.status == .ok)
            #expect(back["status"] as? String == "OPERATIONAL")
            #expect(try await statuses(app, "api") == ["->OPERATIONAL", "OPERATIONAL>DOWN", "DOWN>OPERATIONAL"])
            let service = try #require(
                try await app.runtime.store.reader.service(nodeId: try NodePath(validating: "org/c1"), name: "api"))
            #expect(try await app.runtime.store.reader.openIncident(serviceId: service.id) == nil)

            // The staleness sweep turns the pushed service UNKNOWN without telling the directory.
            #expect(try await push(client, "cache", "OPERATIONAL").status == .ok)
            app.clock.advance(by: 301)
            _ = try await app.runtime.ingest.sweep()
            app.clock.advance(by: 1)
            #expect(try await push(client, "cache", "OPERATIONAL").status == .ok)
            #expect(
                try await statuses(app, "cache") == ["->OPERATIONAL", "OPERATIONAL>UNKNOWN", "UNKNOWN>OPERATIONAL"])
        }
    }

    @Test(
        "a push that changes nothing keeps the transitions and moves only the last-seen time",
        arguments: TestBackend.all)
    func noChangePush(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            #expect(try await push(client, "db", "DEGRADED").status == .ok)
            app.clock.advance(by: 30)
            let again = try await client.post(
                "/api/v1/health/report",
                "{\"service\": \"db\", \"nodeId\": \"org/c1\", \"status\": \"DEGRADED\", \"message\": \"lag 3s\", \"tags\": [\"db\"]}"
            )
            #expect(again.status == .ok)
            #expect(again["created"] as? Bool == false)
            #expect(try await statuses(app, "db") == ["->DEGRADED"])
            let service = try #require(
                try await app.runtime.store.reader.service(nodeId: try NodePath(validating: "org/c1"), name: "db"))
            #expect(service.lastSeenAt == app.clock.now())
            #expect(service.statusChangedAt == TestApp.start)
            #expect(service.message == "lag 3s")
            #expect(service.tags == ["db"])
        }
    }

    @Test("a write that rolls back teaches the directory nothing", arguments: TestBackend.all)
    func rolledBackWrite(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let store = FlakyStore(app.runtime.store)
        let ingest = Ingest(
            store: store, events: app.runtime.events, clock: app.clock, settings: app.runtime.ingest.settings)
        let node = try NodePath(validating: "org/c1")
        func report(_ name: String, _ status: ServiceStatus) throws -> Commands.HealthReport {
            let json = "{\"service\": \"\(name)\", \"nodeId\": \"org/c1\", \"status\": \"\(status.rawValue)\"}"
            return try JSONDecoder().decode(Commands.HealthReport.self, from: Data(json.utf8))
        }
        let created = try await ingest.recordHealth(try report("api", .operational))
        #expect(ingest.directory.lookup(node: node, name: "api") == .init(id: created.serviceId, status: .operational))

        // A change that rolls back leaves the directory at the committed status …
        store.failNextWrite()
        await #expect(throws: FlakyStore.Failure.self) { try await ingest.recordHealth(try report("api", .down)) }
        #expect(ingest.directory.lookup(node: node, name: "api") == .init(id: created.serviceId, status: .operational))
        #expect(try await app.runtime.store.reader.service(id: created.serviceId)?.status == .operational)
        // … so the same change, sent again, is recorded once, with its incident.
        app.clock.advance(by: 1)
        let down = try await ingest.recordHealth(try report("api", .down))
        #expect(down.status == .down && !down.created)
        #expect(try await statuses(app, "api") == ["->OPERATIONAL", "OPERATIONAL>DOWN"])
        #expect(try await app.runtime.store.reader.openIncident(serviceId: created.serviceId) != nil)

        // A creation that rolls back is not remembered: the next push creates the service.
        store.failNextWrite()
        await #expect(throws: FlakyStore.Failure.self) {
            try await ingest.recordHealth(try report("new", .operational))
        }
        #expect(ingest.directory.lookup(node: node, name: "new") == nil)
        let again = try await ingest.recordHealth(try report("new", .operational))
        #expect(again.created)
        #expect(try await statuses(app, "new") == ["->OPERATIONAL"])
        try await app.run { _ in }
    }

    @Test("an operator sync that changes nothing moves every service's last-seen time", arguments: TestBackend.all)
    func unchangedSync(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let body =
            "{\"nodeId\": \"org/c2\", \"services\": [{\"name\": \"a\", \"status\": \"OPERATIONAL\", \"slaGroup\": \"g\"}, {\"name\": \"b\", \"status\": \"DOWN\", \"replicas\": 2}]}"
        try await app.run { (client: Client) async throws in
            #expect(try await client.post("/api/v1/operator/status", body).status == .ok)
            app.clock.advance(by: 30)
            let second = try await client.post("/api/v1/operator/status", body)
            #expect(second["updated"] as? Int == 2)
            let reader = app.runtime.store.reader
            let node = try NodePath(validating: "org/c2")
            for name in ["a", "b"] {
                let service = try #require(try await reader.service(nodeId: node, name: name))
                #expect(service.lastSeenAt == app.clock.now())
                #expect(service.statusChangedAt == TestApp.start)
                #expect(try await reader.transitions(serviceId: service.id).count == 1)
            }
            #expect(try await reader.slaGroup(name: "g") != nil)
        }
    }
}

/// Several instances on one PostgreSQL database: each instance's directory is only a hint.
@Suite(
    "Ingest fast path across instances", .enabled(if: TestDatabase.adminURL != nil, "needs ITOPS_TEST_DATABASE_URL"))
struct IngestFastPathInstanceTests {
    @Test("instance A records the change back from a status that instance B set")
    func twoInstances() async throws {
        let a = try await TestApp.make(.postgres)
        let b = try await TestApp.make(reusing: a)
        let body = { @Sendable (status: String) in
            "{\"service\": \"api\", \"nodeId\": \"x/y\", \"status\": \"\(status)\"}"
        }
        try await a.run(keepData: true) { (onA: Client) async throws in
            #expect(try await onA.post("/api/v1/health/report", body("OPERATIONAL")).status == .ok)
            // A remembers OPERATIONAL; B moves the service to DOWN.
            b.clock.advance(by: 1)
            try await b.run(keepData: true) { (onB: Client) async throws in
                #expect(try await onB.post("/api/v1/health/report", body("DOWN")).status == .ok)
            }
            a.clock.advance(by: 2)
            #expect(try await onA.post("/api/v1/health/report", body("OPERATIONAL")).status == .ok)
            let reader = a.runtime.store.reader
            let service = try #require(try await reader.service(nodeId: try NodePath(validating: "x/y"), name: "api"))
            #expect(service.status == .operational)
            #expect(
                try await reader.transitions(serviceId: service.id).map(\.to) == [.operational, .down, .operational])
            #expect(try await reader.openIncident(serviceId: service.id) == nil)
        }
        try? a.database?.drop()
    }
}

/// The real store, except that the next write can be made to roll back after its body ran.
final class FlakyStore: Store {
    struct Failure: Error {}
    let inner: any Store
    private let failNext = Mutex(false)

    init(_ inner: any Store) { self.inner = inner }

    func failNextWrite() { failNext.withLock { $0 = true } }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreWriter) async throws -> T) async throws -> T {
        let fail = failNext.withLock { value in
            defer { value = false }
            return value
        }
        return try await inner.write { tx in
            let value = try await body(tx)
            if fail { throw Failure() }
            return value
        }
    }

    var reader: any StoreReader { inner.reader }
    func ping() async throws { try await inner.ping() }
    func exclusively<T: Sendable>(_ job: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await inner.exclusively(job, body)
    }
    func shutdown() async { await inner.shutdown() }
}
