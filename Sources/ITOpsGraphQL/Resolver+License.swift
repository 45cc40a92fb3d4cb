import Foundation
import Graphiti
import ITOpsCore

/// The `License` type of the GraphQL API.
struct LicenseDTO: Codable, Sendable {
    let customer: String?
    let plugins: [String]
    let licensedPlugins: [String]
    let expiresAt: String?
    let trial: Bool
    let trialEndsAt: String?
    let edition: String
    let licenseId: String?
    let maxServices: Int?
    let status: String

    init(_ status: LicenseStatus) {
        customer = status.customer
        plugins = status.plugins.map(\.rawValue)
        licensedPlugins = status.licensedPlugins.map(\.rawValue)
        expiresAt = status.expiresAt?.iso8601
        trial = status.trial
        trialEndsAt = status.trialEndsAt?.iso8601
        edition = status.edition.rawValue
        licenseId = status.licenseId
        maxServices = status.maxServices
        self.status = status.state.rawValue
    }
}

extension Resolver {
    struct ActivateLicenseArguments: Codable, Sendable {
        let licenseKey: String
    }

    /// The effective license; any signed-in principal may read it.
    func license(context: GraphQLContext, arguments: NoArguments) throws -> LicenseDTO {
        try context.require(.viewer)
        return LicenseDTO(context.backend.licensing.status())
    }

    /// Activates a license token (admin only); a refused token changes nothing.
    func activateLicense(context: GraphQLContext, arguments: ActivateLicenseArguments) async throws -> LicenseDTO {
        try context.require(.admin)
        return LicenseDTO(try await context.backend.licensing.activate(token: arguments.licenseKey))
    }
}
