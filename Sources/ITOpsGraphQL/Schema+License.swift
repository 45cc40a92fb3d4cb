import Foundation
import Graphiti
import ITOpsCore

extension ITOpsAPI {
    /// The license: state, trial and activation.
    static var licenseSchema: PartialSchema<Resolver, GraphQLContext> {
        PartialSchema(
            types: {
                Type(LicenseDTO.self, as: "License") {
                    Field("customer", at: \.customer).description("The licensee; null without a license.")
                    Field("plugins", at: \.plugins)
                        .description("Plugins enabled now: the license's, and all of them while the trial runs.")
                    Field("licensedPlugins", at: \.licensedPlugins)
                        .description("Plugins the stored license names, valid or not.")
                    Field("expiresAt", at: \.expiresAt).description("When the license expires (or expired).")
                    Field("trial", at: \.trial).description("The trial is running.")
                    Field("trialEndsAt", at: \.trialEndsAt)
                        .description("When the trial ends (or ended); null when the trial is disabled.")
                    Field("edition", at: \.edition).description("licensed | trial | community")
                    Field("licenseId", at: \.licenseId)
                    Field("maxServices", at: \.maxServices).description("Informational; monitoring is never limited.")
                    Field("status", at: \.status).description("active | trial | expired | community")
                }
            },
            query: {
                Field("license", at: Resolver.license)
            },
            mutation: {
                Field("activateLicense", at: Resolver.activateLicense) {
                    Argument("licenseKey", at: \.licenseKey).description("The license token (a compact JWS).")
                }
            }
        )
    }
}
