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
