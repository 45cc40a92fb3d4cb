import Foundation
import ITOpsCore
import Yams

/// A channel as a template holds it: secrets may be ``Templates/secretPlaceholder``.
public struct TemplateChannel: Sendable, Equatable {
    public var name: String
    public var kind: NotificationChannelKind
    public var enabled: Bool
    public var config: NotificationChannelConfig

    public init(name: String, kind: NotificationChannelKind, enabled: Bool, config: NotificationChannelConfig) {
        self.name = name
        self.kind = kind
        self.enabled = enabled
        self.config = config
    }
}

extension Templates {
    /// What an export writes instead of a secret. On import it means "keep the secret of the channel of this
    /// name"; for a channel that does not exist yet the real secret must be written instead.
    public static let secretPlaceholder = "<secret>"

    static let configFields = [
        "url", "baseUrl", "routingKey", "apiKey", "secret", "teamsFormat", "smtpHost", "smtpPort", "smtpSecurity",
        "smtpUsername", "smtpPassword", "from", "to",
    ]

    static func channelNode(_ channel: NotificationChannel) -> YAMLNode {
        var config = channel.config
        for field in NotificationChannelConfig.secretFields(of: channel.kind) where config[keyPath: field] != nil {
            config[keyPath: field] = secretPlaceholder
        }
        let configNode = mapping([
            ("url", text(config.url)), ("baseUrl", text(config.baseUrl)), ("routingKey", text(config.routingKey)),
            ("apiKey", text(config.apiKey)), ("secret", text(config.secret)),
            ("teamsFormat", text(config.teamsFormat?.rawValue)), ("smtpHost", text(config.smtpHost)),
            ("smtpPort", number(config.smtpPort)), ("smtpSecurity", text(config.smtpSecurity?.rawValue)),
            ("smtpUsername", text(config.smtpUsername)), ("smtpPassword", text(config.smtpPassword)),
            ("from", text(config.from)), ("to", config.to.map { YAMLNode($0.map { YAMLNode($0) }) }),
        ])
        return mapping([
            ("name", YAMLNode(channel.name)), ("kind", YAMLNode(channel.kind.rawValue)),
            ("enabled", flag(channel.enabled)), ("config", configNode),
        ])
    }

    static func ruleNode(_ rule: NotificationRuleDefinition) -> YAMLNode {
        func names(_ list: [String]) -> YAMLNode? { list.isEmpty ? nil : YAMLNode(list.map { YAMLNode($0) }) }
        let quiet = rule.quietHours.map {
            mapping([
                ("start", YAMLNode($0.start, .implicit, .doubleQuoted)),
                ("end", YAMLNode($0.end, .implicit, .doubleQuoted)), ("timeZone", YAMLNode($0.timeZone)),
            ])
        }
        return mapping([
            ("name", YAMLNode(rule.name)), ("enabled", flag(rule.enabled)),
            ("events", YAMLNode(rule.events.map { YAMLNode($0) })), ("alertKinds", names(rule.alertKinds)),
            ("slaGroups", names(rule.slaGroups)), ("tiers", names(rule.tiers)),
            ("nodePrefixes", names(rule.nodePrefixes)), ("tags", names(rule.tags)),
            ("channels", YAMLNode(rule.channels.map { YAMLNode($0) })), ("quietHours", quiet),
            ("minIntervalSeconds", rule.minIntervalSeconds == 0 ? nil : number(rule.minIntervalSeconds)),
            ("digestMinutes", rule.digestMinutes == 0 ? nil : number(rule.digestMinutes)),
        ])
    }
}

extension NodeReader {
    mutating func readNotifications(_ top: [String: YAMLNode], into document: inout Templates.Document) {
        if let items = list(top["notificationChannels"], "notificationChannels") {
            var seen = Set<String>()
            document.notificationChannels = items.enumerated().compactMap { index, item in
                let parsed = channel(item, "notificationChannels[\(index)]")
                if let name = parsed?.name, !seen.insert(name).inserted {
                    problem("notificationChannels[\(index)].name", item, "'\(name)' is listed twice")
                }
                return parsed
            }
        }
        if let items = list(top["notificationRules"], "notificationRules") {
            var seen = Set<String>()
            document.notificationRules = items.enumerated().compactMap { index, item in
                let parsed = rule(item, "notificationRules[\(index)]")
                if let name = parsed?.name, !seen.insert(name).inserted {
                    problem("notificationRules[\(index)].name", item, "'\(name)' is listed twice")
                }
                return parsed
            }
        }
    }

