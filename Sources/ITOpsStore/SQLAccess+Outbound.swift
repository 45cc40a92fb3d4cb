import Foundation
import ITOpsCore
import SQLKit

// Webhooks, deliveries, workflows, executions and catalog extras (migration 5), over portable SQL.

struct WebhookRecord: Codable, Sendable {
    var id: String
    var url: String
    var events: String
    var secret: String
    var enabled: Bool
    var createdAt: Int64
    var updatedAt: Int64

    init(_ webhook: Webhook) {
        id = webhook.id.stored
        url = webhook.url
        events = OutboundJSON.encode(webhook.events)
        secret = webhook.secret
        enabled = webhook.enabled
        createdAt = webhook.createdAt.epochMilliseconds
        updatedAt = webhook.updatedAt.epochMilliseconds
    }

    func domain() throws -> Webhook {
        Webhook(
            id: try OutboundJSON.uuid(id), url: url, events: try OutboundJSON.decode([String].self, events),
            secret: secret, enabled: enabled, createdAt: Date(epochMilliseconds: createdAt),
            updatedAt: Date(epochMilliseconds: updatedAt))
    }
}

struct WebhookDeliveryRecord: Codable, Sendable {
    var id: String
    var webhookId: String
    var event: String
    var eventKey: String
    var body: String
    var status: String
    var attempt: Int
    var httpCode: Int?
    var error: String?
    var durationMs: Int?
    var createdAt: Int64
    var nextAttemptAt: Int64?
    var leaseUntil: Int64?
    var completedAt: Int64?

    init(_ delivery: WebhookDelivery) {
        id = delivery.id.stored
        webhookId = delivery.webhookId.stored
        event = delivery.event
        eventKey = delivery.eventKey
        body = delivery.body
        status = delivery.status.rawValue
        attempt = delivery.attempt
        httpCode = delivery.httpCode
        error = delivery.error
        durationMs = delivery.durationMs
        createdAt = delivery.createdAt.epochMilliseconds
        nextAttemptAt = delivery.nextAttemptAt?.epochMilliseconds
        leaseUntil = delivery.leaseUntil?.epochMilliseconds
        completedAt = delivery.completedAt?.epochMilliseconds
    }

    func domain() throws -> WebhookDelivery {
        WebhookDelivery(
            id: try OutboundJSON.uuid(id), webhookId: try OutboundJSON.uuid(webhookId), event: event,
            eventKey: eventKey, body: body, status: try OutboundJSON.status(status), attempt: attempt,
            httpCode: httpCode, error: error, durationMs: durationMs, createdAt: Date(epochMilliseconds: createdAt),
            nextAttemptAt: nextAttemptAt.map(Date.init(epochMilliseconds:)),
            leaseUntil: leaseUntil.map(Date.init(epochMilliseconds:)),
            completedAt: completedAt.map(Date.init(epochMilliseconds:)))
    }
}

struct WorkflowRecord: Codable, Sendable {
    var id: String
    var name: String
    var description: String?
    var enabled: Bool
    var event: String
    var filter: String
    var steps: String
    var createdAt: Int64
    var updatedAt: Int64

    init(_ workflow: Workflow) {
        id = workflow.id.stored
        name = workflow.definition.name
        description = workflow.definition.description
        enabled = workflow.definition.enabled
        event = workflow.definition.event
        filter = OutboundJSON.encode(workflow.definition.filter)
        steps = OutboundJSON.encode(workflow.definition.steps)
        createdAt = workflow.createdAt.epochMilliseconds
        updatedAt = workflow.updatedAt.epochMilliseconds
    }

    func domain() throws -> Workflow {
        Workflow(
            id: try OutboundJSON.uuid(id),
            definition: WorkflowDefinition(
                name: name, description: description, enabled: enabled, event: event,
                filter: try OutboundJSON.decode([NamedValue].self, filter),
                steps: try OutboundJSON.decode([WorkflowStep].self, steps)),
            createdAt: Date(epochMilliseconds: createdAt), updatedAt: Date(epochMilliseconds: updatedAt))
    }
}

struct WorkflowExecutionRecord: Codable, Sendable {
    var id: String
    var workflowId: String
    var workflowName: String
    var event: String
    var eventKey: String
    var payload: String
    var status: String
    var nextStep: Int
    var steps: String
    var error: String?
    var createdAt: Int64
    var resumeAt: Int64?
    var leaseUntil: Int64?
    var finishedAt: Int64?

