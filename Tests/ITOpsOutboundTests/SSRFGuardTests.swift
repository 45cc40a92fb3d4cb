import Foundation
import ITOpsOutbound
import Testing

/// Addresses the table resolver hands out, so no test needs DNS beyond `/etc/hosts`.
private let publicV4 = IPAddress.v4(0x5db8_d822)  // 93.184.216.34
private let privateV4 = IPAddress.v4(0x0a00_0001)  // 10.0.0.1

private func ip(_ text: String) -> IPAddress {
    guard case .success(.address(let address)) = SSRFHost.normalise(text) else {
        preconditionFailure("not an IP literal: \(text)")
    }
    return address
}

private let tableResolver = SSRFResolver.table([
    "public.example": [publicV4, ip("2606:2800:220:1:248:1893:25c8:1946"), publicV4],
    "mixed.example": [publicV4, privateV4],
    "internal.example": [ip("10.0.0.5")],
    "other.internal.example": [ip("10.0.0.6")],
    "rebind.example": [ip("169.254.169.254")],
])

/// Runs `body` and returns its refusal, or nil when it did not refuse.
private func refusal(_ body: () throws(SSRFRefusal) -> Void) -> SSRFRefusal? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

private func asyncRefusal(_ body: () async throws(SSRFRefusal) -> Void) async -> SSRFRefusal? {
    do {
        try await body()
        return nil
    } catch {
        return error
    }
}

@Suite("SSRF guard: URL and literal checks")
struct SSRFCheckTests {
    let guardian = SSRFGuard(resolver: tableResolver)

