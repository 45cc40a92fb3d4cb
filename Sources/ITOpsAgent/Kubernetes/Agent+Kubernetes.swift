import AsyncHTTPClient
import Foundation
import Logging

extension Workload {
    /// The three watched kinds: collection name, `workloadType`, and how to read replicas.
    static let kinds: [(resource: String, kind: String)] = [
        ("deployments", "Deployment"), ("statefulsets", "StatefulSet"), ("daemonsets", "DaemonSet"),
    ]

    /// Reads a Deployment, StatefulSet or DaemonSet object of the API.
    static func decode(kind: String, _ object: [String: Any]) -> Workload? {
        guard let metadata = object["metadata"] as? [String: Any], let name = metadata["name"] as? String else { return nil }
        let namespace = metadata["namespace"] as? String ?? "default"
        let spec = object["spec"] as? [String: Any] ?? [:]
        let status = object["status"] as? [String: Any] ?? [:]
        func int(_ value: Any?) -> Int { (value as? NSNumber)?.intValue ?? (value as? Int) ?? 0 }
        if kind == "DaemonSet" {
            return Workload(
                kind: kind, namespace: namespace, name: name, replicas: int(status["desiredNumberScheduled"]),
                readyReplicas: int(status["numberReady"]))
        }
        // spec.replicas defaults to 1 when absent, as the API server does.
        let replicas = spec["replicas"] == nil ? 1 : int(spec["replicas"])
        return Workload(kind: kind, namespace: namespace, name: name, replicas: replicas, readyReplicas: int(status["readyReplicas"]))
    }
}

extension Agent {
    /// Watches the workloads of the configured namespaces (all when none) and the catalogue ConfigMap.
    func watchKubernetes(_ settings: AgentConfig.Kubernetes) async {
        let api: KubeAPI
        let kubeHTTP: HTTPClient
        do {
            (api, kubeHTTP) = try KubeAPI.make(settings)
        } catch {
            logger.error("kubernetes mode cannot start", metadata: ["error": "\(error)"])
            return
        }
        let scopes: [String?] = settings.namespaces.isEmpty ? [nil] : settings.namespaces.map { $0 }
        await withDiscardingTaskGroup { group in
            for scope in scopes {
                for (resource, kind) in Workload.kinds {
                    let path = scope.map { "/apis/apps/v1/namespaces/\($0)/\(resource)" } ?? "/apis/apps/v1/\(resource)"
                    let reflector = KubeReflector<Workload>(
                        api: api, path: path, query: "", resource: resource,
                        decode: { Workload.decode(kind: kind, $0) }, watchTimeout: settings.watchTimeout,
                        retryMin: config.buffer.retryMin, retryMax: config.buffer.retryMax, metrics: metrics, logger: logger)
                    let state = self.state
                    group.addTask {
                        await reflector.run(
                            .init(
                                list: { await state.replaceWorkloads(kind: kind, namespace: scope, with: $0) },
                                event: { type, workload in
                                    if type == "DELETED" {
                                        await state.removeWorkload(
                                            kind: workload.kind, namespace: workload.namespace, name: workload.name)
                                    } else {
                                        await state.setWorkload(workload)
                                    }
                                }))
                    }
                }
            }
            if let map = settings.configMap {
                let reflector = KubeReflector<ConfigMapContent>(
                    api: api, path: "/api/v1/namespaces/\(map.namespace)/configmaps",
                    query: "fieldSelector=metadata.name%3D\(map.name)", resource: "configmaps",
                    decode: { ConfigMapContent.decode($0, name: map.name, key: map.key) },
                    watchTimeout: settings.watchTimeout, retryMin: config.buffer.retryMin,
                    retryMax: config.buffer.retryMax, metrics: metrics, logger: logger)
                group.addTask {
                    await reflector.run(
                        .init(
                            list: { await self.applyConfigMap($0.first) },
                            event: { type, content in await self.applyConfigMap(type == "DELETED" ? nil : content) }))
                }
            }
        }
        try? await kubeHTTP.shutdown()
    }

    /// Takes the ConfigMap's catalogue (added to the local file's); a bad one is logged and ignored.
    func applyConfigMap(_ content: ConfigMapContent?) async {
        var catalog = AgentCatalog(slaGroups: config.slaGroups, services: config.services)
        if let text = content?.yaml {
            do {
                let extra = try AgentCatalog.parse(text)
                let local = Set(catalog.services.map(\.name))
                catalog.services += extra.services.filter { !local.contains($0.name) }
                let groups = Set(catalog.slaGroups.map(\.name))
                catalog.slaGroups += extra.slaGroups.filter { !groups.contains($0.name) }
            } catch {
                metrics.increment("itops_agent_configmap_errors_total")
                logger.error("it-ops.yaml ConfigMap refused; keeping the previous catalogue", metadata: ["error": "\(error)"])
                return
            }
        }
        await state.setCatalog(catalog)
    }
}

/// The `it-ops.yaml` text of the catalogue ConfigMap (nil when the key is missing).
struct ConfigMapContent: Sendable {
    var yaml: String?

    static func decode(_ object: [String: Any], name: String, key: String) -> ConfigMapContent? {
        guard let metadata = object["metadata"] as? [String: Any], metadata["name"] as? String == name else { return nil }
        return ConfigMapContent(yaml: (object["data"] as? [String: Any])?[key] as? String)
    }
}
