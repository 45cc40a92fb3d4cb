import Foundation
import GraphQL
import ITOpsCore
import Synchronization

/// Runs GraphQL operations for every transport, so that HTTP and WebSocket share one pipeline:
/// size check, per-principal rate, the document cache (parse and validate once), depth and cost
/// limits, then execution.
public final class GraphQLExecutor: Sendable {
    /// What an operation turned into.
    public enum Outcome: Sendable {
        /// A query or mutation's result, or the errors that stopped any operation.
        case single(GraphQLResult)
        /// A query's answer from the answer cache: the same question was answered a moment ago and
        /// nothing was written since. Its JSON is kept with it.
        case kept(KeptAnswer)
        /// A subscription: one result per event, until the stream ends or is cancelled.
        case stream(AsyncThrowingStream<GraphQLResult, any Error>)
    }

    /// The `extensions.code` values of refusals, before execution.
    public enum Code {
        /// The document is larger than `maxDocumentBytes`.
        public static let documentTooLarge = "DOCUMENT_TOO_LARGE"
        /// Fields nest deeper than `maxDepth`.
        public static let tooDeep = "QUERY_TOO_DEEP"
        /// The cost passes `maxComplexity`.
        public static let tooComplex = "QUERY_TOO_COMPLEX"
        /// The principal's token bucket is empty.
        public static let rateLimited = "RATE_LIMITED"
        /// The document does not validate, or names no operation to run.
        public static let validationFailed = "GRAPHQL_VALIDATION_FAILED"
        /// The document does not parse.
        public static let parseFailed = "GRAPHQL_PARSE_FAILED"
        /// A subscription over a transport without streams (HTTP).
        public static let operationNotSupported = "OPERATION_NOT_SUPPORTED"
        /// The operation ran past `GraphQLLimits.deadline`.
        public static let timeout = "TIMEOUT"
        /// Too many operations are running and waiting on this instance.
        public static let overloaded = "OVERLOADED"
    }

    /// A limit passed while an operation runs (its `extensions.code` and message).
    public struct LimitError: Error, Sendable {
        public let code: String
        public let message: String
    }

    /// The threads GraphQL work runs on: as many as the machine has cores, shared by every
    /// executor of the process, apart from the cooperative pool that serves everything else. They
    /// run at nice 19, the lowest: a busy dashboard takes what the cores have left after ingest, instead of
    /// half of them (Benchmarks/mixed.sh, BENCHMARKS.md "Mixed load").
    public static let workers = WorkerExecutor(
        threads: ProcessInfo.processInfo.activeProcessorCount, name: "itops-graphql", niceness: 19)

    /// The schema and its resolvers.
    public let api: ITOpsAPI
    /// The limits every operation is held to.
    public let limits: GraphQLLimits
    let cache: DocumentCache
    let table: FieldTable
    let rateLimiter: RateLimiter
    let admission: AdmissionControl
    let clock: any WallClock
    /// Queries' answers, kept while `generation` stands still (`nil` without a generation, or with
    /// `limits.answerMaxAge` zero).
    let answers: AnswerCache?
    let generation: DataGeneration?
    let onAnswerLookup: (@Sendable (AnswerLookup) -> Void)?

    /// One executor per application; `clock` refills the rate buckets. `generation` is the store's:
    /// with it, answers to queries are served again while nothing was written (`AnswerCache`);
    /// `onAnswerLookup` is told how each operation fared in that cache (metrics).
    public init(
        api: ITOpsAPI, limits: GraphQLLimits, clock: any WallClock, generation: DataGeneration? = nil,
        onAnswerLookup: (@Sendable (AnswerLookup) -> Void)? = nil
    ) {
        self.api = api
        self.limits = limits
        self.clock = clock
        self.generation = generation
        self.onAnswerLookup = onAnswerLookup
        answers =
            generation != nil && limits.answerMaxAge > .zero
            ? AnswerCache(maxAge: limits.answerMaxAge, maxBytes: limits.answerCacheBytes) : nil
        cache = DocumentCache(capacity: limits.documentCacheSize)
        table = FieldTable(schema: api.schema.schema)
        rateLimiter = RateLimiter(rate: limits.requestsPerSecond, burst: limits.burst, clock: clock)
        admission = AdmissionControl(limit: limits.maxConcurrentOperations, maxWaiting: limits.maxQueuedOperations)
    }

