import Foundation

/// A new webhook: `createWebhook(input: { url, events, secret })`.
public struct WebhookInput: Sendable, Equatable {
    public var url: String
    public var events: [String]
    public var secret: String
    public var enabled: Bool
    public init(url: String, events: [String], secret: String, enabled: Bool = true) {
        self.url = url
        self.events = events
        self.secret = secret
        self.enabled = enabled
    }
}

/// Changes to a webhook: absent fields keep their value.
public struct WebhookPatch: Sendable, Equatable {
    public var url: String?
    public var events: [String]?
    public var secret: String?
    public var enabled: Bool?
    public init(url: String? = nil, events: [String]? = nil, secret: String? = nil, enabled: Bool? = nil) {
        self.url = url
        self.events = events
        self.secret = secret
        self.enabled = enabled
    }
}

/// What a template document may hold.
public enum TemplateKind: String, Vocabulary {
    case workflows, serviceCatalog, slaDefinitions, notificationChannels, notificationRules
    public static let vocabularyName = "kind"
}

/// One item an import touched (or, in a dry run, would touch).
public struct TemplateChange: Sendable, Equatable {
    public var kind: TemplateKind
    /// The item's name (`nodeId/name` for catalog services).
    public var name: String
    public var outcome: ImportOutcome
    public init(kind: TemplateKind, name: String, outcome: ImportOutcome) {
        self.kind = kind
        self.name = name
        self.outcome = outcome
    }
}

/// The result of `importTemplates`.
public struct TemplateImportResult: Sendable, Equatable {
    public var dryRun: Bool
    public var changes: [TemplateChange]
    public init(dryRun: Bool, changes: [TemplateChange]) {
        self.dryRun = dryRun
        self.changes = changes
    }
}

/// Webhooks, workflows and templates as the API manages them (admin only; the API checks the role).
///
/// Implemented by the outbound module; GraphQL and REST reach it through the server.
public protocol OutboundAdmin: Sendable {
    func webhooks() async throws -> [Webhook]
    func createWebhook(_ input: WebhookInput) async throws -> Webhook
    func updateWebhook(id: UUID, _ patch: WebhookPatch) async throws -> Webhook
    /// `false` when there was no such webhook.
    func deleteWebhook(id: UUID) async throws -> Bool
    /// Sends a `webhook:test` delivery now (one attempt, no retry) and returns its record.
    func testWebhook(id: UUID) async throws -> WebhookDelivery
    /// Newest first.
    func webhookDeliveries(webhookId: UUID, limit: Int) async throws -> [WebhookDelivery]

    func workflows() async throws -> [Workflow]
    func workflow(id: UUID) async throws -> Workflow?
    func createWorkflow(_ definition: WorkflowDefinition) async throws -> Workflow
    func updateWorkflow(id: UUID, _ definition: WorkflowDefinition) async throws -> Workflow
    func deleteWorkflow(id: UUID) async throws -> Bool
    /// Newest first, of one workflow or of all.
    func workflowExecutions(workflowId: UUID?, limit: Int) async throws -> [WorkflowExecution]

    /// The YAML document holding `kinds` (every kind when empty).
    func exportTemplates(kinds: [TemplateKind]) async throws -> String
    /// Validates the whole document, then (unless `dryRun`) writes it in one transaction.
    func importTemplates(yaml: String, dryRun: Bool) async throws -> TemplateImportResult
}
