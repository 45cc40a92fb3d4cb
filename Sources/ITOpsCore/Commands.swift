import Foundation

/// The request bodies of the agent and webhook API, exactly as the API reference spells them.
///
/// Decoding checks types and vocabularies; the `validate` step of each ingest operation checks the
/// rules (paths, names, ranges) and names the offending field.
public enum Commands {
    /// `POST /api/v1/operator/status`.
    public struct OperatorStatus: Decodable, Sendable {
        public var nodeId: String?
        public var operatorVersion: String?
        public var services: [OperatorService]?
        public var slaGroups: [GroupSpec]?
        /// When the agent observed these statuses (RFC 3339); absent: on arrival.
        public var observedAt: String?
    }

    /// One service in an operator status sync.
    public struct OperatorService: Decodable, Sendable {
        public var name: String?
        public var status: ServiceStatus?
        public var message: String?
        public var displayName: String?
        public var replicas: Int?
        public var readyReplicas: Int?
        public var slaGroup: String?
        public var workloadType: String?
        public var namespace: String?
        public var criticality: Criticality?
        public var serviceType: String?
        public var tags: [String]?
    }

    /// An SLA group declared by an agent.
    public struct GroupSpec: Decodable, Sendable {
        public var name: String?
        public var displayName: String?
        public var tier: Criticality?
    }

    /// `POST /api/v1/operator/heartbeat`.
    public struct Heartbeat: Decodable, Sendable {
        public var nodeId: String?
        public var version: String?
        public var watchedServices: Int?
        public var healthyServices: Int?
        public var unhealthyServices: Int?
    }

    /// `POST /api/v1/operator/register`.
    public struct Register: Decodable, Sendable {
        public var name: String?
        public var displayName: String?
        public var nodeId: String?
        public var criticality: Criticality?
        public var namespace: String?
        public var serviceType: String?
        public var slaGroup: String?
        public var tags: [String]?
        public var operations: Operations?

        public struct Operations: Decodable, Sendable {
            public var backup: Backup?
        }
        public struct Backup: Decodable, Sendable {
            public var expected: Bool?
            public var maxAgeDays: Int?
        }
    }

    /// `POST /api/v1/health/report`.
    public struct HealthReport: Decodable, Sendable {
        public var service: String?
        public var nodeId: String?
        public var status: ServiceStatus?
        public var message: String?
        public var displayName: String?
        public var criticality: Criticality?
        public var slaGroup: String?
        public var serviceType: String?
        public var namespace: String?
        public var tags: [String]?
        public var expectedIntervalSeconds: Int?
        /// When the status was observed (RFC 3339); absent: on arrival.
        public var observedAt: String?
    }

    /// `POST /api/v1/storage/report`.
    public struct StoragePush: Decodable, Sendable {
        public var service: String?
        public var nodeId: String?
        public var allocatedBytes: Int64?
        public var usedBytes: Int64?
        public var storageType: String?
        public var mountPath: String?
        /// When the usage was measured (RFC 3339); absent: on arrival.
        public var observedAt: String?
    }

    /// `POST /api/v1/backup/report`: one of `service`, `slaGroup`, `namespace`.
    public struct BackupPush: Decodable, Sendable {
        public var service: String?
        public var nodeId: String?
        public var slaGroup: String?
        public var namespace: String?
        public var status: BackupOutcome?
        public var sizeBytes: Int64?
        public var message: String?
        /// When the backup finished (RFC 3339); absent: on arrival.
        public var observedAt: String?
    }
}
