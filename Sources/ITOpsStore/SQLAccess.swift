import Foundation
import ITOpsCore
import SQLKit

/// The store's queries, written once over SQLKit for every dialect.
///
/// The same value serves reads outside transactions and, bound to the writer's connection, the
/// reads and writes of one transaction.
struct SQLAccess: StoreWriter {
    let db: any SQLDatabase

    static let snake = SnakeCaseColumns.decoding
    static let toSnake = SnakeCaseColumns.encoding

    // MARK: Helpers

    func all<R: Decodable>(_ query: SQLQueryString, as _: R.Type) async throws -> [R] {
        try await db.raw(query).all().map { try Self.decode($0, as: R.self) }
    }

    func first<R: Decodable>(_ query: SQLQueryString, as _: R.Type) async throws -> R? {
        try await db.raw(query).first().map { try Self.decode($0, as: R.self) }
    }

    /// Rows read by the thousand (services, transitions, rollups) skip the keyed `Codable` decoder.
    private static func decode<R: Decodable>(_ row: any SQLRow, as _: R.Type) throws -> R {
        if let fast = R.self as? any RowDecodable.Type, let record = try fast.init(row: row) as? R { return record }
        return try row.decode(model: R.self, keyDecodingStrategy: snake)
    }

    func insertRow(_ table: String, _ record: some Encodable & Sendable) async throws {
        try await db.insert(into: table).model(record, keyEncodingStrategy: Self.toSnake, nilEncodingStrategy: .asNil)
            .run()
    }

    func updateRow(_ table: String, id: String, _ record: some Encodable & Sendable, key: String = "id")
        async throws
    {
        try await db.update(table).set(model: record, keyEncodingStrategy: Self.toSnake, nilEncodingStrategy: .asNil)
            .where(SQLIdentifier(key), .equal, SQLBind(id)).run()
    }

    // MARK: Services

    func service(id: UUID) async throws -> Service? {
        try await first("SELECT * FROM services WHERE id = \(bind: id.stored)", as: ServiceRecord.self)?.domain()
    }

    func services(ids: Set<UUID>) async throws -> [UUID: Service] {
        var found: [UUID: Service] = [:]
        for part in Self.chunks(ids.map(\.stored)) {
            for record in try await all(
                "SELECT * FROM services WHERE id IN (\(binds: Array(part)))", as: ServiceRecord.self)
            {
                let service = try record.domain()
                found[service.id] = service
            }
        }
        return found
    }

    func service(nodeId: NodePath, name: String) async throws -> Service? {
        try await first(
            "SELECT * FROM services WHERE node_id = \(bind: nodeId.value) AND name = \(bind: name)",
            as: ServiceRecord.self)?.domain()
    }

