import Foundation
import ITOpsCore
import ITOpsOutboundTestSupport
import ITOpsServer
import Testing

extension Client {
    /// Creates a workflow from a GraphQL `WorkflowInput` JSON; returns its id.
    func createWorkflow(_ input: String, token: String) async throws -> String {
        let response = try await graphQL(
            "mutation($i: WorkflowInput!) { createWorkflow(input: $i) { id name trigger { event filter { field equals } } steps { type } } }",
            variables: "{\"i\": \(input)}", token: token)
        let created = try #require(response.data?["createWorkflow"] as? [String: Any], "\(response.text)")
        return try #require(created["id"] as? String)
    }

    /// Executions of a workflow, newest first.
    func executions(_ workflowId: String, token: String) async throws -> [[String: Any]] {
        let response = try await graphQL(
            "query($w: String) { workflowExecutions(workflowId: $w) { id event status error resumeAt steps { index type status httpCode error output } } }",
            variables: "{\"w\": \(jsonString(workflowId))}", token: token)
        return try #require(response.data?["workflowExecutions"] as? [[String: Any]], "\(response.text)")
    }
}

@Suite("Workflows: triggered by events, steps recorded")
struct WorkflowTests {
    @Test(
        "a workflow with an HTTP step runs on a matching event, renders its body, and records every step",
        arguments: TestBackend.all)
    func httpStep(backend: TestBackend) async throws {
        let receiver = try await TestHTTPReceiver.start { _, _ in .init(status: 202, body: "queued") }
        let app = try await TestApp.make(backend) { $0.webhookHostAllowlist = ["127.0.0.1"] }
        try await app.run(jobs: true) { (client: Client) async throws in
            let token = try await adminToken(app, client)
            let id = try await client.createWorkflow(
                """
                {"name": "page-on-down", "event": "service:status_changed",
                 "filter": [{"field": "to", "equals": "DOWN"}],
                 "steps": [
                   {"type": "HTTP_REQUEST", "method": "post", "url": \(jsonString(receiver.url("/page/{{serviceName}}"))),
                    "headers": [{"name": "Content-Type", "value": "application/json"}],
                    "body": "{\\"text\\": \\"{{serviceName}} is {{to}}\\", \\"event\\": \\"{{event}}\\"}"},
                   {"type": "CREATE_TICKET", "title": "{{serviceName}} is down", "description": "{{message}}"}
                 ]}
                """, token: token)
            try await waitForOutboundJob(app)
            try await client.report("galera-node1", "DOWN")
            try await client.report("galera-node1", "OPERATIONAL")  // filtered out

            let request = try #require(await receiver.waitForRequests(1).first)
            #expect(request.method == "POST")
            #expect(request.uri == "/page/galera-node1")
            #expect(request.text == "{\"text\": \"galera-node1 is DOWN\", \"event\": \"service:status_changed\"}")
            var executions: [[String: Any]] = []
            try await waitUntil("the execution succeeds") {
                executions = try await client.executions(id, token: token)
                return executions.first?["status"] as? String == "Success"
            }
            try await Task.sleep(for: .milliseconds(200))
            executions = try await client.executions(id, token: token)
            #expect(executions.count == 1)
            let steps = try #require(executions.first?["steps"] as? [[String: Any]])
            #expect(steps.count == 2)
            #expect(steps[0]["type"] as? String == "HTTP_REQUEST")
            #expect(steps[0]["httpCode"] as? Int == 202)
            #expect(steps[0]["output"] as? String == "queued")
            #expect(steps[1]["type"] as? String == "CREATE_TICKET")
            #expect(steps[1]["status"] as? String == "Success")
            #expect((steps[1]["output"] as? String)?.hasPrefix("created ITOPS-1: galera-node1 is down") == true)
            let ticket = try #require(try await app.runtime.tickets.ticket(reference: "ITOPS-1"))
            #expect(ticket.source == .workflow && ticket.title == "galera-node1 is down")
            #expect(ticket.reporter.name == "workflow page-on-down")
            #expect(receiver.requests.count == 1)
        }
        await receiver.stop()
    }

