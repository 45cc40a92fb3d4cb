import Foundation
import ITOpsCore
import SQLKit

struct SLADefinitionRecord: Codable, Sendable {
    var name: String
    var tier: String
    var targetPercent: Double
    var atRiskBudgetFraction: Double
    var updatedAt: Int64

    init(_ d: SLADefinition) {
        name = d.name
        tier = d.tier.rawValue
        targetPercent = d.targetPercent
        atRiskBudgetFraction = d.atRiskBudgetFraction
        updatedAt = d.updatedAt.epochMilliseconds
    }

    func domain() throws -> SLADefinition {
        SLADefinition(
            name: name, tier: try vocabulary(tier), targetPercent: targetPercent,
            atRiskBudgetFraction: atRiskBudgetFraction, updatedAt: Date(epochMilliseconds: updatedAt))
    }
}

struct ExclusionWindowRecord: Codable, Sendable {
    var id: String
    var serviceId: String
    var reason: String?
    var startedAt: Int64
    var expectedEndAt: Int64?
    var endedAt: Int64?
    var startedBy: String?

    init(_ w: ExclusionWindow) {
        id = w.id.stored
        serviceId = w.serviceId.stored
        reason = w.reason
        startedAt = w.startedAt.epochMilliseconds
        expectedEndAt = w.expectedEndAt?.epochMilliseconds
        endedAt = w.endedAt?.epochMilliseconds
        startedBy = w.startedBy
    }

    func domain() throws -> ExclusionWindow {
        ExclusionWindow(
            id: try uuid(id), serviceId: try uuid(serviceId), reason: reason,
            startedAt: Date(epochMilliseconds: startedAt),
            expectedEndAt: expectedEndAt.map(Date.init(epochMilliseconds:)),
            endedAt: endedAt.map(Date.init(epochMilliseconds:)), startedBy: startedBy)
    }
}

struct RollupRecord: Codable, Sendable, RowDecodable {
    var period: String
    var kind: String
    var scopeId: String
    var periodStart: Int64
    var policy: String
    var upMs: Int64
    var degradedMs: Int64
    var downMs: Int64
    var unknownMs: Int64
    var excludedMs: Int64
    var incidents: Int
    var endStatus: String?
    var tier: String?

    init(row: any SQLRow) throws {
        period = try row.value("period")
        kind = try row.value("kind")
        scopeId = try row.value("scope_id")
        periodStart = try row.value("period_start")
        policy = try row.value("policy")
        upMs = try row.value("up_ms")
        degradedMs = try row.value("degraded_ms")
        downMs = try row.value("down_ms")
        unknownMs = try row.value("unknown_ms")
        excludedMs = try row.value("excluded_ms")
        incidents = try row.value("incidents")
        endStatus = try row.optional("end_status")
        tier = try row.optional("tier")
    }

    init(_ r: SLARollup) {
        period = r.monthly ? "M" : "D"
        kind = r.kind.rawValue
        scopeId = r.scopeId
        periodStart = r.periodStart
        policy = r.policy.rawValue
        upMs = r.figures.upMs
        degradedMs = r.figures.degradedMs
        downMs = r.figures.downMs
        unknownMs = r.figures.unknownMs
        excludedMs = r.figures.excludedMs
        incidents = r.figures.incidents
        endStatus = r.endStatus?.rawValue
        tier = r.tier
    }

    func domain() throws -> SLARollup {
        guard let kind = SLAScopeKind(rawValue: kind) else {
            throw CorruptRow(description: "'\(kind)' is not a rollup kind")
        }
        return SLARollup(
            kind: kind, scopeId: scopeId, periodStart: periodStart, monthly: period == "M",
            policy: try vocabulary(policy),
            figures: AvailabilityFigures(
                upMs: upMs, degradedMs: degradedMs, downMs: downMs, unknownMs: unknownMs, excludedMs: excludedMs,
                incidents: incidents),
            endStatus: try endStatus.map(vocabulary), tier: tier)
    }
}

struct SLAReportRow: Codable, Sendable {
    var day: String
    var generatedAt: Int64
    var document: String
}

