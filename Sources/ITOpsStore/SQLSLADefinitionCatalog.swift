import Foundation
import ITOpsCore
import SQLKit

/// SLA definitions in the SLA engine's `sla_definitions` table (migration 4: name TEXT PRIMARY KEY, tier,
/// target_percent, at_risk_budget_fraction, updated_at BIGINT), for templates.
///
/// Not wired on the outbound branch, whose schema has no such table: the runtime uses
/// ``InMemorySLADefinitionCatalog`` until the SLA engine's migration is merged, then
/// `ITOpsRuntime.start` passes `SQLSLADefinitionCatalog()` instead.
public struct SQLSLADefinitionCatalog: SLADefinitionCatalog {
    public init() {}

    struct Row: Codable, Sendable {
        var name: String
        var tier: String
        var targetPercent: Double
        var atRiskBudgetFraction: Double
        var updatedAt: Int64
    }

    public func slaDefinitions(reader: any StoreReader) async throws -> [SLADefinition] {
        try await Self.database(reader).raw("SELECT * FROM sla_definitions ORDER BY name").all().map { row in
            let record = try row.decode(model: Row.self, keyDecodingStrategy: SnakeCaseColumns.decoding)
            guard let tier = Criticality(rawValue: record.tier) else {
                throw ITOpsError(.internal, "sla_definitions: stored tier '\(record.tier)' is unknown")
            }
            return SLADefinition(
                name: record.name, tier: tier, targetPercent: record.targetPercent,
                atRiskBudgetFraction: record.atRiskBudgetFraction, updatedAt: Date(epochMilliseconds: record.updatedAt))
        }
    }

    public func upsert(_ definitions: [SLADefinition], writer: any StoreWriter) async throws {
        let db = try Self.database(writer)
        for definition in definitions {
            let row = Row(
                name: definition.name, tier: definition.tier.rawValue, targetPercent: definition.targetPercent,
                atRiskBudgetFraction: definition.atRiskBudgetFraction,
                updatedAt: (definition.updatedAt ?? Date()).epochMilliseconds)
            try await db.insert(into: "sla_definitions")
                .model(row, keyEncodingStrategy: .convertToSnakeCase)
                .onConflict(with: ["name"]) {
                    $0.set(excludedValueOf: "tier").set(excludedValueOf: "target_percent")
                        .set(excludedValueOf: "at_risk_budget_fraction").set(excludedValueOf: "updated_at")
                }
                .run()
        }
    }

    private static func database(_ access: any StoreReader) throws -> any SQLDatabase {
        guard let access = access as? SQLAccess else {
            throw ITOpsError(.internal, "SLA definitions need the SQL store")
        }
        return access.db
    }
}
