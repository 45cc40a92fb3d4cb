import Foundation
import ITOpsCore
import ITOpsOutbound
import ITOpsOutboundTestSupport
import ITOpsServer
import ITOpsStore
import Synchronization
import Testing

extension Client {
    /// Creates a channel; `config` is a JSON object text. Returns its id.
    func createChannel(_ name: String, kind: String, config: String, token: String) async throws -> String {
        let response = try await createChannelResponse(name, kind: kind, config: config, token: token)
        let created = try #require(response.data?["createNotificationChannel"] as? [String: Any], "\(response.text)")
        return try #require(created["id"] as? String)
    }

    func createChannelResponse(_ name: String, kind: String, config: String, token: String) async throws
        -> JSONResponse
    {
        try await graphQL(
            "mutation($i: NotificationChannelInput!) { createNotificationChannel(input: $i) { id name kind } }",
            variables: "{\"i\": {\"name\": \(jsonString(name)), \"kind\": \"\(kind)\", \"config\": \(config)}}",
            token: token)
    }

    /// Creates a rule; `input` is the JSON of NotificationRuleInput. Returns its id.
    func createRule(_ input: String, token: String) async throws -> String {
        let response = try await graphQL(
            "mutation($i: NotificationRuleInput!) { createNotificationRule(input: $i) { id } }",
            variables: "{\"i\": \(input)}", token: token)
        let created = try #require(response.data?["createNotificationRule"] as? [String: Any], "\(response.text)")
        return try #require(created["id"] as? String)
    }

    func channelDeliveries(_ channelId: String, token: String) async throws -> [[String: Any]] {
        let response = try await graphQL(
            "query($c: String!) { notificationDeliveries(channelId: $c) { id event status httpCode error attempt message nextAttemptAt } }",
            variables: "{\"c\": \(jsonString(channelId))}", token: token)
        return try #require(response.data?["notificationDeliveries"] as? [[String: Any]], "\(response.text)")
    }

    func testChannel(_ id: String, token: String) async throws -> [String: Any] {
        let response = try await graphQL(
            "mutation($id: String!) { testNotificationChannel(id: $id) { status error httpCode attempt event } }",
            variables: "{\"id\": \(jsonString(id))}", token: token)
        return try #require(response.data?["testNotificationChannel"] as? [String: Any], "\(response.text)")
    }

    /// A health report for `service` on `node`.
    func report(_ service: String, _ status: String, node: String) async throws {
        let response = try await post(
            "/api/v1/health/report",
            "{\"service\": \(jsonString(service)), \"nodeId\": \(jsonString(node)), \"status\": \"\(status)\"}")
        #expect(response.status == .ok, "\(response.text)")
    }
}

/// The JSON object of a received body.
func jsonObject(_ request: TestHTTPReceiver.Received) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any], "\(request.text)")
}

