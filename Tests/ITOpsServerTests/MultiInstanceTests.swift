import Foundation
import ITOpsCore
import ITOpsOutboundTestSupport
import ITOpsServer
import ITOpsStore
import Logging
import Synchronization
import Testing

/// Several ITOps instances on one PostgreSQL database. Runs when `ITOPS_TEST_DATABASE_URL` is set.
@Suite("Several instances on PostgreSQL", .enabled(if: TestDatabase.adminURL != nil, "needs ITOPS_TEST_DATABASE_URL"))
struct MultiInstanceTests {
    @Test("with two instances working the outbound queue, each webhook delivery is made exactly once")
    func oneDeliveryAcrossInstances() async throws {
        let receiver = try await TestHTTPReceiver.start()
        let a = try await TestApp.make(.postgres) { $0.webhookHostAllowlist = ["127.0.0.1"] }
        let b = try await TestApp.make(reusing: a) { $0.webhookHostAllowlist = ["127.0.0.1"] }
        let hook = try await a.runtime.outbound.createWebhook(
            WebhookInput(url: receiver.url(), events: ["service:status_changed"], secret: webhookSecret))
        let workers = [a, b].map { app in Task { await app.runtime.outbound.run() } }
        try await waitUntil("both workers listen") {
            a.runtime.outbound.isListening && b.runtime.outbound.isListening
        }
        try await Task.sleep(for: .milliseconds(300))  // both LISTEN connections are up
        try await a.run(keepData: true) { (client: Client) async throws in
            for index in 0..<5 { try await client.report("svc-\(index)", "DOWN") }
            _ = await receiver.waitForRequests(5, timeout: .seconds(20))
            try await Task.sleep(for: .seconds(1))  // would a duplicate arrive?
            #expect(receiver.requests.count == 5)
            #expect(Set(receiver.requests.compactMap { $0.headers["x-itops-delivery"] }).count == 5)
            let deliveries = try await a.runtime.outbound.webhookDeliveries(webhookId: hook.id, limit: 50)
            #expect(deliveries.count == 5)
            #expect(deliveries.allSatisfy { $0.status == .success && $0.attempt == 1 })
        }
        for worker in workers { worker.cancel() }
        for worker in workers { await worker.value }
        try await b.run { _ in }
        await receiver.stop()
    }

    @Test("an event ingested on instance A reaches a subscriber on instance B exactly once")
    func crossInstanceEvents() async throws {
        let a = try await TestApp.make(.postgres)
        let b = try await TestApp.make(reusing: a)
        let onA = EventRecorder(a.runtime.events)
        let onB = EventRecorder(b.runtime.events)
        try await Task.sleep(for: .milliseconds(300))  // both listeners are connected
        try await a.run(keepData: true) { (client: Client) async throws in
            let response = try await client.post(
                "/api/v1/health/report", "{\"service\": \"api\", \"nodeId\": \"x/y\", \"status\": \"DOWN\"}")
            #expect(response.status == .ok)
        }
        var received = await onB.wait(timeout: .seconds(20)) { $0.count >= 2 }
        try await Task.sleep(for: .milliseconds(200))  // would a duplicate arrive?
        received = onB.snapshot()
        let bChanges = received.compactMap { if case .serviceStatusChanged(let c) = $0 { c } else { nil } }
        #expect(bChanges.count == 1)
        #expect(bChanges.first?.serviceName == "api" && bChanges.first?.to == .down)
        #expect(received.filter { if case .slaIncident = $0 { true } else { false } }.count == 1)
        let aChanges = await onA.drain().compactMap { if case .serviceStatusChanged(let c) = $0 { c } else { nil } }
        #expect(aChanges.count == 1)
        try await b.run { _ in }
    }

