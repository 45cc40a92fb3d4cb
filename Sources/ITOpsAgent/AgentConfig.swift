import Foundation
import ITOpsCore

/// The agent's settings, read from `it-ops.yaml` (see docs/agent.md for every field).
public struct AgentConfig: Sendable, Equatable {
    /// Where the agent takes its services from.
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// Configured services and their checks, on a host.
        case baremetal
        /// Workloads watched through the Kubernetes API, plus the configured services.
        case kubernetes
    }

    /// The ITOps server the agent reports to.
    public struct Server: Sendable, Equatable {
        /// Base URL, e.g. `http://127.0.0.1:8080`.
        public var url: String
        /// The operator API key (resolved from `apiKey`, `apiKeyFile` or `apiKeyEnv`).
        public var apiKey: String
        /// Per-request timeout.
        public var timeout: Duration
    }

    /// The on-disk buffer that keeps reports while the server is unreachable.
    public struct Buffer: Sendable, Equatable {
        /// The directory holding one file per pending report.
        public var directory: String
        /// Most bytes kept; the oldest reports are dropped (and counted) beyond it.
        public var maxBytes: Int
        /// Most reports kept; the oldest are dropped (and counted) beyond it.
        public var maxEntries: Int
        /// Most reports sent per second, buffered or not.
        public var replayRate: Double
        /// First and longest wait between failed attempts (exponential, with full jitter).
        public var retryMin: Duration
        /// Longest wait between failed attempts.
        public var retryMax: Duration
    }

    /// The Kubernetes API and what to watch in it.
    public struct Kubernetes: Sendable, Equatable {
        /// API server URL; default from `KUBERNETES_SERVICE_HOST` / `KUBERNETES_SERVICE_PORT`.
        public var apiServer: String?
        /// The service account token (re-read on every request: projected tokens rotate).
        public var tokenFile: String
        /// The cluster CA bundle.
        public var caFile: String
        /// Namespaces to watch; empty watches every namespace (needs the ClusterRole).
        public var namespaces: [String]
        /// The ConfigMap holding the services catalogue (`it-ops.yaml`), if any.
        public var configMap: ConfigMapRef?
        /// How long one watch request may stay open before the agent re-watches.
        public var watchTimeout: Duration
    }

    /// A ConfigMap and the key of its `it-ops.yaml`.
    public struct ConfigMapRef: Sendable, Equatable {
        public var namespace: String
        public var name: String
        public var key: String
    }

    /// An SLA group the agent declares in its syncs.
    public struct SLAGroup: Sendable, Equatable {
        public var name: String
        public var displayName: String?
        public var tier: Criticality?
    }

    /// A service the agent registers and reports.
    public struct Service: Sendable, Equatable {
        public var name: String
        public var displayName: String?
        public var criticality: Criticality?
        public var slaGroup: String?
        public var serviceType: String?
        public var namespace: String?
        public var tags: [String]
        /// `operations.backup.expected`.
        public var backupExpected: Bool?
        /// `operations.backup.maxAgeDays`.
        public var backupMaxAgeDays: Int?
        public var checks: [Check]
    }

    /// The node the services belong to, e.g. `myorg/infra/prod/host1`.
    public var nodeId: String
    /// Bare metal or Kubernetes.
    public var mode: Mode
    /// Where to report.
    public var server: Server
    /// Period of the full `operator/status` sync.
    public var syncInterval: Duration
    /// Period of `operator/heartbeat` between syncs.
    public var heartbeatInterval: Duration
    /// `host:port` for `/metrics` and `/healthz`; none when absent.
    public var listen: String?
    /// The on-disk buffer.
    public var buffer: Buffer
    /// What to watch in Kubernetes mode (nil in bare-metal mode).
    public var kubernetes: Kubernetes?
    /// SLA groups sent with every sync.
    public var slaGroups: [SLAGroup]
    /// The configured services and their checks.
    public var services: [Service]
}

/// The services and SLA groups of a catalogue document (the `it-ops.yaml` ConfigMap in Kubernetes mode).
public struct AgentCatalog: Sendable, Equatable {
    public var slaGroups: [AgentConfig.SLAGroup]
    public var services: [AgentConfig.Service]

    /// A catalogue of these groups and services.
    public init(slaGroups: [AgentConfig.SLAGroup] = [], services: [AgentConfig.Service] = []) {
        self.slaGroups = slaGroups
        self.services = services
    }
}

/// One check of a service, with its schedule.
public struct Check: Sendable, Equatable {
    /// What the check looks at.
    public enum Kind: Sendable, Equatable {
        /// An HTTP(S) GET: expected status codes, optional body text, latency above which it is DEGRADED.
        case http(url: String, expectStatus: [Int], bodyContains: String?, degradedAfter: Duration?)
        /// A TCP connect.
        case tcp(host: String, port: Int)
        /// The TLS certificate's expiry: DEGRADED within `warnBefore`, DOWN once expired.
        case tls(host: String, port: Int, serverName: String?, warnBefore: Duration)
        /// A command: exit 0 is OPERATIONAL, a code in `degradedExitCodes` DEGRADED, anything else DOWN.
        case command(arguments: [String], degradedExitCodes: [Int32])
        /// A process whose name (`/proc/PID/comm`) is `name` is running.
        case process(name: String)
        /// Disk usage of the file system holding `path`, pushed to `storage/report`.
        case disk(path: String, storageType: String)
        /// The newest file matching `path` (a glob in its last component) is a finished backup.
        case backupFile(path: String)
    }

    /// What it checks.
    public var kind: Kind
    /// Time between runs.
    public var interval: Duration
    /// Longest a run may take.
    public var timeout: Duration
    /// Up to this much extra delay before each run, drawn at random.
    public var jitter: Duration

    /// The `type` spelling of the kind, as in it-ops.yaml and the metrics.
    public var typeName: String {
        switch kind {
        case .http: "http"
        case .tcp: "tcp"
        case .tls: "tls"
        case .command: "command"
        case .process: "process"
        case .disk: "disk"
        case .backupFile: "backupFile"
        }
    }

    /// Whether the check decides the service's status (a backup file check only pushes backup reports).
    public var affectsStatus: Bool {
        if case .backupFile = kind { return false }
        return true
    }
}
