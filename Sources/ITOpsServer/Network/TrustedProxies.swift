import Foundation
import HTTPTypes

/// The proxies (load balancers, ingress controllers) whose `X-Forwarded-For` ITOps believes, as
/// addresses or CIDR ranges (`ITOPS_TRUSTED_PROXIES`). A request from any other peer is taken to
/// come from the peer itself, whatever its headers say, so a client cannot choose the address its
/// sign-in throttle and rate limits are counted against.
public struct TrustedProxies: Sendable, Equatable {
    /// One address range.
    public struct Range: Sendable, Equatable, CustomStringConvertible {
        let bytes: [UInt8]
        let prefix: Int

        /// `10.0.0.0/8`, `2001:db8::/32`, or a single address.
        public init?(_ text: String) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let bytes = Self.parse(String(parts[0])) else { return nil }
            let width = bytes.count * 8
            if parts.count == 2 {
                guard let prefix = Int(parts[1]), (0...width).contains(prefix) else { return nil }
                self.prefix = prefix
            } else {
                prefix = width
            }
            self.bytes = bytes
        }

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var remaining = prefix
            for (a, b) in zip(address, bytes) where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
                if a & mask != b & mask { return false }
                remaining -= bits
            }
            return true
        }

        public var description: String { "\(Self.format(bytes))/\(prefix)" }

        /// IPv4 as 4 bytes, IPv6 as 16; an IPv4-mapped IPv6 address as its IPv4 bytes.
        static func parse(_ text: String) -> [UInt8]? {
            var text = text.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
            if let zone = text.firstIndex(of: "%") { text = String(text[..<zone]) }
            var v4 = in_addr()
            if inet_pton(AF_INET, text, &v4) == 1 {
                return withUnsafeBytes(of: &v4) { Array($0) }
            }
            var v6 = in6_addr()
            guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
                return Array(bytes[12...])
            }
            return bytes
        }

        static func format(_ bytes: [UInt8]) -> String {
            if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
            return stride(from: 0, to: bytes.count, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
                .joined(separator: ":")
        }
    }

    /// The ranges; empty trusts nobody (the default).
    public var ranges: [Range]

    public init(ranges: [Range] = []) { self.ranges = ranges }

    /// An entry that is neither an address nor a CIDR range.
    public struct BadEntry: Error {
        public let entry: String
    }

    /// Parses a comma-separated list; the error names the first entry that is not an address or range.
    public static func parse(_ text: String) -> Result<TrustedProxies, BadEntry> {
        var ranges: [Range] = []
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let range = Range(item) else { return .failure(BadEntry(entry: item)) }
            ranges.append(range)
        }
        return .success(TrustedProxies(ranges: ranges))
    }

    /// Whether `address` (text, as the socket reports it) is a trusted proxy.
    public func trusts(_ address: String) -> Bool {
        guard !ranges.isEmpty, let bytes = Range.parse(address) else { return false }
        return ranges.contains { $0.contains(bytes) }
    }

    /// The client behind `peer`: the peer itself unless it is trusted; then `X-Forwarded-For` read
    /// from the right, skipping trusted hops, up to the first address that is not trusted. A
    /// malformed entry stops the walk at the last trusted hop.
    public func client(peer: String, forwardedFor: [String]) -> String {
        guard trusts(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peer
        for hop in hops.reversed() {
            guard let bytes = Range.parse(hop) else { return client }
            client = Range.format(bytes)
            if !ranges.contains(where: { $0.contains(bytes) }) { return client }
        }
        return client
    }
}

extension HTTPField.Name {
    static let forwardedFor = Self("X-Forwarded-For")!
}
