import Foundation
import Synchronization

/// A report waiting to be sent: the API path, the JSON body, and what it is about.
public struct PendingReport: Codable, Sendable, Equatable {
    /// The path under `/api/v1/`, e.g. `operator/status`.
    public var path: String
    /// Reports with the same key describe the same thing (`status`, `storage:db`); see `fingerprint`.
    public var key: String
    /// The body without its `observedAt`: two reports of one key with equal fingerprints say the same.
    public var fingerprint: String
    /// When the agent observed what the report says.
    public var observedAt: Date
    /// The JSON body, `observedAt` included.
    public var body: Data

    /// A report of these parts.
    public init(path: String, key: String, fingerprint: String, observedAt: Date, body: Data) {
        self.path = path
        self.key = key
        self.fingerprint = fingerprint
        self.observedAt = observedAt
        self.body = body
    }
}

/// The agent's outbox on disk: one file per report in a directory, written with fsync before it counts,
/// read back oldest first, bounded in bytes and count (the oldest are dropped and counted beyond).
///
/// Every report goes through it, so a report survives both an unreachable server and an agent restart.
/// A report whose key's newest buffered report has the same fingerprint is not stored again: the earlier
/// one already marks when that state began, and the server keeps the time of a change, not of every repeat.
/// Other processes (`itops-agent backup run`) may drop files into the same directory; `rescan()` finds them.
public final class ReportBuffer: Sendable {
    struct Entry: Sendable {
        var name: String
        var size: Int
        var key: String
        var fingerprint: String
    }

    struct State: Sendable {
        var entries: [Entry] = []
        var bytes = 0
        var lastOrdinal: UInt64 = 0
        var dropped = 0
        var coalesced = 0
    }

    /// The directory.
    public let directory: URL
    let maxBytes: Int
    let maxEntries: Int
    private let state = Mutex(State())

    /// Opens (creating, mode 0700) the directory and indexes the reports already in it.
    public init(directory: String, maxBytes: Int, maxEntries: Int) throws {
        self.directory = URL(fileURLWithPath: directory, isDirectory: true)
        self.maxBytes = maxBytes
        self.maxEntries = maxEntries
        try FileManager.default.createDirectory(
            at: self.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        rescan()
    }

    /// Reports waiting.
    public var count: Int { state.withLock { $0.entries.count } }
    /// Bytes waiting.
    public var bytes: Int { state.withLock { $0.bytes } }
    /// Reports dropped because the buffer was full, since start.
    public var dropped: Int { state.withLock { $0.dropped } }
    /// Reports not stored because they repeated their key's newest buffered report, since start.
    public var coalesced: Int { state.withLock { $0.coalesced } }

    /// Re-reads the directory (reports other processes wrote; files removed by hand).
    public func rescan() {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
        var entries: [Entry] = []
        for name in names {
            let url = directory.appendingPathComponent(name)
            guard let data = try? Data(contentsOf: url), let report = try? JSONDecoder().decode(PendingReport.self, from: data)
            else {
                // A torn or foreign file: a report half-written by a crash never counted, so it goes.
                try? FileManager.default.removeItem(at: url)
                continue
            }
            entries.append(Entry(name: name, size: data.count, key: report.key, fingerprint: report.fingerprint))
        }
        state.withLock { state in
            state.entries = entries
            state.bytes = entries.reduce(0) { $0 + $1.size }
            if let last = entries.last, let ordinal = UInt64(last.name.prefix(20)) {
                state.lastOrdinal = max(state.lastOrdinal, ordinal)
            }
        }
    }

    /// Stores `report` durably (unless it repeats its key's newest report); returns whether it was stored.
    @discardableResult
    public func append(_ report: PendingReport) throws -> Bool {
        let data = try JSONEncoder().encode(report)
        let name: String? = state.withLock { state in
            if let previous = state.entries.last(where: { $0.key == report.key }), previous.fingerprint == report.fingerprint {
                state.coalesced += 1
                return nil
            }
            let now = UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000_000))
            state.lastOrdinal = max(state.lastOrdinal + 1, now)
            return String(format: "%020llu-%08x.json", state.lastOrdinal, UInt32.random(in: 0...UInt32.max))
        }
        guard let name else { return false }
        try Self.writeDurably(data, name: name, in: directory)
        let victims: [String] = state.withLock { state in
            state.entries.append(Entry(name: name, size: data.count, key: report.key, fingerprint: report.fingerprint))
            state.bytes += data.count
            var victims: [String] = []
            while state.entries.count > 1, state.entries.count > maxEntries || state.bytes > maxBytes {
                let victim = state.entries.removeFirst()
                state.bytes -= victim.size
                state.dropped += 1
                victims.append(victim.name)
            }
            return victims
        }
        for victim in victims { try? FileManager.default.removeItem(at: directory.appendingPathComponent(victim)) }
        return true
    }

    /// The oldest report, without removing it.
    public func oldest() -> (name: String, report: PendingReport)? {
        while let entry = state.withLock({ $0.entries.first }) {
            let url = directory.appendingPathComponent(entry.name)
            if let data = try? Data(contentsOf: url), let report = try? JSONDecoder().decode(PendingReport.self, from: data) {
                return (entry.name, report)
            }
            remove(entry.name)
        }
        return nil
    }

    /// Removes a report once the server has answered it.
    public func remove(_ name: String) {
        state.withLock { state in
            if let index = state.entries.firstIndex(where: { $0.name == name }) {
                state.bytes -= state.entries[index].size
                state.entries.remove(at: index)
            }
        }
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
    }

    /// Writes `data` to a temporary file, fsyncs it, renames it into place and fsyncs the directory, so a
    /// report is either whole on disk or absent after a crash.
    static func writeDurably(_ data: Data, name: String, in directory: URL) throws {
        let temporary = directory.appendingPathComponent(".\(name).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw BufferError(message: "cannot create \(temporary.path): errno \(errno)") }
        var ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary.path, directory.appendingPathComponent(name).path) == 0 else {
            unlink(temporary.path)
            throw BufferError(message: "cannot write \(name) in \(directory.path): errno \(errno)")
        }
        let dir = open(directory.path, O_RDONLY)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }

    /// A buffer file that could not be written.
    public struct BufferError: Error, CustomStringConvertible {
        /// What went wrong.
        public let message: String
        /// The message.
        public var description: String { message }
    }
}
