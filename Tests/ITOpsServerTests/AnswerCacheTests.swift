import Foundation
import GraphQL
import ITOpsCore
import Synchronization
import Testing

@testable import ITOpsGraphQL
@testable import ITOpsServer

/// GraphQL's answer cache: the same question from the same caller is answered again without
/// executing it, but never across a write, past its age, to another caller, or for a mutation or
/// an answer with errors.
@Suite("GraphQL answer cache")
struct AnswerCacheTests {
    static let query = "{ services { totalCount edges { node { name status } } } }"

    /// The answer cache's lookups so far, from `GET /metrics`: (hits, misses).
    private func lookups(_ client: Client) async throws -> (hits: Int, misses: Int) {
        let text = try await client.get("/metrics", key: nil).text
        func value(_ result: String) -> Int {
            let prefix = "itops_graphql_answer_cache_lookups_total{result=\"\(result)\"} "
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return 0 }
            return Int(Double(line.dropFirst(prefix.count)) ?? -1)
        }
        return (value("hit"), value("miss"))
    }

    private func statuses(_ answer: JSONResponse) -> [String: String] {
        let edges = ((answer.data?["services"] as? [String: Any])?["edges"] as? [[String: Any]]) ?? []
        var found: [String: String] = [:]
        for edge in edges {
            if let node = edge["node"] as? [String: Any], let name = node["name"] as? String {
                found[name] = node["status"] as? String
            }
        }
        return found
    }

    private func push(_ client: Client, _ service: String, _ status: String) async throws {
        let answer = try await client.post(
            "/api/v1/health/report", "{\"service\": \"\(service)\", \"nodeId\": \"org/prod\", \"status\": \"\(status)\"}")
        #expect(answer.status == .ok, "\(answer.text)")
    }

    @Test("a repeated query is answered from the cache; a write, the clock or another caller asks afresh", arguments: TestBackend.all)
    func repeatedQuery(_ backend: TestBackend) async throws {
        // A minute: only a write, the application's clock or the caller may make an answer stale here
        // (the access tokens outlive it).
        let app = try await TestApp.make(backend) { $0.graphQL.answerMaxAge = .seconds(60) }
        _ = try await app.runtime.createUser(email: "admin@example.com", password: "admin-password", role: .admin)
        _ = try await app.runtime.createUser(email: "viewer@example.com", password: "viewer-password", role: .viewer)
        try await app.run { (client: Client) async throws in
            let admin = try await client.login("admin@example.com", "admin-password")
            let viewer = try await client.login("viewer@example.com", "viewer-password")
            try await push(client, "api", "OPERATIONAL")

            let first = try await client.graphQL(Self.query, token: admin)
            #expect(statuses(first) == ["api": "OPERATIONAL"], "\(first.text)")
            // The operator key's first use writes its last-use time in the background
            // (`APIKeys.recordUse`), which may land after the first answer and make it stale: asked
            // again until that write is behind us, the same question is a hit.
            var before = try await lookups(client)
            var afterRepeat = before
            for _ in 0..<50 {
                let again = try await client.graphQL(Self.query, token: admin)
                #expect(again.text == first.text)
                afterRepeat = try await lookups(client)
                if afterRepeat.hits > before.hits { break }
                before = afterRepeat
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(afterRepeat.hits == before.hits + 1, "the same question again is a hit")

            // A write of this instance: the next answer shows it at once.
            try await push(client, "api", "DOWN")
            let afterWrite = try await client.graphQL(Self.query, token: admin)
            #expect(statuses(afterWrite) == ["api": "DOWN"], "\(afterWrite.text)")
            let counted = try await lookups(client)
            #expect(counted.hits == afterRepeat.hits, "the write made the cached answer stale")

            // Another caller asking the same question is not handed the admin's answer.
            _ = try await client.graphQL(Self.query, token: viewer)
            let otherCaller = try await lookups(client)
            #expect(otherCaller.hits == counted.hits)
            #expect(otherCaller.misses == counted.misses + 1)

            // The application's clock past the age: computed again (figures move with time alone).
            _ = try await client.graphQL(Self.query, token: admin)
            let warm = try await lookups(client)
            #expect(warm.hits == otherCaller.hits + 1)
            app.clock.advance(by: 61)
            _ = try await client.graphQL(Self.query, token: admin)
            let aged = try await lookups(client)
            #expect(aged.hits == warm.hits, "an answer older than its age by the clock is not served")
        }
    }

    @Test("mutations and answers with errors are never kept; a caller whose credential was refused never gets a kept answer")
    func neverCached() async throws {
        let app = try await TestApp.make { $0.graphQL.answerMaxAge = .seconds(3_600) }
        _ = try await app.runtime.createUser(email: "viewer@example.com", password: "viewer-password", role: .viewer)
        // An executor whose generation no write moves: only the rules of what is kept are at work
        // (through the application, the audit entries that refusals and mutations write would
        // make their answers stale anyway).
        var limits = GraphQLLimits()
        limits.answerMaxAge = .seconds(3_600)
        let executor = GraphQLExecutor(
            api: try ITOpsAPI(), limits: limits, clock: app.clock, generation: DataGeneration())
        let context = GraphQLContext(principal: nil, client: "test", backend: Backend(runtime: app.runtime))
        func run(_ query: String) async throws -> GraphQLResult {
            switch await executor.run(
                query: query, variables: [:], operationName: nil, context: context, allowSubscriptions: false)
            {
            case .single(let result): return result
            case .kept(let answer): return answer.result
            case .stream: throw CancellationError()
            }
        }
        // A query that fails (anonymous callers may not list users), twice: executed twice.
        for _ in 0..<2 { #expect(try await run("{ users { totalCount } }").errors.isEmpty == false) }
        #expect(executor.answerCacheStatistics.hits == 0)
        #expect(executor.answerCacheStatistics.count == 0)
        // A mutation without errors, twice: two sign-ins, two different tokens.
        let signIn = "mutation { login(email: \"viewer@example.com\", password: \"viewer-password\") { token } }"
        let one = try await run(signIn)
        let two = try await run(signIn)
        #expect(one.errors.isEmpty && two.errors.isEmpty)
        #expect(one.data != two.data)
        #expect(executor.answerCacheStatistics.count == 0)
        // A query without errors is kept, and asked again it is a hit.
        _ = try await run("{ __typename }")
        _ = try await run("{ __typename }")
        #expect(executor.answerCacheStatistics.hits == 1)
        #expect(executor.answerCacheStatistics.count == 1)

        try await app.run { (client: Client) async throws in
            // A bad token is refused every time, not answered from an anonymous caller's entry.
            _ = try await client.graphQL("{ __typename }")
            _ = try await client.graphQL("{ __typename }")
            let anonymous = try await lookups(client)
            #expect(anonymous.hits == 1, "an anonymous question without errors is kept")
            _ = try await client.graphQL("{ __typename }", token: "not-a-token")
            #expect(try await lookups(client).hits == anonymous.hits, "a refused credential never reaches the cache")
        }
    }

    @Test("with ITOPS_GRAPHQL_ANSWER_TTL=0 every query executes")
    func off() async throws {
        let app = try await TestApp.make { $0.graphQL.answerMaxAge = .zero }
        try await app.run { (client: Client) async throws in
            _ = try await client.graphQL("{ __typename }")
            _ = try await client.graphQL("{ __typename }")
            let counted = try await lookups(client)
            #expect(counted.hits == 0 && counted.misses == 0)
        }
        #expect(try Config.load(environment: [:]).graphQL.answerMaxAge == .seconds(1))
        #expect(try Config.load(environment: ["ITOPS_GRAPHQL_ANSWER_TTL": "0"]).graphQL.answerMaxAge == .zero)
        #expect(try Config.load(environment: ["ITOPS_GRAPHQL_ANSWER_TTL": "0.5"]).graphQL.answerMaxAge == .milliseconds(500))
        #expect(throws: (any Error).self) { try Config.load(environment: ["ITOPS_GRAPHQL_ANSWER_TTL": "61s"]) }
        #expect(throws: (any Error).self) { try Config.load(environment: ["ITOPS_GRAPHQL_ANSWER_TTL": "soon"]) }
    }

    @Test("another instance's write makes this instance's cached answer stale (PostgreSQL)")
    func otherInstance() async throws {
        guard TestBackend.all.contains(.postgres) else { return }
        let first = try await TestApp.make(.postgres) { $0.graphQL.answerMaxAge = .seconds(3_600) }
        let second = try await TestApp.make(.postgres, existing: first.database) {
            $0.graphQL.answerMaxAge = .seconds(3_600)
        }
        try await first.run(keepData: true) { (writer: Client) async throws in
            try await push(writer, "api", "OPERATIONAL")
            try await second.run(keepData: true) { (reader: Client) async throws in
                let seen = try await reader.request(
                    .post, "/graphql", body: "{\"query\": \(jsonString(Self.query))}")
                #expect(statuses(seen) == ["api": "OPERATIONAL"], "\(seen.text)")
                try await push(writer, "api", "DOWN")
                // The other instance's event arrives through LISTEN/NOTIFY: wait for it, a few seconds at most.
                var latest = seen
                for _ in 0..<100 where statuses(latest)["api"] != "DOWN" {
                    try await Task.sleep(for: .milliseconds(50))
                    latest = try await reader.request(.post, "/graphql", body: "{\"query\": \(jsonString(Self.query))}")
                }
                #expect(statuses(latest) == ["api": "DOWN"], "\(latest.text)")
            }
        }
        try? first.database?.drop()
    }
}

@Suite("GraphQL answer cache: memory bound")
struct AnswerCacheBoundTests {
    private func answer(_ index: Int, bytes: Int) -> GraphQLResult {
        GraphQLResult(data: ["services": .string(String(repeating: "x", count: bytes) + String(index))])
    }

    private func key(_ index: Int) -> AnswerKey {
        AnswerKey(principal: nil, query: "{ q\(index) }", operationName: nil, variables: [:])
    }

    @Test("the cache stays within its bytes, drops the least recently used first and keeps no answer over its entry limit")
    func bounded() {
        let cache = AnswerCache(maxAge: .seconds(60), maxBytes: 64 * 1024, maxEntryBytes: 8 * 1024)
        let now = Date()
        // Answer 0 is asked again after every new one: it stays the most recently used.
        for index in 0..<200 {
            cache.store(answer(index, bytes: 1_000), for: key(index), generation: 1, at: now)
            #expect(cache.statistics.bytes <= 64 * 1024)
            #expect(cache.answer(for: key(0), generation: 1, now: now) != nil, "the most recently used stays")
        }
        #expect(cache.statistics.count < 200)
        #expect(cache.answer(for: key(1), generation: 1, now: now) == nil, "an early, unused answer was dropped")
        #expect(cache.answer(for: key(199), generation: 1, now: now) != nil, "the latest answer is kept")
        // Over the entry limit (its result and its JSON, estimated): not kept.
        cache.store(answer(1_000, bytes: 5_000), for: key(1_000), generation: 1, at: now)
        #expect(cache.answer(for: key(1_000), generation: 1, now: now) == nil)
        // Another generation: stale, and dropped.
        #expect(cache.answer(for: key(199), generation: 2, now: now) == nil)
        #expect(cache.answer(for: key(199), generation: 1, now: now) == nil)
    }
}

@Suite("GraphQL answer cache: one execution for the same question asked together")
struct AnswerSingleFlightTests {
    private func key(_ query: String) -> AnswerKey {
        AnswerKey(principal: nil, query: query, operationName: nil, variables: [:])
    }

    @Test("askers at the same generation follow the first one; another generation starts its own flight")
    func joinAndLand() async {
        let cache = AnswerCache(maxAge: .seconds(60))
        let question = key("{ a }")
        guard case .leader(let first) = cache.join(question, generation: 1) else {
            Issue.record("the first asker must lead")
            return
        }
        guard case .follower(let joined) = cache.join(question, generation: 1), joined === first else {
            Issue.record("the same question at the same generation must follow the running flight")
            return
        }
        // After a write the running flight's answer may be stale: a new flight, not a follower.
        guard case .leader(let newer) = cache.join(question, generation: 2), newer !== first else {
            Issue.record("another generation must start its own flight")
            return
        }
        let waiting = Task { await first.answer() }
        let landed = cache.land(
            first, key: question, result: GraphQLResult(data: ["a": 1]), generation: 1, at: Date())
        let received = await waiting.value
        #expect(landed != nil && received === landed, "the follower gets the first asker's kept answer")
        // Landing the older flight leaves the newer one in place.
        guard case .follower(let still) = cache.join(question, generation: 2), still === newer else {
            Issue.record("the newer flight must still be running")
            return
        }
        // An answer that cannot be kept (errors) lands as nothing: followers then run it themselves.
        let follower = Task { await newer.answer() }
        cache.land(
            newer, key: question, result: GraphQLResult(data: nil, errors: [GraphQLError(message: "no")]),
            generation: 2, at: Date())
        #expect(await follower.value == nil)
        // Landed flights are gone: the next asker leads.
        guard case .leader = cache.join(question, generation: 2) else {
            Issue.record("a landed flight must not be joined")
            return
        }
    }

    @Test("eight callers asking the same query together: one execution, seven shared answers")
    func oneExecution() async throws {
        let app = try await TestApp.make()
        defer { try? FileManager.default.removeItem(at: app.directory) }
        var limits = GraphQLLimits()
        limits.maxConcurrentOperations = 1
        let generation = DataGeneration()
        let seen = Mutex<[AnswerLookup]>([])
        let executor = GraphQLExecutor(
            api: try ITOpsAPI(), limits: limits, clock: app.clock, generation: generation,
            onAnswerLookup: { lookup in seen.withLock { $0.append(lookup) } })
        let context = GraphQLContext(principal: nil, client: "test", backend: Backend(runtime: app.runtime))
        let query = "{ __typename }"
        @Sendable func ask() async -> GraphQLResult? {
            switch await executor.run(
                query: query, variables: [:], operationName: nil, context: context, allowSubscriptions: false)
            {
            case .single(let result): return result
            case .kept(let answer): return answer.result
            case .stream: return nil
            }
        }
        // The document becomes known (and its answer kept); a write makes that answer stale.
        _ = await ask()
        generation.advance()
        // The only slot is taken: the first asker waits for it, and the others arrive meanwhile.
        #expect(await executor.admission.enter())
        let answers = Task {
            await withTaskGroup(of: GraphQLResult?.self) { group in
                for _ in 0..<8 { group.addTask { await ask() } }
                var results: [GraphQLResult?] = []
                for await result in group { results.append(result) }
                return results
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        executor.admission.leave()
        let results = await answers.value
        #expect(results.count == 8)
        #expect(results.allSatisfy { $0?.data == ["__typename": "Query"] && $0?.errors.isEmpty == true })
        let lookups = seen.withLock { $0 }
        #expect(lookups.first == .miss, "the first question ever is executed")
        let together = lookups.dropFirst()
        #expect(together.filter { $0 == .miss }.count == 1, "one of the eight executes: \(together)")
        #expect(together.filter { $0 == .shared }.count == 7, "the other seven share its answer: \(together)")
        await app.runtime.shutdown()
    }
}
