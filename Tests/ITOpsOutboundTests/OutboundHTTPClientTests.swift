import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ITOpsOutbound
import ITOpsOutboundTestSupport
import Testing

private func ip(_ text: String) -> IPAddress {
    guard case .success(.address(let address)) = SSRFHost.normalise(text) else {
        preconditionFailure("not an IP literal: \(text)")
    }
    return address
}

/// Names for the tests; no test needs DNS.
private let names = SSRFResolver.table([
    "localhost": [ip("127.0.0.1"), ip("::1")],
    "receiver.test": [ip("127.0.0.1")],
    "other.test": [ip("127.0.0.1")],
    "sub.receiver.test": [ip("127.0.0.1")],
    "internal.test": [ip("10.0.0.5")],
    "metadata.test": [ip("169.254.169.254")],
    "rebind.test": [ip("93.184.216.34"), ip("127.0.0.1")],
    "ula.test": [ip("fd00:ec2::254")],
])

private func client(_ policy: SSRFPolicy = .strict, timeout: Duration = .seconds(10), cap: Int = 64 * 1024)
    -> OutboundHTTPClient
{
    var settings = OutboundHTTPClient.Settings()
    settings.timeout = timeout
    settings.connectTimeout = .seconds(2)
    settings.maxResponseBytes = cap
    return OutboundHTTPClient(guardian: SSRFGuard(policy: policy, resolver: names), settings: settings)
}

private func failure(_ body: () async throws(OutboundFailure) -> OutboundResponse) async -> OutboundFailure? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}

@Suite("Outbound client: refused calls open no socket")
struct OutboundRefusalTests {
    @Test(
        "every blocked category is refused before any connection (a listener on 127.0.0.1 counts none)",
        arguments: [
            // Loopback in all its spellings (PORT is the listener's port, so a leak would be counted).
            ("loopback", "http://127.0.0.1:PORT/"),
            ("loopback, trailing dot", "http://127.0.0.1.:PORT/"),
            ("loopback, short form", "http://127.1:PORT/"),
            ("loopback, decimal", "http://2130706433:PORT/"),
            ("loopback, octal", "http://0177.0.0.1:PORT/"),
            ("loopback, hex", "http://0x7f.1:PORT/"),
            ("loopback, hex word", "http://0x7f000001:PORT/"),
            ("loopback, IPv6", "http://[::1]:PORT/"),
            ("loopback, IPv4-mapped IPv6", "http://[::ffff:127.0.0.1]:PORT/"),
            ("loopback, mapped IPv6 in hex", "http://[::ffff:7f00:1]:PORT/"),
            ("loopback, NAT64", "http://[64:ff9b::7f00:1]:PORT/"),
            ("loopback, by name", "http://localhost:PORT/"),
            ("loopback, https", "https://127.0.0.1:PORT/"),
            // RFC 1918.
            ("private 10/8", "http://10.0.0.1:PORT/"),
            ("private 172.16/12", "http://172.16.5.4:PORT/"),
            ("private 192.168/16", "http://192.168.1.1:PORT/"),
            ("private, mapped IPv6", "http://[::ffff:10.0.0.1]:PORT/"),
            // Link-local and cloud metadata.
            ("metadata", "http://169.254.169.254/latest/meta-data/"),
            ("metadata, mapped hex", "http://[::ffff:a9fe:a9fe]/"),
            ("link-local IPv6", "http://[fe80::1]:PORT/"),
            // CGNAT, multicast, unspecified.
            ("carrier-grade NAT", "http://100.64.0.1:PORT/"),
            ("multicast", "http://224.0.0.1:PORT/"),
            ("multicast IPv6", "http://[ff02::1]:PORT/"),
            ("unspecified", "http://0.0.0.0:PORT/"),
            ("unspecified, short", "http://0:PORT/"),
            ("unspecified IPv6", "http://[::]:PORT/"),
            // Unique-local IPv6 (AWS IMDS over IPv6).
            ("unique-local", "http://[fd00:ec2::254]:PORT/"),
            ("unique-local, by name", "http://ula.test:PORT/"),
            // Names resolving to private addresses (one bad answer is enough).
            ("name to private", "http://internal.test:PORT/"),
            ("name to metadata", "http://metadata.test/"),
            ("name with one loopback answer", "http://rebind.test:PORT/"),
            ("name that does not resolve", "http://nowhere.test:PORT/"),
            // Schemes and credentials.
            ("file scheme", "file:///etc/passwd"),
            ("gopher scheme", "gopher://127.0.0.1:PORT/_"),
            ("ftp scheme", "ftp://127.0.0.1:PORT/"),
            ("ldap scheme", "ldap://127.0.0.1:PORT/"),
            ("userinfo", "http://receiver.test@127.0.0.1:PORT/"),
        ])
    func blocked(label: String, template: String) async throws {
        let receiver = try await TestHTTPReceiver.start()
        defer { Task { await receiver.stop() } }
        let outbound = client()
        let url = template.replacingOccurrences(of: "PORT", with: "\(receiver.port)")
        let result = await failure { () async throws(OutboundFailure) in
            try await outbound.send(OutboundRequest(method: "POST", url: url, body: Array("{}".utf8)))
        }
        guard case .refused(let refusal) = result else {
            Issue.record("\(label): \(url) was not refused: \(String(describing: result))")
            return
        }
        #expect(refusal.reason.hasPrefix("blocked: "))
        #expect(outbound.connectionAttempts == 0, "\(label): the client tried to connect")
        try await Task.sleep(for: .milliseconds(50))
        #expect(receiver.acceptedConnections == 0, "\(label): the listener accepted a connection")
    }

