import Foundation
import ITOpsCore
import Yams

/// A refused `it-ops.yaml`: every problem, each with its field path and line.
public struct AgentConfigError: Error, CustomStringConvertible, Sendable {
    /// One line per problem, e.g. `services[0].checks[1].port (line 14): must be a whole number`.
    public let problems: [String]
    /// All problems, one per line.
    public var description: String { "it-ops.yaml is invalid:\n" + problems.map { "  - " + $0 }.joined(separator: "\n") }
}

extension AgentConfig {
    /// Largest it-ops.yaml read (1 MiB), most YAML nodes once aliases expand, deepest nesting.
    static let maxBytes = 1 << 20
    static let maxNodes = 200_000
    static let maxNesting = 64

    /// Reads the file at `path`; `environment` resolves `server.apiKeyEnv` and the Kubernetes defaults.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> AgentConfig
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AgentConfigError(problems: ["\(path): cannot be read"])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw AgentConfigError(problems: ["\(path): is not UTF-8 text"])
        }
        return try parse(text, environment: environment)
    }

    /// Parses and validates a whole it-ops.yaml; throws one `AgentConfigError` listing every problem.
    /// Relative paths (`buffer.directory`, `server.apiKeyFile`) are relative to the working directory.
    public static func parse(_ yaml: String, environment: [String: String] = [:]) throws
        -> AgentConfig
    {
        let root = try composeChecked(yaml)
        var reader = ConfigReader(environment: environment)
        let config = reader.config(root)
        guard reader.problems.isEmpty, let config else { throw AgentConfigError(problems: reader.problems) }
        return config
    }

    static func composeChecked(_ yaml: String) throws -> Yams.Node? {
        guard yaml.utf8.count <= maxBytes else { throw AgentConfigError(problems: ["the document exceeds 1 MiB"]) }
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw AgentConfigError(problems: ["not readable YAML: \(error)"])
        } catch {
            throw AgentConfigError(problems: ["not readable YAML: \(error)"])
        }
        if let root { try checkSize(root) }
        return root
    }

    /// Refuses "billion laughs" documents and absurd nesting before anything walks them.
    static func checkSize(_ root: Yams.Node) throws {
        var count = 0
        func visit(_ node: Yams.Node, depth: Int) throws {
            count += 1
            guard count <= maxNodes else {
                throw AgentConfigError(problems: ["the document expands to more than \(maxNodes) nodes (aliases included)"])
            }
            guard depth <= maxNesting else {
                throw AgentConfigError(problems: ["nested deeper than \(maxNesting) levels (line \(node.mark?.line ?? 0))"])
            }
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    try visit(key, depth: depth + 1)
                    try visit(value, depth: depth + 1)
                }
            case .sequence(let sequence):
                for element in sequence { try visit(element, depth: depth + 1) }
            case .scalar, .alias:
                return
            }
        }
        try visit(root, depth: 0)
    }
}

extension AgentCatalog {
    /// Parses a catalogue document (the ConfigMap's it-ops.yaml): only `services` and `slaGroups`.
    public static func parse(_ yaml: String) throws -> AgentCatalog {
        let root = try AgentConfig.composeChecked(yaml)
        var reader = ConfigReader(environment: [:])
        let catalog = reader.catalog(root)
        guard reader.problems.isEmpty else { throw AgentConfigError(problems: reader.problems) }
        return catalog
    }
}

/// Durations as the server spells them (`90s`, `5m`, `24h`), plus `ms` and `d`; plain numbers are seconds.
enum DurationText {
    static func parse(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value.isFinite, value >= 0 else { return nil }
            return .milliseconds(Int64((value * scale * 1000).rounded()))
        }
        guard let value = Double(text), value.isFinite, value >= 0 else { return nil }
        return .milliseconds(Int64((value * 1000).rounded()))
    }
}

/// Walks the YAML tree, collecting every problem with its path and line instead of stopping at the first.
struct ConfigReader {
    let environment: [String: String]
    var problems: [String] = []

    init(environment: [String: String]) { self.environment = environment }

