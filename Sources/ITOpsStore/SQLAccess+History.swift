import Foundation
import ITOpsCore
import SQLKit

/// The service page's status history: newest first by keyset over `(at, id)`.
extension SQLAccess: StatusHistoryReader {
    func statusHistory(serviceId: UUID, after cursor: HistoryCursor?, limit: Int) async throws -> [StatusTransition] {
        var sql: SQLQueryString = "SELECT * FROM status_transitions WHERE service_id = \(bind: serviceId.stored)"
        if let cursor {
            let at = cursor.at.epochMilliseconds
            sql = sql + " AND (at < \(bind: at) OR (at = \(bind: at) AND id < \(bind: cursor.id.stored)))"
        }
        sql = sql + " ORDER BY at DESC, id DESC LIMIT \(literal: max(0, limit))"
        return try await all(sql, as: TransitionRecord.self).map { try $0.domain() }
    }

    func statusHistoryCount(serviceId: UUID) async throws -> Int {
        let row = try await db.raw(
            "SELECT COUNT(*) AS n FROM status_transitions WHERE service_id = \(bind: serviceId.stored)"
        ).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }
}

/// The services tree's counts, grouped in the database.
extension SQLAccess: NodeStatusCountReader {
    func nodeStatusCounts() async throws -> [NodeStatusCount] {
        try await db.raw(
            "SELECT node_id, status, COUNT(*) AS n FROM services GROUP BY node_id, status ORDER BY node_id, status"
        ).all().map { row in
            NodeStatusCount(
                nodeId: try row.decode(column: "node_id", as: String.self),
                status: try vocabulary(try row.decode(column: "status", as: String.self)),
                count: try row.decode(column: "n", as: Int.self))
        }
    }
}