    /// Runs one operation. Subscriptions are refused unless `allowSubscriptions`.
    public func run(
        query: String, variables: [String: Map], operationName: String?, context: GraphQLContext,
        allowSubscriptions: Bool
    ) async -> Outcome {
        if query.utf8.count > limits.maxDocumentBytes {
            return refuse(Code.documentTooLarge, "the document is larger than \(limits.maxDocumentBytes) bytes")
        }
        let key = Self.rateKey(context)
        if limits.requestsPerSecond > 0, let wait = rateLimiter.take(key) {
            return refuse(
                Code.rateLimited,
                "too many requests: at most \(Self.format(limits.requestsPerSecond)) a second; retry in \(Self.format(wait.rounded(.up))) s",
                extra: ["retryAfterSeconds": .number(Number(Int(max(1, wait.rounded(.up)))))])
        }
        // The same question from the same caller, with nothing written since it was answered: the
        // answer again, without a slot or the GraphQL threads.
        guard let answers, let remembered = remembered(query, variables, operationName, context) else {
            return await runFresh(query, variables, operationName, context, allowSubscriptions: allowSubscriptions)
        }
        if let answer = answers.answer(for: remembered.key, generation: remembered.generation, now: remembered.at) {
            onAnswerLookup?(.hit)
            return .kept(answer)
        }
        // A query whose document is known: the same question asked while it runs waits for its
        // answer (one execution for a dashboard's viewers refreshing together). Documents not seen
        // before are parsed on the GraphQL threads, not here, and take no part.
        let known = cache.cached(query)
        guard let document = known?.document, Self.isQuery(document, operationName) else {
            onAnswerLookup?(.miss)
            let outcome = await runFresh(query, variables, operationName, context, allowSubscriptions: allowSubscriptions)
            // A document seen for the first time was parsed just now: kept if it was a query.
            if known == nil, case .single(let result) = outcome, let document = cache.cached(query)?.document,
                Self.isQuery(document, operationName)
            {
                answers.store(result, for: remembered.key, generation: remembered.generation, at: remembered.at)
            }
            return outcome
        }
        switch answers.join(remembered.key, generation: remembered.generation) {
        case .follower(let flight):
            if let answer = await flight.answer() {
                onAnswerLookup?(.shared)
                return .kept(answer)
            }
            // The first asker's answer could not be kept (errors, past its deadline): this asker
            // runs the question itself, and so may wait up to twice the deadline in all.
            onAnswerLookup?(.miss)
            return await runFresh(query, variables, operationName, context, allowSubscriptions: allowSubscriptions)
        case .leader(let flight):
            onAnswerLookup?(.miss)
            let outcome = await runFresh(query, variables, operationName, context, allowSubscriptions: false)
            var result: GraphQLResult?
            if case .single(let single) = outcome { result = single }
            // Always landed (the execution above always returns, by its deadline at the latest), so
            // nobody waiting on the flight is left waiting.
            let kept = answers.land(
                flight, key: remembered.key, result: result, generation: remembered.generation, at: remembered.at)
            return kept.map { .kept($0) } ?? outcome
        }
    }

    /// Analysis and execution on the GraphQL threads, within the deadline.
    private func runFresh(
        _ query: String, _ variables: [String: Map], _ operationName: String?, _ context: GraphQLContext,
        allowSubscriptions: Bool
    ) async -> Outcome {
        // The deadline covers the wait for a slot too: a caller queued behind slow operations is
        // answered TIMEOUT rather than left waiting.
        await withDeadline { race in
            guard await self.admission.enter() else {
                return Self.refusal(
                    Code.overloaded,
                    "the server is running too many GraphQL operations; retry in a second",
                    extra: ["retryAfterSeconds": .number(1)])
            }
            defer { self.admission.leave() }
            var context = context
            context.budget = RequestBudget(maxItems: self.limits.maxResultItems)
            return await self.analyseAndRun(
                query: query, variables: variables, operationName: operationName, context: context,
                allowSubscriptions: allowSubscriptions, race: race)
        }
    }

    /// Whether the operation `operationName` picks in `document` is a query.
    private static func isQuery(_ document: Document, _ operationName: String?) -> Bool {
        operation(in: document, named: operationName)?.operation == .query
    }

    /// What an answer to this question would be remembered by, or `nil` when it may not be: the
    /// answer cache is off, or the caller's credential was refused (its errors are its own).
    private func remembered(
        _ query: String, _ variables: [String: Map], _ operationName: String?, _ context: GraphQLContext
    ) -> RememberedAnswer? {
        guard answers != nil, let generation, context.credentialProblem == nil else { return nil }
        return RememberedAnswer(
            key: AnswerKey(principal: context.principal, query: query, operationName: operationName, variables: variables),
            generation: generation.current, at: clock.now())
    }

