import Foundation

/// UTC calendar periods of the SLA engine: 5-minute buckets, days and months, in epoch milliseconds.
public enum SLAPeriod {
    public static let minute: Int64 = 60_000
    public static let bucket: Int64 = 5 * minute
    public static let day: Int64 = 86_400_000

    public enum Kind: String, Vocabulary {
        case daily = "DAILY"
        case monthly = "MONTHLY"
        public static let vocabularyName = "periodType"
    }

    /// Epoch milliseconds of a date.
    public static func ms(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
    /// The date of epoch milliseconds.
    public static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

    /// Floor division that is right for negative times too.
    static func floor(_ value: Int64, _ unit: Int64) -> Int64 {
        let quotient = value / unit
        return (value % unit < 0 ? quotient - 1 : quotient) * unit
    }

    /// The start of the 5-minute bucket holding `t`.
    public static func bucketStart(_ t: Int64) -> Int64 { floor(t, bucket) }
    /// The start of the UTC day holding `t`.
    public static func dayStart(_ t: Int64) -> Int64 { floor(t, day) }

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// The start of the UTC month holding `t`, moved by `offset` months.
    public static func monthStart(_ t: Int64, offset: Int = 0) -> Int64 {
        let parts = utc.dateComponents([.year, .month], from: date(t))
        var components = DateComponents()
        components.year = parts.year
        components.month = (parts.month ?? 1) + offset
        components.day = 1
        return ms(utc.date(from: components)!)
    }

    /// `2026-04-20T01:05Z`.
    public static func bucketKey(_ t: Int64) -> String {
        let parts = utc.dateComponents([.year, .month, .day, .hour, .minute], from: date(t))
        return String(
            format: "%04d-%02d-%02dT%02d:%02dZ", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!)
    }

    /// `2026-04-20`.
    public static func dayKey(_ t: Int64) -> String {
        let parts = utc.dateComponents([.year, .month, .day], from: date(t))
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    /// `2026-04`.
    public static func monthKey(_ t: Int64) -> String {
        let parts = utc.dateComponents([.year, .month], from: date(t))
        return String(format: "%04d-%02d", parts.year!, parts.month!)
    }

    /// The start of the day written `YYYY-MM-DD`; `nil` for anything else (including `2026-02-30`).
    public static func parseDay(_ text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let dayOfMonth = Int(parts[2])
        else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = dayOfMonth
        guard let date = utc.date(from: components), dayKey(ms(date)) == text else { return nil }
        return ms(date)
    }
}
