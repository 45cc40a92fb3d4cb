import Crypto
import Foundation

/// The license token format: a compact JWS (`header.payload.signature`, base64url without
/// padding) with the fixed header `{"alg":"EdDSA","typ":"JWT"}`, a `License` as payload, and an
/// Ed25519 signature over `header.payload`.
///
/// Verification accepts exactly one algorithm, EdDSA with the configured public key: there is
/// no `none`, no HMAC, and the header cannot choose a key, so algorithm confusion is impossible.
public enum LicenseToken {
    /// The only header ITOps issues.
    public static let header = #"{"alg":"EdDSA","typ":"JWT"}"#
    /// How far `iat` may lie in the future, for clocks that disagree a little.
    public static let allowedSkew: TimeInterval = 300
    /// Longer tokens are refused before any parsing.
    public static let maxLength = 8192

    /// The vendor's public key (base64 of the raw 32 bytes), used unless
    /// `ITOPS_LICENSE_PUBLIC_KEY` overrides it. The matching private key is not in this repository.
    public static let vendorPublicKeyBase64 = "1vKAaLCTINE0jOTPFoK+u0RR+PkAH1243RM54CC8xJU="

    /// The vendor's public key as a key.
    public static var vendorPublicKey: Curve25519.Signing.PublicKey {
        // The constant above is 32 valid bytes; a failure here is a broken build, not bad input.
        try! publicKey(base64: vendorPublicKeyBase64)
    }

    // MARK: Keys

    /// A public key from base64 of its raw 32 bytes.
    public static func publicKey(base64: String) throws(LicenseError) -> Curve25519.Signing.PublicKey {
        guard let raw = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else {
            throw LicenseError(.badKey, "the public key must be base64 of 32 raw Ed25519 bytes")
        }
        return key
    }

    /// A private key from base64 of its raw 32 bytes (the format `itops-license keygen` writes).
    public static func privateKey(base64: String) throws(LicenseError) -> Curve25519.Signing.PrivateKey {
        guard let raw = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else {
            throw LicenseError(.badKey, "the private key must be base64 of 32 raw Ed25519 bytes")
        }
        return key
    }

    // MARK: Signing

    /// Signs `license` with the vendor's `privateKey` and returns the compact token.
    public static func sign(_ license: License, with privateKey: Curve25519.Signing.PrivateKey) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payload = try encoder.encode(license)
        let signingInput = Base64URL.encode(Data(header.utf8)) + "." + Base64URL.encode(payload)
        let signature = try privateKey.signature(for: Data(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    // MARK: Verification

    /// The license inside `token` if its structure, algorithm, signature and claims are sound,
    /// regardless of time. Use `verify(_:publicKey:now:)` for a license about to be accepted;
    /// this alone serves to reload an accepted license whose expiry is judged separately.
    public static func verifySignature(_ token: String, publicKey: Curve25519.Signing.PublicKey) throws(LicenseError)
        -> License
    {
        let token = token.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw LicenseError(.malformed, "the license key is empty") }
        guard token.utf8.count <= maxLength else {
            throw LicenseError(.malformed, "the license key is too long to be a license (over \(maxLength) bytes)")
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw LicenseError(
                .malformed, "the license key is not a signed license (expected three dot-separated parts)")
        }
        guard let headerData = Base64URL.decode(parts[0]),
            let headerObject = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any]
        else {
            throw LicenseError(.malformed, "the license key's header is not base64url-encoded JSON")
        }
        guard let alg = headerObject["alg"] as? String, alg == "EdDSA" else {
            let shown = (headerObject["alg"] as? String).map { "'\($0.prefix(20))'" } ?? "none"
            throw LicenseError(
                .unsupportedAlgorithm, "the license key uses algorithm \(shown); only EdDSA (Ed25519) is accepted")
        }
        if let typ = headerObject["typ"], typ as? String != "JWT" {
            throw LicenseError(.malformed, "the license key's header has an unexpected typ")
        }
        if headerObject["crit"] != nil {
            throw LicenseError(.malformed, "the license key's header has critical extensions ITOps does not know")
        }
        guard let signature = Base64URL.decode(parts[2]), signature.count == 64 else {
            throw LicenseError(.malformed, "the license key's signature is not a 64-byte Ed25519 signature")
        }
        guard let payload = Base64URL.decode(parts[1]) else {
            throw LicenseError(.malformed, "the license key's payload is not base64url-encoded")
        }
        let signingInput = Data(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard publicKey.isValidSignature(signature, for: signingInput) else {
            throw LicenseError(
                .badSignature,
                "the license key's signature is not valid: it was not issued for this installation's public key, or it was altered"
            )
        }
        do {
            return try JSONDecoder().decode(License.self, from: payload)
        } catch let error as LicenseError {
            throw error
        } catch {
            throw LicenseError(
                .malformed, "the license key's payload is not a license (needs customer, plugins, iat and exp)")
        }
    }

    /// The license inside `token` if it verifies and is valid at `now`: not expired and not
    /// issued more than `allowedSkew` in the future.
    public static func verify(_ token: String, publicKey: Curve25519.Signing.PublicKey, now: Date) throws(LicenseError)
        -> License
    {
        let license = try verifySignature(token, publicKey: publicKey)
        guard license.expiresAt > now else {
            throw LicenseError(.expired, "the license expired on \(Self.format(license.expiresAt))")
        }
        guard license.issuedAt.timeIntervalSince(now) <= allowedSkew else {
            throw LicenseError(
                .notYetValid,
                "the license is issued in the future (\(Self.format(license.issuedAt))); check this server's clock")
        }
        return license
    }

    /// Reads the payload without checking the signature: only for `itops-license inspect` to show
    /// what a refused token claims. Never trust what this returns.
    public static func unverifiedPayload(_ token: String) -> String? {
        let parts = token.trimmingCharacters(in: .whitespacesAndNewlines).split(
            separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Base64URL.decode(parts[1]) else { return nil }
        return String(data: payload, encoding: .utf8)
    }

    static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}

/// Base64url without padding (RFC 7515 §2), strict: only canonical encodings decode, so a token
/// cannot be altered without changing its bytes.
enum Base64URL {
    static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: Substring) -> Data? {
        guard
            text.utf8.allSatisfy({ byte in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: "_")
            }), text.utf8.count % 4 != 1
        else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), encode(data) == text else { return nil }
        return data
    }
}
