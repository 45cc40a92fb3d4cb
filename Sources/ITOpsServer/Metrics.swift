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

    func render() -> String { registry.emitToString() }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
