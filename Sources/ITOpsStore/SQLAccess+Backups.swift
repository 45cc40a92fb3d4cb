import Foundation
import ITOpsCore
import SQLKit

/// The Backups screen's read: overdue first, then `(node_id, name)`, by keyset.
extension SQLAccess: BackupListReader {
    func servicesExpectingBackup(
        overdueOnly: Bool, scope: [NodePath]?, after cursor: BackupListCursor?, limit: Int
    ) async throws
        -> [Service]
    {
        var sql: SQLQueryString = "SELECT * FROM services WHERE backup_expected = \(true)"
        if overdueOnly { sql = sql + " AND backup_overdue = \(true)" }
        if let scope { sql = sql + " AND " + scopeClause(scope) }
        if let cursor {
            // Overdue (true) sorts first: after a row of the overdue part come later overdue rows
            // and every row that is not overdue; after a row that is not, later such rows only.
            let later: SQLQueryString =
                "(node_id > \(bind: cursor.nodeId) OR (node_id = \(bind: cursor.nodeId) AND name > \(bind: cursor.name)))"
            if cursor.overdue {
                sql = sql + " AND (backup_overdue = \(false) OR " + later + ")"
            } else {
                sql = sql + " AND backup_overdue = \(false) AND " + later
            }
        }
        sql = sql + " ORDER BY backup_overdue DESC, node_id, name LIMIT \(literal: max(0, limit))"
        return try await all(sql, as: ServiceRecord.self).map { try $0.domain() }
    }

    func countServicesExpectingBackup(overdueOnly: Bool, scope: [NodePath]?) async throws -> Int {
        var sql: SQLQueryString = "SELECT COUNT(*) AS n FROM services WHERE backup_expected = \(true)"
        if overdueOnly { sql = sql + " AND backup_overdue = \(true)" }
        if let scope { sql = sql + " AND " + scopeClause(scope) }
        return try await db.raw(sql).first()?.decode(column: "n", as: Int.self) ?? 0
    }
}
