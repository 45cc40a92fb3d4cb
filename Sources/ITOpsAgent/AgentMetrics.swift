import Foundation
import Synchronization

/// The agent's own counters and gauges, rendered in the Prometheus text format on `/metrics`.
public final class AgentMetrics: Sendable {
    private struct Series: Hashable, Sendable, Comparable {
        var name: String
        var labels: String
        static func < (a: Series, b: Series) -> Bool { (a.name, a.labels) < (b.name, b.labels) }
    }

    private static let help: [String: (type: String, help: String)] = [
        "itops_agent_checks_total": ("counter", "Checks run, by type and resulting status."),
        "itops_agent_reports_sent_total": ("counter", "Reports the server accepted, by API path."),
        "itops_agent_reports_rejected_total": ("counter", "Reports the server refused with a 4xx (dropped), by API path."),
        "itops_agent_send_failures_total": ("counter", "Attempts that found the server unreachable or failing (kept)."),
        "itops_agent_buffer_reports": ("gauge", "Reports waiting in the on-disk buffer."),
        "itops_agent_buffer_bytes": ("gauge", "Bytes waiting in the on-disk buffer."),
        "itops_agent_buffer_dropped_total": ("counter", "Oldest reports dropped because the buffer was full."),
        "itops_agent_buffer_coalesced_total": ("counter", "Reports not buffered because they repeated the state already buffered."),
        "itops_agent_heartbeats_total": ("counter", "Heartbeats, by outcome."),
        "itops_agent_services": ("gauge", "Services the agent reports."),
        "itops_agent_kube_relists_total": ("counter", "Kubernetes lists (start, 410 Gone), by resource."),
        "itops_agent_kube_watch_restarts_total": ("counter", "Kubernetes watches re-opened, by resource and reason."),
        "itops_agent_kube_events_total": ("counter", "Kubernetes watch events, by resource and type."),
        "itops_agent_configmap_errors_total": ("counter", "it-ops.yaml ConfigMaps refused (the previous catalogue stays)."),
        "itops_agent_info": ("gauge", "The agent's version."),
    ]

    private let values = Mutex<[Series: Double]>([:])

    /// No series yet.
    public init() {}

    /// Adds `amount` to a counter.
    public func increment(_ name: String, _ labels: [(String, String)] = [], by amount: Double = 1) {
        let series = Series(name: name, labels: Self.render(labels))
        values.withLock { $0[series, default: 0] += amount }
    }

    /// Sets a gauge.
    public func set(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        let series = Series(name: name, labels: Self.render(labels))
        values.withLock { $0[series] = value }
    }

    /// The current value of one series (tests).
    public func value(_ name: String, _ labels: [(String, String)] = []) -> Double {
        values.withLock { $0[Series(name: name, labels: Self.render(labels))] ?? 0 }
    }

    /// The Prometheus text exposition of every series.
    public func render() -> String {
        let snapshot = values.withLock { $0 }.sorted { $0.key < $1.key }
        var out = ""
        var announced: Set<String> = []
        for (series, value) in snapshot {
            if announced.insert(series.name).inserted, let meta = Self.help[series.name] {
                out += "# HELP \(series.name) \(meta.help)\n# TYPE \(series.name) \(meta.type)\n"
            }
            let number = value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
            out += "\(series.name)\(series.labels) \(number)\n"
        }
        return out
    }

    private static func render(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        let parts = labels.map { name, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
            return "\(name)=\"\(escaped)\""
        }
        return "{" + parts.joined(separator: ",") + "}"
    }
}
