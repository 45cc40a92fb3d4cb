import Foundation
import JWTKit

/// The claims of an ID token ITOps reads; the rest (the role claim) is read from ``VerifiedIDToken/claims``.
struct IDTokenClaims: JWTPayload {
    var iss: IssuerClaim
    var sub: SubjectClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var nonce: String?
    var azp: String?

    /// Checked by `IDTokenVerifier` against the injected clock and the expected values.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// An ID token whose signature, issuer, audience, expiry and nonce were checked.
public struct VerifiedIDToken: @unchecked Sendable {
    // @unchecked: `claims` holds only JSONSerialization values (dictionaries, arrays, strings, numbers),
    // never mutated after parsing.
    public let subject: String
    /// Every claim of the payload, as JSONSerialization decoded it.
    public let claims: [String: Any]

    /// The string values at `path` (dots separate nested objects, e.g. `realm_access.roles`): a string
    /// claim gives one value, an array of strings gives each.
    public func values(at path: String) -> [String] {
        var current: Any? = claims
        for key in path.split(separator: ".") { current = (current as? [String: Any])?[String(key)] }
        if let text = current as? String { return [text] }
        return (current as? [Any])?.compactMap { $0 as? String } ?? []
    }

    /// A string claim.
    public func string(_ name: String) -> String? { claims[name] as? String }
}

/// Why an ID token was refused.
public struct IDTokenError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Checks ID tokens against the provider's JWKS: signature (RS*, PS*, ES* only), `iss`, `aud` (and
/// `azp` when there are several audiences), `exp` with a minute of leeway, and the flow's `nonce`.
///
/// The key set is fetched on first use and again when a token names a key id it does not hold (a key
/// rotation) — at most once per `refetchInterval`, so tokens with made-up key ids cannot make ITOps
/// hammer the provider.
public actor IDTokenVerifier {
    public static let algorithms: Set<String> = [
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
    ]

    private let issuer: String
    private let clientId: String
    private let fetchJWKS: @Sendable () async throws -> String
    private let refetchInterval: Duration
    private var keys: JWTKeyCollection?
    private var kids: Set<String> = []
    private var lastRefetch: ContinuousClock.Instant?
    /// How many times the key set was fetched (tests).
    public private(set) var fetches = 0
    /// Allowed clock difference for `exp`.
    static let leeway: TimeInterval = 60

    public init(
        issuer: String, clientId: String, refetchInterval: Duration = .seconds(60),
        fetchJWKS: @escaping @Sendable () async throws -> String
    ) {
        self.issuer = issuer
        self.clientId = clientId
        self.refetchInterval = refetchInterval
        self.fetchJWKS = fetchJWKS
    }

    /// The verified token, or `IDTokenError` saying what is wrong.
    public func verify(_ token: String, nonce: String, now: Date) async throws -> VerifiedIDToken {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Self.base64URL(parts[0]), let payloadData = Self.base64URL(parts[1]),
            let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
            let claims = try? JSONSerialization.jsonObject(with: payloadData) as? [String: Any]
        else { throw IDTokenError("the ID token is not a JWS") }
        guard let alg = header["alg"] as? String, Self.algorithms.contains(alg) else {
            throw IDTokenError(
                "the ID token's algorithm '\(header["alg"] ?? "none")' is not accepted (RS*, PS*, ES* only)")
        }
        let kid = header["kid"] as? String
        var collection = try await currentKeys(refresh: false)
        if !hasKey(kid) {
            collection = try await currentKeys(refresh: true)
            guard hasKey(kid) else {
                throw IDTokenError("the ID token is signed with a key the provider does not publish")
            }
        }
        let verified: IDTokenClaims
        do {
            verified = try await collection.verify(token, as: IDTokenClaims.self)
        } catch {
            throw IDTokenError("the ID token's signature does not verify")
        }
        guard Self.sameIssuer(verified.iss.value, issuer) else {
            throw IDTokenError("the ID token was issued by '\(verified.iss.value)', not '\(issuer)'")
        }
        guard verified.aud.value.contains(clientId) else {
            throw IDTokenError("the ID token is meant for another client")
        }
        if verified.aud.value.count > 1, verified.azp != clientId {
            throw IDTokenError("the ID token has several audiences and names another authorized party")
        }
        guard verified.exp.value.addingTimeInterval(Self.leeway) > now else {
            throw IDTokenError("the ID token has expired")
        }
        guard let tokenNonce = verified.nonce, Self.constantTimeEquals(tokenNonce, nonce) else {
            throw IDTokenError("the ID token's nonce does not match this sign-in")
        }
        return VerifiedIDToken(subject: verified.sub.value, claims: claims)
    }

    private func hasKey(_ kid: String?) -> Bool {
        guard let kid else { return kids.count == 1 }  // without a kid only an unambiguous key set will do
        return kids.contains(kid)
    }

    private func currentKeys(refresh: Bool) async throws -> JWTKeyCollection {
        if let keys, !refresh { return keys }
        if let keys, let lastRefetch, ContinuousClock.now - lastRefetch < refetchInterval { return keys }
        let json: String
        do {
            json = try await fetchJWKS()
        } catch {
            throw IDTokenError("the provider's key set could not be fetched: \(error)")
        }
        if refresh { lastRefetch = .now }
        fetches += 1
        let collection = JWTKeyCollection()
        var found: Set<String> = []
        guard let set = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let list = set["keys"] as? [[String: Any]]
        else { throw IDTokenError("the provider's key set is not a JWKS") }
        for key in list {
            // Signing keys only; one key that jwt-kit cannot use does not spoil the others.
            if let use = key["use"] as? String, use != "sig" { continue }
            guard let data = try? JSONSerialization.data(withJSONObject: key),
                let jwk = try? JSONDecoder().decode(JWK.self, from: data), let kid = key["kid"] as? String
            else { continue }
            do {
                try await collection.add(jwk: jwk)
                found.insert(kid)
            } catch {
                continue
            }
        }
        keys = collection
        kids = found
        return collection
    }

    static func sameIssuer(_ a: String, _ b: String) -> Bool {
        a == b || a.trimmingSuffix("/") == b.trimmingSuffix("/")
    }

    static func base64URL(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
