import Crypto
import Foundation
import Logging

/// The audit plugin's service: appends hash-chained entries, verifies the chain, prunes whole days.
///
/// Appending reads the newest position and hash and inserts the next entry inside one store write; writes
/// are serialised (across instances on PostgreSQL too), so the chain stays one line. Without the `audit`
/// plugin nothing is recorded.
public final class AuditTrail: Sendable {
    /// The `prevHash` of the very first entry.
    public static let genesis = String(repeating: "0", count: 64)
    /// Anchor names in the store.
    public enum Anchor {
        public static let pruned = "pruned"
        public static let head = "head"
    }

    let store: any Store
    let clock: any WallClock
    let gate: any PluginGate
    let logger: Logger

    public init(store: any Store, clock: any WallClock, gate: any PluginGate, logger: Logger) {
        self.store = store
        self.clock = clock
        self.gate = gate
        self.logger = logger
    }

    /// Whether entries are recorded now.
    public var isRecording: Bool { gate.isEnabled(.audit) }

    /// Records `draft` when the plugin is enabled. Never throws: a failure to audit is logged, and the action
    /// it describes has already happened.
    public func record(_ draft: AuditDraft) async {
        guard isRecording else { return }
        let now = clock.now()
        do {
            _ = try await store.write { writer in try await Self.append(draft, at: now, in: writer) }
        } catch {
            logger.error("could not append to the audit trail", metadata: ["action": "\(draft.action)", "error": "\(error)"])
        }
    }

    /// Appends inside `writer`'s transaction (for callers that audit in the same write as the change).
    @discardableResult
    public static func append(_ draft: AuditDraft, at now: Date, in writer: any StoreWriter) async throws -> AuditEntry {
        let audit = try writer.auditWriter()
        let previous = try await audit.auditAnchor(Anchor.head)
        var entry = AuditEntry(
            seq: (previous?.seq ?? 0) + 1, at: now, actorKind: draft.actorKind, actorId: draft.actorId,
            actorName: draft.actorName.map { String($0.prefix(256)) }, action: String(draft.action.prefix(256)),
            targetType: draft.targetType, targetId: draft.targetId.map { String($0.prefix(256)) },
            summary: AuditRedaction.redact(json: draft.summary), outcome: draft.outcome.rawValue,
            client: draft.client.map { String($0.prefix(128)) }, requestId: draft.requestId.map { String($0.prefix(64)) },
            prevHash: previous?.hash ?? genesis, hash: "")
        entry.hash = hash(entry)
        try await audit.insert(entry)
        try await audit.saveAuditAnchor(Anchor.head, AuditAnchor(seq: entry.seq, hash: entry.hash, at: now))
        return entry
    }