    mutating func problem(_ path: String, _ node: Yams.Node?, _ message: String) {
        if let line = node?.mark?.line {
            problems.append("\(path) (line \(line)): \(message)")
        } else {
            problems.append("\(path): \(message)")
        }
    }

    // MARK: Documents

    mutating func config(_ root: Yams.Node?) -> AgentConfig? {
        guard let root else {
            problem("it-ops.yaml", nil, "is empty")
            return nil
        }
        let topLevel = [
            "nodeId", "mode", "server", "syncInterval", "heartbeatInterval", "listen", "buffer", "kubernetes",
            "slaGroups", "services",
        ]
        guard let f = fields(root, "", allowed: topLevel) else { return nil }
        let nodeId = string(f["nodeId"], "nodeId", required: true, mark: root)
        if let nodeId { validateNodeId(nodeId, f["nodeId"]) }
        var mode = AgentConfig.Mode.baremetal
        if let text = string(f["mode"], "mode") {
            if let value = AgentConfig.Mode(rawValue: text) {
                mode = value
            } else {
                problem("mode", f["mode"], "must be baremetal or kubernetes, not '\(text)'")
            }
        }
        let server = self.server(f["server"], mark: root)
        let sync = duration(f["syncInterval"], "syncInterval", default: .seconds(30), minimum: .milliseconds(100))
        let heartbeat = duration(
            f["heartbeatInterval"], "heartbeatInterval", default: .seconds(10), minimum: .milliseconds(100))
        let listen = string(f["listen"], "listen")
        if let listen, HostPort(listen) == nil { problem("listen", f["listen"], "must be host:port, e.g. 127.0.0.1:9465") }
        let buffer = self.buffer(f["buffer"])
        let kubernetes = f["kubernetes"].map { self.kubernetes($0) } ?? nil
        if mode == .kubernetes, f["kubernetes"] == nil {
            problem("kubernetes", root, "is required when mode is kubernetes")
        }
        let catalog = catalogBody(f)
        guard let nodeId, let server, let buffer else { return nil }
        return AgentConfig(
            nodeId: nodeId, mode: mode, server: server, syncInterval: sync, heartbeatInterval: heartbeat, listen: listen,
            buffer: buffer, kubernetes: mode == .kubernetes ? kubernetes : nil, slaGroups: catalog.slaGroups,
            services: catalog.services)
    }

    mutating func catalog(_ root: Yams.Node?) -> AgentCatalog {
        guard let root else { return AgentCatalog() }
        guard let f = fields(root, "", allowed: ["slaGroups", "services"]) else { return AgentCatalog() }
        return catalogBody(f)
    }

    private mutating func catalogBody(_ f: [String: Yams.Node]) -> AgentCatalog {
        var groups: [AgentConfig.SLAGroup] = []
        for (i, node) in (list(f["slaGroups"], "slaGroups") ?? []).enumerated() {
            if let group = slaGroup(node, "slaGroups[\(i)]") { groups.append(group) }
        }
        var services: [AgentConfig.Service] = []
        var seen: Set<String> = []
        for (i, node) in (list(f["services"], "services") ?? []).enumerated() {
            guard let service = service(node, "services[\(i)]") else { continue }
            if !seen.insert(service.name).inserted {
                problem("services[\(i)].name", node, "'\(service.name)' is listed twice")
            }
            services.append(service)
        }
        return AgentCatalog(slaGroups: groups, services: services)
    }

    // MARK: Sections

