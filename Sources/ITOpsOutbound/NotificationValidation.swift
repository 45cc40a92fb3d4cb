import Foundation
import ITOpsCore

/// What a channel or rule must be before it is saved. Every problem names its field.
public enum NotificationValidation {
    /// The fields each kind uses; any other set field is refused.
    static func fields(of kind: NotificationChannelKind) -> Set<String> {
        switch kind {
        case .email: ["smtpHost", "smtpPort", "smtpSecurity", "smtpUsername", "smtpPassword", "from", "to"]
        case .slack: ["url"]
        case .teams: ["url", "teamsFormat"]
        case .pagerDuty: ["routingKey", "baseUrl"]
        case .opsgenie: ["apiKey", "baseUrl"]
        case .webhook: ["url", "secret"]
        }
    }

    static func setFields(_ config: NotificationChannelConfig) -> [String] {
        var names: [String] = []
        if config.url != nil { names.append("url") }
        if config.baseUrl != nil { names.append("baseUrl") }
        if config.routingKey != nil { names.append("routingKey") }
        if config.apiKey != nil { names.append("apiKey") }
        if config.secret != nil { names.append("secret") }
        if config.teamsFormat != nil { names.append("teamsFormat") }
        if config.smtpHost != nil { names.append("smtpHost") }
        if config.smtpPort != nil { names.append("smtpPort") }
        if config.smtpSecurity != nil { names.append("smtpSecurity") }
        if config.smtpUsername != nil { names.append("smtpUsername") }
        if config.smtpPassword != nil { names.append("smtpPassword") }
        if config.from != nil { names.append("from") }
        if config.to != nil { names.append("to") }
        return names
    }

    /// Every problem of a channel's name and configuration (`path` prefixes the field names).
    public static func problems(
        name: String, kind: NotificationChannelKind, config: NotificationChannelConfig, path: String,
        guardian: SSRFGuard
    ) -> [String] {
        var problems: [String] = []
        if name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 100 || hasControl(name) {
            problems.append("\(path).name: must be 1–100 characters without control characters")
        }
        let allowed = fields(of: kind)
        for field in setFields(config) where !allowed.contains(field) {
            problems.append("\(path).config.\(field): does not apply to \(kind.rawValue) channels")
        }
        func url(_ value: String?, _ field: String, required: Bool) {
            guard let value else {
                if required { problems.append("\(path).config.\(field): is required for \(kind.rawValue)") }
                return
            }
            guard !value.isEmpty, value.count <= 2048 else {
                problems.append("\(path).config.\(field): must be 1–2048 characters")
                return
            }
            do {
                _ = try guardian.check(url: value)
            } catch {
                // A blocked address is accepted (the allowlist may change): deliveries record ExecFailed.
                if error.kind != .blockedAddress { problems.append("\(path).config.\(field): \(error.reason)") }
            }
        }
        func secret(_ value: String?, _ field: String, _ range: ClosedRange<Int>) {
            guard let value else {
                problems.append("\(path).config.\(field): is required for \(kind.rawValue)")
                return
            }
            if !range.contains(value.count) || hasControl(value) {
                problems.append(
                    "\(path).config.\(field): must be \(range.lowerBound)–\(range.upperBound) characters without control characters"
                )
            }
        }
        switch kind {
        case .slack, .teams:
            url(config.url, "url", required: true)
        case .webhook:
            url(config.url, "url", required: true)
            secret(config.secret, "secret", 16...256)
        case .pagerDuty:
            url(config.baseUrl, "baseUrl", required: false)
            secret(config.routingKey, "routingKey", 1...128)
        case .opsgenie:
            url(config.baseUrl, "baseUrl", required: false)
            secret(config.apiKey, "apiKey", 1...128)
        case .email:
            if let host = config.smtpHost {
                if case .failure(let refusal) = SSRFHost.normalise(host) {
                    problems.append("\(path).config.smtpHost: \(refusal.reason)")
                }
            } else {
                problems.append("\(path).config.smtpHost: is required for EMAIL")
            }
            if let port = config.smtpPort, !(1...65535).contains(port) {
                problems.append("\(path).config.smtpPort: must be 1–65535")
            }
            if let username = config.smtpUsername, username.count > 256 || hasControl(username) {
                problems.append("\(path).config.smtpUsername: must be at most 256 characters without control characters")
            }
            if let password = config.smtpPassword, password.count > 256 || hasControl(password) {
                problems.append("\(path).config.smtpPassword: must be at most 256 characters without control characters")
            }
            if let from = config.from {
                if !isAddress(from) { problems.append("\(path).config.from: '\(from.prefix(80))' is not a mail address") }
            } else {
                problems.append("\(path).config.from: is required for EMAIL")
            }
            let to = config.to ?? []
            if to.isEmpty || to.count > 50 { problems.append("\(path).config.to: name 1–50 recipients") }
            for (index, address) in to.enumerated() where !isAddress(address) {
                problems.append("\(path).config.to[\(index)]: '\(address.prefix(80))' is not a mail address")
            }
        }
        return problems
    }