    /// Runs `body` on the GraphQL threads; answers `TIMEOUT` if it has not finished by the deadline.
    /// The late work is cancelled and keeps its admission slot until it actually ends, so abandoned
    /// operations cannot pile up.
    private func withDeadline(_ body: @escaping @Sendable (DeadlineRace) async -> Outcome) async -> Outcome {
        let deadline = limits.deadline
        let end = ContinuousClock.now + deadline  // counted from arrival, however late the timer starts
        let race = DeadlineRace()
        return await withCheckedContinuation { continuation in
            race.start(continuation)
            let work = Task(executorPreference: Self.workers) {
                let outcome = await body(race)
                race.finish(outcome)
            }
            race.arm(
                until: end,
                timeout: Self.refusal(
                    Code.timeout, "the operation did not finish within \(Self.describe(deadline)); ask for less (a mutation answered TIMEOUT was not run)"),
                onFire: { work.cancel() })
        }
    }

    private func analyseAndRun(
        query: String, variables: [String: Map], operationName: String?, context: GraphQLContext,
        allowSubscriptions: Bool, race: DeadlineRace
    ) async -> Outcome {
        let prepared = prepared(query)
        guard let document = prepared.document else {
            return .single(GraphQLResult(data: nil, errors: prepared.errors))
        }
        guard let operation = Self.operation(in: document, named: operationName) else {
            let message =
                operationName.map { "no operation named '\($0.prefix(64))' in the document" }
                ?? "the document has several operations: send operationName"
            return refuse(Code.validationFailed, message)
        }
        var fragments: [String: FragmentDefinition] = [:]
        for case let fragment as FragmentDefinition in document.definitions {
            fragments[fragment.name.value] = fragment
        }
        var analysis = QueryAnalysis(
            fragments: fragments, table: table, limits: limits, variables: variables, operation: operation)
        let depth: Int
        let cost: Int
        do {
            depth = try analysis.depth(operation.selectionSet)
            if depth > limits.maxDepth {
                return refuse(
                    Code.tooDeep, "the query is nested \(depth) levels deep; at most \(limits.maxDepth) are allowed")
            }
            cost = try analysis.cost(operation.selectionSet, type: table.rootType(operation.operation))
        } catch {
            return refuse(Code.tooComplex, "the query takes too many steps to analyse; send a smaller document")
        }
        if cost > limits.maxComplexity {
            return refuse(
                Code.tooComplex,
                "the query costs more than \(limits.maxComplexity) (each field 1, lists by their first or \(limits.defaultListSize)); ask for fewer fields or smaller pages"
            )
        }
        if context.principal?.nodeScope != nil, let field = Self.outsideScope(operation) {
            return refuse(
                "FORBIDDEN",
                "'\(field.prefix(64))' is not open to a key with a node scope: it reads only services, nodes, incidents, history, storage and backups under its prefixes"
            )
        }
        if operation.operation == .subscription {
            guard allowSubscriptions else {
                return refuse(Code.operationNotSupported, "subscriptions run over WebSocket at /graphql/ws")
            }
            return await subscribe(query: query, variables: variables, operationName: operationName, context: context)
        }
        // A mutation is not cut off half-way: once it starts it runs to the end (its statements are
        // bounded by the database's own timeouts), and its caller gets its real result. Past the
        // deadline before it starts, it never starts.
        if operation.operation == .mutation, !race.disarm() {
            return refuse(Code.timeout, "the mutation waited past the deadline and was not run; nothing was changed")
        }
        do {
            let result = try await execute(
                schema: api.schema.schema, documentAST: document, rootValue: api.resolver, context: context,
                variableValues: variables, operationName: operationName)
            let mapped = GraphQLErrorMapping.map(result)
            await audit(operation, variables: variables, result: mapped, context: context)
            return .single(mapped)
        } catch {
            return .single(GraphQLErrorMapping.map(GraphQLResult(data: nil, errors: [GraphQLError(error)])))
        }
    }

    /// The top-level fields a key with a node scope may use: those that filter by node.
    static let scopedFields: Set<String> = [
        "__typename", "__schema", "__type", "me", "services", "service", "nodes", "incidents", "serviceHistory",
        "serviceStatusCounts", "storageVolumes", "storageSummary", "storageHistory", "backupServices",
        "startExclusionWindow", "stopExclusionWindow", "serviceStatusChanged",
    ]