    @Test("a burst of 30,000 events on instance A reaches instance B complete and in order")
    func eventBurstAcrossInstances() async throws {
        // One NOTIFY per event forwarded about 2,000 per second from a buffer of 10,000: a burst (a
        // silence sweep of a large node, sustained status churn) lost events on the other instances.
        let a = try await TestApp.make(.postgres)
        let b = try await TestApp.make(reusing: a)
        let onB = EventRecorder(b.runtime.events)
        try await Task.sleep(for: .milliseconds(300))  // B's listener is connected
        let count = 30_000
        let at = Date()
        for first in stride(from: 0, to: count, by: 500) {
            a.runtime.events.publish(
                (first..<first + 500).map {
                    .ticketCreated(TicketEvent(ticketId: UUID(), title: "t\($0)", status: "open", serviceId: nil, at: at))
                })
        }
        let received = await onB.wait(timeout: .seconds(60)) { $0.count >= count }
        let titles = received.compactMap { if case .ticketCreated(let ticket) = $0 { ticket.title } else { nil } }
        #expect(titles.count == count)
        #expect(titles == (0..<count).map { "t\($0)" })
        try await a.run(keepData: true) { _ in }
        try await b.run { _ in }
    }

    @Test("a WebSocket subscriber on instance B receives a status change pushed over REST to instance A, once")
    func webSocketAcrossInstances() async throws {
        let a = try await TestApp.make(.postgres)
        let b = try await TestApp.make(reusing: a)
        try await b.runLive { live in
            let token = try await b.token(live.http, role: .viewer)
            let base = b.runtime.events.subscriberCount
            let close = try await live.webSocket { ws in
                try await ws.initialise(token: token)
                try await ws.subscribe(
                    "s1", "subscription { serviceStatusChanged { serviceName nodeId oldStatus newStatus } }")
                try await b.waitForSubscribers(base + 1)
                try await a.run(keepData: true) { (client: Client) async throws in
                    let push = try await client.post(
                        "/api/v1/health/report", "{\"service\": \"api\", \"nodeId\": \"east/c1\", \"status\": \"DOWN\"}"
                    )
                    #expect(push.status == .ok)
                }
                let next = try #require(try await ws.receive())
                #expect(next["type"] as? String == "next")
                let change = try #require(next.payloadData("serviceStatusChanged"))
                #expect(change["serviceName"] as? String == "api")
                #expect(change["nodeId"] as? String == "east/c1")
                #expect(change["newStatus"] as? String == "DOWN")
                // Exactly once: a ping is answered before any duplicate could arrive.
                try await Task.sleep(for: .milliseconds(300))
                try await ws.send(["type": "ping"])
                #expect(try await ws.receive()?["type"] as? String == "pong")
                try await ws.send(["type": "complete", "id": "s1"])
            }
            #expect(close.code == 1000)
        }
        try? a.database?.drop()
    }

