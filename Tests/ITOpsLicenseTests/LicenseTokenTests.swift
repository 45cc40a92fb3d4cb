import Crypto
import Foundation
import ITOpsLicense
import Testing

/// Helpers to build honest and hostile tokens.
enum Forge {
    static let now = Date(timeIntervalSince1970: 1_776_643_200)  // 2026-04-20T00:00:00Z
    static let key = Curve25519.Signing.PrivateKey()

    static func license(
        plugins: [String] = ["ticketing", "sla", "audit"], issued: TimeInterval = 0, days: Double = 365
    ) -> License {
        License(
            customer: "My Company", plugins: plugins, issuedAt: now.addingTimeInterval(issued),
            expiresAt: now.addingTimeInterval(days * 86_400), licenseId: "lic-1", maxServices: 100)
    }

    static func b64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func b64url(_ text: String) -> String { b64url(Data(text.utf8)) }

    /// A token with any header and payload text, signed by `sign` over `header.payload`.
    static func token(header: String, payload: String, sign: (Data) throws -> Data) rethrows -> String {
        let input = b64url(header) + "." + b64url(payload)
        return input + "." + b64url(try sign(Data(input.utf8)))
    }

    static let payload =
        #"{"customer":"My Company","exp":1808179200,"iat":1776643200,"plugins":["ticketing","sla","audit"]}"#
}

@Suite("License token format")
struct LicenseTokenTests {
    let publicKey = Forge.key.publicKey

    @Test("a signed license verifies and round-trips every claim")
    func roundTrip() throws {
        let license = Forge.license()
        let token = try LicenseToken.sign(license, with: Forge.key)
        #expect(token.hasPrefix(Forge.b64url(LicenseToken.header) + "."))
        let verified = try LicenseToken.verify(token, publicKey: publicKey, now: Forge.now)
        #expect(verified == license)
        #expect(verified.customer == "My Company")
        #expect(verified.plugins == ["ticketing", "sla", "audit"])
        #expect(verified.licenseId == "lic-1")
        #expect(verified.maxServices == 100)
    }

    @Test("the payload carries customer, plugins, iat and exp as epoch seconds")
    func payloadShape() throws {
        let token = try LicenseToken.sign(Forge.license(), with: Forge.key)
        let payload = try #require(LicenseToken.unverifiedPayload(token))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])
        #expect(object["customer"] as? String == "My Company")
        #expect(object["iat"] as? Int == 1_776_643_200)
        #expect(object["exp"] as? Int == 1_776_643_200 + 365 * 86_400)
        #expect(object["plugins"] as? [String] == ["ticketing", "sla", "audit"])
    }

    @Test("a license signed by another key is refused as a bad signature")
    func wrongKey() throws {
        let token = try LicenseToken.sign(Forge.license(), with: Curve25519.Signing.PrivateKey())
        #expect(throws: LicenseError.self) { try LicenseToken.verify(token, publicKey: publicKey, now: Forge.now) }
        do {
            _ = try LicenseToken.verify(token, publicKey: publicKey, now: Forge.now)
        } catch {
            #expect(error.reason == .badSignature)
            #expect(error.message.contains("signature"))
        }
    }

