import Foundation
import ITOpsCore
import ITOpsServer
import Testing

/// Runs the built `itops-license` executable.
enum LicenseCLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The executable next to the test bundle (`.build/debug`), or `nil` when it was not built.
    static var executable: URL? {
        var candidates: [URL] = []
        if let bundle = Bundle.main.executableURL?.deletingLastPathComponent() {
            candidates.append(bundle.appendingPathComponent("itops-license"))
        }
        candidates.append(
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("itops-license"))
        // Tests/ITOpsServerTests/<this file> → package root → .build/debug.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/itops-license"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    static func run(_ arguments: [String]) throws -> Result {
        let executable = try #require(executable, "itops-license is not built; run swift build --build-tests")
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.runSerially()
        // Outputs are a few hundred bytes: reading after exit cannot fill a pipe buffer.
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
            stderr: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }
}

@Suite("itops-license CLI")
struct LicenseCLITests {
    @Test("keygen, issue and inspect round-trip; the server started with the public key accepts the license")
    func roundTrip() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyFile = directory.appendingPathComponent("vendor.key").path

        let keygen = try LicenseCLI.run(["keygen", "--out", keyFile])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let publicKey = keygen.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Data(base64Encoded: publicKey)?.count == 32)
        let permissions = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        let again = try LicenseCLI.run(["keygen", "--out", keyFile])
        #expect(again.status != 0, "keygen must not overwrite a key without --force")

        let issue = try LicenseCLI.run([
            "issue", "--customer", "CLI Customer", "--plugins", "ticketing,sla", "--days", "30", "--max-services",
            "50", "--license-id", "cli-1", "--key", keyFile,
        ])
        #expect(issue.status == 0, "\(issue.stderr)")
        let token = issue.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.split(separator: ".").count == 3)

        let inspect = try LicenseCLI.run(["inspect", token, "--public-key", publicKey])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout.contains("\"customer\" : \"CLI Customer\""))
        #expect(inspect.stdout.contains("\"licenseId\" : \"cli-1\""))
        #expect(inspect.stdout.contains("\"maxServices\" : 50"))

        let other = try LicenseCLI.run(["keygen", "--out", directory.appendingPathComponent("other.key").path])
        let wrongKey = try LicenseCLI.run([
            "inspect", token, "--public-key", other.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
        ])
        #expect(wrongKey.status != 0)
        #expect(wrongKey.stderr.contains("signature is not valid"))
        let tampered = try LicenseCLI.run(["inspect", String(token.dropLast(4)), "--public-key", publicKey])
        #expect(tampered.status != 0)

        let badPlugin = try LicenseCLI.run([
            "issue", "--customer", "X", "--plugins", "billing", "--days", "30", "--key", keyFile,
        ])
        #expect(badPlugin.status != 0)
        #expect(badPlugin.stderr.contains("unknown plugin 'billing'"))

        // The server verifying with the printed public key accepts the CLI's license. The CLI signs
        // with the real time, so the test clock is moved to it.
        let app = try await TestApp.make { config in
            config.licensePublicKey = publicKey
            config.trialDays = 0
        }
        app.clock.set(Date())
        let admin = try await app.runtime.createAPIKey(name: "admin", role: .admin).plain
        try await app.run { client in
            let response = try await client.post("/api/v1/license/activate", activateBody(token), key: admin)
            #expect(response.status == .ok, "\(response.text)")
            #expect(response["customer"] as? String == "CLI Customer")
            #expect(response["plugins"] as? [String] == ["ticketing", "sla"])
        }
        let status = app.runtime.license.status()
        #expect(status.maxServices == 50)
        #expect(status.licenseId == "cli-1")
        #expect(status.isEnabled(.sla) && !status.isEnabled(.audit))

        // A server with the built-in vendor key refuses it.
        let vendorApp = try await TestApp.make { $0.trialDays = 0 }
        vendorApp.clock.set(Date())
        let vendorAdmin = try await vendorApp.runtime.createAPIKey(name: "admin", role: .admin).plain
        try await vendorApp.run { client in
            let response = try await client.post("/api/v1/license/activate", activateBody(token), key: vendorAdmin)
            #expect(response.status == .unprocessableContent)
        }
    }
}
