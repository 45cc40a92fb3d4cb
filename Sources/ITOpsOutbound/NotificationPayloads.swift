import Foundation
import ITOpsCore

/// The HTTP requests of the chat and paging channels, in the providers' documented shapes:
///
/// - Slack incoming webhooks: `{"text": …, "blocks": [header, section (mrkdwn), context]}`
///   (https://api.slack.com/messaging/webhooks, Block Kit limits: header 150, section text 3000 characters).
/// - Teams incoming webhooks: a legacy `MessageCard` (`@type`, `@context`, `summary`, `themeColor`, `title`,
///   `text`, `sections[].facts`, `potentialAction[OpenUri]`) or a `message` with one Adaptive Card 1.4
///   attachment (`TextBlock`s, a `FactSet`, `Action.OpenUrl`).
/// - PagerDuty Events API v2: `POST /v2/enqueue` with `routing_key`, `event_action` (`trigger`/`resolve`),
///   `dedup_key`, and for a trigger `payload {summary ≤ 1024, source, severity, timestamp, component, group,
///   class, custom_details}`, `links`, `client`, `client_url`.
/// - Opsgenie Alert API: `POST /v2/alerts` (`message` ≤ 130, `alias` ≤ 512, `description` ≤ 15000, `source`,
///   `priority`, `entity`, `details`, `tags`) and `POST /v2/alerts/{alias}/close?identifierType=alias`, with
///   `Authorization: GenieKey <key>`.
public enum NotificationPayloads {
    /// PagerDuty's Events API v2 host.
    public static let pagerDutyBase = "https://events.pagerduty.com"
    /// Opsgenie's API host (EU accounts use `https://api.eu.opsgenie.com`).
    public static let opsgenieBase = "https://api.opsgenie.com"

    /// The request that delivers `message` to the HTTP channel `channel`; `delivery` names it for the signed
    /// webhook. Email has no HTTP request (`nil`).
    static func request(
        _ message: NotificationMessage, channel: NotificationChannel, delivery: NotificationDelivery,
        attempt: Int, publicURL: String?
    ) -> OutboundRequest? {
        let config = channel.config
        let json = [OutboundHeader("Content-Type", "application/json")]
        switch channel.kind {
        case .email:
            return nil
        case .slack:
            return OutboundRequest(method: "POST", url: config.url ?? "", headers: json, body: encode(slack(message)))
        case .teams:
            let body = config.teamsFormat == .adaptiveCard ? adaptiveCard(message) : messageCard(message)
            return OutboundRequest(method: "POST", url: config.url ?? "", headers: json, body: encode(body))
        case .pagerDuty:
            let base = trimmed(config.baseUrl ?? pagerDutyBase)
            return OutboundRequest(
                method: "POST", url: base + "/v2/enqueue", headers: json,
                body: encode(pagerDuty(message, routingKey: config.routingKey ?? "", publicURL: publicURL)))
        case .opsgenie:
            let base = trimmed(config.baseUrl ?? opsgenieBase)
            let headers = json + [OutboundHeader("Authorization", "GenieKey \(config.apiKey ?? "")")]
            let item = message.items.first
            let alias = item?.dedupKey ?? "itops"
            if message.action == .resolve {
                let escaped = alias.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-", "_", "."])) ?? alias
                return OutboundRequest(
                    method: "POST", url: "\(base)/v2/alerts/\(escaped)/close?identifierType=alias", headers: headers,
                    body: encode(["source": "ITOps", "note": clip(item?.title ?? message.title, 25_000)] as [String: Any]))
            }
            return OutboundRequest(
                method: "POST", url: base + "/v2/alerts", headers: headers, body: encode(opsgenie(message)))
        case .webhook:
            let data = String(decoding: encode(webhookData(message)), as: UTF8.self)
            let body =
                "{\"createdAt\":\(JSONText.string(delivery.createdAt.iso8601)),\"data\":\(data),\"event\":\"notification\",\"id\":\(JSONText.string(delivery.id.stored))}"
            let bytes = Array(body.utf8)
            return OutboundRequest(
                method: "POST", url: config.url ?? "",
                headers: json + [
                    OutboundHeader("X-ITOps-Event", "notification"),
                    OutboundHeader("X-ITOps-Delivery", delivery.id.stored),
                    OutboundHeader("X-ITOps-Attempt", "\(attempt)"),
                    OutboundHeader("X-ITOps-Signature", WebhookSignature.sign(bytes, secret: config.secret ?? "")),
                ], body: bytes)
        }
    }

    // MARK: Chat

    static func slack(_ message: NotificationMessage) -> [String: Any] {
        let text = NotificationItems.plainText(message)
        var blocks: [[String: Any]] = [
            ["type": "header", "text": ["type": "plain_text", "text": clip(message.title, 150), "emoji": false]],
            ["type": "section", "text": ["type": "mrkdwn", "text": clip(slackEscape(text), 3000)]],
        ]
        if let link = message.items.first?.link {
            blocks.append([
                "type": "context", "elements": [["type": "mrkdwn", "text": "<\(link)|Open in ITOps>"]],
            ])
        }
        return ["text": clip(message.title + "\n" + text, 4000), "blocks": blocks]
    }

