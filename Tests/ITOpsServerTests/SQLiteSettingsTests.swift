import Foundation
import ITOpsCore
import ITOpsServer
import Logging
import Testing

@testable import ITOpsStore

@Suite("SQLite connection settings")
struct SQLiteSettingsTests {
    @Test("ITOPS_SQLITE_CACHE_MB sizes the writer's page cache (32 MiB by default); the reader keeps SQLite's")
    func writerCache() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-cache-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try Config.load(environment: [:]).sqliteCacheMiB == 32)
        let config = try Config.load(environment: ["ITOPS_DATA_DIR": directory.path, "ITOPS_SQLITE_CACHE_MB": "48"])
        #expect(
            config.storeLocation
                == .sqlite(path: directory.appendingPathComponent("itops.db").path, durability: .full, cacheMiB: 48))
        let store = try await SQLStore.open(config.storeLocation, clock: SystemWallClock(), logger: Logger(label: "test"))
        // SQLite takes a negative cache_size as KiB.
        #expect(try await store.writerPragmaForTesting("cache_size") == -48 * 1024)
        // synchronous=FULL is 2: the cache changes nothing about durability.
        #expect(try await store.writerPragmaForTesting("synchronous") == 2)
        await store.shutdown()
    }
}
