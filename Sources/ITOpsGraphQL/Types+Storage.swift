import Foundation
import ITOpsCore

// The Storage tab: storage services with their latest report, and a service's history.

struct StorageReportDTO: Codable, Sendable {
    let id: String
    let serviceId: String
    let allocatedBytes: Double
    let usedBytes: Double
    let freeBytes: Double
    let freePercent: Int
    let usedPercent: Double
    let state: String
    let storageType: String?
    let mountPath: String?
    let reportedAt: String

    init(_ r: StorageReport) {
        id = r.id.stored
        serviceId = r.serviceId.stored
        allocatedBytes = Double(r.allocatedBytes)
        usedBytes = Double(r.usedBytes)
        freeBytes = Double(r.allocatedBytes - r.usedBytes)
        freePercent = r.freePercent
        usedPercent = r.allocatedBytes > 0 ? (Double(r.usedBytes) * 1000 / Double(r.allocatedBytes)).rounded() / 10 : 0
        state = r.state.rawValue
        storageType = r.storageType
        mountPath = r.mountPath
        reportedAt = r.reportedAt.iso8601
    }
}

struct StorageVolumeDTO: Codable, Sendable {
    let service: ServiceDTO
    let current: StorageReportDTO?
}

struct StorageVolumeEdgeDTO: Codable, Sendable {
    let cursor: String
    let node: StorageVolumeDTO
}

struct StorageVolumeConnectionDTO: Codable, Sendable {
    let edges: [StorageVolumeEdgeDTO]
    let pageInfo: PageInfoDTO
    let totalCount: Int
}

struct StorageReportEdgeDTO: Codable, Sendable {
    let cursor: String
    let node: StorageReportDTO
}

struct StorageReportConnectionDTO: Codable, Sendable {
    let edges: [StorageReportEdgeDTO]
    let pageInfo: PageInfoDTO
    let totalCount: Int
}

struct StorageSummaryDTO: Codable, Sendable {
    let volumes: Int
    let healthy: Int
    let warning: Int
    let critical: Int
    let unreported: Int

    init(_ s: StorageSummary) {
        volumes = s.volumes
        healthy = s.healthy
        warning = s.warning
        critical = s.critical
        unreported = max(0, s.volumes - s.healthy - s.warning - s.critical)
    }
}
