import Foundation
import Graphiti
import ITOpsCore

/// Webhooks, workflows and templates: admin only.
extension Resolver {
    struct WebhookInputDTO: Codable, Sendable {
        let url: String
        let events: [String]
        let secret: String
        let enabled: Bool?
    }

    struct WebhookPatchDTO: Codable, Sendable {
        let url: String?
        let events: [String]?
        let secret: String?
        let enabled: Bool?
    }

    struct CreateWebhookArguments: Codable, Sendable {
        let input: WebhookInputDTO
    }

    struct UpdateWebhookArguments: Codable, Sendable {
        let id: String
        let input: WebhookPatchDTO
    }

    struct DeliveriesArguments: Codable, Sendable {
        let webhookId: String
        let first: Int?
    }

    struct HeaderInputDTO: Codable, Sendable {
        let name: String
        let value: String
    }

    struct ConditionInputDTO: Codable, Sendable {
        let field: String
        let equals: String
    }

    struct StepInputDTO: Codable, Sendable {
        let type: String
        let method: String?
        let url: String?
        let headers: [HeaderInputDTO]?
        let body: String?
        let title: String?
        let description: String?
        let seconds: Int?
    }

    struct WorkflowInputDTO: Codable, Sendable {
        let name: String
        let description: String?
        let enabled: Bool?
        let event: String
        let filter: [ConditionInputDTO]?
        let steps: [StepInputDTO]
    }

    struct CreateWorkflowArguments: Codable, Sendable {
        let input: WorkflowInputDTO
    }

    struct UpdateWorkflowArguments: Codable, Sendable {
        let id: String
        let input: WorkflowInputDTO
    }

    struct ExecutionsArguments: Codable, Sendable {
        let workflowId: String?
        let first: Int?
    }

    struct ImportArguments: Codable, Sendable {
        let yaml: String
        let dryRun: Bool?
    }

    struct ExportArguments: Codable, Sendable {
        let kinds: [String]?
    }

    // MARK: Webhooks

    func webhooks(context: GraphQLContext, arguments: NoArguments) async throws -> [WebhookDTO] {
        try await context.outboundAdmin().webhooks().map(WebhookDTO.init)
    }

    func createWebhook(context: GraphQLContext, arguments: CreateWebhookArguments) async throws -> WebhookDTO {
        let input = arguments.input
        return WebhookDTO(
            try await context.outboundAdmin().createWebhook(
                WebhookInput(url: input.url, events: input.events, secret: input.secret, enabled: input.enabled ?? true)
            ))
    }

    func updateWebhook(context: GraphQLContext, arguments: UpdateWebhookArguments) async throws -> WebhookDTO {
        let admin = try context.outboundAdmin()
        let input = arguments.input
        return WebhookDTO(
            try await admin.updateWebhook(
                id: try Self.uuid(arguments.id, field: "id"),
                WebhookPatch(url: input.url, events: input.events, secret: input.secret, enabled: input.enabled)))
    }

    func deleteWebhook(context: GraphQLContext, arguments: IDArgument) async throws -> Bool {
        let admin = try context.outboundAdmin()
        return try await admin.deleteWebhook(id: try Self.uuid(arguments.id, field: "id"))
    }

    func testWebhook(context: GraphQLContext, arguments: IDArgument) async throws -> WebhookDeliveryDTO {
        let admin = try context.outboundAdmin()
        return WebhookDeliveryDTO(try await admin.testWebhook(id: try Self.uuid(arguments.id, field: "id")))
    }

    func webhookDeliveries(context: GraphQLContext, arguments: DeliveriesArguments) async throws -> [WebhookDeliveryDTO]
    {
        let admin = try context.outboundAdmin()
        return try await admin.webhookDeliveries(
            webhookId: try Self.uuid(arguments.webhookId, field: "webhookId"), limit: try Self.limit(arguments.first)
        ).map(WebhookDeliveryDTO.init)
    }

    // MARK: Workflows

    func workflows(context: GraphQLContext, arguments: NoArguments) async throws -> [WorkflowDTO] {
        try await context.outboundAdmin().workflows().map(WorkflowDTO.init)
    }

