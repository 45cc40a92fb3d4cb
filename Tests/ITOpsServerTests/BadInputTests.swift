import Foundation
import HTTPTypes
import ITOpsCore
import ITOpsServer
import Testing

@Suite("Bad input never hurts")
struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let path: String
        let body: String
        let status: HTTPResponse.Status
        let error: String
        var testDescription: String { "\(path) \(body.prefix(60)) → \(status.code)" }
    }

    static let cases: [Case] = [
        Case(
            path: "/api/v1/health/report", body: "{\"service\": ", status: .badRequest,
            error: "request body is not valid JSON"),
        Case(
            path: "/api/v1/health/report", body: "[]", status: .badRequest, error: "request body must be a JSON object"),
        Case(
            path: "/api/v1/health/report", body: "\"x\"", status: .badRequest,
            error: "request body must be a JSON object"),
        Case(
            path: "/api/v1/health/report", body: "{\"service\": 5, \"status\": \"DOWN\"}", status: .badRequest,
            error: "service: expected a string"),
        Case(
            path: "/api/v1/health/report", body: "{\"service\": \"a\", \"status\": \"down\"}", status: .badRequest,
            error: "status: must be one of OPERATIONAL|DEGRADED|DOWN|MAINTENANCE|UNKNOWN, not 'down'"),
        Case(
            path: "/api/v1/health/report", body: "{\"service\": \"a\", \"status\": \"DOWN\", \"tags\": [1]}",
            status: .badRequest, error: "tags[0]: expected a string"),
        Case(
            path: "/api/v1/health/report", body: "{\"service\": \"a b\", \"status\": \"DOWN\"}",
            status: .unprocessableContent,
            error: "service: 'a b' must be 1–128 characters of [A-Za-z0-9._-]"),
        Case(
            path: "/api/v1/health/report", body: "{\"service\": \"a\", \"nodeId\": \"a//b\", \"status\": \"DOWN\"}",
            status: .unprocessableContent,
            error: "nodeId: 'a//b' is not a node path (segments of [A-Za-z0-9._-] joined by '/')"),
        Case(
            path: "/api/v1/health/report", body: "{\"service\": \"a\"}", status: .unprocessableContent,
            error: "status: is required"),
        Case(
            path: "/api/v1/operator/status",
            body: "{\"nodeId\": \"n\", \"services\": [{\"name\": \"a\", \"status\": \"UP\"}]}", status: .badRequest,
            error: "services[0].status: must be one of OPERATIONAL|DEGRADED|DOWN|MAINTENANCE|UNKNOWN, not 'UP'"),
        Case(
            path: "/api/v1/operator/status",
            body: "{\"nodeId\": \"n\", \"services\": [{\"name\": \"a\", \"status\": \"DOWN\", \"replicas\": \"3\"}]}",
            status: .badRequest, error: "services[0].replicas: expected an integer"),
        Case(
            path: "/api/v1/operator/status",
            body: "{\"nodeId\": \"n\", \"services\": [{\"name\": \"a\", \"status\": \"DOWN\", \"replicas\": -1}]}",
            status: .unprocessableContent, error: "services[0].replicas: must not be negative"),
        Case(
            path: "/api/v1/operator/status",
            body:
                "{\"nodeId\": \"n\", \"services\": [{\"name\": \"a\", \"status\": \"DOWN\"}, {\"name\": \"a\", \"status\": \"DOWN\"}]}",
            status: .unprocessableContent, error: "services[1].name: 'a' is listed twice"),
        Case(
            path: "/api/v1/operator/status", body: "{\"nodeId\": \"n\", \"services\": {}}", status: .badRequest,
            error: "services: expected an array"),
        Case(
            path: "/api/v1/operator/register",
            body: "{\"name\": \"a\", \"nodeId\": \"n\", \"criticality\": \"urgent\"}", status: .badRequest,
            error: "criticality: must be one of critical|high|medium|low, not 'urgent'"),
        Case(
            path: "/api/v1/operator/register",
            body: "{\"name\": \"a\", \"nodeId\": \"n\", \"operations\": {\"backup\": {\"maxAgeDays\": 0}}}",
            status: .unprocessableContent, error: "operations.backup.maxAgeDays: must be between 1 and 3650"),
        Case(
            path: "/api/v1/operator/heartbeat", body: "{\"nodeId\": \"n\", \"watchedServices\": 1.5}",
            status: .badRequest,
            error: "watchedServices:"),
        Case(
            path: "/api/v1/storage/report", body: "{\"service\": \"d\", \"allocatedBytes\": 1e40, \"usedBytes\": 1}",
            status: .badRequest,
            error: "allocatedBytes"),
        Case(
            path: "/api/v1/backup/report", body: "{\"service\": \"d\", \"status\": null}",
            status: .unprocessableContent, error: "status: is required"),
    ]

    @Test(
        "malformed, mistyped and invalid bodies answer 4xx JSON naming the field, and write nothing",
        arguments: TestBackend.all, cases)
    func rejected(_ backend: TestBackend, _ testCase: Case) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let response = try await client.post(testCase.path, testCase.body)
            #expect(response.status == testCase.status, "\(response.text)")
            #expect(response["success"] as? Bool == false)
            let error = try #require(response.error)
            #expect(error.hasPrefix(testCase.error), "got: \(error)")
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(try await app.runtime.store.reader.countServices(matching: ServiceFilter()) == 0)
            #expect(try await app.runtime.store.reader.nodes().isEmpty)
        }
    }

    @Test("a body over 1 MiB answers 413 and writes nothing", arguments: TestBackend.all)
    func oversized(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let message = String(repeating: "x", count: 1 << 20)
            let response = try await client.post(
                "/api/v1/health/report", "{\"service\": \"a\", \"status\": \"DOWN\", \"message\": \"\(message)\"}")
            #expect(response.status == .contentTooLarge)
            #expect(response.error == "request body exceeds 1 MiB")
            #expect(try await app.runtime.store.reader.countServices(matching: ServiceFilter()) == 0)
        }
    }

    @Test("a non-JSON content type answers 415; an empty body 400", arguments: TestBackend.all)
    func contentType(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain"
            let response = try await client.request(
                .post, "/api/v1/health/report", body: "{\"service\": \"a\", \"status\": \"DOWN\"}", headers: headers)
            #expect(response.status == .unsupportedMediaType)
            let empty = try await client.request(.post, "/api/v1/health/report", body: "")
            #expect(empty.status == .badRequest)
            #expect(empty.error == "request body is empty; send a JSON object")
        }
    }

    @Test("a sync whose last service is invalid leaves no trace of the earlier ones", arguments: TestBackend.all)
    func atomicSync(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            var services = (0..<50).map { "{\"name\": \"s\($0)\", \"status\": \"OPERATIONAL\"}" }
            services.append("{\"name\": \"bad name\", \"status\": \"OPERATIONAL\"}")
            let response = try await client.post(
                "/api/v1/operator/status", "{\"nodeId\": \"n\", \"services\": [\(services.joined(separator: ","))]}")
            #expect(response.status == .unprocessableContent)
            #expect(response.error?.hasPrefix("services[50].name") == true)
            #expect(try await app.runtime.store.reader.countServices(matching: ServiceFilter()) == 0)
        }
    }

    @Test("unknown routes and wrong methods answer JSON errors, never HTML", arguments: TestBackend.all)
    func unknownRoutes(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let missing = try await client.get("/api/v1/nope")
            #expect(missing.status == .notFound)
            #expect(missing["success"] as? Bool == false)
        }
    }
}
