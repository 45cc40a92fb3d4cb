import Foundation

/// A closed vocabulary of string values, decoded with an error that lists the allowed spellings.
public protocol Vocabulary: RawRepresentable, CaseIterable, Codable, Sendable, Hashable
where RawValue == String {
    /// What the vocabulary is called in error messages, e.g. "status".
    static var vocabularyName: String { get }
}

extension Vocabulary {
    /// The allowed spellings joined by `|`, e.g. `OPERATIONAL|DEGRADED|DOWN`.
    public static var allowedSpellings: String { allCases.map(\.rawValue).joined(separator: "|") }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let value = Self(rawValue: raw) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "must be one of \(Self.allowedSpellings), not '\(raw)'"
            )
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The status of a service, spelled as in the API reference.
public enum ServiceStatus: String, Vocabulary {
    case operational = "OPERATIONAL"
    case degraded = "DEGRADED"
    case down = "DOWN"
    case maintenance = "MAINTENANCE"
    case unknown = "UNKNOWN"
    public static let vocabularyName = "status"
}

/// How much a service matters; the same set as SLA tiers.
public enum Criticality: String, Vocabulary {
    case critical, high, medium, low
    public static let vocabularyName = "criticality"
}

/// Which ingest path created a service.
public enum ServiceSource: String, Vocabulary {
    case `operator`, register, push, backup, storage, `import`
    public static let vocabularyName = "source"
}

/// The outcome of a backup run.
public enum BackupOutcome: String, Vocabulary {
    case success, failed, partial
    public static let vocabularyName = "backup status"
}

/// The fill state of a storage volume.
public enum StorageState: String, Vocabulary {
    case healthy, warning, critical
    public static let vocabularyName = "storage status"
}

/// What a user may do: viewers read, operators also write through the agent API, admins manage.
public enum Role: String, Vocabulary, Comparable {
    case viewer, `operator`, admin
    public static let vocabularyName = "role"

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}
