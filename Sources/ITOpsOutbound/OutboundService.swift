import Foundation
import ITOpsCore
import Logging
import Synchronization

/// Webhooks and workflows: the admin operations, the queue of deliveries and executions, and the worker
/// that sends them. Every HTTP call goes through ``OutboundHTTPClient`` and so through the SSRF guard.
///
/// Delivery is at least once: a delivery or execution is claimed with a lease (`lease_until`) inside a store
/// write — writes are serialised across instances, so exactly one instance claims each row — and released
/// with its outcome. An instance that dies while holding a lease leaves the row to another after the lease.
public final class OutboundService: OutboundAdmin {
    /// Retry, lease and polling settings.
    public struct Settings: Sendable {
        /// Attempts per delivery, the first included.
        public var maxAttempts = 6
        /// The wait before retry n is `retryBase × 2^(n-1)`: 10 s, 20 s, 40 s, 80 s, 160 s by default.
        public var retryBase: TimeInterval = 10
        /// How long a claimed row stays with its instance (longer than any call).
        public var lease: TimeInterval = 120
        /// How often the worker looks for due work besides being woken by new events.
        public var pollInterval: Duration = .seconds(1)
        /// Rows claimed at once.
        public var batch = 16
        /// Told every outcome: `("webhook", status)` after each delivery attempt (`Pending` means a retry is
        /// scheduled) and `("workflow", status)` when an execution finishes. The server counts them in `/metrics`.
        public var onOutcome: (@Sendable (_ kind: String, _ status: DeliveryStatus) -> Void)?
        /// The console's public address (`ITOPS_PUBLIC_URL`, no trailing slash): notifications link to its
        /// pages. `nil` sends no links.
        public var publicURL: String?
        /// The SLA line of a notification about a service or SLA group (its figure this month and the error
        /// budget left), `nil` when it has none. The server reads it from the SLA engine.
        public var slaFigure: (@Sendable (_ serviceId: UUID?, _ slaGroup: String?) async -> String?)?

        /// The defaults.
        public init() {}

        /// When attempt `attempt` (from 1) failed, how long to wait before the next.
        public func backoff(after attempt: Int) -> TimeInterval {
            retryBase * pow(2, Double(max(0, attempt - 1)))
        }
    }

    let store: any Store
    let events: any EventBus
    let clock: any WallClock
    /// The guarded client every call goes through.
    public let client: OutboundHTTPClient
    let slaCatalog: any SLADefinitionCatalog
    /// Where `CREATE_TICKET` steps open tickets; `nil` leaves them a note only.
    let tickets: TicketDesk?
    let logger: Logger
    let settings: Settings
    private let wake: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    private let listening = Atomic(false)
    /// The webhooks and workflows as last read, so that an event nobody subscribed to costs no read
    /// and no encoding (a status flip publishes one or two events). Refreshed after
    /// `subscriptionsTTL`; this instance's own changes drop it at once. Another instance's change
    /// is seen within the TTL, and that instance enqueues the event itself meanwhile (every
    /// instance sees every event; the event key makes the second insert a no-op).
    private let subscriptionCache = Mutex<(read: ContinuousClock.Instant, hooks: [Webhook], flows: [Workflow])?>(nil)
    static let subscriptionsTTL: Duration = .seconds(1)
    /// The notification rules and channels as last read, refreshed like ``subscriptionCache``.
    let routingCache = Mutex<(read: ContinuousClock.Instant, rules: [NotificationRule], channels: [NotificationChannel])?>(nil)
    /// The SMTP client of email channels: the same guard as ``client``.
    let smtp: SMTPClient

    /// Whether ``run()`` listens to the event bus (events published before that are not enqueued here).
    public var isListening: Bool { listening.load(ordering: .acquiring) }

