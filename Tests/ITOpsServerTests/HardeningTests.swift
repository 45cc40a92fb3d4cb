import Foundation
import GraphQL
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ITOpsCore
import ITOpsStore
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import ITOpsGraphQL
@testable import ITOpsServer

/// A document of `levels` fragments, each spreading the next one twice: under 1 KB, but 2^levels
/// fields once expanded.
private func exponentialFragments(levels: Int) -> String {
    var text = "{...f0}"
    for level in 0..<levels {
        text += "fragment f\(level) on Query{me{id}...f\(level + 1) ...f\(level + 1)}"
    }
    text += "fragment f\(levels) on Query{me{id}}"
    return text
}

@Suite("Hardening: GraphQL analysis and cost")
struct GraphQLHardeningTests {
    @Test("the expanded size of fragments that spread each other twice is computed once per fragment")
    func documentShapeIsLinear() throws {
        let document = try parse(source: Source(body: exponentialFragments(levels: 40)))
        #expect(throws: DocumentShape.Problem.tooLarge(budget: 10_000)) {
            try DocumentShape.expandedFields(document, budget: 10_000)
        }
        let small = try parse(source: Source(body: exponentialFragments(levels: 5)))
        // Each level holds `me { id }` (2 fields) and twice the next: 2 × (2^6 − 1) = 126.
        #expect(try DocumentShape.expandedFields(small, budget: 10_000) == 126)
        let cyclic = try parse(source: Source(body: "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"))
        #expect(throws: DocumentShape.Problem.self) { try DocumentShape.expandedFields(cyclic, budget: 10_000) }
    }

    @Test(
        "a sub-1 KB document of doubling fragments is refused at once, before authentication, and /health keeps answering",
        .timeLimit(.minutes(1)))
    func exponentialFragmentsRefused() async throws {
        let app = try await TestApp.make()
        let attack = exponentialFragments(levels: 23)
        #expect(attack.utf8.count < 1_024)
        try await app.run { client in
            async let first = client.graphQL(attack)
            async let second = client.graphQL(attack)
            let health = try await client.get("/health", key: nil)
            #expect(health.status == .ok)
            for response in try await [first, second] {
                #expect(response.errorCode == "QUERY_TOO_COMPLEX", "\(response.text)")
                #expect(response.errorMessage?.contains("expands to more than") == true)
            }
            let cyclic = try await client.graphQL("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
            #expect(cyclic.errorCode == "GRAPHQL_VALIDATION_FAILED")
        }
    }

    @Test("a page size from a variable's default, or from a variable with no value, is costed as given or at the maximum")
    func variablePageSizes() async throws {
        let app = try await TestApp.make { $0.graphQL.maxComplexity = 2_000 }
        try await app.run { client in
            let token = try await app.token(client, role: .viewer)
            let fields = "edges { node { id name status message nodeId } }"
            let viaDefault = try await client.graphQL(
                "query($n: Int = 500) { services(first: $n) { \(fields) } }", token: token)
            #expect(viaDefault.errorCode == "QUERY_TOO_COMPLEX", "\(viaDefault.text)")
            let viaValue = try await client.graphQL(
                "query($n: Int) { services(first: $n) { \(fields) } }", variables: "{\"n\": 500}", token: token)
            #expect(viaValue.errorCode == "QUERY_TOO_COMPLEX")
            // No value and no default: the page size cannot be known before execution → the maximum.
            let unknown = try await client.graphQL("query($n: Int) { services(first: $n) { \(fields) } }", token: token)
            #expect(unknown.errorCode == "QUERY_TOO_COMPLEX")
            let small = try await client.graphQL(
                "query($n: Int = 10) { services(first: $n) { \(fields) } }", token: token)
            #expect(small.errorCode == nil, "\(small.text)")
        }
    }

    @Test("lists whose length depends on the data stop the answer past maxResultItems")
    func unboundedListsHaveARealBound() async throws {
        let app = try await TestApp.make { $0.graphQL.maxResultItems = 25 }
        try await app.run { client in
            for index in 0..<15 {
                let push = try await client.post(
                    "/api/v1/health/report",
                    "{\"service\": \"svc\", \"nodeId\": \"org/n\(index)\", \"status\": \"OPERATIONAL\", \"slaGroup\": \"g\"}")
                #expect(push.status == .ok)
            }
            let token = try await app.token(client, role: .viewer)
            // 17 nodes (org and its 15 children, and unknown) are under 25 items.
            let fewNodes = try await client.graphQL("{ nodes { id } }", token: token)
            #expect(fewNodes.errorCode == nil, "\(fewNodes.text)")
            // One group of 15 members listed twice through aliases: 2 + 30 items > 25.
            let members = try await client.graphQL(
                "{ a: slaGroups { services { serviceName } } b: slaGroups { services { serviceName } } }", token: token)
            #expect(members.errorCode == "QUERY_TOO_COMPLEX", "\(members.text)")
            #expect(members.errorMessage?.contains("list items") == true)
        }
    }

    @Test("aliases of an SLA field pay for each alias, and share one computation")
    func aliasesOfExpensiveFields() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let token = try await app.token(client, role: .viewer)
            let many = (0..<21).map { "a\($0): slaDashboardStats { totalServices }" }.joined(separator: " ")
            let refused = try await client.graphQL("{ \(many) }", token: token)
            #expect(refused.errorCode == "QUERY_TOO_COMPLEX", "\(refused.text)")
            let few = (0..<3).map { "a\($0): slaGroups { name status }" }.joined(separator: " ")
            let allowed = try await client.graphQL("{ \(few) }", token: token)
            #expect(allowed.errorCode == nil, "\(allowed.text)")
        }
    }

    @Test("a deeply nested document is refused before the recursive parser sees it; strings and comments do not count")
    func nestingBeforeParsing() async throws {
        #expect(DocumentShape.nesting("{ a(x: \"{{{{\") { b } } # {{{{{", limit: 64) == 2)
        #expect(DocumentShape.nesting("{ a(x: \"\"\"{{{ \\\"\"\" {{\"\"\") }", limit: 64) == 2)
        #expect(DocumentShape.nesting(String(repeating: "{", count: 1_000), limit: 64) == 65)
        let app = try await TestApp.make()
        try await app.run { client in
            let deep = "{" + String(repeating: "a{", count: 10_000) + String(repeating: "}", count: 10_001)
            let response = try await client.graphQL(deep)
            #expect(response.errorCode == "QUERY_TOO_DEEP", "\(response.text.prefix(300))")
            let list = "{ services(filter: {tag: " + String(repeating: "[", count: 8_000)
                + String(repeating: "]", count: 8_000) + "}) { totalCount } }"
            #expect(try await client.graphQL(list).errorCode == "QUERY_TOO_DEEP")
            #expect(try await client.get("/health", key: nil).status == .ok)
        }
    }

    @Test("the analysis itself stops after its visit budget")
    func analysisVisitBudget() async throws {
        var limits = GraphQLLimits()
        limits.analysisVisitBudget = 50
        let app = try await TestApp.make { $0.graphQL = limits }
        try await app.run { client in
            let token = try await app.token(client, role: .viewer)
            let wide = (0..<60).map { "a\($0): me { id }" }.joined(separator: " ")
            let response = try await client.graphQL("{ \(wide) }", token: token)
            #expect(response.errorCode == "QUERY_TOO_COMPLEX", "\(response.text)")
            #expect(response.errorMessage?.contains("too many steps") == true)
        }
    }

    @Test("an operation past the deadline is answered TIMEOUT while the server keeps serving")
    func deadline() async throws {
        let app = try await TestApp.make { $0.graphQL.deadline = .milliseconds(1) }
        let key = try await app.runtime.createAPIKey(name: "viewer", role: .viewer).plain
        try await app.run { client in
            for index in 0..<50 {
                _ = try await client.post(
                    "/api/v1/health/report", "{\"service\": \"s\(index)\", \"nodeId\": \"org/n\(index % 5)\", \"status\": \"OPERATIONAL\"}")
            }
            // A query that reads the database cannot answer within 1 ms on a busy test machine;
            // retried until the race is observed, so the test does not depend on timing luck.
            var seen: [String] = []
            for _ in 0..<50 where !seen.contains("TIMEOUT") {
                let response = try await client.graphQL(
                    "{ services(first: 500) { edges { node { id } } } nodes { id } slaGroups { name } }",
                    token: key)
                seen.append(response.errorCode ?? "ok")
            }
            #expect(seen.contains("TIMEOUT"), "\(seen)")
            #expect(try await client.get("/health", key: nil).status == .ok)
        }
    }

    @Test("a mutation is never cut off half-way: it either runs to its real answer or, past the deadline, never starts")
    func mutationsAreNotCutOff() async throws {
        let app = try await TestApp.make { $0.graphQL.deadline = .milliseconds(1) }
        let admin = try await app.runtime.createAPIKey(name: "admin", role: .admin).plain
        let before = try await app.runtime.listAPIKeys().count
        try await app.run { client in
            var created = 0
            for index in 0..<20 {
                let response = try await client.graphQL(
                    "mutation { createApiKey(name: \"k\(index)\", role: \"viewer\") { key } }", token: admin)
                if response.errorCode == nil { created += 1 } else { #expect(response.errorCode == "TIMEOUT") }
            }
            #expect(try await app.runtime.listAPIKeys().count == before + created, "every answered mutation is all there is")
        }
    }

    @Test("admission: past the running and waiting limits an operation is refused OVERLOADED")
    func admissionControl() async throws {
        let admission = AdmissionControl(limit: 1, maxWaiting: 1)
        #expect(await admission.enter())
        let waiter = Task { await admission.enter() }
        try await Task.sleep(for: .milliseconds(100))  // the waiter queues behind the running one
        #expect(await admission.enter() == false, "the queue of one is full")
        admission.leave()  // hands the slot to the waiter
        #expect(await waiter.value)
        admission.leave()
        #expect(await admission.enter())
        admission.leave()
    }
}

