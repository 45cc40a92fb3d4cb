import Foundation
import Graphiti
import ITOpsCore

extension ITOpsAPI {
    /// Users and API keys (admin only).
    static var accessSchema: PartialSchema<Resolver, GraphQLContext> {
        PartialSchema(
            types: {
                Type(UserEdgeDTO.self, as: "UserEdge") {
                    Field("cursor", at: \.cursor)
                    Field("node", at: \.node)
                }
                Type(UserConnectionDTO.self, as: "UserConnection") {
                    Field("edges", at: \.edges)
                    Field("pageInfo", at: \.pageInfo)
                    Field("totalCount", at: \.totalCount)
                }
                Type(APIKeyDTO.self, as: "ApiKey") {
                    Field("id", at: \.id)
                    Field("name", at: \.name)
                    Field("prefix", at: \.prefix).description("The first characters of the key, to tell keys apart.")
                    Field("role", at: \.role)
                    Field("createdAt", at: \.createdAt)
                    Field("revokedAt", at: \.revokedAt)
                    Field("revoked", at: \.revoked)
                    Field("bootstrap", at: \.bootstrap).description("Created from ITOPS_OPERATOR_API_KEY.")
                    Field("expiresAt", at: \.expiresAt).description("After this the key is refused; null never expires.")
                    Field("lastUsedAt", at: \.lastUsedAt).description("When the key was last accepted (to the minute).")
                    Field("nodeScope", at: \.nodeScope).description(
                        "Hierarchy prefixes the key may act on and read; null is everything.")
                }
                Type(APIKeyEdgeDTO.self, as: "ApiKeyEdge") {
                    Field("cursor", at: \.cursor)
                    Field("node", at: \.node)
                }
                Type(APIKeyConnectionDTO.self, as: "ApiKeyConnection") {
                    Field("edges", at: \.edges)
                    Field("pageInfo", at: \.pageInfo)
                    Field("totalCount", at: \.totalCount)
                }
                Type(PasswordResetDTO.self, as: "PasswordReset") {
                    Field("token", at: \.token).description(
                        "The one-time token: shown this once, stored only as a hash. Spent by completePasswordReset.")
                    Field("expiresAt", at: \.expiresAt).description("30 minutes after it was made.")
                    Field("user", at: \.user)
                }
                Input(Resolver.UpdateUserInputDTO.self, as: "UpdateUserInput") {
                    InputField("role", at: \.role).description("admin | operator | viewer")
                    InputField("displayName", at: \.displayName).description("Empty string clears; at most 200 characters.")
                    InputField("disabled", at: \.disabled).description(
                        "A disabled user cannot sign in, and their tokens stop working within seconds.")
                }
                Input(Resolver.CreateAPIKeyInputDTO.self, as: "CreateApiKeyInput") {
                    InputField("name", at: \.name).description("1–128 characters.")
                    InputField("role", at: \.role).description("admin | operator | viewer (default operator)")
                    InputField("nodeScope", at: \.nodeScope).description(
                        "Hierarchy prefixes (node paths, 1–50): the key may report, register, sync, start windows and send backups only for nodes under them, and reads only what is under them. Absent: everything."
                    )
                    InputField("expiresAt", at: \.expiresAt).description("ISO 8601; absent: never expires.")
                }
                Type(CreatedAPIKeyDTO.self, as: "CreatedApiKey") {
                    Field("key", at: \.key).description("The plain key: shown this once, stored only as a hash.")
                    Field("apiKey", at: \.apiKey)
                }
            },
            query: {
                Field("users", at: Resolver.users) {
                    Argument("first", at: \.first).description("Page size, 1–500 (default 50).")
                    Argument("after", at: \.after).description("endCursor of the previous page.")
                }
                .description("Every user, by email, with their provider, disabled flag and last sign-in. Admin only.")
                Field("apiKeys", at: Resolver.apiKeys) {
                    Argument("first", at: \.first).description("Page size, 1–500 (default 50).")
                    Argument("after", at: \.after).description("endCursor of the previous page.")
                }
                .description("Every API key, revoked ones included, oldest first. Admin only.")
            },
            mutation: {
                Field("createUser", at: Resolver.createUser) {
                    Argument("email", at: \.email)
                    Argument("password", at: \.password).description("At least 8 characters, at most 72 bytes.")
                    Argument("role", at: \.role).description("admin | operator | viewer")
                }
                .description("Admin only.")
                Field("updateUser", at: Resolver.updateUser) {
                    Argument("id", at: \.id)
                    Argument("input", at: \.input).description("Absent fields keep their value.")
                }
                .description(
                    "Admin only. The last enabled admin cannot be demoted or disabled (CONFLICT). A lowered role or disabling takes effect on open sessions within seconds."
                )
                Field("deleteUser", at: Resolver.deleteUser) {
                    Argument("id", at: \.id)
                }
                .description(
                    "Admin only; returns the deleted user. Their sessions end, tickets assigned to them become unassigned, the audit trail keeps their name. The last enabled admin cannot be deleted (CONFLICT)."
                )
                Field("changePassword", at: Resolver.changePassword) {
                    Argument("current", at: \.current)
                    Argument("new", at: \.new).description("At least 8 characters, at most 72 bytes.")
                }
                .description("Your own password (local users). Ends your other sessions; this one goes on.")
                Field("resetPassword", at: Resolver.resetPassword) {
                    Argument("id", at: \.id).description("The user's id.")
                }
                .description(
                    "Admin only. A one-time token (30 minutes) the user spends with completePasswordReset; an earlier unused one stops working."
                )
                Field("completePasswordReset", at: Resolver.completePasswordReset) {
                    Argument("token", at: \.token).description("From resetPassword.")
                    Argument("newPassword", at: \.newPassword).description("At least 8 characters, at most 72 bytes.")
                }
                .description("No sign-in needed. Sets the password and ends every session of the user.")
                Field("createApiKey", at: Resolver.createApiKey) {
                    Argument("name", at: \.name).description("The short form: name (and role), no scope or expiry.")
                    Argument("role", at: \.role).description("admin | operator | viewer (default operator)")
                    Argument("input", at: \.input).description("The full form, instead of name and role.")
                }
                .description("Admin only. The plain key is in the answer, once.")
                Field("revokeApiKey", at: Resolver.revokeApiKey) {
                    Argument("id", at: \.id).description("The key's id or its prefix.")
                }
                .description("Admin only.")
            }
        )
    }
}
