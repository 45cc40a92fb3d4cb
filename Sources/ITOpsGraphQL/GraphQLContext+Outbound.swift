import ITOpsCore

extension GraphQLBackend {
    /// No outbound features: resolvers answer a clear error. The server's backend provides them.
    public var outbound: (any OutboundAdmin)? { nil }
}

extension GraphQLContext {
    /// The outbound features, for an admin; `FORBIDDEN` for anyone else.
    func outboundAdmin() throws -> any OutboundAdmin {
        try require(.admin)
        guard let outbound = backend.outbound else {
            throw ITOpsError(.unavailable, "webhooks, workflows and templates are not available on this server")
        }
        return outbound
    }
}

extension GraphQLContext {
    /// Notification channels and rules, for an admin; `FORBIDDEN` for anyone else. The outbound service
    /// provides them (no separate backend requirement).
    func notificationAdmin() throws -> any NotificationAdmin {
        try require(.admin)
        guard let notifications = backend.outbound as? any NotificationAdmin else {
            throw ITOpsError(.unavailable, "notification channels are not available on this server")
        }
        return notifications
    }
}
