import Foundation
import GraphQL
import Graphiti
import ITOpsCore

/// The ITOps GraphQL API: schema built once, executed per request.
public struct ITOpsAPI: Sendable {
    let resolver = Resolver()
    let schema: Schema<Resolver, GraphQLContext>

    public init() throws {
        schema = try Schema<Resolver, GraphQLContext> {
            Type(UserDTO.self, as: "User") {
                Field("id", at: \.id)
                Field("email", at: \.email)
                Field("role", at: \.role).description("admin | operator | viewer")
                Field("createdAt", at: \.createdAt)
            }
            Type(MeDTO.self, as: "Me") {
                Field("id", at: \.id)
                Field("kind", at: \.kind).description("user | apiKey")
                Field("email", at: \.email)
                Field("name", at: \.name)
                Field("role", at: \.role)
            }
            .description("The signed-in principal.")
            Type(AuthPayloadDTO.self, as: "AuthPayload") {
                Field("token", at: \.token).description("HS256 access token, valid for one hour.")
                Field("refreshToken", at: \.refreshToken).description("Opaque, single use; rotate with refreshToken.")
                Field("expiresAt", at: \.expiresAt)
                Field("user", at: \.user)
            }
            Type(BackupStatusDTO.self, as: "BackupStatus") {
                Field("backupExpected", at: \.backupExpected)
                Field("lastBackupAt", at: \.lastBackupAt)
                Field("lastBackupStatus", at: \.lastBackupStatus).description("success | failed | partial")
                Field("backupMaxAgeDays", at: \.backupMaxAgeDays)
                Field("backupOverdue", at: \.backupOverdue)
                    .description("Expected and no successful backup within backupMaxAgeDays.")
            }
            Type(ServiceDTO.self, as: "Service") {
                Field("id", at: \.id)
                Field("nodeId", at: \.nodeId)
                Field("name", at: \.name)
                Field("serviceName", at: \.serviceName).description("Same as name.")
                Field("displayName", at: \.displayName)
                Field("status", at: \.status).description("OPERATIONAL | DEGRADED | DOWN | MAINTENANCE | UNKNOWN")
                Field("message", at: \.message)
                Field("criticality", at: \.criticality)
                Field("serviceType", at: \.serviceType)
                Field("tags", at: \.tags)
                Field("namespace", at: \.namespace)
                Field("workloadType", at: \.workloadType)
                Field("replicas", at: \.replicas)
                Field("readyReplicas", at: \.readyReplicas)
                Field("slaGroup", at: \.slaGroup)
                Field("source", at: \.source).description("operator | register | push | backup | storage | import")
                Field("registered", at: \.registered)
                Field("unknownNode", at: \.unknownNode)
                    .description("True when the service arrived without a nodeId: shown with a red badge.")
                Field("expectedIntervalSeconds", at: \.expectedIntervalSeconds)
                Field("lastSeenAt", at: \.lastSeenAt)
                Field("statusChangedAt", at: \.statusChangedAt)
                Field("createdAt", at: \.createdAt)
                Field("backupStatus", at: \.backupStatus)
            }
            Type(ServiceEdgeDTO.self, as: "ServiceEdge") {
                Field("cursor", at: \.cursor)
                Field("node", at: \.node)
            }
            Type(PageInfoDTO.self, as: "PageInfo") {
                Field("hasNextPage", at: \.hasNextPage)
                Field("endCursor", at: \.endCursor)
            }
            Type(ServiceConnectionDTO.self, as: "ServiceConnection") {
                Field("edges", at: \.edges)
                Field("pageInfo", at: \.pageInfo)
                Field("totalCount", at: \.totalCount)
            }
            Type(NodeDTO.self, as: "Node") {
                Field("id", at: \.id).description("The hierarchy path, e.g. myorg/platform/prod/cluster1.")
                Field("name", at: \.name)
                Field("parentId", at: \.parentId)
                Field("depth", at: \.depth)
                Field("createdAt", at: \.createdAt)
                Field("lastHeartbeatAt", at: \.lastHeartbeatAt)
                Field("agentVersion", at: \.agentVersion)
                Field("watchedServices", at: \.watchedServices)
                Field("healthyServices", at: \.healthyServices)
                Field("unhealthyServices", at: \.unhealthyServices)
                Field("silent", at: \.silent).description("The agent missed its heartbeats.")
                Field("unknown", at: \.unknown).description("The node of services reported without a nodeId.")
            }
            Type(SLAGroupDTO.self, as: "SLAGroup") {
                Field("id", at: \.id)
                Field("name", at: \.name)
                Field("displayName", at: \.displayName)
                Field("tier", at: \.tier).description("critical | high | medium | low")
                Field("status", at: \.status)
                    .description("MET | AT_RISK | BREACHED. Null until the SLA engine is enabled; never estimated.")
                Field("currentUptime", at: \.currentUptime)
                    .description("Availability this calendar month, in percent. Null until the SLA engine is enabled.")
                Field("services", at: SLAGroupDTO.services)
            }
            Input(Resolver.ServiceFilterInput.self, as: "ServiceFilter") {
                InputField("nodeId", at: \.nodeId).description("A node and everything below it.")
                InputField("status", at: \.status)
                InputField("slaGroup", at: \.slaGroup)
                InputField("tag", at: \.tag)
                InputField("search", at: \.search).description("Case-insensitive part of the name or display name.")
                InputField("namespace", at: \.namespace)
            }
            Query {
                Field("me", at: Resolver.me)
                Field("services", at: Resolver.services) {
                    Argument("filter", at: \.filter)
                    Argument("first", at: \.first).description("Page size, 1–500 (default 50).")
                    Argument("after", at: \.after).description("endCursor of the previous page.")
                }
                Field("service", at: Resolver.service) {
                    Argument("id", at: \.id)
                }
                Field("nodes", at: Resolver.nodes)
                Field("slaGroups", at: Resolver.slaGroups)
            }
            Mutation {
                Field("login", at: Resolver.login) {
                    Argument("email", at: \.email)
                    Argument("password", at: \.password)
                }
                Field("refreshToken", at: Resolver.refreshToken) {
                    Argument("refreshToken", at: \.refreshToken)
                }
                Field("logout", at: Resolver.logout) {
                    Argument("refreshToken", at: \.refreshToken)
                        .description("The token to revoke; without it every refresh token of the user is revoked.")
                }
            }
        }
    }

