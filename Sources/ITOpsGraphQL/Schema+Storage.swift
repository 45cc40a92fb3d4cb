import Foundation
import Graphiti
import ITOpsCore

extension ITOpsAPI {
    /// The console's fleet reads: storage volumes with their latest report and history, and the
    /// services that expect backups, overdue first, and a service's status history.
    static var storageSchema: PartialSchema<Resolver, GraphQLContext> {
        PartialSchema(
            types: {
                Type(StorageReportDTO.self, as: "StorageReport") {
                    Field("id", at: \.id)
                    Field("serviceId", at: \.serviceId)
                    Field("allocatedBytes", at: \.allocatedBytes).description("Bytes (a Float: may pass 2^31).")
                    Field("usedBytes", at: \.usedBytes)
                    Field("freeBytes", at: \.freeBytes)
                    Field("freePercent", at: \.freePercent)
                        .description("round(100 × (allocated − used) / allocated), as the push answered.")
                    Field("usedPercent", at: \.usedPercent).description("100 × used / allocated, one decimal.")
                    Field("state", at: \.state).description("healthy (> 30 % free) | warning (10–30 %) | critical (< 10 %)")
                    Field("storageType", at: \.storageType)
                    Field("mountPath", at: \.mountPath)
                    Field("reportedAt", at: \.reportedAt)
                }
                .description("One storage push (POST /api/v1/storage/report).")
                Type(StorageVolumeDTO.self, as: "StorageVolume") {
                    Field("service", at: \.service)
                    Field("current", at: \.current).description("The latest report; null before the first.")
                }
                Type(StorageVolumeEdgeDTO.self, as: "StorageVolumeEdge") {
                    Field("cursor", at: \.cursor)
                    Field("node", at: \.node)
                }
                Type(StorageVolumeConnectionDTO.self, as: "StorageVolumeConnection") {
                    Field("edges", at: \.edges)
                    Field("pageInfo", at: \.pageInfo)
                    Field("totalCount", at: \.totalCount)
                }
                Type(StorageReportEdgeDTO.self, as: "StorageReportEdge") {
                    Field("cursor", at: \.cursor)
                    Field("node", at: \.node)
                }
                Type(StorageReportConnectionDTO.self, as: "StorageReportConnection") {
                    Field("edges", at: \.edges)
                    Field("pageInfo", at: \.pageInfo)
                    Field("totalCount", at: \.totalCount)
                }
                Type(StorageSummaryDTO.self, as: "StorageSummary") {
                    Field("volumes", at: \.volumes)
                    Field("healthy", at: \.healthy)
                    Field("warning", at: \.warning)
                    Field("critical", at: \.critical)
                    Field("unreported", at: \.unreported).description("Storage services without a report yet.")
                }
                .description("Storage services by the state of their latest report.")
                Type(StatusChangeDTO.self, as: "StatusChange") {
                    Field("id", at: \.id)
                    Field("from", at: \.from).description("Null for the service's first status.")
                    Field("to", at: \.to).description("OPERATIONAL | DEGRADED | DOWN | MAINTENANCE | UNKNOWN")
                    Field("at", at: \.at)
                    Field("message", at: \.message)
                }
                .description("A change of a service's status.")
                Type(StatusChangeEdgeDTO.self, as: "StatusChangeEdge") {
                    Field("cursor", at: \.cursor)
                    Field("node", at: \.node)
                }
                Type(StatusChangeConnectionDTO.self, as: "StatusChangeConnection") {
                    Field("edges", at: \.edges)
                    Field("pageInfo", at: \.pageInfo)
                    Field("totalCount", at: \.totalCount)
                }
                Type(NodeStatusCountDTO.self, as: "NodeStatusCount") {
                    Field("nodeId", at: \.nodeId)
                    Field("status", at: \.status).description("OPERATIONAL | DEGRADED | DOWN | MAINTENANCE | UNKNOWN")
                    Field("count", at: \.count)
                }
                .description("Services of one node (not below it) in one status.")
                Input(Resolver.StorageFilterInput.self, as: "StorageFilter") {
                    InputField("nodeId", at: \.nodeId).description("A node and everything below it.")
                    InputField("search", at: \.search).description("Case-insensitive part of the name or display name.")
                }
            },
            query: {
                Field("storageVolumes", at: Resolver.storageVolumes) {
                    Argument("filter", at: \.filter)
                    Argument("first", at: \.first).description("Page size, 1–500 (default 50).")
                    Argument("after", at: \.after).description("endCursor of the previous page.")
                }
                .description("Storage services (tagged storage) by node and name, each with its latest report.")
                Field("storageSummary", at: Resolver.storageSummary) {
                    Argument("filter", at: \.filter)
                }
                .description("How many storage services are healthy, warning or critical now.")
                Field("storageHistory", at: Resolver.storageHistory) {
                    Argument("serviceId", at: \.serviceId)
                    Argument("first", at: \.first).description("Page size, 1–500 (default 100).")
                    Argument("after", at: \.after).description("endCursor of the previous page.")
                }
                .description("The storage reports of a service, newest first.")
                Field("backupServices", at: Resolver.backupServices) {
                    Argument("overdueOnly", at: \.overdueOnly).description("Only overdue ones; default false.")
                    Argument("first", at: \.first).description("Page size, 1–500 (default 50).")
                    Argument("after", at: \.after).description("endCursor of the previous page.")
                }
                .description("Services that expect backups: overdue first, then by node and name.")
                Field("serviceHistory", at: Resolver.serviceHistory) {
                    Argument("serviceId", at: \.serviceId)
                    Argument("first", at: \.first).description("Page size, 1–500 (default 50).")
                    Argument("after", at: \.after).description("endCursor of the previous page.")
                }
                .description("The status changes of a service, newest first.")
                Field("serviceStatusCounts", at: Resolver.serviceStatusCounts)
                    .description(
                        "Services per node and status, each node on its own: add a node's descendants for its subtree.")
            }
        )
    }
}