    /// The service.
    public init(
        store: any Store, events: any EventBus, clock: any WallClock, client: OutboundHTTPClient,
        slaCatalog: any SLADefinitionCatalog, tickets: TicketDesk? = nil, logger: Logger,
        settings: Settings = Settings()
    ) {
        self.tickets = tickets
        self.store = store
        self.events = events
        self.clock = clock
        self.client = client
        self.slaCatalog = slaCatalog
        self.logger = logger
        self.settings = settings
        smtp = SMTPClient(guardian: client.guardian, timeout: max(client.settings.timeout, .seconds(10)))
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wake = stream
        wakeContinuation = continuation
    }

    // MARK: Webhooks

    public func webhooks() async throws -> [Webhook] { try await store.reader.outboundReader().webhooks() }

    public func createWebhook(_ input: WebhookInput) async throws -> Webhook {
        let url = try checkURL(input.url, field: "input.url")
        let events = try Self.checkEvents(input.events, field: "input.events")
        let secret = try Self.checkSecret(input.secret, field: "input.secret")
        let now = clock.now()
        let webhook = Webhook(
            url: url, events: events, secret: secret, enabled: input.enabled, createdAt: now, updatedAt: now)
        try await store.write { try await $0.outboundWriter().insert(webhook) }
        subscriptionsChanged()
        return webhook
    }

    public func updateWebhook(id: UUID, _ patch: WebhookPatch) async throws -> Webhook {
        let url = try patch.url.map { try checkURL($0, field: "input.url") }
        let events = try patch.events.map { try Self.checkEvents($0, field: "input.events") }
        let secret = try patch.secret.map { try Self.checkSecret($0, field: "input.secret") }
        let now = clock.now()
        defer { subscriptionsChanged() }
        return try await store.write { writer in
            let records = try writer.outboundWriter()
            guard var webhook = try await records.webhook(id: id) else { throw ITOpsError.notFound("no webhook \(id)") }
            webhook.url = url ?? webhook.url
            webhook.events = events ?? webhook.events
            webhook.secret = secret ?? webhook.secret
            webhook.enabled = patch.enabled ?? webhook.enabled
            webhook.updatedAt = now
            try await records.update(webhook)
            return webhook
        }
    }

    public func deleteWebhook(id: UUID) async throws -> Bool {
        defer { subscriptionsChanged() }
        return try await store.write { writer in
            let records = try writer.outboundWriter()
            guard try await records.webhook(id: id) != nil else { return false }
            try await records.deleteWebhook(id: id)
            return true
        }
    }

    public func webhookDeliveries(webhookId: UUID, limit: Int) async throws -> [WebhookDelivery] {
        let records = try store.reader.outboundReader()
        guard try await records.webhook(id: webhookId) != nil else {
            throw ITOpsError.notFound("no webhook \(webhookId)")
        }
        return try await records.webhookDeliveries(webhookId: webhookId, limit: limit)
    }

    public func testWebhook(id: UUID) async throws -> WebhookDelivery {
        guard let webhook = try await store.reader.outboundReader().webhook(id: id) else {
            throw ITOpsError.notFound("no webhook \(id)")
        }
        let now = clock.now()
        let event = OutboundEvent.test(webhookId: id, at: now)
        let deliveryId = UUID.random()
        // Leased from the start: the worker leaves it alone while this call sends it.
        let delivery = WebhookDelivery(
            id: deliveryId, webhookId: id, event: event.name, eventKey: event.key,
            body: event.body(deliveryId: deliveryId, createdAt: now), createdAt: now, nextAttemptAt: now,
            leaseUntil: now.addingTimeInterval(settings.lease))
        try await store.write { try await $0.outboundWriter().insertIfAbsent(delivery) }
        let done = await attempt(delivery, webhook: webhook, retry: false)
        try await store.write { try await $0.outboundWriter().update(done) }
        return done
    }

    func checkURL(_ text: String, field: String) throws -> String {
        let url = text.trimmingCharacters(in: .whitespaces)
        guard !url.isEmpty, url.count <= 2048 else { throw ITOpsError.invalid("\(field): must be 1–2048 characters") }
        do {
            _ = try client.guardian.check(url: url)
        } catch {
            // A blocked address is accepted here and recorded as ExecFailed at delivery (the allowlist may
            // change); what can never be called is refused now.
            if error.kind != .blockedAddress { throw ITOpsError.invalid("\(field): \(error.reason)") }
        }
        return url
    }

