import Foundation
import Testing
import Yams

@testable import ITOpsAgent

@Suite("it-ops.yaml")
struct AgentConfigTests {
    static let valid = """
        nodeId: myorg/infra/prod/host1
        server:
          url: http://127.0.0.1:8080/
          apiKeyEnv: AGENT_KEY
        syncInterval: 15s
        listen: 127.0.0.1:9465
        buffer:
          directory: /tmp/agent-buffer
          maxEntries: 500
        slaGroups:
          - name: payments
            tier: critical
        services:
          - name: api
            criticality: high
            slaGroup: payments
            tags: [web]
            operations:
              backup: {expected: true, maxAgeDays: 2}
            checks:
              - type: http
                url: https://api.example.com/health
                expectStatus: [200, 204]
                bodyContains: ok
                degradedAfter: 750ms
                interval: 10s
                timeout: 2s
                jitter: 1s
              - {type: tcp, host: 127.0.0.1, port: 5432}
              - {type: tls, host: example.com, warnBefore: 21d}
              - {type: command, command: [/bin/true], degradedExitCodes: [1]}
              - {type: process, name: postgres}
              - {type: disk, path: /var/lib}
              - {type: backupFile, path: /var/backups/*.dump}
        """

    @Test("a complete it-ops.yaml reads into the documented settings")
    func valid() throws {
        let config = try AgentConfig.parse(Self.valid, environment: ["AGENT_KEY": "k-123"])
        #expect(config.nodeId == "myorg/infra/prod/host1")
        #expect(config.server.url == "http://127.0.0.1:8080")
        #expect(config.server.apiKey == "k-123")
        #expect(config.syncInterval == .seconds(15))
        #expect(config.heartbeatInterval == .seconds(10))
        #expect(config.buffer.maxEntries == 500)
        #expect(config.slaGroups.first?.tier == .critical)
        let api = try #require(config.services.first)
        #expect(api.backupExpected == true && api.backupMaxAgeDays == 2)
        #expect(api.checks.count == 7)
        #expect(
            api.checks[0].kind
                == .http(
                    url: "https://api.example.com/health", expectStatus: [200, 204], bodyContains: "ok",
                    degradedAfter: .milliseconds(750)))
        #expect(api.checks[0].interval == .seconds(10) && api.checks[0].timeout == .seconds(2))
        #expect(api.checks[2].kind == .tls(host: "example.com", port: 443, serverName: nil, warnBefore: .seconds(21 * 86400)))
        #expect(api.checks[1].interval == .seconds(30))
    }

    @Test("every problem is reported with its field path and line")
    func problemsWithLines() throws {
        let yaml = """
            nodeId: "bad node"
            server:
              url: ftp://x
              apiKey: k
            services:
              - name: api
                checks:
                  - type: tcp
                    host: db
                    port: seventy
                  - type: htp
              - name: api
                criticality: urgent
                colour: blue
            """
        let error = try #require(throws: AgentConfigError.self) { try AgentConfig.parse(yaml) }
        let text = error.description
        #expect(text.contains("nodeId (line 1)"))
        #expect(text.contains("server.url (line 3)"))
        #expect(text.contains("services[0].checks[0].port (line 10): must be a whole number"))
        #expect(text.contains("services[0].checks[1].type (line 11)"))
        #expect(text.contains("services[1].criticality (line 13): must be one of critical|high|medium|low"))
        #expect(text.contains("services[1].colour (line 14): unknown field"))
        #expect(text.contains("'api' is listed twice"))
    }

    @Test("missing or unreadable pieces are refused: no server, no key, bad YAML, alias bombs")
    func refusals() throws {
        #expect(throws: AgentConfigError.self) { try AgentConfig.parse("nodeId: a\n") }
        #expect(throws: AgentConfigError.self) {
            try AgentConfig.parse("nodeId: a\nserver: {url: http://x, apiKeyEnv: NOPE}\n", environment: [:])
        }
        #expect(throws: AgentConfigError.self) { try AgentConfig.parse("nodeId: [unclosed\n") }
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...6 { bomb += "l\(i): &l\(i) [" + Array(repeating: "*\(i == 1 ? "a" : "l\(i - 1)")", count: 10).joined(separator: ", ") + "]\n" }
        let error = try #require(throws: AgentConfigError.self) { try AgentConfig.parse(bomb) }
        #expect(error.description.contains("nodes"))
        #expect(throws: AgentConfigError.self) {
            try AgentConfig.parse("nodeId: a\nmode: kubernetes\nserver: {url: http://x, apiKey: k}\n")
        }
    }

    @Test("durations accept ms, s, m, h, d and plain seconds")
    func durations() {
        #expect(DurationText.parse("500ms") == .milliseconds(500))
        #expect(DurationText.parse("90s") == .seconds(90))
        #expect(DurationText.parse("5m") == .seconds(300))
        #expect(DurationText.parse("24h") == .seconds(86400))
        #expect(DurationText.parse("14d") == .seconds(14 * 86400))
        #expect(DurationText.parse("2.5") == .milliseconds(2500))
        #expect(DurationText.parse("-1s") == nil)
        #expect(DurationText.parse("soon") == nil)
    }

    @Test("the ConfigMap catalogue takes services and SLA groups only")
    func catalogue() throws {
        let catalog = try AgentCatalog.parse("services:\n  - name: db\n    criticality: critical\n")
        #expect(catalog.services.map(\.name) == ["db"])
        let error = try #require(throws: AgentConfigError.self) { try AgentCatalog.parse("server: {url: x}\n") }
        #expect(error.description.contains("server (line 1): unknown field"))
    }

    @Test("the example configuration in packaging/ is valid")
    func example() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let config = try AgentConfig.load(
            path: root.appendingPathComponent("packaging/it-ops.example.yaml").path,
            environment: ["ITOPS_OPERATOR_API_KEY": "x"])
        #expect(!config.services.isEmpty)
    }

    @Test("the Kubernetes ConfigMap example holds a valid agent.yaml and a valid catalogue")
    func kubernetesExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("packaging/k8s/agent/configmap.example.yaml"), encoding: .utf8)
        let map = try #require(try Yams.load_all(yaml: text).first { ($0 as? [String: Any])?["kind"] as? String == "ConfigMap" } as? [String: Any])
        let data = try #require(map["data"] as? [String: String])
        let config = try AgentConfig.parse(
            try #require(data["agent.yaml"]), environment: ["AGENT_API_KEY": "x", "KUBERNETES_SERVICE_HOST": "10.0.0.1"])
        #expect(config.mode == .kubernetes)
        #expect(config.kubernetes?.apiServer == "https://10.0.0.1:443")
        #expect(config.kubernetes?.configMap?.key == "it-ops.yaml")
        let catalog = try AgentCatalog.parse(try #require(data["it-ops.yaml"]))
        #expect(catalog.services.count == 2)
    }
}