@Suite("Notifications: channels, provider payloads, routing, quiet hours, coalescing, digests")
struct NotificationTests {
    @Test(
        "an incident and its recovery reach Slack, Teams, PagerDuty, Opsgenie and a signed webhook in the providers' shapes",
        arguments: TestBackend.all)
    func providerPayloads(backend: TestBackend) async throws {
        let failedOnce = TestFlag()
        let receiver = try await TestHTTPReceiver.start { _, request in
            // PagerDuty's first answer is a 503: the delivery is retried like a webhook's.
            if request.uri == "/pd/v2/enqueue" && !failedOnce.isSet {
                failedOnce.set()
                return .init(status: 503, body: "busy")
            }
            return request.uri.hasPrefix("/pd") || request.uri.hasPrefix("/og") ? .init(status: 202, body: "{}") : .ok
        }
        let app = try await TestApp.make(backend) {
            $0.webhookHostAllowlist = ["127.0.0.1"]
            $0.publicURL = "https://itops.example.com"
        }
        try await app.run(jobs: true) { (client: Client) async throws in
            let token = try await adminToken(app, client)
            let slack = try await client.createChannel(
                "slack", kind: "SLACK", config: "{\"url\": \(jsonString(receiver.url("/slack/T000/B000/XXXX")))}",
                token: token)
            _ = try await client.createChannel(
                "teams", kind: "TEAMS", config: "{\"url\": \(jsonString(receiver.url("/teams")))}", token: token)
            _ = try await client.createChannel(
                "teams-adaptive", kind: "TEAMS",
                config: "{\"url\": \(jsonString(receiver.url("/adaptive"))), \"teamsFormat\": \"ADAPTIVE_CARD\"}",
                token: token)
            let pagerDuty = try await client.createChannel(
                "pagerduty", kind: "PAGERDUTY",
                config: "{\"routingKey\": \"R0UTINGKEY0123456789\", \"baseUrl\": \(jsonString(receiver.url("/pd")))}",
                token: token)
            _ = try await client.createChannel(
                "opsgenie", kind: "OPSGENIE",
                config: "{\"apiKey\": \"genie-key-1\", \"baseUrl\": \(jsonString(receiver.url("/og")))}", token: token)
            _ = try await client.createChannel(
                "hook", kind: "WEBHOOK",
                config: "{\"url\": \(jsonString(receiver.url("/hook"))), \"secret\": \(jsonString(webhookSecret))}",
                token: token)
            _ = try await client.createRule(
                """
                {"name": "incidents", "events": ["sla:incident"],
                 "channels": ["slack", "teams", "teams-adaptive", "pagerduty", "opsgenie", "hook"]}
                """, token: token)

            // Secrets are never returned in clear.
            let listed = try await client.graphQL(
                "{ notificationChannels { name config { url routingKey apiKey secret } } }", token: token)
            let channels = try #require(listed.data?["notificationChannels"] as? [[String: Any]], "\(listed.text)")
            let configs = Dictionary(
                uniqueKeysWithValues: channels.map { ($0["name"] as! String, $0["config"] as! [String: Any]) })
            #expect(configs["pagerduty"]?["routingKey"] as? String == "********")
            #expect(configs["opsgenie"]?["apiKey"] as? String == "********")
            #expect(configs["hook"]?["secret"] as? String == "********")
            #expect(configs["slack"]?["url"] as? String == "http://127.0.0.1/********")
            #expect(!listed.text.contains("R0UTINGKEY") && !listed.text.contains("genie-key-1"))
            #expect(!listed.text.contains(webhookSecret) && !listed.text.contains("XXXX"))

            try await waitForOutboundJob(app)
            try await client.report("orders-db", "DOWN")
            _ = await receiver.waitForRequests(6)
            try await client.report("orders-db", "OPERATIONAL")
            _ = await receiver.waitForRequests(12)
            try await waitUntil("the 503 is recorded with a retry due") {
                try await client.channelDeliveries(pagerDuty, token: token).contains {
                    $0["status"] as? String == "Pending" && $0["httpCode"] as? Int == 503
                }
            }
            // The PagerDuty trigger's retry is due 10 s later.
            app.clock.advance(by: 11)
            let requests = await receiver.waitForRequests(13)
            func on(_ prefix: String) -> [TestHTTPReceiver.Received] { requests.filter { $0.uri.hasPrefix(prefix) } }

            // Slack: text plus blocks (header, mrkdwn section, context link).
            let slackBodies = try on("/slack").map(jsonObject)
            try #require(slackBodies.count == 2)
            let blocks = try #require(slackBodies[0]["blocks"] as? [[String: Any]])
            #expect(blocks.map { $0["type"] as? String } == ["header", "section", "context"])
            #expect(((blocks[0]["text"] as? [String: Any])?["type"] as? String) == "plain_text")
            #expect(((blocks[1]["text"] as? [String: Any])?["type"] as? String) == "mrkdwn")
            let section = try #require((blocks[1]["text"] as? [String: Any])?["text"] as? String)
            #expect(section.contains("orders-db") && section.contains("myorg/infra/prod") && section.contains("Since"))
            #expect((slackBodies[0]["text"] as? String)?.contains("Incident: orders-db is DOWN") == true)
            let context = try #require((blocks[2]["elements"] as? [[String: Any]])?.first?["text"] as? String)
            #expect(context.hasPrefix("<https://itops.example.com/#/service/"))
            #expect((slackBodies[1]["text"] as? String)?.contains("Resolved") == true)

            // Teams MessageCard.
            let card = try #require(try on("/teams").map(jsonObject).first)
            #expect(card["@type"] as? String == "MessageCard")
            #expect(card["@context"] as? String == "https://schema.org/extensions")
            #expect(card["summary"] as? String != nil && card["themeColor"] as? String == "D70000")
            let facts = try #require((card["sections"] as? [[String: Any]])?.first?["facts"] as? [[String: Any]])
            #expect(facts.contains { $0["name"] as? String == "Node" && $0["value"] as? String == "myorg/infra/prod" })
            let action = try #require((card["potentialAction"] as? [[String: Any]])?.first)
            #expect(action["@type"] as? String == "OpenUri")

            // Teams Adaptive Card.
            let adaptive = try #require(try on("/adaptive").map(jsonObject).first)
            #expect(adaptive["type"] as? String == "message")
            let attachment = try #require((adaptive["attachments"] as? [[String: Any]])?.first)
            #expect(attachment["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
            let content = try #require(attachment["content"] as? [String: Any])
            #expect(content["type"] as? String == "AdaptiveCard" && content["version"] as? String == "1.4")
            #expect((content["body"] as? [[String: Any]])?.first?["type"] as? String == "TextBlock")
            #expect((content["actions"] as? [[String: Any]])?.first?["type"] as? String == "Action.OpenUrl")

            // PagerDuty Events v2: trigger (sent twice: the 503, then the retry), resolve with the same dedup_key.
            let pd = try on("/pd").map(jsonObject)
            #expect(on("/pd").allSatisfy { $0.uri == "/pd/v2/enqueue" && $0.method == "POST" })
            let triggers = pd.filter { $0["event_action"] as? String == "trigger" }
            let resolves = pd.filter { $0["event_action"] as? String == "resolve" }
            try #require(triggers.count == 2 && resolves.count == 1, "\(pd)")
            let trigger = triggers[0]
            #expect(trigger["routing_key"] as? String == "R0UTINGKEY0123456789")
            let key = try #require(trigger["dedup_key"] as? String)
            #expect(resolves[0]["dedup_key"] as? String == key)
            #expect(resolves[0]["routing_key"] as? String == "R0UTINGKEY0123456789")
            let payload = try #require(trigger["payload"] as? [String: Any])
            #expect((payload["summary"] as? String)?.contains("orders-db") == true)
            #expect(payload["source"] as? String == "myorg/infra/prod")
            #expect(payload["severity"] as? String == "critical")
            #expect(payload["component"] as? String == "orders-db")
            #expect(payload["timestamp"] as? String != nil)
            #expect(((trigger["links"] as? [[String: Any]])?.first?["href"] as? String)?.hasPrefix("https://itops.example.com/#/") == true)

            // Opsgenie: create with the alias, close by alias, GenieKey header.
            let og = on("/og")
            try #require(og.count == 2)
            #expect(og.allSatisfy { $0.headers["authorization"] == "GenieKey genie-key-1" })
            #expect(og[0].uri == "/og/v2/alerts")
            let alert = try jsonObject(og[0])
            let alias = try #require(alert["alias"] as? String)
            #expect(alias == key)
            #expect((alert["message"] as? String)?.count ?? 999 <= 130)
            #expect(alert["priority"] as? String == "P1" && alert["entity"] as? String == "myorg/infra/prod")
            #expect(og[1].uri == "/og/v2/alerts/\(alias)/close?identifierType=alias")

            // The signed webhook: the same signature scheme as webhooks.
            let hooks = on("/hook")
            try #require(hooks.count == 2)
            #expect(hooks[0].headers["x-itops-signature"] == expectedSignature(hooks[0].body, secret: webhookSecret))
            #expect(hooks[0].headers["x-itops-event"] == "notification")
            let hookBody = try jsonObject(hooks[0])
            #expect(hookBody["event"] as? String == "notification")
            #expect(((hookBody["data"] as? [String: Any])?["items"] as? [[String: Any]])?.first?["action"] as? String == "trigger")

            // The shared history: attempts, status, HTTP codes.
            var history: [[String: Any]] = []
            try await waitUntil("the PagerDuty retry is recorded") {
                history = try await client.channelDeliveries(pagerDuty, token: token)
                return history.count == 2 && history.allSatisfy { $0["status"] as? String == "Success" }
            }
            #expect(history.contains { $0["attempt"] as? Int == 2 && $0["httpCode"] as? Int == 202 })
            let slackHistory = try await client.channelDeliveries(slack, token: token)
            #expect(slackHistory.count == 2 && slackHistory.allSatisfy { $0["httpCode"] as? Int == 200 })
        }
        await receiver.stop()
    }