    @Test(
        "every spelling of a loopback, private, metadata or reserved address is refused with its reason",
        arguments: [
            // Loopback, in all its spellings.
            ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
            ("http://127.9.8.7:8080/x", "127.9.8.7 is a loopback address"),
            ("http://127.0.0.1./", "127.0.0.1 is a loopback address"),
            ("http://127.1/", "127.0.0.1 is a loopback address (written as 127.1)"),
            ("http://2130706433/", "127.0.0.1 is a loopback address (written as 2130706433)"),
            ("http://0177.0.0.1/", "127.0.0.1 is a loopback address (written as 0177.0.0.1)"),
            ("http://017700000001/", "127.0.0.1 is a loopback address"),
            ("http://0x7f.1/", "127.0.0.1 is a loopback address (written as 0x7f.1)"),
            ("http://0x7F000001/", "127.0.0.1 is a loopback address"),
            ("http://0x7f.0x0.0x0.0x1/", "127.0.0.1 is a loopback address"),
            ("https://[::1]/", "::1 is a loopback address"),
            ("http://[0:0:0:0:0:0:0:1]/", "::1 is a loopback address"),
            ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is IPv4-mapped 127.0.0.1, a loopback address"),
            ("http://[::ffff:7f00:1]/", "is IPv4-mapped 127.0.0.1, a loopback address (written as ::ffff:7f00:1)"),
            ("http://[::127.0.0.1]/", "is IPv4-compatible 127.0.0.1, a loopback address"),
            ("http://[64:ff9b::127.0.0.1]/", "is NAT64 127.0.0.1, a loopback address"),
            ("http://[64:ff9b::7f00:1]/", "is NAT64 127.0.0.1, a loopback address"),
            ("http://[::ffff:0:7f00:1]/", "is IPv4-translated 127.0.0.1, a loopback address"),
            ("http://[2002:7f00:1::]/", "is 6to4 127.0.0.1, a loopback address"),
            // RFC 1918.
            ("http://10.0.0.1/", "10.0.0.1 is a private (RFC 1918) address"),
            ("http://10.1/", "10.0.0.1 is a private (RFC 1918) address (written as 10.1)"),
            ("http://167772161/", "10.0.0.1 is a private (RFC 1918) address"),
            ("http://172.16.0.1/", "172.16.0.1 is a private (RFC 1918) address"),
            ("http://172.31.255.255/", "172.31.255.255 is a private (RFC 1918) address"),
            ("http://192.168.1.1/", "192.168.1.1 is a private (RFC 1918) address"),
            ("http://0xc0.0xa8.1.1/", "192.168.1.1 is a private (RFC 1918) address"),
            ("http://[::ffff:192.168.0.1]/", "is IPv4-mapped 192.168.0.1, a private (RFC 1918) address"),
            ("http://[64:ff9b::a00:1]/", "is NAT64 10.0.0.1, a private (RFC 1918) address"),
            // Link-local and cloud metadata.
            ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
            ("http://2852039166/", "169.254.169.254 is a link-local address"),
            ("http://0251.0376.0251.0376/", "169.254.169.254 is a link-local address"),
            ("http://[::ffff:169.254.169.254]/", "is IPv4-mapped 169.254.169.254, a link-local address"),
            ("http://[fe80::1]/", "fe80::1 is a link-local address"),
            ("http://[fd00:ec2::254]/", "fd00:ec2::254 is a unique-local IPv6 address"),
            // CGNAT, multicast, unspecified, broadcast.
            ("http://100.64.0.1/", "100.64.0.1 is a carrier-grade NAT (RFC 6598) address"),
            ("http://100.127.255.255/", "100.127.255.255 is a carrier-grade NAT (RFC 6598) address"),
            ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
            ("http://239.255.255.250/", "239.255.255.250 is a multicast address"),
            ("http://[ff02::1]/", "ff02::1 is a multicast address"),
            ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
            ("http://0/", "0.0.0.0 is an unspecified address (written as 0)"),
            ("http://[::]/", ":: is an unspecified address"),
            ("http://255.255.255.255/", "255.255.255.255 is the broadcast address"),
            ("http://4294967295/", "255.255.255.255 is the broadcast address"),
            // Unique-local, site-local, reserved, benchmarking, documentation.
            ("http://[fc00::1]/", "fc00::1 is a unique-local IPv6 address"),
            ("http://[fd12:3456::1]/", "fd12:3456::1 is a unique-local IPv6 address"),
            ("http://[fec0::1]/", "fec0::1 is a site-local IPv6 address"),
            ("http://240.0.0.1/", "240.0.0.1 is a reserved address"),
            ("http://192.0.0.8/", "192.0.0.8 is a reserved address"),
            ("http://198.18.0.1/", "198.18.0.1 is a benchmarking address"),
            ("http://198.19.255.255/", "198.19.255.255 is a benchmarking address"),
            ("http://192.0.2.1/", "192.0.2.1 is a documentation address"),
            ("http://198.51.100.7/", "198.51.100.7 is a documentation address"),
            ("http://203.0.113.9/", "203.0.113.9 is a documentation address"),
            ("http://[2001:db8::1]/", "2001:db8::1 is a documentation address"),
            ("http://[2001::1]/", "2001::1 is a reserved address"),
            ("http://[64:ff9b:1::1]/", "64:ff9b:1::1 is a reserved address"),
            ("http://[100::1]/", "100::1 is a reserved address"),
            ("http://[4000::1]/", "4000::1 is a reserved address"),
        ])
    func blockedLiterals(url: String, reason: String) throws {
        let refused = try #require(refusal { () throws(SSRFRefusal) in _ = try guardian.check(url: url) })
        #expect(refused.kind == .blockedAddress)
        #expect(refused.reason.hasPrefix("blocked: "))
        #expect(refused.reason.contains(reason), "\(refused.reason)")
    }

    @Test(
        "public IPv4 and IPv6 literals pass, in any spelling, and resolve to themselves without a lookup",
        arguments: [
            ("http://93.184.216.34/", "93.184.216.34", 80),
            ("https://93.184.216.34:8443/hook", "93.184.216.34", 8443),
            ("http://1572395042/", "93.184.216.34", 80),
            ("http://0x5d.0xb8.0xd8.0x22/", "93.184.216.34", 80),
            ("https://[2606:2800:220:1:248:1893:25c8:1946]/", "2606:2800:220:1:248:1893:25c8:1946", 443),
            ("http://[::ffff:93.184.216.34]/", "::ffff:93.184.216.34", 80),
            ("http://[64:ff9b::5db8:d822]/", "64:ff9b::5db8:d822", 80),
            ("http://172.15.255.255/", "172.15.255.255", 80),
            ("http://172.32.0.0/", "172.32.0.0", 80),
            ("http://100.63.255.255/", "100.63.255.255", 80),
            ("http://100.128.0.0/", "100.128.0.0", 80),
            ("http://192.169.0.1/", "192.169.0.1", 80),
            ("http://223.255.255.255/", "223.255.255.255", 80),
            ("http://8.8.8.8/", "8.8.8.8", 80),
        ])
    func publicLiterals(url: String, host: String, port: Int) async throws {
        let target = try guardian.check(url: url)
        #expect(target.host.text == host)
        #expect(target.port == port)
        let call = try await guardian.validate(url: url)
        #expect(call.addresses.map(\.address.description) == [host])
        #expect(call.addresses.map(\.port) == [port])
    }