    /// Slack's three control characters in mrkdwn.
    static func slackEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func facts(_ message: NotificationMessage) -> [(String, String)] {
        guard message.items.count == 1, let item = message.items.first else {
            return [("Notifications", "\(message.items.count)")] + (message.rule.map { [("Rule", $0)] } ?? [])
        }
        var facts: [(String, String)] = [("Event", item.kind.map { "\(item.event) (\($0))" } ?? item.event)]
        if let node = item.nodeId { facts.append(("Node", node)) }
        if let service = item.serviceName { facts.append(("Service", service)) }
        if let group = item.slaGroup { facts.append(("SLA group", group)) }
        facts.append(("Since", item.at.iso8601))
        return facts
    }

    static func color(_ message: NotificationMessage) -> String {
        switch message.items.count == 1 ? message.items[0].severity : "warning" {
        case "critical", "error": "D70000"
        case "warning": "FFA500"
        default: "2E8B57"
        }
    }

    static func messageCard(_ message: NotificationMessage) -> [String: Any] {
        var card: [String: Any] = [
            "@type": "MessageCard", "@context": "https://schema.org/extensions", "summary": clip(message.title, 250),
            "themeColor": color(message), "title": message.title, "text": NotificationItems.plainText(message),
            "sections": [["facts": facts(message).map { ["name": $0.0, "value": $0.1] }]],
        ]
        if let link = message.items.first?.link {
            card["potentialAction"] = [
                ["@type": "OpenUri", "name": "Open in ITOps", "targets": [["os": "default", "uri": link]]]
            ]
        }
        return card
    }

    static func adaptiveCard(_ message: NotificationMessage) -> [String: Any] {
        var content: [String: Any] = [
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
            "body": [
                ["type": "TextBlock", "text": message.title, "weight": "Bolder", "size": "Medium", "wrap": true],
                ["type": "TextBlock", "text": NotificationItems.plainText(message), "wrap": true],
                ["type": "FactSet", "facts": facts(message).map { ["title": $0.0, "value": $0.1] }],
            ] as [[String: Any]],
        ]
        if let link = message.items.first?.link {
            content["actions"] = [["type": "Action.OpenUrl", "title": "Open in ITOps", "url": link]]
        }
        return [
            "type": "message",
            "attachments": [
                ["contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": NSNull(), "content": content]
            ],
        ]
    }

    // MARK: Paging

    static func pagerDuty(_ message: NotificationMessage, routingKey: String, publicURL: String?) -> [String: Any] {
        let item = message.items.first
        let key = item?.dedupKey ?? "itops"
        if message.action == .resolve {
            return ["routing_key": routingKey, "event_action": "resolve", "dedup_key": key]
        }
        var details: [String: Any] = ["text": NotificationItems.plainText(message), "event": item?.event ?? "test"]
        if let rule = message.rule { details["rule"] = rule }
        var payload: [String: Any] = [
            "summary": clip(message.title, 1024), "source": item?.nodeId ?? "itops",
            "severity": item?.severity ?? "info", "timestamp": (item?.at ?? Date()).iso8601,
            "custom_details": details,
        ]
        if let component = item?.serviceName { payload["component"] = component }
        if let group = item?.slaGroup { payload["group"] = group }
        if let kind = item?.kind ?? item?.event { payload["class"] = kind }
        var body: [String: Any] = [
            "routing_key": routingKey, "event_action": "trigger", "dedup_key": key, "payload": payload,
            "client": "ITOps",
        ]
        if let publicURL { body["client_url"] = publicURL }
        if let link = item?.link { body["links"] = [["href": link, "text": "Open in ITOps"]] }
        return body
    }

    static func opsgenie(_ message: NotificationMessage) -> [String: Any] {
        let item = message.items.first
        let priority =
            switch item?.severity ?? "info" {
            case "critical": "P1"
            case "error": "P2"
            case "warning": "P3"
            default: "P5"
            }
        var details: [String: String] = ["event": item?.event ?? "test"]
        if let node = item?.nodeId { details["node"] = node }
        if let service = item?.serviceName { details["service"] = service }
        if let link = item?.link { details["link"] = link }
        var body: [String: Any] = [
            "message": clip(message.title, 130), "alias": clip(item?.dedupKey ?? "itops", 512),
            "description": clip(NotificationItems.plainText(message), 15_000), "source": "ITOps",
            "priority": priority, "details": details, "tags": ["itops"],
        ]
        if let entity = item?.nodeId { body["entity"] = clip(entity, 512) }
        return body
    }

    static func webhookData(_ message: NotificationMessage) -> [String: Any] {
        [
            "title": message.title, "text": NotificationItems.plainText(message), "rule": message.rule ?? NSNull(),
            "test": message.test,
            "items": message.items.map { item -> [String: Any] in
                [
                    "event": item.event, "kind": item.kind ?? NSNull(), "action": item.action.rawValue,
                    "severity": item.severity, "title": item.title, "dedupKey": item.dedupKey,
                    "nodeId": item.nodeId ?? NSNull(), "serviceName": item.serviceName ?? NSNull(),
                    "at": item.at.iso8601, "link": item.link ?? NSNull(),
                ]
            },
        ]
    }

    // MARK: Helpers

    static func encode(_ object: [String: Any]) -> [UInt8] {
        Array(
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
                ?? Data("{}".utf8))
    }

    static func clip(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    static func trimmed(_ base: String) -> String {
        var base = base.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }
}
