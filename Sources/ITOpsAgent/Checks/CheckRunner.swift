import AsyncHTTPClient
import Foundation
import ITOpsCore
import NIOCore
import NIOPosix

/// What one run of a check found.
public enum CheckOutput: Sendable, Equatable {
    /// A status for the service, with a message.
    case status(ServiceStatus, String)
    /// Disk usage of a file system (→ `storage/report`).
    case storage(allocatedBytes: Int64, usedBytes: Int64)
    /// The newest backup file: when it was written, how big, which (→ `backup/report` once per file).
    case backupFile(finishedAt: Date, sizeBytes: Int64, path: String)
    /// No backup file matched yet (nothing to report: the server flags the backup overdue).
    case noBackupFile(String)
}

/// Runs checks. Every run ends within the check's timeout.
public struct CheckRunner: Sendable {
    let http: HTTPClient
    let group: any EventLoopGroup
    /// The root of the process table (`/proc`; tests may point elsewhere).
    let procRoot: String

    /// A runner using `http` for HTTP checks and `group` for TCP and TLS connects.
    public init(http: HTTPClient, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, procRoot: String = "/proc") {
        self.http = http
        self.group = group
        self.procRoot = procRoot
    }

    /// Runs `check` once.
    public func run(_ check: Check) async -> CheckOutput {
        let timeout = check.timeout
        switch check.kind {
        case .http(let url, let expect, let body, let slow):
            return await httpCheck(url: url, expect: expect, bodyContains: body, degradedAfter: slow, timeout: timeout)
        case .tcp(let host, let port):
            return await tcpCheck(host: host, port: port, timeout: timeout)
        case .tls(let host, let port, let serverName, let warnBefore):
            return await TLSProbe.check(
                host: host, port: port, serverName: serverName, warnBefore: warnBefore, timeout: timeout, group: group)
        case .command(let arguments, let degraded):
            return await CommandProbe.run(arguments, degradedExitCodes: degraded, timeout: timeout)
        case .process(let name):
            return processCheck(name: name)
        case .disk(let path, _):
            return DiskProbe.usage(path: path)
        case .backupFile(let pattern):
            return BackupFileProbe.newest(matching: pattern)
        }
    }

    func httpCheck(url: String, expect: [Int], bodyContains: String?, degradedAfter: Duration?, timeout: Duration) async
        -> CheckOutput
    {
        let start = ContinuousClock.now
        do {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "User-Agent", value: "itops-agent/\(AgentVersion.current)")
            let response = try await http.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            let body = try await response.body.collect(upTo: 4 << 20)
            let took = ContinuousClock.now - start
            let code = Int(response.status.code)
            guard expect.contains(code) else { return .status(.down, "HTTP \(code)") }
            if let text = bodyContains, String(buffer: body).range(of: text) == nil {
                return .status(.down, "HTTP \(code) without '\(text)' in the body")
            }
            let ms = Int(took.seconds * 1000)
            if let limit = degradedAfter, took > limit {
                return .status(.degraded, "HTTP \(code) in \(ms) ms (slower than \(Int(limit.seconds * 1000)) ms)")
            }
            return .status(.operational, "HTTP \(code) in \(ms) ms")
        } catch {
            return .status(.down, "\(url): \(Self.describe(error))")
        }
    }

    func tcpCheck(host: String, port: Int, timeout: Duration) async -> CheckOutput {
        let start = ContinuousClock.now
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(.nanoseconds(timeout.nanoseconds))
                .connect(host: host, port: port).get()
            try? await channel.close()
            return .status(.operational, "connected to \(host):\(port) in \(Int((ContinuousClock.now - start).seconds * 1000)) ms")
        } catch {
            return .status(.down, "\(host):\(port): \(Self.describe(error))")
        }
    }

    func processCheck(name: String) -> CheckOutput {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: procRoot)) ?? []
        var count = 0
        for entry in entries where entry.allSatisfy(\.isNumber) {
            guard let comm = try? String(contentsOfFile: "\(procRoot)/\(entry)/comm", encoding: .utf8) else { continue }
            if comm.trimmingCharacters(in: .whitespacesAndNewlines) == name { count += 1 }
        }
        return count > 0 ? .status(.operational, "\(count) process\(count == 1 ? "" : "es") named \(name)")
            : .status(.down, "no process named \(name)")
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }
}

/// Disk usage through statvfs.
enum DiskProbe {
    static func usage(path: String) -> CheckOutput {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return .status(.down, "statvfs \(path): errno \(errno)") }
        let block = Int64(info.f_frsize)
        let allocated = Int64(info.f_blocks) * block
        let used = (Int64(info.f_blocks) - Int64(info.f_bfree)) * block
        guard allocated > 0 else { return .status(.down, "\(path): the file system reports no size") }
        return .storage(allocatedBytes: allocated, usedBytes: max(0, min(used, allocated)))
    }
}

/// The newest file matching a glob in the last path component.
enum BackupFileProbe {
    static func newest(matching pattern: String) -> CheckOutput {
        let directory = (pattern as NSString).deletingLastPathComponent
        let glob = (pattern as NSString).lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        var best: (Date, Int64, String)?
        for name in names where fnmatch(glob, name, 0) == 0 {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                (attributes[.type] as? FileAttributeType) == .typeRegular,
                let modified = attributes[.modificationDate] as? Date
            else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            if best == nil || modified > best!.0 { best = (modified, size, path) }
        }
        guard let best else { return .noBackupFile("no file matches \(pattern)") }
        return .backupFile(finishedAt: best.0, sizeBytes: best.1, path: best.2)
    }
}
