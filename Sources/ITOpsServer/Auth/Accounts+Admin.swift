import Foundation
import ITOpsCore

/// Administration of users: roles, disabling, deletion, passwords. Every change that takes rights
/// away bumps the user's credentials version or revokes sessions, so it reaches tokens already
/// issued (see `CredentialState`).
extension Accounts: IdentityAdmin {
    /// How long an admin's password-reset token stays valid.
    static let resetLifetime: TimeInterval = 30 * 60

    func updateUser(id: UUID, _ update: UserUpdate) async throws -> User {
        if let name = update.displayName, name.count > 200 {
            throw ITOpsError.invalid("input.displayName: at most 200 characters")
        }
        let now = clock.now()
        let user = try await store.write { tx in
            guard var user = try await tx.user(id: id) else { throw ITOpsError.notFound("no user with id \(id.stored)") }
            let before = user
            if let role = update.role { user.role = role }
            if let name = update.displayName {
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                user.displayName = trimmed.isEmpty ? nil : trimmed
            }
            if let disabled = update.disabled { user.disabled = disabled }
            if before.isEnabledAdmin, !user.isEnabledAdmin {
                try await Self.requireAnotherAdmin(besides: id, tx, doing: user.disabled ? "disable" : "demote")
            }
            // Disabling ends every token issued before, for good (enabling again does not revive
            // them). A changed role needs nothing: every request re-reads it.
            if user.disabled, !before.disabled { user.credentialsVersion += 1 }
            if user.disabled, !before.disabled { try await tx.revokeRefreshTokens(userId: id, at: now) }
            try await tx.update(user)
            return user
        }
        onCredentialsChange()
        return user
    }

    func deleteUser(id: UUID) async throws -> User {
        let user = try await store.write { tx in
            guard let user = try await tx.user(id: id) else { throw ITOpsError.notFound("no user with id \(id.stored)") }
            if user.isEnabledAdmin { try await Self.requireAnotherAdmin(besides: id, tx, doing: "delete") }
            try await tx.deleteUser(id: id)
            return user
        }
        onCredentialsChange()
        return user
    }

    func changePassword(principal: Principal, current: String, new: String) async throws {
        guard let userId = principal.userId else {
            throw ITOpsError.forbidden("changePassword is for users; an API key has no password")
        }
        try Self.validate(password: new, field: "new")
        guard current.utf8.count <= 1_024 else { throw ITOpsError.invalid("current: the password is wrong") }
        guard let user = try await store.reader.user(id: userId), user.provider == "local" else {
            throw ITOpsError.invalid("this account signs in through its directory; change the password there")
        }
        guard try await hasher.verify(current, hash: user.passwordHash) else {
            throw ITOpsError.invalid("current: the password is wrong")
        }
        let hash = try await hasher.hash(new)
        let now = clock.now()
        let keep = principal.sessionId
        try await store.write { tx in
            guard var user = try await tx.user(id: userId) else { throw ITOpsError.notFound("the user no longer exists") }
            user.passwordHash = hash
            try await tx.update(user)
            // Every other session ends; this one goes on.
            try await tx.revokeRefreshTokens(userId: userId, exceptFamily: keep, at: now)
        }
        onCredentialsChange()
    }

    func resetPassword(id: UUID) async throws -> PasswordResetGrant {
        let plain = Secrets.randomHex(bytes: 24)
        let now = clock.now()
        let expiresAt = now.addingTimeInterval(Self.resetLifetime)
        let user = try await store.write { tx in
            guard let user = try await tx.user(id: id) else { throw ITOpsError.notFound("no user with id \(id.stored)") }
            guard user.provider == "local" else {
                throw ITOpsError.invalid("id: this user signs in through \(user.provider); reset the password there")
            }
            try await tx.insert(
                PasswordReset(userId: id, tokenHash: Secrets.sha256(plain), createdAt: now, expiresAt: expiresAt))
            return user
        }
        return PasswordResetGrant(token: plain, expiresAt: expiresAt, user: user)
    }

    func completePasswordReset(token: String, newPassword: String) async throws {
        try Self.validate(password: newPassword, field: "newPassword")
        guard token.utf8.count <= 128 else { throw ITOpsError.invalid("token: not a valid reset token") }
        let hash = try await hasher.hash(newPassword)
        let now = clock.now()
        let outcome: Result<Void, ITOpsError> = try await store.write { tx in
            guard var reset = try await tx.passwordReset(hash: Secrets.sha256(token)), reset.usedAt == nil else {
                return .failure(.invalid("token: not a valid reset token (unknown or already used)"))
            }
            guard reset.expiresAt > now else {
                return .failure(.invalid("token: the reset token expired; ask an admin for a new one"))
            }
            guard var user = try await tx.user(id: reset.userId) else {
                return .failure(.invalid("token: the user no longer exists"))
            }
            reset.usedAt = now
            try await tx.update(reset)
            user.passwordHash = hash
            user.credentialsVersion += 1
            try await tx.update(user)
            try await tx.revokeRefreshTokens(userId: user.id, at: now)
            return .success(())
        }
        try outcome.get()
        onCredentialsChange()
    }

    /// Throws `conflict` unless an enabled admin other than `id` exists.
    private static func requireAnotherAdmin(besides id: UUID, _ tx: any StoreWriter, doing verb: String) async throws {
        let others = try await tx.users().filter { $0.id != id && $0.isEnabledAdmin }
        guard !others.isEmpty else {
            throw ITOpsError(.conflict, "cannot \(verb) the last enabled admin; make another user admin first")
        }
    }
}

extension User {
    /// An admin who can sign in.
    var isEnabledAdmin: Bool { role == .admin && !disabled }
}
