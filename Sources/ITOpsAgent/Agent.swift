import AsyncHTTPClient
import Foundation
import ITOpsCore
import Logging
import ServiceLifecycle

/// The agent: runs the checks, watches Kubernetes when asked, registers services, syncs statuses every
/// `syncInterval` (and at once when one changes), heartbeats in between, and sends everything through
/// the durable outbox. Runs until cancelled or a graceful shutdown.
public final class Agent: ServiceLifecycle.Service, Sendable {
    /// The settings it runs with.
    public let config: AgentConfig
    /// Its counters and gauges (served on `/metrics`).
    public let metrics: AgentMetrics
    /// The durable outbox every report goes through.
    public let outbox: Outbox
    let client: ITOpsClient
    let runner: CheckRunner
    let state: AgentState
    let logger: Logger
    let http: HTTPClient

    /// Builds an agent; opens its buffer directory.
    public init(config: AgentConfig, http: HTTPClient, logger: Logger, metrics: AgentMetrics = AgentMetrics()) throws {
        self.config = config
        self.http = http
        self.logger = logger
        self.metrics = metrics
        client = ITOpsClient(http: http, server: config.server)
        runner = CheckRunner(http: http)
        state = AgentState(catalog: AgentCatalog(slaGroups: config.slaGroups, services: config.services))
        let buffer = try ReportBuffer(
            directory: config.buffer.directory, maxBytes: config.buffer.maxBytes, maxEntries: config.buffer.maxEntries)
        outbox = Outbox(buffer: buffer, client: client, settings: config.buffer, metrics: metrics, logger: logger)
        metrics.set("itops_agent_info", [("version", AgentVersion.current), ("mode", config.mode.rawValue)], 1)
    }

    /// Runs every loop until a graceful shutdown (SIGTERM) or cancellation.
    public func run() async throws {
        logger.info(
            "itops-agent started",
            metadata: [
                "nodeId": "\(config.nodeId)", "mode": "\(config.mode.rawValue)", "server": "\(config.server.url)",
                "services": "\(config.services.count)", "buffered": "\(outbox.buffer.count)",
            ])
        // A graceful shutdown (SIGTERM) cancels every loop; what is buffered stays on disk for the next start.
        await cancelWhenGracefulShutdown { await self.runLoops() }
        logger.info("itops-agent stopped", metadata: ["buffered": "\(outbox.buffer.count)"])
    }

