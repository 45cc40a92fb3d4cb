import Crypto
import Foundation
import ITOpsCore
import ITOpsOutbound

/// The relying-party side of OpenID Connect's authorization code flow with PKCE (S256), state and nonce.
///
/// Calls to the provider (discovery, token, JWKS) go through ITOps' outbound client — its timeouts,
/// response-size cap and hand-followed redirects — with the private-range check lifted: the issuer is
/// set by the operator in `ITOPS_OIDC_ISSUER`, not by an API caller, and an identity provider on an
/// internal address is normal.
public final class OIDCClient: Sendable {
    /// Everything `ITOPS_OIDC_*` says.
    public struct Settings: Sendable {
        public var issuer: String
        public var clientId: String
        /// `nil`: a public client (PKCE only, no client authentication).
        public var clientSecret: String?
        public var scopes = ["openid", "email", "profile"]
        /// The claim holding groups or roles; dots reach into nested objects (`realm_access.roles`).
        public var roleClaim = "groups"
        public var roleMap: RoleMap
        /// Where the provider sends the browser back: ITOps' `/api/v1/auth/oidc/callback`.
        public var redirectURL: String
        /// The sign-in button's text: "Sign in with <name>".
        public var name = "Single sign-on"

        public init(issuer: String, clientId: String, roleMap: RoleMap, redirectURL: String) {
            self.issuer = issuer
            self.clientId = clientId
            self.roleMap = roleMap
            self.redirectURL = redirectURL
        }
    }

    /// The provider's discovery document, the parts ITOps uses.
    struct Discovery: Sendable, Decodable {
        var issuer: String
        var authorization_endpoint: String
        var token_endpoint: String
        var jwks_uri: String
    }

    /// Why a flow failed; the message is for the person signing in.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    public let settings: Settings
    private let http: OutboundHTTPClient
    private let discovery: DiscoveryCache
    public let verifier: IDTokenVerifier

    public init(settings: Settings, timeout: Duration = .seconds(10)) {
        self.settings = settings
        var clientSettings = OutboundHTTPClient.Settings()
        clientSettings.timeout = timeout
        clientSettings.connectTimeout = min(.seconds(5), timeout)
        clientSettings.maxResponseBytes = 512 * 1024
        clientSettings.userAgent = "ITOps-OIDC/1"
        let http = OutboundHTTPClient(
            guardian: SSRFGuard(policy: SSRFPolicy(allowPrivate: true)), settings: clientSettings)
        self.http = http
        let discovery = DiscoveryCache(issuer: settings.issuer, http: http)
        self.discovery = discovery
        verifier = IDTokenVerifier(issuer: settings.issuer, clientId: settings.clientId) {
            let document = try await discovery.document()
            return try await Self.get(http, document.jwks_uri)
        }
    }

    /// The provider's authorization URL for one flow.
    public func authorizationURL(state: String, nonce: String, codeVerifier: String) async throws -> String {
        let document = try await discovery.document()
        guard var components = URLComponents(string: document.authorization_endpoint) else {
            throw Failure("the provider's authorization_endpoint is not a URL")
        }
        var items = components.queryItems ?? []
        items += [
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "client_id", value: settings.clientId),
            URLQueryItem(name: "redirect_uri", value: settings.redirectURL),
            URLQueryItem(name: "scope", value: settings.scopes.joined(separator: " ")),
            URLQueryItem(name: "state", value: state),
            URLQueryItem(name: "nonce", value: nonce),
            URLQueryItem(name: "code_challenge", value: Self.codeChallenge(codeVerifier)),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        components.percentEncodedQuery = items.map { "\(Self.formEncode($0.name))=\(Self.formEncode($0.value ?? ""))" }
            .joined(separator: "&")
        guard let url = components.string else { throw Failure("the authorization URL could not be built") }
        return url
    }

