/// Why an address is not a place ITOps may call on an admin's behalf.
public enum SSRFAddressCategory: String, Sendable, CaseIterable {
    /// `0.0.0.0/8`, `::`.
    case unspecified
    /// `127.0.0.0/8`, `::1`.
    case loopback
    /// RFC 1918: `10/8`, `172.16/12`, `192.168/16`.
    case privateNetwork
    /// `169.254/16` (cloud metadata), `fe80::/10`.
    case linkLocal
    /// Carrier-grade NAT, `100.64/10`.
    case sharedAddressSpace
    /// `224/4`, `ff00::/8`.
    case multicast
    /// `255.255.255.255`.
    case broadcast
    /// `fc00::/7`.
    case uniqueLocal
    /// `fec0::/10` (deprecated).
    case siteLocal
    /// TEST-NETs, `2001:db8::/32`, `3fff::/20`.
    case documentation
    /// `198.18/15`, `2001:2::/48`.
    case benchmarking
    /// Everything else not globally reachable (class E, IETF assignments, non-unicast IPv6…).
    case reserved

    /// The phrase used in refusals: "127.0.0.1 is *a loopback address*".
    public var phrase: String {
        switch self {
        case .unspecified: "an unspecified address"
        case .loopback: "a loopback address"
        case .privateNetwork: "a private (RFC 1918) address"
        case .linkLocal: "a link-local address (cloud metadata lives here)"
        case .sharedAddressSpace: "a carrier-grade NAT (RFC 6598) address"
        case .multicast: "a multicast address"
        case .broadcast: "the broadcast address"
        case .uniqueLocal: "a unique-local IPv6 address"
        case .siteLocal: "a site-local IPv6 address"
        case .documentation: "a documentation address"
        case .benchmarking: "a benchmarking address"
        case .reserved: "a reserved address"
        }
    }
}

/// How an IPv6 address carries an IPv4 address that must be checked in its place.
public enum SSRFIPv4Embedding: String, Sendable {
    /// `::ffff:a.b.c.d` (RFC 4291): the socket talks IPv4 to `a.b.c.d`.
    case mapped = "IPv4-mapped"
    /// `::a.b.c.d` (deprecated, RFC 4291).
    case compatible = "IPv4-compatible"
    /// `64:ff9b::a.b.c.d` (RFC 6052): a NAT64 gateway forwards to `a.b.c.d`.
    case nat64 = "NAT64"
    /// `::ffff:0:a.b.c.d` (RFC 2765, SIIT).
    case translated = "IPv4-translated"
    /// `2002:AABB:CCDD::/48` (RFC 3056): a 6to4 relay forwards to `AA.BB.CC.DD`.
    case sixToFour = "6to4"
}

/// One entry of the blocked-range table.
public struct SSRFBlockedRange: Sendable, CustomStringConvertible {
    /// The first address of the range.
    public let network: IPAddress
    /// The prefix length in bits.
    public let prefixLength: Int
    /// What an address in the range is.
    public let category: SSRFAddressCategory
    /// Where the range comes from, for the docs and for humans reading a refusal.
    public let source: String

    /// `127.0.0.0/8`.
    public var description: String { "\(network)/\(prefixLength)" }

    /// Whether `address` (of the same family) lies in this range.
    public func contains(_ address: IPAddress) -> Bool {
        switch (network, address) {
        case (.v4(let net), .v4(let value)):
            let mask: UInt32 = prefixLength == 0 ? 0 : ~UInt32(0) << (32 - prefixLength)
            return value & mask == net & mask
        case (.v6(let net), .v6(let value)):
            let mask: UInt128 = prefixLength == 0 ? 0 : ~UInt128(0) << (128 - prefixLength)
            return value & mask == net & mask
        default:
            return false
        }
    }
}

