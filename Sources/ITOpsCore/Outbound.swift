import Foundation

// Outbound HTTP on an admin's behalf: webhooks, workflows and the records they leave (issue 8).

/// The outcome of a webhook delivery or a workflow execution, spelled as the reference's history shows it.
public enum DeliveryStatus: String, Vocabulary {
    /// Waiting for its first attempt or for a retry.
    case pending = "Pending"
    /// Running (a workflow between steps, or waiting out a `DELAY`).
    case running = "Running"
    /// Answered 2xx / every step succeeded.
    case success = "Success"
    /// The target answered with an error, or kept failing until the retries ran out.
    case failed = "Failed"
    /// The SSRF guard refused the URL: no socket was opened.
    case execFailed = "ExecFailed"
    public static let vocabularyName = "status"

    /// Whether nothing more will happen.
    public var isFinal: Bool { self == .success || self == .failed || self == .execFailed }
}

/// The event names a webhook or a workflow may subscribe to: the reference's list, plus `webhook:test`
/// which only `testWebhook` sends.
public enum OutboundEvents {
    /// Every subscribable event name of the reference.
    public static let names = [
        "ticket:created", "ticket:updated", "ticket:deleted", "sla:alert", "sla:incident", "license:updated",
        "service:status_changed",
    ]
    /// The event a test delivery carries.
    public static let test = "webhook:test"
}

/// A webhook: where to POST which events, and the secret that signs them. The secret is never read back
/// through the API (only whether one is set).
public struct Webhook: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var url: String
    public var events: [String]
    public var secret: String
    public var enabled: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID = UUID.random(), url: String, events: [String], secret: String, enabled: Bool, createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.url = url
        self.events = events
        self.secret = secret
        self.enabled = enabled
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One event sent (or to be sent) to one webhook, with the outcome of its latest attempt.
public struct WebhookDelivery: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var webhookId: UUID
    public var event: String
    /// Identifies the event across instances: each instance that sees it enqueues the same key, once.
    public var eventKey: String
    /// The exact JSON body sent, fixed when enqueued so every retry carries the same signature.
    public var body: String
    public var status: DeliveryStatus
    /// Attempts made so far.
    public var attempt: Int
    public var httpCode: Int?
    public var error: String?
    public var durationMs: Int?
    public var createdAt: Date
    /// When the next attempt is due (pending only).
    public var nextAttemptAt: Date?
    /// An instance working on it holds it until then.
    public var leaseUntil: Date?
    public var completedAt: Date?

    public init(
        id: UUID = UUID.random(), webhookId: UUID, event: String, eventKey: String, body: String,
        status: DeliveryStatus = .pending, attempt: Int = 0, httpCode: Int? = nil, error: String? = nil,
        durationMs: Int? = nil, createdAt: Date, nextAttemptAt: Date? = nil, leaseUntil: Date? = nil,
        completedAt: Date? = nil
    ) {
        self.id = id
        self.webhookId = webhookId
        self.event = event
        self.eventKey = eventKey
        self.body = body
        self.status = status
        self.attempt = attempt
        self.httpCode = httpCode
        self.error = error
        self.durationMs = durationMs
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.leaseUntil = leaseUntil
        self.completedAt = completedAt
    }
}

/// What a workflow step does.
public enum WorkflowStepType: String, Vocabulary {
    case httpRequest = "HTTP_REQUEST"
    case createTicket = "CREATE_TICKET"
    case delay = "DELAY"
    public static let vocabularyName = "type"
}

/// A name and a value (HTTP headers of a step).
public struct NamedValue: Sendable, Equatable, Codable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// One step of a workflow. Which fields apply depends on `type`: `HTTP_REQUEST` uses method, url, headers
/// and body (templates), `CREATE_TICKET` title and description (templates), `DELAY` seconds.
public struct WorkflowStep: Sendable, Equatable, Codable {
    public var type: WorkflowStepType
    public var method: String?
    public var url: String?
    public var headers: [NamedValue]?
    public var body: String?
    public var title: String?
    public var description: String?
    public var seconds: Int?

    public init(
        type: WorkflowStepType, method: String? = nil, url: String? = nil, headers: [NamedValue]? = nil,
        body: String? = nil, title: String? = nil, description: String? = nil, seconds: Int? = nil
    ) {
        self.type = type
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.title = title
        self.description = description
        self.seconds = seconds
    }
}

/// A workflow as an admin writes it (GraphQL input, a template).
public struct WorkflowDefinition: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var enabled: Bool
    /// The event name that starts it.
    public var event: String
    /// Every entry must hold: the event's field `name` equals `value` (as text).
    public var filter: [NamedValue]
    public var steps: [WorkflowStep]

    public init(
        name: String, description: String? = nil, enabled: Bool = true, event: String, filter: [NamedValue] = [],
        steps: [WorkflowStep]
    ) {
        self.name = name
        self.description = description
        self.enabled = enabled
        self.event = event
        self.filter = filter
        self.steps = steps
    }
}

/// A stored workflow.
public struct Workflow: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var definition: WorkflowDefinition
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID = UUID.random(), definition: WorkflowDefinition, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.definition = definition
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What one step of an execution did.
public struct StepResult: Sendable, Equatable, Codable {
    public var index: Int
    public var type: WorkflowStepType
    public var status: DeliveryStatus
    public var httpCode: Int?
    public var error: String?
    /// A short description of what happened (the ticket that would be created, the delay).
    public var output: String?
    public var durationMs: Int?
    public var at: Date