    init(_ execution: WorkflowExecution) {
        id = execution.id.stored
        workflowId = execution.workflowId.stored
        workflowName = execution.workflowName
        event = execution.event
        eventKey = execution.eventKey
        payload = execution.payload
        status = execution.status.rawValue
        nextStep = execution.nextStep
        steps = OutboundJSON.encode(execution.steps)
        error = execution.error
        createdAt = execution.createdAt.epochMilliseconds
        resumeAt = execution.resumeAt?.epochMilliseconds
        leaseUntil = execution.leaseUntil?.epochMilliseconds
        finishedAt = execution.finishedAt?.epochMilliseconds
    }

    func domain() throws -> WorkflowExecution {
        WorkflowExecution(
            id: try OutboundJSON.uuid(id), workflowId: try OutboundJSON.uuid(workflowId), workflowName: workflowName,
            event: event, eventKey: eventKey, payload: payload, status: try OutboundJSON.status(status),
            nextStep: nextStep, steps: try OutboundJSON.decode([StepResult].self, steps), error: error,
            createdAt: Date(epochMilliseconds: createdAt), resumeAt: resumeAt.map(Date.init(epochMilliseconds:)),
            leaseUntil: leaseUntil.map(Date.init(epochMilliseconds:)),
            finishedAt: finishedAt.map(Date.init(epochMilliseconds:)))
    }
}

struct CatalogExtraRecord: Codable, Sendable {
    var serviceId: String
    var owner: String?
    var runbookUrl: String?
}

/// JSON columns and checked conversions of the outbound records.
enum OutboundJSON {
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .millisecondsSince1970
        // Encoding plain structs of strings and numbers cannot fail.
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try decoder.decode(type, from: Data(text.utf8))
    }

    static func uuid(_ text: String) throws -> UUID {
        guard let id = UUID(parsing: text) else { throw ITOpsError(.internal, "stored id '\(text)' is not a UUID") }
        return id
    }

    static func status(_ text: String) throws -> DeliveryStatus {
        guard let status = DeliveryStatus(rawValue: text) else {
            throw ITOpsError(.internal, "stored status '\(text)' is unknown")
        }
        return status
    }
}

extension SQLAccess: OutboundWriter {
    /// Rows decoded from snake_case columns (the notification records use these helpers too).
    func rows<R: Decodable>(_ query: SQLQueryString, as _: R.Type) async throws -> [R] {
        try await db.raw(query).all().map {
            try $0.decode(model: R.self, keyDecodingStrategy: SnakeCaseColumns.decoding)
        }
    }

    func save(_ table: String, _ record: some Encodable & Sendable) async throws {
        try await db.insert(into: table)
            .model(record, keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil).run()
    }

    func saveIfAbsent(_ table: String, _ record: some Encodable & Sendable, unique: [String]) async throws {
        try await db.insert(into: table)
            .model(record, keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil)
            .ignoringConflicts(with: unique).run()
    }

    func replace(_ table: String, id: UUID, _ record: some Encodable & Sendable) async throws {
        try await db.update(table)
            .set(model: record, keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil)
            .where("id", .equal, SQLBind(id.stored)).run()
    }

    // MARK: Webhooks

    func webhooks() async throws -> [Webhook] {
        try await rows("SELECT * FROM webhooks ORDER BY created_at, id", as: WebhookRecord.self).map { try $0.domain() }
    }

    func webhook(id: UUID) async throws -> Webhook? {
        try await rows("SELECT * FROM webhooks WHERE id = \(bind: id.stored)", as: WebhookRecord.self).first?.domain()
    }

    func insert(_ webhook: Webhook) async throws { try await save("webhooks", WebhookRecord(webhook)) }

    func update(_ webhook: Webhook) async throws {
        try await replace("webhooks", id: webhook.id, WebhookRecord(webhook))
    }

    func deleteWebhook(id: UUID) async throws {
        try await db.raw("DELETE FROM webhook_deliveries WHERE webhook_id = \(bind: id.stored)").run()
        try await db.raw("DELETE FROM webhooks WHERE id = \(bind: id.stored)").run()
    }

    func webhookDeliveries(webhookId: UUID, limit: Int) async throws -> [WebhookDelivery] {
        try await rows(
            "SELECT * FROM webhook_deliveries WHERE webhook_id = \(bind: webhookId.stored) ORDER BY created_at DESC, id DESC LIMIT \(literal: max(0, limit))",
            as: WebhookDeliveryRecord.self
        ).map { try $0.domain() }
    }

    func webhookDelivery(id: UUID) async throws -> WebhookDelivery? {
        try await rows("SELECT * FROM webhook_deliveries WHERE id = \(bind: id.stored)", as: WebhookDeliveryRecord.self)
            .first?.domain()
    }

