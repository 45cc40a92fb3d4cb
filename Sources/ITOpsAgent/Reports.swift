import Foundation
import ITOpsCore

/// The request bodies the agent sends, spelled as the API reference spells them (the server decodes them
/// with `ITOpsCore.Commands`). Each report that describes an observation carries `observedAt`.
public enum Reports {
    /// `POST /api/v1/operator/status`.
    public struct OperatorStatus: Encodable, Sendable, Equatable {
        public var nodeId: String
        public var operatorVersion: String
        public var observedAt: String?
        public var services: [Service]
        public var slaGroups: [Group]
    }

    /// One service of a sync.
    public struct Service: Encodable, Sendable, Equatable {
        public var name: String
        public var status: ServiceStatus
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

    /// An SLA group of a sync.
    public struct Group: Encodable, Sendable, Equatable {
        public var name: String
        public var displayName: String?
        public var tier: Criticality?
    }

    /// `POST /api/v1/operator/heartbeat`.
    public struct Heartbeat: Encodable, Sendable {
        public var nodeId: String
        public var version: String
        public var watchedServices: Int
        public var healthyServices: Int
        public var unhealthyServices: Int
    }

    /// `POST /api/v1/operator/register`.
    public struct Register: Encodable, Sendable, Equatable {
        public struct Backup: Encodable, Sendable, Equatable {
            public var expected: Bool?
            public var maxAgeDays: Int?
        }
        public struct Operations: Encodable, Sendable, Equatable { public var backup: Backup }
        public var name: String
        public var displayName: String?
        public var nodeId: String
        public var criticality: Criticality?
        public var namespace: String?
        public var serviceType: String?
        public var slaGroup: String?
        public var tags: [String]?
        public var operations: Operations?
    }

    /// `POST /api/v1/storage/report`.
    public struct Storage: Encodable, Sendable {
        public var service: String
        public var nodeId: String
        public var allocatedBytes: Int64
        public var usedBytes: Int64
        public var storageType: String
        public var mountPath: String
        public var observedAt: String?
    }

    /// `POST /api/v1/backup/report` for one service.
    public struct Backup: Encodable, Sendable {
        public var service: String
        public var nodeId: String
        public var status: BackupOutcome
        public var sizeBytes: Int64?
        public var message: String?
        /// When the backup finished.
        public var observedAt: String?
    }

    /// RFC 3339 UTC with milliseconds, as `observedAt` is spelled.
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// A JSON encoder with sorted keys, so two equal bodies have equal bytes.
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
