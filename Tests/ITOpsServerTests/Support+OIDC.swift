import AsyncHTTPClient
import Foundation
import ITOpsCore
import NIOCore

/// A real OpenID provider (`oidc-provider-mock`, pinned, from the venv `.ci/run` makes in `.build-oidc/`) on
/// a free loopback port, started by the test with nonces required and the given users' claims.
final class TestOIDCProvider: @unchecked Sendable {
    // @unchecked: set once in `start`, read afterwards.
    static let executable = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../.build-oidc/venv/bin/oidc-provider-mock").standardized.path

    /// Whether the venv exists (python3 -m venv .build-oidc/venv; pip install oidc-provider-mock==0.3.4).
    static var available: Bool { FileManager.default.isExecutableFile(atPath: executable) }

    let port: Int
    private let process: Process
    private let stopFile: String
    var issuer: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, process: Process, stopFile: String) {
        self.port = port
        self.process = process
        self.stopFile = stopFile
    }

    /// Starts the provider with `users` (each a claims object with `sub`) and waits for its discovery document.
    static func start(users: [[String: Any]]) async throws -> TestOIDCProvider {
        let port = try await freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        var command = "'\(executable)' -p \(port) -H 127.0.0.1 -n true"
        for user in users {
            let json = String(decoding: try JSONSerialization.data(withJSONObject: user), as: UTF8.self)
            command += " --user-claims '\(json)'"
        }
        let stopFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "itops-oidc-stop-\(UUID().uuidString)"
        ).path
        process.arguments = ["-c", watchdog(command, stopFile: stopFile)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.runSerially()
        let provider = TestOIDCProvider(port: port, process: process, stopFile: stopFile)
        let deadline = ContinuousClock.now + .seconds(40)
        while ContinuousClock.now < deadline {
            if let response = try? await HTTPClient.shared.execute(
                HTTPClientRequest(url: provider.issuer + "/.well-known/openid-configuration"), timeout: .seconds(2)),
                response.status == .ok
            {
                return provider
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        await provider.stop()
        throw TestLDAPServer.StartFailure(description: "oidc-provider-mock did not answer on port \(port) within 40 s")
    }

    /// Stops the provider through its watchdog.
    func stop() async {
        await stopWatched(process, stopFile: stopFile)
    }

    /// Runs `body` with a fresh provider and stops it afterwards, also when `body` throws.
    static func with(users: [[String: Any]], _ body: (TestOIDCProvider) async throws -> Void) async throws {
        let provider = try await start(users: users)
        do {
            try await body(provider)
        } catch {
            await provider.stop()
            throw error
        }
        await provider.stop()
    }

    /// What a browser does on the provider's consent page: posts the chosen subject (or a denial) to the
    /// authorization URL and returns the `Location` it is sent to.
    static func authorize(_ url: String, subject: String, deny: Bool = false) async throws -> String {
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))
        do {
            let location = try await post(client, url, subject: subject, deny: deny)
            try await client.shutdown()
            return location
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func post(_ client: HTTPClient, _ url: String, subject: String, deny: Bool) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let form =
            deny
            ? "action=deny" : "sub=\(subject.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? subject)"
        request.body = .bytes(ByteBuffer(string: form))
        let response = try await client.execute(request, timeout: .seconds(10))
        guard let location = response.headers.first(name: "Location") else {
            let body = try await response.body.collect(upTo: 65_536)
            throw TestLDAPServer.StartFailure(
                description: "the provider answered \(response.status) without Location: \(String(buffer: body))")
        }
        return location
    }
}

/// A shell line that runs `command` in the background and kills it (SIGKILL) when the test process is gone
/// or `stopFile` appears, so no test server outlives its test, even after a crash. SIGKILL because the test
/// process's children inherit a signal mask in which some servers (slapd) never see SIGTERM.
func watchdog(_ command: String, stopFile: String) -> String {
    let me = ProcessInfo.processInfo.processIdentifier
    return "\(command) & s=$!; while kill -0 \(me) 2>/dev/null && kill -0 $s 2>/dev/null && [ ! -e '\(stopFile)' ]; "
        + "do sleep 0.2; done; kill -9 $s 2>/dev/null; rm -f '\(stopFile)'"
}

/// Asks the watchdog of `process` to stop its server and waits (without blocking a thread) until it has.
func stopWatched(_ process: Process, stopFile: String) async {
    FileManager.default.createFile(atPath: stopFile, contents: Data())
    for _ in 0..<250 where process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
}
