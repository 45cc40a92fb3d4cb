import Foundation
import ITOpsCore
import SQLKit

// Writes as data: each method is one statement per chunk of rows, whatever the number of rows, so
// a group-commit batch of pushes costs a handful of statements (and, on SQLite, thread hops)
// instead of several per push. Chunks keep the bound parameters far below both dialects' limits
// (SQLite 32,766, PostgreSQL 65,535).
extension SQLAccess {
    /// Rows per statement.
    static let bulkChunk = 400

    func updateServices(_ changes: [ServiceCompareAndSet]) async throws -> Set<UUID> {
        var applied = Set<UUID>()
        for chunk in Self.chunks(changes) {
            // VALUES columns are column1…column14 in both dialects. Integers are cast because
            // PostgreSQL types an all-NULL VALUES column as text; COALESCE keeps a field the push
            // left out.
            var sql: SQLQueryString = """
                UPDATE services SET last_seen_at = CAST(v.column3 AS BIGINT), status = v.column4,
                status_changed_at = COALESCE(CAST(v.column5 AS BIGINT), services.status_changed_at),
                message = COALESCE(v.column6, services.message),
                display_name = COALESCE(v.column7, services.display_name),
                criticality = COALESCE(v.column8, services.criticality),
                sla_group = COALESCE(v.column9, services.sla_group),
                namespace = COALESCE(v.column10, services.namespace),
                service_type = COALESCE(v.column11, services.service_type),
                tags = COALESCE(v.column12, services.tags),
                expected_interval_seconds = COALESCE(CAST(v.column13 AS INTEGER), services.expected_interval_seconds)
                FROM (VALUES 
                """
            for (index, change) in chunk.enumerated() {
                let patch = change.patch
                sql = sql + (index == 0 ? "(" : ", (")
                sql =
                    sql
                    + "\(bind: change.id.stored), \(bind: change.expected.rawValue), \(bind: patch.lastSeenAt.epochMilliseconds), "
                    + "\(bind: patch.status.rawValue), \(bind: patch.statusChangedAt?.epochMilliseconds), \(bind: patch.message), "
                    + "\(bind: patch.displayName), \(bind: patch.criticality?.rawValue), \(bind: patch.slaGroup), "
                    + "\(bind: patch.namespace), \(bind: patch.serviceType), \(bind: patch.tags.map(ServiceRecord.encodeTags)), "
                    + "\(bind: patch.expectedIntervalSeconds), \(bind: change.notChangedAfter?.epochMilliseconds))"
            }
            // The status test makes each row a compare-and-set, as in `updateService(_:ifStatus:_:)`.
            sql =
                sql
                + ") AS v WHERE services.id = v.column1 AND services.status = v.column2"
                + " AND (v.column14 IS NULL OR services.status_changed_at <= CAST(v.column14 AS BIGINT))"
                + " RETURNING services.id AS id"
            for row in try await db.raw(sql).all() {
                if let id = UUID(parsing: try row.decode(column: "id", as: String.self)) { applied.insert(id) }
            }
        }
        return applied
    }

    func update(_ services: [Service]) async throws {
        // An upsert of rows read in this transaction: one statement, typed by the table's columns.
        for chunk in Self.chunks(services.map(ServiceRecord.init)) {
            try await db.insert(into: "services")
                .models(Array(chunk), keyEncodingStrategy: Self.toSnake, nilEncodingStrategy: .asNil)
                .onConflict(with: ["id"]) {
                    try $0.set(
                        excludedContentOf: chunk[chunk.startIndex], keyEncodingStrategy: Self.toSnake,
                        nilEncodingStrategy: .asNil)
                }
                .run()
        }
    }

    func insert(_ services: [Service]) async throws {
        for chunk in Self.chunks(services.map(ServiceRecord.init)) {
            try await db.insert(into: "services")
                .models(Array(chunk), keyEncodingStrategy: Self.toSnake, nilEncodingStrategy: .asNil).run()
        }
    }

    func insert(_ transitions: [StatusTransition]) async throws {
        guard !transitions.isEmpty else { return }
        for chunk in Self.chunks(transitions.map(TransitionRecord.init)) {
            try await db.insert(into: "status_transitions")
                .models(Array(chunk), keyEncodingStrategy: Self.toSnake, nilEncodingStrategy: .asNil).run()
        }
        // One look at the rollup horizon for the whole lot (see `markLateTransition`).
        guard let horizon = try await rollupClosedThrough() else { return }
        for transition in transitions where transition.at.epochMilliseconds < horizon {
            try await markRollupDirty(
                serviceId: transition.serviceId, day: SLAPeriod.dayStart(transition.at.epochMilliseconds))
        }
    }

    func insert(_ incidents: [Incident]) async throws {
        for chunk in Self.chunks(incidents.map(IncidentRecord.init)) {
            try await db.insert(into: "incidents")
                .models(Array(chunk), keyEncodingStrategy: Self.toSnake, nilEncodingStrategy: .asNil).run()
        }
    }

    func closeOpenIncidents(serviceIds: [UUID], at: Date) async throws -> [UUID: UUID] {
        var closed: [UUID: UUID] = [:]
        for chunk in Self.chunks(serviceIds.map(\.stored)) {
            let rows = try await db.raw(
                """
                UPDATE incidents SET closed_at = \(bind: at.epochMilliseconds)
                WHERE closed_at IS NULL AND service_id IN (\(binds: Array(chunk))) RETURNING id, service_id
                """
            ).all()
            for row in rows {
                guard let incident = UUID(parsing: try row.decode(column: "id", as: String.self)),
                    let service = UUID(parsing: try row.decode(column: "service_id", as: String.self))
                else { continue }
                closed[service] = incident
            }
        }
        return closed
    }

    func relinkTransition(serviceId: UUID, after at: Date, from status: ServiceStatus) async throws {
        guard
            let next = try await first(
                """
                SELECT * FROM status_transitions WHERE service_id = \(bind: serviceId.stored)
                AND at > \(bind: at.epochMilliseconds) ORDER BY at LIMIT 1
                """,
                as: TransitionRecord.self)
        else { return }
        // Kept even when it now changes nothing (from = to): a later report may still split the
        // stretch before it, and the change it records must then still be there. Written anew
        // rather than updated, so that it takes a new place in the change feed (migration 14).
        var relinked = next
        relinked.fromStatus = status.rawValue
        try await db.raw("DELETE FROM status_transitions WHERE id = \(bind: next.id)").run()
        try await insertRow("status_transitions", relinked)
        // The stretch up to `next` changed: a day already rolled up is recomputed.
        if let horizon = try await rollupClosedThrough(), next.at < horizon {
            try await markRollupDirty(serviceId: serviceId, day: SLAPeriod.dayStart(next.at))
        }
    }

    /// `items` in slices of `bulkChunk`: one statement each.
    static func chunks<T>(_ items: [T]) -> [ArraySlice<T>] {
        stride(from: 0, to: items.count, by: bulkChunk).map { items[$0..<min(items.count, $0 + bulkChunk)] }
    }
}
