import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ITOpsCore
import ITOpsServer
import Logging
import NIOCore
import Testing

/// The operator key every test app accepts.
let operatorKey = "test-operator-key-0123456789"

/// A real ITOps runtime on a temporary SQLite file, with a clock the test moves.
struct TestApp {
    let runtime: ITOpsRuntime
    let clock: ManualWallClock
    let directory: URL

    static let start = Date(timeIntervalSince1970: 1_776_643_200)  // 2026-04-20T00:00:00Z

    /// Starts a runtime; `configure` may change the configuration first.
    static func make(_ configure: (inout Config) -> Void = { _ in }) async throws -> TestApp {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-test-\(UUID().uuidString)")
        var config = Config()
        config.dataDirectory = directory.path
        config.port = 0
        config.jwtSecret = String(repeating: "s", count: 40)
        config.operatorAPIKey = operatorKey
        config.bcryptCost = 4
        config.sqliteSynchronous = .normal
        configure(&config)
        let clock = ManualWallClock(start)
        var logger = Logger(label: "itops-test")
        logger.logLevel = .warning
        let runtime = try await ITOpsRuntime.start(config: config, clock: clock, logger: logger)
        return TestApp(runtime: runtime, clock: clock, directory: directory)
    }

    /// Runs `body` against the real router; the database is closed afterwards.
    func run(_ body: @Sendable (Client) async throws -> Void) async throws {
        let app = buildApplication(runtime: runtime, runJobs: false)
        try await app.test(.router) { client in try await body(Client(raw: client)) }
    }
}

/// A parsed JSON response.
struct JSONResponse: @unchecked Sendable {
    // @unchecked: `json` holds only Foundation JSON values (dictionaries, arrays, strings, numbers),
    // read-only after parsing and confined to one test.
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String
    let json: Any?

    subscript(key: String) -> Any? { (json as? [String: Any])?[key] }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var error: String? { self["error"] as? String }
}

/// Thin helpers over HummingbirdTesting's client.
struct Client: Sendable {
    let raw: any TestClientProtocol

    func request(
        _ method: HTTPRequest.Method, _ path: String, body: String? = nil, key: String? = operatorKey,
        bearer: String? = nil, headers extra: HTTPFields = [:]
    ) async throws -> JSONResponse {
        var headers = extra
        if let key { headers[HTTPField.Name("X-API-Key")!] = key }
        if let bearer { headers[.authorization] = "Bearer \(bearer)" }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let response = try await raw.execute(
            uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        let text = String(buffer: response.body)
        return JSONResponse(
            status: response.status, headers: response.headers, text: text,
            json: try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]))
    }

    func post(_ path: String, _ body: String, key: String? = operatorKey) async throws -> JSONResponse {
        try await request(.post, path, body: body, key: key)
    }

    func get(_ path: String, key: String? = operatorKey) async throws -> JSONResponse {
        try await request(.get, path, key: key)
    }

    /// Runs a GraphQL document; `variables` is a JSON object text.
    func graphQL(_ query: String, variables: String = "{}", token: String? = nil) async throws -> JSONResponse {
        let body = "{\"query\": \(jsonString(query)), \"variables\": \(variables)}"
        return try await request(.post, "/graphql", body: body, key: nil, bearer: token)
    }

    /// Signs in and returns the access token.
    func login(_ email: String, _ password: String) async throws -> String {
        let response = try await graphQL(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token refreshToken } }",
            variables: "{\"e\": \(jsonString(email)), \"p\": \(jsonString(password))}")
        let token = (response.data?["login"] as? [String: Any])?["token"] as? String
        return try #require(token, "login failed: \(response.text)")
    }
}

extension JSONResponse {
    /// `data` of a GraphQL response.
    var data: [String: Any]? { self["data"] as? [String: Any] }
    /// `extensions.code` of the first GraphQL error.
    var errorCode: String? {
        ((self["errors"] as? [[String: Any]])?.first?["extensions"] as? [String: Any])?["code"] as? String
    }
    var errorMessage: String? { (self["errors"] as? [[String: Any]])?.first?["message"] as? String }
}

func jsonString(_ text: String) -> String {
    String(data: try! JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed]), encoding: .utf8)!
}

/// Collects events from the bus in the background until read.
final class EventRecorder: Sendable {
    private let task: Task<[DomainEvent], Never>
    private let stream: AsyncStream<DomainEvent>

    init(_ bus: InProcessEventBus) {
        let stream = bus.subscribe(bufferSize: 10_000)
        self.stream = stream
        task = Task {
            var events: [DomainEvent] = []; for await event in stream { events.append(event) }; return events
        }
    }

    /// Events published so far (waits briefly for in-flight deliveries).
    func drain(settle: Duration = .milliseconds(50)) async -> [DomainEvent] {
        try? await Task.sleep(for: settle)
        task.cancel()
        return await task.value
    }
}