    @Test("a public-looking first hop that redirects to a private address is refused at the redirect")
    func redirectToPrivate() async throws {
        let hidden = try await TestHTTPReceiver.start()
        let front = try await TestHTTPReceiver.start { _, _ in
            .init(status: 302, headers: [("Location", "http://0x7f.1:\(hidden.port)/secret")])
        }
        let outbound = client(SSRFPolicy(hostAllowlist: ["receiver.test"]))
        let result = await failure { () async throws(OutboundFailure) in
            try await outbound.send(OutboundRequest(method: "GET", url: "http://receiver.test:\(front.port)/hook"))
        }
        guard case .refused(let refusal) = result else {
            Issue.record("redirect was followed: \(String(describing: result))")
            return
        }
        #expect(refusal.reason.contains("loopback"))
        #expect(front.acceptedConnections == 1)
        #expect(hidden.acceptedConnections == 0)
        #expect(outbound.connectionAttempts == 1)
        let metadata = try await TestHTTPReceiver.start { _, _ in
            .init(status: 307, headers: [("Location", "http://169.254.169.254/latest/meta-data/")])
        }
        let second = await failure { () async throws(OutboundFailure) in
            try await outbound.send(OutboundRequest(method: "GET", url: "http://receiver.test:\(metadata.port)/"))
        }
        #expect(second?.description.contains("169.254.169.254") == true)
        await hidden.stop()
        await front.stop()
        await metadata.stop()
    }
}

@Suite("Outbound client: allowlist, development switch, HTTP behaviour")
struct OutboundClientTests {
    @Test("the allowlist lifts the range check for exactly the listed names")
    func allowlist() async throws {
        let receiver = try await TestHTTPReceiver.start()
        let outbound = client(SSRFPolicy(hostAllowlist: ["receiver.test"]))
        let response = try await outbound.send(
            OutboundRequest(method: "GET", url: "http://receiver.test:\(receiver.port)/ping?x=1"))
        #expect(response.status == 200)
        let first = try #require(receiver.requests.first)
        #expect(first.uri == "/ping?x=1")
        #expect(first.headers["host"] == "receiver.test:\(receiver.port)")
        for url in [
            "http://127.0.0.1:\(receiver.port)/",  // the address itself is not listed
            "http://other.test:\(receiver.port)/",  // another name for the same address
            "http://sub.receiver.test:\(receiver.port)/",  // no subdomains
            "ftp://receiver.test:\(receiver.port)/",  // scheme rules still apply
            "http://me@receiver.test:\(receiver.port)/",  // and userinfo
        ] {
            let result = await failure { () async throws(OutboundFailure) in
                try await outbound.send(OutboundRequest(method: "GET", url: url))
            }
            guard case .refused = result else {
                Issue.record("\(url) was not refused: \(String(describing: result))")
                continue
            }
        }
        #expect(receiver.acceptedConnections == 1)
        #expect(outbound.connectionAttempts == 1)
        await receiver.stop()
    }

    @Test("an allowlisted IP literal lifts only that address")
    func allowlistLiteral() async throws {
        let receiver = try await TestHTTPReceiver.start()
        let outbound = client(SSRFPolicy(hostAllowlist: ["127.0.0.1"]))
        #expect(try await outbound.send(OutboundRequest(method: "GET", url: receiver.url())).status == 200)
        let result = await failure { () async throws(OutboundFailure) in
            try await outbound.send(OutboundRequest(method: "GET", url: "http://127.1:\(receiver.port)/"))
        }
        // 127.1 is 127.0.0.1 written differently: allowlist entries match the canonical spelling.
        #expect(result == nil || { if case .refused = result! { false } else { true } }())
        let other = await failure { () async throws(OutboundFailure) in
            try await outbound.send(OutboundRequest(method: "GET", url: "http://127.0.0.2:\(receiver.port)/"))
        }
        guard case .refused = other else {
            Issue.record("127.0.0.2 was not refused")
            return
        }
        await receiver.stop()
    }