struct BurnAlertRecord: Codable, Sendable, RowDecodable {
    var kind: String
    var scopeId: String
    var rule: String
    var raisedAt: Int64

    init(kind: String, scopeId: String, rule: String, raisedAt: Int64) {
        (self.kind, self.scopeId, self.rule, self.raisedAt) = (kind, scopeId, rule, raisedAt)
    }

    init(row: any SQLRow) throws {
        kind = try row.value("kind")
        scopeId = try row.value("scope_id")
        rule = try row.value("rule")
        raisedAt = try row.value("raised_at")
    }
}

// The SLA engine's tables: definitions, exclusion windows, rollups, reports and alert state.
extension SQLAccess {
    private static let figureColumns = ["up_ms", "degraded_ms", "down_ms", "unknown_ms", "excluded_ms", "incidents"]

    func slaDefinitions() async throws -> [SLADefinition] {
        try await all("SELECT * FROM sla_definitions ORDER BY target_percent DESC", as: SLADefinitionRecord.self)
            .map { try $0.domain() }
    }

    func upsert(_ definition: SLADefinition) async throws {
        try await db.insert(into: "sla_definitions")
            .model(SLADefinitionRecord(definition), keyEncodingStrategy: Self.toSnake)
            .onConflict(with: ["tier"]) {
                $0.set(excludedValueOf: "name").set(excludedValueOf: "target_percent")
                    .set(excludedValueOf: "at_risk_budget_fraction").set(excludedValueOf: "updated_at")
            }
            .run()
    }

    // MARK: Exclusion windows

    func exclusionWindows(serviceId: UUID) async throws -> [ExclusionWindow] {
        try await all(
            "SELECT * FROM exclusion_windows WHERE service_id = \(bind: serviceId.stored) ORDER BY started_at",
            as: ExclusionWindowRecord.self
        ).map { try $0.domain() }
    }

    func exclusionWindows(from: Date, to: Date) async throws -> [ExclusionWindow] {
        try await all(
            """
            SELECT * FROM exclusion_windows WHERE started_at < \(bind: to.epochMilliseconds)
            AND (ended_at IS NULL OR ended_at > \(bind: from.epochMilliseconds)) ORDER BY started_at
            """,
            as: ExclusionWindowRecord.self
        ).map { try $0.domain() }
    }

    func recentExclusionWindows(limit: Int) async throws -> [ExclusionWindow] {
        try await all(
            "SELECT * FROM exclusion_windows ORDER BY started_at DESC, id LIMIT \(bind: limit)",
            as: ExclusionWindowRecord.self
        ).map { try $0.domain() }
    }

    func insert(_ window: ExclusionWindow) async throws {
        try await insertRow("exclusion_windows", ExclusionWindowRecord(window))
    }

    func update(_ window: ExclusionWindow) async throws {
        try await updateRow("exclusion_windows", id: window.id.stored, ExclusionWindowRecord(window))
    }

    // MARK: History for the SLA math

    func transitions(from: Date, to: Date) async throws -> [StatusTransition] {
        try await all(
            """
            SELECT * FROM status_transitions
            WHERE at >= \(bind: from.epochMilliseconds) AND at < \(bind: to.epochMilliseconds) ORDER BY at, seq
            """,
            as: TransitionRecord.self
        ).map { try $0.domain() }
    }

    func transitions(serviceId: UUID, from: Date) async throws -> [StatusTransition] {
        try await all(
            """
            SELECT * FROM status_transitions
            WHERE service_id = \(bind: serviceId.stored) AND at >= \(bind: from.epochMilliseconds) ORDER BY at, seq
            """,
            as: TransitionRecord.self
        ).map { try $0.domain() }
    }

    func lastTransition(serviceId: UUID, before at: Date) async throws -> StatusTransition? {
        try await first(
            """
            SELECT * FROM status_transitions
            WHERE service_id = \(bind: serviceId.stored) AND at < \(bind: at.epochMilliseconds)
            ORDER BY at DESC LIMIT 1
            """,
            as: TransitionRecord.self)?.domain()
    }

