import Foundation

/// Who is making a request: a signed-in user or an API key.
public struct Principal: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case user(id: UUID, email: String)
        case apiKey(id: UUID, name: String)
    }

    public var kind: Kind
    public var role: Role
    /// When the credential stops being valid (a JWT's `exp`, a key's expiry).
    public var expiresAt: Date?
    /// A user's session: the refresh-token family the access token was issued for.
    public var sessionId: UUID?
    /// The user's credentials version when the access token was issued.
    public var credentialsVersion: Int64?
    /// An API key's node scope: the hierarchy prefixes it may act on and read; `nil` is everything.
    public var nodeScope: [NodePath]?

    public init(
        kind: Kind, role: Role, expiresAt: Date? = nil, sessionId: UUID? = nil, credentialsVersion: Int64? = nil
    ) {
        self.kind = kind
        self.role = role
        self.expiresAt = expiresAt
        self.sessionId = sessionId
        self.credentialsVersion = credentialsVersion
    }

    /// Whether `node` is under one of the scope's prefixes (segment-wise: `a/b` covers `a/b` and
    /// `a/b/c`, not `a/bc`); always for an unscoped principal.
    public func covers(_ node: NodePath) -> Bool {
        guard let nodeScope else { return true }
        return nodeScope.contains { $0.covers(node) }
    }

    /// Throws `forbidden`, naming the scope, unless the principal may act on node `nodeId`
    /// (`unknown` when absent, as ingest defaults it). An unparsable path is left to the command's
    /// own validation.
    public func requireScope(nodeId: String?) throws(ITOpsError) {
        guard let nodeScope else { return }
        guard let node = try? NodePath(validating: nodeId ?? "unknown") else { return }
        guard covers(node) else {
            throw .forbidden(
                "this key is scoped to \(nodeScope.map(\.value).joined(separator: ", ")); node '\(node.value)' is outside it"
            )
        }
    }

    /// The user's id, when the principal is a user.
    public var userId: UUID? {
        if case .user(let id, _) = kind { return id }
        return nil
    }

    /// A short label for logs and the audit trail: `user:a@b.c` or `apikey:name`.
    public var label: String {
        switch kind {
        case .user(_, let email): "user:\(email)"
        case .apiKey(_, let name): "apikey:\(name)"
        }
    }

    /// Throws `forbidden` unless the principal holds at least `role`.
    public func require(_ role: Role) throws(ITOpsError) {
        guard self.role >= role else {
            throw .forbidden("this needs the \(role.rawValue) role; you have \(self.role.rawValue)")
        }
    }
}
