import Foundation

/// The claims of an ITOps license: who holds it, which plugins it unlocks and for how long.
///
/// On the wire this is the payload of a compact JWS (see `LicenseToken`):
/// `{"customer": …, "plugins": […], "iat": …, "exp": …, "licenseId": …, "maxServices": …}`
/// with `iat` and `exp` in whole seconds since the Unix epoch.
public struct License: Sendable, Equatable, Codable {
    /// The plugin names a license may carry; anything else is refused.
    public static let knownPlugins = ["ticketing", "sla", "audit"]

    /// The licensee, e.g. "My Company".
    public var customer: String
    /// Plugins unlocked, a subset of `knownPlugins`, in the order of `knownPlugins`.
    public var plugins: [String]
    /// When the license was issued (whole seconds).
    public var issuedAt: Date
    /// When the license stops being valid (whole seconds).
    public var expiresAt: Date
    /// The vendor's reference for this license, if any.
    public var licenseId: String?
    /// How many services the license is sold for, if limited. Informational: ITOps never gates
    /// core monitoring on it.
    public var maxServices: Int?

    /// A license; dates are truncated to whole seconds and plugins put in canonical order.
    public init(
        customer: String, plugins: [String], issuedAt: Date, expiresAt: Date, licenseId: String? = nil,
        maxServices: Int? = nil
    ) {
        self.customer = customer
        self.plugins = Self.knownPlugins.filter(plugins.contains)
        self.issuedAt = Date(timeIntervalSince1970: issuedAt.timeIntervalSince1970.rounded(.down))
        self.expiresAt = Date(timeIntervalSince1970: expiresAt.timeIntervalSince1970.rounded(.down))
        self.licenseId = licenseId
        self.maxServices = maxServices
    }

    enum CodingKeys: String, CodingKey {
        case customer, plugins, iat, exp, licenseId, maxServices
    }

    /// Decodes and checks the claims (not the signature, not the time): a present, non-empty
    /// customer, known plugins, whole-second `iat` < `exp`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let customer = try container.decode(String.self, forKey: .customer).trimmingCharacters(
            in: .whitespacesAndNewlines)
        guard (1...200).contains(customer.count) else {
            throw LicenseError(.invalidClaims, "the license's customer must be 1–200 characters")
        }
        let plugins = try container.decode([String].self, forKey: .plugins)
        guard !plugins.isEmpty else { throw LicenseError(.invalidClaims, "the license names no plugins") }
        for plugin in plugins where !Self.knownPlugins.contains(plugin) {
            throw LicenseError(
                .unknownPlugin,
                "the license names an unknown plugin '\(plugin.prefix(40))' (known: \(Self.knownPlugins.joined(separator: ", ")))"
            )
        }
        let iat = try container.decode(Int64.self, forKey: .iat)
        let exp = try container.decode(Int64.self, forKey: .exp)
        guard iat > 0, exp > iat else {
            throw LicenseError(.invalidClaims, "the license's exp must come after its iat")
        }
        let licenseId = try container.decodeIfPresent(String.self, forKey: .licenseId)
        if let licenseId, !(1...128).contains(licenseId.count) {
            throw LicenseError(.invalidClaims, "the license's licenseId must be 1–128 characters")
        }
        let maxServices = try container.decodeIfPresent(Int.self, forKey: .maxServices)
        if let maxServices, maxServices < 1 {
            throw LicenseError(.invalidClaims, "the license's maxServices must be at least 1")
        }
        self.init(
            customer: customer, plugins: plugins, issuedAt: Date(timeIntervalSince1970: TimeInterval(iat)),
            expiresAt: Date(timeIntervalSince1970: TimeInterval(exp)), licenseId: licenseId,
            maxServices: maxServices)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(customer, forKey: .customer)
        try container.encode(plugins, forKey: .plugins)
        try container.encode(Int64(issuedAt.timeIntervalSince1970), forKey: .iat)
        try container.encode(Int64(expiresAt.timeIntervalSince1970), forKey: .exp)
        try container.encodeIfPresent(licenseId, forKey: .licenseId)
        try container.encodeIfPresent(maxServices, forKey: .maxServices)
    }
}

/// Why a license token was refused; `message` is written for the person who pasted the key.
public struct LicenseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of refusal.
    public enum Reason: String, Sendable, Equatable {
        /// Not a compact JWS, bad base64url, bad JSON, missing or mistyped claims.
        case malformed
        /// Any `alg` other than `EdDSA` (`none`, `HS256`, …).
        case unsupportedAlgorithm
        /// The signature does not verify with the configured public key (forged or tampered).
        case badSignature
        /// `exp` is in the past.
        case expired
        /// `iat` lies in the future beyond the allowed clock skew.
        case notYetValid
        /// A plugin name outside `License.knownPlugins`.
        case unknownPlugin
        /// Claims that are present but nonsensical (empty customer, `exp` before `iat`).
        case invalidClaims
        /// A key (public or private) that is not 32 raw bytes in base64.
        case badKey
    }

    public var reason: Reason
    public var message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }
}
