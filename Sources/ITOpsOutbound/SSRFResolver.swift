import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns a host name into addresses. The system resolver in production; tests may inject a table.
public struct SSRFResolver: Sendable {
    /// Every address `name` resolves to (IPv4 and IPv6), or an error describing why it does not resolve.
    public let lookup: @Sendable (_ name: String) async throws -> [IPAddress]

    /// A resolver backed by `lookup`.
    public init(lookup: @escaping @Sendable (_ name: String) async throws -> [IPAddress]) {
        self.lookup = lookup
    }

    /// `getaddrinfo(3)` with `AF_UNSPEC`: every A and AAAA answer and `/etc/hosts` entry.
    public static let system = SSRFResolver { name in
        try await withCheckedThrowingContinuation { continuation in
            // `getaddrinfo` blocks, for seconds when a DNS server does not answer. Swift's cooperative pool
            // has one thread per core (two here), and `Task.detached` would still run on it, so the call
            // gets its own thread. It cannot be cancelled; the resolver's own timeouts bound it.
            let thread = Thread {
                continuation.resume(with: Result { try getAddressInfo(name) })
            }
            thread.name = "itops-ssrf-resolve"
            thread.start()
        }
    }

    /// A fixed table, for tests: names missing from it do not resolve.
    public static func table(_ entries: [String: [IPAddress]]) -> SSRFResolver {
        SSRFResolver { name in
            guard let addresses = entries[name] else { throw SSRFResolutionError(message: "not in the table") }
            return addresses
        }
    }
}

/// A failed lookup, with the resolver's message (`gai_strerror`).
public struct SSRFResolutionError: Error, Sendable, CustomStringConvertible {
    /// What the resolver said.
    public let message: String
    /// The message.
    public var description: String { message }
}

private func getAddressInfo(_ name: String) throws(SSRFResolutionError) -> [IPAddress] {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    #else
        hints.ai_socktype = SOCK_STREAM
    #endif
    var list: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(name, nil, &hints, &list)
    guard status == 0 else {
        throw SSRFResolutionError(message: String(cString: gai_strerror(status)))
    }
    defer { freeaddrinfo(list) }
    var addresses: [IPAddress] = []
    var cursor = list
    while let entry = cursor {
        if let socketAddress = entry.pointee.ai_addr {
            switch entry.pointee.ai_family {
            case AF_INET:
                let ipv4 = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
                addresses.append(.v4(UInt32(bigEndian: ipv4.sin_addr.s_addr)))
            case AF_INET6:
                var ipv6 = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
                addresses.append(withUnsafeBytes(of: &ipv6.sin6_addr) { IPAddress(ipv6Bytes: $0) })
            default:
                break
            }
        }
        cursor = entry.pointee.ai_next
    }
    return addresses
}