@Suite("Hardening: sign-in throttling")
struct LoginHardeningTests {
    @Test("parallel wrong passwords are counted before bcrypt: at most the free allowance is checked")
    func parallelGuessesAreReserved() async throws {
        let app = try await TestApp.make()
        _ = try await app.runtime.createUser(email: "victim@example.com", password: "correct-horse", role: .admin)
        try await app.run { client in
            let outcomes = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        try await client.graphQL(
                            "mutation { login(email: \"victim@example.com\", password: \"wrong-\(index)\") { token } }"
                        ).errorCode
                    }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            let checked = outcomes.filter { $0 == "UNAUTHENTICATED" }.count
            #expect(checked <= 5, "\(checked) wrong passwords reached bcrypt")
            // The rest are refused before bcrypt (RATE_LIMITED; on a loaded machine some may wait past the
            // deadline for a slot instead, and are then refused unrun).
            #expect(outcomes.filter { $0 == "RATE_LIMITED" || $0 == "TIMEOUT" }.count >= 35, "\(outcomes)")
        }
    }

    @Test("throttling backs off progressively and its table evicts the least recently used")
    func progressiveBackoffAndEviction() throws {
        let clock = ManualWallClock(TestApp.start)
        var limits = LoginThrottle.Limits()
        limits.maxKeys = 30
        let throttle = LoginThrottle(limits: limits, clock: clock)
        for _ in 0..<5 { _ = try throttle.reserve(email: "a@x.io", client: "c1") }
        #expect(throws: ITOpsError.self) { try throttle.reserve(email: "a@x.io", client: "c1") }
        clock.advance(by: 1.1)
        _ = try throttle.reserve(email: "a@x.io", client: "c1")  // waited 1 s: allowed, and counted
        clock.advance(by: 1.1)
        #expect(throws: ITOpsError.self) { try throttle.reserve(email: "a@x.io", client: "c1") }  // now 2 s
        clock.advance(by: 1)
        _ = try throttle.reserve(email: "a@x.io", client: "c1")
        // A success gives the attempt back and clears the pair.
        let ok = try throttle.reserve(email: "b@x.io", client: "c2")
        throttle.succeeded(ok)
        // A full table still records: the oldest keys go.
        for index in 0..<100 { _ = try throttle.reserve(email: "u\(index)@x.io", client: "z\(index)") }
        #expect(throttle.trackedKeys <= 30)
        #expect(throws: Never.self) { try throttle.reserve(email: "u99@x.io", client: "z99") }
    }

    @Test("an attacker elsewhere cannot lock the admin out; X-Forwarded-For counts only from trusted proxies")
    func noLockoutAndTrustedProxies() async throws {
        let app = try await TestApp.make { $0.trustedProxies = try! TrustedProxies.parse("127.0.0.1").get() }
        _ = try await app.runtime.createUser(email: "admin@example.com", password: "correct-horse", role: .admin)
        try await app.runLive { live in
            func login(_ email: String, _ password: String, from client: String) async throws -> String? {
                let body =
                    "{\"query\": \"mutation { login(email: \\\"\(email)\\\", password: \\\"\(password)\\\") { token } }\"}"
                var headers = HTTPFields()
                headers[.forwardedFor] = client
                return try await live.http.request(.post, "/graphql", body: body, key: nil, headers: headers).errorCode
            }
            // The attacker at 203.0.113.9: random emails, then the admin's.
            for index in 0..<25 { _ = try await login("r\(index)@example.com", "nope-nope", from: "203.0.113.9") }
            for _ in 0..<10 { _ = try await login("admin@example.com", "nope-nope", from: "203.0.113.9") }
            #expect(try await login("admin@example.com", "correct-horse", from: "203.0.113.9") == "RATE_LIMITED")
            // The admin, from another address, signs in at once.
            #expect(try await login("admin@example.com", "correct-horse", from: "198.51.100.7") == nil)
        }
        let parsed = try TrustedProxies.parse("10.0.0.0/8, ::1").get()
        #expect(parsed.client(peer: "10.1.2.3", forwardedFor: ["192.0.2.1, 10.9.9.9"]) == "192.0.2.1")
        #expect(parsed.client(peer: "192.0.2.50", forwardedFor: ["10.1.1.1"]) == "192.0.2.50", "untrusted peer")
        #expect(parsed.client(peer: "::1", forwardedFor: ["garbage"]) == "::1")
        #expect(parsed.client(peer: "::ffff:10.0.0.1", forwardedFor: ["192.0.2.1"]) == "192.0.2.1")
        #expect(throws: TrustedProxies.BadEntry.self) { try TrustedProxies.parse("10.0.0.0/33").get() }
    }

    @Test("without a trusted proxy, X-Forwarded-For cannot move a client out of its throttle")
    func spoofedForwardedForIgnored() async throws {
        let app = try await TestApp.make()
        _ = try await app.runtime.createUser(email: "admin@example.com", password: "correct-horse", role: .admin)
        try await app.runLive { live in
            for index in 0..<6 {
                var headers = HTTPFields()
                headers[.forwardedFor] = "192.0.2.\(index)"
                let body =
                    "{\"query\": \"mutation { login(email: \\\"admin@example.com\\\", password: \\\"wrong\\\") { token } }\"}"
                let code = try await live.http.request(.post, "/graphql", body: body, key: nil, headers: headers)
                    .errorCode
                #expect(code == (index < 5 ? "UNAUTHENTICATED" : "RATE_LIMITED"))
            }
        }
    }

    @Test("password checks beyond the bound are refused with 429 instead of queueing")
    func boundedPasswordChecks() async throws {
        let hasher = PasswordHasher(cost: 10, maxPending: 2)
        let hash = try await hasher.hash("password-123")
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    do {
                        _ = try await hasher.verify("password-123", hash: hash)
                        return true
                    } catch let error as ITOpsError {
                        return error.code != .rateLimited
                    } catch {
                        return true
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.contains(false), "some checks were refused")
        #expect(results.contains(true), "some checks ran")
    }
}

