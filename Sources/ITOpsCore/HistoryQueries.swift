import Foundation

/// A position in a service's status history, newest first: `(at, id)` descending.
public struct HistoryCursor: Sendable, Equatable {
    public var at: Date
    public var id: UUID
    public init(at: Date, id: UUID) {
        self.at = at
        self.id = id
    }
}

/// The service page's status history, a page at a time (a flapping service has thousands).
public protocol StatusHistoryReader: Sendable {
    /// Transitions of `serviceId`, newest first, after `cursor`, at most `limit`.
    func statusHistory(serviceId: UUID, after cursor: HistoryCursor?, limit: Int) async throws -> [StatusTransition]
    /// How many transitions `serviceId` has.
    func statusHistoryCount(serviceId: UUID) async throws -> Int
}

extension StoreReader {
    /// The reader's history query; stores without one answer from `transitions(serviceId:)`.
    public var historyQueries: any StatusHistoryReader {
        (self as? any StatusHistoryReader) ?? AllTransitionsHistory(reader: self)
    }
}

/// `StatusHistoryReader` over every transition of the service (for stores without SQL).
struct AllTransitionsHistory: StatusHistoryReader {
    let reader: any StoreReader

    func statusHistory(serviceId: UUID, after cursor: HistoryCursor?, limit: Int) async throws -> [StatusTransition] {
        let key = { (t: StatusTransition) in (t.at, t.id.stored) }
        let newestFirst = try await reader.transitions(serviceId: serviceId).sorted { key($0) > key($1) }
        guard let cursor else { return Array(newestFirst.prefix(limit)) }
        return Array(newestFirst.filter { key($0) < (cursor.at, cursor.id.stored) }.prefix(limit))
    }

    func statusHistoryCount(serviceId: UUID) async throws -> Int {
        try await reader.transitions(serviceId: serviceId).count
    }
}

/// How many services one node holds in one status (the node itself, not the nodes below it).
public struct NodeStatusCount: Sendable, Equatable {
    public var nodeId: String
    public var status: ServiceStatus
    public var count: Int
    public init(nodeId: String, status: ServiceStatus, count: Int) {
        self.nodeId = nodeId
        self.status = status
        self.count = count
    }
}

/// The services tree's counts: one grouped read for the whole hierarchy.
public protocol NodeStatusCountReader: Sendable {
    /// Services per node and status, by node.
    func nodeStatusCounts() async throws -> [NodeStatusCount]
}

extension StoreReader {
    /// The reader's grouped count; stores without one count by walking every service.
    public var nodeCountQueries: any NodeStatusCountReader {
        (self as? any NodeStatusCountReader) ?? ScanningNodeStatusCounts(reader: self)
    }
}

/// `NodeStatusCountReader` over any `StoreReader` (for stores without SQL).
struct ScanningNodeStatusCounts: NodeStatusCountReader {
    let reader: any StoreReader

    func nodeStatusCounts() async throws -> [NodeStatusCount] {
        var counts: [String: [ServiceStatus: Int]] = [:]
        var cursor: ServiceCursor?
        while true {
            let page = try await reader.services(matching: ServiceFilter(), after: cursor, limit: 500)
            for service in page { counts[service.nodeId.value, default: [:]][service.status, default: 0] += 1 }
            guard page.count == 500, let last = page.last else { break }
            cursor = ServiceCursor(nodeId: last.nodeId.value, name: last.name)
        }
        return counts.keys.sorted().flatMap { node in
            counts[node]!.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                NodeStatusCount(nodeId: node, status: $0.key, count: $0.value)
            }
        }
    }
}
