import ArgumentParser
import Crypto
import Foundation
import ITOpsLicense

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `itops-license`: the vendor's tool for key pairs and signed licenses.
@main
struct ITOpsLicenseCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "itops-license",
        abstract: "Make Ed25519 key pairs and sign, decode and verify ITOps licenses.",
        subcommands: [Keygen.self, Issue.self, Inspect.self])
}

/// Writes a new private key file (mode 0600) and prints the public key.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a key pair: the private key goes to --out (0600), the public key is printed as base64.")

    @Option(help: "File for the private key (base64 of 32 raw bytes). Must not exist unless --force.")
    var out: String

    @Flag(help: "Overwrite an existing file.")
    var force = false

    func run() throws {
        let key = Curve25519.Signing.PrivateKey()
        let text = key.rawRepresentation.base64EncodedString() + "\n"
        try writeSecret(text, to: out, overwrite: force)
        print(key.publicKey.rawRepresentation.base64EncodedString())
        FileHandle.standardError.write(
            Data(
                "private key written to \(out) (keep it secret); the line above is the public key for ITOPS_LICENSE_PUBLIC_KEY\n"
                    .utf8))
    }

    /// Creates the file with 0600 from the start (never world-readable, not even briefly).
    private func writeSecret(_ text: String, to path: String, overwrite: Bool) throws {
        var flags = O_WRONLY | O_CREAT | O_TRUNC
        if !overwrite { flags |= O_EXCL }
        let fd = open(path, flags, 0o600)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "it exists (use --force to overwrite)" : String(cString: strerror(errno))
            throw ValidationError("cannot write \(path): \(reason)")
        }
        defer { close(fd) }
        // O_CREAT keeps the mode of an existing file: tighten it when overwriting.
        guard fchmod(fd, 0o600) == 0 else { throw ValidationError("cannot set 0600 on \(path)") }
        let bytes = Array(text.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else {
            throw ValidationError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Signs a license and prints the token.
struct Issue: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Sign a license and print its token.")

    @Option(help: "The licensee, e.g. \"My Company\".")
    var customer: String

    @Option(help: "Comma-separated plugins: \(License.knownPlugins.joined(separator: ",")).")
    var plugins: String

    @Option(help: "Days of validity from now.")
    var days: Int

    @Option(help: "Number of services the license is sold for (informational).")
    var maxServices: Int?

    @Option(help: "The vendor's reference for this license (default: a new UUID).")
    var licenseId: String?

    @Option(help: "The private key file written by keygen.")
    var key: String

    func validate() throws {
        guard (1...36_500).contains(days) else { throw ValidationError("--days must be 1–36500") }
        if let maxServices, maxServices < 1 { throw ValidationError("--max-services must be at least 1") }
        for plugin in pluginList where !License.knownPlugins.contains(plugin) {
            throw ValidationError(
                "unknown plugin '\(plugin)'; known: \(License.knownPlugins.joined(separator: ", "))")
        }
        guard !pluginList.isEmpty else { throw ValidationError("--plugins names no plugin") }
        guard !customer.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError("--customer must not be empty")
        }
    }

    var pluginList: [String] {
        plugins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func run() throws {
        let text: String
        do {
            text = try String(contentsOfFile: key, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read the private key file \(key)")
        }
        let privateKey = try LicenseToken.privateKey(base64: text)
        let now = Date()
        let license = License(
            customer: customer.trimmingCharacters(in: .whitespaces), plugins: pluginList, issuedAt: now,
            expiresAt: now.addingTimeInterval(TimeInterval(days) * 86_400),
            licenseId: licenseId ?? UUID().uuidString.lowercased(), maxServices: maxServices)
        print(try LicenseToken.sign(license, with: privateKey))
    }
}

/// Decodes a token, verifies it and prints its payload; exits 1 when it is not valid now.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode and verify a license token; print its payload. Exit status 1 when it is not valid.")

    @Argument(help: "The license token.")
    var token: String

    @Option(help: "Verifying key, base64 of 32 raw bytes (default: the built-in vendor key).")
    var publicKey: String?

    func run() throws {
        let key = try LicenseToken.publicKey(base64: publicKey ?? LicenseToken.vendorPublicKeyBase64)
        let license: License
        do {
            license = try LicenseToken.verify(token, publicKey: key, now: Date())
        } catch {
            if let payload = LicenseToken.unverifiedPayload(token) {
                print("payload (NOT trusted): \(payload)")
            }
            FileHandle.standardError.write(Data("invalid license: \(error.message)\n".utf8))
            throw ExitCode(1)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(license), as: UTF8.self))
        print(
            "valid: \(license.customer), plugins \(license.plugins.joined(separator: ",")), expires \(license.expiresAt)"
        )
    }
}
