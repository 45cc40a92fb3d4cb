import Foundation
import Metrics
import Prometheus

/// The application's metrics, in a registry of its own so that several apps (tests, instances in
/// one process) never share counters. Served at `GET /metrics` in Prometheus text format.
struct ITOpsMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10),
            .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        factory.valueHistogramBuckets["itops_write_batch_size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        self.factory = factory
    }

    func request(method: String, route: String, status: Int, duration: Duration) {
        let dimensions = [("method", method), ("route", route), ("status", String(status))]
        Counter(label: "itops_http_requests_total", dimensions: dimensions, factory: factory).increment()
        Timer(
            label: "itops_http_request_duration_seconds", dimensions: [("method", method), ("route", route)],
            factory: factory
        )
        .recordNanoseconds(duration.nanoseconds)
    }

    func reportIngested(kind: String) {
        Counter(label: "itops_reports_ingested_total", dimensions: [("kind", kind)], factory: factory).increment()
    }

    func statusChanged(to status: String) {
        Counter(label: "itops_status_changes_total", dimensions: [("to", status)], factory: factory).increment()
    }

    func memoryTrimmed(duration: Duration) {
        Timer(label: "itops_memory_trim_duration_seconds", factory: factory).recordNanoseconds(duration.nanoseconds)
    }

    func sweep(duration: Duration, failed: Bool) {
        Timer(label: "itops_sweep_duration_seconds", factory: factory).recordNanoseconds(duration.nanoseconds)
        if failed { Counter(label: "itops_sweep_failures_total", factory: factory).increment() }
    }

    func databaseError() {
        Counter(label: "itops_database_errors_total", factory: factory).increment()
    }

    /// A GraphQL WebSocket closed for falling behind (its buffer overflowed).
    func graphQLSlowConsumer() {
        Counter(label: "itops_graphql_ws_slow_consumers_total", factory: factory).increment()
    }

    /// A GraphQL WebSocket closed by the server, by close code.
    func graphQLSocketClosed(code: UInt16) {
        Counter(label: "itops_graphql_ws_closed_total", dimensions: [("code", String(code))], factory: factory)
            .increment()
    }

    /// A GraphQL operation refused by a limit, by `extensions.code` and transport.
    func graphQLRefused(code: String, transport: String) {
        Counter(
            label: "itops_graphql_refused_total", dimensions: [("code", code), ("transport", transport)],
            factory: factory
        )
        .increment()
    }

    /// Events lost by subscribers that fell behind (from the event bus's own count).
    func eventsDropped(_ count: Int) {
        Gauge(label: "itops_events_dropped", factory: factory).record(count)
    }

    /// One group-commit transaction of `size` writes.
    func writeBatch(size: Int) {
        Recorder(label: "itops_write_batch_size", factory: factory).record(size)
        Counter(label: "itops_write_batches_total", factory: factory).increment()
    }

    /// How a GraphQL operation fared in the answer cache: `hit`, `shared` (it waited for the same
    /// question already running) or `miss`.
    func graphQLAnswerLookup(_ result: String) {
        Counter(label: "itops_graphql_answer_cache_lookups_total", dimensions: [("result", result)], factory: factory)
            .increment()
    }

    /// The answers GraphQL's answer cache holds, and about how much memory they take.
    func graphQLAnswersHeld(count: Int, bytes: Int) {
        Gauge(label: "itops_graphql_answer_cache_entries", factory: factory).record(count)
        Gauge(label: "itops_graphql_answer_cache_bytes", factory: factory).record(bytes)
    }

    /// A GraphQL WebSocket connected.
    func webSocketOpened() { Meter(label: "itops_graphql_ws_connections", factory: factory).increment() }

    /// A GraphQL WebSocket went away.
    func webSocketClosed() { Meter(label: "itops_graphql_ws_connections", factory: factory).decrement() }

    /// An outbound call's outcome: a webhook delivery attempt or a finished workflow execution.
    func outboundOutcome(kind: String, status: String) {
        Counter(
            label: "itops_outbound_deliveries_total", dimensions: [("kind", kind), ("outcome", status)],
            factory: factory
        )
        .increment()
    }

    /// The SLA job finished a run at `at` (the timestamp moves only on success: alert rules watch it for a
    /// stalled job), or failed.
    func slaJobRan(at: Date, failed: Bool) {
        if failed {
            Counter(label: "itops_sla_job_failures_total", factory: factory).increment()
        } else {
            Gauge(label: "itops_sla_job_last_success_timestamp_seconds", factory: factory).record(
                at.timeIntervalSince1970)
        }
    }

    /// The Prometheus text, with a `# HELP` line for every family (swift-metrics has no help text; Prometheus
    /// tooling wants one: `promtool check metrics` passes on the output).
    func render() -> String {
        registry.emitToString().split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard line.hasPrefix("# TYPE "), let name = line.split(separator: " ").dropFirst(2).first else {
                return String(line)
            }
            return "# HELP \(name) \(Self.help[String(name)] ?? "ITOps metric \(name).")\n\(line)"
        }.joined(separator: "\n")
    }

    /// The help text of every metric family.
    static let help: [String: String] = [
        "itops_http_requests_total": "HTTP requests answered, by method, route and status.",
        "itops_http_request_duration_seconds": "Time to answer HTTP requests, by method and route.",
        "itops_reports_ingested_total": "Agent and webhook reports recorded, by kind.",
        "itops_status_changes_total": "Service status transitions, by new status.",
        "itops_sweep_duration_seconds": "Duration of the silence sweep.",
        "itops_sweep_failures_total": "Silence sweeps that failed.",
        "itops_memory_trim_duration_seconds": "Time malloc_trim took to hand free heap pages back to the system.",
        "itops_database_errors_total": "Requests answered 503 because the database did not answer.",
        "itops_events_dropped": "Events lost by subscribers that fell behind their buffer.",
        "itops_graphql_ws_slow_consumers_total": "GraphQL WebSockets closed for falling behind.",
        "itops_graphql_ws_closed_total": "GraphQL WebSockets closed by the server, by close code.",
        "itops_graphql_ws_connections": "GraphQL WebSockets open now.",
        "itops_graphql_refused_total": "GraphQL operations refused by a limit, by code and transport.",
        "itops_graphql_answer_cache_lookups_total":
            "GraphQL operations looked up in the answer cache, by result (hit: answered from it; shared: waited for the same question already running; miss: executed, as every mutation is).",
        "itops_graphql_answer_cache_entries": "Answers GraphQL's answer cache holds.",
        "itops_graphql_answer_cache_bytes": "Estimated memory of the answers GraphQL's answer cache holds.",
        "itops_write_batch_size": "Writes per group-commit transaction.",
        "itops_write_batches_total": "Group-commit write transactions committed.",
        "itops_outbound_deliveries_total":
            "Outbound outcomes: webhook delivery attempts and finished workflow executions, by kind and outcome.",
        "itops_sla_job_last_success_timestamp_seconds": "Unix time of the SLA job's last successful run.",
        "itops_sla_job_failures_total": "SLA job runs that failed.",
    ]
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