    private mutating func names(_ node: YAMLNode?, _ path: String) -> [String] {
        (list(node, path) ?? []).enumerated().compactMap { index, item in string(item, "\(path)[\(index)]") }
    }

    mutating func channel(_ node: YAMLNode, _ path: String) -> TemplateChannel? {
        guard let field = fields(node, path, allowed: ["name", "kind", "enabled", "config"]) else { return nil }
        let name = string(field["name"], "\(path).name", required: true)
        let kind = vocabulary(NotificationChannelKind.self, field["kind"], "\(path).kind", required: true)
        let enabled = bool(field["enabled"], "\(path).enabled") ?? true
        if field["config"] == nil { problem("\(path).config", nil, "is required") }
        let config = fields(field["config"], "\(path).config", allowed: Templates.configFields) ?? [:]
        let c = "\(path).config"
        let parsed = NotificationChannelConfig(
            url: string(config["url"], "\(c).url"), baseUrl: string(config["baseUrl"], "\(c).baseUrl"),
            routingKey: string(config["routingKey"], "\(c).routingKey"), apiKey: string(config["apiKey"], "\(c).apiKey"),
            secret: string(config["secret"], "\(c).secret"),
            teamsFormat: vocabulary(TeamsFormat.self, config["teamsFormat"], "\(c).teamsFormat", required: false),
            smtpHost: string(config["smtpHost"], "\(c).smtpHost"), smtpPort: int(config["smtpPort"], "\(c).smtpPort"),
            smtpSecurity: vocabulary(SMTPSecurity.self, config["smtpSecurity"], "\(c).smtpSecurity", required: false),
            smtpUsername: string(config["smtpUsername"], "\(c).smtpUsername"),
            smtpPassword: string(config["smtpPassword"], "\(c).smtpPassword"), from: string(config["from"], "\(c).from"),
            to: config["to"] == nil ? nil : names(config["to"], "\(c).to"))
        guard let name, let kind else { return nil }
        return TemplateChannel(name: name, kind: kind, enabled: enabled, config: parsed)
    }

    mutating func rule(_ node: YAMLNode, _ path: String) -> NotificationRuleDefinition? {
        guard
            let field = fields(
                node, path,
                allowed: [
                    "name", "enabled", "events", "alertKinds", "slaGroups", "tiers", "nodePrefixes", "tags", "channels",
                    "quietHours", "minIntervalSeconds", "digestMinutes",
                ])
        else { return nil }
        let name = string(field["name"], "\(path).name", required: true)
        var quiet: QuietHours?
        if let hours = fields(field["quietHours"], "\(path).quietHours", allowed: ["start", "end", "timeZone"]) {
            let start = string(hours["start"], "\(path).quietHours.start", required: true)
            let end = string(hours["end"], "\(path).quietHours.end", required: true)
            let zone = string(hours["timeZone"], "\(path).quietHours.timeZone", required: true)
            if let start, let end, let zone { quiet = QuietHours(start: start, end: end, timeZone: zone) }
        }
        guard let name else { return nil }
        return NotificationRuleDefinition(
            name: name, enabled: bool(field["enabled"], "\(path).enabled") ?? true,
            events: names(field["events"], "\(path).events"), alertKinds: names(field["alertKinds"], "\(path).alertKinds"),
            slaGroups: names(field["slaGroups"], "\(path).slaGroups"), tiers: names(field["tiers"], "\(path).tiers"),
            nodePrefixes: names(field["nodePrefixes"], "\(path).nodePrefixes"), tags: names(field["tags"], "\(path).tags"),
            channels: names(field["channels"], "\(path).channels"), quietHours: quiet,
            minIntervalSeconds: int(field["minIntervalSeconds"], "\(path).minIntervalSeconds") ?? 0,
            digestMinutes: int(field["digestMinutes"], "\(path).digestMinutes") ?? 0)
    }
}
