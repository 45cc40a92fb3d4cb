import Foundation

/// A position in the backups list: overdue services first, then by `(nodeId, name)`.
public struct BackupListCursor: Sendable, Equatable {
    public var overdue: Bool
    public var nodeId: String
    public var name: String
    public init(overdue: Bool, nodeId: String, name: String) {
        self.overdue = overdue
        self.nodeId = nodeId
        self.name = name
    }
}

/// The Backups screen's read: services that expect backups, overdue ones first, a page at a time.
public protocol BackupListReader: Sendable {
    /// Services with `backup.expected`, overdue first, then by node and name, after `cursor`.
    func servicesExpectingBackup(
        overdueOnly: Bool, scope: [NodePath]?, after cursor: BackupListCursor?, limit: Int
    ) async throws
        -> [Service]
    /// How many services expect backups (`overdueOnly`: and are overdue; `scope`: under its prefixes).
    func countServicesExpectingBackup(overdueOnly: Bool, scope: [NodePath]?) async throws -> Int
}

extension StoreReader {
    /// The reader's backup list; stores without one answer by walking every service.
    public var backupQueries: any BackupListReader {
        (self as? any BackupListReader) ?? ScanningBackupQueries(reader: self)
    }
}

/// `BackupListReader` over any `StoreReader`: reads every service (for stores without SQL).
struct ScanningBackupQueries: BackupListReader {
    let reader: any StoreReader

    private func all(overdueOnly: Bool, scope: [NodePath]?) async throws -> [Service] {
        var found: [Service] = []
        var cursor: ServiceCursor?
        while true {
            var filter = ServiceFilter()
            filter.scope = scope
            let page = try await reader.services(matching: filter, after: cursor, limit: 500)
            found += page.filter { $0.backup.expected && (!overdueOnly || $0.backup.overdue) }
            guard page.count == 500, let last = page.last else { break }
            cursor = ServiceCursor(nodeId: last.nodeId.value, name: last.name)
        }
        return found.sorted {
            ($0.backup.overdue ? 0 : 1, $0.nodeId.value, $0.name) < ($1.backup.overdue ? 0 : 1, $1.nodeId.value, $1.name)
        }
    }

    func servicesExpectingBackup(
        overdueOnly: Bool, scope: [NodePath]?, after cursor: BackupListCursor?, limit: Int
    ) async throws
        -> [Service]
    {
        let sorted = try await all(overdueOnly: overdueOnly, scope: scope)
        guard let cursor else { return Array(sorted.prefix(limit)) }
        let key = (cursor.overdue ? 0 : 1, cursor.nodeId, cursor.name)
        return Array(sorted.filter { ($0.backup.overdue ? 0 : 1, $0.nodeId.value, $0.name) > key }.prefix(limit))
    }

    func countServicesExpectingBackup(overdueOnly: Bool, scope: [NodePath]?) async throws -> Int {
        try await all(overdueOnly: overdueOnly, scope: scope).count
    }
}
