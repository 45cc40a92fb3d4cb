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

        router.get("metrics") { _, _ in
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
        let graphQLContext = GraphQLContext(
            principal: principal, client: context.clientAddress, backend: Backend(runtime: runtime),
            credentialProblem: problem)
        let result = await runtime.graphQL.run(
            query: body.query, variables: body.variables, operationName: body.operationName, context: graphQLContext)
        return try graphQLResponse(result, status: .ok)
    }

    private func graphQLResponse(_ result: GraphQLResult, status: HTTPResponse.Status) throws -> Response {
        let data = try GraphQLJSONEncoder().encode(result)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
