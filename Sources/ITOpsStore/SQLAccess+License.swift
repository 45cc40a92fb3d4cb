import Foundation
import ITOpsCore
import SQLKit

/// The `license_settings` row, column for column.
struct LicenseSettingsRecord: Codable, Sendable {
    /// Always 1: the table holds one row.
    var id = 1
    var trialStartedAt: Int64
    var licenseToken: String?
    var activatedAt: Int64?
    var updatedAt: Int64

    init(_ settings: LicenseSettings) {
        trialStartedAt = settings.trialStartedAt.epochMilliseconds
        licenseToken = settings.licenseToken
        activatedAt = settings.activatedAt?.epochMilliseconds
        updatedAt = settings.updatedAt.epochMilliseconds
    }

    var domain: LicenseSettings {
        LicenseSettings(
            trialStartedAt: Date(epochMilliseconds: trialStartedAt), licenseToken: licenseToken,
            activatedAt: activatedAt.map(Date.init(epochMilliseconds:)), updatedAt: Date(epochMilliseconds: updatedAt))
    }
}

// Licensing: one row, upserted with SQLKit's portable ON CONFLICT (SQLite and PostgreSQL).
extension SQLAccess {
    func licenseSettings() async throws -> LicenseSettings? {
        try await db.raw("SELECT * FROM license_settings WHERE id = 1").first()
            .map { try $0.decode(model: LicenseSettingsRecord.self, keyDecodingStrategy: .convertFromSnakeCase) }?
            .domain
    }

    func save(_ settings: LicenseSettings) async throws {
        try await db.insert(into: "license_settings")
            .model(
                LicenseSettingsRecord(settings), keyEncodingStrategy: .convertToSnakeCase, nilEncodingStrategy: .asNil
            )
            .onConflict(with: ["id"]) {
                $0.set(excludedValueOf: "trial_started_at").set(excludedValueOf: "license_token")
                    .set(excludedValueOf: "activated_at").set(excludedValueOf: "updated_at")
            }
            .run()
    }
}
