import Foundation
import HTTPTypes
import ITOpsCore
import ITOpsServer
import Testing

private let document = """
    apiVersion: itops/v1
    slaDefinitions:
    - name: gold
      tier: critical
      targetPercent: 99.99
      atRiskBudgetFraction: 0.5
    serviceCatalog:
    - name: orders-db
      nodeId: myorg/platform/prod/cluster1
      displayName: Orders database
      owner: dba-team
      tier: critical
      slaGroup: payment-system
      runbookUrl: https://runbooks.example.com/orders-db
      backup:
        expected: true
        maxAgeDays: 1
    workflows:
    - name: page-on-down
      description: Page the on-call engineer
      enabled: true
      trigger:
        event: service:status_changed
        filter:
          to: DOWN
      steps:
      - type: HTTP_REQUEST
        method: POST
        url: https://hooks.example.com/page
        headers:
          Content-Type: application/json
        body: '{"text": "{{serviceName}} is {{to}}"}'
      - type: DELAY
        seconds: 300
      - type: CREATE_TICKET
        title: '{{serviceName}} is down'

    """

extension Client {
    func importTemplates(_ yaml: String, token: String, query: String = "") async throws -> JSONResponse {
        try await request(
            .post, "/api/v1/templates/import\(query)", body: yaml, key: nil, bearer: token,
            headers: [.contentType: "application/yaml"])
    }

    func exportTemplates(token: String, kinds: String? = nil) async throws -> JSONResponse {
        try await request(
            .get, "/api/v1/templates/export" + (kinds.map { "?kinds=\($0)" } ?? ""), key: nil, bearer: token)
    }
}

