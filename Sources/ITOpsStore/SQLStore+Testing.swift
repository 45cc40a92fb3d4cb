import Foundation
import ITOpsCore
import SQLKit

extension SQLStore {
    /// Runs `sql` in a write transaction, behind the store's back: for tests that tamper with the database
    /// (audit verification). Internal, reached only through `@testable import`.
    func executeForTesting(_ sql: String) async throws {
        try await write { writer in
            guard let access = writer as? SQLAccess else { return }
            try await access.db.raw("\(unsafeRaw: sql)").run()
        }
    }
}

extension SQLStore {
    /// The value of `PRAGMA name` on the writer connection, for tests of its settings.
    func writerPragmaForTesting(_ name: String) async throws -> Int {
        try await write { writer in
            guard let access = writer as? SQLAccess else { return 0 }
            return try await access.db.raw("PRAGMA \(unsafeRaw: name)").first()?.decode(column: name, as: Int.self) ?? 0
        }
    }
}
