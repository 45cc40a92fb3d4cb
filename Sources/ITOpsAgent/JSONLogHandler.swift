import Foundation
import Logging

/// One JSON object per line on standard error: `ts`, `level`, `logger`, `msg` and the metadata as fields.
public struct JSONLogHandler: LogHandler {
    /// Metadata added to every line.
    public var metadata: Logger.Metadata = [:]
    /// The lowest level written.
    public var logLevel: Logger.Level = .info
    let label: String

    /// A handler for the logger `label`.
    public init(label: String) { self.label = label }

    /// One metadata value.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line.
    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = "\(value)"
        }
        fields["ts"] = Reports.timestamp(Date())
        fields["level"] = event.level.rawValue
        fields["logger"] = label
        fields["msg"] = "\(event.message)"
        guard var line = try? Reports.encode(fields) else { return }
        line.append(UInt8(ascii: "\n"))
        FileHandle.standardError.write(line)
    }
}
