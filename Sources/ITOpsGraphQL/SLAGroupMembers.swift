import Foundation
import ITOpsCore
import Synchronization

/// A data loader: the members of every SLA group of one answer, read with one query the first
/// time any group's `services` is resolved, and not at all when no group asks.
final class SLAGroupMembers: Sendable {
    private let names: [String]
    private let reader: any StoreReader
    private let load = Mutex<Task<[String: [Service]], any Error>?>(nil)

    init(names: [String], reader: any StoreReader) {
        self.names = names
        self.reader = reader
    }

    /// The services of the group `name`, in `(nodeId, name)` order.
    func services(of name: String) async throws -> [Service] {
        let names = names
        let reader = reader
        let task = load.withLock { task in
            if let task { return task }
            let started = Task {
                Dictionary(grouping: try await reader.services(inSLAGroups: names), by: { $0.slaGroup ?? "" })
            }
            task = started
            return started
        }
        return try await task.value[name] ?? []
    }
}