    func incidents(from: Date, to: Date, limit: Int) async throws -> [Incident] {
        try await all(
            """
            SELECT * FROM incidents WHERE opened_at < \(bind: to.epochMilliseconds)
            AND (closed_at IS NULL OR closed_at > \(bind: from.epochMilliseconds))
            ORDER BY opened_at DESC LIMIT \(bind: limit)
            """,
            as: IncidentRecord.self
        ).map { try $0.domain() }
    }

    // MARK: Rollups

    func rollups(
        kind: SLAScopeKind, scopeId: String?, monthly: Bool, from: Int64, to: Int64, policy: UnknownPolicy
    ) async throws -> [SLARollup] {
        var sql: SQLQueryString = """
            SELECT * FROM sla_rollups WHERE period = \(bind: monthly ? "M" : "D") AND kind = \(bind: kind.rawValue)
            AND period_start >= \(bind: from) AND period_start < \(bind: to) AND policy = \(bind: policy.rawValue)
            """
        if let scopeId { sql = sql + " AND scope_id = \(bind: scopeId)" }
        return try await all(sql + " ORDER BY period_start, scope_id", as: RollupRecord.self).map { try $0.domain() }
    }

    func save(_ rollups: [SLARollup]) async throws {
        // Bounded batches keep each statement under SQLite's bind limit.
        for chunk in stride(from: 0, to: rollups.count, by: 500).map({ rollups[$0..<min($0 + 500, rollups.count)] }) {
            try await db.insert(into: "sla_rollups")
                .models(chunk.map(RollupRecord.init), keyEncodingStrategy: Self.toSnake, nilEncodingStrategy: .asNil)
                .onConflict(with: ["period", "kind", "scope_id", "period_start", "policy"]) { conflict in
                    var conflict = conflict
                    for column in Self.figureColumns + ["end_status", "tier"] {
                        conflict = conflict.set(excludedValueOf: column)
                    }
                    return conflict
                }
                .run()
        }
    }

    func rebuildMonthRollups(monthStart: Int64, nextMonthStart: Int64, policy: UnknownPolicy) async throws {
        try await db.raw("UPDATE sla_rollup_generation SET generation = generation + 1 WHERE id = 1").run()
        try await db.raw(
            "DELETE FROM sla_rollups WHERE period = 'M' AND period_start = \(bind: monthStart) AND policy = \(bind: policy.rawValue)"
        ).run()
        try await db.raw(
            """
            INSERT INTO sla_rollups (period, kind, scope_id, period_start, policy, up_ms, degraded_ms, down_ms,
                unknown_ms, excluded_ms, incidents, end_status, tier)
            SELECT 'M', kind, scope_id, CAST(\(bind: monthStart) AS BIGINT), policy, SUM(up_ms), SUM(degraded_ms), SUM(down_ms),
                SUM(unknown_ms), SUM(excluded_ms), SUM(incidents), NULL, MAX(tier)
            FROM sla_rollups
            WHERE period = 'D' AND period_start >= \(bind: monthStart) AND period_start < \(bind: nextMonthStart)
                AND policy = \(bind: policy.rawValue)
            GROUP BY kind, scope_id, policy
            """
        ).run()
    }

    func rebuildTierRollups(day: Int64, policy: UnknownPolicy) async throws {
        try await db.raw(
            "DELETE FROM sla_rollups WHERE period = 'D' AND kind = 'tier' AND period_start = \(bind: day) AND policy = \(bind: policy.rawValue)"
        ).run()
        try await db.raw(
            """
            INSERT INTO sla_rollups (period, kind, scope_id, period_start, policy, up_ms, degraded_ms, down_ms,
                unknown_ms, excluded_ms, incidents, end_status, tier)
            SELECT 'D', 'tier', COALESCE(tier, '\(unsafeRaw: noSLATier)'), CAST(\(bind: day) AS BIGINT), policy, SUM(up_ms), SUM(degraded_ms),
                SUM(down_ms), SUM(unknown_ms), SUM(excluded_ms), SUM(incidents), NULL, NULL
            FROM sla_rollups
            WHERE period = 'D' AND kind = 'service' AND period_start = \(bind: day) AND policy = \(bind: policy.rawValue)
            GROUP BY COALESCE(tier, '\(unsafeRaw: noSLATier)'), policy
            """
        ).run()
    }

