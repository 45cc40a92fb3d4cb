import Foundation
import GraphQL
import HTTPTypes
import Hummingbird
import ITOpsCore
import ITOpsGraphQL
import NIOCore

/// Probes, metrics and GraphQL over HTTP.
struct SystemRoutes {
    let runtime: ITOpsRuntime
    let auth: Authenticator
    let graphQL: GraphQLExecutor

    func add(to router: Router<AppRequestContext>) {
        let runtime = runtime
        router.get("health") { _, _ in
            struct Health: Encodable {
                var status = "ok"
                var version = ITOpsRuntime.version
            }
            return try jsonResponse(Health())
        }

        router.get("ready") { _, _ in
            struct Ready: Encodable {
                var status = "ready"
            }
            do {
                try await runtime.store.ping()
            } catch {
                throw ITOpsError(.unavailable, "not ready: the database is not answering")
            }
            return try jsonResponse(Ready())
        }

        let executor = graphQL
        router.get("metrics") { _, _ in
            runtime.metrics.eventsDropped(runtime.events.droppedEvents)
            let answers = executor.answerCacheStatistics
            runtime.metrics.graphQLAnswersHeld(count: answers.count, bytes: answers.bytes)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: runtime.metrics.render())))
        }

        router.post("graphql") { request, context in
            try await graphQL(request, context: context)
        }
    }

    private func graphQL(_ request: Request, context: AppRequestContext) async throws -> Response {
        var request = request
        let body: GraphQLRequest
        do {
            body = try await request.decodeJSON(GraphQLRequest.self, context: context)
        } catch let error as ITOpsError {
            let code = error.code == .payloadTooLarge ? HTTPResponse.Status.contentTooLarge : .badRequest
            return try graphQLResponse(
                GraphQLResult(
                    data: nil, errors: [GraphQLError(message: error.message, extensions: ["code": "BAD_REQUEST"])]),
                status: error.code == .unsupportedMediaType ? .unsupportedMediaType : code)
        }
        var principal: Principal?
        var problem: ITOpsError?
        do {
            principal = try await auth.principal(of: request)
        } catch let error as ITOpsError {
            problem = error
        }
        var graphQLContext = GraphQLContext(
            principal: principal, client: context.clientAddress, backend: Backend(runtime: runtime),
            credentialProblem: problem)
        graphQLContext.requestId = context.logger[metadataKey: "request_id"].map { "\($0)" }
        let outcome = await graphQL.run(
            query: body.query, variables: body.variables, operationName: body.operationName, context: graphQLContext,
            allowSubscriptions: false)
        let result: GraphQLResult
        switch outcome {
        case .single(let single): result = single
        case .kept(let answer): return response(try answer.json(), status: .ok)
        case .stream:
            // Not reached: subscriptions are refused over HTTP.
            throw ITOpsError(.internal, "a subscription reached the HTTP transport")
        }
        // Refusals before execution keep the GraphQL body; only their status says more.
        var status = HTTPResponse.Status.ok
        var headers = HTTPFields()
        if let code = result.errors.first?.extensions["code"]?.string, result.data == nil {
            switch code {
            case GraphQLExecutor.Code.rateLimited:
                status = .tooManyRequests
                if let retry = result.errors.first?.extensions["retryAfterSeconds"]?.int {
                    headers[.retryAfter] = String(retry)
                }
            case GraphQLExecutor.Code.documentTooLarge: status = .contentTooLarge
            default: break
            }
            if GraphQLExecutor.isLimitCode(code) { runtime.metrics.graphQLRefused(code: code, transport: "http") }
        }
        return try graphQLResponse(result, status: status, headers: headers)
    }

    private func graphQLResponse(_ result: GraphQLResult, status: HTTPResponse.Status, headers extra: HTTPFields = [:])
        throws -> Response
    {
        response(try GraphQLExecutor.json(result), status: status, headers: extra)
    }

    private func response(_ data: Data, status: HTTPResponse.Status, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