    @Test(
        "quiet hours hold chat messages for one summary after, drop paging triggers, and never hold a resolve",
        arguments: TestBackend.all)
    func quietHours(backend: TestBackend) async throws {
        let receiver = try await TestHTTPReceiver.start()
        let app = try await TestApp.make(backend) { $0.webhookHostAllowlist = ["127.0.0.1"] }
        try await app.run(jobs: true) { (client: Client) async throws in
            let token = try await adminToken(app, client)
            _ = try await client.createChannel(
                "chat", kind: "SLACK", config: "{\"url\": \(jsonString(receiver.url("/chat")))}", token: token)
            _ = try await client.createChannel(
                "pager", kind: "PAGERDUTY",
                config: "{\"routingKey\": \"key-1\", \"baseUrl\": \(jsonString(receiver.url("/pd")))}", token: token)
            // The test clock starts at 00:00 UTC, inside 23:00–01:00.
            let rule = try await client.createRule(
                """
                {"name": "night", "events": ["sla:incident"], "channels": ["chat", "pager"],
                 "quietHours": {"start": "23:00", "end": "01:00", "timeZone": "UTC"}}
                """, token: token)
            try await waitForOutboundJob(app)
            try await client.report("db-1", "DOWN")
            try await client.report("db-1", "OPERATIONAL")
            // The resolve goes through; the trigger and both chat messages are held.
            let first = await receiver.waitForRequests(1)
            try #require(first.count == 1)
            #expect(try jsonObject(first[0])["event_action"] as? String == "resolve")
            let ruleId = try #require(UUID(uuidString: rule))
            try await waitUntil("both chat messages are held") {
                try await app.runtime.store.reader.notificationReader().heldNotifications(ruleId: ruleId).count == 2
            }
            try await Task.sleep(for: .milliseconds(1500))
            #expect(receiver.requests.count == 1)

            app.clock.advance(by: 3601)  // 01:00:01: quiet hours are over
            let all = await receiver.waitForRequests(2)
            try #require(all.count == 2)
            #expect(all[1].uri == "/chat")
            let summary = try jsonObject(all[1])["text"] as? String ?? ""
            #expect(summary.contains("2 notifications from rule night"))
            #expect(summary.contains("Incident: db-1 is DOWN") && summary.contains("Resolved: db-1"))
            try await Task.sleep(for: .milliseconds(1500))
            #expect(receiver.requests.count == 2)
        }
        await receiver.stop()
    }

