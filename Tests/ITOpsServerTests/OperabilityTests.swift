import Foundation
import ITOpsCore
import ITOpsServer
import Logging
import Testing

@Suite("Operability: doctor and version")
struct OperabilityTests {
    @Test("itops doctor passes a healthy installation and flags wide permissions, bad variables and a missing database")
    func doctor() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-doctor-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = Logger(label: "doctor-test")
        logger.logLevel = .critical
        let environment = [
            "ITOPS_DATA_DIR": directory.path, "ITOPS_JWT_SECRET": String(repeating: "j", count: 40),
            "ITOPS_BCRYPT_COST": "4",
        ]
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // A fresh data directory: the schema is pending until the first start (or `itops migrate`).
        let fresh = await Doctor.run(environment: environment, logger: logger)
        #expect(fresh.contains { $0.level == .warn && $0.check == "schema" && $0.fix.contains("itops migrate") })
        #expect(try await ITOpsBinary.run(["migrate"], environment: environment).status == 0)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            try FileManager.default.setAttributes(
                [.posixPermissions: 0o600], ofItemAtPath: directory.appendingPathComponent(name).path)
        }
        let healthy = await Doctor.run(environment: environment, logger: logger)
        #expect(healthy.allSatisfy { $0.level == .ok }, "\(healthy)")
        #expect(Set(healthy.map(\.check)).isSuperset(of: ["config", "data-dir", "database", "schema", "license"]))
        #expect(healthy.contains { $0.check == "license" && $0.message.hasPrefix("trial until") })

        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let database = directory.appendingPathComponent("itops.db").path
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: database)
        let wide = await Doctor.run(environment: environment, logger: logger)
        let warnings = wide.filter { $0.level == .warn && $0.check == "data-dir" }
        #expect(warnings.contains { $0.fix == "chmod 700 \(directory.path)" }, "\(wide)")
        #expect(warnings.contains { $0.fix == "chmod 600 \(database)" }, "\(wide)")

        var typo = environment
        typo["ITOPS_PROT"] = "80"
        let bad = await Doctor.run(environment: typo, logger: logger)
        #expect(bad.contains { $0.level == .fail && $0.message.contains("ITOPS_PROT") })

        let unreachable = await Doctor.run(
            environment: environment.merging(["ITOPS_DATABASE_URL": "postgres://itops@127.0.0.1:1/itops"]) { $1 },
            logger: logger)
        #expect(unreachable.contains { $0.level == .fail && $0.check == "database" }, "\(unreachable)")

        // The command prints the findings and fails on a FAIL.
        let printed = try await ITOpsBinary.run(["doctor"], environment: environment)
        #expect(printed.status == 0, "\(printed.output)\(printed.errors)")
        #expect(printed.output.contains("WARN  data-dir"), "\(printed.output)")
        #expect(printed.output.contains("fix: chmod 700"))
        #expect(printed.output.contains("passed with warnings"))
    }

    @Test("itops --version prints the version")
    func version() async throws {
        let outcome = try await ITOpsBinary.run(["--version"])
        #expect(outcome.status == 0)
        #expect(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines) == ITOpsRuntime.version)
    }
}