    static func checkEvents(_ events: [String], field: String) throws -> [String] {
        guard !events.isEmpty else { throw ITOpsError.invalid("\(field): name at least one event") }
        var seen = Set<String>()
        for (index, event) in events.enumerated() {
            guard OutboundEvents.names.contains(event) else {
                throw ITOpsError.invalid(
                    "\(field)[\(index)]: '\(event.prefix(64))' is not one of \(OutboundEvents.names.joined(separator: ", "))"
                )
            }
            seen.insert(event)
        }
        return OutboundEvents.names.filter(seen.contains)
    }

    static func checkSecret(_ secret: String, field: String) throws -> String {
        guard (16...256).contains(secret.count) else { throw ITOpsError.invalid("\(field): must be 16–256 characters") }
        return secret
    }

    // MARK: Workflows

    public func workflows() async throws -> [Workflow] { try await store.reader.outboundReader().workflows() }

    public func workflow(id: UUID) async throws -> Workflow? {
        try await store.reader.outboundReader().workflow(id: id)
    }

    public func createWorkflow(_ definition: WorkflowDefinition) async throws -> Workflow {
        try Self.validate(definition, path: "input")
        let now = clock.now()
        let workflow = Workflow(definition: definition, createdAt: now, updatedAt: now)
        try await store.write { writer in
            let records = try writer.outboundWriter()
            guard try await records.workflow(name: definition.name) == nil else {
                throw ITOpsError(.conflict, "input.name: a workflow named '\(definition.name)' exists")
            }
            try await records.insert(workflow)
        }
        subscriptionsChanged()
        return workflow
    }

    public func updateWorkflow(id: UUID, _ definition: WorkflowDefinition) async throws -> Workflow {
        try Self.validate(definition, path: "input")
        let now = clock.now()
        defer { subscriptionsChanged() }
        return try await store.write { writer in
            let records = try writer.outboundWriter()
            guard var workflow = try await records.workflow(id: id) else {
                throw ITOpsError.notFound("no workflow \(id)")
            }
            if let other = try await records.workflow(name: definition.name), other.id != id {
                throw ITOpsError(.conflict, "input.name: a workflow named '\(definition.name)' exists")
            }
            workflow.definition = definition
            workflow.updatedAt = now
            try await records.update(workflow)
            return workflow
        }
    }

    public func deleteWorkflow(id: UUID) async throws -> Bool {
        defer { subscriptionsChanged() }
        return try await store.write { writer in
            let records = try writer.outboundWriter()
            guard try await records.workflow(id: id) != nil else { return false }
            try await records.deleteWorkflow(id: id)
            return true
        }
    }

    public func workflowExecutions(workflowId: UUID?, limit: Int) async throws -> [WorkflowExecution] {
        try await store.reader.outboundReader().workflowExecutions(workflowId: workflowId, limit: limit)
    }

    static func validate(_ definition: WorkflowDefinition, path: String) throws {
        let problems = WorkflowRules.problems(definition, path: path)
        guard problems.isEmpty else { throw ITOpsError.invalid(problems.joined(separator: "; ")) }
    }

    // MARK: The queue