    func whereClause(_ filter: ServiceFilter) -> SQLQueryString {
        var sql: SQLQueryString = "1 = 1"
        if let node = filter.nodeId {
            if filter.includeDescendants {
                sql =
                    sql
                    + " AND (node_id = \(bind: node.value) OR node_id LIKE \(bind: Self.likePrefix(node.value + "/")) ESCAPE '\\')"
            } else {
                sql = sql + " AND node_id = \(bind: node.value)"
            }
        }
        if let scope = filter.scope { sql = sql + " AND " + scopeClause(scope) }
        if let status = filter.status { sql = sql + " AND status = \(bind: status.rawValue)" }
        if let group = filter.slaGroup { sql = sql + " AND sla_group = \(bind: group)" }
        if let namespace = filter.namespace { sql = sql + " AND namespace = \(bind: namespace)" }
        if let source = filter.source { sql = sql + " AND source = \(bind: source.rawValue)" }
        if let tag = filter.tag {
            sql = sql + " AND tags LIKE \(bind: "%" + Self.escapeLike("\"\(tag)\"") + "%") ESCAPE '\\'"
        }
        if let search = filter.search?.lowercased(), !search.isEmpty {
            let pattern = "%" + Self.escapeLike(search) + "%"
            sql =
                sql
                + " AND (LOWER(name) LIKE \(bind: pattern) ESCAPE '\\' OR LOWER(COALESCE(display_name, '')) LIKE \(bind: pattern) ESCAPE '\\')"
        }
        return sql
    }

    /// Services under one of `scope`'s prefixes, segment-wise; nothing for an empty scope.
    func scopeClause(_ scope: [NodePath]) -> SQLQueryString {
        guard !scope.isEmpty else { return "1 = 0" }
        var sql: SQLQueryString = "("
        for (index, node) in scope.enumerated() {
            if index > 0 { sql = sql + " OR " }
            sql =
                sql
                + "node_id = \(bind: node.value) OR node_id LIKE \(bind: Self.likePrefix(node.value + "/")) ESCAPE '\\'"
        }
        return sql + ")"
    }

    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }

    static func likePrefix(_ text: String) -> String { escapeLike(text) + "%" }

    func services(matching filter: ServiceFilter, after cursor: ServiceCursor?, limit: Int) async throws -> [Service] {
        var sql: SQLQueryString = "SELECT * FROM services WHERE " + whereClause(filter)
        if let cursor {
            sql =
                sql
                + " AND (node_id > \(bind: cursor.nodeId) OR (node_id = \(bind: cursor.nodeId) AND name > \(bind: cursor.name)))"
        }
        sql = sql + " ORDER BY node_id, name LIMIT \(literal: max(0, limit))"
        return try await all(sql, as: ServiceRecord.self).map { try $0.domain() }
    }

    func services(inSLAGroups names: [String]) async throws -> [Service] {
        guard !names.isEmpty else { return [] }
        var services: [Service] = []
        // SQLite allows 32,766 bound parameters; stay far below it.
        for chunk in stride(from: 0, to: names.count, by: 500) {
            let part = Array(names[chunk..<min(names.count, chunk + 500)])
            services += try await all(
                "SELECT * FROM services WHERE sla_group IN (\(binds: part)) ORDER BY sla_group, node_id, name",
                as: ServiceRecord.self
            ).map { try $0.domain() }
        }
        return services
    }

    func countServices(matching filter: ServiceFilter) async throws -> Int {
        let row = try await db.raw("SELECT COUNT(*) AS n FROM services WHERE " + whereClause(filter)).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }

    func servicesExpectingBackup(slaGroup: String) async throws -> [Service] {
        try await all(
            "SELECT * FROM services WHERE sla_group = \(bind: slaGroup) AND backup_expected = \(true) ORDER BY node_id, name",
            as: ServiceRecord.self
        ).map { try $0.domain() }
    }

    func servicesExpectingBackup(namespace: String) async throws -> [Service] {
        try await all(
            "SELECT * FROM services WHERE namespace = \(bind: namespace) AND backup_expected = \(true) ORDER BY node_id, name",
            as: ServiceRecord.self
        ).map { try $0.domain() }
    }

    func namespaceExists(_ namespace: String) async throws -> Bool {
        try await db.raw("SELECT 1 AS x FROM services WHERE namespace = \(bind: namespace) LIMIT 1").first() != nil
    }

    func insert(_ service: Service) async throws { try await insertRow("services", ServiceRecord(service)) }

    func update(_ service: Service) async throws {
        try await updateRow("services", id: service.id.stored, ServiceRecord(service))
    }

    func updateService(_ id: UUID, ifStatus expected: ServiceStatus, _ patch: ServicePatch) async throws -> Bool {
        var sql: SQLQueryString =
            "UPDATE services SET last_seen_at = \(bind: patch.lastSeenAt.epochMilliseconds), status = \(bind: patch.status.rawValue)"
        if let at = patch.statusChangedAt { sql = sql + ", status_changed_at = \(bind: at.epochMilliseconds)" }
        if let value = patch.message { sql = sql + ", message = \(bind: value)" }
        if let value = patch.displayName { sql = sql + ", display_name = \(bind: value)" }
        if let value = patch.criticality { sql = sql + ", criticality = \(bind: value.rawValue)" }
        if let value = patch.slaGroup { sql = sql + ", sla_group = \(bind: value)" }
        if let value = patch.namespace { sql = sql + ", namespace = \(bind: value)" }
        if let value = patch.serviceType { sql = sql + ", service_type = \(bind: value)" }
        if let value = patch.tags { sql = sql + ", tags = \(bind: ServiceRecord.encodeTags(value))" }
        if let value = patch.expectedIntervalSeconds { sql = sql + ", expected_interval_seconds = \(bind: value)" }
        // The status test makes it a compare-and-set: the row lock the UPDATE takes means no other
        // writer changed the status between the test and the write.
        sql = sql + " WHERE id = \(bind: id.stored) AND status = \(bind: expected.rawValue) RETURNING id"
        return try await db.raw(sql).first() != nil
    }

    func touchServices(_ ids: [UUID], at: Date) async throws {
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            let part = ids[chunk..<min(ids.count, chunk + 500)].map(\.stored)
            try await db.raw(
                "UPDATE services SET last_seen_at = \(bind: at.epochMilliseconds) WHERE id IN (\(binds: part))"
            ).run()
        }
    }

    // MARK: Nodes and groups

    func existingSLAGroups(named names: Set<String>) async throws -> Set<String> {
        var found = Set<String>()
        let sorted = names.sorted()
        for chunk in stride(from: 0, to: sorted.count, by: 500) {
            let part = Array(sorted[chunk..<min(sorted.count, chunk + 500)])
            for row in try await db.raw("SELECT name FROM sla_groups WHERE name IN (\(binds: part))").all() {
                found.insert(try row.decode(column: "name", as: String.self))
            }
        }
        return found
    }

    func existingNodes(_ ids: Set<NodePath>) async throws -> Set<NodePath> {
        var found = Set<NodePath>()
        for chunk in Self.chunks(ids.map(\.value).sorted()) {
            for row in try await db.raw("SELECT id FROM nodes WHERE id IN (\(binds: Array(chunk)))").all() {
                found.insert(.stored(try row.decode(column: "id", as: String.self)))
            }
        }
        return found
    }

    func existingServices(_ keys: Set<ServiceKey>) async throws -> Set<ServiceKey> {
        var found = Set<ServiceKey>()
        let sorted = keys.sorted { ($0.nodeId.value, $0.name) < ($1.nodeId.value, $1.name) }
        for chunk in Self.chunks(sorted) {
            // A row-value IN list: SQLite (3.15+) and PostgreSQL alike.
            let sql: SQLQueryString =
                "SELECT node_id, name FROM services WHERE (node_id, name) IN (VALUES "
                + Self.rows(chunk) { "\(bind: $0.nodeId.value), \(bind: $0.name)" } + ")"
            for row in try await db.raw(sql).all() {
                found.insert(
                    ServiceKey(
                        nodeId: .stored(try row.decode(column: "node_id", as: String.self)),
                        name: try row.decode(column: "name", as: String.self)))
            }
        }
        return found
    }

    func node(_ id: NodePath) async throws -> Node? {
        try await first("SELECT * FROM nodes WHERE id = \(bind: id.value)", as: NodeRecord.self)?.domain
    }

    func nodes() async throws -> [Node] {
        try await all("SELECT * FROM nodes ORDER BY id", as: NodeRecord.self).map(\.domain)
    }

    func insert(_ node: Node) async throws { try await insertRow("nodes", NodeRecord(node)) }
    func update(_ node: Node) async throws { try await updateRow("nodes", id: node.id.value, NodeRecord(node)) }

    func slaGroup(name: String) async throws -> SLAGroup? {
        try await first("SELECT * FROM sla_groups WHERE name = \(bind: name)", as: GroupRecord.self)?.domain()
    }

    func slaGroups() async throws -> [SLAGroup] {
        try await all("SELECT * FROM sla_groups ORDER BY name", as: GroupRecord.self).map { try $0.domain() }
    }

    func upsert(_ group: SLAGroup) async throws {
        let record = GroupRecord(group)
        try await db.insert(into: "sla_groups").model(record, keyEncodingStrategy: Self.toSnake)
            .onConflict(with: ["name"]) {
                $0.set(excludedValueOf: "display_name").set(excludedValueOf: "tier")
            }
            .run()
    }

    // MARK: History

    func transitions(serviceId: UUID) async throws -> [StatusTransition] {
        try await all(
            "SELECT * FROM status_transitions WHERE service_id = \(bind: serviceId.stored) ORDER BY at, id",
            as: TransitionRecord.self
        ).map { try $0.domain() }
    }

    func insert(_ transition: StatusTransition) async throws {
        try await insertRow("status_transitions", TransitionRecord(transition))
        try await markLateTransition(transition)
    }

    func transition(serviceId: UUID, atOrBefore at: Date) async throws -> StatusTransition? {
        try await first(
            """
            SELECT * FROM status_transitions WHERE service_id = \(bind: serviceId.stored)
            AND at <= \(bind: at.epochMilliseconds) ORDER BY at DESC LIMIT 1
            """,
            as: TransitionRecord.self)?.domain()
    }

    func openIncident(serviceId: UUID) async throws -> Incident? {
        try await first(
            "SELECT * FROM incidents WHERE service_id = \(bind: serviceId.stored) AND closed_at IS NULL ORDER BY opened_at DESC LIMIT 1",
            as: IncidentRecord.self)?.domain()
    }

    func incidents(serviceId: UUID) async throws -> [Incident] {
        try await all(
            "SELECT * FROM incidents WHERE service_id = \(bind: serviceId.stored) ORDER BY opened_at",
            as: IncidentRecord.self
        ).map { try $0.domain() }
    }

    func insert(_ incident: Incident) async throws { try await insertRow("incidents", IncidentRecord(incident)) }

    func update(_ incident: Incident) async throws {
        try await updateRow("incidents", id: incident.id.stored, IncidentRecord(incident))
    }

    func backupReports(serviceId: UUID) async throws -> [BackupReport] {
        try await all(
            "SELECT * FROM backup_reports WHERE service_id = \(bind: serviceId.stored) ORDER BY reported_at",
            as: BackupRecord.self
        ).map { try $0.domain() }
    }

    func insert(_ report: BackupReport) async throws { try await insertRow("backup_reports", BackupRecord(report)) }

    func lastStorageReport(serviceId: UUID) async throws -> StorageReport? {
        try await first(
            "SELECT * FROM storage_reports WHERE service_id = \(bind: serviceId.stored) ORDER BY reported_at DESC LIMIT 1",
            as: StorageRecord.self)?.domain()
    }

    func storageReports(serviceId: UUID) async throws -> [StorageReport] {
        try await all(
            "SELECT * FROM storage_reports WHERE service_id = \(bind: serviceId.stored) ORDER BY reported_at",
            as: StorageRecord.self
        ).map { try $0.domain() }
    }

    func insert(_ report: StorageReport) async throws {
        try await insertRow("storage_reports", StorageRecord(report))
    }

    // MARK: Identity

    func user(email: String) async throws -> User? {
        try await first("SELECT * FROM users WHERE email = \(bind: email.lowercased())", as: UserRecord.self)?.domain()
    }

    func user(id: UUID) async throws -> User? {
        try await first("SELECT * FROM users WHERE id = \(bind: id.stored)", as: UserRecord.self)?.domain()
    }

    func users() async throws -> [User] {
        try await all("SELECT * FROM users ORDER BY email", as: UserRecord.self).map { try $0.domain() }
    }

    func userCount() async throws -> Int {
        try await db.raw("SELECT COUNT(*) AS n FROM users").first()?.decode(column: "n", as: Int.self) ?? 0
    }

    func insert(_ user: User) async throws {
        var record = UserRecord(user)
        record.email = record.email.lowercased()
        try await insertRow("users", record)
    }

    func update(_ user: User) async throws {
        var record = UserRecord(user)
        record.email = record.email.lowercased()
        try await updateRow("users", id: user.id.stored, record)
    }

    func recordSignIn(userId: UUID, at: Date) async throws {
        try await db.raw(
            "UPDATE users SET last_sign_in_at = \(bind: at.epochMilliseconds) WHERE id = \(bind: userId.stored)"
        ).run()
    }

    func deleteUser(id: UUID) async throws {
        try await db.raw("DELETE FROM refresh_tokens WHERE user_id = \(bind: id.stored)").run()
        try await db.raw("DELETE FROM password_resets WHERE user_id = \(bind: id.stored)").run()
        try await db.raw("UPDATE tickets SET assignee_id = NULL WHERE assignee_id = \(bind: id.stored)").run()
        try await db.raw("DELETE FROM users WHERE id = \(bind: id.stored)").run()
    }

    func credentialSnapshot(revokedSince: Date) async throws -> CredentialSnapshot {
        var users: [UUID: CredentialSnapshot.UserState] = [:]
        for row in try await db.raw("SELECT id, role, disabled, credentials_version FROM users").all() {
            let id = try uuid(try row.decode(column: "id", as: String.self))
            users[id] = CredentialSnapshot.UserState(
                role: try vocabulary(try row.decode(column: "role", as: String.self)),
                disabled: try row.decode(column: "disabled", as: Bool.self),
                credentialsVersion: try row.decode(column: "credentials_version", as: Int64.self))
        }
        var sessions = Set<UUID>()
        for row in try await db.raw(
            "SELECT DISTINCT family_id FROM refresh_tokens WHERE revoked_at >= \(bind: revokedSince.epochMilliseconds)"
        ).all() {
            sessions.insert(try uuid(try row.decode(column: "family_id", as: String.self)))
        }
        var keys: [UUID: CredentialSnapshot.KeyState] = [:]
        for row in try await db.raw("SELECT id, revoked_at, expires_at FROM api_keys").all() {
            let id = try uuid(try row.decode(column: "id", as: String.self))
            keys[id] = CredentialSnapshot.KeyState(
                revoked: try row.decode(column: "revoked_at", as: Int64?.self) != nil,
                expiresAt: try row.decode(column: "expires_at", as: Int64?.self).map(Date.init(epochMilliseconds:)))
        }
        return CredentialSnapshot(users: users, revokedSessions: sessions, keys: keys)
    }

    func passwordReset(hash: String) async throws -> PasswordReset? {
        try await first("SELECT * FROM password_resets WHERE token_hash = \(bind: hash)", as: PasswordResetRecord.self)?
            .domain()
    }

    func insert(_ reset: PasswordReset) async throws {
        try await db.raw(
            "DELETE FROM password_resets WHERE user_id = \(bind: reset.userId.stored) AND used_at IS NULL"
        ).run()
        try await insertRow("password_resets", PasswordResetRecord(reset))
    }

    func update(_ reset: PasswordReset) async throws {
        try await updateRow("password_resets", id: reset.id.stored, PasswordResetRecord(reset))
    }

    func apiKey(hash: String) async throws -> APIKey? {
        try await first("SELECT * FROM api_keys WHERE key_hash = \(bind: hash)", as: APIKeyRecord.self)?.domain()
    }

    func apiKeys() async throws -> [APIKey] {
        try await all("SELECT * FROM api_keys ORDER BY created_at, id", as: APIKeyRecord.self).map { try $0.domain() }
    }

    func insert(_ key: APIKey) async throws { try await insertRow("api_keys", APIKeyRecord(key)) }
    func update(_ key: APIKey) async throws { try await updateRow("api_keys", id: key.id.stored, APIKeyRecord(key)) }

    func touchAPIKey(id: UUID, at: Date) async throws {
        try await db.raw(
            "UPDATE api_keys SET last_used_at = \(bind: at.epochMilliseconds) WHERE id = \(bind: id.stored)"
        ).run()
    }

    func refreshToken(hash: String) async throws -> RefreshToken? {
        try await first("SELECT * FROM refresh_tokens WHERE token_hash = \(bind: hash)", as: RefreshTokenRecord.self)?
            .domain()
    }

    func insert(_ token: RefreshToken) async throws {
        try await insertRow("refresh_tokens", RefreshTokenRecord(token))
    }

    func update(_ token: RefreshToken) async throws {
        try await updateRow("refresh_tokens", id: token.id.stored, RefreshTokenRecord(token))
    }

    func revokeRefreshTokens(familyId: UUID, at: Date) async throws -> Int {
        try await revokeTokens(where: "family_id = \(bind: familyId.stored)", at: at)
    }

    func revokeRefreshTokens(userId: UUID, at: Date) async throws -> Int {
        try await revokeTokens(where: "user_id = \(bind: userId.stored)", at: at)
    }

    func revokeRefreshTokens(userId: UUID, exceptFamily: UUID?, at: Date) async throws -> Int {
        guard let exceptFamily else { return try await revokeRefreshTokens(userId: userId, at: at) }
        return try await revokeTokens(
            where: "user_id = \(bind: userId.stored) AND family_id <> \(bind: exceptFamily.stored)", at: at)
    }

    private func revokeTokens(where condition: SQLQueryString, at: Date) async throws -> Int {
        let count =
            try await db.raw("SELECT COUNT(*) AS n FROM refresh_tokens WHERE revoked_at IS NULL AND " + condition)
            .first()?.decode(column: "n", as: Int.self) ?? 0
        try await db.raw(
            "UPDATE refresh_tokens SET revoked_at = \(bind: at.epochMilliseconds) WHERE revoked_at IS NULL AND "
                + condition
        ).run()
        return count
    }

    // MARK: Silence

    func nodesSilent(since cutoff: Date) async throws -> [Node] {
        try await all(
            "SELECT * FROM nodes WHERE silent = \(false) AND last_heartbeat_at IS NOT NULL AND last_heartbeat_at < \(bind: cutoff.epochMilliseconds) ORDER BY id",
            as: NodeRecord.self
        ).map(\.domain)
    }

    func stalePushedServices(now: Date, defaultStaleAfter: TimeInterval) async throws -> [Service] {
        let nowMs = now.epochMilliseconds
        let defaultMs = Int64(defaultStaleAfter * 1000)
        return try await all(
            """
            SELECT * FROM services
            WHERE source = \(bind: ServiceSource.push.rawValue) AND status <> \(bind: ServiceStatus.unknown.rawValue)
              AND last_seen_at < \(bind: nowMs) - COALESCE(expected_interval_seconds * 3000, \(bind: defaultMs))
            ORDER BY node_id, name
            """,
            as: ServiceRecord.self
        ).map { try $0.domain() }
    }

    func servicesNewlyOverdue(now: Date) async throws -> [Service] {
        try await all(
            """
            SELECT * FROM services
            WHERE backup_expected = \(true) AND backup_overdue = \(false)
              AND COALESCE(last_backup_success_at, created_at) < \(bind: now.epochMilliseconds) - backup_max_age_days * 86400000
            ORDER BY node_id, name
            """,
            as: ServiceRecord.self
        ).map { try $0.domain() }
    }
}