    @Test(
        "a 500-service flap under a minimum interval sends one message, then one summary listing the rest",
        arguments: TestBackend.all)
    func minimumIntervalCoalesces(backend: TestBackend) async throws {
        let receiver = try await TestHTTPReceiver.start()
        let app = try await TestApp.make(backend) { $0.webhookHostAllowlist = ["127.0.0.1"] }
        try await app.run(jobs: true) { (client: Client) async throws in
            let token = try await adminToken(app, client)
            let chat = try await client.createChannel(
                "chat", kind: "SLACK", config: "{\"url\": \(jsonString(receiver.url("/chat")))}", token: token)
            let rule = try await client.createRule(
                """
                {"name": "flaps", "events": ["sla:incident"], "channels": ["chat"], "minIntervalSeconds": 600}
                """, token: token)
            try await waitForOutboundJob(app)
            func status(_ value: String) -> String {
                let services = (0..<500).map { "{\"name\": \"svc-\($0)\", \"status\": \"\(value)\"}" }
                return "{\"nodeId\": \"myorg/flap/prod\", \"services\": [\(services.joined(separator: ","))]}"
            }
            let created = try await client.post("/api/v1/operator/status", status("OPERATIONAL"))
            #expect(created.status == .ok, "\(created.text)")
            let down = try await client.post("/api/v1/operator/status", status("DOWN"))
            #expect(down.status == .ok, "\(down.text)")
            let up = try await client.post("/api/v1/operator/status", status("OPERATIONAL"))
            #expect(up.status == .ok, "\(up.text)")
            // 1000 incident events (500 opened, 500 closed): the first one goes out at once.
            let first = await receiver.waitForRequests(1)
            try #require(first.count == 1)
            let ruleId = try #require(UUID(uuidString: rule))
            try await waitUntil("the other 999 are held", timeout: .seconds(120)) {
                try await app.runtime.store.reader.notificationReader().heldNotifications(ruleId: ruleId).count == 999
            }
            #expect(receiver.requests.count == 1)

            app.clock.advance(by: 601)
            let all = await receiver.waitForRequests(2)
            try #require(all.count == 2)
            let summary = try jsonObject(all[1])
            let text = summary["text"] as? String ?? ""
            #expect(text.contains("999 notifications from rule flaps"), "\(text.prefix(300))")
            #expect(text.contains("… and 949 more"))
            try await Task.sleep(for: .seconds(1))
            #expect(receiver.requests.count == 2)
            let history = try await client.channelDeliveries(chat, token: token)
            #expect(history.count == 2)
        }
        await receiver.stop()
    }

    @Test("a digest collects for its minutes and sends one message", arguments: TestBackend.all)
    func digest(backend: TestBackend) async throws {
        let receiver = try await TestHTTPReceiver.start()
        let app = try await TestApp.make(backend) { $0.webhookHostAllowlist = ["127.0.0.1"] }
        try await app.run(jobs: true) { (client: Client) async throws in
            let token = try await adminToken(app, client)
            _ = try await client.createChannel(
                "teams", kind: "TEAMS", config: "{\"url\": \(jsonString(receiver.url("/teams")))}", token: token)
            let rule = try await client.createRule(
                "{\"name\": \"digest\", \"events\": [\"sla:incident\"], \"channels\": [\"teams\"], \"digestMinutes\": 5}",
                token: token)
            try await waitForOutboundJob(app)
            try await client.report("db-1", "DOWN")
            try await client.report("db-2", "DOWN")
            // Both are held before the clock moves (the job routes events on its own time).
            let ruleId = try #require(UUID(uuidString: rule))
            try await waitUntil("both incidents are held") {
                try await app.runtime.store.reader.notificationReader().heldNotifications(ruleId: ruleId).count == 2
            }
            try await Task.sleep(for: .milliseconds(1500))
            #expect(receiver.requests.isEmpty)
            app.clock.advance(by: 240)
            try await Task.sleep(for: .milliseconds(1500))
            #expect(receiver.requests.isEmpty)  // 4 of 5 minutes
            app.clock.advance(by: 61)
            let requests = await receiver.waitForRequests(1)
            try #require(requests.count == 1)
            let card = try jsonObject(requests[0])
            #expect((card["title"] as? String)?.hasPrefix("2 notifications from rule digest") == true)
            let text = card["text"] as? String ?? ""
            #expect(text.contains("db-1") && text.contains("db-2"))
        }
        await receiver.stop()
    }