    /// Records a delivery for every enabled webhook subscribed to `event` and an execution for every
    /// workflow it triggers, then wakes the worker. Every instance may call it for the same event: the
    /// event key makes the second insert a no-op.
    public func enqueue(_ domainEvent: DomainEvent) async throws {
        try await routeNotifications(domainEvent)
        let name = domainEvent.name
        let subscriptions = try await subscriptions()
        let hooks = subscriptions.hooks.filter { $0.enabled && $0.events.contains(name) }
        let candidates = subscriptions.flows.filter { $0.definition.enabled && $0.definition.event == name }
        // Nobody listens: no payload to build.
        guard !hooks.isEmpty || !candidates.isEmpty else { return }
        let event = OutboundEvent(domainEvent)
        let fields = JSONText.fields(of: event.data)
        let flows = candidates.filter { WorkflowRules.matches($0.definition, event: event.name, fields: fields) }
        guard !hooks.isEmpty || !flows.isEmpty else { return }
        let now = clock.now()
        try await store.write { writer in
            let records = try writer.outboundWriter()
            for hook in hooks {
                let id = UUID.random()
                try await records.insertIfAbsent(
                    WebhookDelivery(
                        id: id, webhookId: hook.id, event: event.name, eventKey: event.key,
                        body: event.body(deliveryId: id, createdAt: now), createdAt: now, nextAttemptAt: now))
            }
            for flow in flows {
                try await records.insertIfAbsent(
                    WorkflowExecution(
                        workflowId: flow.id, workflowName: flow.definition.name, event: event.name,
                        eventKey: event.key, payload: event.data, createdAt: now, resumeAt: now))
            }
        }
        wakeContinuation.yield()
    }

    /// Every webhook and workflow, from the cache while it is fresh.
    private func subscriptions() async throws -> (hooks: [Webhook], flows: [Workflow]) {
        let now = ContinuousClock.now
        if let cached = subscriptionCache.withLock({ $0 }), now - cached.read < Self.subscriptionsTTL {
            return (cached.hooks, cached.flows)
        }
        let records = try store.reader.outboundReader()
        let hooks = try await records.webhooks()
        let flows = try await records.workflows()
        subscriptionCache.withLock { $0 = (now, hooks, flows) }
        return (hooks, flows)
    }

    /// Wakes the worker (new work is due).
    func wakeWorker() { wakeContinuation.yield() }

    /// Drops the cached webhooks and workflows: called after this instance changed them.
    func subscriptionsChanged() {
        subscriptionCache.withLock { $0 = nil }
        routingCache.withLock { $0 = nil }
    }