/// The verdict on one address.
public enum SSRFAddressVerdict: Sendable, Equatable {
    /// A public address ITOps may connect to.
    case allowed
    /// Blocked: the address lies in `range`.
    case blocked(SSRFAddressCategory, range: String)
    /// Blocked: the IPv6 address embeds the IPv4 address `embedded`, which is blocked.
    case blockedEmbedded(SSRFAddressCategory, range: String, embedded: IPAddress, via: SSRFIPv4Embedding)

    /// Whether the address may be used.
    public var isAllowed: Bool { self == .allowed }
}

/// The blocked ranges: the reference's "Outbound HTTP safety" list plus SPEC §7 (unique-local and reserved),
/// following the IANA IPv4 and IPv6 Special-Purpose Address Registries. This is the one table; the docs in
/// `docs/outbound.md` copy it.
public enum SSRFBlockedRanges {
    private static func v4(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32) -> IPAddress {
        .v4(a << 24 | b << 16 | c << 8 | d)
    }

    private static func v6(_ text: String) -> IPAddress {
        guard let address = IPAddress.parseIPv6(text) else { preconditionFailure("bad table entry \(text)") }
        return address
    }

    /// IPv4 ranges, most specific first (the broadcast /32 before 240/4), so the reason names the narrowest.
    public static let ipv4: [SSRFBlockedRange] = [
        .init(network: v4(0, 0, 0, 0), prefixLength: 8, category: .unspecified, source: "RFC 791 \"this network\""),
        .init(network: v4(10, 0, 0, 0), prefixLength: 8, category: .privateNetwork, source: "RFC 1918"),
        .init(network: v4(100, 64, 0, 0), prefixLength: 10, category: .sharedAddressSpace, source: "RFC 6598"),
        .init(network: v4(127, 0, 0, 0), prefixLength: 8, category: .loopback, source: "RFC 1122"),
        .init(
            network: v4(169, 254, 0, 0), prefixLength: 16, category: .linkLocal,
            source: "RFC 3927; AWS/GCP/Azure metadata"),
        .init(network: v4(172, 16, 0, 0), prefixLength: 12, category: .privateNetwork, source: "RFC 1918"),
        .init(
            network: v4(192, 0, 0, 0), prefixLength: 24, category: .reserved,
            source: "RFC 6890 IETF protocol assignments"),
        .init(network: v4(192, 0, 2, 0), prefixLength: 24, category: .documentation, source: "RFC 5737 TEST-NET-1"),
        .init(
            network: v4(192, 88, 99, 0), prefixLength: 24, category: .reserved,
            source: "RFC 7526 deprecated 6to4 relay anycast"),
        .init(network: v4(192, 168, 0, 0), prefixLength: 16, category: .privateNetwork, source: "RFC 1918"),
        .init(network: v4(198, 18, 0, 0), prefixLength: 15, category: .benchmarking, source: "RFC 2544"),
        .init(network: v4(198, 51, 100, 0), prefixLength: 24, category: .documentation, source: "RFC 5737 TEST-NET-2"),
        .init(network: v4(203, 0, 113, 0), prefixLength: 24, category: .documentation, source: "RFC 5737 TEST-NET-3"),
        .init(network: v4(224, 0, 0, 0), prefixLength: 4, category: .multicast, source: "RFC 5771"),
        .init(network: v4(255, 255, 255, 255), prefixLength: 32, category: .broadcast, source: "RFC 919"),
        .init(network: v4(240, 0, 0, 0), prefixLength: 4, category: .reserved, source: "RFC 1112 class E"),
    ]

