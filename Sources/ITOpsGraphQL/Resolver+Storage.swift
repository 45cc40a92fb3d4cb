import Foundation
import Graphiti
import ITOpsCore

extension Resolver {
    struct StorageFilterInput: Codable, Sendable {
        let nodeId: String?
        let search: String?
    }

    struct StorageVolumesArguments: Codable, Sendable {
        let filter: StorageFilterInput?
        let first: Int?
        let after: String?
    }

    struct StorageSummaryArguments: Codable, Sendable {
        let filter: StorageFilterInput?
    }

    struct StorageHistoryArguments: Codable, Sendable {
        let serviceId: String
        let first: Int?
        let after: String?
    }

    /// Storage services are the ones a storage push created or tagged `storage`.
    static func storageFilter(_ input: StorageFilterInput?) throws -> ServiceFilter {
        var filter = try Self.filter(
            ServiceFilterInput(
                nodeId: input?.nodeId, status: nil, slaGroup: nil, tag: nil, search: input?.search, namespace: nil))
        filter.tag = "storage"
        return filter
    }

    func storageVolumes(context: GraphQLContext, arguments: StorageVolumesArguments) async throws
        -> StorageVolumeConnectionDTO
    {
        try context.require(.viewer)
        let first = try Self.limit(arguments.first)
        var filter = try Self.storageFilter(arguments.filter)
        filter.scope = context.principal?.nodeScope
        let cursor = try arguments.after.map(Self.decodeCursor)
        let reader = context.backend.reader
        let fetched = try await reader.services(matching: filter, after: cursor, limit: first + 1)
        let latest = try await reader.storageQueries.latestStorageReports(serviceIds: fetched.prefix(first).map(\.id))
        let page = try Self.page(fetched, first: first, context: context, cursor: Self.encodeCursor) {
            StorageVolumeEdgeDTO(
                cursor: $0, node: StorageVolumeDTO(service: ServiceDTO($1), current: latest[$1.id].map(StorageReportDTO.init)))
        }
        return StorageVolumeConnectionDTO(
            edges: page.edges, pageInfo: page.pageInfo, totalCount: try await reader.countServices(matching: filter))
    }

    func storageSummary(context: GraphQLContext, arguments: StorageSummaryArguments) async throws
        -> StorageSummaryDTO
    {
        try context.require(.viewer)
        var filter = try Self.storageFilter(arguments.filter)
        filter.scope = context.principal?.nodeScope
        return StorageSummaryDTO(try await context.backend.reader.storageQueries.storageSummary(matching: filter))
    }

    func storageHistory(context: GraphQLContext, arguments: StorageHistoryArguments) async throws
        -> StorageReportConnectionDTO
    {
        try context.require(.viewer)
        let id = try Self.uuid(arguments.serviceId, field: "serviceId")
        try await Self.requireInScope(service: id, context)
        let first = try Self.limit(arguments.first, default: 100)
        let cursor = try arguments.after.map(Self.decodeStorageCursor)
        let queries = context.backend.reader.storageQueries
        let fetched = try await queries.storageHistory(serviceId: id, after: cursor, limit: first + 1)
        let page = try Self.page(fetched, first: first, context: context, cursor: Self.encodeStorageCursor) {
            StorageReportEdgeDTO(cursor: $0, node: StorageReportDTO($1))
        }
        return StorageReportConnectionDTO(
            edges: page.edges, pageInfo: page.pageInfo, totalCount: try await queries.storageReportCount(serviceId: id))
    }

    static func encodeStorageCursor(_ report: StorageReport) -> String {
        Data("\(report.reportedAt.epochMilliseconds)\n\(report.id.stored)".utf8).base64EncodedString()
    }

    static func decodeStorageCursor(_ text: String) throws -> StorageHistoryCursor {
        guard let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8) else {
            throw ITOpsError.invalid("after: not a cursor from this API")
        }
        let parts = decoded.split(separator: "\n", omittingEmptySubsequences: false)
        guard parts.count == 2, let ms = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else {
            throw ITOpsError.invalid("after: not a cursor from this API")
        }
        return StorageHistoryCursor(reportedAt: Date(epochMilliseconds: ms), id: id)
    }
}