    @Test(
        "only http and https are called: file, ldap, gopher, ftp and others are refused by scheme",
        arguments: [
            "file:///etc/passwd", "ldap://93.184.216.34/", "gopher://93.184.216.34:70/_x", "ftp://93.184.216.34/",
            "dict://93.184.216.34:11211/", "javascript:alert(1)", "ws://93.184.216.34/", "data:text/plain,hi",
        ])
    func schemes(url: String) throws {
        let refused = try #require(refusal { () throws(SSRFRefusal) in _ = try guardian.check(url: url) })
        #expect(refused.kind == .scheme)
        #expect(refused.reason.contains("is not allowed (only http and https)"))
    }

    @Test("upper-case schemes and hosts are normalised, as is one trailing dot")
    func normalisation() throws {
        let target = try guardian.check(url: "HTTPS://Public.EXAMPLE./x")
        #expect(target.scheme == "https")
        #expect(target.host == .name("public.example"))
        #expect(target.port == 443)
    }

    @Test(
        "userinfo, empty hosts, bad ports, invalid numbers and unconvertible hosts are refused",
        arguments: [
            ("http://public.example@127.0.0.1/", SSRFRefusal.Kind.userinfo),
            ("http://user:pass@public.example/", .userinfo),
            ("http:///path", .malformedURL),
            ("http://:80/", .malformedURL),
            ("not a url at all", .malformedURL),
            ("http://public.example:0/", .host),
            ("http://1.2.3.999/", .host),
            ("http://1.2.3.4.5/", .host),
            ("http://09.1/", .host),
            ("http://4294967296/", .host),
            ("http://0x100000000/", .host),
            ("http://%31%32%37.0.0.1/", .host),
            ("http://bücher.example/", .host),
            ("http://[fe80::1%25eth0]/", .host),
            ("http://[::ffff:127.0.0.1:80/", .malformedURL),
            ("http://a..b/", .host),
            ("http://127.0.0.1../", .host),
            ("http://.example/", .host),
        ])
    func malformed(url: String, kind: SSRFRefusal.Kind) throws {
        let refused = try #require(refusal { () throws(SSRFRefusal) in _ = try guardian.check(url: url) })
        #expect(refused.kind == kind, "\(refused.reason)")
    }

    @Test("a Unicode host that Foundation maps to a loopback literal is still refused")
    func unicodeDigits() async throws {
        let refused = try #require(
            await asyncRefusal { () async throws(SSRFRefusal) in
                _ = try await guardian.validate(url: "http://１２７.０.０.１/")
            })
        #expect([.blockedAddress, .host].contains(refused.kind), "\(refused.reason)")
    }

    @Test("every entry of the range table is aligned to its prefix, so the table says what it means")
    func tableIsAligned() {
        for range in SSRFBlockedRanges.ipv4 + SSRFBlockedRanges.ipv6 + SSRFBlockedRanges.embeddings.map(\.range) {
            switch range.network {
            case .v4(let value):
                let hostBits = range.prefixLength == 32 ? 0 : UInt32.max >> range.prefixLength
                #expect(value & hostBits == 0, "\(range)")
            case .v6(let value):
                let hostBits = range.prefixLength == 128 ? 0 : UInt128.max >> range.prefixLength
                #expect(value & hostBits == 0, "\(range)")
            }
        }
    }

    @Test("refusals become invalid domain errors carrying the same reason")
    func domainError() throws {
        let refused = try #require(
            refusal { () throws(SSRFRefusal) in _ = try guardian.check(url: "http://127.0.0.1/") })
        #expect(refused.itopsError.code == .invalid)
        #expect(refused.itopsError.message == refused.reason)
    }
}

