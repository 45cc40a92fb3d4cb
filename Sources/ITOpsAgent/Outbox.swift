import Foundation
import Logging

/// Sends buffered reports oldest first, at most `replayRate` a second, waiting with exponential backoff
/// and jitter while the server is unreachable or failing. A 4xx drops the report (it would never pass).
public final class Outbox: Sendable {
    /// The durable queue.
    public let buffer: ReportBuffer
    let client: ITOpsClient
    let metrics: AgentMetrics
    let settings: AgentConfig.Buffer
    let logger: Logger

    /// An outbox sending what `buffer` holds through `client`.
    public init(buffer: ReportBuffer, client: ITOpsClient, settings: AgentConfig.Buffer, metrics: AgentMetrics, logger: Logger) {
        self.buffer = buffer
        self.client = client
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        publishGauges()
    }

    /// Stores `report` durably; the sending loop picks it up.
    public func submit(_ report: PendingReport) {
        do {
            try buffer.append(report)
        } catch {
            logger.error("report not buffered", metadata: ["path": "\(report.path)", "error": "\(error)"])
        }
        publishGauges()
    }

    func publishGauges() {
        metrics.set("itops_agent_buffer_reports", [], Double(buffer.count))
        metrics.set("itops_agent_buffer_bytes", [], Double(buffer.bytes))
        metrics.set("itops_agent_buffer_dropped_total", [], Double(buffer.dropped))
        metrics.set("itops_agent_buffer_coalesced_total", [], Double(buffer.coalesced))
    }

    /// Runs until cancelled.
    public func run() async {
        var failures = 0
        var idleSince = ContinuousClock.now
        let spacing = Duration.nanoseconds(Int64(1e9 / settings.replayRate))
        while !Task.isCancelled {
            guard let (name, report) = buffer.oldest() else {
                // Idle: look for reports other processes (`backup run`) left now and then.
                if ContinuousClock.now - idleSince > .seconds(2) {
                    buffer.rescan()
                    publishGauges()
                    idleSince = ContinuousClock.now
                }
                try? await Task.sleep(for: .milliseconds(50))
                continue
            }
            idleSince = ContinuousClock.now
            let outcome = await client.post(report.path, body: report.body)
            switch outcome {
            case .accepted:
                buffer.remove(name)
                metrics.increment("itops_agent_reports_sent_total", [("path", report.path)])
                if failures > 0 {
                    logger.info("server reachable again", metadata: ["pending": "\(buffer.count)"])
                }
                failures = 0
                publishGauges()
                try? await Task.sleep(for: spacing)
            case .rejected(let status, let error):
                buffer.remove(name)
                metrics.increment("itops_agent_reports_rejected_total", [("path", report.path)])
                logger.warning(
                    "server refused a report; dropped",
                    metadata: ["path": "\(report.path)", "status": "\(status)", "error": "\(error)"])
                publishGauges()
            case .unavailable(let reason):
                metrics.increment("itops_agent_send_failures_total")
                if failures == 0 {
                    logger.warning("server unavailable; buffering", metadata: ["reason": "\(reason)", "pending": "\(buffer.count)"])
                }
                failures += 1
                try? await Task.sleep(for: Self.backoff(attempt: failures, min: settings.retryMin, max: settings.retryMax))
            }
        }
    }

    /// Exponential backoff from `min` doubling to `max`, the wait drawn between half and all of it.
    static func backoff(attempt: Int, min: Duration, max: Duration) -> Duration {
        let base = min.seconds * pow(2, Double(Swift.min(attempt - 1, 30)))
        let capped = Swift.min(base, max.seconds)
        return .nanoseconds(Int64(Double.random(in: (capped / 2)...capped) * 1e9))
    }
}