    /// SHA-256 (hex) over the canonical encoding: every field but `hash`, in a fixed order, each as
    /// `<utf8 length>:<text>` (absent fields as `-`), so no two different entries encode alike.
    public static func hash(_ entry: AuditEntry) -> String {
        let fields: [String?] = [
            String(entry.seq), String(entry.at.epochMilliseconds), entry.actorKind, entry.actorId, entry.actorName,
            entry.action, entry.targetType, entry.targetId, entry.summary, entry.outcome, entry.client,
            entry.requestId, entry.prevHash,
        ]
        var canonical = "itops-audit-v1"
        for field in fields {
            if let field { canonical += "|\(field.utf8.count):\(field)" } else { canonical += "|-" }
        }
        return SHA256.hash(data: Data(canonical.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    // MARK: Reading

    /// Newest first.
    public func entries(matching filter: AuditFilter, before: Int64?, limit: Int) async throws -> [AuditEntry] {
        try await store.reader.auditReader().auditEntries(matching: filter, before: before, limit: limit)
    }

    /// Walks the whole chain and reports the first entry that was changed, removed or inserted.
    public func verify(pageSize: Int = 1000) async throws -> AuditVerification {
        let reader = try store.reader.auditReader()
        let pruned = try await reader.auditAnchor(Anchor.pruned)
        let head = try await reader.auditAnchor(Anchor.head)
        var expectedSeq = (pruned?.seq ?? 0) + 1
        var expectedPrev = pruned?.hash ?? Self.genesis
        var checked = 0
        var from: Int64 = Int64.min
        while true {
            let page = try await reader.auditEntries(fromSeq: from, limit: pageSize)
            for entry in page {
                checked += 1
                if entry.seq < expectedSeq {
                    return .broken(checked, .inserted, entry.seq, "entry #\(entry.seq) was inserted: the chain starts at #\(expectedSeq)")
                }
                if entry.seq > expectedSeq {
                    let range = entry.seq - 1 == expectedSeq ? "#\(expectedSeq)" : "#\(expectedSeq)–#\(entry.seq - 1)"
                    return .broken(checked, .removed, expectedSeq, "entry \(range) was removed: the chain jumps to #\(entry.seq)")
                }
                if Self.hash(entry) != entry.hash {
                    return .broken(checked, .changed, entry.seq, "entry #\(entry.seq) (\(entry.action)) was changed: its hash does not match its content")
                }
                if entry.prevHash != expectedPrev {
                    return .broken(checked, .inserted, entry.seq, "entry #\(entry.seq) (\(entry.action)) was inserted or rewritten: it does not follow #\(entry.seq - 1)")
                }
                expectedSeq = entry.seq + 1
                expectedPrev = entry.hash
            }
            guard page.count == pageSize, let last = page.last else { break }
            from = last.seq + 1
        }
        if let head {
            if head.seq >= expectedSeq {
                return .broken(checked, .removed, expectedSeq, "entry #\(expectedSeq)\(head.seq > expectedSeq ? "–#\(head.seq)" : "") was removed: the newest entry written was #\(head.seq)")
            }
            if head.seq == expectedSeq - 1, head.hash != expectedPrev {
                return .broken(checked, .changed, head.seq, "entry #\(head.seq) was changed or replaced: it is not the entry written last")
            }
        }
        return AuditVerification(checked: checked, problem: nil)
    }

    // MARK: Retention

    /// Deletes whole UTC days older than `days` days and records where the chain now starts; returns how
    /// many entries went. Verification still passes afterwards.
    @discardableResult
    public func prune(keepDays days: Int) async throws -> Int {
        guard days > 0 else { return 0 }
        let now = clock.now()
        let dayStart = Int64(now.epochMilliseconds / 86_400_000) * 86_400_000
        let cutoff = Date(epochMilliseconds: dayStart - Int64(days) * 86_400_000)
        return try await store.write { writer in
            let audit = try writer.auditWriter()
            let before = try await audit.auditAnchor(Anchor.pruned)
            guard let last = try await audit.pruneAudit(before: cutoff) else { return 0 }
            try await audit.saveAuditAnchor(Anchor.pruned, AuditAnchor(seq: last.seq, hash: last.hash, at: last.at))
            return Int(last.seq - (before?.seq ?? 0))
        }
    }
}

/// Keeps secrets out of the audit trail.
public enum AuditRedaction {
    /// What replaces a secret.
    public static let mask = "[redacted]"

    /// Whether a field of this name holds a secret: passwords, API keys, webhook secrets, license keys, tokens.
    public static func isSecret(_ name: String) -> Bool {
        let key = name.lowercased().replacingOccurrences(of: "_", with: "").replacingOccurrences(of: "-", with: "")
        return key == "key" || key == "authorization" || key == "plain" || key == "code"
            || ["password", "secret", "token", "apikey", "licensekey", "credential"].contains { key.contains($0) }
    }

    /// `json` with every secret field masked, long texts shortened; not JSON → a note of its size.
    public static func redact(json: String) -> String {
        guard let data = json.data(using: .utf8),
            let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        else { return "{\"unreadable\": \(json.utf8.count)}" }
        let cleaned = redact(value)
        guard let out = try? JSONSerialization.data(withJSONObject: cleaned, options: [.sortedKeys, .fragmentsAllowed])
        else { return "{}" }
        return String(decoding: out, as: UTF8.self)
    }

    static func redact(_ value: Any) -> Any {
        switch value {
        case let object as [String: Any]:
            // A header-like pair {name: "Authorization", value: "…"} hides its value.
            let secretPair = (object["name"] as? String).map(isSecret) ?? false
            var result: [String: Any] = [:]
            for (key, item) in object {
                result[key] = isSecret(key) || (secretPair && key == "value") ? mask : redact(item)
            }
            return result
        case let array as [Any]:
            return array.prefix(50).map(redact)
        case let text as String:
            return text.count > 256 ? String(text.prefix(256)) + "…(\(text.utf8.count) bytes)" : text
        default:
            return value
        }
    }
}