    func workflow(context: GraphQLContext, arguments: IDArgument) async throws -> WorkflowDTO? {
        let admin = try context.outboundAdmin()
        return try await admin.workflow(id: try Self.uuid(arguments.id, field: "id")).map(WorkflowDTO.init)
    }

    func createWorkflow(context: GraphQLContext, arguments: CreateWorkflowArguments) async throws -> WorkflowDTO {
        let admin = try context.outboundAdmin()
        return WorkflowDTO(try await admin.createWorkflow(try Self.definition(arguments.input)))
    }

    func updateWorkflow(context: GraphQLContext, arguments: UpdateWorkflowArguments) async throws -> WorkflowDTO {
        let admin = try context.outboundAdmin()
        return WorkflowDTO(
            try await admin.updateWorkflow(
                id: try Self.uuid(arguments.id, field: "id"), try Self.definition(arguments.input)))
    }

    func deleteWorkflow(context: GraphQLContext, arguments: IDArgument) async throws -> Bool {
        let admin = try context.outboundAdmin()
        return try await admin.deleteWorkflow(id: try Self.uuid(arguments.id, field: "id"))
    }

    func workflowExecutions(context: GraphQLContext, arguments: ExecutionsArguments) async throws
        -> [WorkflowExecutionDTO]
    {
        let admin = try context.outboundAdmin()
        return try await admin.workflowExecutions(
            workflowId: try arguments.workflowId.map { try Self.uuid($0, field: "workflowId") },
            limit: try Self.limit(arguments.first)
        ).map(WorkflowExecutionDTO.init)
    }

    // MARK: Templates

    func importTemplates(context: GraphQLContext, arguments: ImportArguments) async throws -> TemplateImportDTO {
        let admin = try context.outboundAdmin()
        return TemplateImportDTO(
            try await admin.importTemplates(yaml: arguments.yaml, dryRun: arguments.dryRun ?? false))
    }

    func exportTemplates(context: GraphQLContext, arguments: ExportArguments) async throws -> String {
        let admin = try context.outboundAdmin()
        let kinds = try (arguments.kinds ?? []).enumerated().map { index, text in
            guard let kind = TemplateKind(rawValue: text) else {
                throw ITOpsError.invalid("kinds[\(index)]: must be one of \(TemplateKind.allowedSpellings)")
            }
            return kind
        }
        return try await admin.exportTemplates(kinds: kinds)
    }

    // MARK: Helpers

    static func definition(_ input: WorkflowInputDTO) throws -> WorkflowDefinition {
        let steps = try input.steps.enumerated().map { index, step in
            guard let type = WorkflowStepType(rawValue: step.type) else {
                throw ITOpsError.invalid(
                    "input.steps[\(index)].type: must be one of \(WorkflowStepType.allowedSpellings)")
            }
            return WorkflowStep(
                type: type, method: step.method?.uppercased(), url: step.url,
                headers: step.headers.map { $0.map { NamedValue(name: $0.name, value: $0.value) } }, body: step.body,
                title: step.title, description: step.description, seconds: step.seconds)
        }
        return WorkflowDefinition(
            name: input.name, description: input.description, enabled: input.enabled ?? true, event: input.event,
            filter: (input.filter ?? []).map { NamedValue(name: $0.field, value: $0.equals) }, steps: steps)
    }
}

struct WebhookDTO: Codable, Sendable {
    let id: String
    let url: String
    let events: [String]
    let enabled: Bool
    let hasSecret: Bool
    let createdAt: String
    let updatedAt: String

    init(_ webhook: Webhook) {
        id = webhook.id.uuidString.lowercased()
        url = webhook.url
        events = webhook.events
        enabled = webhook.enabled
        hasSecret = !webhook.secret.isEmpty
        createdAt = webhook.createdAt.iso8601
        updatedAt = webhook.updatedAt.iso8601
    }
}

struct WebhookDeliveryDTO: Codable, Sendable {
    let id: String
    let webhookId: String
    let event: String
    let status: String
    let httpCode: Int?
    let error: String?
    let durationMs: Int?
    let attempt: Int
    let payload: String
    let createdAt: String
    let nextAttemptAt: String?
    let completedAt: String?

