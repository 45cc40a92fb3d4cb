import Foundation

/// A URL that passed the syntactic checks: scheme, userinfo, host, port (and the range check when the host
/// is an IP literal). A name still has to go through ``SSRFGuard/resolve(host:port:)``.
public struct SSRFTarget: Sendable, Equatable {
    /// The URL as given.
    public let url: URL
    /// `http` or `https`.
    public let scheme: String
    /// The normalised host.
    public let host: SSRFHost
    /// The explicit port, or 80 / 443.
    public let port: Int
}

/// An address the guard checked, with the port to connect to. The outbound client connects to exactly these
/// (never resolving the name again), so a DNS answer that changes between check and connect cannot matter.
public struct SSRFAddress: Sendable, Hashable, CustomStringConvertible {
    /// The checked IP address.
    public let address: IPAddress
    /// The TCP port.
    public let port: Int

    /// An address and port (the guard builds these; tests and fakes may too).
    public init(address: IPAddress, port: Int) {
        self.address = address
        self.port = port
    }

    /// `127.0.0.1:80` or `[::1]:80`.
    public var description: String {
        switch address {
        case .v4: "\(address):\(port)"
        case .v6: "[\(address)]:\(port)"
        }
    }
}

/// A URL checked end to end: the target and every address its host resolved to, all allowed.
public struct SSRFCheckedCall: Sendable, Equatable {
    /// The checked target.
    public let target: SSRFTarget
    /// The addresses to connect to, in resolver order, without duplicates. Never empty.
    public let addresses: [SSRFAddress]
}

/// The one SSRF guard every outbound call goes through (webhooks, workflow `HTTP_REQUEST` steps).
///
/// Use: ``check(url:)`` → ``resolve(host:port:)`` → connect to the returned addresses only (sending the
/// original host in `Host`/SNI) → on a 301/302/303/307/308, ``redirectTarget(from:location:hop:)`` and
/// start again. ``validate(url:)`` does the first two steps at once. Nothing here opens a socket.
public struct SSRFGuard: Sendable {
    /// The allowlist and the development switch.
    public let policy: SSRFPolicy
    /// How names are turned into addresses.
    public let resolver: SSRFResolver

    /// At most this many redirects are followed; the next one is refused.
    public static let maxRedirects = 5
    /// The status codes whose `Location` is followed (by hand, never by the HTTP client).
    public static let redirectStatuses: Set<Int> = [301, 302, 303, 307, 308]
    /// The only schemes ITOps calls.
    public static let allowedSchemes: Set<String> = ["http", "https"]

    /// A guard with `policy`, resolving names with `resolver` (the system's `getaddrinfo` by default).
    public init(policy: SSRFPolicy = .strict, resolver: SSRFResolver = .system) {
        self.policy = policy
        self.resolver = resolver
    }

    // MARK: URL

    /// Parses and checks `url`; see ``check(url:)-(URL)``.
    public func check(url text: String) throws(SSRFRefusal) -> SSRFTarget {
        guard let url = URL(string: text) else {
            throw SSRFRefusal(.malformedURL, "\(text) is not a valid URL")
        }
        return try check(url: url)
    }

