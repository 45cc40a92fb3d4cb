#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IP address in numeric form, the only thing the SSRF guard ever compares.
///
/// Host text is turned into an `IPAddress` once (see ``IPAddress/init(ipv4Literal:)`` and
/// ``IPAddress/init(ipv6Literal:)``) so that no odd spelling can slip past a string comparison.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address, most significant byte first (`127.0.0.1` is `0x7f00_0001`).
    case v4(UInt32)
    /// An IPv6 address, most significant byte first (`::1` is `1`).
    case v6(UInt128)

    /// The canonical text: dotted quad for IPv4, RFC 5952 form (via `inet_ntop`) for IPv6.
    public var description: String {
        switch self {
        case .v4(let value):
            return IPAddress.dottedQuad(value)
        case .v6(let value):
            var address = in6_addr()
            withUnsafeMutableBytes(of: &address) { raw in
                for index in 0..<16 {
                    raw[index] = UInt8(truncatingIfNeeded: value >> (8 * (15 - index)))
                }
            }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else {
                return "<invalid IPv6>"
            }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// The 16 bytes of an IPv6 address or the 4 bytes of an IPv4 address, network order.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let value): return (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * (3 - $0))) }
        case .v6(let value): return (0..<16).map { UInt8(truncatingIfNeeded: value >> (8 * (15 - $0))) }
        }
    }

    static func dottedQuad(_ value: UInt32) -> String {
        "\(value >> 24).\((value >> 16) & 0xff).\((value >> 8) & 0xff).\(value & 0xff)"
    }

    /// Builds an IPv6 address from 16 network-order bytes.
    init(ipv6Bytes bytes: some Collection<UInt8>) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        self = .v6(bytes.reduce(UInt128(0)) { ($0 << 8) | UInt128($1) })
    }
}

// MARK: - Parsing

extension IPAddress {
    /// The outcome of reading a host as an IPv4 literal.
    enum IPv4Parse: Equatable {
        /// The host is not an IPv4 literal: its last label is not a number, so it is a name.
        case notIPv4
        /// The host ends in a number, so it must be an IPv4 literal, but it is not a valid one
        /// (`1.2.3.999`, `09.1`, five parts…). It must be refused, never resolved: resolvers disagree on it.
        case invalid
        case address(UInt32)
    }

    /// Reads a host the way browsers (WHATWG URL) and `inet_aton` do: 1 to 4 dot-separated parts, each
    /// decimal, octal (leading `0`) or hex (`0x`); the last part fills the remaining bytes, so `127.1` is
    /// `127.0.0.1`, `10.1` is `10.0.0.1` and `2130706433` is `127.0.0.1`.
    ///
    /// The host must already be lower-cased and without its trailing dot.
    static func parseIPv4(_ host: String) -> IPv4Parse {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard let last = parts.last else { return .notIPv4 }
        // WHATWG "ends in a number": all digits, or `0x` followed by hex digits, however large — so an
        // overflowing `0x100000000` is an invalid IPv4 address, not a name to send to DNS.
        let lastIsNumeric =
            (!last.isEmpty && last.allSatisfy(\.isASCIIDigit))
            || ((last.hasPrefix("0x") || last.hasPrefix("0X")) && last.dropFirst(2).allSatisfy(\.isASCIIHexDigit))
        guard lastIsNumeric else { return .notIPv4 }
        guard parts.count <= 4 else { return .invalid }
        var numbers: [UInt64] = []
        for part in parts {
            guard let number = parseIPv4Number(part) else { return .invalid }
            numbers.append(number)
        }
        for number in numbers.dropLast() where number > 255 { return .invalid }
        let remainingBytes = 5 - numbers.count
        guard numbers[numbers.count - 1] < (UInt64(1) << (8 * remainingBytes)) else { return .invalid }
        var value: UInt64 = numbers[numbers.count - 1]
        for (index, number) in numbers.dropLast().enumerated() {
            value |= number << (8 * (3 - index))
        }
        return .address(UInt32(value))
    }

    /// One part of an IPv4 literal: `0x…` hex, `0…` octal, else decimal; `nil` if not a number or if it
    /// exceeds 32 bits (checked digit by digit, so a 40-digit part cannot overflow).
    static func parseIPv4Number(_ text: Substring) -> UInt64? {
        guard !text.isEmpty else { return nil }
        var digits = text
        var radix: UInt64 = 10
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            digits = text.dropFirst(2)
            radix = 16
            // WHATWG reads a bare `0x` as 0.
            if digits.isEmpty { return 0 }
        } else if text.count > 1 && text.hasPrefix("0") {
            digits = text.dropFirst()
            radix = 8
        }
        var value: UInt64 = 0
        for character in digits {
            guard character.isASCII, let digit = character.hexDigitValue, UInt64(digit) < radix else { return nil }
            value = value * radix + UInt64(digit)
            if value > UInt64(UInt32.max) { return nil }
        }
        return value
    }

    /// Reads an IPv6 literal (without brackets) with `inet_pton`, which accepts exactly RFC 4291 text,
    /// including a trailing dotted quad (`::ffff:127.0.0.1`). Zone identifiers (`fe80::1%eth0`) are refused.
    static func parseIPv6(_ text: String) -> IPAddress? {
        guard !text.contains("%") else { return nil }
        var address = in6_addr()
        let ok = text.withCString { inet_pton(AF_INET6, $0, &address) }
        guard ok == 1 else { return nil }
        return withUnsafeBytes(of: &address) { IPAddress(ipv6Bytes: $0) }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
    fileprivate var isASCIIHexDigit: Bool { isASCII && isHexDigit }
}
