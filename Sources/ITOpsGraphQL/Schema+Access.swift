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
                .description("Every user, by email. Admin only.")
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
                Field("createApiKey", at: Resolver.createApiKey) {
                    Argument("name", at: \.name)
                    Argument("role", at: \.role).description("admin | operator | viewer (default operator)")
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