    /// The first top-level field of `operation` that a scoped key may not use (a fragment spread
    /// at the top counts as one).
    static func outsideScope(_ operation: OperationDefinition) -> String? {
        for selection in operation.selectionSet.selections {
            guard let field = selection as? Field else { return "a top-level fragment" }
            if !scopedFields.contains(field.name.value) { return field.name.value }
        }
        return nil
    }

    private func subscribe(query: String, variables: [String: Map], operationName: String?, context: GraphQLContext)
        async -> Outcome
    {
        do {
            let result = try await graphqlSubscribe(
                schema: api.schema.schema, request: query, rootValue: api.resolver, context: context,
                variableValues: variables, operationName: operationName)
            switch result {
            case .success(let stream):
                return .stream(
                    AsyncThrowingStream<GraphQLResult, any Error> { continuation in
                        let task = Task {
                            do {
                                for try await result in stream { continuation.yield(GraphQLErrorMapping.map(result)) }
                                continuation.finish()
                            } catch {
                                continuation.finish(throwing: error)
                            }
                        }
                        continuation.onTermination = { _ in task.cancel() }
                    })
            case .failure(let errors):
                return .single(GraphQLErrorMapping.map(GraphQLResult(data: nil, errors: errors.errors)))
            }
        } catch {
            return .single(GraphQLErrorMapping.map(GraphQLResult(data: nil, errors: [GraphQLError(error)])))
        }
    }

    /// Parse and validation, once per distinct document.
    func prepared(_ query: String) -> PreparedDocument {
        cache.document(for: query) {
            let nesting = DocumentShape.nesting(query, limit: limits.maxNesting)
            if nesting > limits.maxNesting {
                return PreparedDocument(
                    document: nil,
                    errors: [
                        GraphQLError(
                            message: "the document nests brackets more than \(limits.maxNesting) deep",
                            extensions: ["code": .string(Code.tooDeep)])
                    ])
            }
            let document: Document
            do {
                document = try parse(source: Source(body: query, name: "GraphQL request"))
            } catch let error as GraphQLError {
                return PreparedDocument(
                    document: nil,
                    errors: [
                        GraphQLError(
                            message: error.message, locations: error.locations,
                            extensions: ["code": .string(Code.parseFailed)])
                    ])
            } catch {
                return PreparedDocument(
                    document: nil,
                    errors: [
                        GraphQLError(
                            message: "the document does not parse", extensions: ["code": .string(Code.parseFailed)])
                    ])
            }
            if let problem = Self.shapeProblem(document, budget: limits.maxExpandedFields) {
                return PreparedDocument(document: nil, errors: [problem])
            }
            let errors = validate(schema: api.schema.schema, ast: document, rules: specifiedRules)
            return PreparedDocument(
                document: errors.isEmpty ? document : nil,
                errors: errors.map {
                    GraphQLError(
                        message: $0.message, locations: $0.locations,
                        extensions: ["code": .string(Code.validationFailed)])
                })
        }
    }

    /// A fragment cycle, or a document that expands past `budget` fields: refused before the
    /// validation rules walk the expanded document.
    private static func shapeProblem(_ document: Document, budget: Int) -> GraphQLError? {
        do {
            _ = try DocumentShape.expandedFields(document, budget: budget)
            return nil
        } catch .cycle(let name) {
            return GraphQLError(
                message: "cannot spread fragment \"\(name.prefix(64))\" within itself",
                extensions: ["code": .string(Code.validationFailed)])
        } catch {
            return GraphQLError(
                message:
                    "the document expands to more than \(budget) fields once its fragments are spread; send a smaller document",
                extensions: ["code": .string(Code.tooComplex)])
        }
    }

