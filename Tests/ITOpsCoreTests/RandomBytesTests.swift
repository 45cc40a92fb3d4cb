import Foundation
import ITOpsCore
import Testing

@Suite("Random ids from the buffered kernel randomness")
struct RandomBytesTests {
    @Test("UUID.random() makes distinct version-4 ids across many refills of the pool")
    func versionFourAndDistinct() {
        // 4 KiB serve 256 ids: 3,000 ids cross the refill a dozen times.
        let ids = (0..<3000).map { _ in UUID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
            #expect(bytes[6] >> 4 == 4, "version nibble of \(id)")
            #expect(bytes[8] >> 6 == 0b10, "variant bits of \(id)")
        }
    }

    @Test("ids made concurrently on many tasks never repeat")
    func concurrent() async {
        let ids = await withTaskGroup(of: [UUID].self) { group in
            for _ in 0..<8 { group.addTask { (0..<500).map { _ in UUID.random() } } }
            var all: [UUID] = []
            for await part in group { all += part }
            return all
        }
        #expect(ids.count == 4000)
        #expect(Set(ids).count == 4000)
    }

    @Test("a request larger than the pool is filled whole, and two requests differ")
    func largeRequests() {
        let first = RandomBytes.bytes(10_000)
        let second = RandomBytes.bytes(10_000)
        #expect(first.count == 10_000)
        #expect(first != second)
        // Every byte value turns up in 10,000 random bytes (a zero-filled tail would not).
        #expect(Set(first.suffix(5000)).count > 200)
        #expect(RandomBytes.bytes(0).isEmpty)
    }

    @Test("the stored form is the lower-case uuidString and parses back")
    func storedForm() throws {
        let edges = [
            UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
            UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)),
            try #require(UUID(uuidString: "0123ABCD-4567-89EF-A0B1-C2D3E4F5A6B7")),
        ]
        for id in edges + (0..<200).map({ _ in UUID() }) {
            #expect(id.stored == id.uuidString.lowercased())
            #expect(UUID(parsing: id.stored) == id)
        }
    }
}
