import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ITOpsCore
import ITOpsServer
import ITOpsStore
import Logging
import NIOCore
import Synchronization
import Testing

/// The operator key every test app accepts.
let operatorKey = "test-operator-key-0123456789"

/// A real ITOps runtime on a temporary SQLite file, with a clock the test moves.
struct TestApp {
    let runtime: ITOpsRuntime
    let clock: ManualWallClock
    let directory: URL

    let database: TestDatabase?

    static let start = Date(timeIntervalSince1970: 1_776_643_200)  // 2026-04-20T00:00:00Z

    /// Starts a runtime on `backend` (a fresh database each time); `configure` may change the
    /// configuration first.
    static func make(
        _ backend: TestBackend = .sqlite, existing: TestDatabase? = nil, _ configure: (inout Config) -> Void = { _ in }
    ) async throws -> TestApp {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-test-\(UUID().uuidString)")
        var database: TestDatabase?
        if backend == .postgres {
            if let existing { database = existing } else { database = try await TestDatabase.create() }
        }
        var config = Config()
        config.databaseURL = database?.url
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
        return TestApp(runtime: runtime, clock: clock, directory: directory, database: database)
    }

    /// Runs `body` against the real router; the database is closed, and dropped unless `keepData`.
    func run(keepData: Bool = false, jobs: Bool = false, _ body: @Sendable (Client) async throws -> Void)
        async throws
    {
        let app = buildApplication(runtime: runtime, runJobs: jobs)
        try await app.test(.router) { client in try await body(Client(raw: client)) }
        if !keepData {
            try? FileManager.default.removeItem(at: directory)
            try? database?.drop()
        }
    }

    /// A second runtime on `previous`'s data (a restart).
    static func make(reusing previous: TestApp, _ configure: (inout Config) -> Void = { _ in }) async throws -> TestApp
    {
        try await make(previous.database == nil ? .sqlite : .postgres, existing: previous.database) {
            $0.dataDirectory = previous.directory.path
            configure(&$0)
        }
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

/// Collects events from the bus in the background.
final class EventRecorder: Sendable {
    private final class Box: Sendable {
        let events = Mutex<[DomainEvent]>([])
    }
    private let task: Task<Void, Never>
    private let box = Box()

    init(_ bus: any EventBus) {
        let stream = bus.subscribe(bufferSize: 10_000)
        let box = box
        task = Task { for await event in stream { box.events.withLock { $0.append(event) } } }
    }

    deinit { task.cancel() }

    /// The events received so far.
    func snapshot() -> [DomainEvent] { box.events.withLock { $0 } }

    /// Waits until `condition` holds for the events received (at most `timeout`), and returns them.
    func wait(
        timeout: Duration = .seconds(5), until condition: ([DomainEvent]) -> Bool
    ) async -> [DomainEvent] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let current = snapshot()
            if condition(current) { return current }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return snapshot()
    }

    /// The events published so far, after in-flight deliveries settle.
    func drain(settle: Duration = .milliseconds(50)) async -> [DomainEvent] {
        try? await Task.sleep(for: settle)
        return snapshot()
    }
}

/// Where a test's data lives. PostgreSQL runs whenever `ITOPS_TEST_DATABASE_URL` is set.
enum TestBackend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres

    /// SQLite always; PostgreSQL too when a test server is configured.
    static var all: [TestBackend] { TestDatabase.adminURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }
}

/// A throw-away PostgreSQL database copied from a migrated template (made once per test run).
struct TestDatabase: Sendable {
    let name: String
    let url: String

    /// The maintenance URL of the test server, e.g. `postgres://itops@127.0.0.1:5433/postgres`.
    static var adminURL: String? { ProcessInfo.processInfo.environment["ITOPS_TEST_DATABASE_URL"] }

    static func create() async throws -> TestDatabase {
        let admin = try #require(adminURL, "ITOPS_TEST_DATABASE_URL is not set")
        let template = try await TemplateDatabase.shared.name(admin: admin)
        let name = "itops_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await TemplateDatabase.shared.psql(admin, "CREATE DATABASE \(name) TEMPLATE \(template)")
        return TestDatabase(name: name, url: url(admin, database: name))
    }

    /// `admin` with its database replaced by `database`.
    static func url(_ admin: String, database: String) -> String {
        var components = URLComponents(string: admin)!
        components.path = "/" + database
        return components.string!
    }

    func drop() throws {
        guard let admin = Self.adminURL else { return }
        try TemplateDatabase.runPSQL(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}

/// Creates the migrated template database once per test process and serialises `CREATE DATABASE`.
actor TemplateDatabase {
    static let shared = TemplateDatabase()
    private var creation: Task<String, any Error>?

    /// The template's name; the first caller creates it, later callers wait for that.
    func name(admin: String) async throws -> String {
        if let creation { return try await creation.value }
        let task = Task<String, any Error> {
            let name = "itops_template_\(ProcessInfo.processInfo.processIdentifier)"
            try Self.runPSQL(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            try Self.runPSQL(admin, "CREATE DATABASE \(name)")
            let store = try await SQLStore.open(
                .postgres(url: TestDatabase.url(admin, database: name)), clock: SystemWallClock(),
                logger: Logger(label: "test-template"))
            await store.shutdown()
            return name
        }
        creation = task
        return try await task.value
    }

    func psql(_ admin: String, _ sql: String) throws { try Self.runPSQL(admin, sql) }

    static func runPSQL(_ admin: String, _ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", admin, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.runSerially()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PSQLFailed(sql: sql, message: String(decoding: message, as: UTF8.self))
        }
    }

    struct PSQLFailed: Error, CustomStringConvertible {
        let sql: String
        let message: String
        var description: String { "psql failed on \(sql): \(message)" }
    }
}
