import Foundation
import ITOpsCore
import SQLKit

/// The Storage tab's reads: latest reports of a page of services, a service's history by keyset,
/// the fill states of the fleet. Each is one statement, on the `storage_reports_service` index.
extension SQLAccess: StorageHistoryReader {
    func latestStorageReports(serviceIds: [UUID]) async throws -> [UUID: StorageReport] {
        guard !serviceIds.isEmpty else { return [:] }
        var found: [UUID: StorageReport] = [:]
        for chunk in Self.chunks(serviceIds) {
            let part = chunk.map(\.stored)
            let reports = try await all(
                """
                SELECT r.* FROM storage_reports r WHERE r.service_id IN (\(binds: part)) AND r.reported_at = \
                (SELECT MAX(l.reported_at) FROM storage_reports l WHERE l.service_id = r.service_id)
                """,
                as: StorageRecord.self
            ).map { try $0.domain() }
            for report in reports { found[report.serviceId] = report }
        }
        return found
    }

    func storageHistory(serviceId: UUID, after cursor: StorageHistoryCursor?, limit: Int) async throws
        -> [StorageReport]
    {
        var sql: SQLQueryString = "SELECT * FROM storage_reports WHERE service_id = \(bind: serviceId.stored)"
        if let cursor {
            let at = cursor.reportedAt.epochMilliseconds
            sql =
                sql
                + " AND (reported_at < \(bind: at) OR (reported_at = \(bind: at) AND id < \(bind: cursor.id.stored)))"
        }
        sql = sql + " ORDER BY reported_at DESC, id DESC LIMIT \(literal: max(0, limit))"
        return try await all(sql, as: StorageRecord.self).map { try $0.domain() }
    }

    func storageReportCount(serviceId: UUID) async throws -> Int {
        let row = try await db.raw(
            "SELECT COUNT(*) AS n FROM storage_reports WHERE service_id = \(bind: serviceId.stored)"
        ).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    func storageSummary(matching filter: ServiceFilter) async throws -> StorageSummary {
        var summary = StorageSummary()
        summary.volumes = try await countServices(matching: filter)
        let rows = try await db.raw(
            """
            SELECT r.state AS state, COUNT(DISTINCT r.service_id) AS n FROM storage_reports r \
            JOIN services ON services.id = r.service_id WHERE 
            """
                + whereClause(filter)
                + """
                 AND r.reported_at = (SELECT MAX(l.reported_at) FROM storage_reports l WHERE l.service_id = r.service_id) \
                GROUP BY r.state
                """
        ).all()
        for row in rows {
            let count = try row.decode(column: "n", as: Int.self)
            switch StorageState(rawValue: try row.decode(column: "state", as: String.self)) {
            case .healthy?: summary.healthy = count
            case .warning?: summary.warning = count
            case .critical?: summary.critical = count
            case nil: break
            }
        }
        return summary
    }
}
