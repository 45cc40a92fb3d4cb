import Foundation
import GraphQL
import ITOpsCore

/// The audit trail of GraphQL: one entry per mutation field (its arguments with secrets redacted, its
/// outcome, its target), and one per query field refused for lack of a role.
extension GraphQLExecutor {
    /// The type of what each mutation acts on, for `targetType`.
    static let auditTargets: [String: String] = [
        "login": "session", "refreshToken": "session", "logout": "session", "exchangeSignInCode": "session",
        "createUser": "user", "updateUser": "user", "deleteUser": "user", "changePassword": "user",
        "resetPassword": "user", "completePasswordReset": "user", "createApiKey": "apiKey", "revokeApiKey": "apiKey",
        "startExclusionWindow": "exclusionWindow", "stopExclusionWindow": "exclusionWindow",
        "activateLicense": "license",
        "createTicket": "ticket", "updateTicket": "ticket", "deleteTicket": "ticket", "addTicketComment": "ticket",
        "createWebhook": "webhook", "updateWebhook": "webhook", "deleteWebhook": "webhook", "testWebhook": "webhook",
        "createWorkflow": "workflow", "updateWorkflow": "workflow", "deleteWorkflow": "workflow",
        "importTemplates": "templates", "exportTemplates": "templates",
        "updateSlaDefinition": "slaDefinition", "generateSlaReport": "slaReport",
    ]

    func audit(_ operation: OperationDefinition, variables: [String: Map], result: GraphQLResult, context: GraphQLContext)
        async
    {
        guard let trail = context.backend.audit, trail.isRecording else { return }
        let isMutation = operation.operation == .mutation
        for case let field as Field in operation.selectionSet.selections {
            let name = field.name.value
            if name.hasPrefix("__") { continue }
            let responseKey = field.alias?.value ?? name
            let error = result.errors.first { error in
                if case .key(let key) = error.path.elements.first { return key == responseKey }
                return false
            }
            let code = error?.extensions["code"]?.string
            // A wrong password is a failed login, not a refused authorization.
            let refused = (code == "FORBIDDEN" || code == "UNAUTHENTICATED") && name != "login"
            guard isMutation || refused else { continue }
            var arguments: [String: Map] = [:]
            for argument in field.arguments {
                arguments[argument.name.value] = (try? valueFromASTUntyped(valueAST: argument.value, variables: variables)) ?? .null
            }
            if name == "changePassword" {
                // `current` and `new` are passwords whose names do not say so.
                for key in ["current", "new"] where arguments[key] != nil { arguments[key] = .string(AuditRedaction.mask) }
            }
            if name == "importTemplates", case .string(let yaml) = arguments["yaml"] {
                arguments["yaml"] = .string("\(yaml.utf8.count) bytes of YAML")
            }
            let summary = AuditSummary(arguments: arguments, error: error.map { String($0.message.prefix(256)) })
            let data = result.data?.dictionary?[responseKey]
            let targetId = arguments["id"]?.string ?? data?.dictionary?["id"]?.string
                ?? (name == "changePassword" ? context.principal?.userId?.uuidString.lowercased() : nil)
                ?? (name == "login" || name == "exchangeSignInCode" ? data?.dictionary?["user"]?.dictionary?["id"]?.string : nil)
            let outcome: AuditOutcome = refused ? .denied : (error == nil ? .success : .failure)
            let json = (try? JSONEncoder().encode(summary)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            await trail.record(
                AuditDraft(
                    principal: context.principal, action: "graphql.\(name)", targetType: Self.auditTargets[name],
                    targetId: targetId, summary: json, outcome: outcome, client: context.client,
                    requestId: context.requestId, attemptedBy: name == "login" ? arguments["email"]?.string : nil))
        }
    }
}

/// What an audit entry of a GraphQL field says: the arguments (redacted by the trail) and the error, if any.
private struct AuditSummary: Encodable {
    let arguments: [String: Map]
    let error: String?
}