@Suite("SSRF guard: resolution, allowlist and the development switch")
struct SSRFResolutionTests {
    @Test("localhost resolves through the system resolver and is refused as loopback")
    func localhost() async throws {
        let guardian = SSRFGuard()
        let refused = try #require(
            await asyncRefusal { () async throws(SSRFRefusal) in
                _ = try await guardian.resolve(host: "localhost", port: 80)
            })
        #expect(refused.kind == .blockedAddress)
        #expect(refused.reason.contains("is a loopback address (resolved from localhost)"), "\(refused.reason)")
    }

    @Test("a name that does not resolve is refused: nothing checked, nothing called")
    func unresolvable() async throws {
        let guardian = SSRFGuard()
        let refused = try #require(
            await asyncRefusal { () async throws(SSRFRefusal) in
                _ = try await guardian.validate(url: "https://no-such-host.invalid/hook")
            })
        #expect(refused.kind == .resolution)
        #expect(refused.reason.hasPrefix("blocked: no-such-host.invalid did not resolve"), "\(refused.reason)")
    }

    @Test("one private address among the answers refuses the whole call, naming the name")
    func mixedAnswers() async throws {
        let guardian = SSRFGuard(resolver: tableResolver)
        let refused = try #require(
            await asyncRefusal { () async throws(SSRFRefusal) in
                _ = try await guardian.resolve(host: "mixed.example", port: 443)
            })
        #expect(refused.reason == "blocked: 10.0.0.1 is a private (RFC 1918) address (resolved from mixed.example)")
    }

    @Test("every checked answer is returned once, with the port, for the client to connect to")
    func publicAnswers() async throws {
        let guardian = SSRFGuard(resolver: tableResolver)
        let call = try await guardian.validate(url: "https://Public.Example./hook")
        #expect(call.addresses.map(\.description) == ["93.184.216.34:443", "[2606:2800:220:1:248:1893:25c8:1946]:443"])
    }

    @Test(
        "the allowlist lifts the range check for exactly the listed hosts and nothing else",
        arguments: [
            ("https://internal.example/hook", true),
            ("https://INTERNAL.example./hook", true),
            ("http://10.0.0.5:9000/", true),
            ("https://other.internal.example/", false),
            ("https://rebind.example/", false),
            ("http://10.0.0.6/", false),
            ("http://127.0.0.1/", false),
        ])
    func allowlist(url: String, allowed: Bool) async {
        let guardian = SSRFGuard(
            policy: SSRFPolicy(hostAllowlist: ["Internal.Example.", "10.0.0.5"]), resolver: tableResolver)
        let refused = await asyncRefusal { () async throws(SSRFRefusal) in _ = try await guardian.validate(url: url) }
        #expect((refused == nil) == allowed, "\(refused?.reason ?? "allowed")")
        if let refused { #expect(refused.kind == .blockedAddress) }
    }

    @Test("the allowlist does not lift the scheme, userinfo or resolution rules")
    func allowlistKeepsOtherRules() async throws {
        let guardian = SSRFGuard(
            policy: SSRFPolicy(hostAllowlist: ["internal.example", "ghost.invalid"]), resolver: tableResolver)
        for (url, kind) in [
            ("ftp://internal.example/", SSRFRefusal.Kind.scheme),
            ("http://me@internal.example/", .userinfo),
            ("http://ghost.invalid/", .resolution),
        ] {
            let refused = await asyncRefusal { () async throws(SSRFRefusal) in _ = try await guardian.validate(url: url)
            }
            #expect(refused?.kind == kind, "\(url)")
        }
    }

    @Test("allowPrivate lifts the range check for every host, but not the other rules")
    func allowPrivate() async throws {
        let guardian = SSRFGuard(policy: SSRFPolicy(allowPrivate: true))
        #expect(try guardian.check(url: "http://127.1:8080/").host.text == "127.0.0.1")
        #expect(try guardian.check(url: "http://[::ffff:169.254.169.254]/").port == 80)
        let local = try await guardian.resolve(host: "localhost", port: 8080)
        #expect(local.contains(SSRFAddress(address: .v4(0x7f00_0001), port: 8080)))
        #expect(
            refusal { () throws(SSRFRefusal) in _ = try guardian.check(url: "file:///etc/passwd") }?.kind == .scheme)
        #expect(
            refusal { () throws(SSRFRefusal) in _ = try guardian.check(url: "http://a@127.0.0.1/") }?.kind == .userinfo)
        let unresolved = await asyncRefusal { () async throws(SSRFRefusal) in
            _ = try await guardian.resolve(host: "nothing.invalid", port: 80)
        }
        #expect(unresolved?.kind == .resolution)
    }

    @Test("allowlist entries are normalised like hosts")
    func policyNormalisation() {
        let policy = SSRFPolicy(hostAllowlist: [" Hooks.Example. ", "", "0x7f.1", "[::1]"])
        #expect(policy.hostAllowlist == ["hooks.example", "127.0.0.1", "::1"])
    }
}

