import AsyncHTTPClient
import Foundation
import ITOpsCore
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// The operator key the test servers accept.
let operatorKey = "agent-test-operator-key-0123456789"
let adminEmail = "admin@agent.test"
let adminPassword = "agent-test-password"

/// An executable built next to the test bundle (`itops`, `itops-agent`).
func builtBinary(_ name: String) throws -> URL {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates =
        [binary, binary.deletingLastPathComponent()].map { $0.appendingPathComponent(name) }
        + [Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name)]
    return try #require(
        candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }, "\(name) not found near \(binary.path)")
}

/// A fresh temporary directory.
func scratchDirectory(_ label: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("itops-agent-\(label)-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A child process whose standard error is collected, started with only `environment` (plus PATH).
final class ChildProcess: Sendable {
    let process: Process
    private let errors = Shared("")

    init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = environment
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        process.environment = environment
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        self.process = process
        let errors = self.errors
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            errors.update { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.runSerially()
    }

    /// Everything the process wrote so far.
    var output: String { errors.value }

    /// Waits until the output contains `text`; returns the output.
    func waitFor(_ text: String, within limit: Duration = .seconds(60)) async throws -> String {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let now = output
            if now.contains(text) { return now }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ChildFailed(message: "never printed '\(text)':\n\(output)")
    }

    /// Waits for the process to end without blocking a thread of the cooperative pool; returns its status.
    @discardableResult
    func exited(waitingAtMost limit: Duration = .seconds(60)) async -> Int32 {
        let deadline = ContinuousClock.now + limit
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        return process.terminationStatus
    }

    /// Sends SIGTERM and waits (SIGKILL after `limit`); returns the exit status.
    @discardableResult
    func stop(waitingAtMost limit: Duration = .seconds(20)) async -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + limit
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return await exited(waitingAtMost: .seconds(10))
    }

    struct ChildFailed: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

/// A real `itops serve` on loopback with its data in `directory`; restartable on the same port.
final class ServerUnderTest: Sendable {
    let directory: URL
    let port: Int
    let child: ChildProcess

    /// Starts the server; `port` 0 picks a free one (kept by `restart`).
    init(directory: URL, port: Int = 0) async throws {
        self.directory = directory
        let child = try ChildProcess(
            try builtBinary("itops"), ["serve"],
            environment: [
                "ITOPS_PORT": String(port), "ITOPS_DATA_DIR": directory.path, "ITOPS_OPERATOR_API_KEY": operatorKey,
                "ITOPS_JWT_SECRET": String(repeating: "j", count: 40), "ITOPS_ADMIN_EMAIL": adminEmail,
                "ITOPS_ADMIN_PASSWORD": adminPassword, "ITOPS_BCRYPT_COST": "4", "ITOPS_SQLITE_SYNCHRONOUS": "normal",
            ])
        let output = try await child.waitFor("listening on 127.0.0.1:")
        let range = try #require(output.range(of: "listening on 127.0.0.1:"))
        self.port = try #require(Int(output[range.upperBound...].prefix { $0.isNumber }))
        self.child = child
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Stops it gracefully.
    func stop() async { await child.stop() }

    /// Starts a new server process on the same data and port.
    func restarted() async throws -> ServerUnderTest { try await ServerUnderTest(directory: directory, port: port) }
}

/// JSON over HTTP for the tests.
struct JSONClient {
    let http: HTTPClient

    func send(_ method: HTTPMethod, _ url: String, body: String? = nil, headers: [(String, String)] = []) async throws
        -> (status: Int, json: [String: Any])
    {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 16 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: data))) as? [String: Any] ?? [:]
        return (Int(response.status.code), json)
    }

    /// The registered services of `nodeId` through the agent API, by name.
    func services(_ server: String, nodeId: String) async throws -> [String: [String: Any]] {
        let (_, json) = try await send(
            .GET, "\(server)/api/v1/operator/services?nodeId=\(nodeId)", headers: [("X-API-Key", operatorKey)])
        let list = json["services"] as? [[String: Any]] ?? []
        return Dictionary(list.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// A GraphQL request as the admin.
    func graphQL(_ server: String, _ query: String, token: String? = nil) async throws -> [String: Any] {
        var headers: [(String, String)] = []
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let body = try JSONSerialization.data(withJSONObject: ["query": query])
        let (_, json) = try await send(.POST, "\(server)/graphql", body: String(decoding: body, as: UTF8.self), headers: headers)
        return json
    }

    func login(_ server: String) async throws -> String {
        let json = try await graphQL(
            server, "mutation { login(email: \"\(adminEmail)\", password: \"\(adminPassword)\") { token } }")
        let data = try #require(json["data"] as? [String: Any], "login failed: \(json)")
        let login = try #require(data["login"] as? [String: Any])
        return try #require(login["token"] as? String)
    }
}

/// Polls `condition` every 50 ms until it holds or `limit` passes.
func eventually(
    _ what: String, within limit: Duration = .seconds(20), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("timed out waiting for: \(what)")
    throw ChildProcess.ChildFailed(message: "timed out waiting for: \(what)")
}
