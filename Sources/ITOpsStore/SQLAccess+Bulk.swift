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

    /// The compare-and-set's optional columns: name, the `VALUES` column it takes, whether a patch sets it.
    private static let patchColumns: [(column: String, value: String, setBy: @Sendable (ServicePatch) -> Bool)] = [
        ("status_changed_at", "CAST(v.column5 AS BIGINT)", { $0.statusChangedAt != nil }),
        ("message", "v.column6", { $0.message != nil }),
        ("display_name", "v.column7", { $0.displayName != nil }),
        ("criticality", "v.column8", { $0.criticality != nil }),
        ("sla_group", "v.column9", { $0.slaGroup != nil }),
        ("namespace", "v.column10", { $0.namespace != nil }),
        ("service_type", "v.column11", { $0.serviceType != nil }),
        ("tags", "v.column12", { $0.tags != nil }),
        ("expected_interval_seconds", "CAST(v.column13 AS INTEGER)", { $0.expectedIntervalSeconds != nil }),
    ]

    func updateServices(_ changes: [ServiceCompareAndSet]) async throws -> Set<UUID> {
        var applied = Set<UUID>()
        for chunk in Self.chunks(changes) {
            // VALUES columns are column1…column14 in both dialects. Integers are cast because
            // PostgreSQL types an all-NULL VALUES column as text; COALESCE keeps a field the push
            // left out. A column no push of the chunk sets is left out of SET: SQLite rewrites
            // the entries of every index on a column that SET names, whatever the value (a
            // push names neither group nor namespace, mostly), and the SLA triggers test it.
            var set = "last_seen_at = CAST(v.column3 AS BIGINT), status = v.column4"
            for (column, value, setBy) in Self.patchColumns where chunk.contains(where: { setBy($0.patch) }) {
                set += ", \(column) = COALESCE(\(value), services.\(column))"
            }
            var sql: SQLQueryString = "UPDATE services SET \(unsafeRaw: set) FROM (VALUES "
            sql =
                sql
                + Self.rows(chunk) { change in
                    let patch = change.patch
                    return "\(bind: change.id.stored), \(bind: change.expected.rawValue), \(bind: patch.lastSeenAt.epochMilliseconds), "
                        + "\(bind: patch.status.rawValue), \(bind: patch.statusChangedAt?.epochMilliseconds), \(bind: patch.message), "
                        + "\(bind: patch.displayName), \(bind: patch.criticality?.rawValue), \(bind: patch.slaGroup), "
                        + "\(bind: patch.namespace), \(bind: patch.serviceType), \(bind: patch.tags.map(ServiceRecord.encodeTags)), "
                        + "\(bind: patch.expectedIntervalSeconds), \(bind: change.notChangedAfter?.epochMilliseconds)"
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

    func update(_ services: [Service], from previous: [Service]) async throws {
        precondition(services.count == previous.count, "update(_:from:) pairs each service with its previous row")
        let pairs = zip(services.map(ServiceRecord.init), previous.map(ServiceRecord.init)).map { ($0, $1) }
        for chunk in Self.chunks(pairs) {
            // Only the columns some row of the chunk changes: an operator sync flipping 200 services
            // rewrote every column and so every index of `services` for each (the whole-row upsert).
            let columns = ServiceRecord.updatable.filter { column in chunk.contains { column.differs($0.0, $0.1) } }
            guard !columns.isEmpty else { continue }
            // VALUES columns are column1 (the id), column2… in both dialects; the casts type
            // PostgreSQL's (an all-NULL column would be text).
            let set = columns.enumerated().map { index, column in
                "\(column.name) = CAST(v.column\(index + 2) AS \(column.type))"
            }.joined(separator: ", ")
            let sql: SQLQueryString =
                "UPDATE services SET \(unsafeRaw: set) FROM (VALUES "
                + Self.rows(chunk) { pair in
                    columns.reduce("\(bind: pair.0.id)") { row, column in row + ", " + column.bind(pair.0) }
                }
                + ") AS v WHERE services.id = v.column1"
            try await db.raw(sql).run()
        }
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
        // Bound as plain values: the Codable insert builder encoded every row through a keyed
        // container (3 % of the server's CPU in the flip row's profile).
        for chunk in Self.chunks(transitions) {
            let sql: SQLQueryString =
                "INSERT INTO status_transitions (id, service_id, from_status, to_status, at, message) VALUES "
                + Self.rows(chunk) { transition in
                    "\(bind: transition.id.stored), \(bind: transition.serviceId.stored), "
                        + "\(bind: transition.from?.rawValue), \(bind: transition.to.rawValue), "
                        + "\(bind: transition.at.epochMilliseconds), \(bind: transition.message)"
                }
            try await db.raw(sql).run()
        }
        // One look at the rollup horizon for the whole lot (see `markLateTransition`).
        guard let horizon = try await rollupClosedThrough() else { return }
        for transition in transitions where transition.at.epochMilliseconds < horizon {
            try await markRollupDirty(
                serviceId: transition.serviceId, day: SLAPeriod.dayStart(transition.at.epochMilliseconds))
        }
    }

    func insert(_ incidents: [Incident]) async throws {
        for chunk in Self.chunks(incidents) {
            let sql: SQLQueryString =
                "INSERT INTO incidents (id, service_id, opened_at, closed_at, message) VALUES "
                + Self.rows(chunk) { incident in
                    "\(bind: incident.id.stored), \(bind: incident.serviceId.stored), "
                        + "\(bind: incident.openedAt.epochMilliseconds), \(bind: incident.closedAt?.epochMilliseconds), "
                        + "\(bind: incident.message)"
                }
            try await db.raw(sql).run()
        }
    }

    func closeOpenIncidents(_ closes: [(serviceId: UUID, at: Date)]) async throws -> [UUID: UUID] {
        var closed: [UUID: UUID] = [:]
        for chunk in Self.chunks(closes) {
            // VALUES columns are column1, column2 in both dialects; the cast types PostgreSQL's.
            let sql: SQLQueryString =
                "UPDATE incidents SET closed_at = CAST(v.column2 AS BIGINT) FROM (VALUES "
                + Self.rows(chunk) { "\(bind: $0.serviceId.stored), \(bind: $0.at.epochMilliseconds)" }
                + ") AS v WHERE incidents.closed_at IS NULL AND incidents.service_id = v.column1"
                + " RETURNING incidents.id AS id, incidents.service_id AS service_id"
            for row in try await db.raw(sql).all() {
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

    /// `(…), (…), …`: one parenthesised row of a multi-row `VALUES` list per item.
    static func rows<C: Collection>(_ items: C, _ row: (C.Element) -> SQLQueryString) -> SQLQueryString {
        // `+=` appends in place; `+` nests both sides in a new string, and a statement of a few
        // hundred rows became a tree as deep as its rows, walked again to serialise it.
        var sql: SQLQueryString = ""
        for (index, item) in items.enumerated() {
            sql += index == 0 ? "(" : ", ("
            sql += row(item)
            sql += ")"
        }
        return sql
    }

    /// `items` in slices of `bulkChunk`: one statement each.
    static func chunks<T>(_ items: [T]) -> [ArraySlice<T>] {
        stride(from: 0, to: items.count, by: bulkChunk).map { items[$0..<min(items.count, $0 + bulkChunk)] }
    }
}