    @Test("rules filter by node prefix, tier, SLA group, tag and alert kind", arguments: TestBackend.all)
    func routingFilters(backend: TestBackend) async throws {
        let receiver = try await TestHTTPReceiver.start()
        let app = try await TestApp.make(backend) { $0.webhookHostAllowlist = ["127.0.0.1"] }
        try await app.run(jobs: true) { (client: Client) async throws in
            let token = try await adminToken(app, client)
            for name in ["a", "b", "c", "d"] {
                _ = try await client.createChannel(
                    name, kind: "WEBHOOK",
                    config: "{\"url\": \(jsonString(receiver.url("/\(name)"))), \"secret\": \(jsonString(webhookSecret))}",
                    token: token)
            }
            _ = try await client.createRule(
                "{\"name\": \"infra\", \"events\": [\"sla:incident\"], \"nodePrefixes\": [\"myorg/infra\"], \"channels\": [\"a\"]}",
                token: token)
            _ = try await client.createRule(
                """
                {"name": "payments", "events": ["sla:incident"], "tiers": ["critical"], "slaGroups": ["payments"],
                 "tags": ["db"], "channels": ["b"]}
                """, token: token)
            // A prefix matches whole path segments: myorg/inf is not myorg/infra.
            _ = try await client.createRule(
                "{\"name\": \"partial\", \"events\": [\"sla:incident\"], \"nodePrefixes\": [\"myorg/inf\"], \"channels\": [\"c\"]}",
                token: token)
            _ = try await client.createRule(
                "{\"name\": \"silent-only\", \"events\": [\"sla:alert\"], \"alertKinds\": [\"node_silent\"], \"channels\": [\"d\"]}",
                token: token)
            for (name, node, tier, group) in [
                ("pay-db", "myorg/pay/prod", "critical", "payments"), ("infra-db", "myorg/infra/prod", "low", "ops"),
            ] {
                let registered = try await client.post(
                    "/api/v1/operator/register",
                    "{\"name\": \"\(name)\", \"nodeId\": \"\(node)\", \"criticality\": \"\(tier)\", \"slaGroup\": \"\(group)\", \"tags\": [\"db\"]}"
                )
                #expect(registered.status == .ok || registered.status == .created, "\(registered.text)")
            }
            try await waitForOutboundJob(app)
            try await client.report("pay-db", "DOWN", node: "myorg/pay/prod")
            try await client.report("infra-db", "DOWN", node: "myorg/infra/prod")
            let requests = await receiver.waitForRequests(2)
            try await Task.sleep(for: .milliseconds(1500))
            let all = receiver.requests
            #expect(all.count == 2, "\(all.map(\.uri))")
            let a = all.filter { $0.uri == "/a" }
            let b = all.filter { $0.uri == "/b" }
            try #require(a.count == 1 && b.count == 1, "\(requests.map(\.uri))")
            #expect(a[0].text.contains("infra-db") && !a[0].text.contains("pay-db"))
            #expect(b[0].text.contains("pay-db") && !b[0].text.contains("infra-db"))
            // A critical service has an SLA: the message carries its figure and the budget left.
            #expect(b[0].text.contains("SLA this month (payments): 100.000 % (target 99.5 %)"), "\(b[0].text)")
            #expect(b[0].text.contains("of the error budget left"))
        }
        await receiver.stop()
    }

    @Test(
        "a channel on a private address is refused with ExecFailed and no socket unless allowlisted",
        arguments: TestBackend.all)
    func ssrf(backend: TestBackend) async throws {
        let receiver = try await TestHTTPReceiver.start()
        let app = try await TestApp.make(backend)  // no allowlist
        try await app.run(jobs: true) { (client: Client) async throws in
            let token = try await adminToken(app, client)
            let slack = try await client.createChannel(
                "chat", kind: "SLACK", config: "{\"url\": \(jsonString(receiver.url("/chat")))}", token: token)
            let pager = try await client.createChannel(
                "pager", kind: "OPSGENIE",
                config: "{\"apiKey\": \"k\", \"baseUrl\": \"http://169.254.169.254\"}", token: token)
            let mail = try await client.createChannel(
                "mail", kind: "EMAIL",
                config: """
                    {"smtpHost": "127.0.0.1", "smtpPort": \(receiver.port), "smtpSecurity": "NONE",
                     "from": "itops@example.com", "to": ["ops@example.com"]}
                    """, token: token)
            for (id, reason) in [
                (slack, "127.0.0.1 is a loopback address"), (pager, "169.254.169.254"),
                (mail, "127.0.0.1 is a loopback address"),
            ] {
                let result = try await client.testChannel(id, token: token)
                #expect(result["status"] as? String == "ExecFailed", "\(result)")
                #expect((result["error"] as? String)?.contains(reason) == true, "\(result)")
                #expect(result["attempt"] as? Int == 1)
            }
            #expect(receiver.acceptedConnections == 0)
            let history = try await client.channelDeliveries(slack, token: token)
            #expect(history.first?["status"] as? String == "ExecFailed")
        }
        await receiver.stop()
    }

