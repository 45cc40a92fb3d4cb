import ArgumentParser
import Foundation
import ITOpsCore
import ITOpsServer

/// `itops audit verify`: walks the hash chain of the audit trail.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The audit trail.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Verify the audit chain; names the first entry changed, removed or inserted and exits 1 if one was.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let result = try await withRuntime(options) { try await $0.audit.verify() }
            if let problem = result.problem {
                FileHandle.standardError.write(
                    Data("audit trail BROKEN at entry #\(problem.seq) (\(problem.kind.rawValue)): \(problem.message)\n".utf8))
                throw ExitCode(1)
            }
            print("audit trail intact: \(result.checked) entries verified")
        }
    }
}
