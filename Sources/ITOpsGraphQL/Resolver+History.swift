import Foundation
import Graphiti
import ITOpsCore

extension Resolver {
    struct ServiceHistoryArguments: Codable, Sendable {
        let serviceId: String
        let first: Int?
        let after: String?
    }

    func serviceHistory(context: GraphQLContext, arguments: ServiceHistoryArguments) async throws
        -> StatusChangeConnectionDTO
    {
        try context.require(.viewer)
        let id = try Self.uuid(arguments.serviceId, field: "serviceId")
        try await Self.requireInScope(service: id, context)
        let first = try Self.limit(arguments.first)
        let cursor = try arguments.after.map(Self.decodeHistoryCursor)
        let queries = context.backend.reader.historyQueries
        let fetched = try await queries.statusHistory(serviceId: id, after: cursor, limit: first + 1)
        let page = try Self.page(fetched, first: first, context: context, cursor: Self.encodeHistoryCursor) {
            StatusChangeEdgeDTO(cursor: $0, node: StatusChangeDTO($1))
        }
        return StatusChangeConnectionDTO(
            edges: page.edges, pageInfo: page.pageInfo, totalCount: try await queries.statusHistoryCount(serviceId: id))
    }

    func serviceStatusCounts(context: GraphQLContext, arguments: NoArguments) async throws -> [NodeStatusCountDTO] {
        try context.require(.viewer)
        let principal = context.principal
        let counts = try await context.backend.reader.nodeCountQueries.nodeStatusCounts().filter { count in
            guard let principal, principal.nodeScope != nil else { return true }
            return (try? NodePath(validating: count.nodeId)).map(principal.covers) ?? false
        }
        try context.charge(counts.count)
        return counts.map(NodeStatusCountDTO.init)
    }

    static func encodeHistoryCursor(_ transition: StatusTransition) -> String {
        Data("\(transition.at.epochMilliseconds)\n\(transition.id.stored)".utf8).base64EncodedString()
    }

    static func decodeHistoryCursor(_ text: String) throws -> HistoryCursor {
        let cursor = try decodeStorageCursor(text)
        return HistoryCursor(at: cursor.reportedAt, id: cursor.id)
    }
}
