import Foundation
import ITOpsCore
import ITOpsOutbound
import Testing

@Suite("Workflow templates, signatures, event keys")
struct WorkflowTemplateTests {
    private func execution(_ payload: String) -> WorkflowExecution {
        WorkflowExecution(
            id: UUID(uuidString: "00000000-0000-0000-0000-000000000001")!, workflowId: UUID(), workflowName: "w",
            event: "service:status_changed", eventKey: "k", payload: payload, createdAt: Date())
    }

    @Test("placeholders render the event's fields JSON-escaped; unknown names render empty")
    func render() {
        let run = execution(#"{"serviceName":"db \"1\"","to":"DOWN","replicas":3,"trial":false,"message":null}"#)
        #expect(
            WorkflowRules.render(#"{"text": "{{serviceName}} is {{ to }}"}"#, execution: run)
                == #"{"text": "db \"1\" is DOWN"}"#)
        #expect(WorkflowRules.render("{{replicas}}/{{trial}}/{{message}}/{{nothing}}", execution: run) == "3/false//")
        #expect(
            WorkflowRules.render("{{event}} {{executionId}}", execution: run)
                == "service:status_changed 00000000-0000-0000-0000-000000000001")
        #expect(WorkflowRules.render("{{payload}}", execution: run) == run.payload)
        #expect(WorkflowRules.render("unclosed {{to", execution: run) == "unclosed {{to")
    }

    @Test("filters compare the event's fields as text, all conditions must hold")
    func filters() {
        let workflow = WorkflowDefinition(
            name: "w", event: "service:status_changed",
            filter: [NamedValue(name: "to", value: "DOWN"), NamedValue(name: "nodeId", value: "a/b")],
            steps: [WorkflowStep(type: .delay, seconds: 1)])
        #expect(
            WorkflowRules.matches(workflow, event: "service:status_changed", fields: ["to": "DOWN", "nodeId": "a/b"]))
        #expect(!WorkflowRules.matches(workflow, event: "service:status_changed", fields: ["to": "DOWN"]))
        #expect(!WorkflowRules.matches(workflow, event: "sla:alert", fields: ["to": "DOWN", "nodeId": "a/b"]))
    }

    @Test("signatures are HMAC-SHA256 of the body, verified in constant time")
    func signature() {
        let body = Array(#"{"event":"webhook:test"}"#.utf8)
        let signature = WebhookSignature.sign(body, secret: "0123456789abcdef")
        #expect(signature.hasPrefix("sha256="))
        #expect(signature.count == 7 + 64)
        #expect(WebhookSignature.verify(signature, body: body, secret: "0123456789abcdef"))
        #expect(!WebhookSignature.verify(signature, body: body + [32], secret: "0123456789abcdef"))
        #expect(!WebhookSignature.verify(signature, body: body, secret: "another-secret-1"))
    }

    @Test("an event's key is the same wherever it is computed and differs between events")
    func eventKeys() {
        let at = Date(timeIntervalSince1970: 1_776_643_200.123)
        let change = DomainEvent.licenseUpdated(
            LicenseChange(customer: "ACME", plugins: ["sla"], expiresAt: nil, trial: false, reason: "activated", at: at)
        )
        let later = DomainEvent.licenseUpdated(
            LicenseChange(
                customer: "ACME", plugins: ["sla"], expiresAt: nil, trial: false, reason: "activated",
                at: at.addingTimeInterval(0.001)))
        #expect(OutboundEvent(change).key == OutboundEvent(change).key)
        #expect(OutboundEvent(change).key != OutboundEvent(later).key)
        #expect(OutboundEvent(change).name == "license:updated")
        #expect(OutboundEvent(change).data.contains(#""customer":"ACME""#))
        #expect(OutboundEvent(change).data.contains(#""trial":false"#))
    }

    @Test("a parsed document exports to the same text it was read from")
    func templateRoundTrip() throws {
        let text = """
            apiVersion: itops/v1
            slaDefinitions:
            - name: gold
              tier: critical
              targetPercent: 99.99
              atRiskBudgetFraction: 0.5
            serviceCatalog:
            - name: orders-db
              nodeId: myorg/platform/prod
              owner: dba-team
              backup:
                expected: true
                maxAgeDays: 2
            workflows:
            - name: notify
              enabled: false
              trigger:
                event: sla:alert
                filter:
                  kind: backup_overdue
              steps:
              - type: HTTP_REQUEST
                url: https://hooks.example.com/x?a=1&b=2
                headers:
                  Authorization: Bearer abc
                body: |-
                  {"text": "{{message}}",
                   "at": "{{at}}"}
              - type: DELAY
                seconds: 30

            """
        let document = try Templates.parse(text)
        let exported = try Templates.export(
            kinds: [], workflows: document.workflows ?? [], catalog: document.serviceCatalog ?? [],
            sla: document.slaDefinitions ?? [])
        #expect(exported == text)
        let again = try Templates.parse(exported)
        #expect(again == document)
    }
}
