import Foundation
import Testing

@testable import ITOpsCore

/// The live month's copy takes each transition once: PostgreSQL's feed repeats recent rows, and a
/// relinked transition comes again with the same id and time and a higher sequence.
@Suite("SLA live month: merging the feed")
struct SLALiveHistoryMergeTests {
    private func change(_ seq: Int64, _ id: UUID, at: Int64, from: ServiceStatus?, to: ServiceStatus)
        -> SLALiveHistory.Change
    {
        SLALiveHistory.Change(seq: seq, id: id, at: at, from: from, to: to)
    }

    private func tags(_ ids: UUID...) -> [UInt64] { ids.map(SLALiveHistory.Change.tag) }

    @Test func aChangeKeepsItsSequenceAndBothStatusesIn24Bytes() {
        #expect(MemoryLayout<SLALiveHistory.Change>.stride == 24)
        let id = UUID()
        for from in ServiceStatus.allCases.map(Optional.some) + [nil] {
            for to in ServiceStatus.allCases {
                for seq: Int64 in [0, 1, 255, 256, 1 << 40, (1 << 55) - 1] {
                    let made = change(seq, id, at: -5, from: from, to: to)
                    #expect(made.seq == seq && made.from == from && made.to == to && made.at == -5)
                    #expect(made.tag == SLALiveHistory.Change.tag(id))
                }
            }
        }
        #expect(SLALiveHistory.Change.tag(UUID()) != SLALiveHistory.Change.tag(UUID()))
    }

    @Test func repeatedRowsAreSkippedAndRewrittenOnesReplaced() {
        let (a, b, c) = (UUID(), UUID(), UUID())
        var changes: [SLALiveHistory.Change] = []
        var took: Bool
        took = changes.merge(change(1, a, at: 100, from: nil, to: .operational))
        #expect(took)
        took = changes.merge(change(2, b, at: 200, from: .operational, to: .down))
        #expect(took)
        // Read again: nothing changes.
        took = changes.merge(change(2, b, at: 200, from: .operational, to: .down))
        #expect(!took)
        #expect(changes.count == 2)
        // Same instant, another transition: both kept, in sequence order.
        took = changes.merge(change(3, c, at: 200, from: .down, to: .degraded))
        #expect(took)
        #expect(changes.map(\.tag) == tags(a, b, c))
        // b relinked: same id and time, a higher sequence and another `from`; it takes b's place by
        // (time, sequence), after c.
        took = changes.merge(change(7, b, at: 200, from: .maintenance, to: .down))
        #expect(took)
        #expect(changes.map(\.tag) == tags(a, c, b))
        #expect(changes.last?.from == .maintenance)
        // An older version of b arriving late is ignored.
        took = changes.merge(change(2, b, at: 200, from: .operational, to: .down))
        #expect(!took)
        #expect(changes.count == 3)
        // Out of order in time: placed by time.
        took = changes.merge(change(8, UUID(), at: 150, from: .operational, to: .unknown))
        #expect(took)
        #expect(changes.map(\.at) == [100, 150, 200, 200])
    }
}
