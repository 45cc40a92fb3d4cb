import Foundation
import ITOpsCore
import ITOpsStore
import Logging
import Testing

@Suite("SQL store")
struct StoreTests {
    static func open(_ backend: TestBackend = .sqlite) async throws -> (SQLStore, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "itops-store-\(UUID().uuidString)")
        let location: StoreLocation =
            backend == .postgres
            ? .postgres(url: try await TestDatabase.create().url)
            : .sqlite(path: directory.appendingPathComponent("itops.db").path, durability: .full)
        let store = try await SQLStore.open(location, clock: SystemWallClock(), logger: Logger(label: "test"))
        return (store, directory)
    }

    @Test(
        "concurrent writes share transactions (group commit), and a failing write rolls back alone",
        arguments: TestBackend.all)
    func groupCommit(_ backend: TestBackend) async throws {
        let (store, directory) = try await Self.open(backend)
        defer { try? FileManager.default.removeItem(at: directory) }
        let now = Date()
        try await store.write { tx in try await tx.insert(Node(id: try NodePath(validating: "n"), createdAt: now)) }
        struct Refused: Error {}
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<200 {
                group.addTask {
                    do {
                        try await store.write { tx in
                            let service = Service(
                                nodeId: try NodePath(validating: "n"), name: "s\(i)", status: .operational,
                                source: .push, at: now)
                            try await tx.insert(service)
                            // Every tenth write fails after writing: its row must vanish, the others stay.
                            if i % 10 == 0 { throw Refused() }
                        }
                        return true
                    } catch {
                        return false
                    }
                }
            }
            var results: [Bool] = []
            for await result in group { results.append(result) }
            return results
        }
        #expect(outcomes.filter { $0 }.count == 180)
        #expect(try await store.reader.countServices(matching: ServiceFilter()) == 180)
        #expect(try await store.reader.service(nodeId: try NodePath(validating: "n"), name: "s10") == nil)
        let stats = await store.commitStatistics()
        #expect(stats.writes == 201)
        #expect(stats.batches < stats.writes, "writes were not grouped: \(stats)")
        await store.shutdown()
    }

    @Test("migrations are recorded and not applied twice; reopening keeps the data")
    func migrations() async throws {
        let (store, directory) = try await Self.open()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await store.write { tx in try await tx.insert(Node(id: .unknown, createdAt: Date())) }
        await store.shutdown()
        let reopened = try await SQLStore.open(
            .sqlite(path: directory.appendingPathComponent("itops.db").path, durability: .normal),
            clock: SystemWallClock(), logger: Logger(label: "test"))
        #expect(try await reopened.reader.nodes().map(\.id) == [.unknown])
        await reopened.shutdown()
    }

    @Test("a write after shutdown fails with unavailable instead of hanging", arguments: TestBackend.all)
    func afterShutdown(_ backend: TestBackend) async throws {
        let (store, directory) = try await Self.open(backend)
        defer { try? FileManager.default.removeItem(at: directory) }
        await store.shutdown()
        await #expect(throws: ITOpsError.self) {
            try await store.write { tx in try await tx.insert(Node(id: .unknown, createdAt: Date())) }
        }
    }
}
