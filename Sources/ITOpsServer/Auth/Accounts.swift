import Foundation
import ITOpsCore
import ITOpsGraphQL
import Logging

/// Users, sessions and refresh tokens.
struct Accounts: Sendable {
    static let refreshLifetime: TimeInterval = 30 * 86_400
    static let minPasswordLength = 8

    let store: any Store
    let clock: any WallClock
    let tokens: AccessTokens
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    /// A hash of a random password, verified when the email is unknown so timing does not tell.
    let decoyHash: String
    /// Called after a change that takes rights away (disable, delete, role, password): the
    /// revocation state re-reads the database at once.
    var onCredentialsChange: @Sendable () -> Void = {}

    /// Creates a user; `conflict` when the email is taken.
    func createUser(email rawEmail: String, password: String, role: Role) async throws -> User {
        let email = rawEmail.lowercased()
        guard Email.isPlausible(email) else {
            throw ITOpsError.invalid("email: '\(rawEmail.prefix(254))' is not an email address")
        }
        try Self.validate(password: password, field: "password")
        let user = User(email: email, passwordHash: try await hasher.hash(password), role: role, createdAt: clock.now())
        return try await store.write { tx in
            guard try await tx.user(email: email) == nil else {
                throw ITOpsError(.conflict, "email: a user with this email exists")
            }
            try await tx.insert(user)
            return user
        }
    }

    /// Throws `invalid` naming `field` unless `password` is 8 characters to 72 bytes.
    static func validate(password: String, field: String) throws(ITOpsError) {
        guard password.count >= minPasswordLength else {
            throw .invalid("\(field): must be at least \(minPasswordLength) characters")
        }
        guard password.utf8.count <= 72 else { throw .invalid("\(field): at most 72 bytes (bcrypt's limit)") }
    }

    /// Creates the first admin when no user exists yet; returns whether it did.
    func bootstrapAdmin(email: String, password: String) async throws -> Bool {
        guard try await store.reader.userCount() == 0 else { return false }
        do {
            _ = try await createUser(email: email, password: password, role: .admin)
            return true
        } catch let error as ITOpsError where error.code == .conflict {
            return false  // another instance won the race
        }
    }

    func login(email rawEmail: String, password: String, client: String) async throws -> AuthSession {
        let email = rawEmail.lowercased()
        guard email.utf8.count <= 254, password.utf8.count <= 1_024 else {
            throw ITOpsError.unauthenticated("invalid email or password")
        }
        // Counted before bcrypt runs, so parallel guesses are all counted.
        let reservation = try throttle.reserve(email: email, client: client)
        let user = try await store.reader.user(email: email)
        // A user of an external provider has no password ("!"): checked against the decoy, it fails
        // in the same time as a wrong password.
        let local = user.map { $0.provider == "local" && $0.passwordHash.hasPrefix("$") } ?? false
        let valid = try await hasher.verify(password, hash: local ? user?.passwordHash ?? decoyHash : decoyHash)
        guard let user, valid, local else { throw ITOpsError.unauthenticated("invalid email or password") }
        throttle.succeeded(reservation)
        // Said only to whoever knows the password.
        guard !user.disabled else { throw Self.disabledError }
        return try await openSession(for: user, family: UUID.random())
    }

    /// A spent refresh token presented again: its whole session was revoked.
    static let reusedRefreshError = ITOpsError.unauthenticated("refresh token already used; the session was revoked")

    /// The refusal of a disabled user's sign-in or refresh.
    static let disabledError = ITOpsError.forbidden("this account is disabled; ask an admin to enable it")

    func refresh(refreshToken: String, client: String) async throws -> AuthSession {
        let hash = Secrets.sha256(refreshToken)
        let now = clock.now()
        let plain = Secrets.randomHex(bytes: 32)
        let outcome: Result<(user: User, family: UUID), ITOpsError> = try await store.write { tx in
            guard var token = try await tx.refreshToken(hash: hash) else {
                return .failure(.unauthenticated("invalid refresh token"))
            }
            guard token.revokedAt == nil else { return .failure(.unauthenticated("refresh token revoked")) }
            guard token.usedAt == nil else {
                // A spent token presented again means it leaked: end every session of that login.
                // Returned, not thrown, so the revocation commits.
                try await tx.revokeRefreshTokens(familyId: token.familyId, at: now)
                return .failure(Self.reusedRefreshError)
            }
            guard token.expiresAt > now else {
                return .failure(.unauthenticated("refresh token expired; sign in again"))
            }
            guard let user = try await tx.user(id: token.userId) else {
                return .failure(.unauthenticated("the user no longer exists"))
            }
            guard !user.disabled else { return .failure(Self.disabledError) }
            token.usedAt = now
            try await tx.update(token)
            try await tx.insert(
                RefreshToken(
                    userId: user.id, tokenHash: Secrets.sha256(plain), familyId: token.familyId, createdAt: now,
                    expiresAt: now.addingTimeInterval(Self.refreshLifetime)))
            return .success((user, token.familyId))
        }
        if case .failure(let error) = outcome, error == Self.reusedRefreshError { onCredentialsChange() }
        let (user, family) = try outcome.get()
        let access = try await tokens.issue(for: user, session: family)
        return AuthSession(accessToken: access.token, refreshToken: plain, expiresAt: access.expiresAt, user: user)
    }

    func logout(principal: Principal, refreshToken: String?) async throws -> Bool {
        guard let userId = principal.userId else { throw ITOpsError.forbidden("logout is for users, not API keys") }
        let now = clock.now()
        defer { onCredentialsChange() }
        return try await store.write { tx in
            if let refreshToken {
                guard var token = try await tx.refreshToken(hash: Secrets.sha256(refreshToken)), token.userId == userId
                else { throw ITOpsError.notFound("refreshToken: not a token of yours") }
                if token.revokedAt == nil {
                    token.revokedAt = now
                    try await tx.update(token)
                }
                return true
            }
            try await tx.revokeRefreshTokens(userId: userId, at: now)
            return true
        }
    }

    /// A new session (access and refresh token) for a user another provider signed in (LDAP, OIDC).
    func openSession(for user: User) async throws -> AuthSession {
        try await openSession(for: user, family: UUID.random())
    }

    private func openSession(for user: User, family: UUID) async throws -> AuthSession {
        let now = clock.now()
        let plain = Secrets.randomHex(bytes: 32)
        try await store.write { tx in
            try await tx.insert(
                RefreshToken(
                    userId: user.id, tokenHash: Secrets.sha256(plain), familyId: family, createdAt: now,
                    expiresAt: now.addingTimeInterval(Self.refreshLifetime)))
            try await tx.recordSignIn(userId: user.id, at: now)
        }
        var user = user
        user.lastSignInAt = now
        let access = try await tokens.issue(for: user, session: family)
        return AuthSession(accessToken: access.token, refreshToken: plain, expiresAt: access.expiresAt, user: user)
    }
}
