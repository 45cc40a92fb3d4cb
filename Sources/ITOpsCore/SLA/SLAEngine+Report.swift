import Foundation

/// The daily SLA report (SPEC §4), as stored and downloaded.
public struct SLAReport: Sendable, Equatable, Codable {
    public struct Entry: Sendable, Equatable, Codable {
        /// `group` or `service`.
        public var scope: String
        /// The group name, or `nodeId/name` of a service.
        public var name: String
        public var serviceId: String?
        public var nodeId: String?
        public var slaGroup: String?
        public var tier: String?
        public var targetPercent: Double?
        public var uptimePercent: Double
        public var uptimeMinutes: Double
        public var downtimeMinutes: Double
        public var degradedMinutes: Double
        public var unknownMinutes: Double
        public var excludedMinutes: Double
        public var incidents: Int
        public var budgetMinutes: Double?
        public var budgetRemainingMinutes: Double?
        /// `MET | AT_RISK | BREACHED`; `nil` without an SLA.
        public var status: String?
        /// Backup state at generation (services) or over the members (groups).
        public var backupExpected: Bool
        public var lastBackupAt: Date?
        public var lastBackupStatus: String?
        public var backupOverdue: Bool
    }

    /// `YYYY-MM-DD`, the UTC day.
    public var date: String
    public var generatedAt: Date
    /// `exclude` or `down`: how UNKNOWN time counted.
    public var unknownPolicy: String
    public var groups: [Entry]
    public var services: [Entry]

    /// CSV columns, one row per group and service.
    public static let csvHeader = [
        "scope", "name", "serviceId", "nodeId", "slaGroup", "tier", "targetPercent", "uptimePercent", "uptimeMinutes",
        "downtimeMinutes", "degradedMinutes", "unknownMinutes", "excludedMinutes", "incidents", "budgetMinutes",
        "budgetRemainingMinutes", "status", "backupExpected", "lastBackupAt", "lastBackupStatus", "backupOverdue",
    ]

