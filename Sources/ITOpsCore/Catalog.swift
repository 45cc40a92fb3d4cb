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

/// The SLA engine's definitions in the store (`sla_definitions`), for templates: one definition per
/// tier, so a definition imported under a new name replaces its tier's definition.
public struct StoreSLADefinitionCatalog: SLADefinitionCatalog {
    public init() {}

    public func slaDefinitions(reader: any StoreReader) async throws -> [SLADefinition] {
        try await reader.slaDefinitions().sorted { $0.name < $1.name }
    }

    public func upsert(_ definitions: [SLADefinition], writer: any StoreWriter) async throws {
        let existing = try await writer.slaDefinitions()
        var tiers = Set<Criticality>()
        for definition in definitions {
            try definition.validate()
            guard tiers.insert(definition.tier).inserted else {
                throw ITOpsError.invalid(
                    "slaDefinitions: two definitions for tier \(definition.tier.rawValue); one per tier")
            }
            if let other = existing.first(where: { $0.name == definition.name && $0.tier != definition.tier }) {
                throw ITOpsError.invalid(
                    "slaDefinitions: '\(definition.name)' is the definition of tier \(other.tier.rawValue), not \(definition.tier.rawValue)"
                )
            }
            try await writer.upsert(definition)
        }
    }
}
