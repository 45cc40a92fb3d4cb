import ITOpsCore

/// Why the SSRF guard refused an outbound call. No socket was opened.
///
/// `reason` is written for the webhook delivery history and workflow step results, e.g.
/// `blocked: 127.0.0.1 is a loopback address (resolved from localhost)`.
public struct SSRFRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The family of the refusal, for tests and metrics; the reason says the rest.
    public enum Kind: String, Sendable, Equatable {
        /// The URL could not be read, or has no host.
        case malformedURL
        /// A scheme other than `http` or `https`.
        case scheme
        /// `user:password@` in the URL, the classic `https://good.example@evil/` trick.
        case userinfo
        /// A host that cannot be checked safely (non-ASCII, percent-encoded, invalid IPv4 number, bad port).
        case host
        /// The host is, or resolved to, an address in a blocked range.
        case blockedAddress
        /// The name did not resolve: nothing was checked, so nothing may be called.
        case resolution
        /// A redirect that cannot be followed (too many hops, no usable `Location`).
        case redirect
    }

    /// The family of the refusal.
    public var kind: Kind
    /// The sentence for the history: always starts with `blocked: `.
    public var reason: String

    /// A refusal of `kind`; `reason` is prefixed with `blocked: ` when it lacks it.
    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason.hasPrefix("blocked: ") ? reason : "blocked: " + reason
    }

    /// The reason.
    public var description: String { reason }

    /// The refusal as a domain error (`invalid`, HTTP 422), for validating a URL an admin submits.
    public var itopsError: ITOpsError { .invalid(reason) }
}
