import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import Testing

@testable import ITOpsAgent

/// A stand-in for the Kubernetes API server (not a real one): it speaks the list and watch wire format
/// of `apps/v1` workloads and `v1` ConfigMaps — a list with `metadata.resourceVersion`, then a watch
/// answered as newline-delimited JSON events (`ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK`, `ERROR` with a
/// 410 `Status`) — and follows a script per watch request, including dropping the connection mid-stream.
final class KubeStandIn: Sendable {
    /// What one watch response does, step by step.
    enum Step: Sendable {
        case event(String, [String: String])  // type, object as JSON text pieces (see `workload`)
        case raw(String)  // one line as is
        case pause(Duration)
        case drop  // close the connection mid-stream
        case end  // finish the response normally
        case hold  // stay open until the client goes
    }

    struct Seen: Sendable, Equatable {
        var path: String
        var watch: Bool
        var resourceVersion: String?
        var authorization: String?
    }

    let seen = Shared<[Seen]>([])
    /// The list answers per collection path (JSON text), one per list request; the last one repeats.
    let lists = Shared<[String: [String]]>([:])
    /// The scripts of the coming watches per collection path, consumed one per watch request.
    let watches = Shared<[String: [[Step]]]>([:])
    let port: Int
    let task: Task<Void, any Error>