    @Test(
        "a blocked HTTP step fails the execution with ExecFailed; a DELAY waits on the clock",
        arguments: TestBackend.all)
    func blockedAndDelay(backend: TestBackend) async throws {
        let receiver = try await TestHTTPReceiver.start()
        let app = try await TestApp.make(backend)  // nothing allowlisted
        try await app.run(jobs: true) { (client: Client) async throws in
            let token = try await adminToken(app, client)
            let blocked = try await client.createWorkflow(
                """
                {"name": "to-metadata", "event": "sla:incident",
                 "steps": [{"type": "DELAY", "seconds": 60},
                           {"type": "HTTP_REQUEST", "url": "http://169.254.169.254/latest/meta-data/"},
                           {"type": "CREATE_TICKET", "title": "never reached"}]}
                """, token: token)
            let local = try await client.createWorkflow(
                """
                {"name": "to-loopback", "event": "sla:incident",
                 "steps": [{"type": "HTTP_REQUEST", "method": "GET", "url": \(jsonString(receiver.url()))}]}
                """, token: token)
            try await waitForOutboundJob(app)
            try await client.report("db-2", "DOWN")

            var executions: [[String: Any]] = []
            try await waitUntil("the delay starts") {
                executions = try await client.executions(blocked, token: token)
                return executions.first?["status"] as? String == "Running"
            }
            #expect(executions.first?["resumeAt"] as? String != nil)
            app.clock.advance(by: 61)
            try await waitUntil("the blocked step fails the execution") {
                executions = try await client.executions(blocked, token: token)
                return executions.first?["status"] as? String == "ExecFailed"
            }
            let steps = try #require(executions.first?["steps"] as? [[String: Any]])
            #expect(steps.count == 2)
            #expect(steps[1]["status"] as? String == "ExecFailed")
            #expect((steps[1]["error"] as? String)?.contains("169.254.169.254 is a link-local") == true)
            #expect((executions.first?["error"] as? String)?.hasPrefix("step 2 (HTTP_REQUEST): blocked: ") == true)

            try await waitUntil("the loopback step is refused") {
                try await client.executions(local, token: token).first?["status"] as? String == "ExecFailed"
            }
            #expect(receiver.acceptedConnections == 0)
        }
        await receiver.stop()
    }

    @Test("invalid workflows name the field; names are unique")
    func validation() async throws {
        let app = try await TestApp.make()
        try await app.run { (client: Client) async throws in
            let token = try await adminToken(app, client)
            let cases: [(String, String)] = [
                (
                    #"{"name": "x", "event": "service:deleted", "steps": [{"type": "DELAY", "seconds": 1}]}"#,
                    "input.event"
                ),
                (#"{"name": "x", "event": "sla:alert", "steps": []}"#, "input.steps: must have 1–20 steps"),
                (
                    #"{"name": "x", "event": "sla:alert", "steps": [{"type": "HTTP_REQUEST"}]}"#,
                    "input.steps[0].url: is required"
                ),
                (
                    #"{"name": "x", "event": "sla:alert", "steps": [{"type": "DELAY", "seconds": 0}]}"#,
                    "input.steps[0].seconds"
                ),
                (
                    #"{"name": "x", "event": "sla:alert", "steps": [{"type": "DELAY", "seconds": 5, "url": "http://a/"}]}"#,
                    "input.steps[0].url: not used by DELAY"
                ),
                (#"{"name": "x", "event": "sla:alert", "steps": [{"type": "WAIT"}]}"#, "input.steps[0].type"),
                (
                    #"{"name": "bad name!", "event": "sla:alert", "steps": [{"type": "DELAY", "seconds": 1}]}"#,
                    "input.name"
                ),
            ]
            for (input, expected) in cases {
                let response = try await client.graphQL(
                    "mutation($i: WorkflowInput!) { createWorkflow(input: $i) { id } }", variables: "{\"i\": \(input)}",
                    token: token)
                #expect(response.errorCode == "BAD_USER_INPUT", "\(input): \(response.text)")
                #expect(response.errorMessage?.contains(expected) == true, "\(response.errorMessage ?? response.text)")
            }
            let valid = #"{"name": "dup", "event": "sla:alert", "steps": [{"type": "DELAY", "seconds": 1}]}"#
            _ = try await client.createWorkflow(valid, token: token)
            let duplicate = try await client.graphQL(
                "mutation($i: WorkflowInput!) { createWorkflow(input: $i) { id } }", variables: "{\"i\": \(valid)}",
                token: token)
            #expect(duplicate.errorCode == "CONFLICT")
        }
    }
}
