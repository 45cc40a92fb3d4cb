import AsyncHTTPClient
import Foundation
import ITOpsCore
import Logging

/// `itops-agent backup run`: runs a backup command and reports its outcome, size and duration.
public enum BackupWrapper {
    /// What the wrapped command did.
    public struct Outcome: Sendable {
        /// The command's exit code (127 when it could not start).
        public var exitCode: Int32
        /// What was reported.
        public var report: Reports.Backup
        /// Whether the server took the report now (otherwise it waits in the agent's buffer).
        public var delivered: Bool
    }

    /// Runs `command` (stdin, stdout and stderr inherited), then reports: exit 0 → success, else failed.
    /// An unreachable server gets three tries; after that the report goes to the agent's buffer
    /// directory, which a running agent sends later.
    public static func run(
        command: [String], service: String, sizeOf: String?, config: AgentConfig, logger: Logger
    ) async throws -> Outcome {
        let started = ContinuousClock.now
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        var code: Int32
        do {
            try process.runSerially()
            process.waitUntilExit()
            code = process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
        } catch {
            logger.error("backup command did not start", metadata: ["error": "\(error)"])
            code = 127
        }
        let took = ContinuousClock.now - started
        let finished = Date()
        let size = sizeOf.flatMap(Self.size(of:))
        let seconds = String(format: "%.1f", took.seconds)
        var message = code == 0 ? "\(command[0]) completed in \(seconds) s" : "\(command[0]) exited \(code) after \(seconds) s"
        if let size { message += ", \(size) bytes" }
        var report = Reports.Backup(
            service: service, nodeId: config.nodeId, status: code == 0 ? .success : .failed, sizeBytes: size,
            message: message, observedAt: nil)
        let fingerprint = String(decoding: try Reports.encode(report), as: UTF8.self)
        report.observedAt = Reports.timestamp(finished)
        let body = try Reports.encode(report)

        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let client = ITOpsClient(http: http, server: config.server)
        var delivered = false
        attempts: for attempt in 1...3 {
            switch await client.post("backup/report", body: body) {
            case .accepted:
                delivered = true
                break attempts
            case .rejected(let status, let error):
                try? await http.shutdown()
                logger.error("server refused the backup report", metadata: ["status": "\(status)", "error": "\(error)"])
                throw ReportBuffer.BufferError(message: "backup/report refused: HTTP \(status): \(error)")
            case .unavailable(let reason):
                logger.warning("server unavailable", metadata: ["attempt": "\(attempt)", "reason": "\(reason)"])
                if attempt < 3 {
                    try? await Task.sleep(for: Outbox.backoff(attempt: attempt, min: config.buffer.retryMin, max: config.buffer.retryMax))
                }
            }
        }
        try? await http.shutdown()
        if !delivered {
            let buffer = try ReportBuffer(
                directory: config.buffer.directory, maxBytes: config.buffer.maxBytes, maxEntries: config.buffer.maxEntries)
            try buffer.append(
                PendingReport(
                    path: "backup/report", key: "backup-run:\(service):\(UUID().uuidString)", fingerprint: fingerprint,
                    observedAt: finished, body: body))
            logger.warning("backup report buffered for the running agent", metadata: ["directory": "\(config.buffer.directory)"])
        }
        logger.info(
            "backup reported",
            metadata: ["service": "\(service)", "status": "\(report.status.rawValue)", "delivered": "\(delivered)"])
        return Outcome(exitCode: code, report: report, delivered: delivered)
    }

    /// The size of a file, or the total of the regular files under a directory.
    static func size(of path: String) -> Int64? {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        if !isDirectory.boolValue {
            return (try? manager.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
        }
        var total: Int64 = 0
        for case let name as String in manager.enumerator(atPath: path) ?? FileManager.DirectoryEnumerator() {
            let full = (path as NSString).appendingPathComponent(name)
            if let attributes = try? manager.attributesOfItem(atPath: full), attributes[.type] as? FileAttributeType == .typeRegular {
                total += (attributes[.size] as? NSNumber)?.int64Value ?? 0
            }
        }
        return total
    }
}
