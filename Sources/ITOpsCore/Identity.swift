import Foundation

/// What an admin may change on a user; `nil` keeps the stored value.
public struct UserUpdate: Sendable, Equatable {
    public var role: Role?
    /// An empty string clears the display name.
    public var displayName: String?
    public var disabled: Bool?

    public init(role: Role? = nil, displayName: String? = nil, disabled: Bool? = nil) {
        self.role = role
        self.displayName = displayName
        self.disabled = disabled
    }
}

/// A one-time password-reset token, shown once; only its SHA-256 is stored.
public struct PasswordResetGrant: Sendable {
    public var token: String
    public var expiresAt: Date
    public var user: User

    public init(token: String, expiresAt: Date, user: User) {
        self.token = token
        self.expiresAt = expiresAt
        self.user = user
    }
}

/// A stored password-reset token.
public struct PasswordReset: Sendable, Equatable {
    public var id: UUID
    public var userId: UUID
    public var tokenHash: String
    public var createdAt: Date
    public var expiresAt: Date
    public var usedAt: Date?

    public init(id: UUID = UUID.random(), userId: UUID, tokenHash: String, createdAt: Date, expiresAt: Date, usedAt: Date? = nil) {
        self.id = id
        self.userId = userId
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }
}

/// Managing users and their credentials: the server implements it, GraphQL and the CLI call it.
public protocol IdentityAdmin: Sendable {
    /// Changes role, display name or disabled; `conflict` when it would leave no enabled admin.
    func updateUser(id: UUID, _ update: UserUpdate) async throws -> User
    /// Removes a user and their sessions; `conflict` for the last enabled admin.
    func deleteUser(id: UUID) async throws -> User
    /// Changes the principal's own password and ends their other sessions.
    func changePassword(principal: Principal, current: String, new: String) async throws
    /// A one-time token with which the user sets a new password (`completePasswordReset`).
    func resetPassword(id: UUID) async throws -> PasswordResetGrant
    /// Spends a reset token: sets the password and ends every session of the user.
    func completePasswordReset(token: String, newPassword: String) async throws
}

/// What decides, per request, whether an already issued credential still holds: read from the
/// store every few seconds by every instance (see `CredentialState` in the server).
public struct CredentialSnapshot: Sendable {
    public struct UserState: Sendable, Equatable {
        public var role: Role
        public var disabled: Bool
        public var credentialsVersion: Int64
        public init(role: Role, disabled: Bool, credentialsVersion: Int64) {
            self.role = role
            self.disabled = disabled
            self.credentialsVersion = credentialsVersion
        }
    }

    public struct KeyState: Sendable, Equatable {
        public var revoked: Bool
        public var expiresAt: Date?
        public init(revoked: Bool, expiresAt: Date?) {
            self.revoked = revoked
            self.expiresAt = expiresAt
        }
    }

    public var users: [UUID: UserState]
    /// Sessions (refresh-token families) with a revoked token, revoked recently enough that an
    /// access token of theirs may still be unexpired.
    public var revokedSessions: Set<UUID>
    public var keys: [UUID: KeyState]

    public init(users: [UUID: UserState], revokedSessions: Set<UUID>, keys: [UUID: KeyState]) {
        self.users = users
        self.revokedSessions = revokedSessions
        self.keys = keys
    }
}
