import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL

/// The Kubernetes API as the agent uses it: GET with the service account's bearer token.
public struct KubeAPI: Sendable {
    let http: HTTPClient
    let baseURL: String
    let tokenFile: String

    /// A client for `settings`; trusts the cluster CA file when the API server is https and the file exists.
    public static func make(_ settings: AgentConfig.Kubernetes) throws -> (KubeAPI, HTTPClient) {
        guard let base = settings.apiServer else {
            throw KubeError(message: "no Kubernetes API server: set kubernetes.apiServer or run in a pod (KUBERNETES_SERVICE_HOST)")
        }
        var configuration = HTTPClient.Configuration()
        if base.hasPrefix("https"), FileManager.default.fileExists(atPath: settings.caFile) {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(settings.caFile)
            configuration.tlsConfiguration = tls
        }
        configuration.timeout.connect = .seconds(10)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        return (KubeAPI(http: http, baseURL: trimmed, tokenFile: settings.tokenFile), http)
    }

    func request(_ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "itops-agent/\(AgentVersion.current)")
        // Projected service account tokens rotate: read the file on every request.
        if let token = try? String(contentsOfFile: tokenFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty
        {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        return request
    }
}

/// A failure talking to the Kubernetes API.
public struct KubeError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public let message: String
    /// The message.
    public var description: String { message }
}

/// List then watch one collection, client-go's reflector in small: keeps the last `resourceVersion`
/// (from every event and every BOOKMARK), re-watches from it when a watch ends or its connection drops,
/// and lists again only when the API server answers 410 Gone (the version is too old) or another error.
public struct KubeReflector<Object: Sendable>: Sendable {
    /// What to do with what the API server says.
    public struct Handlers: Sendable {
        /// The whole collection after a list.
        var list: @Sendable ([Object]) async -> Void
        /// One watch event: `ADDED`, `MODIFIED` or `DELETED`.
        var event: @Sendable (String, Object) async -> Void
    }

    let api: KubeAPI
    /// The collection path, e.g. `/apis/apps/v1/namespaces/prod/deployments`.
    let path: String
    /// Extra query of both list and watch (e.g. a field selector), already encoded.
    let query: String
    /// A label for logs and metrics, e.g. `deployments`.
    let resource: String
    let decode: @Sendable ([String: Any]) -> Object?
    let watchTimeout: Duration
    let retryMin: Duration
    let retryMax: Duration
    let metrics: AgentMetrics
    let logger: Logger

    /// Runs until cancelled.
    public func run(_ handlers: Handlers) async {
        var failures = 0
        while !Task.isCancelled {
            // List.
            let version: String
            do {
                let (items, listed) = try await list()
                metrics.increment("itops_agent_kube_relists_total", [("resource", resource)])
                await handlers.list(items)
                version = listed
                failures = 0
            } catch {
                failures += 1
                logger.warning("kubernetes list failed", metadata: ["resource": "\(resource)", "error": "\(error)"])
                try? await Task.sleep(for: Outbox.backoff(attempt: failures, min: retryMin, max: retryMax))
                continue
            }
            // Watch from the listed version until the server says it is gone.
            await watchUntilGone(from: version, handlers: handlers)
        }
    }

    private func list() async throws -> ([Object], String) {
        let request = api.request(path + (query.isEmpty ? "" : "?\(query)"))
        let response = try await api.http.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status.code == 200 else {
            throw KubeError(message: "list \(path): HTTP \(response.status.code): \(String(buffer: body).prefix(300))")
        }
        guard let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
            let metadata = json["metadata"] as? [String: Any], let version = metadata["resourceVersion"] as? String
        else { throw KubeError(message: "list \(path): not a Kubernetes list") }
        let items = (json["items"] as? [[String: Any]] ?? []).compactMap(decode)
        return (items, version)
    }

    /// Watches, re-watching from the newest version after an end or a drop; returns when a relist is needed.
    private func watchUntilGone(from start: String, handlers: Handlers) async {
        var version = start
        var drops = 0
        while !Task.isCancelled {
            var query = "watch=1&allowWatchBookmarks=true&resourceVersion=\(version)"
            query += "&timeoutSeconds=\(Int(watchTimeout.seconds.rounded(.up)))"
            if !self.query.isEmpty { query += "&" + self.query }
            let request = api.request("\(path)?\(query)")
            do {
                let response = try await api.http.execute(request, timeout: .nanoseconds((watchTimeout + .seconds(30)).nanoseconds))
                if response.status.code == 410 {
                    metrics.increment("itops_agent_kube_watch_restarts_total", [("resource", resource), ("reason", "gone")])
                    return
                }
                guard response.status.code == 200 else {
                    logger.warning(
                        "kubernetes watch refused", metadata: ["resource": "\(resource)", "status": "\(response.status.code)"])
                    metrics.increment("itops_agent_kube_watch_restarts_total", [("resource", resource), ("reason", "error")])
                    drops += 1
                    try? await Task.sleep(for: Outbox.backoff(attempt: drops, min: retryMin, max: retryMax))
                    return
                }
                var pending = ByteBuffer()
                for try await chunk in response.body {
                    var chunk = chunk
                    pending.writeBuffer(&chunk)
                    while let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                        let length = newline - pending.readerIndex
                        guard let line = pending.readBytes(length: length) else { break }
                        pending.moveReaderIndex(forwardBy: 1)
                        switch await handle(line: line, version: &version, handlers: handlers) {
                        case .continue: break
                        case .relist:
                            metrics.increment(
                                "itops_agent_kube_watch_restarts_total", [("resource", resource), ("reason", "gone")])
                            return
                        }
                    }
                    pending.discardReadBytes()
                }
                // The server ended the watch (its timeout): watch again from where it left off.
                drops = 0
                metrics.increment("itops_agent_kube_watch_restarts_total", [("resource", resource), ("reason", "ended")])
            } catch {
                // The connection dropped mid-watch: resume from the last version seen, after a short wait.
                drops += 1
                metrics.increment("itops_agent_kube_watch_restarts_total", [("resource", resource), ("reason", "dropped")])
                logger.info(
                    "kubernetes watch dropped; resuming",
                    metadata: ["resource": "\(resource)", "resourceVersion": "\(version)", "error": "\(error)"])
                try? await Task.sleep(for: Outbox.backoff(attempt: drops, min: retryMin, max: retryMax))
            }
        }
    }

    private enum Next { case `continue`, relist }

    private func handle(line: [UInt8], version: inout String, handlers: Handlers) async -> Next {
        guard !line.isEmpty, let json = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
            let type = json["type"] as? String, let object = json["object"] as? [String: Any]
        else { return .continue }
        metrics.increment("itops_agent_kube_events_total", [("resource", resource), ("type", type)])
        if type == "ERROR" {
            // A Status object; 410 (Expired / Gone) means the version is too old: relist. Other errors too,
            // as client-go does, since the watch cannot go on from here.
            logger.info(
                "kubernetes watch error; relisting",
                metadata: ["resource": "\(resource)", "code": "\(object["code"] ?? "")", "reason": "\(object["reason"] ?? "")"])
            return .relist
        }
        if let metadata = object["metadata"] as? [String: Any], let next = metadata["resourceVersion"] as? String {
            version = next
        }
        switch type {
        case "ADDED", "MODIFIED", "DELETED":
            if let decoded = decode(object) { await handlers.event(type, decoded) }
        default:
            break  // BOOKMARK: only the version moves.
        }
        return .continue
    }
}