@Suite("SSRF guard: redirects")
struct SSRFRedirectTests {
    let guardian = SSRFGuard(resolver: tableResolver)
    let base = URL(string: "https://public.example/hooks/in?x=1")!

    @Test(
        "relative and absolute Location headers resolve against the URL that answered",
        arguments: [
            ("/next", "https://public.example/next"),
            ("other", "https://public.example/hooks/other"),
            ("../up?y=2", "https://public.example/up?y=2"),
            ("//93.184.216.34/x", "https://93.184.216.34/x"),
            ("http://public.example:8080/z", "http://public.example:8080/z"),
        ])
    func relative(location: String, expected: String) throws {
        #expect(try guardian.redirectTarget(from: base, location: location, hop: 1).absoluteString == expected)
    }

    @Test(
        "a redirect to a blocked literal, a bad scheme or nowhere is refused at once",
        arguments: [
            ("http://127.0.0.1/admin", SSRFRefusal.Kind.blockedAddress),
            ("http://169.254.169.254/latest/meta-data/", .blockedAddress),
            ("//0x7f.1/", .blockedAddress),
            ("http://[::ffff:10.0.0.1]/", .blockedAddress),
            ("file:///etc/passwd", .scheme),
            ("gopher://public.example/", .scheme),
            ("", .redirect),
            ("   ", .redirect),
        ])
    func refused(location: String, kind: SSRFRefusal.Kind) throws {
        let refused = try #require(
            refusal { () throws(SSRFRefusal) in _ = try guardian.redirectTarget(from: base, location: location, hop: 1)
            })
        #expect(refused.kind == kind, "\(refused.reason)")
    }

    @Test("a public-looking redirect to a name that resolves privately is refused when the hop is resolved")
    func redirectToPrivateName() async throws {
        let next = try guardian.redirectTarget(from: base, location: "https://rebind.example/", hop: 1)
        let refused = try #require(
            await asyncRefusal { () async throws(SSRFRefusal) in _ = try await guardian.validate(url: next) })
        #expect(refused.reason.contains("169.254.169.254 is a link-local address"))
        #expect(refused.reason.contains("(resolved from rebind.example)"))
    }

    @Test("five redirects are followed, the sixth is refused", arguments: 1...7)
    func hopLimit(hop: Int) {
        let refused = refusal { () throws(SSRFRefusal) in
            _ = try guardian.redirectTarget(from: base, location: "/n", hop: hop)
        }
        if hop <= SSRFGuard.maxRedirects {
            #expect(refused == nil)
        } else {
            #expect(refused?.kind == .redirect)
            #expect(refused?.reason == "blocked: too many redirects (more than 5)")
        }
    }

    @Test("301, 302, 303, 307 and 308 are redirects; 200, 304 and 305 are not")
    func redirectStatuses() {
        #expect([301, 302, 303, 307, 308].allSatisfy(SSRFGuard.isRedirect(status:)))
        #expect(![200, 300, 304, 305, 306, 400].contains(where: SSRFGuard.isRedirect(status:)))
    }
}

@Suite("IPv4 literal spellings")
struct IPv4SpellingTests {
    @Test(
        "decimal, octal, hex and short forms read as browsers and inet_aton read them",
        arguments: [
            ("127.0.0.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("127.0.1", "127.0.0.1"),
            ("10.1", "10.0.0.1"), ("2130706433", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"),
            ("0x7f.1", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("017700000001", "127.0.0.1"),
            ("0", "0.0.0.0"), ("0x", "0.0.0.0"), ("4294967295", "255.255.255.255"), ("1.0x10.0100.1", "1.16.64.1"),
            ("192.168.257", "192.168.1.1"), ("0300.0250.0401", "192.168.1.1"),
        ])
    func spellings(text: String, canonical: String) throws {
        let host = try SSRFHost.normalise(text).get()
        #expect(host.text == canonical)
    }

    @Test(
        "names that merely contain numbers stay names", arguments: ["1.2.3.4.nip.io", "0x7f.example", "123abc", "a1"])
    func namesStayNames(text: String) throws {
        #expect(try SSRFHost.normalise(text).get() == .name(text))
    }
}