    /// Executes one GraphQL request and maps domain errors to `extensions.code`.
    public func run(
        query: String, variables: [String: Map], operationName: String?, context: GraphQLContext
    ) async -> GraphQLResult {
        do {
            let result = try await schema.execute(
                request: query, resolver: resolver, context: context, variables: variables,
                operationName: operationName)
            return GraphQLErrorMapping.map(result)
        } catch {
            return GraphQLErrorMapping.map(GraphQLResult(data: nil, errors: [GraphQLError(error)]))
        }
    }
}

/// Turns errors into the codes of SPEC §11 and hides internals.
enum GraphQLErrorMapping {
    static func map(_ result: GraphQLResult) -> GraphQLResult {
        guard !result.errors.isEmpty else { return result }
        let errors = result.errors.map { error -> GraphQLError in
            let (code, message) = classify(error)
            return GraphQLError(
                message: message, locations: error.locations, path: error.path, extensions: ["code": .string(code)])
        }
        return GraphQLResult(data: result.data, errors: errors)
    }

    static func classify(_ error: GraphQLError) -> (code: String, message: String) {
        guard let original = error.originalError else {
            // Parse and validation errors carry no original error; their message is for the client.
            return ("GRAPHQL_VALIDATION_FAILED", error.message)
        }
        if let domain = original as? ITOpsError {
            switch domain.code {
            case .unauthenticated: return ("UNAUTHENTICATED", domain.message)
            case .forbidden: return ("FORBIDDEN", domain.message)
            case .malformed, .invalid, .payloadTooLarge, .unsupportedMediaType: return ("BAD_USER_INPUT", domain.message)
            case .notFound: return ("NOT_FOUND", domain.message)
            case .conflict: return ("CONFLICT", domain.message)
            case .rateLimited: return ("RATE_LIMITED", domain.message)
            case .unavailable: return ("SERVICE_UNAVAILABLE", domain.message)
            case .internal: return ("INTERNAL_SERVER_ERROR", "internal error")
            }
        }
        if original is DecodingError {
            return ("BAD_USER_INPUT", "invalid argument: \(error.message)")
        }
        return ("INTERNAL_SERVER_ERROR", "internal error")
    }
}