    @Test("the development switch lifts the range check and nothing else")
    func allowPrivate() async throws {
        let receiver = try await TestHTTPReceiver.start()
        let outbound = client(SSRFPolicy(allowPrivate: true))
        #expect(try await outbound.send(OutboundRequest(method: "GET", url: receiver.url())).status == 200)
        #expect(
            try await outbound.send(OutboundRequest(method: "GET", url: "http://localhost:\(receiver.port)/")).status
                == 200)
        for url in [
            "file:///etc/passwd", "gopher://127.0.0.1:\(receiver.port)/", "http://u:p@127.0.0.1:\(receiver.port)/",
        ] {
            let result = await failure { () async throws(OutboundFailure) in
                try await outbound.send(OutboundRequest(method: "GET", url: url))
            }
            guard case .refused = result else {
                Issue.record("\(url) was not refused")
                continue
            }
        }
        #expect(receiver.acceptedConnections == 2)
        await receiver.stop()
    }

    @Test("redirects are followed by hand up to five hops; the sixth is refused; 303 turns into GET")
    func redirects() async throws {
        let receiver = try await TestHTTPReceiver.start { index, request in
            if request.uri.hasPrefix("/loop") { return .init(status: 302, headers: [("Location", "/loop/\(index)")]) }
            if request.uri == "/see-other" { return .init(status: 303, headers: [("Location", "/done")]) }
            let hop = Int(request.uri.split(separator: "/").last ?? "") ?? 0
            if request.uri.hasPrefix("/hop/"), hop < 5 {
                return .init(status: 307, headers: [("Location", "/hop/\(hop + 1)")])
            }
            return .init(status: 200, body: "\(request.method) \(request.uri)")
        }
        let outbound = client(SSRFPolicy(allowPrivate: true))
        let five = try await outbound.send(OutboundRequest(method: "POST", url: receiver.url("/hop/0"), body: [1]))
        #expect(five.status == 200)
        #expect(five.redirects == 5)
        #expect(String(decoding: five.body, as: UTF8.self) == "POST /hop/5")
        let endless = await failure { () async throws(OutboundFailure) in
            try await outbound.send(OutboundRequest(method: "GET", url: receiver.url("/loop")))
        }
        #expect(endless?.description.contains("too many redirects") == true)
        let seeOther = try await outbound.send(
            OutboundRequest(method: "POST", url: receiver.url("/see-other"), body: Array("x".utf8)))
        #expect(String(decoding: seeOther.body, as: UTF8.self) == "GET /done")
        await receiver.stop()
    }

    @Test("the whole call is bounded by its timeout")
    func timeout() async throws {
        let receiver = try await TestHTTPReceiver.start { _, _ in .hang }
        let outbound = client(SSRFPolicy(allowPrivate: true), timeout: .seconds(1))
        let start = ContinuousClock.now
        let result = await failure { () async throws(OutboundFailure) in
            try await outbound.send(OutboundRequest(method: "GET", url: receiver.url()))
        }
        guard case .timeout = result else {
            Issue.record("expected a timeout, got \(String(describing: result))")
            return
        }
        // Bounded, not hung (the receiver never answers): a 1 s timeout, with room for a test process
        // whose threads the rest of the suite keeps busy.
        #expect(ContinuousClock.now - start < .seconds(10))
        await receiver.stop()
    }

    @Test("the response body is read up to the cap")
    func bodyCap() async throws {
        let receiver = try await TestHTTPReceiver.start { _, _ in
            .init(status: 200, body: String(repeating: "x", count: 200_000))
        }
        let outbound = client(SSRFPolicy(allowPrivate: true), cap: 1024)
        let response = try await outbound.send(OutboundRequest(method: "GET", url: receiver.url()))
        #expect(response.body.count == 1024)
        #expect(response.truncated)
        await receiver.stop()
    }

    @Test("a closed port is a connect failure, not a refusal")
    func connectFailure() async throws {
        // A socket bound but not listening: connecting is refused, and, unlike a port freed after
        // use, no test running beside this one can take it meanwhile.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(holder >= 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(holder, $0, length) == 0 && getsockname(holder, $0, &length) == 0
            }
        }
        try #require(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let outbound = client(SSRFPolicy(allowPrivate: true))
        let result = await failure { () async throws(OutboundFailure) in
            try await outbound.send(OutboundRequest(method: "GET", url: "http://127.0.0.1:\(port)/"))
        }
        switch result {
        case .connect: break
        // On a machine loaded to the point that the refusal comes back after the client's deadline.
        case .timeout: break
        default: Issue.record("expected a connect failure, got \(String(describing: result))")
        }
        #expect(result?.isTransient == true)
    }
}
