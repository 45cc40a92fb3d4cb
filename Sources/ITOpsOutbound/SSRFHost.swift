/// A host name after normalisation: the only form the guard compares, resolves or connects to.
public enum SSRFHost: Hashable, Sendable, CustomStringConvertible {
    /// An IP literal, in any accepted spelling, as its numeric address.
    case address(IPAddress)
    /// A DNS name: lower case, ASCII, without its trailing dot.
    case name(String)

    /// The canonical text: `127.0.0.1`, `::1`, `example.com`.
    public var text: String {
        switch self {
        case .address(let address): address.description
        case .name(let name): name
        }
    }

    /// The canonical text.
    public var description: String { text }

    /// Normalises a host as it appears in a URL (brackets around IPv6 allowed).
    ///
    /// Order matters: brackets → IPv6; then trailing dot, lower case, ASCII-only; then an IPv4 literal in
    /// any spelling (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`); otherwise a DNS name.
    ///
    /// IDNA: Foundation's `URL` already converts the Unicode host names it accepts (to `xn--` form) or
    /// percent-encodes them. Whatever non-ASCII or percent-encoded text reaches this point is refused rather
    /// than converted here: without a full UTS #46 implementation (mapping, normalisation, bidi rules) a
    /// hand-made conversion could disagree with the resolver — e.g. fullwidth `１２７.０.０.１` maps to
    /// `127.0.0.1` — and a disagreement is exactly what an SSRF bypass is made of. Punycode (`xn--…`) names
    /// are plain ASCII and are accepted; their resolved addresses are checked like any other.
    public static func normalise(_ raw: String) -> Result<SSRFHost, SSRFRefusal> {
        var host = raw
        if host.hasPrefix("[") || host.hasSuffix("]") || host.contains(":") {
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard let address = IPAddress.parseIPv6(host) else {
                return .failure(SSRFRefusal(.host, "\(raw) is not a valid IPv6 literal (zone ids are refused)"))
            }
            return .success(.address(address))
        }
        guard host.unicodeScalars.allSatisfy(\.isASCII), !host.contains("%") else {
            return .failure(
                SSRFRefusal(
                    .host,
                    "non-ASCII or percent-encoded host \(raw) is refused; write international names in xn-- form"))
        }
        if host.hasSuffix(".") { host.removeLast() }
        host = host.lowercased()
        guard !host.isEmpty else { return .failure(SSRFRefusal(.malformedURL, "the URL has an empty host")) }
        let allowed = host.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "."
                || scalar == "_"
        }
        guard allowed, !host.hasPrefix("."), !host.hasSuffix("."), !host.contains("..") else {
            return .failure(SSRFRefusal(.host, "\(raw) is not a valid host name"))
        }
        switch IPAddress.parseIPv4(host) {
        case .address(let value): return .success(.address(.v4(value)))
        case .invalid: return .failure(SSRFRefusal(.host, "\(raw) ends in a number but is not a valid IPv4 address"))
        case .notIPv4: return .success(.name(host))
        }
    }
}