    @Test("a license activated on instance A is in force on instance B without a restart")
    func licenseAcrossInstances() async throws {
        let vendor = TestVendor()
        let a = try await TestApp.licensed(vendor, backend: .postgres)
        let b = try await TestApp.make(reusing: a) {
            $0.licensePublicKey = vendor.publicKeyBase64
            $0.trialDays = 0
        }
        #expect(!b.runtime.license.isEnabled(.sla))
        try await b.run(keepData: true, jobs: true) { (client: Client) async throws in
            _ = try await a.runtime.license.activate(token: try vendor.token(plugins: ["sla"]))
            for _ in 0..<100 where !b.runtime.license.isEnabled(.sla) {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(b.runtime.license.isEnabled(.sla))
            #expect(b.runtime.license.status().customer == "My Company")
        }
        await a.finish()
    }

    @Test("a job started on two instances at once runs on one; when the holder stops, the other takes it")
    func exclusiveJobs() async throws {
        let a = try await TestApp.make(.postgres)
        let b = try await TestApp.make(reusing: a)
        let runs = Runs()
        async let first: Int? = a.runtime.store.exclusively("daily-report") {
            runs.count.withLock { $0 += 1 }
            try await Task.sleep(for: .milliseconds(500))
            return 1
        }
        try await Task.sleep(for: .milliseconds(100))
        let second: Int? = try await b.runtime.store.exclusively("daily-report") {
            runs.count.withLock { $0 += 1 }
            return 2
        }
        #expect(try await first == 1)
        #expect(second == nil)
        #expect(runs.count.withLock { $0 } == 1)
        // A holder that goes away (its connection closes) releases the job.
        await a.runtime.shutdown()
        let third: Int? = try await b.runtime.store.exclusively("daily-report") { 3 }
        #expect(third == 3)
        await b.runtime.shutdown()
        try? b.database?.drop()
    }

    @Test("two instances ingesting the same services concurrently never double-create or lose a transition")
    func concurrentIngest() async throws {
        let a = try await TestApp.make(.postgres)
        let b = try await TestApp.make(reusing: a)
        let bodies = (0..<40).map { i in
            "{\"service\": \"s\(i % 10)\", \"nodeId\": \"race\", \"status\": \"\(i % 2 == 0 ? "DOWN" : "OPERATIONAL")\"}"
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, body) in bodies.enumerated() {
                let ingest = index % 2 == 0 ? a.runtime.ingest : b.runtime.ingest
                group.addTask {
                    let command = try JSONDecoder().decode(Commands.HealthReport.self, from: Data(body.utf8))
                    _ = try await ingest.healthReport(command)
                }
            }
            try await group.waitForAll()
        }
        let reader = a.runtime.store.reader
        #expect(try await reader.countServices(matching: ServiceFilter()) == 10)
        for i in 0..<10 {
            let service = try #require(
                try await reader.service(nodeId: try NodePath(validating: "race"), name: "s\(i)"))
            let transitions = try await reader.transitions(serviceId: service.id)
            // Each transition starts where the previous one ended: no lost update.
            for (previous, next) in zip(transitions, transitions.dropFirst()) { #expect(previous.to == next.from) }
            #expect(transitions.last?.to == service.status)
        }
        await a.runtime.shutdown()
        await b.runtime.shutdown()
        try? a.database?.drop()
    }
}

final class Runs: Sendable {
    let count = Mutex(0)

    @Test("a user disabled and a key revoked on instance A are refused on instance B, HTTP and an open WebSocket, within 10 s")
    func revocationAcrossInstances() async throws {
        let a = try await TestApp.make(.postgres) { $0.credentialRefreshInterval = 1 }
        let b = try await TestApp.make(reusing: a) { $0.credentialRefreshInterval = 1 }
        let user = try await a.runtime.createUser(email: "eve@example.com", password: "password-123", role: .operator)
        let (key, plain) = try await a.runtime.createAPIKey(name: "ci", role: .operator)
        let push = "{\"service\": \"s\", \"status\": \"OPERATIONAL\"}"
        try await b.runLive { live in
            let token = try await live.http.login("eve@example.com", "password-123")
            #expect(
                try await live.http.request(.post, "/api/v1/health/report", body: push, key: nil, bearer: token).status
                    == .ok)
            #expect(try await live.http.post("/api/v1/health/report", push, key: plain).status == .ok)
            let closed = try await live.webSocket { ws in
                try await ws.initialise(token: token)
                try await ws.subscribe("live", "subscription { serviceStatusChanged { serviceName } }")
                _ = try await a.runtime.identity.updateUser(id: user.id, UserUpdate(disabled: true))
                _ = try await a.runtime.revokeAPIKey(key.id.stored)
                let start = ContinuousClock.now  // from the commit on A
                // B's clock moves on as real time would; its next re-read sees the change.
                b.clock.advance(by: 1)
                _ = try await ws.drainUntilClosed()
                #expect(ContinuousClock.now - start < .seconds(10))
            }
            #expect(closed.code == 4403)
            let refused = try await live.http.request(
                .post, "/api/v1/health/report", body: push, key: nil, bearer: token)
            #expect(refused.status == .unauthorized && refused.error?.contains("disabled") == true)
            #expect(try await live.http.post("/api/v1/health/report", push, key: plain).status == .unauthorized)
        }
        try await a.run { _ in }
    }
}
