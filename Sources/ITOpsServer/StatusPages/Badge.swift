import Foundation
import ITOpsCore

/// The SVG badges people put in READMEs: a grey label on the left, a coloured value on the right.
enum Badge {
    static let contentType = "image/svg+xml; charset=utf-8"

    /// `?period=` values: whole UTC days ending today (today included).
    static let periods: [(key: String, days: Int)] = [("1d", 1), ("7d", 7), ("30d", 30), ("90d", 90)]

    static func status(_ state: PublicState) -> String {
        let colour: String =
            switch state {
            case .operational: "#2e7d32"
            case .degraded, .maintenance: "#b26a00"
            case .partialOutage, .majorOutage: "#c62828"
            case .unknown: "#616161"
            }
        return render(label: "status", value: PublicStatusView.describe(state).lowercased(), colour: colour)
    }

    static func uptime(_ percent: Double?, label: String) -> String {
        guard let percent else { return render(label: label, value: "no data", colour: "#616161") }
        let colour = percent >= 99.9 ? "#2e7d32" : percent >= 99 ? "#b26a00" : "#c62828"
        return render(label: label, value: PublicStatusView.percent(percent), colour: colour)
    }

    /// Widths estimated at 6.5 px a character of 11 px Verdana: close enough for short labels,
    /// without shipping font metrics.
    static func render(label: String, value: String, colour: String) -> String {
        let left = 10 + Int((Double(label.count) * 6.5).rounded(.up))
        let right = 10 + Int((Double(value.count) * 6.5).rounded(.up))
        let width = left + right
        let text = Markup.escape("\(label): \(value)")
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="20" role="img" aria-label="\(text)">
            <title>\(text)</title>
            <rect width="\(left)" height="20" fill="#555"/>
            <rect x="\(left)" width="\(right)" height="20" fill="\(colour)"/>
            <g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
            <text x="\(left / 2)" y="14">\(Markup.escape(label))</text>
            <text x="\(left + right / 2)" y="14">\(Markup.escape(value))</text>
            </g>
            </svg>

            """
    }
}
