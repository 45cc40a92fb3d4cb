/// What the SSRF guard lets through beyond public addresses, from the server configuration.
///
/// - `ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST=host1,host2`: those exact host names (no wildcards, no
///   suffixes) skip the blocked-range check, for legitimate in-cluster targets. Scheme, userinfo and
///   host-syntax rules still apply, and the call still goes to the addresses that were resolved.
/// - `ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS=true`: the range check is lifted for every host
///   (development only). The other rules still apply.
public struct SSRFPolicy: Sendable, Equatable {
    /// Normalised host names (lower case, no trailing dot) that skip the range check.
    public var hostAllowlist: Set<String>
    /// Lift the range check entirely.
    public var allowPrivate: Bool

    /// A policy; allowlist entries are lower-cased and lose one trailing dot, so they compare with
    /// normalised hosts. An IPv4 or IPv6 literal in the list is matched in its canonical spelling.
    public init(hostAllowlist: [String] = [], allowPrivate: Bool = false) {
        self.hostAllowlist = Set(
            hostAllowlist.compactMap { entry in
                let trimmed = entry.trimmingWhitespace
                guard !trimmed.isEmpty else { return nil }
                if case .success(let host) = SSRFHost.normalise(trimmed) { return host.text }
                return trimmed.lowercased()
            })
        self.allowPrivate = allowPrivate
    }

    /// No allowlist, no private targets: the production default.
    public static let strict = SSRFPolicy()

    /// Whether the range check applies to `host`.
    func checksRanges(for host: SSRFHost) -> Bool {
        !allowPrivate && !hostAllowlist.contains(host.text)
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
