import Foundation
import Graphiti
import ITOpsCore

extension GraphQLBackend {
    /// The audit trail; `nil` for backends without one.
    public var audit: AuditTrail? { nil }
}

/// One audit entry on the wire.
struct AuditLogDTO: Codable, Sendable {
    let seq: Int
    let at: String
    let actorKind: String
    let actorId: String?
    let actorName: String?
    let action: String
    let targetType: String?
    let targetId: String?
    let summary: String
    let outcome: String
    let client: String?
    let requestId: String?
    let prevHash: String
    let hash: String

    init(_ entry: AuditEntry) {
        seq = Int(entry.seq)
        at = entry.at.iso8601
        actorKind = entry.actorKind
        actorId = entry.actorId
        actorName = entry.actorName
        action = entry.action
        targetType = entry.targetType
        targetId = entry.targetId
        summary = entry.summary
        outcome = entry.outcome
        client = entry.client
        requestId = entry.requestId
        prevHash = entry.prevHash
        hash = entry.hash
    }
}

struct AuditLogEdgeDTO: Codable, Sendable {
    let cursor: String
    let node: AuditLogDTO
}

struct AuditLogConnectionDTO: Codable, Sendable {
    let edges: [AuditLogEdgeDTO]
    let pageInfo: PageInfoDTO
}

extension Resolver {
    struct AuditFilterInput: Codable, Sendable {
        let actor: String?
        let action: String?
        let targetType: String?
        let targetId: String?
        let from: String?
        let to: String?
    }

    struct AuditLogsArguments: Codable, Sendable {
        let filter: AuditFilterInput?
        let first: Int?
        let after: String?
    }

    func auditLogs(context: GraphQLContext, arguments: AuditLogsArguments) async throws -> AuditLogConnectionDTO {
        try context.require(.admin)
        try context.requirePlugin(.audit)
        guard let trail = context.backend.audit else {
            throw ITOpsError(.unavailable, "the audit trail is not available on this server")
        }
        let first = try Self.limit(arguments.first)
        var filter = AuditFilter()
        if let input = arguments.filter {
            filter.actor = input.actor
            filter.action = input.action
            filter.targetType = input.targetType
            filter.targetId = input.targetId
            filter.from = try input.from.map { try Self.instant($0, field: "filter.from") }
            filter.to = try input.to.map { try Self.instant($0, field: "filter.to") }
        }
        var before: Int64?
        if let after = arguments.after {
            guard let value = Int64(after), value > 0 else { throw ITOpsError.invalid("after: not a cursor from this API") }
            before = value
        }
        let page = try await trail.entries(matching: filter, before: before, limit: first + 1)
        let edges = page.prefix(first).map { AuditLogEdgeDTO(cursor: String($0.seq), node: AuditLogDTO($0)) }
        return AuditLogConnectionDTO(
            edges: edges, pageInfo: PageInfoDTO(hasNextPage: page.count > first, endCursor: edges.last?.cursor))
    }

    static func instant(_ text: String, field: String) throws -> Date {
        guard let date = ISO8601.parse(text) else {
            throw ITOpsError.invalid("\(field): must be an ISO 8601 timestamp like 2026-04-20T00:00:00Z")
        }
        return date
    }
}

extension ITOpsAPI {
    /// The audit plugin: the tamper-evident trail, for admins.
    static var auditSchema: PartialSchema<Resolver, GraphQLContext> {
        PartialSchema(
            types: {
                Type(AuditLogDTO.self, as: "AuditLog") {
                    Field("seq", at: \.seq).description("Position in the chain, from 1, without gaps.")
                    Field("at", at: \.at)
                    Field("actorKind", at: \.actorKind).description("user | apikey | anonymous | system")
                    Field("actorId", at: \.actorId)
                    Field("actorName", at: \.actorName).description(
                        "Email or key name; for an anonymous failed login, the email tried.")
                    Field("action", at: \.action).description("graphql.<mutation>, <METHOD> <route>, auth.refused …")
                    Field("targetType", at: \.targetType)
                    Field("targetId", at: \.targetId)
                    Field("summary", at: \.summary).description("JSON, secrets redacted.")
                    Field("outcome", at: \.outcome).description("success | failure | denied")
                    Field("client", at: \.client)
                    Field("requestId", at: \.requestId)
                    Field("prevHash", at: \.prevHash)
                    Field("hash", at: \.hash).description("SHA-256 over the canonical entry and prevHash.")
                }
                Type(AuditLogEdgeDTO.self, as: "AuditLogEdge") {
                    Field("cursor", at: \.cursor)
                    Field("node", at: \.node)
                }
                Type(AuditLogConnectionDTO.self, as: "AuditLogConnection") {
                    Field("edges", at: \.edges)
                    Field("pageInfo", at: \.pageInfo)
                }
                Input(Resolver.AuditFilterInput.self, as: "AuditLogFilter") {
                    InputField("actor", at: \.actor).description("Part of the email or key name, or the id.")
                    InputField("action", at: \.action)
                    InputField("targetType", at: \.targetType)
                    InputField("targetId", at: \.targetId)
                    InputField("from", at: \.from).description("ISO 8601, inclusive.")
                    InputField("to", at: \.to).description("ISO 8601, exclusive.")
                }
            },
            query: {
                Field("auditLogs", at: Resolver.auditLogs) {
                    Argument("filter", at: \.filter)
                    Argument("first", at: \.first).description("1–500, default 50.")
                    Argument("after", at: \.after)
                }
                .description("Newest first. Admins only. Plugin audit.")
            }
        )
    }
}
