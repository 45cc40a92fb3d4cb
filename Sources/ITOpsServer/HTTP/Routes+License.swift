import Foundation
import Hummingbird
import ITOpsCore

/// `POST /api/v1/license/activate` of the reference.
///
/// Activation changes what the whole installation may do, so it needs the admin role: an admin's
/// JWT or an API key created with the admin role. Operator keys (what agents hold) get 403.
struct LicenseRoutes {
    let runtime: ITOpsRuntime
    let auth: Authenticator

    struct ActivateRequest: Decodable {
        var licenseKey: String
    }

    struct ActivateResponse: Encodable {
        var success = true
        var message = "License activated"
        var customer: String
        var plugins: [String]
    }

    func add(to router: Router<AppRequestContext>) {
        let license = runtime.license
        router.group("api/v1").add(middleware: AuditMiddleware(runtime: runtime, auth: auth, targetType: "license"))
            .post("license/activate") { request, context in
            _ = try await auth.require(.admin, request)
            var request = request
            let body = try await request.decodeJSON(ActivateRequest.self, context: context)
            let status = try await license.activate(token: body.licenseKey)
            return try jsonResponse(
                ActivateResponse(customer: status.customer ?? "", plugins: status.licensedPlugins.map(\.rawValue)))
        }
    }
}
