import Foundation
import ITOpsCore
import SQLKit

/// A `sign_in_flows` row, column for column.
struct SignInFlowRecord: Codable, Sendable {
    var stateHash: String
    var nonce: String
    var codeVerifier: String
    var createdAt: Int64
    var expiresAt: Int64

    init(_ flow: SignInFlow) {
        stateHash = flow.stateHash
        nonce = flow.nonce
        codeVerifier = flow.codeVerifier
        createdAt = flow.createdAt.epochMilliseconds
        expiresAt = flow.expiresAt.epochMilliseconds
    }

    var domain: SignInFlow {
        SignInFlow(
            stateHash: stateHash, nonce: nonce, codeVerifier: codeVerifier,
            createdAt: Date(epochMilliseconds: createdAt), expiresAt: Date(epochMilliseconds: expiresAt))
    }
}

// External sign-in (LDAP, OIDC): the identity columns of migration 9 read and written with this file's
// own SQL, and the short-lived OIDC flows and one-time codes of migration 11. Single use is a
// `DELETE … RETURNING`, which SQLite (3.35+) and PostgreSQL both answer with the rows it removed, so two
// instances racing for one code cannot both win.
extension SQLAccess: ExternalIdentityWriter {
    /// The hash no bcrypt check matches: an externally signed-in user has no local password.
    static let noPassword = "!"

    func signInProvider(email: String) async throws -> SignInProviderKind? {
        guard
            let row = try await db.raw("SELECT provider FROM users WHERE email = \(bind: email.lowercased())").first()
        else { return nil }
        let raw = try row.decode(column: "provider", as: String.self)
        guard let provider = SignInProviderKind(rawValue: raw) else {
            throw ITOpsError(.internal, "users.provider holds '\(raw)'")
        }
        return provider
    }

    func isDisabled(userId: UUID) async throws -> Bool? {
        try await db.raw("SELECT disabled FROM users WHERE id = \(bind: userId.stored)").first()?
            .decode(column: "disabled", as: Bool.self)
    }

    func signIn(_ profile: ExternalProfile, at: Date) async throws -> User {
        let email = profile.email.lowercased()
        let existing = try await db.raw(
            "SELECT id, disabled FROM users WHERE provider = \(bind: profile.provider.rawValue) AND external_subject = \(bind: profile.subject)"
        ).first()
        let holder = try await user(email: email)
        let id: UUID
        if let existing {
            guard let stored = UUID(uuidString: try existing.decode(column: "id", as: String.self)) else {
                throw ITOpsError(.internal, "users.id is not a UUID")
            }
            guard try !existing.decode(column: "disabled", as: Bool.self) else {
                throw ITOpsError.forbidden("this account is disabled; ask an ITOps admin")
            }
            if let holder, holder.id != stored { throw Self.emailTaken(email) }
            id = stored
        } else {
            if holder != nil { throw Self.emailTaken(email) }
            let user = User(email: email, passwordHash: Self.noPassword, role: profile.role, createdAt: at)
            try await insert(user)
            id = user.id
        }
        try await db.raw(
            """
            UPDATE users SET email = \(bind: email), display_name = \(bind: profile.displayName),
              role = \(bind: profile.role.rawValue), provider = \(bind: profile.provider.rawValue),
              external_subject = \(bind: profile.subject), last_sign_in_at = \(bind: at.epochMilliseconds),
              password_hash = \(bind: Self.noPassword)
            WHERE id = \(bind: id.stored)
            """
        ).run()
        guard let user = try await user(id: id) else { throw ITOpsError(.internal, "the signed-in user vanished") }
        return user
    }

    private static func emailTaken(_ email: String) -> ITOpsError {
        ITOpsError(
            .conflict,
            "email: an ITOps account with \(email) already exists and signs in another way; an admin must remove it before this sign-in can take the address"
        )
    }

    func insert(_ flow: SignInFlow) async throws {
        try await insertRow("sign_in_flows", SignInFlowRecord(flow))
    }

    func takeSignInFlow(stateHash: String, now: Date) async throws -> SignInFlow? {
        let row = try await db.raw("DELETE FROM sign_in_flows WHERE state_hash = \(bind: stateHash) RETURNING *")
            .first()
        guard let flow = try row?.decode(model: SignInFlowRecord.self, keyDecodingStrategy: Self.snake).domain,
            flow.expiresAt > now
        else { return nil }
        return flow
    }

    func insertSignInCode(hash: String, userId: UUID, createdAt: Date, expiresAt: Date) async throws {
        try await db.raw(
            """
            INSERT INTO sign_in_codes (code_hash, user_id, created_at, expires_at)
            VALUES (\(bind: hash), \(bind: userId.stored), \(bind: createdAt.epochMilliseconds), \(bind: expiresAt.epochMilliseconds))
            """
        ).run()
    }

    func takeSignInCode(hash: String, now: Date) async throws -> UUID? {
        guard
            let row = try await db.raw(
                "DELETE FROM sign_in_codes WHERE code_hash = \(bind: hash) RETURNING user_id, expires_at"
            ).first(),
            try row.decode(column: "expires_at", as: Int64.self) > now.epochMilliseconds
        else { return nil }
        return UUID(uuidString: try row.decode(column: "user_id", as: String.self))
    }

    func pruneSignIn(before cutoff: Date) async throws {
        try await db.raw("DELETE FROM sign_in_flows WHERE expires_at < \(bind: cutoff.epochMilliseconds)").run()
        try await db.raw("DELETE FROM sign_in_codes WHERE expires_at < \(bind: cutoff.epochMilliseconds)").run()
    }
}