    public init(
        index: Int, type: WorkflowStepType, status: DeliveryStatus, httpCode: Int? = nil, error: String? = nil,
        output: String? = nil, durationMs: Int? = nil, at: Date
    ) {
        self.index = index
        self.type = type
        self.status = status
        self.httpCode = httpCode
        self.error = error
        self.output = output
        self.durationMs = durationMs
        self.at = at
    }
}

/// One run of a workflow for one event.
public struct WorkflowExecution: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var workflowId: UUID
    public var workflowName: String
    public var event: String
    public var eventKey: String
    /// The event's fields as JSON, the input of the step templates.
    public var payload: String
    public var status: DeliveryStatus
    /// The index of the next step to run.
    public var nextStep: Int
    public var steps: [StepResult]
    public var error: String?
    public var createdAt: Date
    /// When the next step is due (after a `DELAY`).
    public var resumeAt: Date?
    public var leaseUntil: Date?
    public var finishedAt: Date?

    public init(
        id: UUID = UUID.random(), workflowId: UUID, workflowName: String, event: String, eventKey: String, payload: String,
        status: DeliveryStatus = .pending, nextStep: Int = 0, steps: [StepResult] = [], error: String? = nil,
        createdAt: Date, resumeAt: Date? = nil, leaseUntil: Date? = nil, finishedAt: Date? = nil
    ) {
        self.id = id
        self.workflowId = workflowId
        self.workflowName = workflowName
        self.event = event
        self.eventKey = eventKey
        self.payload = payload
        self.status = status
        self.nextStep = nextStep
        self.steps = steps
        self.error = error
        self.createdAt = createdAt
        self.resumeAt = resumeAt
        self.leaseUntil = leaseUntil
        self.finishedAt = finishedAt
    }
}

/// Catalog fields the inventory does not keep itself: who owns a service and where its runbook is.
public struct CatalogExtra: Sendable, Equatable {
    public var serviceId: UUID
    public var owner: String?
    public var runbookUrl: String?
    public init(serviceId: UUID, owner: String?, runbookUrl: String?) {
        self.serviceId = serviceId
        self.owner = owner
        self.runbookUrl = runbookUrl
    }
}

// MARK: - Storage ports

/// Read access to the outbound records. The SQL store's reader and writer implement it; reach it with
/// ``StoreReader/outboundReader()``.
public protocol OutboundReader: Sendable {
    func webhooks() async throws -> [Webhook]
    func webhook(id: UUID) async throws -> Webhook?
    /// Newest first, at most `limit`.
    func webhookDeliveries(webhookId: UUID, limit: Int) async throws -> [WebhookDelivery]
    func webhookDelivery(id: UUID) async throws -> WebhookDelivery?
    /// Pending deliveries due at `now` that no instance holds, oldest due first.
    func dueWebhookDeliveries(now: Date, limit: Int) async throws -> [WebhookDelivery]
    /// By name.
    func workflows() async throws -> [Workflow]
    func workflow(id: UUID) async throws -> Workflow?
    func workflow(name: String) async throws -> Workflow?
    /// Newest first, at most `limit`, of one workflow or of all.
    func workflowExecutions(workflowId: UUID?, limit: Int) async throws -> [WorkflowExecution]
    func workflowExecution(id: UUID) async throws -> WorkflowExecution?
    /// Unfinished executions due at `now` that no instance holds.
    func dueWorkflowExecutions(now: Date, limit: Int) async throws -> [WorkflowExecution]
    /// Owner and runbook of every service that has them.
    func catalogExtras() async throws -> [CatalogExtra]
}

/// Write access to the outbound records, inside a store transaction: ``StoreWriter/outboundWriter()``.
public protocol OutboundWriter: OutboundReader {
    func insert(_ webhook: Webhook) async throws
    func update(_ webhook: Webhook) async throws
    /// Deletes the webhook and its delivery history.
    func deleteWebhook(id: UUID) async throws
    /// Inserts unless a delivery of the same webhook and event key exists (another instance enqueued it).
    func insertIfAbsent(_ delivery: WebhookDelivery) async throws
    func update(_ delivery: WebhookDelivery) async throws
    func insert(_ workflow: Workflow) async throws
    func update(_ workflow: Workflow) async throws
    /// Deletes the workflow and its executions.
    func deleteWorkflow(id: UUID) async throws
    /// Inserts unless an execution of the same workflow and event key exists.
    func insertIfAbsent(_ execution: WorkflowExecution) async throws
    func update(_ execution: WorkflowExecution) async throws
    func save(_ extra: CatalogExtra) async throws
}

extension StoreReader {
    /// The outbound records of this store.
    ///
    /// A cast rather than requirements on `StoreReader`, so the store protocols (and every fake of them)
    /// stay as they are; the SQL store conforms, a store that does not answers a clear error.
    public func outboundReader() throws -> any OutboundReader {
        guard let records = self as? any OutboundReader else {
            throw ITOpsError(.internal, "this store keeps no webhooks or workflows")
        }
        return records
    }
}

extension StoreWriter {
    /// The outbound records, inside this transaction.
    public func outboundWriter() throws -> any OutboundWriter {
        guard let records = self as? any OutboundWriter else {
            throw ITOpsError(.internal, "this store keeps no webhooks or workflows")
        }
        return records
    }
}
