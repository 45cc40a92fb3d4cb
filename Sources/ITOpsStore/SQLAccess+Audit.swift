import Foundation
import ITOpsCore
import SQLKit

// The audit trail (migration 7), over portable SQL.

struct AuditRecord: Codable, Sendable {
    var seq: Int64
    var at: Int64
    var actorKind: String
    var actorId: String?
    var actorName: String?
    var action: String
    var targetType: String?
    var targetId: String?
    var summary: String
    var outcome: String
    var client: String?
    var requestId: String?
    var prevHash: String
    var hash: String

    init(_ entry: AuditEntry) {
        seq = entry.seq
        at = entry.at.epochMilliseconds
        actorKind = entry.actorKind
        actorId = entry.actorId
        actorName = entry.actorName
        action = entry.action
        targetType = entry.targetType
        targetId = entry.targetId
        summary = entry.summary
        outcome = entry.outcome
        client = entry.client
        requestId = entry.requestId
        prevHash = entry.prevHash
        hash = entry.hash
    }

    var domain: AuditEntry {
        AuditEntry(
            seq: seq, at: Date(epochMilliseconds: at), actorKind: actorKind, actorId: actorId, actorName: actorName,
            action: action, targetType: targetType, targetId: targetId, summary: summary, outcome: outcome,
            client: client, requestId: requestId, prevHash: prevHash, hash: hash)
    }
}

struct AuditAnchorRecord: Codable, Sendable {
    var name: String
    var seq: Int64
    var hash: String
    var at: Int64
}

extension SQLAccess: AuditWriter {
    func auditEntries(fromSeq: Int64, limit: Int) async throws -> [AuditEntry] {
        try await all(
            "SELECT * FROM audit_log WHERE seq >= \(bind: fromSeq) ORDER BY seq LIMIT \(literal: max(0, limit))",
            as: AuditRecord.self
        ).map(\.domain)
    }

    func auditEntries(matching filter: AuditFilter, before: Int64?, limit: Int) async throws -> [AuditEntry] {
        var sql: SQLQueryString = "SELECT * FROM audit_log WHERE 1 = 1"
        if let actor = filter.actor?.lowercased(), !actor.isEmpty {
            let pattern = "%" + Self.escapeLike(actor) + "%"
            sql =
                sql
                + " AND (actor_id = \(bind: actor) OR LOWER(COALESCE(actor_name, '')) LIKE \(bind: pattern) ESCAPE '\\')"
        }
        if let action = filter.action { sql = sql + " AND action = \(bind: action)" }
        if let type = filter.targetType { sql = sql + " AND target_type = \(bind: type)" }
        if let id = filter.targetId { sql = sql + " AND target_id = \(bind: id)" }
        if let from = filter.from { sql = sql + " AND at >= \(bind: from.epochMilliseconds)" }
        if let to = filter.to { sql = sql + " AND at < \(bind: to.epochMilliseconds)" }
        if let before { sql = sql + " AND seq < \(bind: before)" }
        sql = sql + " ORDER BY seq DESC LIMIT \(literal: max(0, limit))"
        return try await all(sql, as: AuditRecord.self).map(\.domain)
    }

    func auditAnchor(_ name: String) async throws -> AuditAnchor? {
        try await first("SELECT * FROM audit_anchors WHERE name = \(bind: name)", as: AuditAnchorRecord.self).map {
            AuditAnchor(seq: $0.seq, hash: $0.hash, at: Date(epochMilliseconds: $0.at))
        }
    }

    func insert(_ entry: AuditEntry) async throws { try await insertRow("audit_log", AuditRecord(entry)) }

    func saveAuditAnchor(_ name: String, _ anchor: AuditAnchor) async throws {
        try await db.raw("DELETE FROM audit_anchors WHERE name = \(bind: name)").run()
        try await insertRow(
            "audit_anchors",
            AuditAnchorRecord(name: name, seq: anchor.seq, hash: anchor.hash, at: anchor.at.epochMilliseconds))
    }

    func pruneAudit(before cutoff: Date) async throws -> AuditEntry? {
        guard
            let last = try await first(
                "SELECT * FROM audit_log WHERE at < \(bind: cutoff.epochMilliseconds) ORDER BY seq DESC LIMIT 1",
                as: AuditRecord.self)
        else { return nil }
        try await db.raw("DELETE FROM audit_log WHERE seq <= \(bind: last.seq)").run()
        return last.domain
    }
}