    // MARK: The change feed of the live SLA month (migration 14)

    func slaInputsVersion() async throws -> Int64 {
        try await db.raw("SELECT version FROM sla_inputs WHERE id = 1").first()?.optional("version", Int64.self) ?? 0
    }

    private var onPostgres: Bool { db.dialect.name == "postgresql" }

    func transitionFeedCursor() async throws -> SLAFeedCursor {
        let sql: SQLQueryString =
            onPostgres
            ? "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS position"
            : "SELECT COALESCE(MAX(seq), 0) AS position FROM status_transitions"
        return SLAFeedCursor(position: try await db.raw(sql).first()?.optional("position", Int64.self) ?? 0)
    }

    func sequencedTransitions(from: Int64) async throws -> [SequencedTransition] {
        try await db.raw(
            """
            SELECT seq, id, service_id, from_status, to_status, at, message FROM status_transitions
            WHERE at >= \(bind: from) ORDER BY at, seq
            """
        ).all().map(Self.sequenced)
    }

    func transitionFeed(after cursor: SLAFeedCursor) async throws -> (
        transitions: [SequencedTransition], next: SLAFeedCursor
    ) {
        guard onPostgres else {
            let rows = try await db.raw(
                """
                SELECT seq, id, service_id, from_status, to_status, at, message FROM status_transitions
                WHERE seq > \(bind: cursor.position) ORDER BY seq
                """
            ).all().map(Self.sequenced)
            return (rows, SLAFeedCursor(position: rows.last?.seq ?? cursor.position))
        }
        // Everything written by a transaction at or after the oldest one still running at the last
        // look, and the oldest one running now, read in one snapshot.
        let rows = try await db.raw(
            """
            WITH now_running AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS position)
            SELECT now_running.position, t.seq, t.id, t.service_id, t.from_status, t.to_status, t.at, t.message
            FROM now_running LEFT JOIN status_transitions t ON t.txid >= \(bind: cursor.position)::text::xid8
            ORDER BY t.seq
            """
        ).all()
        let next = try rows.first?.optional("position", Int64.self) ?? cursor.position
        let transitions = try rows.filter { try $0.optional("seq", Int64.self) != nil }.map(Self.sequenced)
        return (transitions, SLAFeedCursor(position: max(next, cursor.position)))
    }

    private static func sequenced(_ row: any SQLRow) throws -> SequencedTransition {
        SequencedTransition(seq: try row.value("seq"), transition: try TransitionRecord(row: row).domain())
    }

    func rollupVersion(policy: UnknownPolicy) async throws -> SLARollupVersion {
        let row = try await db.raw(
            """
            SELECT (SELECT closed_through FROM sla_rollup_horizon WHERE policy = \(bind: policy.rawValue)) AS horizon,
            (SELECT generation FROM sla_rollup_generation WHERE id = 1) AS generation
            """
        ).first()
        return SLARollupVersion(
            horizon: try row?.optional("horizon", Int64.self), generation: try row?.optional("generation", Int64.self) ?? 0)
    }

    func rollupHorizon(policy: UnknownPolicy) async throws -> Int64? {
        try await db.raw("SELECT closed_through FROM sla_rollup_horizon WHERE policy = \(bind: policy.rawValue)")
            .first()?.decode(column: "closed_through", as: Int64.self)
    }

    func setRollupHorizon(_ day: Int64, policy: UnknownPolicy) async throws {
        try await db.insert(into: "sla_rollup_horizon").columns("policy", "closed_through")
            .values(SQLBind(policy.rawValue), SQLBind(day))
            .onConflict(with: ["policy"]) { $0.set(excludedValueOf: "closed_through") }
            .run()
    }

