import Crypto
import Foundation
import ITOpsCore
import ITOpsOutboundTestSupport
import ITOpsServer
import Synchronization
import Testing

/// Signs in a fresh admin and returns the access token.
func adminToken(_ app: TestApp, _ client: Client) async throws -> String {
    _ = try await app.runtime.createUser(email: "admin@example.com", password: "admin-password", role: .admin)
    return try await client.login("admin@example.com", "admin-password")
}

/// Waits until the outbound job listens to the event bus.
func waitForOutboundJob(_ app: TestApp) async throws {
    try await waitUntil("the outbound job subscribes") { app.runtime.outbound.isListening }
}

/// Polls `condition` every 20 ms for up to `timeout`; fails the test if it never holds.
func waitUntil(
    _ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting until \(what)")
    throw CancellationError()
}

/// The HMAC-SHA256 signature a receiver expects.
func expectedSignature(_ body: [UInt8], secret: String) -> String {
    let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
    return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
}

let webhookSecret = "whsec-0123456789abcdef"

/// Text one test closure writes and a later one reads.
final class TestText: Sendable {
    private let text = Mutex("")
    var value: String { text.withLock { $0 } }
    func set(_ value: String) { text.withLock { $0 = value } }
}

extension Client {
    /// Creates a webhook to `url` for `events`; returns its id.
    func createWebhook(_ url: String, events: [String], token: String) async throws -> String {
        let response = try await graphQL(
            "mutation($i: WebhookInput!) { createWebhook(input: $i) { id url events enabled hasSecret } }",
            variables:
                "{\"i\": {\"url\": \(jsonString(url)), \"events\": [\(events.map(jsonString).joined(separator: ","))], \"secret\": \(jsonString(webhookSecret))}}",
            token: token)
        let created = try #require(response.data?["createWebhook"] as? [String: Any], "\(response.text)")
        #expect(created["hasSecret"] as? Bool == true)
        return try #require(created["id"] as? String)
    }

    /// The delivery history of a webhook, newest first.
    func deliveries(_ webhookId: String, token: String) async throws -> [[String: Any]] {
        let response = try await graphQL(
            "query($w: String!) { webhookDeliveries(webhookId: $w) { id event status httpCode error durationMs attempt payload nextAttemptAt } }",
            variables: "{\"w\": \(jsonString(webhookId))}", token: token)
        return try #require(response.data?["webhookDeliveries"] as? [[String: Any]], "\(response.text)")
    }

    /// Pushes a health report, which publishes `service:status_changed` when the status changes.
    func report(_ service: String, _ status: String) async throws {
        let response = try await post(
            "/api/v1/health/report",
            "{\"service\": \(jsonString(service)), \"nodeId\": \"myorg/infra/prod\", \"status\": \"\(status)\"}")
        #expect(response.status == .ok, "\(response.text)")
    }
}

@Suite("Webhooks: signed deliveries, retries, history, the guard")
struct WebhookTests {
    @Test(
        "an event is delivered signed to an allowlisted receiver, retried after a 500, and kept in the history",
        arguments: TestBackend.all)
    func deliveryWithRetry(backend: TestBackend) async throws {
        let receiver = try await TestHTTPReceiver.start { index, _ in
            index == 0 ? .init(status: 500, body: "try later") : .ok
        }
        let app = try await TestApp.make(backend) { $0.webhookHostAllowlist = ["127.0.0.1"] }
        try await app.run(jobs: true) { (client: Client) async throws in
            let token = try await adminToken(app, client)
            let id = try await client.createWebhook(
                receiver.url("/hook"), events: ["service:status_changed"], token: token)
            try await waitForOutboundJob(app)
            try await client.report("galera-node1", "DOWN")

            let first = try #require(await receiver.waitForRequests(1).first)
            #expect(first.method == "POST")
            #expect(first.uri == "/hook")
            #expect(first.headers["content-type"] == "application/json")
            #expect(first.headers["x-itops-event"] == "service:status_changed")
            #expect(first.headers["x-itops-signature"] == expectedSignature(first.body, secret: webhookSecret))
            let body = try #require(try JSONSerialization.jsonObject(with: Data(first.body)) as? [String: Any])
            #expect(body["event"] as? String == "service:status_changed")
            #expect(body["id"] as? String == first.headers["x-itops-delivery"])
            let data = try #require(body["data"] as? [String: Any])
            #expect(data["serviceName"] as? String == "galera-node1")
            #expect(data["to"] as? String == "DOWN")

            var history: [[String: Any]] = []
            try await waitUntil("the 500 is recorded") {
                history = try await client.deliveries(id, token: token)
                return history.first?["httpCode"] as? Int == 500
            }
            #expect(history.count == 1)
            #expect(history[0]["status"] as? String == "Pending")
            #expect(history[0]["attempt"] as? Int == 1)
            #expect(history[0]["error"] as? String == "HTTP 500")
            #expect(history[0]["nextAttemptAt"] as? String != nil)

            // The first retry is due 10 s later (on the test's clock).
            app.clock.advance(by: 11)
            let requests = await receiver.waitForRequests(2)
            try #require(requests.count == 2)
            #expect(requests[1].body == first.body)
            #expect(requests[1].headers["x-itops-delivery"] == first.headers["x-itops-delivery"])
            #expect(requests[1].headers["x-itops-signature"] == first.headers["x-itops-signature"])
            #expect(requests[1].headers["x-itops-attempt"] == "2")
            try await waitUntil("the retry succeeds") {
                history = try await client.deliveries(id, token: token)
                return history.first?["status"] as? String == "Success"
            }
            #expect(history[0]["attempt"] as? Int == 2)
            #expect(history[0]["httpCode"] as? Int == 200)
            #expect(history[0]["error"] is NSNull)
            #expect(history[0]["durationMs"] as? Int != nil)
            #expect(history[0]["event"] as? String == "service:status_changed")

            // The secret is write-only: the schema has no field for it.
            let secretQuery = try await client.graphQL("{ webhooks { id secret } }", token: token)
            #expect(secretQuery.errorCode == "GRAPHQL_VALIDATION_FAILED")
        }
        await receiver.stop()
    }

