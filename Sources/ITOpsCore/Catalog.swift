import Foundation
import Synchronization

// The service catalog and SLA definitions as templates move them (issue 8, SPEC §4).

/// One expected service of the catalog: what `operator/register` fills, plus owner and runbook.
public struct CatalogEntry: Sendable, Equatable {
    public var name: String
    public var nodeId: NodePath
    public var displayName: String?
    public var owner: String?
    /// The service's criticality (the SLA tier vocabulary).
    public var tier: Criticality?
    public var slaGroup: String?
    public var runbookUrl: String?
    public var backupExpected: Bool?
    public var backupMaxAgeDays: Int?

    public init(
        name: String, nodeId: NodePath, displayName: String? = nil, owner: String? = nil, tier: Criticality? = nil,
        slaGroup: String? = nil, runbookUrl: String? = nil, backupExpected: Bool? = nil, backupMaxAgeDays: Int? = nil
    ) {
        self.name = name
        self.nodeId = nodeId
        self.displayName = displayName
        self.owner = owner
        self.tier = tier
        self.slaGroup = slaGroup
        self.runbookUrl = runbookUrl
        self.backupExpected = backupExpected
        self.backupMaxAgeDays = backupMaxAgeDays
    }

    /// The catalog entry of a registered service.
    public init(_ service: Service, extra: CatalogExtra?) {
        self.init(
            name: service.name, nodeId: service.nodeId, displayName: service.displayName, owner: extra?.owner,
            tier: service.criticality, slaGroup: service.slaGroup, runbookUrl: extra?.runbookUrl,
            backupExpected: service.backup.expected, backupMaxAgeDays: service.backup.maxAgeDays)
    }
}

/// What an import did (or, in a dry run, would do) to one item.
public enum ImportOutcome: String, Sendable, Equatable {
    case created, updated, unchanged
}

extension StoreWriter {
    /// Creates or updates the catalog service `(nodeId, name)` like `operator/register` does (a new one is
    /// `UNKNOWN` until reported, source `import`); absent fields keep their value.
    public func upsertCatalogEntry(_ entry: CatalogEntry, at now: Date, log: inout EventLog) async throws
        -> ImportOutcome
    {
        _ = try await ensureNodeChain(entry.nodeId, at: now)
        if let group = entry.slaGroup { try await ensureGroup(group) }
        let existing = try await service(nodeId: entry.nodeId, name: entry.name)
        var service =
            existing ?? Service(nodeId: entry.nodeId, name: entry.name, status: .unknown, source: .import, at: now)
        service.registered = true
        service.displayName = entry.displayName ?? service.displayName
        service.criticality = entry.tier ?? service.criticality
        service.slaGroup = entry.slaGroup ?? service.slaGroup
        service.backup.expected = entry.backupExpected ?? service.backup.expected
        service.backup.maxAgeDays = entry.backupMaxAgeDays ?? service.backup.maxAgeDays
        service.backup.overdue = service.backup.isOverdue(now: now, createdAt: service.createdAt)
        let records = try outboundWriter()
        let oldExtra = try await records.catalogExtras().first { $0.serviceId == service.id }
        let extra = CatalogExtra(
            serviceId: service.id, owner: entry.owner ?? oldExtra?.owner,
            runbookUrl: entry.runbookUrl ?? oldExtra?.runbookUrl)
        // No row and a row of nils say the same.
        let extraChanged = extra.owner != oldExtra?.owner || extra.runbookUrl != oldExtra?.runbookUrl
        if let existing {
            guard existing != service || extraChanged else { return .unchanged }
            if existing != service { try await update(service) }
        } else {
            try await create(service, log: &log)
        }
        if extraChanged { try await records.save(extra) }
        return existing == nil ? .created : .updated
    }
}

/// An SLA definition (SPEC §4): the target of a tier and when a period counts as at risk.
public struct SLADefinition: Sendable, Equatable, Codable {
    public var name: String
    public var tier: Criticality
    public var targetPercent: Double
    public var atRiskBudgetFraction: Double
    public var updatedAt: Date?

    public init(
        name: String, tier: Criticality, targetPercent: Double, atRiskBudgetFraction: Double, updatedAt: Date? = nil
    ) {
        self.name = name
        self.tier = tier
        self.targetPercent = targetPercent
        self.atRiskBudgetFraction = atRiskBudgetFraction
        self.updatedAt = updatedAt
    }

    /// The same definition without its timestamp, for comparing content.
    public var content: SLADefinition {
        var copy = self
        copy.updatedAt = nil
        return copy
    }
}

/// Where SLA definitions live: the port templates import into and export from.
///
/// The SLA engine owns the definitions (its `sla_definitions` table); templates only list and upsert them,
/// inside the import's store transaction when the implementation is SQL.
public protocol SLADefinitionCatalog: Sendable {
    /// Every definition, by name.
    func slaDefinitions(reader: any StoreReader) async throws -> [SLADefinition]
    /// Creates or replaces each definition (by name), inside `writer`'s transaction.
    func upsert(_ definitions: [SLADefinition], writer: any StoreWriter) async throws
}

/// Definitions kept in memory, seeded with the defaults of SPEC §4 — a stand-in until the SLA engine's
/// table is wired. Not shared between instances, not kept across restarts, and not rolled back with a failed
/// transaction (it changes after everything else in the import succeeded).
public final class InMemorySLADefinitionCatalog: SLADefinitionCatalog {
    private let definitions: Mutex<[String: SLADefinition]>

    /// A catalog holding `initial` (the SPEC §4 defaults by tier when nil).
    public init(_ initial: [SLADefinition]? = nil) {
        let seed = initial ?? Self.defaults
        definitions = Mutex(Dictionary(seed.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last }))
    }

    /// critical 99.95, high 99.9, medium 99.5, low 99.0; at risk at 0.75 of the budget.
    public static let defaults = [
        SLADefinition(name: "critical", tier: .critical, targetPercent: 99.95, atRiskBudgetFraction: 0.75),
        SLADefinition(name: "high", tier: .high, targetPercent: 99.9, atRiskBudgetFraction: 0.75),
        SLADefinition(name: "low", tier: .low, targetPercent: 99.0, atRiskBudgetFraction: 0.75),
        SLADefinition(name: "medium", tier: .medium, targetPercent: 99.5, atRiskBudgetFraction: 0.75),
    ]

    public func slaDefinitions(reader: any StoreReader) async throws -> [SLADefinition] {
        definitions.withLock { $0.values.sorted { $0.name < $1.name } }
    }

    public func upsert(_ definitions: [SLADefinition], writer: any StoreWriter) async throws {
        self.definitions.withLock { stored in
            for definition in definitions { stored[definition.name] = definition }
        }
    }
}
