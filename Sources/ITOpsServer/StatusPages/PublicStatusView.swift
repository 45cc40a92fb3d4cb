import Foundation
import ITOpsCore

/// One status page as the public sees it: the page's allowlist applied to a snapshot. Everything
/// rendered comes from here, so what leaves ITOps is the admin's labels, states, dates and
/// figures, never a node path, a service name or a group that is not on the page.
struct PublicStatusView {
    struct Group {
        let slaGroup: String
        let label: String
        let state: PublicState
        let days: [PublicDay]
        let uptime90: Double?
        /// The services the admin named: label and state.
        let services: [(label: String, state: PublicState)]
    }

    struct Incident {
        let id: UUID
        let where_: String
        let openedAt: Date
        let closedAt: Date?
    }

    struct Maintenance {
        let where_: String
        let startedAt: Date
        let expectedEndAt: Date?
    }

    let page: StatusPage
    let generatedAt: Date
    let state: PublicState
    let groups: [Group]
    let openIncidents: [Incident]
    let pastIncidents: [Incident]
    let maintenance: [Maintenance]

    init(page: StatusPage, snapshot: PublicStatusSnapshot) {
        self.page = page
        generatedAt = snapshot.generatedAt
        var groups: [Group] = []
        var incidents: [Incident] = []
        var maintenance: [Maintenance] = []
        for entry in page.groups {
            guard let status = snapshot.groups[entry.slaGroup] else { continue }
            let labels = Dictionary(entry.services.map { ($0.serviceId, $0.label) }, uniquingKeysWith: { a, _ in a })
            /// "Group" or "Group · Service" when the admin named the service.
            func place(_ serviceId: UUID) -> String {
                labels[serviceId].map { "\(entry.label) · \($0)" } ?? entry.label
            }
            groups.append(
                Group(
                    slaGroup: entry.slaGroup, label: entry.label, state: status.state, days: status.days,
                    uptime90: status.uptime(lastDays: StatusPageDesk.days),
                    services: entry.services.map { ($0.label, status.services[$0.serviceId] ?? .unknown) }))
            incidents += status.incidents.map {
                Incident(id: $0.id, where_: place($0.serviceId), openedAt: $0.openedAt, closedAt: $0.closedAt)
            }
            maintenance += status.maintenance.map {
                Maintenance(where_: place($0.serviceId), startedAt: $0.startedAt, expectedEndAt: $0.expectedEndAt)
            }
        }
        self.groups = groups
        state = groups.isEmpty ? .unknown : PublicState.worst(groups.map(\.state))
        let sorted = incidents.sorted { $0.openedAt > $1.openedAt }
        openIncidents = sorted.filter { $0.closedAt == nil }
        pastIncidents = sorted.filter { $0.closedAt != nil }
        self.maintenance = maintenance.sorted { $0.startedAt < $1.startedAt }
    }

    // MARK: Words

    static func describe(_ state: PublicState) -> String {
        switch state {
        case .operational: "Operational"
        case .degraded: "Degraded performance"
        case .partialOutage: "Partial outage"
        case .majorOutage: "Major outage"
        case .maintenance: "Under maintenance"
        case .unknown: "No data"
        }
    }

    var headline: String {
        switch state {
        case .operational: "All systems operational"
        case .unknown: "Status not available"
        default: Self.describe(state)
        }
    }

    /// The bar colour of a day: no data, clean (≥ 99.9 %), minor (≥ 99 %) or major.
    static func barClass(_ day: PublicDay) -> String {
        guard let uptime = day.uptimePercent else { return "none" }
        if uptime >= 99.9 { return "ok" }
        return uptime >= 99 ? "minor" : "major"
    }

    static func percent(_ value: Double?) -> String {
        guard let value else { return "no data" }
        return String(format: "%.2f%%", (value * 100).rounded(.down) / 100)
    }

    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    static func readable(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", c.year!, c.month!, c.day!, c.hour!, c.minute!)
    }

    static func duration(from start: Date, to end: Date) -> String {
        let minutes = max(0, Int(end.timeIntervalSince(start) / 60))
        if minutes < 1 { return "under a minute" }
        if minutes < 60 { return "\(minutes) min" }
        let hours = minutes / 60
        if hours < 48 { return minutes % 60 == 0 ? "\(hours) h" : "\(hours) h \(minutes % 60) min" }
        return "\(hours / 24) days"
    }

    // MARK: HTML