/// A raw TCP connection to the live server, for what HTTP clients will not do.
private final class RawSocket: Sendable {
    let channel: any Channel
    let closed = Mutex(false)

    init(port: Int) async throws {
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).get()
        channel.closeFuture.whenComplete { [self] _ in self.closed.withLock { $0 = true } }
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// Waits up to `limit` for the server to close the connection.
    func closedByServer(within limit: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if closed.withLock({ $0 }) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return closed.withLock { $0 }
    }

    func close() { channel.close(promise: nil) }
}

@Suite("Hardening: connections")
struct ConnectionHardeningTests {
    @Test("an idle connection and a stalled request body are closed after the idle timeout")
    func idleAndHalfOpen() async throws {
        let app = try await TestApp.make { $0.httpIdleTimeout = 1 }
        try await app.runLive { live in
            let port = try #require(live.raw.port)
            let idle = try await RawSocket(port: port)
            let partial = try await RawSocket(port: port)
            try await partial.send(
                "POST /api/v1/health/report HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"service\"")
            #expect(try await idle.closedByServer(within: .seconds(10)))
            #expect(try await partial.closedByServer(within: .seconds(10)))
            // (The test client's own keep-alive connection was idle too and is gone; a fresh one is served.)
            let fresh = try await RawSocket(port: port)
            try await fresh.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            try await Task.sleep(for: .milliseconds(200))
            #expect(!fresh.closed.withLock { $0 })
            fresh.close()
        }
    }

