import Foundation
import ITOpsCore

extension GraphQLContext {
    /// Throws `PLUGIN_NOT_LICENSED` naming `plugin` unless it is licensed or in trial: the one
    /// check a plugin's resolvers make, e.g. `try context.requirePlugin(.sla)`.
    public func requirePlugin(_ plugin: Plugin) throws {
        try backend.licensing.require(plugin)
    }
}
