import Foundation
import Testing

@testable import ITOpsAgent

@Suite("On-disk report buffer")
struct ReportBufferTests {
    func report(_ key: String, _ state: String, at seconds: TimeInterval = 0) -> PendingReport {
        PendingReport(
            path: "operator/status", key: key, fingerprint: state, observedAt: Date(timeIntervalSince1970: seconds),
            body: Data("{\"state\":\"\(state)\",\"t\":\(seconds)}".utf8))
    }

    @Test("reports come back oldest first, also after the buffer is reopened (a restarted agent)")
    func durableAndOrdered() throws {
        let directory = scratchDirectory("buffer")
        defer { try? FileManager.default.removeItem(at: directory) }
        let buffer = try ReportBuffer(directory: directory.path, maxBytes: 1 << 20, maxEntries: 100)
        for i in 0..<5 { try buffer.append(report("k\(i)", "s", at: Double(i))) }
        let reopened = try ReportBuffer(directory: directory.path, maxBytes: 1 << 20, maxEntries: 100)
        #expect(reopened.count == 5)
        var seen: [TimeInterval] = []
        while let (name, report) = reopened.oldest() {
            seen.append(report.observedAt.timeIntervalSince1970)
            reopened.remove(name)
        }
        #expect(seen == [0, 1, 2, 3, 4])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("a report that repeats its key's newest buffered state is not stored; a change is")
    func coalesces() throws {
        let directory = scratchDirectory("coalesce")
        defer { try? FileManager.default.removeItem(at: directory) }
        let buffer = try ReportBuffer(directory: directory.path, maxBytes: 1 << 20, maxEntries: 100)
        #expect(try buffer.append(report("status", "DOWN", at: 1)))
        #expect(try !buffer.append(report("status", "DOWN", at: 2)))
        #expect(try buffer.append(report("other", "DOWN", at: 3)))
        #expect(try buffer.append(report("status", "UP", at: 4)))
        #expect(buffer.count == 3)
        #expect(buffer.coalesced == 1)
        #expect(buffer.oldest()?.report.observedAt == Date(timeIntervalSince1970: 1))
    }

    @Test("beyond its bounds the oldest reports are dropped and counted")
    func bounded() throws {
        let directory = scratchDirectory("bounded")
        defer { try? FileManager.default.removeItem(at: directory) }
        let buffer = try ReportBuffer(directory: directory.path, maxBytes: 1 << 20, maxEntries: 3)
        for i in 0..<10 { try buffer.append(report("k\(i)", "s", at: Double(i))) }
        #expect(buffer.count == 3)
        #expect(buffer.dropped == 7)
        #expect(buffer.oldest()?.report.observedAt == Date(timeIntervalSince1970: 7))
        let bytes = try ReportBuffer(directory: scratchDirectory("bytes").path, maxBytes: 4096, maxEntries: 1000)
        for i in 0..<100 { try bytes.append(report("k\(i)", "s", at: Double(i))) }
        #expect(bytes.bytes <= 4096)
        #expect(bytes.dropped > 0)
    }

    @Test("a torn file left by a crash is discarded, not sent")
    func tornFile() throws {
        let directory = scratchDirectory("torn")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("{\"path\": \"operator/sta".utf8).write(to: directory.appendingPathComponent("00000000000000000001-00000000.json"))
        let buffer = try ReportBuffer(directory: directory.path, maxBytes: 1 << 20, maxEntries: 100)
        #expect(buffer.count == 0)
    }

    @Test("backoff doubles from the minimum up to the maximum, drawn between half and all of it")
    func backoff() {
        for attempt in 1...10 {
            let wait = Outbox.backoff(attempt: attempt, min: .milliseconds(100), max: .seconds(2))
            let full = min(0.1 * pow(2, Double(attempt - 1)), 2)
            #expect(wait.seconds >= full / 2 - 0.001 && wait.seconds <= full + 0.001)
        }
    }
}