    /// A bare address `local@domain`: no spaces, brackets, quotes, commas or control characters (so nothing
    /// can break out of an SMTP command or a header).
    static func isAddress(_ text: String) -> Bool {
        guard text.count <= 254, !hasControl(text) else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64, !parts[1].isEmpty else { return false }
        let forbidden = Set(" <>()[],;:\"\\")
        guard !text.contains(where: forbidden.contains) else { return false }
        guard case .success = SSRFHost.normalise(String(parts[1])) else { return false }
        return true
    }

    static func hasControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 32 || $0.value == 127 }
    }

    /// Every problem of a rule; `channels` are the channel names that exist.
    public static func problems(_ rule: NotificationRuleDefinition, path: String, channels: Set<String>) -> [String] {
        var problems: [String] = []
        if rule.name.trimmingCharacters(in: .whitespaces).isEmpty || rule.name.count > 100 || hasControl(rule.name) {
            problems.append("\(path).name: must be 1–100 characters without control characters")
        }
        if rule.events.isEmpty { problems.append("\(path).events: name at least one event") }
        for (index, event) in rule.events.enumerated() where !NotificationItems.events.contains(event) {
            problems.append(
                "\(path).events[\(index)]: '\(event.prefix(64))' is not one of \(NotificationItems.events.joined(separator: ", "))")
        }
        if !rule.alertKinds.isEmpty && !rule.events.contains("sla:alert") {
            problems.append("\(path).alertKinds: applies to the sla:alert event only")
        }
        for (index, kind) in rule.alertKinds.enumerated() where !NotificationItems.alertKinds.contains(kind) {
            problems.append(
                "\(path).alertKinds[\(index)]: '\(kind.prefix(64))' is not one of \(NotificationItems.alertKinds.joined(separator: ", "))")
        }
        for (index, tier) in rule.tiers.enumerated() where Criticality(rawValue: tier) == nil {
            problems.append("\(path).tiers[\(index)]: must be one of \(Criticality.allowedSpellings)")
        }
        for (field, list) in [("slaGroups", rule.slaGroups), ("nodePrefixes", rule.nodePrefixes), ("tags", rule.tags)] {
            if list.count > 50 { problems.append("\(path).\(field): at most 50 entries") }
            for (index, value) in list.enumerated() where value.isEmpty || value.count > 255 || hasControl(value) {
                problems.append("\(path).\(field)[\(index)]: must be 1–255 characters without control characters")
            }
        }
        if rule.channels.isEmpty { problems.append("\(path).channels: name at least one channel") }
        for (index, channel) in rule.channels.enumerated() where !channels.contains(channel) {
            problems.append("\(path).channels[\(index)]: no channel named '\(channel.prefix(100))'")
        }
        if let quiet = rule.quietHours {
            if QuietHours.minutes(quiet.start) == nil { problems.append("\(path).quietHours.start: must be HH:mm") }
            if QuietHours.minutes(quiet.end) == nil { problems.append("\(path).quietHours.end: must be HH:mm") }
            if quiet.start == quiet.end { problems.append("\(path).quietHours: start and end must differ") }
            if TimeZone(identifier: quiet.timeZone) == nil {
                problems.append("\(path).quietHours.timeZone: '\(quiet.timeZone.prefix(64))' is not a time zone")
            }
        }
        if !(0...86_400).contains(rule.minIntervalSeconds) {
            problems.append("\(path).minIntervalSeconds: must be 0–86400")
        }
        if !(0...1440).contains(rule.digestMinutes) { problems.append("\(path).digestMinutes: must be 0–1440") }
        return problems
    }
}