    init(_ delivery: WebhookDelivery) {
        id = delivery.id.uuidString.lowercased()
        webhookId = delivery.webhookId.uuidString.lowercased()
        event = delivery.event
        status = delivery.status.rawValue
        httpCode = delivery.httpCode
        error = delivery.error
        durationMs = delivery.durationMs
        attempt = delivery.attempt
        payload = delivery.body
        createdAt = delivery.createdAt.iso8601
        nextAttemptAt = delivery.status == .pending ? delivery.nextAttemptAt?.iso8601 : nil
        completedAt = delivery.completedAt?.iso8601
    }
}

struct NamedValueDTO: Codable, Sendable {
    let name: String
    let value: String
}

struct ConditionDTO: Codable, Sendable {
    let field: String
    let equals: String
}

struct WorkflowTriggerDTO: Codable, Sendable {
    let event: String
    let filter: [ConditionDTO]
}

struct WorkflowStepDTO: Codable, Sendable {
    let type: String
    let method: String?
    let url: String?
    let headers: [NamedValueDTO]?
    let body: String?
    let title: String?
    let description: String?
    let seconds: Int?

    init(_ step: WorkflowStep) {
        type = step.type.rawValue
        method = step.type == .httpRequest ? (step.method ?? "POST") : nil
        url = step.url
        headers = step.headers?.map { NamedValueDTO(name: $0.name, value: $0.value) }
        body = step.body
        title = step.title
        description = step.description
        seconds = step.seconds
    }
}

struct WorkflowDTO: Codable, Sendable {
    let id: String
    let name: String
    let description: String?
    let enabled: Bool
    let trigger: WorkflowTriggerDTO
    let steps: [WorkflowStepDTO]
    let createdAt: String
    let updatedAt: String

    init(_ workflow: Workflow) {
        id = workflow.id.uuidString.lowercased()
        name = workflow.definition.name
        description = workflow.definition.description
        enabled = workflow.definition.enabled
        trigger = WorkflowTriggerDTO(
            event: workflow.definition.event,
            filter: workflow.definition.filter.map { ConditionDTO(field: $0.name, equals: $0.value) })
        steps = workflow.definition.steps.map(WorkflowStepDTO.init)
        createdAt = workflow.createdAt.iso8601
        updatedAt = workflow.updatedAt.iso8601
    }
}

struct StepResultDTO: Codable, Sendable {
    let index: Int
    let type: String
    let status: String
    let httpCode: Int?
    let error: String?
    let output: String?
    let durationMs: Int?
    let at: String

    init(_ result: StepResult) {
        index = result.index
        type = result.type.rawValue
        status = result.status.rawValue
        httpCode = result.httpCode
        error = result.error
        output = result.output
        durationMs = result.durationMs
        at = result.at.iso8601
    }
}

struct WorkflowExecutionDTO: Codable, Sendable {
    let id: String
    let workflowId: String
    let workflowName: String
    let event: String
    let status: String
    let error: String?
    let steps: [StepResultDTO]
    let createdAt: String
    let resumeAt: String?
    let finishedAt: String?

    init(_ execution: WorkflowExecution) {
        id = execution.id.uuidString.lowercased()
        workflowId = execution.workflowId.uuidString.lowercased()
        workflowName = execution.workflowName
        event = execution.event
        status = execution.status.rawValue
        error = execution.error
        steps = execution.steps.map(StepResultDTO.init)
        createdAt = execution.createdAt.iso8601
        resumeAt = execution.status.isFinal ? nil : execution.resumeAt?.iso8601
        finishedAt = execution.finishedAt?.iso8601
    }
}

struct TemplateChangeDTO: Codable, Sendable {
    let kind: String
    let name: String
    let outcome: String
}

struct TemplateImportDTO: Codable, Sendable {
    let dryRun: Bool
    let changes: [TemplateChangeDTO]
    let created: Int
    let updated: Int
    let unchanged: Int

    init(_ result: TemplateImportResult) {
        dryRun = result.dryRun
        changes = result.changes.map {
            TemplateChangeDTO(kind: $0.kind.rawValue, name: $0.name, outcome: $0.outcome.rawValue)
        }
        created = result.changes.filter { $0.outcome == .created }.count
        updated = result.changes.filter { $0.outcome == .updated }.count
        unchanged = result.changes.filter { $0.outcome == .unchanged }.count
    }
}