    @Test(
        "channels and rules go through templates export and import without clear secrets, byte for byte",
        arguments: TestBackend.all)
    func templatesRoundTrip(backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let token = try await adminToken(app, client)
            _ = try await client.createChannel(
                "pager", kind: "PAGERDUTY", config: "{\"routingKey\": \"pd-routing-key-SECRET\"}", token: token)
            _ = try await client.createChannel(
                "chat", kind: "SLACK", config: "{\"url\": \"https://hooks.slack.com/services/T0/B0/SLACKSECRET\"}",
                token: token)
            _ = try await client.createChannel(
                "mail", kind: "EMAIL",
                config: """
                    {"smtpHost": "smtp.example.com", "smtpPort": 587, "smtpSecurity": "STARTTLS", "smtpUsername": "itops",
                     "smtpPassword": "MAILSECRET", "from": "itops@example.com", "to": ["ops@example.com"]}
                    """, token: token)
            _ = try await client.createRule(
                """
                {"name": "night", "events": ["sla:incident", "sla:alert"], "alertKinds": ["node_silent"],
                 "nodePrefixes": ["myorg/prod"], "tiers": ["critical"], "channels": ["pager", "chat", "mail"],
                 "quietHours": {"start": "22:00", "end": "07:00", "timeZone": "Europe/Berlin"},
                 "minIntervalSeconds": 300, "digestMinutes": 10}
                """, token: token)
            func export() async throws -> String {
                let response = try await client.graphQL(
                    "mutation { exportTemplates(kinds: [\"notificationChannels\", \"notificationRules\"]) }", token: token)
                return try #require(response.data?["exportTemplates"] as? String, "\(response.text)")
            }
            func importing(_ yaml: String) async throws -> JSONResponse {
                try await client.graphQL(
                    "mutation($y: String!) { importTemplates(yaml: $y) { created updated unchanged changes { kind name outcome } } }",
                    variables: "{\"y\": \(jsonString(yaml))}", token: token)
            }
            let yaml = try await export()
            for secret in ["pd-routing-key-SECRET", "SLACKSECRET", "MAILSECRET"] { #expect(!yaml.contains(secret)) }
            #expect(yaml.contains("routingKey: <secret>") && yaml.contains("smtpPassword: <secret>"))
            #expect(yaml.contains("timeZone: Europe/Berlin") && yaml.contains("digestMinutes: 10"))

            // Importing the export changes nothing and keeps the stored secrets.
            let again = try await importing(yaml)
            let result = try #require(again.data?["importTemplates"] as? [String: Any], "\(again.text)")
            #expect(result["unchanged"] as? Int == 4 && result["created"] as? Int == 0, "\(again.text)")
            #expect(try await export() == yaml)

            // A placeholder for a channel that does not exist must be replaced by the secret.
            let renamed = yaml.replacingOccurrences(of: "name: pager\n", with: "name: pager2\n")
            let refused = try await importing(renamed)
            #expect(refused.errorCode == "BAD_USER_INPUT", "\(refused.text)")
            #expect(refused.errorMessage?.contains("notificationChannels[2].config") == true, "\(refused.text)")
            #expect(refused.errorMessage?.contains("no PAGERDUTY channel named 'pager2'") == true)
            let supplied = renamed.replacingOccurrences(
                of: "routingKey: <secret>", with: "routingKey: new-routing-key")
            let created = try await importing(supplied)
            let counts = try #require(created.data?["importTemplates"] as? [String: Any], "\(created.text)")
            #expect(counts["created"] as? Int == 1, "\(created.text)")
            let channels = try await app.runtime.store.reader.notificationReader().notificationChannels()
            #expect(channels.first { $0.name == "pager2" }?.config.routingKey == "new-routing-key")
            #expect(channels.first { $0.name == "pager" }?.config.routingKey == "pd-routing-key-SECRET")
            #expect(channels.first { $0.name == "mail" }?.config.smtpPassword == "MAILSECRET")
        }
    }

