import Foundation

/// A position in a service's storage history, newest first: `(reportedAt, id)` descending.
public struct StorageHistoryCursor: Sendable, Equatable {
    public var reportedAt: Date
    public var id: UUID
    public init(reportedAt: Date, id: UUID) {
        self.reportedAt = reportedAt
        self.id = id
    }
}

/// How many storage services are in each fill state, by their latest report.
public struct StorageSummary: Sendable, Equatable {
    public var volumes = 0
    public var healthy = 0
    public var warning = 0
    public var critical = 0
    public init() {}
}

/// The storage reads of the console's Storage tab: the latest report of many services at once,
/// and one service's history a page at a time. SQL stores answer each in one query; any other
/// `StoreReader` gets the defaults below, built on its per-service reads.
public protocol StorageHistoryReader: Sendable {
    /// The latest report of each of `serviceIds` that has one: one read for a whole page.
    func latestStorageReports(serviceIds: [UUID]) async throws -> [UUID: StorageReport]
    /// Reports of `serviceId`, newest first, after `cursor`, at most `limit`.
    func storageHistory(serviceId: UUID, after cursor: StorageHistoryCursor?, limit: Int) async throws
        -> [StorageReport]
    /// How many reports `serviceId` has.
    func storageReportCount(serviceId: UUID) async throws -> Int
    /// States of the latest reports of the services matching `filter`.
    func storageSummary(matching filter: ServiceFilter) async throws -> StorageSummary
}

extension StoreReader {
    /// The reader's storage queries: its own when it has them, the per-service defaults otherwise.
    public var storageQueries: any StorageHistoryReader {
        (self as? any StorageHistoryReader) ?? PerServiceStorageQueries(reader: self)
    }
}

/// `StorageHistoryReader` over any `StoreReader`, one read per service (for stores without SQL).
struct PerServiceStorageQueries: StorageHistoryReader {
    let reader: any StoreReader

    func latestStorageReports(serviceIds: [UUID]) async throws -> [UUID: StorageReport] {
        var found: [UUID: StorageReport] = [:]
        for id in serviceIds { found[id] = try await reader.lastStorageReport(serviceId: id) }
        return found
    }

    func storageHistory(serviceId: UUID, after cursor: StorageHistoryCursor?, limit: Int) async throws
        -> [StorageReport]
    {
        let all = try await reader.storageReports(serviceId: serviceId).sorted {
            ($0.reportedAt, $0.id.uuidString) > ($1.reportedAt, $1.id.uuidString)
        }
        let after = all.filter { report in
            guard let cursor else { return true }
            return (report.reportedAt, report.id.uuidString) < (cursor.reportedAt, cursor.id.uuidString)
        }
        return Array(after.prefix(limit))
    }

    func storageReportCount(serviceId: UUID) async throws -> Int {
        try await reader.storageReports(serviceId: serviceId).count
    }

    func storageSummary(matching filter: ServiceFilter) async throws -> StorageSummary {
        var summary = StorageSummary()
        var cursor: ServiceCursor?
        while true {
            let page = try await reader.services(matching: filter, after: cursor, limit: 500)
            let latest = try await latestStorageReports(serviceIds: page.map(\.id))
            for service in page {
                summary.volumes += 1
                switch latest[service.id]?.state {
                case .healthy?: summary.healthy += 1
                case .warning?: summary.warning += 1
                case .critical?: summary.critical += 1
                case nil: break
                }
            }
            guard page.count == 500, let last = page.last else { return summary }
            cursor = ServiceCursor(nodeId: last.nodeId.value, name: last.name)
        }
    }
}
