import Foundation

// The audit trail (plugin `audit`, issue 13): append-only, hash-chained entries.

/// One recorded action. `hash` is SHA-256 over the canonical encoding of every other field, `prevHash`
/// included, so that changing, removing or inserting an entry breaks the chain.
public struct AuditEntry: Sendable, Equatable {
    /// Position in the chain, from 1, without gaps.
    public var seq: Int64
    public var at: Date
    /// `user`, `apikey`, `anonymous` or `system`.
    public var actorKind: String
    /// The user or API key id.
    public var actorId: String?
    /// The email, the key's name, or for an anonymous caller the email it tried.
    public var actorName: String?
    /// What was attempted, e.g. `graphql.createTicket`, `POST /api/v1/license/activate`, `auth.refused`.
    public var action: String
    public var targetType: String?
    public var targetId: String?
    /// Before/after or argument summary as JSON, secrets redacted.
    public var summary: String
    /// `success`, `failure` or `denied`.
    public var outcome: String
    public var client: String?
    public var requestId: String?
    public var prevHash: String
    public var hash: String

    public init(
        seq: Int64, at: Date, actorKind: String, actorId: String?, actorName: String?, action: String,
        targetType: String?, targetId: String?, summary: String, outcome: String, client: String?,
        requestId: String?, prevHash: String, hash: String
    ) {
        self.seq = seq
        self.at = at
        self.actorKind = actorKind
        self.actorId = actorId
        self.actorName = actorName
        self.action = action
        self.targetType = targetType
        self.targetId = targetId
        self.summary = summary
        self.outcome = outcome
        self.client = client
        self.requestId = requestId
        self.prevHash = prevHash
        self.hash = hash
    }
}

extension AuditEntry: Encodable {
    private enum CodingKeys: String, CodingKey {
        case seq, at, actorKind, actorId, actorName, action, targetType, targetId, summary, outcome, client,
            requestId, prevHash, hash
    }

    /// The export format (one JSON line per entry): every field, `at` in ISO 8601.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seq, forKey: .seq)
        try container.encode(at.iso8601, forKey: .at)
        try container.encode(actorKind, forKey: .actorKind)
        try container.encodeIfPresent(actorId, forKey: .actorId)
        try container.encodeIfPresent(actorName, forKey: .actorName)
        try container.encode(action, forKey: .action)
        try container.encodeIfPresent(targetType, forKey: .targetType)
        try container.encodeIfPresent(targetId, forKey: .targetId)
        try container.encode(summary, forKey: .summary)
        try container.encode(outcome, forKey: .outcome)
        try container.encodeIfPresent(client, forKey: .client)
        try container.encodeIfPresent(requestId, forKey: .requestId)
        try container.encode(prevHash, forKey: .prevHash)
        try container.encode(hash, forKey: .hash)
    }
}

/// What a caller asks to record; the trail adds the position, the time and the hashes.
public struct AuditDraft: Sendable, Equatable {
    public var actorKind: String
    public var actorId: String?
    public var actorName: String?
    public var action: String
    public var targetType: String?
    public var targetId: String?
    /// JSON text; redacted again by the trail before it is stored.
    public var summary: String
    public var outcome: AuditOutcome
    public var client: String?
    public var requestId: String?

    public init(
        principal: Principal?, action: String, targetType: String? = nil, targetId: String? = nil,
        summary: String = "{}", outcome: AuditOutcome, client: String?, requestId: String?, attemptedBy: String? = nil
    ) {
        switch principal?.kind {
        case .user(let id, let email):
            actorKind = "user"
            actorId = id.stored
            actorName = email
        case .apiKey(let id, let name):
            actorKind = "apikey"
            actorId = id.stored
            actorName = name
        case nil:
            actorKind = "anonymous"
            actorId = nil
            actorName = attemptedBy
        }
        self.action = action
        self.targetType = targetType
        self.targetId = targetId
        self.summary = summary
        self.outcome = outcome
        self.client = client
        self.requestId = requestId
    }
}