    init() async throws {
        let router = Router()
        let seen = self.seen
        let lists = self.lists
        let watches = self.watches
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let path = request.uri.path
            let query = request.uri.queryParameters
            let watch = query.get("watch") == "1" || query.get("watch") == "true"
            seen.update {
                $0.append(
                    Seen(
                        path: path, watch: watch, resourceVersion: query.get("resourceVersion"),
                        authorization: request.headers[.authorization]))
            }
            guard watch else {
                let body =
                    lists.update { answers -> String? in
                        guard var queue = answers[path], let first = queue.first else { return nil }
                        if queue.count > 1 { queue.removeFirst() }
                        answers[path] = queue
                        return first
                    } ?? "{\"kind\": \"List\", \"metadata\": {\"resourceVersion\": \"1\"}, \"items\": []}"
                return Response(
                    status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
            }
            let script: [Step] = watches.update { scripts in
                guard var queue = scripts[path], !queue.isEmpty else { return [.hold] }
                let first = queue.removeFirst()
                scripts[path] = queue
                return first
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody { writer in
                    for step in script {
                        switch step {
                        case .event(let type, let object):
                            try await writer.write(ByteBuffer(string: "{\"type\": \"\(type)\", \"object\": \(object["json"]!)}\n"))
                        case .raw(let line):
                            try await writer.write(ByteBuffer(string: line + "\n"))
                        case .pause(let duration):
                            try await Task.sleep(for: duration)
                        case .drop:
                            throw StandInError.dropped
                        case .end:
                            try await writer.finish(nil)
                            return
                        case .hold:
                            try await Task.sleep(for: .seconds(3600))
                        }
                    }
                    try await writer.finish(nil)
                })
        }
        router.get("apis/apps/v1/namespaces/:namespace/:resource", use: handler)
        router.get("api/v1/namespaces/:namespace/configmaps", use: handler)
        (port, task) = try await serve(router)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// A Deployment / StatefulSet object as JSON text.
    static func workload(_ name: String, replicas: Int, ready: Int, version: String, namespace: String = "prod") -> [String: String] {
        [
            "json": """
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "\(name)", "namespace": "\(namespace)", "resourceVersion": "\(version)"}, "spec": {"replicas": \(replicas)}, "status": {"replicas": \(replicas), "readyReplicas": \(ready)}}
            """
        ]
    }

    static func list(_ items: [[String: String]], version: String) -> String {
        "{\"kind\": \"List\", \"apiVersion\": \"v1\", \"metadata\": {\"resourceVersion\": \"\(version)\"}, \"items\": [\(items.map { $0["json"]! }.joined(separator: ","))]}"
    }

    static func bookmark(_ version: String) -> Step {
        .event("BOOKMARK", ["json": "{\"kind\": \"Deployment\", \"apiVersion\": \"apps/v1\", \"metadata\": {\"resourceVersion\": \"\(version)\"}}"])
    }

    static let gone = Step.event(
        "ERROR",
        ["json": "{\"kind\": \"Status\", \"apiVersion\": \"v1\", \"status\": \"Failure\", \"message\": \"too old resource version\", \"reason\": \"Expired\", \"code\": 410}"])
}

@Suite("Kubernetes mode against a stand-in API server", .serialized)
struct KubernetesTests {
    @Test("list, watch, bookmark, dropped connection, 410 Gone: the agent follows every workload and resumes where it should")
    func reflector() async throws {
        let kube = try await KubeStandIn()
        let itops = try await CapturingITOps()
        defer {
            kube.task.cancel()
            itops.task.cancel()
        }
        let deployments = "/apis/apps/v1/namespaces/prod/deployments"
        let configMaps = "/api/v1/namespaces/itops/configmaps"
        kube.lists.value[deployments] = [
            KubeStandIn.list([KubeStandIn.workload("web", replicas: 3, ready: 3, version: "90")], version: "100"),
            // The relist after 410 Gone: web healthy again, api recovered.
            KubeStandIn.list(
                [
                    KubeStandIn.workload("web", replicas: 3, ready: 3, version: "190"),
                    KubeStandIn.workload("api", replicas: 2, ready: 2, version: "195"),
                ], version: "200"),
        ]
        kube.lists.value[configMaps] = ["""
            {"kind": "ConfigMapList", "metadata": {"resourceVersion": "7"}, "items": [{"metadata": {"name": "it-ops", "namespace": "itops", "resourceVersion": "7"}, "data": {"it-ops.yaml": "slaGroups:\\n  - {name: shop, tier: critical}\\nservices:\\n  - name: web\\n    criticality: critical\\n    slaGroup: shop\\n    operations: {backup: {expected: false}}\\n"}}]}
            """]
        kube.watches.value[deployments] = [
            // 1: a change, a bookmark, then the connection drops mid-stream.
            [
                .pause(.milliseconds(400)), .event("MODIFIED", KubeStandIn.workload("web", replicas: 3, ready: 1, version: "101")),
                .pause(.milliseconds(400)), KubeStandIn.bookmark("150"), .pause(.milliseconds(100)), .drop,
            ],
            // 2: resumed from the bookmark; a new workload, then 410 Gone.
            [
                .event("ADDED", KubeStandIn.workload("api", replicas: 2, ready: 0, version: "151")),
                .pause(.milliseconds(400)), KubeStandIn.gone,
            ],
            // 3: after the relist: a deletion, then the watch ends normally (its timeout).
            [.pause(.milliseconds(200)), .event("DELETED", KubeStandIn.workload("api", replicas: 2, ready: 2, version: "201")), .end],
        ]

        let directory = scratchDirectory("kube")
        defer { try? FileManager.default.removeItem(at: directory) }
        let token = directory.appendingPathComponent("token")
        try Data("token-abc\n".utf8).write(to: token)
        let yaml = """
            nodeId: myorg/platform/prod/cluster1
            mode: kubernetes
            server: {url: "\(itops.url)", apiKey: k8s-key}
            syncInterval: 1s
            heartbeatInterval: 1s
            buffer: {directory: "\(directory.path)/buffer", retryMin: 50ms, retryMax: 200ms}
            kubernetes:
              apiServer: "\(kube.url)"
              tokenFile: "\(token.path)"
              namespaces: [prod]
              configMap: {namespace: itops, name: it-ops}
              watchTimeout: 30s
            """
        let config = try AgentConfig.parse(yaml)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var logger = Logger(label: "agent-test")
        logger.logLevel = .warning
        let agent = try Agent(config: config, http: http, logger: logger)
        let running = Task { await agent.runLoops() }

        func status(_ name: String) -> String? { itops.latestSync()[name]?["status"] as? String }
        func everStatus(_ name: String, _ wanted: String) -> Bool {
            itops.bodies("operator/status").contains { body in
                (body["services"] as? [[String: Any]] ?? []).contains { $0["name"] as? String == name && $0["status"] as? String == wanted }
            }
        }
        // The listed workload, with its ConfigMap metadata.
        try await eventually("web OPERATIONAL from the list") { status("web") == "OPERATIONAL" }
        try await eventually("web DEGRADED from the watch") { everStatus("web", "DEGRADED") }
        try await eventually("api DOWN after the resumed watch") { everStatus("api", "DOWN") }
        // After the 410, the relist shows web healthy again and api recovered; then api is deleted.
        try await eventually("api gone after DELETED", within: .seconds(20)) {
            status("web") == "OPERATIONAL" && itops.latestSync()["api"] == nil
                && kube.seen.value.filter { $0.path == deployments && $0.watch }.count >= 4
        }
        running.cancel()
        await running.value
        try await http.shutdown()

        let watches = kube.seen.value.filter { $0.path == deployments && $0.watch }.map(\.resourceVersion)
        let lists = kube.seen.value.filter { $0.path == deployments && !$0.watch }
        // Watch 1 from the list's version, watch 2 from the bookmark (not the last event), watch 3 from the
        // relist after 410 Gone, watch 4 from the DELETED event's version after the normal end.
        #expect(Array(watches.prefix(4)) == ["100", "150", "200", "201"])
        #expect(lists.count >= 2)
        #expect(kube.seen.value.allSatisfy { $0.authorization == "Bearer token-abc" })

        let web = try #require(itops.latestSync()["web"])
        #expect(web["workloadType"] as? String == "Deployment")
        #expect(web["namespace"] as? String == "prod")
        #expect(web["replicas"] as? Int == 3 && web["readyReplicas"] as? Int == 3)
        #expect(web["criticality"] as? String == "critical" && web["slaGroup"] as? String == "shop")
        let sync = try #require(itops.bodies("operator/status").last)
        #expect((sync["slaGroups"] as? [[String: Any]])?.first?["name"] as? String == "shop")
        #expect(sync["observedAt"] is String)
        #expect(itops.bodies("operator/register").contains { $0["name"] as? String == "web" })
        #expect(itops.requests.value.allSatisfy { $0.apiKey == "k8s-key" })
        #expect(agent.metrics.value("itops_agent_kube_watch_restarts_total", [("resource", "deployments"), ("reason", "dropped")]) >= 1)
        #expect(agent.metrics.value("itops_agent_kube_watch_restarts_total", [("resource", "deployments"), ("reason", "gone")]) >= 1)
    }