    /// The page, complete without JavaScript; styled by `/console/status.css`.
    func html() -> String {
        let title = Markup.escape(page.title)
        let slug = Markup.escape(page.slug)
        var out = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) status</title>
            <link rel="stylesheet" href="/console/status.css">
            <link rel="icon" href="/console/icon.svg" type="image/svg+xml">
            <link rel="alternate" type="application/atom+xml" title="\(title) incidents" href="/status/\(slug).atom">
            </head>
            <body>
            <svg class="defs" width="0" height="0" aria-hidden="true"><defs><pattern id="day-gaps" width="\(Self.dayWidth)" height="32" patternUnits="userSpaceOnUse"><rect x="\(Self.dayWidth - 1)" width="1" height="32" class="gap"/></pattern></defs></svg>
            <main class="status-page">
            <header>
            <h1>\(title)</h1>

            """
        if let description = page.description { out += "<p class=\"description\">\(Markup.escape(description))</p>\n" }
        out += """
            <p class="headline state-\(state.rawValue.lowercased())" role="status">\(headline)</p>
            <p class="updated">Updated <time datetime="\(Self.iso(generatedAt))">\(Self.readable(generatedAt))</time></p>
            </header>

            """
        if !maintenance.isEmpty {
            out += "<section class=\"maintenance\" aria-labelledby=\"maintenance\">\n<h2 id=\"maintenance\">Maintenance in progress</h2>\n<ul>\n"
            for window in maintenance {
                let until = window.expectedEndAt.map {
                    ", expected to end <time datetime=\"\(Self.iso($0))\">\(Self.readable($0))</time>"
                } ?? ""
                out +=
                    "<li><strong>\(Markup.escape(window.where_))</strong>: since <time datetime=\"\(Self.iso(window.startedAt))\">\(Self.readable(window.startedAt))</time>\(until)</li>\n"
            }
            out += "</ul>\n</section>\n"
        }
        if !openIncidents.isEmpty {
            out += "<section class=\"incidents\" aria-labelledby=\"incidents\">\n<h2 id=\"incidents\">Ongoing incidents</h2>\n<ul>\n"
            for incident in openIncidents {
                out +=
                    "<li><strong>\(Markup.escape(incident.where_))</strong>: outage since <time datetime=\"\(Self.iso(incident.openedAt))\">\(Self.readable(incident.openedAt))</time> (\(Self.duration(from: incident.openedAt, to: generatedAt)))</li>\n"
            }
            out += "</ul>\n</section>\n"
        }
        out += "<section class=\"groups\" aria-labelledby=\"systems\">\n<h2 id=\"systems\">Systems</h2>\n"
        for group in groups { out += groupHTML(group) }
        out += "</section>\n"
        out += "<section class=\"history\" aria-labelledby=\"history\">\n<h2 id=\"history\">Past incidents (\(StatusPageDesk.days) days)</h2>\n"
        if pastIncidents.isEmpty {
            out += "<p>No incidents.</p>\n"
        } else {
            out += "<ul>\n"
            for incident in pastIncidents.prefix(50) {
                let end = incident.closedAt ?? generatedAt
                out +=
                    "<li><strong>\(Markup.escape(incident.where_))</strong>: outage on <time datetime=\"\(Self.iso(incident.openedAt))\">\(Self.readable(incident.openedAt))</time>, resolved after \(Self.duration(from: incident.openedAt, to: end))</li>\n"
            }
            out += "</ul>\n"
        }
        out += """
            </section>
            <footer><a href="/status/\(slug).json">JSON</a> · <a href="/status/\(slug).atom">Incident feed (Atom)</a></footer>
            </main>
            </body>
            </html>

            """
        return out
    }

    /// A day's width in the bars' SVG units; the last unit of each is the gap to the next.
    static let dayWidth = 4

    private func groupHTML(_ group: Group) -> String {
        let label = Markup.escape(group.label)
        let width = StatusPageDesk.days * Self.dayWidth
        var out = """
            <article class="group">
            <div class="group-head"><h3>\(label)</h3><span class="state state-\(group.state.rawValue.lowercased())">\(Self.describe(group.state))</span></div>
            <svg class="bars" viewBox="0 0 \(width) 32" preserveAspectRatio="none" role="img" aria-label="\(label): daily uptime over \(StatusPageDesk.days) days, \(Self.percent(group.uptime90)) overall">

            """
        // One rect per run of days of one colour (a quiet quarter is one rect, not 90), each with
        // its dates and lowest uptime; the gaps between days are drawn once, by a pattern.
        // Right-aligned: the last day is today, however many days the group has.
        var x = (StatusPageDesk.days - group.days.count) * Self.dayWidth
        var index = 0
        while index < group.days.count {
            let kind = Self.barClass(group.days[index])
            var end = index
            while end + 1 < group.days.count, Self.barClass(group.days[end + 1]) == kind { end += 1 }
            let run = group.days[index...end]
            let dates = index == end ? run.first!.date : "\(run.first!.date) – \(run.last!.date)"
            let lowest = run.compactMap(\.uptimePercent).min()
            let tip = lowest == nil ? "no data" : "\(Self.percent(lowest))\(index == end ? "" : " lowest") uptime"
            let runWidth = run.count * Self.dayWidth
            out += "<rect x=\"\(x)\" width=\"\(runWidth)\" height=\"32\" class=\"bar \(kind)\"><title>\(dates): \(tip)</title></rect>\n"
            x += runWidth
            index = end + 1
        }
        out += """
            <rect width="\(width)" height="32" class="gaps"/>
            </svg>
            <div class="bar-legend"><span>\(StatusPageDesk.days) days ago</span><span>\(Self.percent(group.uptime90)) uptime</span><span>Today</span></div>

