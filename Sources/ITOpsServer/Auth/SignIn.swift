import Foundation
import ITOpsCore
import ITOpsGraphQL
import ITOpsIdentity
import Logging

/// Sign-in beyond local passwords: LDAP through the `login` mutation, OIDC through a redirect flow that
/// ends with a one-time code the console exchanges for a session.
///
/// Which provider checks a `login(email:, password:)`: the local password when an account with that
/// email exists and is local; otherwise, when LDAP is configured, the directory (with what was typed as
/// `{username}`). An LDAP account never falls back to a local password (it has none: its hash is `!`).
struct SignIn: Sendable {
    /// How long a started OIDC flow may take to come back.
    static let flowLifetime: TimeInterval = 600
    /// How long the one-time code of a finished flow may wait for its exchange.
    static let codeLifetime: TimeInterval = 60

    let store: any Store
    let clock: any WallClock
    let accounts: Accounts
    let ldap: LDAPDirectory?
    let oidc: OIDCClient?
    let logger: Logger

    /// The `login` mutation: local or LDAP, see the type's comment.
    func login(email identifier: String, password: String, client: String) async throws -> AuthSession {
        guard let ldap else { return try await accounts.login(email: identifier, password: password, client: client) }
        let provider = try await store.reader.externalIdentityReader().signInProvider(email: identifier)
        if provider == .local { return try await accounts.login(email: identifier, password: password, client: client) }
        guard identifier.utf8.count <= 256, password.utf8.count <= 1_024 else {
            throw ITOpsError.unauthenticated("invalid email or password")
        }
        let reservation = try accounts.throttle.reserve(email: identifier.lowercased(), client: client)
        let profile: ExternalProfile
        do {
            profile = try await ldap.authenticate(username: identifier, password: password)
        } catch LDAPDirectory.Refusal.invalidCredentials {
            throw ITOpsError.unauthenticated("invalid email or password")
        } catch LDAPDirectory.Refusal.noRole(let dn) {
            accounts.throttle.succeeded(reservation)
            logger.notice("LDAP sign-in refused: no group maps to a role", metadata: ["dn": "\(dn)"])
            throw ITOpsError.forbidden(
                "your directory account is in no group that ITOPS_LDAP_ROLE_MAP gives a role; ask an ITOps admin")
        } catch LDAPDirectory.Refusal.noEmail(let dn) {
            accounts.throttle.succeeded(reservation)
            throw ITOpsError.forbidden("your directory entry (\(dn)) has no mail attribute, which ITOps needs")
        } catch let error as LDAPError {
            accounts.throttle.succeeded(reservation)
            logger.error("LDAP sign-in failed", metadata: ["error": "\(error)"])
            throw ITOpsError(.unavailable, "the directory cannot be used right now: \(error)")
        } catch let error as LDAPFilter.ParseError {
            throw ITOpsError.invalid("email: '\(identifier.prefix(64))' cannot be looked up in the directory: \(error)")
        }
        accounts.throttle.succeeded(reservation)
        let now = clock.now()
        let user = try await store.write { tx in try await tx.externalIdentityWriter().signIn(profile, at: now) }
        return try await accounts.openSession(for: user)
    }

    /// Starts an OIDC flow: stores state, nonce and PKCE verifier, and returns the provider's URL.
    func startOIDC() async throws -> String {
        guard let oidc else { throw ITOpsError.notFound("OIDC sign-in is not configured (ITOPS_OIDC_ISSUER)") }
        let state = Secrets.randomHex(bytes: 32)
        let nonce = Secrets.randomHex(bytes: 32)
        let verifier = Secrets.randomHex(bytes: 48)
        let now = clock.now()
        let flow = SignInFlow(
            stateHash: Secrets.sha256(state), nonce: nonce, codeVerifier: verifier, createdAt: now,
            expiresAt: now.addingTimeInterval(Self.flowLifetime))
        let url = try await oidc.authorizationURL(state: state, nonce: nonce, codeVerifier: verifier)
        try await store.write { tx in
            let records = try tx.externalIdentityWriter()
            try await records.pruneSignIn(before: now)
            try await records.insert(flow)
        }
        return url
    }

    /// Finishes an OIDC flow from the callback's query; returns the one-time code for the console.
    func finishOIDC(_ query: [String: String]) async throws -> String {
        guard let oidc else { throw ITOpsError.notFound("OIDC sign-in is not configured (ITOPS_OIDC_ISSUER)") }
        if let error = query["error"] {
            let reason = query["error_description"] ?? error
            throw OIDCClient.Failure("the identity provider did not sign you in: \(reason.prefix(200))")
        }
        guard let state = query["state"], let code = query["code"], !state.isEmpty, !code.isEmpty,
            state.utf8.count <= 512, code.utf8.count <= 4096
        else { throw OIDCClient.Failure("the provider's answer lacks state or code; start the sign-in again") }
        let now = clock.now()
        let stateHash = Secrets.sha256(state)
        guard
            let flow = try await store.write({ tx in
                try await tx.externalIdentityWriter().takeSignInFlow(stateHash: stateHash, now: now)
            })
        else {
            throw OIDCClient.Failure("this sign-in expired, was already used or was not started here; start it again")
        }
        let token: VerifiedIDToken
        do {
            token = try await oidc.finish(code: code, codeVerifier: flow.codeVerifier, nonce: flow.nonce, now: now)
        } catch let error as IDTokenError {
            logger.warning("OIDC ID token refused", metadata: ["reason": "\(error)"])
            throw OIDCClient.Failure("the identity provider's answer could not be trusted: \(error)")
        }
        let profile = try oidc.profile(token)
        let plain = Secrets.randomHex(bytes: 32)
        let hash = Secrets.sha256(plain)
        try await store.write { tx in
            let records = try tx.externalIdentityWriter()
            let user = try await records.signIn(profile, at: now)
            try await records.insertSignInCode(
                hash: hash, userId: user.id, createdAt: now, expiresAt: now.addingTimeInterval(Self.codeLifetime))
        }
        return plain
    }

    /// The `exchangeSignInCode` mutation: spends a one-time code for a session.
    func exchange(code: String) async throws -> AuthSession {
        let refused = ITOpsError.unauthenticated("this sign-in code is invalid, expired or already used; sign in again")
        guard !code.isEmpty, code.utf8.count <= 128 else { throw refused }
        let now = clock.now()
        let hash = Secrets.sha256(code)
        guard
            let userId = try await store.write({ tx in
                try await tx.externalIdentityWriter().takeSignInCode(hash: hash, now: now)
            })
        else { throw refused }
        guard try await store.reader.externalIdentityReader().isDisabled(userId: userId) == false,
            let user = try await store.reader.user(id: userId)
        else { throw ITOpsError.forbidden("this account is disabled or was removed; ask an ITOps admin") }
        return try await accounts.openSession(for: user)
    }

    /// Where the console lives: the origin of the OIDC redirect URL.
    var consoleURL: String {
        guard let redirect = oidc?.settings.redirectURL, let url = URLComponents(string: redirect) else { return "/" }
        var origin = URLComponents()
        origin.scheme = url.scheme
        origin.host = url.host
        origin.port = url.port
        origin.path = "/"
        return origin.string ?? "/"
    }
}
