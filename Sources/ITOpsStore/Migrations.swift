import Foundation
import ITOpsCore
import Logging
import SQLKit

/// One numbered, append-only schema change.
///
/// Migrations are applied in order at start-up and recorded in `schema_migrations`; a migration
/// that has run is never edited — a change is a new migration.
struct Migration: Sendable {
    let version: Int
    let name: String
    let statements: [String]
    /// Statements that only one dialect needs, run after `statements`.
    var sqlite: [String] = []
    var postgres: [String] = []

    /// What runs on a database of `dialect` (`SQLDialect.name`).
    func statements(for dialect: String) -> [String] {
        statements + (dialect == "postgresql" ? postgres : sqlite)
    }
}

/// The schema's history. SQL here is written to run unchanged on SQLite and PostgreSQL:
/// `TEXT`, `BIGINT` (epoch milliseconds), `INTEGER`, `BOOLEAN`, no dialect-specific defaults.
enum Migrations {
    static let all: [Migration] = [
        Migration(
            version: 1, name: "inventory",
            statements: [
                """
                CREATE TABLE nodes (
                    id TEXT PRIMARY KEY,
                    parent_id TEXT,
                    depth INTEGER NOT NULL,
                    created_at BIGINT NOT NULL,
                    last_heartbeat_at BIGINT,
                    agent_version TEXT,
                    watched_services INTEGER,
                    healthy_services INTEGER,
                    unhealthy_services INTEGER,
                    silent BOOLEAN NOT NULL
                )
                """,
                "CREATE INDEX nodes_heartbeat ON nodes (silent, last_heartbeat_at)",
                """
                CREATE TABLE sla_groups (
                    name TEXT PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    display_name TEXT,
                    tier TEXT NOT NULL
                )
                """,
                """
                CREATE TABLE services (
                    id TEXT PRIMARY KEY,
                    node_id TEXT NOT NULL REFERENCES nodes (id),
                    name TEXT NOT NULL,
                    display_name TEXT,
                    status TEXT NOT NULL,
                    message TEXT,
                    criticality TEXT,
                    service_type TEXT,
                    tags TEXT NOT NULL,
                    namespace TEXT,
                    workload_type TEXT,
                    replicas INTEGER,
                    ready_replicas INTEGER,
                    sla_group TEXT,
                    source TEXT NOT NULL,
                    registered BOOLEAN NOT NULL,
                    backup_expected BOOLEAN NOT NULL,
                    backup_max_age_days INTEGER NOT NULL,
                    last_backup_at BIGINT,
                    last_backup_status TEXT,
                    last_backup_success_at BIGINT,
                    backup_overdue BOOLEAN NOT NULL,
                    expected_interval_seconds INTEGER,
                    last_seen_at BIGINT NOT NULL,
                    status_changed_at BIGINT NOT NULL,
                    created_at BIGINT NOT NULL,
                    UNIQUE (node_id, name)
                )
                """,
                "CREATE INDEX services_group ON services (sla_group)",
                "CREATE INDEX services_namespace ON services (namespace)",
                "CREATE INDEX services_push_staleness ON services (source, status, last_seen_at)",
                """
                CREATE TABLE status_transitions (
                    id TEXT PRIMARY KEY,
                    service_id TEXT NOT NULL REFERENCES services (id),
                    from_status TEXT,
                    to_status TEXT NOT NULL,
                    at BIGINT NOT NULL,
                    message TEXT
                )
                """,
                "CREATE INDEX status_transitions_service_at ON status_transitions (service_id, at)",
                """
                CREATE TABLE incidents (
                    id TEXT PRIMARY KEY,
                    service_id TEXT NOT NULL REFERENCES services (id),
                    opened_at BIGINT NOT NULL,
                    closed_at BIGINT,
                    message TEXT
                )
                """,
                "CREATE INDEX incidents_service ON incidents (service_id, closed_at)",
                """
                CREATE TABLE backup_reports (
                    id TEXT PRIMARY KEY,
                    service_id TEXT NOT NULL REFERENCES services (id),
                    status TEXT NOT NULL,
                    size_bytes BIGINT,
                    message TEXT,
                    reported_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX backup_reports_service ON backup_reports (service_id, reported_at)",
                """
                CREATE TABLE storage_reports (
                    id TEXT PRIMARY KEY,
                    service_id TEXT NOT NULL REFERENCES services (id),
                    allocated_bytes BIGINT NOT NULL,
                    used_bytes BIGINT NOT NULL,
                    free_percent INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    storage_type TEXT,
                    mount_path TEXT,
                    reported_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX storage_reports_service ON storage_reports (service_id, reported_at)",
                """
                CREATE TABLE exclusion_windows (
                    id TEXT PRIMARY KEY,
                    service_id TEXT NOT NULL REFERENCES services (id),
                    reason TEXT,
                    started_at BIGINT NOT NULL,
                    expected_end_at BIGINT,
                    ended_at BIGINT
                )
                """,
                "CREATE INDEX exclusion_windows_service ON exclusion_windows (service_id, ended_at)",
            ]),
        Migration(
            version: 2, name: "identity",
            statements: [
                """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY,
                    email TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    role TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE refresh_tokens (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users (id),
                    token_hash TEXT NOT NULL UNIQUE,
                    family_id TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    used_at BIGINT,
                    revoked_at BIGINT
                )
                """,
                "CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)",
                "CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)",
                """
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    key_hash TEXT NOT NULL UNIQUE,
                    prefix TEXT NOT NULL,
                    role TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    revoked_at BIGINT,
                    bootstrap BOOLEAN NOT NULL
                )
                """,
            ]),
        Migration(
            version: 3, name: "licensing",
            statements: [
                // One row (id 1): trial start recorded at first start, the active license token.
                """
                CREATE TABLE license_settings (
                    id INTEGER PRIMARY KEY,
                    trial_started_at BIGINT NOT NULL,
                    license_token TEXT,
                    activated_at BIGINT,
                    updated_at BIGINT NOT NULL
                )
                """
            ]),
        Migration(
            version: 4, name: "sla",
            statements: [
                // One definition per tier; the defaults of SPEC §4 are inserted at start-up when missing.
                """
                CREATE TABLE sla_definitions (
                    name TEXT PRIMARY KEY,
                    tier TEXT NOT NULL UNIQUE,
                    target_percent DOUBLE PRECISION NOT NULL,
                    at_risk_budget_fraction DOUBLE PRECISION NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                "ALTER TABLE exclusion_windows ADD COLUMN started_by TEXT",
                "CREATE INDEX exclusion_windows_started ON exclusion_windows (started_at)",
                // Rollups of whole days (period 'D') and of the closed days of a month ('M').
                """
                CREATE TABLE sla_rollups (
                    period TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    scope_id TEXT NOT NULL,
                    period_start BIGINT NOT NULL,
                    policy TEXT NOT NULL,
                    up_ms BIGINT NOT NULL,
                    degraded_ms BIGINT NOT NULL,
                    down_ms BIGINT NOT NULL,
                    unknown_ms BIGINT NOT NULL,
                    excluded_ms BIGINT NOT NULL,
                    incidents INTEGER NOT NULL,
                    end_status TEXT,
                    tier TEXT,
                    PRIMARY KEY (period, kind, scope_id, period_start, policy)
                )
                """,
                "CREATE INDEX sla_rollups_time ON sla_rollups (period, kind, period_start)",
                // Per policy: the start of the first day not yet rolled up.
                """
                CREATE TABLE sla_rollup_horizon (
                    policy TEXT PRIMARY KEY,
                    closed_through BIGINT NOT NULL
                )
                """,
                // Days of a service that received data after they were rolled up.
                """
                CREATE TABLE sla_rollup_dirty (
                    service_id TEXT NOT NULL,
                    day BIGINT NOT NULL,
                    PRIMARY KEY (service_id, day)
                )
                """,
                "CREATE INDEX status_transitions_at ON status_transitions (at)",
                "CREATE INDEX incidents_opened ON incidents (opened_at)",
                """
                CREATE TABLE sla_reports (
                    day TEXT PRIMARY KEY,
                    generated_at BIGINT NOT NULL,
                    document TEXT NOT NULL
                )
                """,
                """
                CREATE TABLE sla_burn_alerts (
                    kind TEXT NOT NULL,
                    scope_id TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    raised_at BIGINT NOT NULL,
                    PRIMARY KEY (kind, scope_id, rule)
                )
                """,
            ]),
        Migration(
            version: 5, name: "outbound",
            statements: [
                // events: JSON array of event names. secret: plain, it is an HMAC key (never returned by the API).
                """
                CREATE TABLE webhooks (
                    id TEXT PRIMARY KEY,
                    url TEXT NOT NULL,
                    events TEXT NOT NULL,
                    secret TEXT NOT NULL,
                    enabled BOOLEAN NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                // One row per (webhook, event): every instance that sees the event enqueues the same key,
                // the first insert wins. lease_until: the instance delivering it holds it until then.
                """
                CREATE TABLE webhook_deliveries (
                    id TEXT PRIMARY KEY,
                    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
                    event TEXT NOT NULL,
                    event_key TEXT NOT NULL,
                    body TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    http_code INTEGER,
                    error TEXT,
                    duration_ms INTEGER,
                    created_at BIGINT NOT NULL,
                    next_attempt_at BIGINT,
                    lease_until BIGINT,
                    completed_at BIGINT,
                    UNIQUE (webhook_id, event_key)
                )
                """,
                "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)",
                "CREATE INDEX webhook_deliveries_history ON webhook_deliveries (webhook_id, created_at)",
                // filter and steps: JSON.
                """
                CREATE TABLE workflows (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    description TEXT,
                    enabled BOOLEAN NOT NULL,
                    event TEXT NOT NULL,
                    filter TEXT NOT NULL,
                    steps TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE workflow_executions (
                    id TEXT PRIMARY KEY,
                    workflow_id TEXT NOT NULL REFERENCES workflows (id),
                    workflow_name TEXT NOT NULL,
                    event TEXT NOT NULL,
                    event_key TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    status TEXT NOT NULL,
                    next_step INTEGER NOT NULL,
                    steps TEXT NOT NULL,
                    error TEXT,
                    created_at BIGINT NOT NULL,
                    resume_at BIGINT,
                    lease_until BIGINT,
                    finished_at BIGINT,
                    UNIQUE (workflow_id, event_key)
                )
                """,
                "CREATE INDEX workflow_executions_due ON workflow_executions (status, resume_at)",
                "CREATE INDEX workflow_executions_history ON workflow_executions (workflow_id, created_at)",
                """
                CREATE TABLE service_catalog (
                    service_id TEXT PRIMARY KEY REFERENCES services (id),
                    owner TEXT,
                    runbook_url TEXT
                )
                """,
            ]),
        Migration(
            version: 6, name: "tickets",
            statements: [
                // number: ITOPS-<number>, allocated from ticket_counter inside the inserting write.
                // labels: JSON array. dedupe_key: the cause of an automatic ticket.
                """
                CREATE TABLE tickets (
                    id TEXT PRIMARY KEY,
                    number BIGINT NOT NULL UNIQUE,
                    title TEXT NOT NULL,
                    description TEXT NOT NULL,
                    status TEXT NOT NULL,
                    priority TEXT NOT NULL,
                    service_id TEXT,
                    sla_group TEXT,
                    assignee_id TEXT,
                    reporter_kind TEXT NOT NULL,
                    reporter_id TEXT,
                    reporter_name TEXT NOT NULL,
                    labels TEXT NOT NULL,
                    source TEXT NOT NULL,
                    dedupe_key TEXT,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    acknowledged_at BIGINT,
                    resolved_at BIGINT
                )
                """,
                // At most one open ticket per automatic cause, whichever instance writes it.
                """
                CREATE UNIQUE INDEX tickets_open_cause ON tickets (dedupe_key)
                WHERE dedupe_key IS NOT NULL AND status IN ('open', 'acknowledged', 'in_progress')
                """,
                "CREATE INDEX tickets_status ON tickets (status, number)",
                "CREATE INDEX tickets_service ON tickets (service_id, number)",
                "CREATE INDEX tickets_assignee ON tickets (assignee_id, number)",
                """
                CREATE TABLE ticket_counter (
                    name TEXT PRIMARY KEY,
                    value BIGINT NOT NULL
                )
                """,
                "INSERT INTO ticket_counter (name, value) VALUES ('ticket', 0)",
                """
                CREATE TABLE ticket_timeline (
                    id TEXT PRIMARY KEY,
                    ticket_id TEXT NOT NULL REFERENCES tickets (id),
                    position INTEGER NOT NULL,
                    at BIGINT NOT NULL,
                    actor_kind TEXT NOT NULL,
                    actor_id TEXT,
                    actor_name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    field TEXT,
                    before_value TEXT,
                    after_value TEXT,
                    body TEXT
                )
                """,
                // position: the order entries were written in, per ticket (several share one instant).
                "CREATE UNIQUE INDEX ticket_timeline_ticket ON ticket_timeline (ticket_id, position)",
            ]),
        Migration(
            version: 7, name: "audit",
            statements: [
                // seq: the chain's order (from 1, no gaps); hash: SHA-256 over the entry and prev_hash.
                """
                CREATE TABLE audit_log (
                    seq BIGINT PRIMARY KEY,
                    at BIGINT NOT NULL,
                    actor_kind TEXT NOT NULL,
                    actor_id TEXT,
                    actor_name TEXT,
                    action TEXT NOT NULL,
                    target_type TEXT,
                    target_id TEXT,
                    summary TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    client TEXT,
                    request_id TEXT,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                )
                """,
                "CREATE INDEX audit_log_at ON audit_log (at)",
                "CREATE INDEX audit_log_target ON audit_log (target_type, target_id)",
                // 'head': the newest entry written; 'pruned': the last entry retention removed.
                """
                CREATE TABLE audit_anchors (
                    name TEXT PRIMARY KEY,
                    seq BIGINT NOT NULL,
                    hash TEXT NOT NULL,
                    at BIGINT NOT NULL
                )
                """,
            ]),
        Migration(
            version: 8, name: "sla-rollup-generation",
            statements: [
                // Counts rebuilds of month rollups: with the horizon, it tells every instance whether the
                // closed part of a month it keeps in memory is still what the table holds.
                "CREATE TABLE sla_rollup_generation (id INTEGER PRIMARY KEY, generation BIGINT NOT NULL)",
                "INSERT INTO sla_rollup_generation (id, generation) VALUES (1, 0)",
            ]),
        Migration(
            version: 9, name: "user-identity",
            statements: [
                // Who a user is beyond email and password: where they sign in (local, ldap, oidc) and the
                // directory's stable id for them, whether an admin disabled them, when they last signed in,
                // and a counter that, when bumped, invalidates every access token issued before.
                "ALTER TABLE users ADD COLUMN display_name TEXT",
                "ALTER TABLE users ADD COLUMN provider TEXT NOT NULL DEFAULT 'local'",
                "ALTER TABLE users ADD COLUMN external_subject TEXT",
                "ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE",
                "ALTER TABLE users ADD COLUMN last_sign_in_at BIGINT",
                "ALTER TABLE users ADD COLUMN credentials_version BIGINT NOT NULL DEFAULT 0",
                "CREATE UNIQUE INDEX users_external_subject ON users (provider, external_subject)",
            ]),
        Migration(
            version: 10, name: "credentials",
            statements: [
                // One-time tokens an admin hands a user to set a new password; only their SHA-256 is kept.
                """
                CREATE TABLE password_resets (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users (id),
                    token_hash TEXT NOT NULL UNIQUE,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    used_at BIGINT
                )
                """,
                "CREATE INDEX password_resets_user ON password_resets (user_id)",
                // Every instance reads the recently revoked sessions every few seconds.
                "CREATE INDEX refresh_tokens_revoked ON refresh_tokens (revoked_at)",
                // API keys: an optional expiry, when last used (written at most once a minute), and an
                // optional node scope (a JSON array of hierarchy prefixes; NULL is everything).
                "ALTER TABLE api_keys ADD COLUMN expires_at BIGINT",
                "ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT",
                "ALTER TABLE api_keys ADD COLUMN node_scope TEXT",
            ]),
        Migration(
            version: 11, name: "sign-in-flows",
            statements: [
                // OIDC sign-ins in progress (state, nonce, PKCE verifier) and the one-time codes the console
                // exchanges for a session: in the database so any instance can finish what another started.
                // Both are short-lived and deleted when used.
                """
                CREATE TABLE sign_in_flows (
                    state_hash TEXT PRIMARY KEY,
                    nonce TEXT NOT NULL,
                    code_verifier TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX sign_in_flows_expiry ON sign_in_flows (expires_at)",
                """
                CREATE TABLE sign_in_codes (
                    code_hash TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX sign_in_codes_expiry ON sign_in_codes (expires_at)",
            ]),
        Migration(
            version: 12, name: "notifications",
            statements: [
                // config: JSON of the kind's typed configuration, secrets included (they are credentials
                // ITOps must send, so they cannot be hashed; the API never returns them).
                """
                CREATE TABLE notification_channels (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    enabled BOOLEAN NOT NULL,
                    config TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                // definition: JSON of the rule (events, filters, channel names, quiet hours, interval, digest).
                """
                CREATE TABLE notification_rules (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    enabled BOOLEAN NOT NULL,
                    definition TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
                // The same shape, queue and lease as webhook_deliveries (migration 5).
                """
                CREATE TABLE notification_deliveries (
                    id TEXT PRIMARY KEY,
                    channel_id TEXT NOT NULL REFERENCES notification_channels (id),
                    rule_id TEXT,
                    event TEXT NOT NULL,
                    event_key TEXT NOT NULL,
                    message TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    http_code INTEGER,
                    error TEXT,
                    duration_ms INTEGER,
                    created_at BIGINT NOT NULL,
                    next_attempt_at BIGINT,
                    lease_until BIGINT,
                    completed_at BIGINT,
                    UNIQUE (channel_id, event_key)
                )
                """,
                "CREATE INDEX notification_deliveries_due ON notification_deliveries (status, next_attempt_at)",
                "CREATE INDEX notification_deliveries_history ON notification_deliveries (channel_id, created_at)",
                "CREATE INDEX notification_deliveries_key ON notification_deliveries (event_key)",
                // Items a rule holds back (min interval, digest, quiet hours) until its summary.
                """
                CREATE TABLE notification_held (
                    rule_id TEXT NOT NULL REFERENCES notification_rules (id),
                    event_key TEXT NOT NULL,
                    item TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (rule_id, event_key)
                )
                """,
                """
                CREATE TABLE notification_rule_state (
                    rule_id TEXT PRIMARY KEY REFERENCES notification_rules (id),
                    last_sent_at BIGINT NOT NULL
                )
                """,
            ]),
        Migration(
            version: 13, name: "status-pages",
            statements: [
                // Public status pages: the SLA groups an admin publishes under a slug, with the labels
                // the public sees (`groups_json`: [{slaGroup, label, services: [{serviceId, label}]}]).
                """
                CREATE TABLE status_pages (
                    id TEXT PRIMARY KEY,
                    slug TEXT NOT NULL UNIQUE,
                    title TEXT NOT NULL,
                    description TEXT,
                    groups_json TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """,
            ]),
        Migration(
            version: 14, name: "sla-change-feed",
            // The SLA engine keeps this month's inputs in memory and reads only what changed since
            // (docs/sla.md, "The live month in memory"). Transitions gain a sequence in commit order;
            // everything else the SLA math reads (services' identity, groups, tiers, windows) bumps
            // `sla_inputs.version` through triggers, in the transaction that changed it.
            statements: [
                "CREATE TABLE sla_inputs (id INTEGER PRIMARY KEY, version BIGINT NOT NULL)",
                "INSERT INTO sla_inputs (id, version) VALUES (1, 0)",
            ],
            sqlite: [
                // A single writer commits in order, so an AUTOINCREMENT key (never reused, not
                // renumbered by VACUUM) is a sequence in commit order. The table is rebuilt to get it.
                """
                CREATE TABLE status_transitions_v14 (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    service_id TEXT NOT NULL REFERENCES services (id),
                    from_status TEXT,
                    to_status TEXT NOT NULL,
                    at BIGINT NOT NULL,
                    message TEXT
                )
                """,
                """
                INSERT INTO status_transitions_v14 (id, service_id, from_status, to_status, at, message)
                SELECT id, service_id, from_status, to_status, at, message FROM status_transitions ORDER BY rowid
                """,
                "DROP TABLE status_transitions",
                "ALTER TABLE status_transitions_v14 RENAME TO status_transitions",
                "CREATE INDEX status_transitions_service_at ON status_transitions (service_id, at)",
                "CREATE INDEX status_transitions_at ON status_transitions (at)",
            ] + SLAInputTriggers.sqlite,
            postgres: [
                // Sequences are handed out in insert order, not commit order: a reader also keeps
                // the writing transaction's id, and reads again everything written by transactions
                // that were still running at its last look (`pg_snapshot_xmin`).
                "ALTER TABLE status_transitions ADD COLUMN seq BIGSERIAL",
                "ALTER TABLE status_transitions ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id()",
                "CREATE INDEX status_transitions_txid ON status_transitions (txid)",
            ] + SLAInputTriggers.postgres),
    ]

    /// The newest schema version this build knows.
    static var latest: Int { all.last?.version ?? 0 }

    /// The versions recorded in `schema_migrations` (none when the table does not exist yet).
    static func applied(on db: any SQLDatabase, tableExists: Bool) async throws -> [Int] {
        guard tableExists else { return [] }
        return try await db.raw("SELECT version FROM schema_migrations ORDER BY version").all().map {
            try $0.decode(column: "version", as: Int.self)
        }
    }

    /// What `applied` means for this build.
    static func state(applied: [Int]) -> SchemaState {
        SchemaState(
            applied: applied.sorted(), known: latest,
            pending: all.filter { !applied.contains($0.version) }.map { .init(version: $0.version, name: $0.name) })
    }

    /// The refusal of a database whose schema is newer than this build.
    static func newerError(database: Int) -> MigrationError {
        MigrationError(
            "the database is at schema version \(database), newer than this build knows (\(latest)); upgrade ITOps (or restore a backup taken before the upgrade)"
        )
    }

    /// Applies every migration not yet recorded, each in its own transaction.
    /// Returns the versions applied.
    static func apply(on db: any SQLDatabase, now: Date, logger: Logger) async throws -> [Int] {
        try await db.raw(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at BIGINT NOT NULL
            )
            """
        ).run()
        let applied = Set(
            try await db.raw("SELECT version FROM schema_migrations").all().map {
                try $0.decode(column: "version", as: Int.self)
            })
        if let newest = applied.max(), newest > latest { throw newerError(database: newest) }
        var ran: [Int] = []
        for migration in all where !applied.contains(migration.version) {
            try await db.raw("BEGIN").run()
            do {
                for statement in migration.statements(for: db.dialect.name) {
                    try await db.raw("\(unsafeRaw: statement)").run()
                }
                try await db.raw(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: now.epochMilliseconds))"
                ).run()
                try await db.raw("COMMIT").run()
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
            logger.info(
                "applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            ran.append(migration.version)
        }
        return ran
    }
}

/// Where a database's schema stands relative to this build (`itops migrate --dry-run`, `itops doctor`).
public struct SchemaState: Sendable, Equatable {
    /// One migration: its number and name.
    public struct Step: Sendable, Equatable {
        public let version: Int
        public let name: String
    }
    /// Versions recorded in the database, ascending.
    public let applied: [Int]
    /// The newest version this build knows.
    public let known: Int
    /// Migrations this build would apply, in order.
    public let pending: [Step]

    /// The database's version (its highest applied migration; 0 for an empty database).
    public var database: Int { applied.last ?? 0 }
    /// The database was migrated by a newer build: this one refuses to start on it.
    public var isNewerThanBuild: Bool { database > known }
}

/// The schema could not be brought up to date.
public struct MigrationError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Triggers that bump `sla_inputs.version` whenever something the SLA math reads changes, other
/// than a status (status changes are transitions, read through their own sequence).
enum SLAInputTriggers {
    /// The columns of `services` the SLA math reads besides its status.
    static let serviceColumns = ["node_id", "name", "sla_group", "criticality", "created_at"]
    static let tables = ["sla_groups", "sla_definitions", "exclusion_windows"]
    static let bump = "UPDATE sla_inputs SET version = version + 1 WHERE id = 1"

    static var sqlite: [String] {
        let changed = serviceColumns.map { "OLD.\($0) IS NOT NEW.\($0)" }.joined(separator: " OR ")
        var statements = [
            "CREATE TRIGGER sla_inputs_services_insert AFTER INSERT ON services BEGIN \(bump); END",
            "CREATE TRIGGER sla_inputs_services_update AFTER UPDATE ON services WHEN \(changed) BEGIN \(bump); END",
            "CREATE TRIGGER sla_inputs_services_delete AFTER DELETE ON services BEGIN \(bump); END",
        ]
        for table in tables {
            for event in ["INSERT", "UPDATE", "DELETE"] {
                statements.append(
                    "CREATE TRIGGER sla_inputs_\(table)_\(event.lowercased()) AFTER \(event) ON \(table) BEGIN \(bump); END")
            }
        }
        return statements
    }

    static var postgres: [String] {
        let changed = serviceColumns.map { "OLD.\($0) IS DISTINCT FROM NEW.\($0)" }.joined(separator: " OR ")
        var statements = [
            """
            CREATE FUNCTION itops_sla_inputs_bump() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN \(bump); RETURN NULL; END $$
            """,
            // Row triggers: an upsert that only updates fires no INSERT trigger.
            "CREATE TRIGGER sla_inputs_services_insert AFTER INSERT ON services FOR EACH ROW EXECUTE FUNCTION itops_sla_inputs_bump()",
            "CREATE TRIGGER sla_inputs_services_update AFTER UPDATE ON services FOR EACH ROW WHEN (\(changed)) EXECUTE FUNCTION itops_sla_inputs_bump()",
            "CREATE TRIGGER sla_inputs_services_delete AFTER DELETE ON services FOR EACH STATEMENT EXECUTE FUNCTION itops_sla_inputs_bump()",
        ]
        for table in tables {
            statements.append(
                "CREATE TRIGGER sla_inputs_\(table) AFTER INSERT OR UPDATE OR DELETE ON \(table) FOR EACH STATEMENT EXECUTE FUNCTION itops_sla_inputs_bump()")
        }
        return statements
    }
}