    /// RFC 4180 CSV; cells that a spreadsheet would run as a formula are prefixed with `'`.
    public var csv: String {
        var lines = [Self.csvHeader.joined(separator: ",")]
        for entry in groups + services {
            let cells: [String?] = [
                entry.scope, entry.name, entry.serviceId, entry.nodeId, entry.slaGroup, entry.tier,
                entry.targetPercent.map(Self.number), Self.number(entry.uptimePercent),
                Self.number(entry.uptimeMinutes),
                Self.number(entry.downtimeMinutes), Self.number(entry.degradedMinutes),
                Self.number(entry.unknownMinutes), Self.number(entry.excludedMinutes), String(entry.incidents),
                entry.budgetMinutes.map(Self.number), entry.budgetRemainingMinutes.map(Self.number), entry.status,
                String(entry.backupExpected), entry.lastBackupAt.map(ISO8601.format), entry.lastBackupStatus,
                String(entry.backupOverdue),
            ]
            lines.append(cells.map { Self.cell($0 ?? "") }.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func number(_ value: Double) -> String {
        let rounded = (value * 10_000).rounded() / 10_000
        return rounded == rounded.rounded() ? String(Int64(rounded)) : String(rounded)
    }

    static func cell(_ text: String) -> String {
        var value = text
        if let first = value.first, "=+-@\t\r".contains(first), Double(value) == nil { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension SLAEngine {
    /// Generates (or regenerates, replacing it) the report of the UTC day starting at `day`, stores
    /// it and announces it with an `sla:alert` of kind `sla_report_generated`.
    @discardableResult
    public func generateReport(day: Int64) async throws -> SLAReport {
        let now = clock.now()
        guard day == SLAPeriod.dayStart(day) else { throw ITOpsError.invalid("date: must be a UTC day") }
        guard day + SLAPeriod.day <= SLAPeriod.ms(now) else {
            throw ITOpsError.invalid("date: \(SLAPeriod.dayKey(day)) has not ended yet; reports cover past UTC days")
        }
        let inventory = try await inventory()
        let figures = try await dayFigures(day, inventory: inventory)
        let services = Dictionary(uniqueKeysWithValues: inventory.services.map { ($0.id.stored, $0) })
        func entry(
            scope: String, name: String, figures: AvailabilityFigures, definition: SLADefinition?, service: Service?,
            group: SLAGroup?, backups: [Service]
        ) -> SLAReport.Entry {
            let result = result(
                key: SLAPeriod.dayKey(day), start: day, end: day + SLAPeriod.day, now: SLAPeriod.ms(now),
                figures: figures, definition: definition)
            let expected = backups.filter(\.backup.expected)
            let last = expected.compactMap { service in service.backup.lastAt.map { ($0, service.backup.lastStatus) } }
                .max { $0.0 < $1.0 }
            return SLAReport.Entry(
                scope: scope, name: name, serviceId: service?.id.stored, nodeId: service?.nodeId.value,
                slaGroup: service?.slaGroup ?? group?.name,
                tier: (group?.tier ?? service.flatMap(inventory.tier(of:)))?.rawValue,
                targetPercent: definition?.targetPercent, uptimePercent: figures.actualPercent,
                uptimeMinutes: Double(figures.upMs) / 60_000, downtimeMinutes: Double(figures.downMs) / 60_000,
                degradedMinutes: Double(figures.degradedMs) / 60_000,
                unknownMinutes: Double(figures.unknownMs) / 60_000,
                excludedMinutes: Double(figures.excludedMs) / 60_000, incidents: figures.incidents,
                budgetMinutes: result.budgetMs.map { Double($0) / 60_000 },
                budgetRemainingMinutes: result.budgetMs.map { Double($0 - figures.downMs) / 60_000 },
                status: result.status?.rawValue, backupExpected: !expected.isEmpty, lastBackupAt: last?.0,
                lastBackupStatus: last?.1?.rawValue, backupOverdue: expected.contains { $0.backup.overdue })
        }
        let members = inventory.membersByGroup
        let groupEntries = figures.groups.keys.sorted().compactMap { name -> SLAReport.Entry? in
            guard let group = inventory.groups[name] else { return nil }
            return entry(
                scope: "group", name: name, figures: figures.groups[name]!,
                definition: inventory.definitions[group.tier],
                service: nil, group: group, backups: members[name] ?? [])
        }
        let serviceEntries = figures.services.compactMap { id, figures -> SLAReport.Entry? in
            guard let service = services[id] else { return nil }
            return entry(
                scope: "service", name: "\(service.nodeId)/\(service.name)", figures: figures,
                definition: inventory.definition(of: service), service: service, group: nil, backups: [service])
        }.sorted { $0.name < $1.name }
        let report = SLAReport(
            date: SLAPeriod.dayKey(day), generatedAt: now, unknownPolicy: policy.rawValue, groups: groupEntries,
            services: serviceEntries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601.format(date))
        }
        let document = String(decoding: try encoder.encode(report), as: UTF8.self)
        let record = SLAReportRecord(date: report.date, generatedAt: now, document: document)
        try await store.write { tx in try await tx.save(record) }
        events.publish([
            .slaAlert(
                Alert(
                    kind: .slaReportGenerated, nodeId: nil, serviceId: nil, serviceName: nil,
                    message:
                        "daily SLA report for \(report.date): \(groupEntries.count) groups, \(serviceEntries.count) services, \(serviceEntries.filter { $0.status == SLAStatus.breached.rawValue }.count) breached",
                    at: now))
        ])
        return report
    }

    /// Generates yesterday's report when it is past 00:05 UTC and none exists yet. Returns the
    /// report when one was generated.
    public func generateDueReport() async throws -> SLAReport? {
        let now = SLAPeriod.ms(clock.now())
        let today = SLAPeriod.dayStart(now)
        guard now >= today + 5 * SLAPeriod.minute else { return nil }
        let yesterday = today - SLAPeriod.day
        guard try await reader.slaReport(date: SLAPeriod.dayKey(yesterday)) == nil else { return nil }
        return try await generateReport(day: yesterday)
    }

    /// One day's figures per service (by stored id) and per group: the rollups when the day is
    /// closed and clean, computed from history otherwise.
    func dayFigures(_ day: Int64, inventory: SLAInventory) async throws -> (
        services: [String: AvailabilityFigures], groups: [String: AvailabilityFigures]
    ) {
        let horizon = try await reader.rollupHorizon(policy: policy) ?? day
        let dirty = try await reader.dirtyRollupDays(limit: 1_000).contains { $0.day == day }
        if day < horizon, !dirty {
            async let services = reader.rollups(
                kind: .service, scopeId: nil, monthly: false, from: day, to: day + 1, policy: policy)
            async let groups = reader.rollups(
                kind: .group, scopeId: nil, monthly: false, from: day, to: day + 1, policy: policy)
            return (
                Dictionary(try await services.map { ($0.scopeId, $0.figures) }, uniquingKeysWith: +),
                Dictionary(try await groups.map { ($0.scopeId, $0.figures) }, uniquingKeysWith: +)
            )
        }
        let computed = try await computeDay(day, inventory: inventory)
        return (
            Dictionary(computed.services.map { ($0.scopeId, $0.figures) }, uniquingKeysWith: +),
            Dictionary(computed.groups.map { ($0.scopeId, $0.figures) }, uniquingKeysWith: +)
        )
    }
}

extension SLAReport {
    /// Reads a stored report document.
    public static func decode(_ document: String) throws -> SLAReport {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = ISO8601.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date"))
            }
            return date
        }
        return try decoder.decode(SLAReport.self, from: Data(document.utf8))
    }
}