            """
        if !group.services.isEmpty {
            out += "<ul class=\"services\">\n"
            for service in group.services {
                out +=
                    "<li><span>\(Markup.escape(service.label))</span><span class=\"state state-\(service.state.rawValue.lowercased())\">\(Self.describe(service.state))</span></li>\n"
            }
            out += "</ul>\n"
        }
        return out + "</article>\n"
    }

    // MARK: JSON

    func json() -> String {
        func orNull<T>(_ value: T?) -> Any { value.map { $0 as Any } ?? NSNull() }
        func incident(_ incident: Incident) -> [String: Any] {
            [
                "id": incident.id.stored, "where": incident.where_, "startedAt": Self.iso(incident.openedAt),
                "resolvedAt": orNull(incident.closedAt.map(Self.iso)),
            ]
        }
        let body: [String: Any] = [
            "slug": page.slug, "title": page.title, "description": orNull(page.description),
            "status": state.rawValue, "updatedAt": Self.iso(generatedAt),
            "groups": groups.map { group -> [String: Any] in
                [
                    "slaGroup": group.slaGroup, "label": group.label, "status": group.state.rawValue,
                    "uptime90d": orNull(group.uptime90),
                    "days": group.days.map { ["date": $0.date, "uptimePercent": orNull($0.uptimePercent)] as [String: Any] },
                    "services": group.services.map { ["label": $0.label, "status": $0.state.rawValue] },
                    "badges": [
                        "status": "/api/v1/badges/\(Markup.pathSegment(group.slaGroup))/status.svg",
                        "uptime": "/api/v1/badges/\(Markup.pathSegment(group.slaGroup))/uptime.svg?period=30d",
                    ],
                ]
            },
            "incidents": (openIncidents + pastIncidents).map(incident),
            "maintenance": maintenance.map { window -> [String: Any] in
                [
                    "where": window.where_, "startedAt": Self.iso(window.startedAt),
                    "expectedEndAt": orNull(window.expectedEndAt.map(Self.iso)),
                ]
            },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    // MARK: Atom

    /// The incidents of the last 90 days, newest first (RFC 4287). Links are absolute under
    /// `baseURL` (`ITOPS_PUBLIC_URL`) when it is set, else relative to the feed.
    func atom(baseURL: String? = nil) -> String {
        let base = Markup.escape(baseURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? "")
        let incidents = (openIncidents + pastIncidents).sorted { ($0.closedAt ?? $0.openedAt) > ($1.closedAt ?? $1.openedAt) }
        let updated = incidents.first.map { $0.closedAt ?? $0.openedAt } ?? page.updatedAt
        let title = Markup.escape(page.title)
        let slug = Markup.escape(page.slug)
        var out = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
            <title>\(title) incidents</title>
            <id>urn:uuid:\(page.id.stored)</id>
            <updated>\(Self.iso(updated))</updated>
            <link rel="self" href="\(base)/status/\(slug).atom"/>
            <link rel="alternate" type="text/html" href="\(base)/status/\(slug)"/>
            <author><name>\(title)</name></author>

            """
        for incident in incidents.prefix(100) {
            let place = Markup.escape(incident.where_)
            let summary: String
            if let closed = incident.closedAt {
                summary =
                    "Outage of \(place) from \(Self.readable(incident.openedAt)) to \(Self.readable(closed)) (\(Self.duration(from: incident.openedAt, to: closed)))."
            } else {
                summary = "Outage of \(place) since \(Self.readable(incident.openedAt))."
            }
            out += """
                <entry>
                <id>urn:uuid:\(incident.id.stored)</id>
                <title>\(incident.closedAt == nil ? "Ongoing" : "Resolved"): \(place)</title>
                <published>\(Self.iso(incident.openedAt))</published>
                <updated>\(Self.iso(incident.closedAt ?? incident.openedAt))</updated>
                <link rel="alternate" type="text/html" href="\(base)/status/\(slug)"/>
                <content type="text">\(summary)</content>
                </entry>

                """
        }
        return out + "</feed>\n"
    }
}

/// Escaping for HTML, XML and SVG text and attributes.
enum Markup {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// `text` as one URL path segment.
    static func pathSegment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
