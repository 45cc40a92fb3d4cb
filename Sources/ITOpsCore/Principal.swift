import Foundation

/// Who is making a request: a signed-in user or an API key.
public struct Principal: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
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

    public init(
        kind: Kind, role: Role, expiresAt: Date? = nil, sessionId: UUID? = nil, credentialsVersion: Int64? = nil
    ) {
        self.kind = kind
        self.role = role
        self.expiresAt = expiresAt
        self.sessionId = sessionId
        self.credentialsVersion = credentialsVersion
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