    @Test("a blocked URL records ExecFailed with the guard's reason and opens no socket", arguments: TestBackend.all)
    func blocked(backend: TestBackend) async throws {
        let receiver = try await TestHTTPReceiver.start()
        let app = try await TestApp.make(backend)  // no allowlist: 127.0.0.1 is loopback
        try await app.run(jobs: true) { (client: Client) async throws in
            let token = try await adminToken(app, client)
            let id = try await client.createWebhook(
                receiver.url("/hook"), events: ["service:status_changed", "sla:incident"], token: token)
            let test = try await client.graphQL(
                "mutation($id: String!) { testWebhook(id: $id) { status error httpCode attempt event } }",
                variables: "{\"id\": \(jsonString(id))}", token: token)
            let result = try #require(test.data?["testWebhook"] as? [String: Any], "\(test.text)")
            #expect(result["status"] as? String == "ExecFailed")
            #expect((result["error"] as? String)?.contains("127.0.0.1 is a loopback address") == true)
            #expect(result["httpCode"] is NSNull)
            #expect(result["event"] as? String == "webhook:test")

            try await waitForOutboundJob(app)
            try await client.report("db-1", "DOWN")  // status change + incident: two deliveries
            var history: [[String: Any]] = []
            try await waitUntil("both event deliveries are refused") {
                history = try await client.deliveries(id, token: token)
                return history.count == 3 && history.allSatisfy { $0["status"] as? String == "ExecFailed" }
            }
            #expect(history.allSatisfy { $0["attempt"] as? Int == 1 })  // a refusal is not retried
            #expect(receiver.acceptedConnections == 0)

            // What can never be called is refused when the webhook is created.
            for url in ["file:///etc/passwd", "gopher://example.com/", "https://user@example.com/", "not a url"] {
                let response = try await client.graphQL(
                    "mutation($i: WebhookInput!) { createWebhook(input: $i) { id } }",
                    variables:
                        "{\"i\": {\"url\": \(jsonString(url)), \"events\": [\"sla:alert\"], \"secret\": \(jsonString(webhookSecret))}}",
                    token: token)
                #expect(response.errorCode == "BAD_USER_INPUT", "\(url): \(response.text)")
            }
            let badEvent = try await client.graphQL(
                "mutation($i: WebhookInput!) { createWebhook(input: $i) { id } }",
                variables:
                    "{\"i\": {\"url\": \"https://example.com/\", \"events\": [\"service:deleted\"], \"secret\": \(jsonString(webhookSecret))}}",
                token: token)
            #expect(badEvent.errorMessage?.contains("input.events[0]") == true)
        }
        await receiver.stop()
    }