    func dueWebhookDeliveries(now: Date, limit: Int) async throws -> [WebhookDelivery] {
        let at = now.epochMilliseconds
        return try await rows(
            """
            SELECT * FROM webhook_deliveries
            WHERE status = \(bind: DeliveryStatus.pending.rawValue) AND next_attempt_at <= \(bind: at)
              AND (lease_until IS NULL OR lease_until < \(bind: at))
            ORDER BY next_attempt_at, id LIMIT \(literal: max(0, limit))
            """,
            as: WebhookDeliveryRecord.self
        ).map { try $0.domain() }
    }

    func insertIfAbsent(_ delivery: WebhookDelivery) async throws {
        try await saveIfAbsent(
            "webhook_deliveries", WebhookDeliveryRecord(delivery), unique: ["webhook_id", "event_key"])
    }

    func update(_ delivery: WebhookDelivery) async throws {
        try await replace("webhook_deliveries", id: delivery.id, WebhookDeliveryRecord(delivery))
    }

    // MARK: Workflows

    func workflows() async throws -> [Workflow] {
        try await rows("SELECT * FROM workflows ORDER BY name", as: WorkflowRecord.self).map { try $0.domain() }
    }

    func workflow(id: UUID) async throws -> Workflow? {
        try await rows("SELECT * FROM workflows WHERE id = \(bind: id.stored)", as: WorkflowRecord.self).first?.domain()
    }

    func workflow(name: String) async throws -> Workflow? {
        try await rows("SELECT * FROM workflows WHERE name = \(bind: name)", as: WorkflowRecord.self).first?.domain()
    }

    func insert(_ workflow: Workflow) async throws { try await save("workflows", WorkflowRecord(workflow)) }

    func update(_ workflow: Workflow) async throws {
        try await replace("workflows", id: workflow.id, WorkflowRecord(workflow))
    }

    func deleteWorkflow(id: UUID) async throws {
        try await db.raw("DELETE FROM workflow_executions WHERE workflow_id = \(bind: id.stored)").run()
        try await db.raw("DELETE FROM workflows WHERE id = \(bind: id.stored)").run()
    }

    func workflowExecutions(workflowId: UUID?, limit: Int) async throws -> [WorkflowExecution] {
        var sql: SQLQueryString = "SELECT * FROM workflow_executions"
        if let workflowId { sql = sql + " WHERE workflow_id = \(bind: workflowId.stored)" }
        sql = sql + " ORDER BY created_at DESC, id DESC LIMIT \(literal: max(0, limit))"
        return try await rows(sql, as: WorkflowExecutionRecord.self).map { try $0.domain() }
    }

    func workflowExecution(id: UUID) async throws -> WorkflowExecution? {
        try await rows(
            "SELECT * FROM workflow_executions WHERE id = \(bind: id.stored)", as: WorkflowExecutionRecord.self
        )
        .first?.domain()
    }

    func dueWorkflowExecutions(now: Date, limit: Int) async throws -> [WorkflowExecution] {
        let at = now.epochMilliseconds
        return try await rows(
            """
            SELECT * FROM workflow_executions
            WHERE status IN (\(bind: DeliveryStatus.pending.rawValue), \(bind: DeliveryStatus.running.rawValue))
              AND resume_at <= \(bind: at) AND (lease_until IS NULL OR lease_until < \(bind: at))
            ORDER BY resume_at, id LIMIT \(literal: max(0, limit))
            """,
            as: WorkflowExecutionRecord.self
        ).map { try $0.domain() }
    }

    func insertIfAbsent(_ execution: WorkflowExecution) async throws {
        try await saveIfAbsent(
            "workflow_executions", WorkflowExecutionRecord(execution), unique: ["workflow_id", "event_key"])
    }

    func update(_ execution: WorkflowExecution) async throws {
        try await replace("workflow_executions", id: execution.id, WorkflowExecutionRecord(execution))
    }

    // MARK: Catalog extras

    func catalogExtras() async throws -> [CatalogExtra] {
        try await rows("SELECT * FROM service_catalog ORDER BY service_id", as: CatalogExtraRecord.self).map {
            CatalogExtra(serviceId: try OutboundJSON.uuid($0.serviceId), owner: $0.owner, runbookUrl: $0.runbookUrl)
        }
    }

    func save(_ extra: CatalogExtra) async throws {
        try await db.insert(into: "service_catalog")
            .model(
                CatalogExtraRecord(serviceId: extra.serviceId.stored, owner: extra.owner, runbookUrl: extra.runbookUrl),
                keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil
            )
            .onConflict(with: ["service_id"]) { $0.set(excludedValueOf: "owner").set(excludedValueOf: "runbook_url") }
            .run()
    }
}
