import Foundation
import Synchronization

/// The source of "now" for everything that depends on time (staleness, tokens, SLA math).
///
/// Injected so tests move time instead of sleeping.
public protocol WallClock: Sendable {
    /// The current instant.
    func now() -> Date
}

/// The real clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to; for tests and simulations.
public final class ManualWallClock: WallClock {
    private let current: Mutex<Date>

    /// Starts at `start`, truncated to whole milliseconds (the store's resolution).
    public init(_ start: Date) {
        current = Mutex(Date(epochMilliseconds: start.epochMilliseconds))
    }

    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock forward by `seconds`.
    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// Sets the clock to `date`.
    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}

extension Date {
    /// Milliseconds since the Unix epoch: the resolution the store keeps.
    public var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    /// A date from milliseconds since the Unix epoch.
    public init(epochMilliseconds: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(epochMilliseconds) / 1000)
    }

    /// ISO 8601 in UTC with milliseconds, e.g. `2026-04-20T01:05:00.000Z`.
    public var iso8601: String { ISO8601.format(self) }
}

/// ISO 8601 formatting and parsing, with and without fractional seconds.
public enum ISO8601 {
    /// Formats `date` as `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` in UTC.
    public static func format(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(
                .colon
            ).timeZone(separator: .omitted))
    }

    /// Parses an ISO 8601 timestamp with or without fractional seconds; `nil` when it is not one.
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