    @Test("one address may hold at most ITOPS_MAX_CONNECTIONS_PER_ADDRESS connections")
    func perAddressCap() async throws {
        let app = try await TestApp.make { $0.maxConnectionsPerAddress = 3 }
        try await app.runLive { live in
            let port = try #require(live.raw.port)
            var sockets: [RawSocket] = []
            // The test client holds connections of its own; open until one is refused.
            for _ in 0..<6 { sockets.append(try await RawSocket(port: port)) }
            try await Task.sleep(for: .milliseconds(200))
            let refused = sockets.filter { $0.closed.withLock { $0 } }.count
            #expect(refused >= 3, "at most 3 may stay open, \(6 - refused) did")
            #expect(app.runtime.connections.refused >= 3)
            for socket in sockets { socket.close() }
            // Freed slots are given back: a new connection is served again.
            try await Task.sleep(for: .milliseconds(200))
            let again = try await RawSocket(port: port)
            try await again.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            try await Task.sleep(for: .milliseconds(200))
            #expect(!again.closed.withLock { $0 })
            again.close()
        }
    }
}

@Suite("Hardening: windows, files, plugins, templates")
struct SmallerHardeningTests {
    @Test("an explicit expectedEndAt past ITOPS_MAX_EXCLUSION_WINDOW needs an admin, is announced, and is capped")
    func explicitEndIsCapped() async throws {
        let app = try await TestApp.make { $0.maxExclusionWindow = 86_400 }
        let recorder = EventRecorder(app.runtime.events)
        let admin = try await app.runtime.createAPIKey(name: "admin", role: .admin).plain
        try await app.run { client in
            _ = try await client.post(
                "/api/v1/health/report", "{\"service\": \"db\", \"nodeId\": \"org/c1\", \"status\": \"OPERATIONAL\"}")
            let yearAway = "{\"service\": \"db\", \"nodeId\": \"org/c1\", \"expectedEndAt\": \"2027-04-20T00:00:00Z\"}"
            let byOperator = try await client.post("/api/v1/sla/exclusion-window/start", yearAway)
            #expect(byOperator.status == .forbidden, "\(byOperator.text)")
            #expect(byOperator.error?.contains("ITOPS_MAX_EXCLUSION_WINDOW") == true)
            let byAdmin = try await client.post("/api/v1/sla/exclusion-window/start", yearAway, key: admin)
            #expect(byAdmin.status == .unprocessableContent, "\(byAdmin.text)")
            #expect(byAdmin.error?.contains("ITOPS_MAX_PLANNED_EXCLUSION_WINDOW") == true)
            let threeDays = "{\"service\": \"db\", \"nodeId\": \"org/c1\", \"expectedEndAt\": \"2026-04-23T00:00:00Z\"}"
            #expect(try await client.post("/api/v1/sla/exclusion-window/start", threeDays).status == .forbidden)
            let planned = try await client.post("/api/v1/sla/exclusion-window/start", threeDays, key: admin)
            #expect(planned.status == .created, "\(planned.text)")
            let announced = await recorder.drain().contains {
                if case .slaAlert(let alert) = $0 { return alert.kind == .exclusionWindowPlanned }
                return false
            }
            #expect(announced)
            let id = try #require(try await app.runtime.store.reader.service(nodeId: NodePath(validating: "org/c1"), name: "db")).id
            #expect(try await app.runtime.store.reader.exclusionWindows(serviceId: id).count == 1)
        }
    }

