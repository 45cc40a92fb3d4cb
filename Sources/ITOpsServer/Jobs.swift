import Foundation
import ITOpsCore
import ITOpsGraphQL
import Logging
import ServiceLifecycle

/// Runs the silence sweep every `interval` until shutdown.
struct SweepJob: ServiceLifecycle.Service {
    let runtime: ITOpsRuntime
    let interval: TimeInterval

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                } catch {
                    return
                }
                await runOnce()
            }
        }
    }

    /// One sweep, timed and logged; a failure is logged and retried next period.
    func runOnce() async {
        let start = ContinuousClock.now
        do {
            // One sweep at a time across instances; a sweep skipped here runs on the holder.
            let ingest = runtime.ingest
            guard let result = try await runtime.store.exclusively("sweep", { try await ingest.sweep() }) else {
                return
            }
            runtime.metrics.sweep(duration: ContinuousClock.now - start, failed: false)
            if !result.silentNodes.isEmpty || result.staleServices > 0 || result.overdueBackups > 0 {
                runtime.logger.notice(
                    "silence sweep",
                    metadata: [
                        "silent_nodes": "\(result.silentNodes.map(\.value))",
                        "stale_services": "\(result.staleServices)",
                        "overdue_backups": "\(result.overdueBackups)",
                    ])
            }
        } catch {
            runtime.metrics.sweep(duration: ContinuousClock.now - start, failed: true)
            runtime.logger.error("silence sweep failed", metadata: ["error": "\(error)"])
        }
    }
}

/// The SLA engine's periodic work, once across instances: closes days into rollups, closes
/// expired maintenance windows, evaluates burn rates and generates the daily report at 00:05 UTC.
struct SLAJob: ServiceLifecycle.Service {
    let runtime: ITOpsRuntime
    let interval: TimeInterval

    func run() async throws {
        await cancelWhenGracefulShutdown {
            // The first pass runs at start-up, so rollups catch up after a downtime.
            while !Task.isCancelled {
                await runOnce()
                do {
                    try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                } catch {
                    return
                }
            }
        }
    }

    func runOnce() async {
        let sla = runtime.sla
        do {
            let result = try await runtime.store.exclusively("sla") {
                let closed = try await sla.rollUp()
                try await sla.closeExpiredWindows()
                let alerts = try await sla.evaluateBurnRates()
                let report = try await sla.generateDueReport()
                return (closed, alerts.count, report?.date)
            }
            if result != nil { runtime.metrics.slaJobRan(at: Date(), failed: false) }
            if let (closed, alerts, report) = result, closed > 0 || alerts > 0 || report != nil {
                runtime.logger.notice(
                    "sla job",
                    metadata: ["days_rolled_up": "\(closed)", "alerts": "\(alerts)", "report": "\(report ?? "none")"])
            }
        } catch {
            runtime.metrics.slaJobRan(at: Date(), failed: true)
            runtime.logger.error("sla job failed", metadata: ["error": "\(error)"])
        }
        // The pass's transient memory (a first read of the live copy, a day closed over the whole
        // inventory) goes back now, not at the next tick of `MemoryTrimJob`; timed like its trims.
        MemoryTrimJob(metrics: runtime.metrics).trimOnce()
    }
}

/// Counts and logs domain events: the first consumer of the event bus.
struct EventLogJob: ServiceLifecycle.Service {
    let runtime: ITOpsRuntime

    func run() async throws {
        let stream = runtime.events.subscribe(bufferSize: 4096)
        await cancelWhenGracefulShutdown {
            for await event in stream {
                switch event {
                case .serviceStatusChanged(let change):
                    runtime.metrics.statusChanged(to: change.to.rawValue)
                    runtime.logger.info(
                        "status changed",
                        metadata: [
                            "service": "\(change.nodeId)/\(change.serviceName)",
                            "from": "\(change.from?.rawValue ?? "none")", "to": "\(change.to.rawValue)",
                        ])
                case .slaAlert(let alert):
                    runtime.logger.warning(
                        "sla alert", metadata: ["kind": "\(alert.kind.rawValue)", "message": "\(alert.message)"])
                case .slaIncident(let incident):
                    runtime.logger.notice(
                        "incident \(incident.phase.rawValue)",
                        metadata: ["service": "\(incident.nodeId)/\(incident.serviceName)"])
                case .licenseUpdated(let change):
                    runtime.logger.notice("license updated", metadata: ["reason": "\(change.reason)"])
                case .ticketCreated, .ticketUpdated, .ticketDeleted:
                    runtime.logger.debug("\(event.name)")
                }
            }
        }
    }
}

/// Closes the database after everything else has stopped.
struct StoreCloser: ServiceLifecycle.Service {
    let runtime: ITOpsRuntime
    /// Operations still running (even after their caller got `TIMEOUT`) end before the database closes.
    var graphQL: GraphQLExecutor?

    func run() async throws {
        try? await gracefulShutdown()
        await graphQL?.drain(within: runtime.config.graphQL.deadline * 2)
        await runtime.shutdown()
    }
}

/// Turns domain events into automatic tickets (plugin `ticketing`).
///
/// Every instance sees every event, so only one instance — the holder of the `auto-tickets` job lock —
/// acts on them; another takes over within seconds when it stops. Even two acting at once could not
/// open two tickets for one cause: the store allows one open ticket per cause.
struct AutoTicketJob: ServiceLifecycle.Service {
    let runtime: ITOpsRuntime

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await runtime.store.exclusively("auto-tickets") { await consume() }
                } catch {
                    runtime.logger.warning("automatic tickets paused", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(5))
            }
        }
    }

    private func consume() async {
        let stream = runtime.events.subscribe(bufferSize: 4096)
        for await event in stream {
            do {
                try await runtime.tickets.handle(event)
            } catch {
                runtime.logger.error(
                    "could not open or update an automatic ticket", metadata: ["event": "\(event.name)", "error": "\(error)"])
            }
        }
    }
}

/// Prunes the audit trail to `ITOPS_AUDIT_RETENTION` days, hourly, on one instance.
struct AuditRetentionJob: ServiceLifecycle.Service {
    let runtime: ITOpsRuntime
    let days: Int

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let audit = runtime.audit
                    if let pruned = try await runtime.store.exclusively("audit-retention", { try await audit.prune(keepDays: days) }),
                        pruned > 0
                    {
                        runtime.logger.notice("audit retention", metadata: ["pruned": "\(pruned)"])
                    }
                } catch {
                    runtime.logger.error("audit retention failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(3600))
            }
        }
    }
}