    /// IPv6 ranges that are blocked outright, most specific first. Ranges that embed an IPv4 address
    /// (``embeddings``) are judged by that address instead; anything else outside global unicast
    /// `2000::/3` is reserved.
    public static let ipv6: [SSRFBlockedRange] = [
        .init(network: v6("::"), prefixLength: 128, category: .unspecified, source: "RFC 4291"),
        .init(network: v6("::1"), prefixLength: 128, category: .loopback, source: "RFC 4291"),
        .init(network: v6("64:ff9b:1::"), prefixLength: 48, category: .reserved, source: "RFC 8215 local-use NAT64"),
        .init(network: v6("100::"), prefixLength: 64, category: .reserved, source: "RFC 6666 discard-only"),
        .init(
            network: v6("2001::"), prefixLength: 32, category: .reserved,
            source: "RFC 4380 Teredo (obfuscated IPv4 inside)"),
        .init(network: v6("2001:2::"), prefixLength: 48, category: .benchmarking, source: "RFC 5180"),
        .init(network: v6("2001:10::"), prefixLength: 28, category: .reserved, source: "RFC 4843 ORCHID"),
        .init(network: v6("2001:20::"), prefixLength: 28, category: .reserved, source: "RFC 7343 ORCHIDv2"),
        .init(network: v6("2001:db8::"), prefixLength: 32, category: .documentation, source: "RFC 3849"),
        .init(network: v6("3fff::"), prefixLength: 20, category: .documentation, source: "RFC 9637"),
        .init(network: v6("5f00::"), prefixLength: 16, category: .reserved, source: "RFC 9602 SRv6 SIDs"),
        .init(
            network: v6("fc00::"), prefixLength: 7, category: .uniqueLocal, source: "RFC 4193; AWS IMDS fd00:ec2::254"),
        .init(network: v6("fe80::"), prefixLength: 10, category: .linkLocal, source: "RFC 4291"),
        .init(network: v6("fec0::"), prefixLength: 10, category: .siteLocal, source: "RFC 3879 (deprecated)"),
        .init(network: v6("ff00::"), prefixLength: 8, category: .multicast, source: "RFC 4291"),
    ]

    /// IPv6 ranges that carry an IPv4 address, and the bit offset of that address from the right.
    public static let embeddings: [(range: SSRFBlockedRange, shift: Int, via: SSRFIPv4Embedding)] = [
        (.init(network: v6("::ffff:0:0"), prefixLength: 96, category: .reserved, source: "RFC 4291"), 0, .mapped),
        (.init(network: v6("::ffff:0:0:0"), prefixLength: 96, category: .reserved, source: "RFC 2765"), 0, .translated),
        (.init(network: v6("64:ff9b::"), prefixLength: 96, category: .reserved, source: "RFC 6052"), 0, .nat64),
        // After `::` and `::1` (blocked above).
        (.init(network: v6("::"), prefixLength: 96, category: .reserved, source: "RFC 4291"), 0, .compatible),
        (.init(network: v6("2002::"), prefixLength: 16, category: .reserved, source: "RFC 3056"), 80, .sixToFour),
    ]

    /// Global unicast: the only IPv6 space ITOps calls (RFC 4291 §2.4).
    static let globalUnicast = SSRFBlockedRange(
        network: .v6(UInt128(0x2000) << 112), prefixLength: 3, category: .reserved, source: "RFC 4291")

    /// Judges one address against the table.
    public static func verdict(for address: IPAddress) -> SSRFAddressVerdict {
        switch address {
        case .v4:
            for range in ipv4 where range.contains(address) {
                return .blocked(range.category, range: range.description)
            }
            return .allowed
        case .v6(let value):
            for range in ipv6 where range.contains(address) {
                return .blocked(range.category, range: range.description)
            }
            for embedding in embeddings where embedding.range.contains(address) {
                let embedded = IPAddress.v4(UInt32(truncatingIfNeeded: value >> embedding.shift))
                if case .blocked(let category, let range) = verdict(for: embedded) {
                    return .blockedEmbedded(category, range: range, embedded: embedded, via: embedding.via)
                }
                return .allowed
            }
            if !globalUnicast.contains(address) {
                return .blocked(.reserved, range: "outside global unicast 2000::/3")
            }
            return .allowed
        }
    }
}