    func dirtyRollupDays(limit: Int) async throws -> [(serviceId: UUID, day: Int64)] {
        try await db.raw("SELECT service_id, day FROM sla_rollup_dirty ORDER BY day LIMIT \(bind: limit)").all().map {
            (
                try uuid(try $0.decode(column: "service_id", as: String.self)),
                try $0.decode(column: "day", as: Int64.self)
            )
        }
    }

    func markRollupDirty(serviceId: UUID, day: Int64) async throws {
        try await db.insert(into: "sla_rollup_dirty").columns("service_id", "day")
            .values(SQLBind(serviceId.stored), SQLBind(day))
            .ignoringConflicts()
            .run()
    }

    func clearRollupDirty(serviceId: UUID, day: Int64) async throws {
        try await db.raw(
            "DELETE FROM sla_rollup_dirty WHERE service_id = \(bind: serviceId.stored) AND day = \(bind: day)"
        ).run()
    }

    /// A transition that lands in a day already rolled up (a clock behind the others, a late
    /// write) marks that day for recomputation, so rollups never keep a wrong figure.
    func markLateTransition(_ transition: StatusTransition) async throws {
        let at = transition.at.epochMilliseconds
        guard let horizon = try await rollupClosedThrough(), at < horizon else { return }
        try await markRollupDirty(serviceId: transition.serviceId, day: SLAPeriod.dayStart(at))
    }

    /// The latest day any rollup has closed (epoch ms), `nil` before the first rollup.
    func rollupClosedThrough() async throws -> Int64? {
        try await db.raw("SELECT MAX(closed_through) AS horizon FROM sla_rollup_horizon").first()?
            .decode(column: "horizon", as: Int64?.self)
    }

    // MARK: Reports and alerts

    func slaReports(limit: Int) async throws -> [SLAReportRecord] {
        try await all("SELECT * FROM sla_reports ORDER BY day DESC LIMIT \(bind: limit)", as: SLAReportRow.self).map {
            SLAReportRecord(date: $0.day, generatedAt: Date(epochMilliseconds: $0.generatedAt), document: $0.document)
        }
    }

    func slaReport(date: String) async throws -> SLAReportRecord? {
        try await first("SELECT * FROM sla_reports WHERE day = \(bind: date)", as: SLAReportRow.self).map {
            SLAReportRecord(date: $0.day, generatedAt: Date(epochMilliseconds: $0.generatedAt), document: $0.document)
        }
    }

    func save(_ report: SLAReportRecord) async throws {
        try await db.insert(into: "sla_reports")
            .model(
                SLAReportRow(
                    day: report.date, generatedAt: report.generatedAt.epochMilliseconds, document: report.document),
                keyEncodingStrategy: Self.toSnake
            )
            .onConflict(with: ["day"]) { $0.set(excludedValueOf: "generated_at").set(excludedValueOf: "document") }
            .run()
    }

    func burnAlerts() async throws -> [BurnAlertState] {
        try await all("SELECT * FROM sla_burn_alerts", as: BurnAlertRecord.self).compactMap { record in
            SLAScopeKind(rawValue: record.kind).map {
                BurnAlertState(
                    kind: $0, scopeId: record.scopeId, rule: record.rule,
                    raisedAt: Date(epochMilliseconds: record.raisedAt))
            }
        }
    }

    func raise(_ alert: BurnAlertState) async throws {
        try await db.insert(into: "sla_burn_alerts")
            .model(
                BurnAlertRecord(
                    kind: alert.kind.rawValue, scopeId: alert.scopeId, rule: alert.rule,
                    raisedAt: alert.raisedAt.epochMilliseconds), keyEncodingStrategy: Self.toSnake
            )
            .ignoringConflicts()
            .run()
    }

    func clear(_ alert: BurnAlertState) async throws {
        try await db.raw(
            """
            DELETE FROM sla_burn_alerts WHERE kind = \(bind: alert.kind.rawValue)
            AND scope_id = \(bind: alert.scopeId) AND rule = \(bind: alert.rule)
            """
        ).run()
    }
}
