import Foundation
import Hummingbird
import ITOpsCore

/// Answers 403 `{"success": false, "error": "the sla plugin is not licensed …"}` for every route
/// behind it unless its plugin is licensed or in trial. Mount it on a route group with
/// `group(_:requiring:gate:auth:)`; handlers never check licenses themselves. With `auth`, the
/// caller must be authenticated first (401 otherwise), so that anonymous callers cannot probe
/// which plugins the license holds.
public struct PluginGateMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    /// The plugin the guarded routes belong to.
    public let plugin: Plugin
    /// Decides, per request, from the current clock.
    public let gate: any PluginGate
    /// Checks the caller's credential before the license; throws `unauthenticated`.
    let authenticate: (@Sendable (Request) async throws -> Void)?

    public init(plugin: Plugin, gate: any PluginGate) {
        self.plugin = plugin
        self.gate = gate
        authenticate = nil
    }

    init(plugin: Plugin, gate: any PluginGate, auth: Authenticator) {
        self.plugin = plugin
        self.gate = gate
        // Only authentication: each route checks role and node scope itself.
        authenticate = { request in _ = try await auth.require(.viewer, request, scoped: true) }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        if let authenticate {
            do {
                try await authenticate(request)
            } catch {
                return errorResponse(for: error, logger: context.logger)
            }
        }
        guard gate.isEnabled(plugin) else {
            return errorResponse(for: ITOpsError.pluginNotLicensed(plugin), logger: context.logger)
        }
        return try await next(request, context)
    }
}

extension RouterMethods where Context == AppRequestContext {
    /// A route group at `path` whose every route belongs to `plugin`:
    /// `router.group("api/v1/sla", requiring: .sla, gate: runtime.license).get("reports") { … }`.
    public func group(_ path: RouterPath = "", requiring plugin: Plugin, gate: any PluginGate) -> RouterGroup<Context> {
        group(path).add(middleware: PluginGateMiddleware(plugin: plugin, gate: gate))
    }

    /// The same, for callers that must authenticate before the license is even consulted.
    func group(_ path: RouterPath = "", requiring plugin: Plugin, gate: any PluginGate, auth: Authenticator)
        -> RouterGroup<Context>
    {
        group(path).add(middleware: PluginGateMiddleware(plugin: plugin, gate: gate, auth: auth))
    }
}