@Suite("Templates: YAML export and import")
struct TemplateTests {
    @Test(
        "import creates, export → import → export is byte-identical, re-import changes nothing",
        arguments: TestBackend.all)
    func roundTrip(backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let token = try await adminToken(app, client)
            let imported = try await client.importTemplates(document, token: token)
            #expect(imported.status == .ok, "\(imported.text)")
            #expect(imported["created"] as? Int == 3)
            #expect(imported["dryRun"] as? Bool == false)

            let registered = try await client.post(
                "/api/v1/operator/register",
                #"{"name": "cache", "nodeId": "myorg/platform/prod/cluster1", "criticality": "low", "operations": {"backup": {"expected": false, "maxAgeDays": 2}}}"#
            )
            #expect(registered.status == .created)

            let first = try await client.exportTemplates(token: token)
            #expect(first.status == .ok)
            #expect(first.headers[.contentType]?.hasPrefix("application/yaml") == true)
            let yaml = first.text
            for expected in [
                "apiVersion: itops/v1", "name: gold", "owner: dba-team",
                "runbookUrl: https://runbooks.example.com/orders-db",
                "name: cache", "name: page-on-down", "event: service:status_changed", "seconds: 300",
            ] {
                #expect(yaml.contains(expected), "export lacks \(expected):\n\(yaml)")
            }
            let service = try await app.runtime.store.reader.service(
                nodeId: try NodePath(validating: "myorg/platform/prod/cluster1"), name: "orders-db")
            #expect(service?.source == .import)
            #expect(service?.criticality == .critical)
            #expect(service?.backup.expected == true)

            let again = try await client.graphQL(
                "mutation($y: String!) { importTemplates(yaml: $y) { dryRun created updated unchanged changes { kind name outcome } } }",
                variables: "{\"y\": \(jsonString(yaml))}", token: token)
            let result = try #require(again.data?["importTemplates"] as? [String: Any], "\(again.text)")
            #expect(result["created"] as? Int == 0)
            #expect(result["updated"] as? Int == 0, "\(result)")
            #expect((result["unchanged"] as? Int ?? 0) >= 7)  // 5 SLA definitions, 2 services, 1 workflow

            let second = try await client.graphQL("{ exportTemplates }", token: token)
            // exportTemplates is a mutation per SPEC §11.
            #expect(second.errorCode == "GRAPHQL_VALIDATION_FAILED")
            let exported = try await client.graphQL("mutation { exportTemplates }", token: token)
            #expect(exported.data?["exportTemplates"] as? String == yaml)

            let onlyWorkflows = try await client.graphQL(
                "mutation { exportTemplates(kinds: [\"workflows\"]) }", token: token)
            let workflowsYAML = try #require(onlyWorkflows.data?["exportTemplates"] as? String)
            #expect(workflowsYAML.contains("page-on-down"))
            #expect(!workflowsYAML.contains("serviceCatalog"))

            // A dry run reports and writes nothing.
            let changed = document.replacingOccurrences(of: "owner: dba-team", with: "owner: sre-team")
            let dry = try await client.importTemplates(changed, token: token, query: "?dryRun=true")
            #expect(dry["dryRun"] as? Bool == true)
            #expect(dry["updated"] as? Int == 1)
            #expect(try await client.exportTemplates(token: token).text == yaml)

            let operatorExport = try await client.request(.get, "/api/v1/templates/export")
            #expect(operatorExport.status == .forbidden)
        }
    }

    @Test(
        "an invalid document is refused with its YAML path and writes nothing",
        arguments: [
            ("apiVersion: itops/v2\nworkflows: []\n", "apiVersion"),
            ("workflows: []\n", "apiVersion: is required"),
            ("apiVersion: itops/v1\nworkflow: []\n", "$.workflow (line 2): unknown field"),
            ("apiVersion: itops/v1\nworkflows: [\n", "yaml: not a readable YAML document"),
            (
                "apiVersion: itops/v1\nworkflows:\n- name: ok\n  trigger: {event: \"sla:alert\"}\n  steps:\n  - type: HTTP_REQUEST\n    method: POST\n",
                "workflows[0].steps[0].url: is required"
            ),
            (
                "apiVersion: itops/v1\nworkflows:\n- name: ok\n  trigger: {event: \"sla:nothing\"}\n  steps: [{type: DELAY, seconds: 5}]\n",
                "workflows[0].trigger.event"
            ),
            (
                "apiVersion: itops/v1\nserviceCatalog:\n- name: db\n  nodeId: a//b\n",
                "serviceCatalog[0].nodeId"
            ),
            (
                "apiVersion: itops/v1\nserviceCatalog:\n- name: db\n  nodeId: a/b\n  tier: urgent\n",
                "serviceCatalog[0].tier (line 5): must be one of critical|high|medium|low"
            ),
            (
                "apiVersion: itops/v1\nslaDefinitions:\n- {name: x, tier: low, targetPercent: 120, atRiskBudgetFraction: 0.5}\n",
                "slaDefinitions[0].targetPercent"
            ),
            (
                "apiVersion: itops/v1\nworkflows:\n- name: a\n  trigger: {event: \"sla:alert\"}\n  steps: [{type: DELAY, seconds: 5}]\n- name: a\n  trigger: {event: \"sla:alert\"}\n  steps: [{type: DELAY, seconds: 5}]\n",
                "workflows[1].name (line 6): 'a' is listed twice"
            ),
        ])
    func invalid(yaml: String, expected: String) async throws {
        let app = try await TestApp.make()
        try await app.run { (client: Client) async throws in
            let token = try await adminToken(app, client)
            // A valid SLA definition beside the bad part must not be written either.
            let withValidPart =
                yaml.contains("slaDefinitions")
                ? yaml
                : yaml
                    + "slaDefinitions: [{name: silver, tier: high, targetPercent: 99.9, atRiskBudgetFraction: 0.75}]\n"
            for text in [yaml, withValidPart] {
                let response = try await client.importTemplates(text, token: token)
                #expect(response.status == .unprocessableContent, "\(response.text)")
                #expect(
                    response.error?.contains(expected) == true,
                    "expected \(expected) in \(response.error ?? response.text)")
            }
            let graphQL = try await client.graphQL(
                "mutation($y: String!) { importTemplates(yaml: $y, dryRun: true) { created } }",
                variables: "{\"y\": \(jsonString(yaml))}", token: token)
            #expect(graphQL.errorCode == "BAD_USER_INPUT")
            let export = try await client.exportTemplates(token: token)
            #expect(!export.text.contains("silver"))
            #expect(!export.text.contains("name: ok"))
        }
    }
}