    /// Checks everything that can be checked without DNS: the scheme is `http` or `https`, there is no
    /// userinfo, the host is non-empty and normalises (see ``SSRFHost/normalise(_:)``), the port is valid,
    /// and an IP-literal host is outside the blocked ranges (unless the policy lifts the check).
    public func check(url: URL) throws(SSRFRefusal) -> SSRFTarget {
        guard let rawScheme = url.scheme, !rawScheme.isEmpty else {
            throw SSRFRefusal(.malformedURL, "\(url.absoluteString) has no scheme")
        }
        let scheme = rawScheme.lowercased()
        guard Self.allowedSchemes.contains(scheme) else {
            throw SSRFRefusal(.scheme, "scheme \(scheme):// is not allowed (only http and https)")
        }
        // `https://trusted.example@169.254.169.254/` reads as trusted to a human; refuse any userinfo.
        guard url.user == nil, url.password == nil else {
            throw SSRFRefusal(.userinfo, "credentials (user@) in the URL are not allowed")
        }
        guard let rawHost = url.host(percentEncoded: true), !rawHost.isEmpty else {
            throw SSRFRefusal(.malformedURL, "\(url.absoluteString) has no host")
        }
        let host = try SSRFHost.normalise(rawHost).get()
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65535).contains(port) else {
            throw SSRFRefusal(.host, "port \(port) is not a valid TCP port")
        }
        if case .address(let address) = host, policy.checksRanges(for: host) {
            try Self.refuseIfBlocked(address, context: Self.spelling(rawHost, of: address))
        }
        return SSRFTarget(url: url, scheme: scheme, host: host, port: port)
    }

    // MARK: Resolution

    /// Resolves `host` and checks every address it resolves to; one blocked address refuses the whole call
    /// (no partial use). An IP literal is checked without a lookup. A name that does not resolve is a
    /// refusal too. Allowlisted names and `allowPrivate` skip the range check, not the lookup.
    ///
    /// - Returns: the checked addresses with `port`, to connect to without a second lookup.
    public func resolve(host rawHost: String, port: Int) async throws(SSRFRefusal) -> [SSRFAddress] {
        guard (1...65535).contains(port) else {
            throw SSRFRefusal(.host, "port \(port) is not a valid TCP port")
        }
        let host = try SSRFHost.normalise(rawHost).get()
        let name: String
        switch host {
        case .address(let address):
            if policy.checksRanges(for: host) {
                try Self.refuseIfBlocked(address, context: Self.spelling(rawHost, of: address))
            }
            return [SSRFAddress(address: address, port: port)]
        case .name(let text):
            name = text
        }
        let resolved: [IPAddress]
        do {
            resolved = try await resolver.lookup(name)
        } catch {
            throw SSRFRefusal(.resolution, "\(name) did not resolve (\(error))")
        }
        var seen = Set<IPAddress>()
        let addresses = resolved.filter { seen.insert($0).inserted }
        guard !addresses.isEmpty else {
            throw SSRFRefusal(.resolution, "\(name) resolved to no address")
        }
        if policy.checksRanges(for: host) {
            for address in addresses {
                try Self.refuseIfBlocked(address, context: "resolved from \(name)")
            }
        }
        return addresses.map { SSRFAddress(address: $0, port: port) }
    }

    /// ``check(url:)-(URL)`` then ``resolve(host:port:)``: everything before the connect.
    public func validate(url: URL) async throws(SSRFRefusal) -> SSRFCheckedCall {
        let target = try check(url: url)
        let addresses = try await resolve(host: target.host.text, port: target.port)
        return SSRFCheckedCall(target: target, addresses: addresses)
    }

    /// Parses `url`, then ``validate(url:)-(URL)``.
    public func validate(url text: String) async throws(SSRFRefusal) -> SSRFCheckedCall {
        guard let url = URL(string: text) else {
            throw SSRFRefusal(.malformedURL, "\(text) is not a valid URL")
        }
        return try await validate(url: url)
    }

    // MARK: Redirects

    /// Whether `status` is a redirect the client follows (by hand, through this guard).
    public static func isRedirect(status: Int) -> Bool { redirectStatuses.contains(status) }

    /// The URL a redirect leads to, resolved against the URL that answered (relative `Location` headers
    /// are allowed) and checked like a first request; the caller then resolves its host again.
    ///
    /// - Parameters:
    ///   - base: the URL that answered with a redirect.
    ///   - location: its `Location` header.
    ///   - hop: the number of this redirect, from 1; hop ``maxRedirects`` + 1 is refused.
    public func redirectTarget(from base: URL, location: String?, hop: Int) throws(SSRFRefusal) -> URL {
        guard hop >= 1 else { throw SSRFRefusal(.redirect, "redirect hop \(hop) is not a hop number") }
        guard hop <= Self.maxRedirects else {
            throw SSRFRefusal(.redirect, "too many redirects (more than \(Self.maxRedirects))")
        }
        guard let location = location?.trimmingCharacters(in: .whitespaces), !location.isEmpty else {
            throw SSRFRefusal(.redirect, "redirect without a Location header")
        }
        guard let next = URL(string: location, relativeTo: base)?.absoluteURL else {
            throw SSRFRefusal(.redirect, "redirect to an unreadable Location \(location)")
        }
        _ = try check(url: next)
        return next
    }

    // MARK: Reasons

    /// `(written as 0x7f.1)` when the text differs from the canonical address, else nil.
    static func spelling(_ raw: String, of address: IPAddress) -> String? {
        var text = raw.lowercased()
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if text.hasSuffix(".") { text.removeLast() }
        return text == address.description ? nil : "written as \(raw)"
    }

    static func refuseIfBlocked(_ address: IPAddress, context: String?) throws(SSRFRefusal) {
        let suffix = context.map { " (\($0))" } ?? ""
        switch SSRFBlockedRanges.verdict(for: address) {
        case .allowed:
            return
        case .blocked(let category, _):
            throw SSRFRefusal(.blockedAddress, "\(address) is \(category.phrase)\(suffix)")
        case .blockedEmbedded(let category, _, let embedded, let via):
            throw SSRFRefusal(
                .blockedAddress, "\(address) is \(via.rawValue) \(embedded), \(category.phrase)\(suffix)")
        }
    }
}
