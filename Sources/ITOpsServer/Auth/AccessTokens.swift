import Foundation
import ITOpsCore
import JWTKit

/// The claims of a user's access token.
struct AccessClaims: JWTPayload {
    var sub: SubjectClaim
    var email: String
    var role: String
    /// The session (refresh-token family) the token belongs to.
    var sid: String
    /// The user's credentials version at issue; a bumped version invalidates the token.
    var ver: Int64
    var iat: IssuedAtClaim
    var exp: ExpirationClaim

    /// Expiry is checked by `AccessTokens.verify` against the injected clock, not here.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Issues and verifies HS256 access tokens signed with `ITOPS_JWT_SECRET`.
struct AccessTokens: Sendable {
    static let lifetime: TimeInterval = 3600
    let keys: JWTKeyCollection
    let clock: any WallClock

    /// `secret` must already be validated (≥ 32 characters): shorter HMAC keys trap in jwt-kit.
    static func make(secret: String, clock: any WallClock) async -> AccessTokens {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return AccessTokens(keys: keys, clock: clock)
    }

    func issue(for user: User, session: UUID) async throws -> (token: String, expiresAt: Date) {
        let now = clock.now()
        let expiresAt = now.addingTimeInterval(Self.lifetime)
        let claims = AccessClaims(
            sub: SubjectClaim(value: user.id.stored), email: user.email, role: user.role.rawValue,
            sid: session.stored, ver: user.credentialsVersion, iat: IssuedAtClaim(value: now), exp: ExpirationClaim(value: expiresAt))
        return (try await keys.sign(claims), expiresAt)
    }

    /// The principal of a valid, unexpired token; throws `unauthenticated` otherwise.
    func verify(_ token: String) async throws(ITOpsError) -> Principal {
        let claims: AccessClaims
        do {
            claims = try await keys.verify(token, as: AccessClaims.self)
        } catch {
            throw .unauthenticated("invalid access token")
        }
        guard claims.exp.value > clock.now() else { throw .unauthenticated("access token expired; refresh it") }
        guard let id = UUID(uuidString: claims.sub.value), let role = Role(rawValue: claims.role),
            let session = UUID(uuidString: claims.sid)
        else {
            throw .unauthenticated("invalid access token")
        }
        return Principal(
            kind: .user(id: id, email: claims.email), role: role, expiresAt: claims.exp.value, sessionId: session,
            credentialsVersion: claims.ver)
    }
}
