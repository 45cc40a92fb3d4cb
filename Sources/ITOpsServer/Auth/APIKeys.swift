import Foundation
import ITOpsCore
import Synchronization

/// API keys for agents and scripts: created (shown once), listed, revoked; stored as SHA-256.
struct APIKeys: Sendable {
    static let plainPrefix = "itops_"
    let store: any Store
    let clock: any WallClock
    let cache: KeyCache
    let credentials: CredentialState
    /// When each key's use was last written.
    let usage = KeyUsage()

    /// The most prefixes one key's scope may hold.
    static let maxScope = 50

    /// A new key; the plain text is returned once and never stored. `nodeScope` limits it to
    /// hierarchy prefixes (at least one); `expiresAt` must be in the future.
    func create(name: String, role: Role, nodeScope: [NodePath]? = nil, expiresAt: Date? = nil) async throws -> (
        key: APIKey, plain: String
    ) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...128).contains(trimmed.count) else { throw ITOpsError.invalid("name: must be 1–128 characters") }
        let now = clock.now()
        if let nodeScope, !(1...Self.maxScope).contains(nodeScope.count) {
            throw ITOpsError.invalid("nodeScope: between 1 and \(Self.maxScope) prefixes (leave it out for no scope)")
        }
        if let expiresAt, expiresAt <= now { throw ITOpsError.invalid("expiresAt: must be in the future") }
        let plain = Self.plainPrefix + Secrets.randomHex(bytes: 24)
        let key = APIKey(
            name: trimmed, keyHash: Secrets.sha256(plain), prefix: String(plain.prefix(14)), role: role,
            createdAt: now, expiresAt: expiresAt, nodeScope: nodeScope.map { Array(Set($0)).sorted() })
        try await store.write { tx in try await tx.insert(key) }
        return (key, plain)
    }

    func list() async throws -> [APIKey] { try await store.reader.apiKeys() }

    /// Revokes the key whose id or prefix is `reference`.
    func revoke(_ reference: String) async throws -> APIKey {
        let now = clock.now()
        let key = try await store.write { tx in
            let keys = try await tx.apiKeys()
            let matches = keys.filter {
                $0.id.stored == reference.lowercased() || $0.prefix == reference
            }
            guard matches.count == 1, var key = matches.first else {
                throw matches.isEmpty
                    ? ITOpsError.notFound("no API key with id or prefix '\(reference)'")
                    : ITOpsError(.conflict, "'\(reference)' matches several keys; use the id")
            }
            key.revokedAt = key.revokedAt ?? now
            try await tx.update(key)
            return key
        }
        cache.remove(hash: key.keyHash)
        credentials.invalidate()
        return key
    }

    /// What `bootstrap` did with `ITOPS_OPERATOR_API_KEY`.
    enum BootstrapOutcome: Sendable, Equatable {
        case created, kept
        /// The key was revoked (by an admin, or replaced by another value): it stays revoked.
        case revoked
    }

    /// Makes `plain` (from `ITOPS_OPERATOR_API_KEY`) a valid operator key, revoking any bootstrap
    /// key that came from an earlier value. A key with this value that was revoked stays revoked:
    /// a restart must not bring back what an admin took away.
    func bootstrap(_ plain: String) async throws -> BootstrapOutcome {
        let hash = Secrets.sha256(plain)
        let now = clock.now()
        return try await store.write { tx in
            for var key in try await tx.apiKeys() where key.bootstrap && key.revokedAt == nil && key.keyHash != hash {
                key.revokedAt = now
                try await tx.update(key)
            }
            if let existing = try await tx.apiKey(hash: hash) {
                return existing.revokedAt == nil ? .kept : .revoked
            }
            try await tx.insert(
                APIKey(
                    name: "bootstrap (ITOPS_OPERATOR_API_KEY)", keyHash: hash, prefix: String(plain.prefix(6)) + "…",
                    role: .operator, createdAt: now, bootstrap: true))
            return .created
        }
    }

    /// The principal of a valid key, or `nil`; `unauthenticated` when it was revoked or expired.
    func authenticate(_ plain: String) async throws -> Principal? {
        guard let principal = try await lookup(plain) else { return nil }
        let checked = try await credentials.check(principal)
        if case .apiKey(let id, _) = checked.kind { recordUse(of: id) }
        return checked
    }

    /// Writes `last_used_at` through the write path, at most once a minute per key and never in
    /// the request's way.
    private func recordUse(of id: UUID) {
        let now = clock.now()
        guard usage.due(id, now: now) else { return }
        let store = store
        Task { try? await store.write { tx in try await tx.touchAPIKey(id: id, at: now) } }
    }

    /// The principal of a known, unrevoked key, from the cache when it is recent.
    private func lookup(_ plain: String) async throws -> Principal? {
        let hash = Secrets.sha256(plain)
        let now = clock.now()
        if let cached = cache.lookup(hash: hash, now: now) { return cached.principal }
        let key = try await store.reader.apiKey(hash: hash)
        let principal = key.flatMap { key -> Principal? in
            guard key.revokedAt == nil else { return nil }
            var principal = Principal(kind: .apiKey(id: key.id, name: key.name), role: key.role, expiresAt: key.expiresAt)
            principal.nodeScope = key.nodeScope
            return principal
        }
        cache.store(hash: hash, principal: principal, now: now)
        return principal
    }
}

/// Remembers recent API-key look-ups so the ingest path does not read the key table per request.
///
/// Entries live `ttl` seconds, which bounds how long a key revoked by another process
/// (the CLI, another instance) keeps working here.
final class KeyCache: Sendable {
    struct Entry: Sendable {
        let principal: Principal?
        let storedAt: Date
    }

    private let ttl: TimeInterval
    private let entries = Mutex([String: Entry]())

    init(ttl: TimeInterval = 10) { self.ttl = ttl }

    func lookup(hash: String, now: Date) -> Entry? {
        entries.withLock { table in
            guard let entry = table[hash], now.timeIntervalSince(entry.storedAt) < ttl else { return nil }
            return entry
        }
    }

    func store(hash: String, principal: Principal?, now: Date) {
        entries.withLock { table in
            if table.count > 10_000 { table.removeAll() }
            table[hash] = Entry(principal: principal, storedAt: now)
        }
    }

    func remove(hash: String) { _ = entries.withLock { $0.removeValue(forKey: hash) } }
}

/// Coalesces `last_used_at` writes: a key's use is written when a minute passed since the last write.
final class KeyUsage: Sendable {
    static let interval: TimeInterval = 60
    private let written = Mutex([UUID: Date]())

    /// Whether a use at `now` should be written (and, if so, remembers it was).
    func due(_ id: UUID, now: Date) -> Bool {
        written.withLock { table in
            if let last = table[id], now.timeIntervalSince(last) < Self.interval, last <= now { return false }
            if table.count > 10_000 { table.removeAll() }
            table[id] = now
            return true
        }
    }
}
