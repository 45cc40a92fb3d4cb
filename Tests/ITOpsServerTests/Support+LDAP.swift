import Foundation
import ITOpsCore
import NIOCore
import NIOPosix
import Testing

/// A real OpenLDAP `slapd` on a free loopback port, with a temporary configuration and a seeded tree:
/// `dc=example,dc=org` with people (alice: admins, bob: operators, carol: in no mapped group, dave: admin
/// and viewer groups) and the groups under `ou=groups`. The test suite starts it; nothing is installed here.
final class TestLDAPServer: @unchecked Sendable {
    // @unchecked: the fields are set once in `start` and only read afterwards; `process` is stopped once.
    static let slapd = "/usr/sbin/slapd"
    static let suffix = "dc=example,dc=org"
    static let adminDN = "cn=admin,dc=example,dc=org"
    static let adminPassword = "admin-secret"
    static let groups = "ou=groups,dc=example,dc=org"

    /// Whether `slapd` and `ldapmodify` are installed (Debian: `apt-get install slapd ldap-utils`).
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: slapd)
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/ldapmodify")
            && FileManager.default.fileExists(atPath: "/etc/ldap/schema/inetorgperson.schema")
    }

    let directory: URL
    let port: Int
    /// The `ldaps://` port, when started with TLS.
    let tlsPort: Int?
    private let process: Process

    var url: String { "ldap://127.0.0.1:\(port)" }
    /// The PEM of the CA that signed the server's certificate (TLS only).
    var caFile: String { directory.appendingPathComponent("ca.pem").path }

    private init(directory: URL, port: Int, tlsPort: Int?, process: Process) {
        self.directory = directory
        self.port = port
        self.tlsPort = tlsPort
        self.process = process
    }

    static let seed = """
        dn: dc=example,dc=org
        objectClass: dcObject
        objectClass: organization
        o: Example
        dc: example

        dn: ou=people,dc=example,dc=org
        objectClass: organizationalUnit
        ou: people

        dn: ou=groups,dc=example,dc=org
        objectClass: organizationalUnit
        ou: groups

        \(person("alice", "Alice Admin", "alice-pass"))
        \(person("bob", "Bob Operator", "bob-pass"))
        \(person("carol", "Carol Nogroup", "carol-pass"))
        \(person("dave", "Dave Both", "dave-pass"))
        dn: cn=itops-admins,ou=groups,dc=example,dc=org
        objectClass: groupOfNames
        cn: itops-admins
        member: uid=alice,ou=people,dc=example,dc=org
        member: uid=dave,ou=people,dc=example,dc=org

        dn: cn=itops-operators,ou=groups,dc=example,dc=org
        objectClass: groupOfNames
        cn: itops-operators
        member: cn=admin,dc=example,dc=org
        member: uid=bob,ou=people,dc=example,dc=org

        dn: cn=itops-viewers,ou=groups,dc=example,dc=org
        objectClass: groupOfNames
        cn: itops-viewers
        member: uid=dave,ou=people,dc=example,dc=org

        dn: cn=unrelated,ou=groups,dc=example,dc=org
        objectClass: groupOfNames
        cn: unrelated
        member: uid=carol,ou=people,dc=example,dc=org

        """

    static func person(_ uid: String, _ name: String, _ password: String) -> String {
        """
        dn: uid=\(uid),ou=people,dc=example,dc=org
        objectClass: inetOrgPerson
        uid: \(uid)
        cn: \(name)
        sn: \(name.split(separator: " ").last!)
        displayName: \(name)
        mail: \(uid)@example.org
        userPassword: \(password)

        """
    }

    /// Configures, seeds (slapadd) and starts slapd; returns once it accepts connections.
    static func start(tls: Bool = false) async throws -> TestLDAPServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-ldap-\(UUID().uuidString)")
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        var tlsConfig = ""
        if tls {
            // A throw-away CA and a certificate for 127.0.0.1 (openssl, part of every Debian).
            let d = directory.path
            try run(
                "/bin/sh",
                [
                    "-c",
                    "cd '\(d)' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=ITOps test CA' && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ext && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext",
                ])
            tlsConfig = """
                TLSCACertificateFile \(d)/ca.pem
                TLSCertificateFile \(d)/server.pem
                TLSCertificateKeyFile \(d)/server.key

                """
        }
        let config =
            tlsConfig + """
                include /etc/ldap/schema/core.schema
                include /etc/ldap/schema/cosine.schema
                include /etc/ldap/schema/inetorgperson.schema
                include /etc/ldap/schema/nis.schema
                modulepath /usr/lib/ldap
                moduleload back_mdb
                pidfile \(directory.path)/slapd.pid
                database mdb
                maxsize 10485760
                suffix "\(suffix)"
                rootdn "\(adminDN)"
                rootpw \(adminPassword)
                directory \(data.path)
                access to attrs=userPassword by self read by anonymous auth by * none
                access to * by * read

                """
        let configFile = directory.appendingPathComponent("slapd.conf")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        let seedFile = directory.appendingPathComponent("seed.ldif")
        try seed.write(to: seedFile, atomically: true, encoding: .utf8)
        try run(slapd.replacingOccurrences(of: "slapd", with: "slapadd"), ["-f", configFile.path, "-l", seedFile.path])
        let port = try await freeLoopbackPort()
        let tlsPort = tls ? try await freeLoopbackPort() : nil
        let listen = "ldap://127.0.0.1:\(port)/" + (tlsPort.map { " ldaps://127.0.0.1:\($0)/" } ?? "")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // slapd -d 0 stays in the foreground and logs nothing. A watchdog shell kills it once the test
        // process is gone, so a crashed test run leaves no directory server behind. SIGKILL, because
        // children of the test process inherit a signal mask in which slapd never sees SIGTERM.
        process.arguments = [
            "-c",
            watchdog(
                "\(slapd) -f '\(configFile.path)' -h '\(listen)' -d 0",
                stopFile: directory.appendingPathComponent("stop").path),
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.runSerially()
        let server = TestLDAPServer(directory: directory, port: port, tlsPort: tlsPort, process: process)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            var listening = true
            for probe in [port] + (tlsPort.map { [$0] } ?? []) {
                guard
                    let channel = try? await ClientBootstrap(group: NIOSingletons.posixEventLoopGroup)
                        .connect(host: "127.0.0.1", port: probe).get()
                else {
                    listening = false
                    break
                }
                try? await channel.close()
            }
            if listening { return server }
            try await Task.sleep(for: .milliseconds(50))
        }
        await server.stop()
        throw StartFailure(description: "slapd did not listen on 127.0.0.1:\(port) within 30 s")
    }

    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Applies an LDIF change as the directory's admin (ldapmodify).
    func modify(_ ldif: String) {
        do { try change(ldif) } catch { Issue.record("ldapmodify: \(error)") }
    }

    private func change(_ ldif: String) throws {
        let file = directory.appendingPathComponent("change-\(UUID().uuidString).ldif")
        try ldif.write(to: file, atomically: true, encoding: .utf8)
        try Self.run(
            "/usr/bin/ldapmodify", ["-x", "-H", url, "-D", Self.adminDN, "-w", Self.adminPassword, "-f", file.path])
    }

    /// Kills slapd and its watchdog (SIGKILL: a throw-away directory needs no clean shutdown) and
    /// removes the files; waits without blocking a thread of the cooperative pool.
    func stop() async {
        await stopWatched(process, stopFile: directory.appendingPathComponent("stop").path)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `body` with a fresh server and stops it afterwards, also when `body` throws.
    static func with(tls: Bool = false, _ body: (TestLDAPServer) async throws -> Void) async throws {
        let server = try await start(tls: tls)
        do {
            try await body(server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.runSerially()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw StartFailure(
                description:
                    "\(executable) failed (\(process.terminationStatus)): \(String(decoding: message, as: UTF8.self))")
        }
    }
}

/// A loopback port nobody listened on a moment ago.
func freeLoopbackPort() async throws -> Int {
    let channel = try await ServerBootstrap(group: NIOSingletons.posixEventLoopGroup).bind(host: "127.0.0.1", port: 0)
        .get()
    let port = channel.localAddress!.port!
    try await channel.close()
    return port
}

/// A TCP server on loopback that accepts connections and never answers: an LDAP server that hangs.
final class SilentServer: Sendable {
    let channel: any Channel
    var port: Int { channel.localAddress!.port! }

    init() async throws {
        channel = try await ServerBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func stop() async { try? await channel.close() }
}