    /// Consumes the event bus and works the queue until cancelled.
    public func run() async {
        let stream = events.subscribe(bufferSize: 4096)
        listening.store(true, ordering: .releasing)
        defer { listening.store(false, ordering: .releasing) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in stream {
                    do {
                        try await self.enqueue(event)
                    } catch {
                        self.logger.error(
                            "could not enqueue outbound work",
                            metadata: ["event": "\(event.name)", "error": "\(error)"])
                    }
                }
            }
            group.addTask {
                for await _ in self.wake {
                    while await self.workOnce() > 0 {}
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: self.settings.pollInterval)
                    self.wakeContinuation.yield()
                }
                self.wakeContinuation.finish()
            }
            await group.waitForAll()
        }
    }

    /// Delivers the due webhook deliveries and advances the due executions once; returns how many rows it
    /// worked on.
    @discardableResult
    public func workOnce() async -> Int {
        do {
            try await flushHeldNotifications()
            let deliveries = try await claimDeliveries()
            let executions = try await claimExecutions()
            let notifications = try await claimNotificationDeliveries()
            await withTaskGroup(of: Void.self) { group in
                for delivery in deliveries { group.addTask { await self.deliver(delivery) } }
                for execution in executions { group.addTask { await self.advance(execution) } }
                for notification in notifications { group.addTask { await self.deliver(notification) } }
            }
            return deliveries.count + executions.count + notifications.count
        } catch {
            logger.error("outbound queue failed", metadata: ["error": "\(error)"])
            return 0
        }
    }

    private func claimDeliveries() async throws -> [WebhookDelivery] {
        let now = clock.now()
        let lease = now.addingTimeInterval(settings.lease)
        let batch = settings.batch
        return try await store.write { writer in
            let records = try writer.outboundWriter()
            var claimed: [WebhookDelivery] = []
            for var delivery in try await records.dueWebhookDeliveries(now: now, limit: batch) {
                delivery.leaseUntil = lease
                try await records.update(delivery)
                claimed.append(delivery)
            }
            return claimed
        }
    }

    private func claimExecutions() async throws -> [WorkflowExecution] {
        let now = clock.now()
        let lease = now.addingTimeInterval(settings.lease)
        let batch = settings.batch
        return try await store.write { writer in
            let records = try writer.outboundWriter()
            var claimed: [WorkflowExecution] = []
            for var execution in try await records.dueWorkflowExecutions(now: now, limit: batch) {
                execution.leaseUntil = lease
                try await records.update(execution)
                claimed.append(execution)
            }
            return claimed
        }
    }

    private func deliver(_ delivery: WebhookDelivery) async {
        do {
            var done: WebhookDelivery
            if let webhook = try await store.reader.outboundReader().webhook(id: delivery.webhookId), webhook.enabled {
                done = await attempt(delivery, webhook: webhook, retry: true)
            } else {
                done = delivery
                done.status = .failed
                done.error = "the webhook was disabled before delivery"
                done.completedAt = clock.now()
                done.leaseUntil = nil
            }
            let outcome = done
            try await store.write { try await $0.outboundWriter().update(outcome) }
        } catch {
            logger.error(
                "could not record a webhook delivery", metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
        }
    }

    /// One attempt of `delivery`: signed, sent through the guard, its outcome recorded in the returned value.
    func attempt(_ delivery: WebhookDelivery, webhook: Webhook, retry: Bool) async -> WebhookDelivery {
        var done = delivery
        done.attempt += 1
        let body = Array(delivery.body.utf8)
        let request = OutboundRequest(
            method: "POST", url: webhook.url,
            headers: [
                OutboundHeader("Content-Type", "application/json"),
                OutboundHeader("X-ITOps-Event", delivery.event),
                OutboundHeader("X-ITOps-Delivery", delivery.id.stored),
                OutboundHeader("X-ITOps-Attempt", "\(done.attempt)"),
                OutboundHeader("X-ITOps-Signature", WebhookSignature.sign(body, secret: webhook.secret)),
            ], body: body)
        let started = ContinuousClock.now
        var transient = false
        do {
            let response = try await client.send(request)
            done.httpCode = response.status
            if (200..<300).contains(response.status) {
                done.status = .success
                done.error = nil
            } else {
                done.status = .failed
                done.error = "HTTP \(response.status)"
                transient = response.status >= 500
            }
        } catch {
            done.httpCode = nil
            done.error = error.description
            if case .refused = error {
                done.status = .execFailed
            } else {
                done.status = .failed
                transient = true
            }
        }
        done.durationMs = Self.milliseconds(ContinuousClock.now - started)
        conclude(&done, transient: transient, retry: retry)
        settings.onOutcome?("webhook", done.status)
        if done.status != .success {
            logger.notice(
                "webhook delivery \(done.status.rawValue)",
                metadata: ["webhook": "\(webhook.id)", "attempt": "\(done.attempt)", "error": "\(done.error ?? "")"])
        }
        return done
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// A queued delivery that is retried with backoff: webhook and notification deliveries share the schedule.
protocol RetriedDelivery {
    var status: DeliveryStatus { get set }
    var attempt: Int { get }
    var nextAttemptAt: Date? { get set }
    var leaseUntil: Date? { get set }
    var completedAt: Date? { get set }
}

extension WebhookDelivery: RetriedDelivery {}
extension NotificationDelivery: RetriedDelivery {}

extension OutboundService {
    /// After an attempt: releases the lease and either schedules the next attempt (`Pending`, after the
    /// backoff) when trying again may help and attempts are left, or makes the outcome final.
    func conclude(_ done: inout some RetriedDelivery, transient: Bool, retry: Bool) {
        let now = clock.now()
        done.leaseUntil = nil
        if transient && retry && done.attempt < settings.maxAttempts {
            done.status = .pending
            done.nextAttemptAt = now.addingTimeInterval(settings.backoff(after: done.attempt))
        } else {
            done.nextAttemptAt = nil
            done.completedAt = now
        }
    }
}
