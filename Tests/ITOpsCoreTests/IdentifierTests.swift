import Foundation
import ITOpsCore
import Testing

@Suite("Node paths and names")
struct IdentifierTests {
    @Test("a node path of 1–8 segments of [A-Za-z0-9._-] is valid and lists its prefixes")
    func validPath() throws {
        let path = try NodePath(validating: "myorg/platform/prod/cluster1")
        #expect(
            path.chain.map(\.value) == [
                "myorg", "myorg/platform", "myorg/platform/prod", "myorg/platform/prod/cluster1",
            ])
        #expect(path.parent?.value == "myorg/platform/prod")
        #expect(path.name == "cluster1")
        #expect(try NodePath(validating: "a").parent == nil)
    }

    @Test(
        "invalid node paths are refused naming the field",
        arguments: [
            "", "/a", "a/", "a//b", "a b", "a/b/c/d/e/f/g/h/i", "ü", String(repeating: "a", count: 256), "a/../b?",
        ]
    )
    func invalidPath(_ text: String) {
        #expect(throws: ITOpsError.self) { try NodePath(validating: text, field: "nodeId") }
        do {
            _ = try NodePath(validating: text, field: "nodeId")
        } catch {
            #expect(error.message.hasPrefix("nodeId:"))
            #expect(error.code == .invalid)
        }
    }

    @Test("service names are 1–128 characters of [A-Za-z0-9._-]")
    func names() throws {
        try Identifier.validateName("my-api_1.0", field: "name")
        #expect(throws: ITOpsError.self) { try Identifier.validateName("", field: "name") }
        #expect(throws: ITOpsError.self) { try Identifier.validateName("a/b", field: "name") }
        #expect(throws: ITOpsError.self) {
            try Identifier.validateName(String(repeating: "x", count: 129), field: "name")
        }
        try Identifier.validateName(String(repeating: "x", count: 128), field: "name")
    }
}

@Suite("Storage and backup rules")
struct RuleTests {
    @Test("freePercent is round(100 × (allocated − used) / allocated)")
    func freePercent() {
        #expect(Storage.freePercent(allocated: 107_374_182_400, used: 53_687_091_200) == 50)
        #expect(Storage.freePercent(allocated: 3, used: 1) == 67)
        #expect(Storage.freePercent(allocated: 1000, used: 1000) == 0)
        #expect(Storage.freePercent(allocated: Int64.max, used: 0) == 100)
    }

    @Test("storage states: > 30 % healthy, 10–30 % warning, < 10 % critical")
    func states() {
        #expect(Storage.state(freePercent: 31) == .healthy)
        #expect(Storage.state(freePercent: 30) == .warning)
        #expect(Storage.state(freePercent: 10) == .warning)
        #expect(Storage.state(freePercent: 9) == .critical)
    }

    @Test("a backup is overdue when expected and no success within maxAgeDays; never-backed-up counts from creation")
    func overdue() {
        let created = Date(timeIntervalSince1970: 0)
        var backup = BackupState()
        #expect(!backup.isOverdue(now: created.addingTimeInterval(10 * 86_400), createdAt: created))
        backup.expected = true
        backup.maxAgeDays = 1
        #expect(!backup.isOverdue(now: created.addingTimeInterval(86_400), createdAt: created))
        #expect(backup.isOverdue(now: created.addingTimeInterval(86_401), createdAt: created))
        backup.lastSuccessAt = created.addingTimeInterval(86_000)
        #expect(!backup.isOverdue(now: created.addingTimeInterval(86_401), createdAt: created))
    }
}
