import Foundation
import ITOpsCore
import Testing

@Suite("UUID parsing")
struct UUIDParsingTests {
    @Test("agrees with Foundation on random ids in either case, and refuses what is not an id")
    func agreesWithFoundation() {
        for _ in 0..<2_000 {
            let id = UUID()
            #expect(UUID(parsing: id.uuidString) == id)
            #expect(UUID(parsing: id.uuidString.lowercased()) == id)
        }
        for bad in [
            "", "not-a-uuid", "3F2504E0-4F89-11D3-9A0C-0305E82C330", "3F2504E0-4F89-11D3-9A0C-0305E82C33011",
            "3F2504E04F8911D39A0C0305E82C3301", "3F2504E0-4F89-11D3-9A0C-0305E82C330G", "3F2504E0+4F89-11D3-9A0C-0305E82C3301",
            "3F2504E0-4F89-11D3-9A0C-0305E82C33é",
        ] {
            #expect(UUID(parsing: bad) == nil, "\(bad)")
            #expect(UUID(uuidString: bad) == nil, "Foundation accepts \(bad)")
        }
    }
}