    /// Every loop of the agent, until cancelled.
    public func runLoops() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.outbox.run() }
            group.addTask { await self.syncLoop() }
            group.addTask { await self.heartbeatLoop() }
            group.addTask { await self.checkLoops() }
            if config.mode == .kubernetes, let kube = config.kubernetes {
                group.addTask { await self.watchKubernetes(kube) }
            }
        }
    }

    // MARK: Checks

    /// One loop per check of the current catalogue; restarted when the catalogue changes.
    func checkLoops() async {
        var catalog = await state.catalog
        while !Task.isCancelled {
            let current = catalog
            await registerAll(current)
            let loops = Task {
                await withDiscardingTaskGroup { group in
                    for service in current.services {
                        for (index, check) in service.checks.enumerated() {
                            group.addTask { await self.checkLoop(service: service, index: index, check: check) }
                        }
                    }
                }
            }
            // Wait for the catalogue to change (Kubernetes ConfigMap) or for cancellation.
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                let now = await state.catalog
                if now != catalog {
                    catalog = now
                    break
                }
            }
            loops.cancel()
            await loops.value
        }
    }

    func checkLoop(service: AgentConfig.Service, index: Int, check: Check) async {
        try? await Task.sleep(for: Self.jitter(check.jitter))
        while !Task.isCancelled {
            let output = await runner.run(check)
            await handle(output, service: service, index: index, check: check)
            try? await Task.sleep(for: check.interval + Self.jitter(check.jitter))
        }
    }

    static func jitter(_ limit: Duration) -> Duration {
        limit > .zero ? .nanoseconds(Int64.random(in: 0...limit.nanoseconds)) : .zero
    }

    func handle(_ output: CheckOutput, service: AgentConfig.Service, index: Int, check: Check) async {
        let now = Date()
        switch output {
        case .status(let status, let message):
            metrics.increment("itops_agent_checks_total", [("type", check.typeName), ("status", status.rawValue)])
            await state.record(service: service.name, check: index, status: status, message: message)
        case .storage(let allocated, let used):
            guard case .disk(let path, let storageType) = check.kind else { return }
            // The server's storage thresholds: under 10 % free is critical, which the service shows as DEGRADED.
            let free = Int((100 * Double(allocated - used) / Double(allocated)).rounded())
            let status: ServiceStatus = free < 10 ? .degraded : .operational
            metrics.increment("itops_agent_checks_total", [("type", check.typeName), ("status", status.rawValue)])
            await state.record(service: service.name, check: index, status: status, message: "\(path): \(free) % free")
            let body = Reports.Storage(
                service: service.name, nodeId: config.nodeId, allocatedBytes: allocated, usedBytes: used,
                storageType: storageType, mountPath: path, observedAt: nil)
            submit("storage/report", key: "storage:\(service.name):\(path)", body: body, observedAt: now) {
                $0.observedAt = $1
            }
        case .backupFile(let finishedAt, let size, let path):
            metrics.increment("itops_agent_checks_total", [("type", check.typeName), ("status", "OK")])
            guard await state.isNewBackup("\(service.name)#\(index)", finishedAt: finishedAt) else { return }
            // Older than the server's late-data horizon (24 h by default): the server would refuse it, and
            // the service is overdue by then anyway, which the server shows by itself.
            guard now.timeIntervalSince(finishedAt) < 23 * 3600 else {
                logger.info("newest backup file is older than 23 h; not reported", metadata: ["path": "\(path)"])
                return
            }
            let body = Reports.Backup(
                service: service.name, nodeId: config.nodeId, status: .success, sizeBytes: size,
                message: "backup file \(path)", observedAt: nil)
            submit("backup/report", key: "backup:\(service.name):\(path)", body: body, observedAt: finishedAt) {
                $0.observedAt = $1
            }
        case .noBackupFile:
            metrics.increment("itops_agent_checks_total", [("type", check.typeName), ("status", "NONE")])
        }
    }

    /// Buffers a report: its fingerprint is `same` (by default the body without `observedAt`), the body
    /// carries `observedAt`.
    func submit<Body: Encodable>(
        _ path: String, key: String, body: Body, same: Body? = nil, observedAt: Date,
        stamp: (inout Body, String) -> Void
    ) {
        do {
            let fingerprint = try Reports.encode(same ?? body)
            var stamped = body
            stamp(&stamped, Reports.timestamp(observedAt))
            outbox.submit(
                PendingReport(
                    path: path, key: key, fingerprint: String(decoding: fingerprint, as: UTF8.self),
                    observedAt: observedAt, body: try Reports.encode(stamped)))
        } catch {
            logger.error("report not encoded", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    // MARK: Registration, sync, heartbeat

    func registerAll(_ catalog: AgentCatalog) async {
        for service in catalog.services {
            let backup =
                service.backupExpected == nil && service.backupMaxAgeDays == nil
                ? nil
                : Reports.Register.Operations(
                    backup: .init(expected: service.backupExpected, maxAgeDays: service.backupMaxAgeDays))
            let body = Reports.Register(
                name: service.name, displayName: service.displayName, nodeId: config.nodeId,
                criticality: service.criticality, namespace: service.namespace, serviceType: service.serviceType,
                slaGroup: service.slaGroup, tags: service.tags.isEmpty ? nil : service.tags, operations: backup)
            guard let data = try? Reports.encode(body), await state.needsRegistering(service.name, body: data) else {
                continue
            }
            outbox.submit(
                PendingReport(
                    path: "operator/register", key: "register:\(service.name)",
                    fingerprint: String(decoding: data, as: UTF8.self), observedAt: Date(), body: data))
        }
    }

    /// The full sync every `syncInterval`, and at once (within 100 ms) when a status changed. The first
    /// waits (at most one `syncInterval`) for every check's first result, so a restarted agent does not
    /// report its services UNKNOWN for the moment its checks take.
    func syncLoop() async {
        var lastStatuses: [String: ServiceStatus]?
        var lastSent = ContinuousClock.now - config.syncInterval
        var seenGeneration = -1
        let started = ContinuousClock.now
        while !Task.isCancelled, await state.awaitingFirstResults(), ContinuousClock.now - started < config.syncInterval {
            try? await Task.sleep(for: .milliseconds(50))
        }
        while !Task.isCancelled {
            let generation = await state.generation
            if generation != seenGeneration || ContinuousClock.now - lastSent >= config.syncInterval {
                seenGeneration = generation
                let services = await state.services()
                let statuses = Dictionary(services.map { ($0.name, $0.status) }, uniquingKeysWith: { a, _ in a })
                let due = ContinuousClock.now - lastSent >= config.syncInterval
                if due || statuses != lastStatuses {
                    await sync(services)
                    lastStatuses = statuses
                    lastSent = ContinuousClock.now
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    func sync(_ services: [Reports.Service]) async {
        let groups = await state.catalog.slaGroups.map {
            Reports.Group(name: $0.name, displayName: $0.displayName, tier: $0.tier)
        }
        metrics.set("itops_agent_services", [], Double(services.count))
        let body = Reports.OperatorStatus(
            nodeId: config.nodeId, operatorVersion: AgentVersion.current, observedAt: nil, services: services,
            slaGroups: groups)
        // Two syncs are the same when every service's status and details are: messages (latencies) may
        // differ without making a buffered sync worth keeping.
        var same = body
        same.services = services.map {
            var service = $0
            service.message = nil
            return service
        }
        submit("operator/status", key: "status", body: body, same: same, observedAt: Date()) { $0.observedAt = $1 }
    }

    func heartbeatLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: config.heartbeatInterval)
            if Task.isCancelled { return }
            let services = await state.services()
            let healthy = services.filter { $0.status == .operational }.count
            let body = Reports.Heartbeat(
                nodeId: config.nodeId, version: AgentVersion.current, watchedServices: services.count,
                healthyServices: healthy, unhealthyServices: services.count - healthy)
            // A heartbeat says "alive now": never buffered, a missed one is simply missed.
            guard let data = try? Reports.encode(body) else { continue }
            switch await client.post("operator/heartbeat", body: data) {
            case .accepted: metrics.increment("itops_agent_heartbeats_total", [("outcome", "sent")])
            case .rejected: metrics.increment("itops_agent_heartbeats_total", [("outcome", "rejected")])
            case .unavailable: metrics.increment("itops_agent_heartbeats_total", [("outcome", "failed")])
            }
        }
    }
}