    @Test("the data directory is created 0700 and the database 0600; a wider existing one is reported")
    func dataDirectoryPermissions() async throws {
        let app = try await TestApp.make()
        try await app.run { _ in
            #expect(DataDirectory.mode(of: app.directory.path).map { $0 & 0o777 } == 0o700)
            let database = app.directory.appendingPathComponent("itops.db").path
            #expect(DataDirectory.mode(of: database).map { $0 & 0o777 } == 0o600)
        }
        // `itops serve` takes the database lock first: that too creates the directory private.
        let locked = FileManager.default.temporaryDirectory.appendingPathComponent("itops-lock-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: locked) }
        let lock = try DatabaseLock.acquire(databasePath: locked.appendingPathComponent("itops.db").path)
        lock.release()
        #expect(DataDirectory.mode(of: locked.path).map { $0 & 0o777 } == 0o700)
        let wide = FileManager.default.temporaryDirectory.appendingPathComponent("itops-wide-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: wide, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: wide) }
        var config = Config()
        config.dataDirectory = wide.path
        let warnings = try DataDirectory.secure(config: config, logger: Logger(label: "test"))
        #expect(warnings.contains { $0.contains("chmod 700") }, "\(warnings)")
    }

    @Test("an anonymous caller gets 401 from a licensed route, not the license state")
    func pluginGateAfterAuthentication() async throws {
        let app = try await TestApp.make { $0.trialDays = 0 }
        try await app.run { client in
            let anonymous = try await client.post("/api/v1/sla/report/generate", "{}", key: nil)
            #expect(anonymous.status == .unauthorized, "\(anonymous.text)")
            #expect(anonymous.error?.contains("plugin") == false)
            let known = try await client.post("/api/v1/sla/report/generate", "{}")
            #expect(known.status == .forbidden)
            #expect(known.error?.contains("sla") == true)
        }
    }

    @Test("a YAML template of aliases of aliases (billion laughs) is refused before it is walked")
    func billionLaughs() async throws {
        var yaml = "a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n"
        for level in 1..<10 {
            let previous = Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ")
            yaml += "a\(level): &a\(level) [\(previous)]\n"
        }
        #expect(yaml.utf8.count < 2_000)
        let document = yaml
        let admin = try await TestApp.make()
        let key = try await admin.runtime.createAPIKey(name: "admin", role: .admin).plain
        try await admin.run { client in
            let response = try await client.request(
                .post, "/api/v1/templates/import", body: document, key: key,
                headers: [.contentType: "application/yaml"])
            #expect(response.status == .contentTooLarge, "\(response.text)")
            #expect(response.error?.contains("nodes") == true)
            var deep = ""
            for _ in 0..<100 { deep += "[" }
            for _ in 0..<100 { deep += "]" }
            let nested = try await client.request(
                .post, "/api/v1/templates/import", body: deep, key: key, headers: [.contentType: "application/yaml"])
            #expect(nested.status.code / 100 == 4, "\(nested.text)")
        }
    }
}