    /// Exchanges the authorization `code` for tokens and returns the verified ID token.
    public func finish(code: String, codeVerifier: String, nonce: String, now: Date) async throws -> VerifiedIDToken {
        let document = try await discovery.document()
        var form = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", settings.redirectURL),
            ("code_verifier", codeVerifier),
        ]
        var headers = [
            OutboundHeader("Content-Type", "application/x-www-form-urlencoded"),
            OutboundHeader("Accept", "application/json"),
        ]
        if let secret = settings.clientSecret {
            // client_secret_basic (RFC 6749 §2.3.1): both parts form-encoded first.
            let pair = "\(Self.formEncode(settings.clientId)):\(Self.formEncode(secret))"
            headers.append(OutboundHeader("Authorization", "Basic " + Data(pair.utf8).base64EncodedString()))
        } else {
            form.append(("client_id", settings.clientId))
        }
        let body = form.map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&")
        let response: OutboundResponse
        do {
            response = try await http.send(
                OutboundRequest(method: "POST", url: document.token_endpoint, headers: headers, body: Array(body.utf8)))
        } catch {
            throw Failure("the provider's token endpoint could not be reached: \(error)")
        }
        let json = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        guard response.status == 200, let idToken = json?["id_token"] as? String else {
            let reason =
                (json?["error_description"] as? String) ?? (json?["error"] as? String) ?? "HTTP \(response.status)"
            throw Failure("the provider refused the authorization code: \(reason.prefix(200))")
        }
        return try await verifier.verify(idToken, nonce: nonce, now: now)
    }

    /// The ITOps profile of a verified token: email, name and the mapped role.
    public func profile(_ token: VerifiedIDToken) throws -> ExternalProfile {
        guard let role = settings.roleMap.role(for: token.values(at: settings.roleClaim)) else {
            throw Failure(
                "your account has no ITOps role: no value of the '\(settings.roleClaim)' claim is mapped by ITOPS_OIDC_ROLE_MAP"
            )
        }
        guard let email = token.string("email"), !email.isEmpty else {
            throw Failure("the provider sent no email claim; ITOps needs the 'email' scope")
        }
        let name = token.string("name") ?? token.string("preferred_username")
        return ExternalProfile(
            provider: .oidc, subject: token.subject, email: email.lowercased(), displayName: name, role: role)
    }

    /// base64url(SHA-256(verifier)), RFC 7636 §4.2.
    public static func codeChallenge(_ verifier: String) -> String {
        base64URL(Data(SHA256.hash(data: Data(verifier.utf8))))
    }

    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// `application/x-www-form-urlencoded` for one name or value.
    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: "\u{0}"..."\u{7f}"))
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func get(_ http: OutboundHTTPClient, _ url: String) async throws -> String {
        let response: OutboundResponse
        do {
            response = try await http.send(
                OutboundRequest(method: "GET", url: url, headers: [OutboundHeader("Accept", "application/json")]))
        } catch {
            throw Failure("\(url) could not be reached: \(error)")
        }
        guard response.status == 200, !response.truncated else {
            throw Failure("\(url) answered HTTP \(response.status)\(response.truncated ? " (too large)" : "")")
        }
        return String(decoding: response.body, as: UTF8.self)
    }
}

/// The discovery document, fetched on first use and kept for an hour; a failed fetch is retried next time.
actor DiscoveryCache {
    private let issuer: String
    private let http: OutboundHTTPClient
    private var cached: (document: OIDCClient.Discovery, at: ContinuousClock.Instant)?

    init(issuer: String, http: OutboundHTTPClient) {
        self.issuer = issuer
        self.http = http
    }

    func document() async throws -> OIDCClient.Discovery {
        if let cached, ContinuousClock.now - cached.at < .seconds(3600) { return cached.document }
        let url = issuer.trimmingSuffix("/") + "/.well-known/openid-configuration"
        let text = try await OIDCClient.get(http, url)
        guard let document = try? JSONDecoder().decode(OIDCClient.Discovery.self, from: Data(text.utf8)) else {
            throw OIDCClient.Failure("\(url) is not an OpenID discovery document")
        }
        // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
        guard IDTokenVerifier.sameIssuer(document.issuer, issuer) else {
            throw OIDCClient.Failure("the discovery document names issuer '\(document.issuer)', not '\(issuer)'")
        }
        cached = (document, .now)
        return document
    }
}
