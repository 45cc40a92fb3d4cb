import Foundation
import Graphiti
import ITOpsCore

extension ITOpsAPI {
    /// Services, nodes and SLA groups.
    static var inventorySchema: PartialSchema<Resolver, GraphQLContext> {
        PartialSchema(
            types: {
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
                        .description(
                            "MET | AT_RISK | BREACHED this calendar month (UTC). Null while the SLA plugin is off.")
                    Field("currentUptime", at: \.currentUptime)
                        .description(
                            "Availability this calendar month (UTC) to date, in percent. Null while the SLA plugin is off."
                        )
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
            },
            query: {
                Field("services", at: Resolver.services) {
                    Argument("filter", at: \.filter)
                    Argument("first", at: \.first).description("Page size, 1–500 (default 50).")
                    Argument("after", at: \.after).description("endCursor of the previous page.")
                }
                Field("service", at: Resolver.service) {
                    Argument("id", at: \.id)
                }
                Field("nodes", at: Resolver.nodes) {
                    Argument("first", at: \.first).description("At most this many (1–500); all without it.")
                    Argument("after", at: \.after).description("The id of the last node of the previous page.")
                }
                .description("Every node of the hierarchy, by path.")
                Field("slaGroups", at: Resolver.slaGroups) {
                    Argument("first", at: \.first).description("At most this many (1–500); all without it.")
                    Argument("after", at: \.after).description("The name of the last group of the previous page.")
                }
                .description("Every SLA group, by name.")
            }
        )
    }
}