    @Test(
        "events nobody subscribed to cost nothing, and a webhook created or changed counts from the next event",
        arguments: TestBackend.all)
    func subscriptionsFollowChanges(backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run(jobs: true) { (client: Client) async throws in
            let token = try await adminToken(app, client)
            try await waitForOutboundJob(app)
            // Events with no webhook: the outbound service keeps (caches) the empty subscription list.
            try await client.report("db-1", "DOWN")
            try await client.report("db-1", "OPERATIONAL")
            try await Task.sleep(for: .milliseconds(100))
            // Created just now, well within the cache's lifetime: the next event must reach it.
            let id = try await client.createWebhook(
                "http://127.0.0.1:9/hook", events: ["service:status_changed"], token: token)
            try await client.report("db-1", "DEGRADED")
            try await waitUntil("the event after the webhook's creation is enqueued for it") {
                try await client.deliveries(id, token: token).count == 1
            }
            // Unsubscribed from status changes: the next change is not delivered.
            let update = try await client.graphQL(
                "mutation($id: String!) { updateWebhook(id: $id, input: { events: [\"sla:alert\"] }) { id } }",
                variables: "{\"id\": \(jsonString(id))}", token: token)
            #expect(update.errorMessage == nil, "\(update.text)")
            try await client.report("db-1", "OPERATIONAL")
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await client.deliveries(id, token: token).count == 1)
        }
    }

    @Test("a pending delivery survives a restart and is delivered by the next process", arguments: TestBackend.all)
    func survivesRestart(backend: TestBackend) async throws {
        let healthy = TestFlag()
        let receiver = try await TestHTTPReceiver.start { _, _ in
            healthy.isSet ? .ok : .init(status: 503)
        }
        let app = try await TestApp.make(backend) { $0.webhookHostAllowlist = ["127.0.0.1"] }
        let webhook = TestText()
        try await app.run(keepData: true, jobs: true) { (client: Client) async throws in
            let token = try await adminToken(app, client)
            let id = try await client.createWebhook(receiver.url(), events: ["service:status_changed"], token: token)
            webhook.set(id)
            try await waitForOutboundJob(app)
            try await client.report("cache-1", "DEGRADED")
            try await waitUntil("the 503 is recorded") {
                try await client.deliveries(id, token: token).first?["httpCode"] as? Int == 503
            }
        }
        healthy.set()
        let restarted = try await TestApp.make(reusing: app) { $0.webhookHostAllowlist = ["127.0.0.1"] }
        try await restarted.run(jobs: true) { (client: Client) async throws in
            let token = try await client.login("admin@example.com", "admin-password")
            let id = webhook.value
            restarted.clock.advance(by: 11)
            var history: [[String: Any]] = []
            try await waitUntil("the restarted process delivers it") {
                history = try await client.deliveries(id, token: token)
                return history.first?["status"] as? String == "Success"
            }
            #expect(history.count == 1)
            #expect(history[0]["attempt"] as? Int == 2)
        }
        #expect(receiver.requests.count == 2)
        await receiver.stop()
    }

    @Test("webhook management is admin only; update and delete work; a missing webhook is NOT_FOUND")
    func management() async throws {
        let app = try await TestApp.make()
        try await app.run { (client: Client) async throws in
            let token = try await adminToken(app, client)
            _ = try await app.runtime.createUser(email: "op@example.com", password: "operator-pass", role: .operator)
            let operatorToken = try await client.login("op@example.com", "operator-pass")
            #expect(try await client.graphQL("{ webhooks { id } }", token: operatorToken).errorCode == "FORBIDDEN")
            #expect(try await client.graphQL("{ webhooks { id } }").errorCode == "UNAUTHENTICATED")

            let id = try await client.createWebhook("https://hooks.example.com/a", events: ["sla:alert"], token: token)
            let updated = try await client.graphQL(
                "mutation($id: String!) { updateWebhook(id: $id, input: { events: [\"sla:incident\", \"sla:alert\"], enabled: false }) { url events enabled } }",
                variables: "{\"id\": \(jsonString(id))}", token: token)
            let webhook = try #require(updated.data?["updateWebhook"] as? [String: Any], "\(updated.text)")
            #expect(webhook["url"] as? String == "https://hooks.example.com/a")
            #expect(webhook["events"] as? [String] == ["sla:alert", "sla:incident"])
            #expect(webhook["enabled"] as? Bool == false)
            let deleted = try await client.graphQL(
                "mutation($id: String!) { deleteWebhook(id: $id) }", variables: "{\"id\": \(jsonString(id))}",
                token: token)
            #expect(deleted.data?["deleteWebhook"] as? Bool == true)
            let again = try await client.graphQL(
                "query($id: String!) { webhookDeliveries(webhookId: $id) { id } }",
                variables: "{\"id\": \(jsonString(id))}", token: token)
            #expect(again.errorCode == "NOT_FOUND")
            let list = try await client.graphQL("{ webhooks { id } }", token: token)
            #expect((list.data?["webhooks"] as? [Any])?.isEmpty == true)
        }
    }
}