    /// Waits until no operation is running — including ones already answered `TIMEOUT` whose work
    /// goes on — or `limit` passes; the server calls it before closing the database.
    public func drain(within limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while admission.running > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// A result as JSON: the body of an HTTP answer, and what the answer cache keeps.
    public static func json(_ result: GraphQLResult) throws -> Data {
        try GraphQLJSONEncoder().encode(result)
    }

    /// Cache statistics: hits, misses, entries.
    public var cacheStatistics: (hits: Int, misses: Int, count: Int) { cache.statistics }

    /// The answer cache's statistics: hits, misses, answers kept and their estimated bytes (zeros
    /// when it is off).
    public var answerCacheStatistics: (hits: Int, misses: Int, count: Int, bytes: Int) {
        answers?.statistics ?? (0, 0, 0, 0)
    }

    /// The rate-limit bucket: the user or API key by id; anonymous callers by client address.
    static func rateKey(_ context: GraphQLContext) -> String {
        switch context.principal?.kind {
        case .user(let id, _): "user:" + id.uuidString
        case .apiKey(let id, _): "apikey:" + id.uuidString
        case nil: "client:" + context.client
        }
    }

    static func operation(in document: Document, named name: String?) -> OperationDefinition? {
        let operations = document.definitions.compactMap { $0 as? OperationDefinition }
        if let name { return operations.first { $0.name?.value == name } }
        return operations.count == 1 ? operations[0] : nil
    }

    private func refuse(_ code: String, _ message: String, extra: [String: Map] = [:]) -> Outcome {
        Self.refusal(code, message, extra: extra)
    }

    private static func refusal(_ code: String, _ message: String, extra: [String: Map] = [:]) -> Outcome {
        var extensions = extra
        extensions["code"] = .string(code)
        return .single(GraphQLResult(data: nil, errors: [GraphQLError(message: message, extensions: extensions)]))
    }

    private static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return seconds >= 1 ? "\(seconds) s" : "\(attoseconds / 1_000_000_000_000_000) ms"
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }
}

extension ITOpsAPI {
    /// The schema in SDL, as committed in `docs/schema.graphql`.
    public func printedSchema() -> String {
        printSchema(schema: schema.schema) + "\n"
    }
}

extension GraphQLExecutor {
    /// Whether `code` is one of the limit refusals (counted in metrics by the transports).
    public static func isLimitCode(_ code: String) -> Bool {
        [Code.documentTooLarge, Code.tooDeep, Code.tooComplex, Code.rateLimited, Code.timeout, Code.overloaded]
            .contains(code)
    }
}

/// How an operation fared in the answer cache.
public enum AnswerLookup: String, Sendable {
    /// Answered from the cache.
    case hit
    /// Answered by the same question asked a moment earlier and still running (single flight).
    case shared
    /// Executed.
    case miss
}

/// A question that may be answered from the answer cache next time: its key, and the data
/// generation and time its answer is computed at (taken before execution starts, so that a write
/// committed meanwhile makes the answer stale at once).
struct RememberedAnswer: Sendable {
    let key: AnswerKey
    let generation: UInt64
    let at: Date
}

/// Whichever comes first — the operation's outcome or its deadline — answers the caller, once.
final class DeadlineRace: Sendable {
    private struct State {
        var waiting: CheckedContinuation<GraphQLExecutor.Outcome, Never>?
        /// The deadline no longer applies (a mutation started).
        var disarmed = false
    }
    private let state = Mutex(State())
    private let timer = Mutex<Task<Void, Never>?>(nil)

    func start(_ continuation: CheckedContinuation<GraphQLExecutor.Outcome, Never>) {
        state.withLock { $0.waiting = continuation }
    }

    /// Answers with `outcome` unless the deadline already did, and stops the timer.
    func finish(_ outcome: GraphQLExecutor.Outcome) {
        timer.withLock { $0?.cancel() }
        take(ignoringDisarm: true)?.resume(returning: outcome)
    }

    /// Lifts the deadline; `false` when it has already been answered.
    func disarm() -> Bool {
        let armed = state.withLock { state -> Bool in
            guard state.waiting != nil else { return false }
            state.disarmed = true
            return true
        }
        if armed { timer.withLock { $0?.cancel() } }
        return armed
    }

    /// Starts the timer: at `deadline`, answers `timeout` (unless answered or disarmed) and calls `onFire`.
    func arm(
        until deadline: ContinuousClock.Instant, timeout: GraphQLExecutor.Outcome,
        onFire: @escaping @Sendable () -> Void
    ) {
        // On the GraphQL threads as well: a starved cooperative pool must not delay the deadline.
        let task = Task(executorPreference: GraphQLExecutor.workers) {
            try? await Task.sleep(until: deadline, clock: .continuous)
            guard !Task.isCancelled, let continuation = self.take(ignoringDisarm: false) else { return }
            continuation.resume(returning: timeout)
            onFire()
        }
        timer.withLock { $0 = task }
        // The operation may have finished (or been disarmed) before the timer was stored.
        if state.withLock({ $0.waiting == nil || $0.disarmed }) { task.cancel() }
    }

    private func take(ignoringDisarm: Bool) -> CheckedContinuation<GraphQLExecutor.Outcome, Never>? {
        state.withLock { state in
            guard ignoringDisarm || !state.disarmed else { return nil }
            defer { state.waiting = nil }
            return state.waiting
        }
    }
}
