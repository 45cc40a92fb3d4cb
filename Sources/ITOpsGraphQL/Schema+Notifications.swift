import Foundation
import Graphiti
import ITOpsCore

extension ITOpsAPI {
    /// Notification channels and routing rules (admin only). See docs/notifications.md.
    static var notificationSchema: PartialSchema<Resolver, GraphQLContext> {
        PartialSchema(
            types: {
                Type(NotificationChannelConfigDTO.self, as: "NotificationChannelConfig") {
                    Field("url", at: \.url).description(
                        "SLACK, TEAMS (masked: the hook URL is the credential), WEBHOOK.")
                    Field("baseUrl", at: \.baseUrl).description("PAGERDUTY, OPSGENIE: the API host (tests, EU region).")
                    Field("routingKey", at: \.routingKey).description("PAGERDUTY; masked.")
                    Field("apiKey", at: \.apiKey).description("OPSGENIE (sent as GenieKey); masked.")
                    Field("secret", at: \.secret).description("WEBHOOK signing secret; masked.")
                    Field("teamsFormat", at: \.teamsFormat).description("TEAMS: MESSAGE_CARD | ADAPTIVE_CARD")
                    Field("smtpHost", at: \.smtpHost)
                    Field("smtpPort", at: \.smtpPort)
                    Field("smtpSecurity", at: \.smtpSecurity).description("NONE | STARTTLS | TLS")
                    Field("smtpUsername", at: \.smtpUsername)
                    Field("smtpPassword", at: \.smtpPassword).description("Masked.")
                    Field("from", at: \.from)
                    Field("to", at: \.to)
                }
                Type(NotificationChannelDTO.self, as: "NotificationChannel") {
                    Field("id", at: \.id)
                    Field("name", at: \.name)
                    Field("kind", at: \.kind).description("EMAIL | SLACK | TEAMS | PAGERDUTY | OPSGENIE | WEBHOOK")
                    Field("enabled", at: \.enabled)
                    Field("config", at: \.config).description("Secrets are shown as ******** when set.")
                    Field("createdAt", at: \.createdAt)
                    Field("updatedAt", at: \.updatedAt)
                }
                Type(NotificationDeliveryDTO.self, as: "NotificationDelivery") {
                    Field("id", at: \.id)
                    Field("channelId", at: \.channelId)
                    Field("ruleId", at: \.ruleId).description("Null for a test message.")
                    Field("event", at: \.event).description("The event name, `summary` or `notification:test`.")
                    Field("status", at: \.status).description("Pending | Success | Failed | ExecFailed")
                    Field("httpCode", at: \.httpCode)
                    Field("error", at: \.error).description("Why the last attempt failed; the guard's reason when blocked.")
                    Field("durationMs", at: \.durationMs)
                    Field("attempt", at: \.attempt)
                    Field("message", at: \.message).description("The message (JSON: title, items, action, rule).")
                    Field("createdAt", at: \.createdAt)
                    Field("nextAttemptAt", at: \.nextAttemptAt)
                    Field("completedAt", at: \.completedAt)
                }
                Type(QuietHoursDTO.self, as: "QuietHours") {
                    Field("start", at: \.start).description("HH:mm")
                    Field("end", at: \.end).description("HH:mm, exclusive; may be before start (overnight).")
                    Field("timeZone", at: \.timeZone).description("IANA name, e.g. Europe/Berlin.")
                }
                Type(NotificationRuleDTO.self, as: "NotificationRule") {
                    Field("id", at: \.id)
                    Field("name", at: \.name)
                    Field("enabled", at: \.enabled)
                    Field("events", at: \.events)
                    Field("alertKinds", at: \.alertKinds).description("sla:alert kinds; empty is every kind.")
                    Field("slaGroups", at: \.slaGroups)
                    Field("tiers", at: \.tiers)
                    Field("nodePrefixes", at: \.nodePrefixes)
                    Field("tags", at: \.tags)
                    Field("channels", at: \.channels).description("Channel names.")
                    Field("quietHours", at: \.quietHours)
                    Field("minIntervalSeconds", at: \.minIntervalSeconds)
                    Field("digestMinutes", at: \.digestMinutes)
                    Field("createdAt", at: \.createdAt)
                    Field("updatedAt", at: \.updatedAt)
                }
                Input(Resolver.ChannelConfigInputDTO.self, as: "NotificationChannelConfigInput") {
                    InputField("url", at: \.url)
                    InputField("baseUrl", at: \.baseUrl)
                    InputField("routingKey", at: \.routingKey)
                    InputField("apiKey", at: \.apiKey)
                    InputField("secret", at: \.secret)
                    InputField("teamsFormat", at: \.teamsFormat).description("MESSAGE_CARD (default) | ADAPTIVE_CARD")
                    InputField("smtpHost", at: \.smtpHost)
                    InputField("smtpPort", at: \.smtpPort).description("Default 587 (STARTTLS), 465 (TLS), 25 (NONE).")
                    InputField("smtpSecurity", at: \.smtpSecurity).description("NONE | STARTTLS (default) | TLS")
                    InputField("smtpUsername", at: \.smtpUsername)
                    InputField("smtpPassword", at: \.smtpPassword)
                    InputField("from", at: \.from)
                    InputField("to", at: \.to)
                }
                Input(Resolver.ChannelInputDTO.self, as: "NotificationChannelInput") {
                    InputField("name", at: \.name)
                    InputField("kind", at: \.kind).description("EMAIL | SLACK | TEAMS | PAGERDUTY | OPSGENIE | WEBHOOK")
                    InputField("enabled", at: \.enabled).description("Default true.")
                    InputField("config", at: \.config)
                }
                Input(Resolver.ChannelPatchDTO.self, as: "UpdateNotificationChannelInput") {
                    InputField("name", at: \.name)
                    InputField("enabled", at: \.enabled)
                    InputField("config", at: \.config).description("Set fields replace; absent fields keep their value.")
                }
                Input(Resolver.QuietHoursInputDTO.self, as: "QuietHoursInput") {
                    InputField("start", at: \.start)
                    InputField("end", at: \.end)
                    InputField("timeZone", at: \.timeZone)
                }
                Input(Resolver.RuleInputDTO.self, as: "NotificationRuleInput") {
                    InputField("name", at: \.name)
                    InputField("enabled", at: \.enabled).description("Default true.")
                    InputField("events", at: \.events)
                    InputField("alertKinds", at: \.alertKinds)
                    InputField("slaGroups", at: \.slaGroups)
                    InputField("tiers", at: \.tiers)
                    InputField("nodePrefixes", at: \.nodePrefixes)
                    InputField("tags", at: \.tags)
                    InputField("channels", at: \.channels).description("Channel names.")
                    InputField("quietHours", at: \.quietHours)
                    InputField("minIntervalSeconds", at: \.minIntervalSeconds).description("0–86400, default 0.")
                    InputField("digestMinutes", at: \.digestMinutes).description("0–1440, default 0.")
                }
            },
            query: {
                Field("notificationChannels", at: Resolver.notificationChannels).description("By name. Admin only.")
                Field("notificationRules", at: Resolver.notificationRules).description("By name. Admin only.")
                Field("notificationDeliveries", at: Resolver.notificationDeliveries) {
                    Argument("channelId", at: \.channelId)
                    Argument("first", at: \.first).description("Newest first, 1–500 (default 50).")
                }
                .description("Delivery history of a channel. Admin only.")
            },
            mutation: {
                Field("createNotificationChannel", at: Resolver.createNotificationChannel) {
                    Argument("input", at: \.input)
                }
                .description("Admin only.")
                Field("updateNotificationChannel", at: Resolver.updateNotificationChannel) {
                    Argument("id", at: \.id)
                    Argument("input", at: \.input)
                }
                .description("Admin only.")
                Field("deleteNotificationChannel", at: Resolver.deleteNotificationChannel) {
                    Argument("id", at: \.id)
                }
                .description("Deletes the channel and its history (not while a rule uses it). Admin only.")
                Field("testNotificationChannel", at: Resolver.testNotificationChannel) {
                    Argument("id", at: \.id)
                }
                .description("Sends a test message now (one attempt) and returns the delivery. Admin only.")
                Field("createNotificationRule", at: Resolver.createNotificationRule) {
                    Argument("input", at: \.input)
                }
                .description("Admin only.")
                Field("updateNotificationRule", at: Resolver.updateNotificationRule) {
                    Argument("id", at: \.id)
                    Argument("input", at: \.input).description("The whole new definition.")
                }
                .description("Admin only.")
                Field("deleteNotificationRule", at: Resolver.deleteNotificationRule) {
                    Argument("id", at: \.id)
                }
                .description("Deletes the rule and what it holds. Admin only.")
            }
        )
    }
}