    @Test("bad channel and rule input is refused naming the field, and nothing is written", arguments: TestBackend.all)
    func validation(backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let token = try await adminToken(app, client)
            let cases: [(String, String, String)] = [
                ("SMS", "{}", "input.kind"),
                ("SLACK", "{}", "input.config.url: is required"),
                ("SLACK", "{\"url\": \"https://hooks.slack.com/x\", \"smtpHost\": \"mail\"}", "input.config.smtpHost: does not apply"),
                ("PAGERDUTY", "{}", "input.config.routingKey: is required"),
                ("WEBHOOK", "{\"url\": \"https://example.com/\", \"secret\": \"short\"}", "input.config.secret"),
                ("TEAMS", "{\"url\": \"file:///etc/passwd\"}", "input.config.url"),
                ("TEAMS", "{\"url\": \"https://example.com/\", \"teamsFormat\": \"HERO\"}", "input.config.teamsFormat"),
                (
                    "EMAIL",
                    "{\"smtpHost\": \"mail.example.com\", \"from\": \"a@example.com\", \"to\": [\"b@example.com\\r\\nBcc: c@evil.example\"]}",
                    "input.config.to[0]"
                ),
                (
                    "EMAIL", "{\"smtpHost\": \"mail.example.com\", \"from\": \"a@example.com>\\nX: y\", \"to\": [\"b@example.com\"]}",
                    "input.config.from"
                ),
                ("EMAIL", "{\"smtpHost\": \"bad host\", \"from\": \"a@example.com\", \"to\": [\"b@example.com\"]}", "input.config.smtpHost"),
                ("EMAIL", "{\"smtpHost\": \"mail.example.com\", \"from\": \"a@example.com\", \"to\": []}", "input.config.to"),
            ]
            for (kind, config, field) in cases {
                let response = try await client.createChannelResponse("x", kind: kind, config: config, token: token)
                #expect(response.errorCode == "BAD_USER_INPUT", "\(kind) \(config): \(response.text)")
                #expect(response.errorMessage?.contains(field) == true, "\(field): \(response.text)")
            }
            let rules: [(String, String)] = [
                ("{\"name\": \"r\", \"events\": [\"sla:alert\"], \"channels\": [\"nope\"]}", "input.channels[0]"),
                ("{\"name\": \"r\", \"events\": [\"service:deleted\"], \"channels\": []}", "input.events[0]"),
                (
                    "{\"name\": \"r\", \"events\": [\"sla:alert\"], \"alertKinds\": [\"disk_full\"], \"channels\": []}",
                    "input.alertKinds[0]"
                ),
                ("{\"name\": \"r\", \"events\": [\"sla:incident\"], \"tiers\": [\"gold\"], \"channels\": []}", "input.tiers[0]"),
                (
                    "{\"name\": \"r\", \"events\": [\"sla:incident\"], \"channels\": [], \"quietHours\": {\"start\": \"25:00\", \"end\": \"07:00\", \"timeZone\": \"Mars/Olympus\"}}",
                    "input.quietHours.timeZone"
                ),
                ("{\"name\": \"r\", \"events\": [\"sla:incident\"], \"channels\": [], \"minIntervalSeconds\": -1}", "input.minIntervalSeconds"),
            ]
            for (input, field) in rules {
                let response = try await client.graphQL(
                    "mutation($i: NotificationRuleInput!) { createNotificationRule(input: $i) { id } }",
                    variables: "{\"i\": \(input)}", token: token)
                #expect(response.errorCode == "BAD_USER_INPUT", "\(input): \(response.text)")
                #expect(response.errorMessage?.contains(field) == true, "\(field): \(response.text)")
            }
            let listed = try await client.graphQL("{ notificationChannels { id } notificationRules { id } }", token: token)
            #expect((listed.data?["notificationChannels"] as? [Any])?.isEmpty == true, "\(listed.text)")
            #expect((listed.data?["notificationRules"] as? [Any])?.isEmpty == true)

            // A channel in use cannot be deleted; an update keeps absent secrets.
            let id = try await client.createChannel(
                "pd", kind: "PAGERDUTY", config: "{\"routingKey\": \"key-0123\"}", token: token)
            _ = try await client.createRule("{\"name\": \"r\", \"events\": [\"sla:incident\"], \"channels\": [\"pd\"]}", token: token)
            let delete = try await client.graphQL(
                "mutation($id: String!) { deleteNotificationChannel(id: $id) }", variables: "{\"id\": \"\(id)\"}",
                token: token)
            #expect(delete.errorCode != nil && delete.errorMessage?.contains("rule") == true, "\(delete.text)")
            let renamed = try await client.graphQL(
                "mutation($id: String!) { updateNotificationChannel(id: $id, input: {name: \"pager\"}) { name config { routingKey } } }",
                variables: "{\"id\": \"\(id)\"}", token: token)
            #expect(
                ((renamed.data?["updateNotificationChannel"] as? [String: Any])?["config"] as? [String: Any])?["routingKey"]
                    as? String == "********", "\(renamed.text)")
            let rules2 = try await client.graphQL("{ notificationRules { channels } }", token: token)
            #expect(rules2.text.contains("\"pager\""), "a rename follows into the rules: \(rules2.text)")
            // Viewers and operators see nothing.
            _ = try await app.runtime.createUser(email: "viewer@example.com", password: "viewer-password", role: .viewer)
            let viewer = try await client.login("viewer@example.com", "viewer-password")
            let forbidden = try await client.graphQL("{ notificationChannels { id } }", token: viewer)
            #expect(forbidden.errorCode == "FORBIDDEN")
        }
    }
}