/// How an audited action ended.
public enum AuditOutcome: String, Vocabulary {
    case success, failure, denied
    public static let vocabularyName = "outcome"
}

/// Where pruning stopped, or the newest entry: position and hash, so that verification can start after
/// pruned days and notice a removed newest entry.
public struct AuditAnchor: Sendable, Equatable {
    public var seq: Int64
    public var hash: String
    public var at: Date
    public init(seq: Int64, hash: String, at: Date) {
        self.seq = seq
        self.hash = hash
        self.at = at
    }
}

/// Which entries `auditLogs` wants.
public struct AuditFilter: Sendable, Equatable {
    /// Part of the actor's name or its id.
    public var actor: String?
    public var action: String?
    public var targetType: String?
    public var targetId: String?
    public var from: Date?
    public var to: Date?
    public init(
        actor: String? = nil, action: String? = nil, targetType: String? = nil, targetId: String? = nil,
        from: Date? = nil, to: Date? = nil
    ) {
        self.actor = actor
        self.action = action
        self.targetType = targetType
        self.targetId = targetId
        self.from = from
        self.to = to
    }
}

/// The result of walking the chain.
public struct AuditVerification: Sendable, Equatable {
    /// What broke the chain first.
    public enum Problem: String, Sendable, Equatable {
        case changed, removed, inserted
    }
    /// Entries checked.
    public var checked: Int
    /// The first problem: its kind, the entry's position and a sentence for people.
    public var problem: (kind: Problem, seq: Int64, message: String)?

    public var isIntact: Bool { problem == nil }

    public init(checked: Int, problem: (kind: Problem, seq: Int64, message: String)?) {
        self.checked = checked
        self.problem = problem
    }

    /// A chain broken at `seq`.
    static func broken(_ checked: Int, _ kind: Problem, _ seq: Int64, _ message: String) -> AuditVerification {
        AuditVerification(checked: checked, problem: (kind: kind, seq: seq, message: message))
    }

    public static func == (lhs: AuditVerification, rhs: AuditVerification) -> Bool {
        lhs.checked == rhs.checked && lhs.problem?.kind == rhs.problem?.kind && lhs.problem?.seq == rhs.problem?.seq
    }
}

// MARK: - Storage ports

/// Read access to the audit trail: ``StoreReader/auditReader()``.
public protocol AuditReader: Sendable {
    /// Entries in chain order from position `fromSeq`, at most `limit`.
    func auditEntries(fromSeq: Int64, limit: Int) async throws -> [AuditEntry]
    /// Newest first, positions below `before` when given.
    func auditEntries(matching filter: AuditFilter, before: Int64?, limit: Int) async throws -> [AuditEntry]
    /// Where pruning stopped (`pruned`) and the newest entry written (`head`).
    func auditAnchor(_ name: String) async throws -> AuditAnchor?
}

/// Write access, inside a store transaction: ``StoreWriter/auditWriter()``.
public protocol AuditWriter: AuditReader {
    func insert(_ entry: AuditEntry) async throws
    func saveAuditAnchor(_ name: String, _ anchor: AuditAnchor) async throws
    /// The newest entry older than `cutoff`, then deletes every entry older than `cutoff`.
    func pruneAudit(before cutoff: Date) async throws -> AuditEntry?
}

extension StoreReader {
    /// The audit trail of this store.
    public func auditReader() throws -> any AuditReader {
        guard let records = self as? any AuditReader else { throw ITOpsError(.internal, "this store keeps no audit") }
        return records
    }
}

extension StoreWriter {
    /// The audit trail, inside this transaction.
    public func auditWriter() throws -> any AuditWriter {
        guard let records = self as? any AuditWriter else { throw ITOpsError(.internal, "this store keeps no audit") }
        return records
    }
}