    @Test("alg none, HS256 (keyed with the public key) and ES256 headers are refused whatever the signature")
    func algorithmConfusion() throws {
        let none = Forge.token(header: #"{"alg":"none","typ":"JWT"}"#, payload: Forge.payload) { _ in Data() }
        let noneWithSignature = Forge.token(header: #"{"alg":"none","typ":"JWT"}"#, payload: Forge.payload) { _ in
            Data(repeating: 0, count: 64)
        }
        let hs256 = Forge.token(header: #"{"alg":"HS256","typ":"JWT"}"#, payload: Forge.payload) { input in
            Data(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: publicKey.rawRepresentation)))
        }
        let es256 = try Forge.token(header: #"{"alg":"ES256","typ":"JWT"}"#, payload: Forge.payload) { input in
            try Forge.key.signature(for: input)
        }
        let noAlg = try Forge.token(header: #"{"typ":"JWT"}"#, payload: Forge.payload) { input in
            try Forge.key.signature(for: input)
        }
        let expected: [(String, LicenseError.Reason)] = [
            (none, .malformed), (noneWithSignature, .unsupportedAlgorithm), (hs256, .unsupportedAlgorithm),
            (es256, .unsupportedAlgorithm), (noAlg, .unsupportedAlgorithm),
        ]
        for (token, reason) in expected {
            do {
                _ = try LicenseToken.verify(token, publicKey: publicKey, now: Forge.now)
                Issue.record("accepted \(token)")
            } catch {
                #expect(error.reason == reason, "\(error)")
            }
        }
        let hs256Refusal = #expect(throws: LicenseError.self) {
            try LicenseToken.verify(hs256, publicKey: publicKey, now: Forge.now)
        }
        #expect(hs256Refusal?.message.contains("only EdDSA") == true)
    }

    @Test("an EdDSA header with the right signature but a foreign critical extension is refused")
    func criticalHeader() throws {
        let token = try Forge.token(header: #"{"alg":"EdDSA","crit":["x"],"x":1}"#, payload: Forge.payload) {
            try Forge.key.signature(for: $0)
        }
        #expect(throws: LicenseError.self) { try LicenseToken.verify(token, publicKey: publicKey, now: Forge.now) }
    }

    @Test("truncated tokens are refused: missing parts, short signature, cut payload")
    func truncated() throws {
        let token = try LicenseToken.sign(Forge.license(), with: Forge.key)
        let parts = token.split(separator: ".").map(String.init)
        let candidates = [
            "", parts[0], parts[0] + "." + parts[1], parts[0] + "." + parts[1] + ".",
            String(token.dropLast(10)), String(token.dropLast(1)),
            parts[0] + "." + String(parts[1].dropLast(4)) + "."
                + parts[2], "." + parts[1] + "." + parts[2],
        ]
        for candidate in candidates {
            #expect(throws: LicenseError.self, "\(candidate)") {
                try LicenseToken.verify(candidate, publicKey: publicKey, now: Forge.now)
            }
        }
    }

    @Test("tampering with any part (payload claim, header, signature byte, padding bits) breaks the token")
    func tampered() throws {
        let token = try LicenseToken.sign(Forge.license(plugins: ["sla"]), with: Forge.key)
        let parts = token.split(separator: ".").map(String.init)
        // Same signature, payload that grants more.
        let richer = Forge.b64url(
            #"{"customer":"My Company","exp":1808179200,"iat":1776643200,"licenseId":"lic-1","maxServices":100,"plugins":["ticketing","sla","audit"]}"#
        )
        // Same header meaning, different bytes.
        let header = Forge.b64url(#"{"typ":"JWT","alg":"EdDSA"}"#)
        var signature = Data(
            base64Encoded: parts[2].replacingOccurrences(of: "-", with: "+")
                .replacingOccurrences(of: "_", with: "/") + "==")!
        signature[10] ^= 0x01
        // The last base64url character of a 64-byte signature carries 2 unused bits: flipping
        // them must not yield an "equal" token.
        let last = parts[2].last!
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let index = alphabet.firstIndex(of: last)!
        let paddingTwin = String(parts[2].dropLast()) + String(alphabet[index ^ 1])
        let candidates = [
            parts[0] + "." + richer + "." + parts[2],
            header + "." + parts[1] + "." + parts[2],
            parts[0] + "." + parts[1] + "." + Forge.b64url(signature),
            parts[0] + "." + parts[1] + "." + paddingTwin,
            token.replacingOccurrences(of: ".", with: "..", options: [], range: token.range(of: ".")),
            token + "=",
            parts[0] + "." + parts[1] + "." + parts[2] + ".x",
        ]
        for candidate in candidates {
            #expect(throws: LicenseError.self, "\(candidate)") {
                try LicenseToken.verify(candidate, publicKey: publicKey, now: Forge.now)
            }
        }
    }

    @Test("an expired license is refused with its expiry date; one second before, it is accepted")
    func expired() throws {
        let token = try LicenseToken.sign(Forge.license(issued: -86_400 * 10, days: 1), with: Forge.key)
        let expiry = Forge.now.addingTimeInterval(86_400)
        #expect(throws: Never.self) {
            try LicenseToken.verify(token, publicKey: publicKey, now: expiry.addingTimeInterval(-1))
        }
        do {
            _ = try LicenseToken.verify(token, publicKey: publicKey, now: expiry)
            Issue.record("accepted an expired license")
        } catch {
            #expect(error.reason == .expired)
            #expect(error.message.contains("2026-04-21"))
        }
        // The signature alone still verifies: a stored license is reloaded and judged by time.
        #expect(try LicenseToken.verifySignature(token, publicKey: publicKey).customer == "My Company")
    }

    @Test("iat up to five minutes ahead is tolerated; further ahead is refused")
    func futureIssue() throws {
        let slightly = try LicenseToken.sign(Forge.license(issued: 299), with: Forge.key)
        #expect(throws: Never.self) { try LicenseToken.verify(slightly, publicKey: publicKey, now: Forge.now) }
        let ahead = try LicenseToken.sign(Forge.license(issued: 3600), with: Forge.key)
        do {
            _ = try LicenseToken.verify(ahead, publicKey: publicKey, now: Forge.now)
            Issue.record("accepted a license from the future")
        } catch {
            #expect(error.reason == .notYetValid)
        }
    }

    @Test("unknown plugin names, an empty plugin list, an empty customer and exp before iat are refused")
    func badClaims() throws {
        let payloads = [
            #"{"customer":"A","exp":1808179200,"iat":1776643200,"plugins":["sla","billing"]}"#,
            #"{"customer":"A","exp":1808179200,"iat":1776643200,"plugins":[]}"#,
            #"{"customer":" ","exp":1808179200,"iat":1776643200,"plugins":["sla"]}"#,
            #"{"customer":"A","exp":1776643100,"iat":1776643200,"plugins":["sla"]}"#,
            #"{"customer":"A","exp":"soon","iat":1776643200,"plugins":["sla"]}"#,
            #"{"customer":"A","iat":1776643200,"plugins":["sla"]}"#,
            #"{"customer":"A","exp":1808179200,"iat":1776643200,"plugins":["sla"],"maxServices":0}"#,
            #"not json"#,
        ]
        for payload in payloads {
            let token = try Forge.token(header: LicenseToken.header, payload: payload) {
                try Forge.key.signature(for: $0)
            }
            #expect(throws: LicenseError.self, "\(payload)") {
                try LicenseToken.verify(token, publicKey: publicKey, now: Forge.now)
            }
        }
        let unknown = try Forge.token(header: LicenseToken.header, payload: payloads[0]) {
            try Forge.key.signature(for: $0)
        }
        do {
            _ = try LicenseToken.verify(unknown, publicKey: publicKey, now: Forge.now)
        } catch {
            #expect(error.reason == .unknownPlugin)
            #expect(error.message.contains("billing"))
        }
    }

    @Test("oversized and non-base64url tokens are refused before any crypto")
    func garbage() {
        for token in [String(repeating: "a", count: 9000), "a.b.c", "e30.e30.e30", "!!.??.**", "eyJ.eyJ.abc"] {
            #expect(throws: LicenseError.self) { try LicenseToken.verify(token, publicKey: publicKey, now: Forge.now) }
        }
    }

    @Test("the built-in vendor key is 32 bytes and keys parse only from 32 raw bytes in base64")
    func keys() throws {
        #expect(LicenseToken.vendorPublicKey.rawRepresentation.count == 32)
        let key = Curve25519.Signing.PrivateKey()
        let parsed = try LicenseToken.privateKey(base64: key.rawRepresentation.base64EncodedString())
        #expect(parsed.publicKey.rawRepresentation == key.publicKey.rawRepresentation)
        #expect(throws: LicenseError.self) { try LicenseToken.publicKey(base64: "AAAA") }
        #expect(throws: LicenseError.self) { try LicenseToken.privateKey(base64: "not base64") }
    }
}