    private mutating func server(_ node: Yams.Node?, mark: Yams.Node) -> AgentConfig.Server? {
        guard let node else {
            problem("server", mark, "is required")
            return nil
        }
        guard let f = fields(node, "server", allowed: ["url", "apiKey", "apiKeyFile", "apiKeyEnv", "timeout"]) else {
            return nil
        }
        let url = string(f["url"], "server.url", required: true, mark: node)
        if let url, URL(string: url)?.scheme.map({ ["http", "https"].contains($0) }) != true
            || URL(string: url)?.host == nil
        {
            problem("server.url", f["url"], "must be an http:// or https:// URL")
        }
        let sources = ["apiKey", "apiKeyFile", "apiKeyEnv"].filter { f[$0] != nil }
        var key: String?
        if sources.count != 1 {
            problem("server", node, "needs exactly one of apiKey, apiKeyFile, apiKeyEnv")
        } else if let text = string(f["apiKey"], "server.apiKey") {
            key = text
        } else if let file = string(f["apiKeyFile"], "server.apiKeyFile") {
            if let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) {
                key = text.trimmingCharacters(in: .whitespacesAndNewlines)
            } else {
                problem("server.apiKeyFile", f["apiKeyFile"], "cannot read \(file)")
            }
        } else if let name = string(f["apiKeyEnv"], "server.apiKeyEnv") {
            if let value = environment[name], !value.isEmpty {
                key = value
            } else {
                problem("server.apiKeyEnv", f["apiKeyEnv"], "the variable \(name) is not set")
            }
        }
        if let k = key, k.isEmpty || k.contains(where: { $0.isNewline }) {
            problem("server.apiKey", node, "must be one non-empty line")
        }
        let timeout = duration(f["timeout"], "server.timeout", default: .seconds(10), minimum: .milliseconds(50))
        guard let url, let key else { return nil }
        return AgentConfig.Server(url: url.hasSuffix("/") ? String(url.dropLast()) : url, apiKey: key, timeout: timeout)
    }

    private mutating func buffer(_ node: Yams.Node?) -> AgentConfig.Buffer? {
        let allowed = ["directory", "maxBytes", "maxEntries", "replayRate", "retryMin", "retryMax"]
        let f = node.map { fields($0, "buffer", allowed: allowed) } ?? [:]
        guard let f else { return nil }
        let directory = string(f["directory"], "buffer.directory") ?? "/var/lib/itops-agent/buffer"
        let maxBytes = int(f["maxBytes"], "buffer.maxBytes", range: 4096...(1 << 40)) ?? 64 << 20
        let maxEntries = int(f["maxEntries"], "buffer.maxEntries", range: 1...10_000_000) ?? 100_000
        var rate = 20.0
        if let value = f["replayRate"] {
            if let number = Double(value.string ?? ""), number.isFinite, number > 0, number <= 10_000 {
                rate = number
            } else {
                problem("buffer.replayRate", value, "must be a number of reports per second, above 0 and at most 10000")
            }
        }
        let retryMin = duration(f["retryMin"], "buffer.retryMin", default: .seconds(1), minimum: .milliseconds(10))
        let retryMax = duration(f["retryMax"], "buffer.retryMax", default: .seconds(60), minimum: .milliseconds(10))
        if retryMax < retryMin { problem("buffer.retryMax", f["retryMax"] ?? node, "must not be shorter than retryMin") }
        return AgentConfig.Buffer(
            directory: directory, maxBytes: maxBytes,
            maxEntries: maxEntries, replayRate: rate, retryMin: retryMin, retryMax: retryMax)
    }

    private mutating func kubernetes(_ node: Yams.Node) -> AgentConfig.Kubernetes? {
        let allowed = ["apiServer", "tokenFile", "caFile", "namespaces", "configMap", "watchTimeout"]
        guard let f = fields(node, "kubernetes", allowed: allowed) else { return nil }
        var apiServer = string(f["apiServer"], "kubernetes.apiServer")
        if apiServer == nil, let host = environment["KUBERNETES_SERVICE_HOST"] {
            let port = environment["KUBERNETES_SERVICE_PORT"] ?? "443"
            apiServer = host.contains(":") ? "https://[\(host)]:\(port)" : "https://\(host):\(port)"
        }
        if let url = apiServer, URL(string: url)?.host == nil {
            problem("kubernetes.apiServer", f["apiServer"], "must be a URL")
        }
        let account = "/var/run/secrets/kubernetes.io/serviceaccount"
        let tokenFile = string(f["tokenFile"], "kubernetes.tokenFile") ?? "\(account)/token"
        let caFile = string(f["caFile"], "kubernetes.caFile") ?? "\(account)/ca.crt"
        var namespaces: [String] = []
        for (i, item) in (list(f["namespaces"], "kubernetes.namespaces") ?? []).enumerated() {
            if let name = string(item, "kubernetes.namespaces[\(i)]") {
                if isDNSLabel(name) {
                    namespaces.append(name)
                } else {
                    problem("kubernetes.namespaces[\(i)]", item, "'\(name)' is not a namespace name")
                }
            }
        }
        var configMap: AgentConfig.ConfigMapRef?
        if let cm = f["configMap"], let g = fields(cm, "kubernetes.configMap", allowed: ["namespace", "name", "key"]) {
            let namespace = string(g["namespace"], "kubernetes.configMap.namespace", required: true, mark: cm)
            let name = string(g["name"], "kubernetes.configMap.name", required: true, mark: cm)
            let key = string(g["key"], "kubernetes.configMap.key") ?? "it-ops.yaml"
            if let namespace, let name { configMap = AgentConfig.ConfigMapRef(namespace: namespace, name: name, key: key) }
        }
        let watchTimeout = duration(
            f["watchTimeout"], "kubernetes.watchTimeout", default: .seconds(300), minimum: .seconds(1))
        return AgentConfig.Kubernetes(
            apiServer: apiServer, tokenFile: tokenFile, caFile: caFile, namespaces: namespaces, configMap: configMap,
            watchTimeout: watchTimeout)
    }

    private mutating func slaGroup(_ node: Yams.Node, _ path: String) -> AgentConfig.SLAGroup? {
        guard let f = fields(node, path, allowed: ["name", "displayName", "tier"]) else { return nil }
        let name = string(f["name"], "\(path).name", required: true, mark: node)
        if let name { validateName(name, "\(path).name", f["name"]) }
        let tier = vocabulary(f["tier"], "\(path).tier", Criticality.self)
        guard let name else { return nil }
        return AgentConfig.SLAGroup(name: name, displayName: string(f["displayName"], "\(path).displayName"), tier: tier)
    }

    private mutating func service(_ node: Yams.Node, _ path: String) -> AgentConfig.Service? {
        let allowed = [
            "name", "displayName", "criticality", "slaGroup", "serviceType", "namespace", "tags", "operations", "checks",
        ]
        guard let f = fields(node, path, allowed: allowed) else { return nil }
        let name = string(f["name"], "\(path).name", required: true, mark: node)
        if let name { validateName(name, "\(path).name", f["name"]) }
        var tags: [String] = []
        for (i, item) in (list(f["tags"], "\(path).tags") ?? []).enumerated() {
            if let tag = string(item, "\(path).tags[\(i)]") { tags.append(tag) }
        }
        var expected: Bool?
        var maxAge: Int?
        if let ops = f["operations"], let o = fields(ops, "\(path).operations", allowed: ["backup"]),
            let backup = o["backup"],
            let b = fields(backup, "\(path).operations.backup", allowed: ["expected", "maxAgeDays"])
        {
            expected = bool(b["expected"], "\(path).operations.backup.expected")
            maxAge = int(b["maxAgeDays"], "\(path).operations.backup.maxAgeDays", range: 1...3650)
        }
        var checks: [Check] = []
        for (i, item) in (list(f["checks"], "\(path).checks") ?? []).enumerated() {
            if let check = check(item, "\(path).checks[\(i)]") { checks.append(check) }
        }
        guard let name else { return nil }
        return AgentConfig.Service(
            name: name, displayName: string(f["displayName"], "\(path).displayName"),
            criticality: vocabulary(f["criticality"], "\(path).criticality", Criticality.self),
            slaGroup: string(f["slaGroup"], "\(path).slaGroup"), serviceType: string(f["serviceType"], "\(path).serviceType"),
            namespace: string(f["namespace"], "\(path).namespace"), tags: tags, backupExpected: expected,
            backupMaxAgeDays: maxAge, checks: checks)
    }

    private mutating func check(_ node: Yams.Node, _ path: String) -> Check? {
        let common = ["type", "interval", "timeout", "jitter"]
        let byType: [String: [String]] = [
            "http": ["url", "expectStatus", "bodyContains", "degradedAfter"],
            "tcp": ["host", "port"],
            "tls": ["host", "port", "serverName", "warnBefore"],
            "command": ["command", "degradedExitCodes"],
            "process": ["name"],
            "disk": ["path", "storageType"],
            "backupFile": ["path"],
        ]
        guard let mapping = node.mapping else {
            problem(path, node, "must be a mapping")
            return nil
        }
        let typeNode = mapping["type"]
        guard let type = string(typeNode, "\(path).type", required: true, mark: node) else { return nil }
        guard let specific = byType[type] else {
            problem("\(path).type", typeNode, "must be one of \(byType.keys.sorted().joined(separator: ", ")), not '\(type)'")
            return nil
        }
        guard let f = fields(node, path, allowed: common + specific) else { return nil }
        let interval = duration(f["interval"], "\(path).interval", default: .seconds(30), minimum: .milliseconds(100))
        let timeout = duration(f["timeout"], "\(path).timeout", default: .seconds(10), minimum: .milliseconds(10))
        let jitter = duration(f["jitter"], "\(path).jitter", default: .zero, minimum: .zero)
        let kind: Check.Kind?
        switch type {
        case "http":
            let url = string(f["url"], "\(path).url", required: true, mark: node)
            if let url, URL(string: url)?.scheme.map({ ["http", "https"].contains($0) }) != true
                || URL(string: url)?.host == nil
            {
                problem("\(path).url", f["url"], "must be an http:// or https:// URL")
            }
            var statuses: [Int] = []
            if let s = f["expectStatus"] {
                if s.sequence != nil {
                    for (i, item) in (list(s, "\(path).expectStatus") ?? []).enumerated() {
                        if let code = int(item, "\(path).expectStatus[\(i)]", range: 100...599) { statuses.append(code) }
                    }
                } else if let code = int(s, "\(path).expectStatus", range: 100...599) {
                    statuses = [code]
                }
            }
            let slow = f["degradedAfter"].map { duration($0, "\(path).degradedAfter", default: .zero, minimum: .zero) }
            kind = url.map {
                .http(
                    url: $0, expectStatus: statuses.isEmpty ? Array(200...299) : statuses,
                    bodyContains: string(f["bodyContains"], "\(path).bodyContains"), degradedAfter: slow)
            }
        case "tcp", "tls":
            let host = string(f["host"], "\(path).host", required: true, mark: node)
            let port = int(f["port"], "\(path).port", range: 1...65535, required: type == "tcp", mark: node)
            if type == "tcp" {
                kind = host.flatMap { h in port.map { .tcp(host: h, port: $0) } }
            } else {
                let warn = duration(f["warnBefore"], "\(path).warnBefore", default: .seconds(14 * 86400), minimum: .zero)
                kind = host.map {
                    .tls(host: $0, port: port ?? 443, serverName: string(f["serverName"], "\(path).serverName"), warnBefore: warn)
                }
            }
        case "command":
            var arguments: [String] = []
            if let c = f["command"], c.sequence != nil {
                for (i, item) in (list(c, "\(path).command") ?? []).enumerated() {
                    if let text = string(item, "\(path).command[\(i)]") { arguments.append(text) }
                }
                if arguments.isEmpty { problem("\(path).command", c, "must not be empty") }
            } else if let c = f["command"] {
                problem("\(path).command", c, "must be a list: the program and its arguments (no shell)")
            } else {
                problem("\(path).command", node, "is required")
            }
            var degraded: [Int32] = []
            for (i, item) in (list(f["degradedExitCodes"], "\(path).degradedExitCodes") ?? []).enumerated() {
                if let code = int(item, "\(path).degradedExitCodes[\(i)]", range: 1...255) { degraded.append(Int32(code)) }
            }
            kind = arguments.isEmpty ? nil : .command(arguments: arguments, degradedExitCodes: degraded)
        case "process":
            kind = string(f["name"], "\(path).name", required: true, mark: node).map { .process(name: $0) }
        case "disk":
            let p = string(f["path"], "\(path).path", required: true, mark: node)
            kind = p.map { .disk(path: $0, storageType: string(f["storageType"], "\(path).storageType") ?? "disk") }
        default:
            kind = string(f["path"], "\(path).path", required: true, mark: node).map { .backupFile(path: $0) }
        }
        guard let kind else { return nil }
        return Check(kind: kind, interval: interval, timeout: timeout, jitter: jitter)
    }

    // MARK: Rules

    private mutating func validateNodeId(_ id: String, _ node: Yams.Node?) {
        let segments = id.split(separator: "/", omittingEmptySubsequences: false)
        let ok =
            id.count <= 255 && (1...8).contains(segments.count)
            && segments.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) } }
        if !ok { problem("nodeId", node, "must be 1–8 segments of [A-Za-z0-9._-] joined by /, at most 255 characters") }
    }

    private mutating func validateName(_ name: String, _ path: String, _ node: Yams.Node?) {
        let ok = (1...128).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
        if !ok { problem(path, node, "must be 1–128 characters of [A-Za-z0-9._-]") }
    }

    private func isDNSLabel(_ name: String) -> Bool {
        (1...63).contains(name.count) && name.allSatisfy { ($0.isLowercase || $0.isNumber || $0 == "-") && $0.isASCII }
    }

    // MARK: Scalars

    private mutating func fields(_ node: Yams.Node, _ path: String, allowed: [String]) -> [String: Yams.Node]? {
        guard let mapping = node.mapping else {
            problem(path.isEmpty ? "it-ops.yaml" : path, node, "must be a mapping")
            return nil
        }
        var result: [String: Yams.Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string else {
                problem(path, key, "keys must be text")
                continue
            }
            let full = path.isEmpty ? name : "\(path).\(name)"
            guard allowed.contains(name) else {
                problem(full, key, "unknown field (expected one of \(allowed.joined(separator: ", ")))")
                continue
            }
            result[name] = value
        }
        return result
    }

    private mutating func list(_ node: Yams.Node?, _ path: String) -> [Yams.Node]? {
        guard let node else { return nil }
        guard let sequence = node.sequence else {
            problem(path, node, "must be a list")
            return nil
        }
        return Array(sequence)
    }

    private mutating func string(_ node: Yams.Node?, _ path: String, required: Bool = false, mark: Yams.Node? = nil)
        -> String?
    {
        guard let node else {
            if required { problem(path, mark, "is required") }
            return nil
        }
        guard node.scalar != nil, let text = node.string else {
            problem(path, node, "must be text")
            return nil
        }
        return text
    }

    private mutating func int(
        _ node: Yams.Node?, _ path: String, range: ClosedRange<Int>, required: Bool = false, mark: Yams.Node? = nil
    ) -> Int? {
        guard let node else {
            if required { problem(path, mark, "is required") }
            return nil
        }
        guard node.scalar != nil, let value = Int(node.string ?? "") else {
            problem(path, node, "must be a whole number")
            return nil
        }
        guard range.contains(value) else {
            problem(path, node, "must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return value
    }

    private mutating func bool(_ node: Yams.Node?, _ path: String) -> Bool? {
        guard let node else { return nil }
        switch node.string {
        case "true": return true
        case "false": return false
        default:
            problem(path, node, "must be true or false")
            return nil
        }
    }

    private mutating func duration(_ node: Yams.Node?, _ path: String, default value: Duration, minimum: Duration)
        -> Duration
    {
        guard let node else { return value }
        guard node.scalar != nil, let text = node.string, let parsed = DurationText.parse(text) else {
            problem(path, node, "must be a duration like 500ms, 30s, 5m, 24h, 14d or plain seconds")
            return value
        }
        guard parsed >= minimum else {
            problem(path, node, "must be at least \(minimum)")
            return value
        }
        return parsed
    }

    private mutating func vocabulary<V: Vocabulary>(_ node: Yams.Node?, _ path: String, _ type: V.Type) -> V? {
        guard let text = string(node, path) else { return nil }
        guard let value = V(rawValue: text) else {
            problem(path, node, "must be one of \(V.allowedSpellings), not '\(text)'")
            return nil
        }
        return value
    }
}

/// A `host:port` listen address.
struct HostPort: Sendable, Equatable {
    var host: String
    var port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }
}
