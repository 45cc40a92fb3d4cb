import Testing

@testable import ITOpsStore

@Suite("Store column names")
struct SnakeCaseColumnsTests {
    @Test("record keys map to columns as SQLKit's convertFromSnakeCase maps them, cached")
    func conversion() {
        let cases = [
            "id": "id", "nodeId": "node_id", "backupMaxAgeDays": "backup_max_age_days",
            "expectedIntervalSeconds": "expected_interval_seconds", "lastHTTPStatus": "last_hTTP_status",
            "a": "a", "": "",
        ]
        for (key, column) in cases {
            #expect(SnakeCaseColumns.column(for: key) == column, "\(key)")
            #expect(SnakeCaseColumns.column(for: key) == column, "\(key), from the cache")
        }
    }
}
