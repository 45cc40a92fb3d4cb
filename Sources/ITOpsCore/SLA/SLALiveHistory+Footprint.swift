import Foundation

/// One structure of the SLA copy in memory: how many elements it holds and the bytes they take.
public struct SLAFootprintItem: Sendable, Equatable {
    public var name: String
    public var count: Int
    /// Bytes of the elements' storage (capacity × stride, plus the buffers' headers); strings
    /// stored out of line (longer than 15 UTF-8 bytes) are not counted.
    public var bytes: Int
}

extension SLAEngine {
    /// What the copy of the live month holds now, structure by structure (`itops-sla-bench`
    /// prints it beside the RSS): the measurement behind docs/sla.md's memory figures.
    public func liveFootprint() -> [SLAFootprintItem] {
        var items = live.footprint()
        if let month = closedMonths.kept {
            items.append(
                .init(
                    name: "closed month rows by service id (ClosedMonthCache)", count: month.services.count,
                    bytes: month.services.count * (16 + MemoryLayout<AvailabilityFigures>.stride)))
        }
        return items
    }
}

extension SLAFootprintItem {
    /// A buffer's header (object header and count/capacity) plus malloc's chunk header.
    static let bufferOverhead = 32 + 16

    static func array<T>(_ array: [T]) -> Int {
        array.capacity == 0 ? 0 : array.capacity * MemoryLayout<T>.stride + bufferOverhead
    }

    static func dictionary<K, V>(_ dictionary: [K: V]) -> Int {
        // Native dictionaries keep a power-of-two number of buckets: keys, values and a bitmap.
        guard dictionary.capacity > 0 else { return 0 }
        var buckets = 1
        while Double(buckets) * 0.75 < Double(dictionary.capacity) { buckets *= 2 }
        return buckets * (MemoryLayout<K>.stride + MemoryLayout<V>.stride) + buckets / 8 + 64 + bufferOverhead
    }
}

extension SLALiveHistory.State {
    func footprint() -> [SLAFootprintItem] {
        typealias Item = SLAFootprintItem
        var items: [Item] = []
        items.append(.init(name: "inventory: services", count: inventory.services.count, bytes: Item.array(inventory.services)))
        let indices = inventory.memberIndices.values
        items.append(
            .init(
                name: "inventory: member places by group", count: indices.reduce(0) { $0 + $1.count },
                bytes: indices.reduce(Item.dictionary(inventory.memberIndices)) { $0 + Item.array($1) }))
        items.append(.init(name: "per-service state by place", count: held.count, bytes: Item.array(held)))
        items.append(.init(name: "services unknown to the inventory", count: strays.count, bytes: Item.dictionary(strays)))
        let all = held + strays.values
        let changes = all.reduce(into: (count: 0, bytes: 0)) {
            $0.count += $1.changes.count
            $0.bytes += Item.array($1.changes)
        }
        items.append(.init(name: "transitions held", count: changes.count, bytes: changes.bytes))
        let windows = all.reduce(into: (count: 0, bytes: 0)) {
            $0.count += $1.windows.count
            $0.bytes += Item.array($1.windows)
        }
        items.append(.init(name: "exclusion windows held", count: windows.count, bytes: windows.bytes))
        items.append(.init(name: "place by service id", count: index.count, bytes: Item.dictionary(index)))
        items.append(.init(name: "definitions by place", count: definitions.count, bytes: Item.array(definitions)))
        items.append(.init(name: "budget terms by place", count: budgets.count, bytes: Item.array(budgets)))
        items.append(.init(name: "in a group, by place", count: grouped.count, bytes: Item.array(grouped)))
        if let closed {
            items.append(.init(name: "closed month figures by place", count: closed.figures.count, bytes: Item.array(closed.figures)))
        }
        let timelines = cache.services.reduce(into: (count: 0, segments: 0, bytes: Item.array(cache.services))) {
            guard let timeline = $1 else { return }
            $0.count += 1
            $0.segments += timeline.segments.count
            $0.bytes += Item.array(timeline.segments)
        }
        items.append(
            .init(
                name: "cached month timelines (\(timelines.segments) segments)", count: timelines.count,
                bytes: timelines.bytes))
        let groups = cache.groups.values.reduce(into: (segments: 0, bytes: Item.dictionary(cache.groups))) {
            $0.segments += $1.segments.count
            $0.bytes += Item.array($1.segments)
        }
        items.append(
            .init(
                name: "cached group timelines (\(groups.segments) segments)", count: cache.groups.count,
                bytes: groups.bytes))
        return items
    }
}
