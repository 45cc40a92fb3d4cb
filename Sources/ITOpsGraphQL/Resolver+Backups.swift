import Foundation
import Graphiti
import ITOpsCore

extension Resolver {
    struct BackupServicesArguments: Codable, Sendable {
        let overdueOnly: Bool?
        let first: Int?
        let after: String?
    }

    func backupServices(context: GraphQLContext, arguments: BackupServicesArguments) async throws
        -> ServiceConnectionDTO
    {
        try context.require(.viewer)
        let first = try Self.limit(arguments.first)
        let overdueOnly = arguments.overdueOnly ?? false
        let cursor = try arguments.after.map(Self.decodeBackupCursor)
        let queries = context.backend.reader.backupQueries
        let scope = context.principal?.nodeScope
        let fetched = try await queries.servicesExpectingBackup(
            overdueOnly: overdueOnly, scope: scope, after: cursor, limit: first + 1)
        let page = try Self.page(fetched, first: first, context: context, cursor: Self.encodeBackupCursor) {
            ServiceEdgeDTO(cursor: $0, node: ServiceDTO($1))
        }
        return ServiceConnectionDTO(
            edges: page.edges, pageInfo: page.pageInfo,
            totalCount: try await queries.countServicesExpectingBackup(overdueOnly: overdueOnly, scope: scope))
    }

    static func encodeBackupCursor(_ service: Service) -> String {
        Data("\(service.backup.overdue ? 1 : 0)\n\(service.nodeId.value)\n\(service.name)".utf8).base64EncodedString()
    }

    static func decodeBackupCursor(_ text: String) throws -> BackupListCursor {
        guard let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8) else {
            throw ITOpsError.invalid("after: not a cursor from this API")
        }
        let parts = decoded.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "0" || parts[0] == "1" else {
            throw ITOpsError.invalid("after: not a cursor from this API")
        }
        return BackupListCursor(overdue: parts[0] == "1", nodeId: String(parts[1]), name: String(parts[2]))
    }
}
