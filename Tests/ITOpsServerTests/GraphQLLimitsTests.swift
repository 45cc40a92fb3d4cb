import Foundation
import ITOpsCore
import ITOpsServer
import Testing

@Suite("GraphQL limits on HTTP and WebSocket", .timeLimit(.minutes(2)))
struct GraphQLLimitsTests {
    static let deep = "{ services { edges { node { backupStatus { backupExpected } } } } }"
    static let costly = "{ services(first: 500) { edges { node { id name status message tags } } } }"

    @Test("a query nested deeper than maxDepth answers QUERY_TOO_DEEP over HTTP and WebSocket")
    func depth() async throws {
        let app = try await TestApp.make { $0.graphQL.maxDepth = 3 }
        try await app.runLive { live in
            let token = try await app.token(live.http, role: .viewer)
            let http = try await live.http.graphQL(Self.deep, token: token)
            #expect(http.status == .ok)
            #expect(http.errorCode == "QUERY_TOO_DEEP")
            #expect(http.data == nil)
            let shallow = try await live.http.graphQL("{ services { totalCount } }", token: token)
            #expect(shallow.errorCode == nil)
            try await live.webSocket { ws in
                try await ws.initialise(token: token)
                try await ws.subscribe("1", Self.deep)
                let error = try #require(try await ws.receive())
                #expect(error["type"] as? String == "error")
                #expect(error.firstErrorCode == "QUERY_TOO_DEEP")
                try await ws.subscribe(
                    "2",
                    "subscription { serviceStatusChanged { serviceName } } fragment F on Query { services { edges { node { backupStatus { backupExpected } } } } }"
                )
                #expect(try await ws.receive()?.firstErrorCode == "GRAPHQL_VALIDATION_FAILED", "unused fragment")
            }
        }
    }

    @Test("a query whose cost passes maxComplexity answers QUERY_TOO_COMPLEX over HTTP and WebSocket")
    func complexity() async throws {
        let app = try await TestApp.make { $0.graphQL.maxComplexity = 1000 }
        try await app.runLive { live in
            let token = try await app.token(live.http, role: .viewer)
            let http = try await live.http.graphQL(Self.costly, token: token)
            #expect(http.errorCode == "QUERY_TOO_COMPLEX")
            let variable = try await live.http.graphQL(
                "query($n: Int) { services(first: $n) { edges { node { id name status message tags } } } }",
                variables: "{\"n\": 500}", token: token)
            #expect(variable.errorCode == "QUERY_TOO_COMPLEX", "first from a variable counts too")
            let small = try await live.http.graphQL(
                "{ services(first: 10) { edges { node { id name status message tags } } } }", token: token)
            #expect(small.errorCode == nil)
            try await live.webSocket { ws in
                try await ws.initialise(token: token)
                try await ws.subscribe("1", Self.costly)
                #expect(try await ws.receive()?.firstErrorCode == "QUERY_TOO_COMPLEX")
            }
        }
    }

    @Test("a document over maxDocumentBytes answers DOCUMENT_TOO_LARGE: HTTP 413 with a JSON body, and over WebSocket")
    func documentSize() async throws {
        let app = try await TestApp.make { $0.graphQL.maxDocumentBytes = 256 }
        try await app.runLive { live in
            let token = try await app.token(live.http, role: .viewer)
            let big = "{ me { id } }" + String(repeating: " ", count: 300)
            let http = try await live.http.graphQL(big, token: token)
            #expect(http.status == .contentTooLarge)
            #expect(http.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(http.errorCode == "DOCUMENT_TOO_LARGE")
            try await live.webSocket { ws in
                try await ws.initialise(token: token)
                try await ws.subscribe("1", big)
                #expect(try await ws.receive()?.firstErrorCode == "DOCUMENT_TOO_LARGE")
            }
        }
    }

    @Test("the per-principal rate is one token bucket for both transports: RATE_LIMITED, HTTP 429 with JSON")
    func rate() async throws {
        let app = try await TestApp.make {
            $0.graphQL.requestsPerSecond = 1
            $0.graphQL.burst = 3
        }
        try await app.runLive { live in
            let token = try await app.token(live.http, role: .viewer)
            for _ in 0..<3 {
                #expect(try await live.http.graphQL("{ me { id } }", token: token).errorCode == nil)
            }
            let limited = try await live.http.graphQL("{ me { id } }", token: token)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.errorCode == "RATE_LIMITED")
            #expect(limited.headers[.retryAfter] == "1")
            try await live.webSocket { ws in
                try await ws.initialise(token: token)
                try await ws.subscribe("1", "{ me { id } }")
                #expect(try await ws.receive()?.firstErrorCode == "RATE_LIMITED", "the socket shares the bucket")
                app.clock.advance(by: 1)
                try await ws.subscribe("2", "{ me { id } }")
                #expect(try await ws.receive()?["type"] as? String == "next", "a second later one token is back")
            }
            let other = try await app.token(live.http, role: .viewer)
            #expect(try await live.http.graphQL("{ me { id } }", token: other).errorCode == nil, "per principal")
        }
    }

    @Test("HTTP errors stay GraphQL JSON: malformed body, wrong method body, subscription over HTTP")
    func httpErrorsAreJSON() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let malformed = try await client.request(.post, "/graphql", body: "{nope", key: nil)
            #expect(malformed.status == .badRequest)
            #expect(malformed.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect((malformed["errors"] as? [Any])?.isEmpty == false)
            let subscription = try await client.graphQL("subscription { slaAlert { kind } }")
            #expect(subscription.errorCode == "OPERATION_NOT_SUPPORTED")
            let parse = try await client.graphQL("{ me { id ")
            #expect(parse.errorCode == "GRAPHQL_PARSE_FAILED")
        }
    }
}

extension GraphQLLimitsTests {
    static let introspection = """
        query IntrospectionQuery {
          __schema {
            queryType { name } mutationType { name } subscriptionType { name }
            types { ...FullType }
            directives { name description locations args { ...InputValue } }
          }
        }
        fragment FullType on __Type {
          kind name description
          fields(includeDeprecated: true) {
            name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
          }
          inputFields { ...InputValue }
          interfaces { ...TypeRef }
          enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
          possibleTypes { ...TypeRef }
        }
        fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
        fragment TypeRef on __Type {
          kind name
          ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
            ofType { kind name ofType { kind name } } } } } } }
        }
        """

    @Test("the standard introspection query (GraphiQL's) passes the default limits")
    func introspectionFits() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let response = try await client.graphQL(Self.introspection)
            #expect(response.errorCode == nil, "\(response.errorMessage ?? "")")
            #expect((response.data?["__schema"] as? [String: Any])?["types"] != nil)
        }
    }
}