    @Test("replicas and ready replicas map to OPERATIONAL, DEGRADED and DOWN")
    func statusMapping() {
        #expect(Workload(kind: "Deployment", namespace: "a", name: "x", replicas: 3, readyReplicas: 3).status == .operational)
        #expect(Workload(kind: "Deployment", namespace: "a", name: "x", replicas: 3, readyReplicas: 2).status == .degraded)
        #expect(Workload(kind: "Deployment", namespace: "a", name: "x", replicas: 3, readyReplicas: 0).status == .down)
        #expect(Workload(kind: "Deployment", namespace: "a", name: "x", replicas: 0, readyReplicas: 0).status == .down)
        let daemonSet = Workload.decode(
            kind: "DaemonSet",
            ["metadata": ["name": "node-exporter", "namespace": "mon"], "status": ["desiredNumberScheduled": 4, "numberReady": 3]])
        #expect(daemonSet == Workload(kind: "DaemonSet", namespace: "mon", name: "node-exporter", replicas: 4, readyReplicas: 3))
        let defaulted = Workload.decode(kind: "StatefulSet", ["metadata": ["name": "db"], "spec": [:], "status": ["readyReplicas": 1]])
        #expect(defaulted?.replicas == 1 && defaulted?.status == .operational)
    }

    @Test("the catalogue ConfigMap is watched: a broken edit is refused and counted, a good one adds services and checks")
    func configMapWatch() async throws {
        let kube = try await KubeStandIn()
        let itops = try await CapturingITOps()
        defer {
            kube.task.cancel()
            itops.task.cancel()
        }
        let configMaps = "/api/v1/namespaces/itops/configmaps"
        func map(_ yaml: String, version: String) -> [String: String] {
            let data = try! JSONSerialization.data(withJSONObject: ["it-ops.yaml": yaml])
            return ["json": "{\"metadata\": {\"name\": \"it-ops\", \"namespace\": \"itops\", \"resourceVersion\": \"\(version)\"}, \"data\": \(String(decoding: data, as: UTF8.self))}"]
        }
        kube.lists.value[configMaps] = [KubeStandIn.list([map("services:\n  - name: web\n", version: "5")], version: "5")]
        kube.watches.value[configMaps] = [
            [
                .pause(.milliseconds(500)),
                .event("MODIFIED", map("services:\n  - name: web\n    criticality: urgent\n", version: "6")),
                .pause(.milliseconds(500)),
                .event(
                    "MODIFIED",
                    map("services:\n  - name: web\n  - name: cache\n    criticality: low\n    checks: [{type: command, command: [/bin/true], interval: 100ms}]\n", version: "7")),
                .hold,
            ]
        ]
        let directory = scratchDirectory("configmap")
        defer { try? FileManager.default.removeItem(at: directory) }
        let yaml = """
            nodeId: myorg/platform/prod/cluster2
            mode: kubernetes
            server: {url: "\(itops.url)", apiKey: k}
            syncInterval: 1s
            buffer: {directory: "\(directory.path)/buffer", retryMin: 50ms, retryMax: 200ms}
            kubernetes:
              apiServer: "\(kube.url)"
              tokenFile: "\(directory.path)/no-token"
              namespaces: [prod]
              configMap: {namespace: itops, name: it-ops}
            """
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var logger = Logger(label: "agent-test")
        logger.logLevel = .critical
        let agent = try Agent(config: try AgentConfig.parse(yaml), http: http, logger: logger)
        let running = Task { await agent.runLoops() }
        try await eventually("web registered from the listed ConfigMap") {
            itops.bodies("operator/register").contains { $0["name"] as? String == "web" }
        }
        try await eventually("the broken edit refused") { agent.metrics.value("itops_agent_configmap_errors_total") == 1 }
        try await eventually("cache registered and checked from the good edit") {
            itops.bodies("operator/register").contains { $0["name"] as? String == "cache" && $0["criticality"] as? String == "low" }
                && itops.latestSync()["cache"]?["status"] as? String == "OPERATIONAL"
        }
        running.cancel()
        await running.value
        try await http.shutdown()
        // The refused edit never reached the server: web was registered once, without a criticality.
        #expect(itops.bodies("operator/register").filter { $0["name"] as? String == "web" }.count == 1)
        // No token file: requests go without Authorization rather than failing.
        #expect(kube.seen.value.allSatisfy { $0.authorization == nil })
    }
}
