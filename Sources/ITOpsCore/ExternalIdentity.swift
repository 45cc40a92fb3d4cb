import Foundation

/// Where a user signs in: the `users.provider` column.
public enum SignInProviderKind: String, Sendable, CaseIterable {
    case local, ldap, oidc
}

/// What a directory (LDAP) or an identity provider (OIDC) says about a person at sign-in.
public struct ExternalProfile: Sendable, Equatable {
    /// `ldap` or `oidc`.
    public var provider: SignInProviderKind
    /// The directory's stable id for the person: the entry's `entryUUID` (or DN), the ID token's `sub`.
    public var subject: String
    public var email: String
    public var displayName: String?
    /// The role the directory's groups or claims map to.
    public var role: Role

    public init(provider: SignInProviderKind, subject: String, email: String, displayName: String?, role: Role) {
        self.provider = provider
        self.subject = subject
        self.email = email
        self.displayName = displayName
        self.role = role
    }
}

/// One started OIDC sign-in: what the callback needs to finish it, kept in the database so any
/// instance behind a load balancer can finish a flow another one started.
public struct SignInFlow: Sendable, Equatable {
    /// SHA-256 of the `state` parameter sent to the provider.
    public var stateHash: String
    public var nonce: String
    /// The PKCE verifier whose S256 challenge went to the provider.
    public var codeVerifier: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(stateHash: String, nonce: String, codeVerifier: String, createdAt: Date, expiresAt: Date) {
        self.stateHash = stateHash
        self.nonce = nonce
        self.codeVerifier = codeVerifier
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// Read access for sign-in: ``StoreReader/externalIdentityReader()``.
public protocol ExternalIdentityReader: Sendable {
    /// The provider of the user with this email (lower-cased), `nil` when there is none.
    func signInProvider(email: String) async throws -> SignInProviderKind?
    /// Whether the user exists and an admin disabled them (`nil`: no such user).
    func isDisabled(userId: UUID) async throws -> Bool?
}

/// Write access for sign-in, inside a store transaction: ``StoreWriter/externalIdentityWriter()``.
public protocol ExternalIdentityWriter: ExternalIdentityReader {
    /// Finds the user of `(profile.provider, profile.subject)` or creates one (password hash `!`, which no
    /// password matches); refreshes email, display name and role, and sets `last_sign_in_at` to `at`.
    /// Throws `forbidden` for a disabled user and `conflict` when the email belongs to another account.
    func signIn(_ profile: ExternalProfile, at: Date) async throws -> User
    func insert(_ flow: SignInFlow) async throws
    /// Removes and returns the flow of `stateHash` if it has not expired at `now` (single use).
    func takeSignInFlow(stateHash: String, now: Date) async throws -> SignInFlow?
    /// Stores a one-time code (its hash) that opens a session for `userId` until `expiresAt`.
    func insertSignInCode(hash: String, userId: UUID, createdAt: Date, expiresAt: Date) async throws
    /// Removes the code of `hash` and returns its user if it had not expired at `now` (single use).
    func takeSignInCode(hash: String, now: Date) async throws -> UUID?
    /// Forgets flows and codes that expired before `cutoff`.
    func pruneSignIn(before cutoff: Date) async throws
}

extension StoreReader {
    /// Sign-in look-ups of this store.
    public func externalIdentityReader() throws -> any ExternalIdentityReader {
        guard let records = self as? any ExternalIdentityReader else {
            throw ITOpsError(.internal, "this store keeps no external identities")
        }
        return records
    }
}

extension StoreWriter {
    /// Sign-in writes, inside this transaction.
    public func externalIdentityWriter() throws -> any ExternalIdentityWriter {
        guard let records = self as? any ExternalIdentityWriter else {
            throw ITOpsError(.internal, "this store keeps no external identities")
        }
        return records
    }
}
