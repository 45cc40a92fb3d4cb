import Foundation
import Hummingbird
import ITOpsCore

/// The agent and webhook REST API of the reference: `/api/v1/operator/*`, pushes, backups.
struct AgentRoutes {
    let runtime: ITOpsRuntime
    let auth: Authenticator

    struct Success: Encodable {
        var success = true
        var message: String
    }

    struct SyncResponse: Encodable {
        var success = true
        var message: String
        var created: Int
        var updated: Int
        var markedUnknown: Int
    }

    struct ServiceSummary: Encodable {
        struct Backup: Encodable {
            var expected: Bool
            var maxAgeDays: Int
        }
        struct Operations: Encodable { var backup: Backup }
        var id: String
        var name: String
        var nodeId: String
        var displayName: String?
        var status: String
        var criticality: String?
        var namespace: String?
        var serviceType: String?
        var slaGroup: String?
        var tags: [String]
        var operations: Operations

        init(_ s: Service) {
            id = s.id.stored
            name = s.name
            nodeId = s.nodeId.value
            displayName = s.displayName
            status = s.status.rawValue
            criticality = s.criticality?.rawValue
            namespace = s.namespace
            serviceType = s.serviceType
            slaGroup = s.slaGroup
            tags = s.tags
            operations = Operations(backup: Backup(expected: s.backup.expected, maxAgeDays: s.backup.maxAgeDays))
        }
    }

    struct RegisterResponse: Encodable {
        var success = true
        var message: String
        var created: Bool
        var service: ServiceSummary
    }

    struct ServicesResponse: Encodable {
        var success = true
        var nodeId: String
        var services: [ServiceSummary]
    }

    struct HealthResponse: Encodable {
        var success = true
        var message: String
        var serviceId: String
        var serviceName: String
        var nodeId: String
        var status: String
        var created: Bool
    }

    struct StorageResponse: Encodable {
        var success = true
        var serviceName: String
        var freePercent: Int
        var status: String
    }

    struct BackupResponse: Encodable {
        var success = true
        var message: String
        var affected: Int
        var services: [String]
    }

    func add(to router: Router<AppRequestContext>) {
        let api = router.group("api/v1")
        let ingest = runtime.ingest
        let metrics = runtime.metrics

        api.post("operator/status") { request, context in
            let principal = try await auth.require(.operator, request, scoped: true)
            var request = request
            let command = try await request.decodeJSON(Commands.OperatorStatus.self, context: context)
            try principal.requireScope(nodeId: command.nodeId)
            let result = try await ingest.operatorStatus(command)
            metrics.reportIngested(kind: "operator_status")
            return try jsonResponse(
                SyncResponse(
                    message: "synced \(result.created + result.updated) services", created: result.created,
                    updated: result.updated, markedUnknown: result.markedUnknown))
        }

        api.post("operator/heartbeat") { request, context in
            let principal = try await auth.require(.operator, request, scoped: true)
            var request = request
            let command = try await request.decodeJSON(Commands.Heartbeat.self, context: context)
            try principal.requireScope(nodeId: command.nodeId)
            try await ingest.heartbeat(command)
            metrics.reportIngested(kind: "heartbeat")
            return try jsonResponse(Success(message: "heartbeat recorded"))
        }

        api.post("operator/register") { request, context in
            let principal = try await auth.require(.operator, request, scoped: true)
            var request = request
            let command = try await request.decodeJSON(Commands.Register.self, context: context)
            try principal.requireScope(nodeId: command.nodeId)
            let (service, created) = try await ingest.register(command)
            metrics.reportIngested(kind: "register")
            return try jsonResponse(
                RegisterResponse(
                    message: created ? "service registered" : "service updated", created: created,
                    service: ServiceSummary(service)),
                status: created ? .created : .ok)
        }

        api.get("operator/services") { request, context in
            let principal = try await auth.require(.operator, request, scoped: true)
            let nodeId = request.uri.queryParameters.get("nodeId")
            if nodeId != nil { try principal.requireScope(nodeId: nodeId) }
            let services = try await ingest.registeredServices(nodeId: nodeId).filter { principal.covers($0.nodeId) }
            return try jsonResponse(ServicesResponse(nodeId: nodeId ?? "", services: services.map(ServiceSummary.init)))
        }

        api.post("health/report") { request, context in
            let principal = try await auth.require(.operator, request, scoped: true)
            var request = request
            let command = try await request.decodeJSON(Commands.HealthReport.self, context: context)
            try principal.requireScope(nodeId: command.nodeId)
            let receipt = try await ingest.recordHealth(command)
            metrics.reportIngested(kind: "health")
            return try jsonResponse(
                HealthResponse(
                    message: receipt.created ? "service created" : "status recorded",
                    serviceId: receipt.serviceId.stored,
                    serviceName: receipt.serviceName, nodeId: receipt.nodeId.value, status: receipt.status.rawValue,
                    created: receipt.created))
        }

        api.post("storage/report") { request, context in
            let principal = try await auth.require(.operator, request, scoped: true)
            var request = request
            let command = try await request.decodeJSON(Commands.StoragePush.self, context: context)
            try principal.requireScope(nodeId: command.nodeId)
            let result = try await ingest.storageReport(command)
            metrics.reportIngested(kind: "storage")
            return try jsonResponse(
                StorageResponse(
                    serviceName: result.serviceName, freePercent: result.freePercent, status: result.state.rawValue))
        }

        api.post("backup/report") { request, context in
            let principal = try await auth.require(.operator, request, scoped: true)
            var request = request
            let command = try await request.decodeJSON(Commands.BackupPush.self, context: context)
            if let scope = principal.nodeScope, command.service == nil {
                throw ITOpsError.forbidden(
                    "this key is scoped to \(scope.map(\.value).joined(separator: ", ")); it reports backups by service and nodeId, not by slaGroup or namespace"
                )
            }
            try principal.requireScope(nodeId: command.nodeId)
            let result = try await ingest.backupReport(command)
            metrics.reportIngested(kind: "backup")
            let count = result.services.count
            return try jsonResponse(
                BackupResponse(
                    message: "backup report recorded for \(count) service\(count == 1 ? "" : "s")", affected: count,
                    services: result.services))
        }

        let config = runtime.config
        api.get("auth/providers") { _, _ in
            struct Provider: Encodable {
                var id: String
                var type: String
                var name: String
                /// Where the console sends the browser for a redirect provider (OIDC).
                var loginUrl: String?
            }
            struct Providers: Encodable {
                var success = true
                var providers: [Provider]
            }
            var providers = [Provider(id: "local", type: "local", name: "Email and password")]
            // LDAP users sign in through the same form (login mutation) with their directory user name.
            if let ldap = config.ldap { providers.append(Provider(id: "ldap", type: "ldap", name: ldap.name)) }
            if let oidc = config.oidc {
                providers.append(Provider(id: "oidc", type: "oidc", name: oidc.name, loginUrl: "/api/v1/auth/oidc/login"))
            }
            return try jsonResponse(Providers(providers: providers))
        }
    }
}
