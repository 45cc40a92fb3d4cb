import Foundation
import GraphQL
import ITOpsCore

/// Runs GraphQL operations for every transport, so that HTTP and WebSocket share one pipeline:
/// size check, per-principal rate, the document cache (parse and validate once), depth and cost
/// limits, then execution.
public final class GraphQLExecutor: Sendable {
    /// What an operation turned into.
    public enum Outcome: Sendable {
        /// A query or mutation's result, or the errors that stopped any operation.
        case single(GraphQLResult)
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
    }

    /// The schema and its resolvers.
    public let api: ITOpsAPI
    /// The limits every operation is held to.
    public let limits: GraphQLLimits
    let cache: DocumentCache
    let table: FieldTable
    let rateLimiter: RateLimiter

    /// One executor per application; `clock` refills the rate buckets.
    public init(api: ITOpsAPI, limits: GraphQLLimits, clock: any WallClock) {
        self.api = api
        self.limits = limits
        cache = DocumentCache(capacity: limits.documentCacheSize)
        table = FieldTable(schema: api.schema.schema)
        rateLimiter = RateLimiter(rate: limits.requestsPerSecond, burst: limits.burst, clock: clock)
    }

    /// The operation type `query` would run (for transports that treat subscriptions apart),
    /// `nil` when the document does not parse or names no such operation.
    public func operationType(query: String, operationName: String?) -> OperationType? {
        guard query.utf8.count <= limits.maxDocumentBytes, let document = prepared(query).document else { return nil }
        return Self.operation(in: document, named: operationName)?.operation
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
        let analysis = QueryAnalysis(fragments: fragments, table: table, limits: limits, variables: variables)
        let depth = analysis.depth(operation.selectionSet)
        if depth > limits.maxDepth {
            return refuse(
                Code.tooDeep, "the query is nested \(depth) levels deep; at most \(limits.maxDepth) are allowed")
        }
        let cost = analysis.cost(
            operation.selectionSet, type: table.rootType(operation.operation), cap: limits.maxComplexity)
        if cost > limits.maxComplexity {
            return refuse(
                Code.tooComplex,
                "the query costs more than \(limits.maxComplexity) (each field 1, lists by their first or \(limits.defaultListSize)); ask for fewer fields or smaller pages"
            )
        }
        if operation.operation == .subscription {
            guard allowSubscriptions else {
                return refuse(Code.operationNotSupported, "subscriptions run over WebSocket at /graphql/ws")
            }
            return await subscribe(query: query, variables: variables, operationName: operationName, context: context)
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

    /// Cache statistics: hits, misses, entries.
    public var cacheStatistics: (hits: Int, misses: Int, count: Int) { cache.statistics }

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
        var extensions = extra
        extensions["code"] = .string(code)
        return .single(GraphQLResult(data: nil, errors: [GraphQLError(message: message, extensions: extensions)]))
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
        [Code.documentTooLarge, Code.tooDeep, Code.tooComplex, Code.rateLimited].contains(code)
    }
}
