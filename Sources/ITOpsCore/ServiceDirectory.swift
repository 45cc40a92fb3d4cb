import Foundation
import Synchronization

/// Remembers, for services seen recently, their id and the status last committed by this process,
/// so that a push on a known service skips the look-up by `(nodeId, name)`.
///
/// The directory is a hint, never the truth: the write it saves is a compare-and-set
/// (`StoreWriter.updateService(_:ifStatus:_:)`) that only applies while the database still holds
/// the remembered status. A stale entry — a rolled-back write, another instance or the staleness
/// sweep changing the status — costs one failed compare and the usual look-up, never a wrong
/// transition. Entries are stored only after the transaction that produced them committed.
/// Services are never deleted, so an id, once known, stays right.
public final class ServiceDirectory: Sendable {
    /// A service's identity and the status this process last saw committed.
    public struct Entry: Sendable, Equatable {
        public var id: UUID
        public var status: ServiceStatus

        public init(id: UUID, status: ServiceStatus) {
            self.id = id
            self.status = status
        }
    }

    private struct Key: Hashable {
        let node: String
        let name: String
    }

    private let capacity: Int
    private let entries = Mutex([Key: Entry]())

    /// `capacity` bounds memory: past it, the directory starts over (each entry is ~100 bytes).
    public init(capacity: Int = 1_000_000) { self.capacity = capacity }

    public func lookup(node: NodePath, name: String) -> Entry? {
        entries.withLock { $0[Key(node: node.value, name: name)] }
    }

    /// Records what a committed transaction left behind.
    public func remember(node: NodePath, name: String, _ entry: Entry) {
        entries.withLock { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[Key(node: node.value, name: name)] = entry
        }
    }

    /// Forgets one service (its entry proved stale).
    public func forget(node: NodePath, name: String) {
        _ = entries.withLock { $0.removeValue(forKey: Key(node: node.value, name: name)) }
    }

    /// How many services are remembered.
    public var count: Int { entries.withLock { $0.count } }
}
