import Foundation
import HTTPTypes
import HummingbirdWSClient
import ITOpsServer
import Synchronization
import Testing

@testable import ITOpsCore

@Suite("GraphQL over WebSocket", .timeLimit(.minutes(2)))
struct WebSocketTests {
    static let statusSubscription =
        "subscription($node: String, $service: String) { serviceStatusChanged(nodeId: $node, serviceId: $service) { serviceId nodeId serviceName oldStatus newStatus message at } }"

    @Test("subscribe, ingest through REST, receive next with the typed payload; complete stops it")
    func subscribeAndReceive() async throws {
        let app = try await TestApp.make()
        try await app.runLive { live in
            let token = try await app.token(live.http, role: .viewer)
            _ = try await live.http.post(
                "/api/v1/health/report", healthReport("api", node: "acme/prod/c1", status: "OPERATIONAL"))
            let base = app.runtime.events.subscriberCount
            let close = try await live.webSocket { ws in
                try await ws.initialise(token: token)
                try await ws.subscribe("s1", Self.statusSubscription)
                try await app.waitForSubscribers(base + 1)
                let push = try await live.http.post(
                    "/api/v1/health/report",
                    healthReport("api", node: "acme/prod/c1", status: "DOWN", message: "connection refused"))
                #expect(push.status == .ok)
                let next = try #require(try await ws.receive())
                #expect(next["type"] as? String == "next")
                #expect(next["id"] as? String == "s1")
                let change = try #require(next.payloadData("serviceStatusChanged"))
                #expect(change["serviceName"] as? String == "api")
                #expect(change["nodeId"] as? String == "acme/prod/c1")
                #expect(change["oldStatus"] as? String == "OPERATIONAL")
                #expect(change["newStatus"] as? String == "DOWN")
                #expect(change["message"] as? String == "connection refused")
                #expect(change["serviceId"] as? String == push["serviceId"] as? String)
                #expect((change["at"] as? String)?.hasPrefix("2026-04-20T") == true)
                try await ws.send(["type": "complete", "id": "s1"])
                for _ in 0..<300 where app.runtime.events.subscriberCount > base {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(app.runtime.events.subscriberCount == base, "complete ends the bus subscription")
                try await ws.send(["type": "ping"])
                #expect(try await ws.receive()?["type"] as? String == "pong")
            }
            #expect(close.code == 1000)
        }
    }

    @Test("serviceStatusChanged filters: nodeId matches the node and its descendants; serviceId one service")
    func filters() async throws {
        let app = try await TestApp.make()
        try await app.runLive { live in
            let token = try await app.token(live.http, role: .operator)
            for (name, node) in [
                ("a", "acme/prod/c1"), ("b", "acme/dev/c1"), ("c", "acme/prod"), ("d", "acme/prod/c2"),
            ] {
                _ = try await live.http.post(
                    "/api/v1/health/report", healthReport(name, node: node, status: "OPERATIONAL"))
            }
            let d = try await live.http.post(
                "/api/v1/health/report", healthReport("d", node: "acme/prod/c2", status: "OPERATIONAL"))
            let dId = try #require(d["serviceId"] as? String)
            let base = app.runtime.events.subscriberCount
            try await live.webSocket { ws in
                try await ws.initialise(token: token)
                try await ws.subscribe("node", Self.statusSubscription, variables: ["node": "acme/prod"])
                try await ws.subscribe("service", Self.statusSubscription, variables: ["service": dId])
                try await app.waitForSubscribers(base + 2)
                for (name, node) in [
                    ("b", "acme/dev/c1"), ("a", "acme/prod/c1"), ("c", "acme/prod"), ("d", "acme/prod/c2"),
                ] {
                    _ = try await live.http.post(
                        "/api/v1/health/report", healthReport(name, node: node, status: "DEGRADED"))
                }
                var byNode: [String] = []
                var byService: [String] = []
                while byNode.count + byService.count < 4 {
                    let message = try #require(try await ws.receive())
                    let name = try #require(message.payloadData("serviceStatusChanged")?["serviceName"] as? String)
                    if message["id"] as? String == "node" { byNode.append(name) } else { byService.append(name) }
                }
                #expect(byNode == ["a", "c", "d"], "acme/dev is not under acme/prod")
                #expect(byService == ["d"])
            }
        }
    }

    @Test("subscribe before connection_init, or a connection_init without credentials, closes with 4401")
    func unauthenticated() async throws {
        let app = try await TestApp.make()
        try await app.runLive { live in
            let early = try await live.webSocket { ws in
                try await ws.subscribe("1", "subscription { slaAlert { kind } }")
                _ = try await ws.drainUntilClosed()
            }
            #expect(early.code == 4401)
            let anonymous = try await live.webSocket { ws in
                try await ws.send(["type": "connection_init", "payload": [String: Any]()])
                let seen = try await ws.drainUntilClosed()
                #expect(!seen.contains { $0["type"] as? String == "connection_ack" }, "no ack without a credential")
            }
            #expect(anonymous.code == 4401)
        }
    }

    @Test("a bad token in connection_init closes with 4403; a second connection_init with 4429; bad JSON with 4400")
    func protocolViolations() async throws {
        let app = try await TestApp.make()
        try await app.runLive { live in
            let token = try await app.token(live.http, role: .viewer)
            let forged = try await live.webSocket { ws in
                try await ws.send(["type": "connection_init", "payload": ["Authorization": "Bearer a.b.c"]])
                _ = try await ws.drainUntilClosed()
            }
            #expect(forged.code == 4403)
            let revoked = try await live.webSocket { ws in
                try await ws.send(["type": "connection_init", "payload": ["token": "itops_not-a-key"]])
                _ = try await ws.drainUntilClosed()
            }
            #expect(revoked.code == 4403)
            let twice = try await live.webSocket { ws in
                try await ws.initialise(token: token)
                try await ws.send(["type": "connection_init"])
                _ = try await ws.drainUntilClosed()
            }
            #expect(twice.code == 4429)
            let garbage = try await live.webSocket { ws in
                try await ws.send("not json")
                _ = try await ws.drainUntilClosed()
            }
            #expect(garbage.code == 4400)
            let unknown = try await live.webSocket { ws in
                try await ws.initialise(token: token)
                try await ws.send(["type": "bogus"])
                _ = try await ws.drainUntilClosed()
            }
            #expect(unknown.code == 4400)
        }
    }

    @Test("without a credential in connection_init, the upgrade request's X-API-Key or Authorization counts")
    func upgradeHeaders() async throws {
        let app = try await TestApp.make()
        try await app.runLive { live in
            try await live.webSocket(headers: [HTTPField.Name("X-API-Key")!: operatorKey]) { ws in
                try await ws.initialise(token: nil)
                try await ws.subscribe("me", "{ me { kind role } }")
                let next = try #require(try await ws.receive())
                #expect(next.payloadData("me")?["kind"] as? String == "apiKey")
                #expect(next.payloadData("me")?["role"] as? String == "operator")
            }
            let bad = try await live.webSocket(headers: [.authorization: "Bearer nope"]) { ws in
                try await ws.send(["type": "connection_init"])
                _ = try await ws.drainUntilClosed()
            }
            #expect(bad.code == 4403)
        }
    }

    @Test("a message over 64 KiB closes the socket with 1009")
    func messageTooBig() async throws {
        let app = try await TestApp.make()
        try await app.runLive { live in
            let token = try await app.token(live.http, role: .viewer)
            let close = try await live.webSocket { ws in
                try await ws.initialise(token: token)
                try await ws.send(String(repeating: " ", count: 100_000) + "{}")
                _ = try await ws.drainUntilClosed()
            }
            #expect(close.code == 1009)
        }
    }

    @Test("no connection_init within the timeout closes with 4408")
    func initTimeout() async throws {
        let app = try await TestApp.make { $0.graphQL.connectionInitTimeout = .milliseconds(200) }
        try await app.runLive { live in
            let close = try await live.webSocket { ws in _ = try await ws.drainUntilClosed() }
            #expect(close.code == 4408)
        }
    }

    @Test("a second subscribe with a running id closes with 4409")
    func duplicateId() async throws {
        let app = try await TestApp.make()
        try await app.runLive { live in
            let token = try await app.token(live.http, role: .viewer)
            let close = try await live.webSocket { ws in
                try await ws.initialise(token: token)
                try await ws.subscribe("same", "subscription { slaAlert { kind } }")
                try await ws.subscribe("same", "subscription { slaIncident { phase } }")
                _ = try await ws.drainUntilClosed()
            }
            #expect(close.code == 4409)
        }
    }

    @Test("the socket ends when the access token expires (4401), by the runtime's clock")
    func tokenExpiry() async throws {
        let app = try await TestApp.make()
        try await app.runLive { live in
            let token = try await app.token(live.http, role: .viewer)
            let close = try await live.webSocket { ws in
                try await ws.initialise(token: token)
                try await ws.subscribe("1", "subscription { licenseUpdated { customer } }")
                try await Task.sleep(for: .milliseconds(1200))
                app.clock.advance(by: 3601)
                let seen = try await ws.drainUntilClosed()
                #expect(seen.isEmpty)
            }
            #expect(close.code == 4401)
        }
    }

    @Test("queries and mutations run over the socket: one next, then complete; errors come as error")
    func queriesOverSocket() async throws {
        let app = try await TestApp.make()
        try await app.runLive { live in
            let token = try await app.token(live.http, role: .operator, email: "op@example.com")
            try await live.webSocket { ws in
                try await ws.initialise(token: token)
                try await ws.subscribe("q", "{ me { kind email role } }")
                let next = try #require(try await ws.receive())
                #expect(next["type"] as? String == "next")
                #expect(next.payloadData("me")?["email"] as? String == "op@example.com")
                let complete = try #require(try await ws.receive())
                #expect(complete["type"] as? String == "complete")
                #expect(complete["id"] as? String == "q")
                try await ws.subscribe("bad", "{ nope }")
                let error = try #require(try await ws.receive())
                #expect(error["type"] as? String == "error")
                #expect(error.firstErrorCode == "GRAPHQL_VALIDATION_FAILED")
                try await ws.subscribe("forbidden", "{ users { totalCount } }")
                let forbidden = try #require(try await ws.receive())
                #expect(forbidden.firstErrorCode == "FORBIDDEN")
            }
        }
    }

    @Test("the legacy graphql-ws subprotocol: connection_ack, ka, start, data, stop, complete")
    func legacyProtocol() async throws {
        let app = try await TestApp.make()
        try await app.runLive { live in
            let token = try await app.token(live.http, role: .viewer)
            _ = try await live.http.post(
                "/api/v1/health/report", healthReport("db", node: "acme/prod", status: "OPERATIONAL"))
            let base = app.runtime.events.subscriberCount
            let close = try await live.webSocket(subprotocol: "graphql-ws") { ws in
                try await ws.send(["type": "connection_init", "payload": ["authorization": "Bearer \(token)"]])
                #expect(try await ws.receive()?["type"] as? String == "connection_ack")
                #expect(try await ws.receive()?["type"] as? String == "ka")
                try await ws.send([
                    "type": "start", "id": "7",
                    "payload": ["query": "subscription { serviceStatusChanged { serviceName newStatus } }"],
                ])
                try await app.waitForSubscribers(base + 1)
                _ = try await live.http.post(
                    "/api/v1/health/report", healthReport("db", node: "acme/prod", status: "DOWN"))
                let data = try #require(try await ws.receiveSkippingKeepAlive())
                #expect(data["type"] as? String == "data")
                #expect(data["id"] as? String == "7")
                #expect(data.payloadData("serviceStatusChanged")?["newStatus"] as? String == "DOWN")
                try await ws.send(["type": "stop", "id": "7"])
                let complete = try #require(try await ws.receiveSkippingKeepAlive())
                #expect(complete["type"] as? String == "complete")
                try await ws.send(["type": "start", "id": "8", "payload": ["query": "{ me { role } }"]])
                let me = try #require(try await ws.receiveSkippingKeepAlive())
                #expect(me["type"] as? String == "data")
                #expect(me.payloadData("me")?["role"] as? String == "viewer")
                #expect(try await ws.receiveSkippingKeepAlive()?["type"] as? String == "complete")
                try await ws.send(["type": "connection_terminate"])
                _ = try await ws.drainUntilClosed()
            }
            #expect(close.code == 1000)
        }
    }

    @Test("a client that never reads is cut off (1013, counted in metrics) while another keeps receiving")
    func slowConsumer() async throws {
        let app = try await TestApp.make {
            $0.graphQL.subscriberBufferSize = 32
            // The test's one HTTP connection sits idle while the events go out, which on a loaded
            // machine took longer than the 30 s after which the server closes an idle connection.
            $0.httpIdleTimeout = 600
        }
        try await app.runLive { live in
            let token = try await app.token(live.http, role: .viewer)
            let query = "subscription { serviceStatusChanged { serviceName newStatus message } }"
            let base = app.runtime.events.subscriberCount
            let total = 400
            let batchSize = 4
            let bigMessage = String(repeating: "x", count: 65_536)
            let fastReceived = SharedCount()
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The slow client: subscribes, then never reads again until it is cut off.
                group.addTask {
                    let cutOff = SharedCount()
                    do {
                        try await live.webSocket { ws in
                            try await ws.initialise(token: token)
                            try await ws.subscribe("slow", query)
                            for _ in 0..<3000 {
                                let metrics = try await live.http.get("/metrics", key: nil)
                                if metrics.text.contains("itops_graphql_ws_slow_consumers_total 1") {
                                    cutOff.value.withLock { $0 = 1 }
                                    return
                                }
                                try await Task.sleep(for: .milliseconds(20))
                            }
                            Issue.record("the slow consumer was never cut off")
                        }
                    } catch where cutOff.value.withLock({ $0 }) == 1 && "\(error)".contains("closed channel") {
                        // The server closed the socket first (that is the point); the client's own
                        // close then finds the channel gone.
                    }
                }
                // The fast client reads everything, up to the last event.
                group.addTask {
                    try await live.webSocket { ws in
                        try await ws.initialise(token: token)
                        try await ws.subscribe("fast", query)
                        var received = 0
                        var sawLast = false
                        while let message = try await ws.receive() {
                            #expect(message["type"] as? String == "next")
                            received += 1
                            fastReceived.value.withLock { $0 = received }
                            if message.payloadData("serviceStatusChanged")?["serviceName"] as? String == "last" {
                                sawLast = true
                                break
                            }
                        }
                        #expect(sawLast, "the fast client kept receiving to the end (got \(received))")
                    }
                }
                try await app.waitForSubscribers(base + 2)
                let batches = total / batchSize
                for batch in 0..<batches {
                    app.runtime.events.publish(
                        (0..<batchSize).map { index in
                            Self.change(
                                name: batch == batches - 1 && index == batchSize - 1 ? "last" : "svc-\(batch)-\(index)",
                                message: bigMessage)
                        })
                    // Paced by the reading client (it never has more than one batch queued), so only
                    // the client that never reads can fall behind, however loaded the machine is.
                    let expected = (batch + 1) * batchSize
                    // Up to 30 s a batch: a loaded suite has stalled the reader for more than 5 s, and
                    // publishing on regardless let the fast client fall behind and be cut off too.
                    for _ in 0..<6000 where fastReceived.value.withLock({ $0 }) < expected {
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
                try await group.waitForAll()
            }
            let metrics = try await live.http.get("/metrics", key: nil)
            #expect(metrics.text.contains("itops_graphql_ws_slow_consumers_total 1\n"), "exactly one slow consumer")
            #expect(metrics.text.contains("itops_graphql_ws_closed_total{code=\"1013\"} 1\n"))
        }
    }

    static func change(name: String, message: String) -> DomainEvent {
        .serviceStatusChanged(
            ServiceStatusChange(
                serviceId: UUID(), nodeId: .stored("acme/load"), serviceName: name, from: .operational, to: .degraded,
                message: message, at: Date(timeIntervalSince1970: 1_776_643_200)))
    }
}

/// A counter shared between a test's tasks.
final class SharedCount: Sendable {
    let value = Mutex(0)
}