/// A real SMTP server (aiosmtpd from `.build-smtp/venv`, run by scripts/smtp-test-server.py) on a loopback
/// port; each message it receives lands as a JSON file in `directory`.
struct SMTPTestServer {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let python = root.appendingPathComponent(".build-smtp/venv/bin/python")
    static let skipReason: Comment =
        "needs aiosmtpd: python3 -m venv .build-smtp/venv && .build-smtp/venv/bin/pip install aiosmtpd==1.4.6"
    /// Whether the venv with aiosmtpd exists.
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: root.appendingPathComponent(".build-smtp/venv/bin/aiosmtpd").path)
    }

    let process: Process
    let port: Int
    let directory: URL

    /// Starts the server; the blocking start (reading the port it prints) runs off the cooperative pool.
    static func start() async throws -> SMTPTestServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-smtp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = python
        process.arguments = [root.appendingPathComponent("scripts/smtp-test-server.py").path, directory.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.runSerially()
        let reading = output.fileHandleForReading
        let line = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var line = Data()
                while !line.contains(UInt8(ascii: "\n")) {
                    let chunk = reading.availableData
                    if chunk.isEmpty { break }
                    line += chunk
                }
                continuation.resume(returning: line)
            }
        }
        let port = try #require(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        return SMTPTestServer(process: process, port: port, directory: directory)
    }

    /// The messages received so far, in order: `from`, `to`, `data`, `login`.
    static func messages(in directory: URL) -> [[String: Any]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
        return names.compactMap {
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent($0).path) else {
                return nil
            }
            return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        }
    }

    static func waitForMessages(_ count: Int, in directory: URL) async -> [[String: Any]] {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let current = messages(in: directory)
            if current.count >= count { return current }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return messages(in: directory)
    }

    /// Kills the server (SIGKILL: the child inherits the test process's signal mask, in which SIGTERM may
    /// be blocked) and waits for it off the cooperative pool.
    func stop() async {
        kill(process.processIdentifier, SIGKILL)
        let process = self.process
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                process.waitUntilExit()
                continuation.resume()
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite("Notifications by email: a real SMTP server receives the mail", .serialized)
struct EmailNotificationTests {
    @Test(
        "the SMTP client authenticates, dot-stuffs, encodes a non-ASCII subject and reaches every recipient",
        .enabled(if: SMTPTestServer.available, SMTPTestServer.skipReason))
    func smtpClient() async throws {
        let server = try await SMTPTestServer.start()
        let client = SMTPClient(guardian: SSRFGuard(policy: SSRFPolicy(hostAllowlist: ["127.0.0.1"])))
        let answer = try await client.send(
            SMTPMail(
                from: "itops@example.com", to: ["ops@example.com", "oncall@example.com"], subject: "Dienst gestört",
                body: "first line\n.a line starting with a dot\n.\nlast line"),
            via: SMTPServer(
                host: "127.0.0.1", port: server.port, security: .none, username: "itops", password: "smtp-password-1"))
        #expect(answer.contains("accepted"))
        let messages = await SMTPTestServer.waitForMessages(1, in: server.directory)
        try #require(messages.count == 1)
        let message = messages[0]
        #expect(message["from"] as? String == "itops@example.com")
        #expect(message["to"] as? [String] == ["ops@example.com", "oncall@example.com"])
        #expect(message["login"] as? String == "itops")
        let data = try #require(message["data"] as? String)
        #expect(data.contains("Subject: =?utf-8?B?\(Data("Dienst gestört".utf8).base64EncodedString())?=\r\n"))
        #expect(data.contains("\r\n\r\nfirst line\r\n.a line starting with a dot\r\n.\r\nlast line\r\n"), "\(data)")

        // A wrong password is the server's 535, permanent.
        do {
            _ = try await client.send(
                SMTPMail(from: "itops@example.com", to: ["ops@example.com"], subject: "x", body: "x"),
                via: SMTPServer(host: "127.0.0.1", port: server.port, security: .none, username: "itops", password: "wrong"))
            Issue.record("a wrong password was accepted")
        } catch {
            #expect(error.description.contains("SMTP 535"), "\(error)")
            #expect(!error.isTransient)
        }
        // STARTTLS required but not offered: no plain-text fallback.
        do {
            _ = try await client.send(
                SMTPMail(from: "itops@example.com", to: ["ops@example.com"], subject: "x", body: "x"),
                via: SMTPServer(host: "127.0.0.1", port: server.port, security: .startTLS))
            Issue.record("STARTTLS was skipped")
        } catch {
            #expect(error.description.contains("STARTTLS"), "\(error)")
        }
        #expect(SMTPTestServer.messages(in: server.directory).count == 1)
        await server.stop()
    }

    @Test(
        "an email channel sends its test message and an incident, readable, to its recipients",
        .enabled(if: SMTPTestServer.available, SMTPTestServer.skipReason), arguments: TestBackend.all)
    func emailChannel(backend: TestBackend) async throws {
        let server = try await SMTPTestServer.start()
        let port = server.port
        let directory = server.directory
        let app = try await TestApp.make(backend) {
            $0.webhookHostAllowlist = ["127.0.0.1"]
            $0.publicURL = "https://itops.example.com/console"
        }
        try await app.run(jobs: true) { (client: Client) async throws in
            let token = try await adminToken(app, client)
            let mail = try await client.createChannel(
                "mail", kind: "EMAIL",
                config: """
                    {"smtpHost": "127.0.0.1", "smtpPort": \(port), "smtpSecurity": "NONE", "smtpUsername": "itops",
                     "smtpPassword": "smtp-password-1", "from": "itops@example.com",
                     "to": ["ops@example.com", "dba@example.com"]}
                    """, token: token)
            let listed = try await client.graphQL("{ notificationChannels { config { smtpPassword } } }", token: token)
            #expect(listed.text.contains("********") && !listed.text.contains("smtp-password-1"))
            let test = try await client.testChannel(mail, token: token)
            #expect(test["status"] as? String == "Success", "\(test)")
            let first = await SMTPTestServer.waitForMessages(1, in: directory)
            try #require(first.count == 1)
            #expect(first[0]["to"] as? [String] == ["ops@example.com", "dba@example.com"])
            #expect((first[0]["data"] as? String)?.contains("Subject: [ITOps] ITOps test notification for mail\r\n") == true)

            _ = try await client.createRule(
                "{\"name\": \"mail-incidents\", \"events\": [\"sla:incident\"], \"channels\": [\"mail\"]}", token: token)
            try await waitForOutboundJob(app)
            try await client.report("orders-db", "DOWN")
            let both = await SMTPTestServer.waitForMessages(2, in: directory)
            try #require(both.count == 2)
            let data = try #require(both[1]["data"] as? String)
            #expect(data.contains("Subject: [ITOps] Incident: orders-db is DOWN on myorg/infra/prod\r\n"), "\(data)")
            #expect(data.contains("Where: myorg/infra/prod."))
            #expect(data.contains("Since: 2026-04-20T00:00:00"))
            #expect(data.contains("Open in ITOps: https://itops.example.com/console/#/service/"))
            #expect(data.contains("From: itops@example.com\r\n") && data.contains("To: ops@example.com, dba@example.com\r\n"))
            var history: [[String: Any]] = []
            try await waitUntil("the delivery is recorded") {
                history = try await client.channelDeliveries(mail, token: token)
                return history.count == 2 && history.allSatisfy { $0["status"] as? String == "Success" }
            }
        }
        await server.stop()
    }
}
