import Foundation
import ITOpsCore
import SQLKit

// Notification channels, rules, deliveries, held items (migration 12), over portable SQL.

struct NotificationChannelRecord: Codable, Sendable {
    var id: String
    var name: String
    var kind: String
    var enabled: Bool
    var config: String
    var createdAt: Int64
    var updatedAt: Int64

    init(_ channel: NotificationChannel) {
        id = channel.id.stored
        name = channel.name
        kind = channel.kind.rawValue
        enabled = channel.enabled
        config = OutboundJSON.encode(channel.config)
        createdAt = channel.createdAt.epochMilliseconds
        updatedAt = channel.updatedAt.epochMilliseconds
    }

    func domain() throws -> NotificationChannel {
        guard let kind = NotificationChannelKind(rawValue: kind) else {
            throw ITOpsError(.internal, "stored channel kind '\(kind)' is unknown")
        }
        return NotificationChannel(
            id: try OutboundJSON.uuid(id), name: name, kind: kind, enabled: enabled,
            config: try OutboundJSON.decode(NotificationChannelConfig.self, config),
            createdAt: Date(epochMilliseconds: createdAt), updatedAt: Date(epochMilliseconds: updatedAt))
    }
}

struct NotificationRuleRecord: Codable, Sendable {
    var id: String
    var name: String
    var enabled: Bool
    var definition: String
    var createdAt: Int64
    var updatedAt: Int64

    init(_ rule: NotificationRule) {
        id = rule.id.stored
        name = rule.definition.name
        enabled = rule.definition.enabled
        definition = OutboundJSON.encode(rule.definition)
        createdAt = rule.createdAt.epochMilliseconds
        updatedAt = rule.updatedAt.epochMilliseconds
    }

    func domain() throws -> NotificationRule {
        NotificationRule(
            id: try OutboundJSON.uuid(id),
            definition: try OutboundJSON.decode(NotificationRuleDefinition.self, definition),
            createdAt: Date(epochMilliseconds: createdAt), updatedAt: Date(epochMilliseconds: updatedAt))
    }
}

struct NotificationDeliveryRecord: Codable, Sendable {
    var id: String
    var channelId: String
    var ruleId: String?
    var event: String
    var eventKey: String
    var message: String
    var status: String
    var attempt: Int
    var httpCode: Int?
    var error: String?
    var durationMs: Int?
    var createdAt: Int64
    var nextAttemptAt: Int64?
    var leaseUntil: Int64?
    var completedAt: Int64?

    init(_ delivery: NotificationDelivery) {
        id = delivery.id.stored
        channelId = delivery.channelId.stored
        ruleId = delivery.ruleId?.stored
        event = delivery.event
        eventKey = delivery.eventKey
        message = delivery.message
        status = delivery.status.rawValue
        attempt = delivery.attempt
        httpCode = delivery.httpCode
        error = delivery.error
        durationMs = delivery.durationMs
        createdAt = delivery.createdAt.epochMilliseconds
        nextAttemptAt = delivery.nextAttemptAt?.epochMilliseconds
        leaseUntil = delivery.leaseUntil?.epochMilliseconds
        completedAt = delivery.completedAt?.epochMilliseconds
    }

    func domain() throws -> NotificationDelivery {
        NotificationDelivery(
            id: try OutboundJSON.uuid(id), channelId: try OutboundJSON.uuid(channelId),
            ruleId: try ruleId.map(OutboundJSON.uuid), event: event, eventKey: eventKey, message: message,
            status: try OutboundJSON.status(status), attempt: attempt, httpCode: httpCode, error: error,
            durationMs: durationMs, createdAt: Date(epochMilliseconds: createdAt),
            nextAttemptAt: nextAttemptAt.map(Date.init(epochMilliseconds:)),
            leaseUntil: leaseUntil.map(Date.init(epochMilliseconds:)),
            completedAt: completedAt.map(Date.init(epochMilliseconds:)))
    }
}

struct HeldNotificationRecord: Codable, Sendable {
    var ruleId: String
    var eventKey: String
    var item: String
    var createdAt: Int64
}

private struct RuleHoldingRow: Decodable {
    var ruleId: String
    var oldest: Int64
}

private struct RuleStateRow: Codable, Sendable {
    var ruleId: String
    var lastSentAt: Int64
}

extension SQLAccess: NotificationWriter {
    // MARK: Channels

    func notificationChannels() async throws -> [NotificationChannel] {
        try await rows(
            "SELECT * FROM notification_channels ORDER BY name", as: NotificationChannelRecord.self
        ).map { try $0.domain() }
    }

    func notificationChannel(id: UUID) async throws -> NotificationChannel? {
        try await rows(
            "SELECT * FROM notification_channels WHERE id = \(bind: id.stored)", as: NotificationChannelRecord.self
        ).first?.domain()
    }

    func notificationChannel(name: String) async throws -> NotificationChannel? {
        try await rows(
            "SELECT * FROM notification_channels WHERE name = \(bind: name)", as: NotificationChannelRecord.self
        ).first?.domain()
    }

    func insert(_ channel: NotificationChannel) async throws {
        try await save("notification_channels", NotificationChannelRecord(channel))
    }

    func update(_ channel: NotificationChannel) async throws {
        try await replace("notification_channels", id: channel.id, NotificationChannelRecord(channel))
    }

    func deleteNotificationChannel(id: UUID) async throws {
        try await db.raw("DELETE FROM notification_deliveries WHERE channel_id = \(bind: id.stored)").run()
        try await db.raw("DELETE FROM notification_channels WHERE id = \(bind: id.stored)").run()
    }

    // MARK: Rules

    func notificationRules() async throws -> [NotificationRule] {
        try await rows("SELECT * FROM notification_rules ORDER BY name", as: NotificationRuleRecord.self)
            .map { try $0.domain() }
    }

    func notificationRule(id: UUID) async throws -> NotificationRule? {
        try await rows(
            "SELECT * FROM notification_rules WHERE id = \(bind: id.stored)", as: NotificationRuleRecord.self
        ).first?.domain()
    }

    func notificationRule(name: String) async throws -> NotificationRule? {
        try await rows(
            "SELECT * FROM notification_rules WHERE name = \(bind: name)", as: NotificationRuleRecord.self
        ).first?.domain()
    }

    func insert(_ rule: NotificationRule) async throws {
        try await save("notification_rules", NotificationRuleRecord(rule))
    }

    func update(_ rule: NotificationRule) async throws {
        try await replace("notification_rules", id: rule.id, NotificationRuleRecord(rule))
    }

    func deleteNotificationRule(id: UUID) async throws {
        try await db.raw("DELETE FROM notification_held WHERE rule_id = \(bind: id.stored)").run()
        try await db.raw("DELETE FROM notification_rule_state WHERE rule_id = \(bind: id.stored)").run()
        try await db.raw("DELETE FROM notification_rules WHERE id = \(bind: id.stored)").run()
    }

    // MARK: Deliveries

    func notificationDeliveries(channelId: UUID, limit: Int) async throws -> [NotificationDelivery] {
        try await rows(
            "SELECT * FROM notification_deliveries WHERE channel_id = \(bind: channelId.stored) ORDER BY created_at DESC, id DESC LIMIT \(literal: max(0, limit))",
            as: NotificationDeliveryRecord.self
        ).map { try $0.domain() }
    }

    func dueNotificationDeliveries(now: Date, limit: Int) async throws -> [NotificationDelivery] {
        let at = now.epochMilliseconds
        return try await rows(
            """
            SELECT * FROM notification_deliveries
            WHERE status = \(bind: DeliveryStatus.pending.rawValue) AND next_attempt_at <= \(bind: at)
              AND (lease_until IS NULL OR lease_until < \(bind: at))
            ORDER BY next_attempt_at, id LIMIT \(literal: max(0, limit))
            """,
            as: NotificationDeliveryRecord.self
        ).map { try $0.domain() }
    }

    func notificationDeliveryExists(eventKey: String) async throws -> Bool {
        try await db.raw("SELECT 1 AS one FROM notification_deliveries WHERE event_key = \(bind: eventKey) LIMIT 1")
            .first() != nil
    }

    func insertIfAbsent(_ delivery: NotificationDelivery) async throws {
        try await saveIfAbsent(
            "notification_deliveries", NotificationDeliveryRecord(delivery), unique: ["channel_id", "event_key"])
    }

    func update(_ delivery: NotificationDelivery) async throws {
        try await replace("notification_deliveries", id: delivery.id, NotificationDeliveryRecord(delivery))
    }

    // MARK: Held items and rule state

    func heldNotifications(ruleId: UUID) async throws -> [HeldNotification] {
        try await rows(
            "SELECT * FROM notification_held WHERE rule_id = \(bind: ruleId.stored) ORDER BY created_at, event_key",
            as: HeldNotificationRecord.self
        ).map {
            HeldNotification(
                ruleId: try OutboundJSON.uuid($0.ruleId), eventKey: $0.eventKey, item: $0.item,
                createdAt: Date(epochMilliseconds: $0.createdAt))
        }
    }

    func rulesHoldingNotifications() async throws -> [(ruleId: UUID, oldest: Date)] {
        try await rows(
            "SELECT rule_id, MIN(created_at) AS oldest FROM notification_held GROUP BY rule_id ORDER BY rule_id",
            as: RuleHoldingRow.self
        ).map { (try OutboundJSON.uuid($0.ruleId), Date(epochMilliseconds: $0.oldest)) }
    }

    func notificationRuleLastSent(ruleId: UUID) async throws -> Date? {
        try await rows(
            "SELECT * FROM notification_rule_state WHERE rule_id = \(bind: ruleId.stored)", as: RuleStateRow.self
        ).first.map { Date(epochMilliseconds: $0.lastSentAt) }
    }

    func insertIfAbsent(_ held: HeldNotification) async throws {
        try await saveIfAbsent(
            "notification_held",
            HeldNotificationRecord(
                ruleId: held.ruleId.stored, eventKey: held.eventKey, item: held.item,
                createdAt: held.createdAt.epochMilliseconds),
            unique: ["rule_id", "event_key"])
    }

    func deleteHeldNotifications(ruleId: UUID) async throws {
        try await db.raw("DELETE FROM notification_held WHERE rule_id = \(bind: ruleId.stored)").run()
    }

    func setNotificationRuleLastSent(ruleId: UUID, at: Date) async throws {
        try await db.insert(into: "notification_rule_state")
            .model(
                RuleStateRow(ruleId: ruleId.stored, lastSentAt: at.epochMilliseconds),
                keyEncodingStrategy: .convertToSnakeCase
            )
            .onConflict(with: ["rule_id"]) { $0.set(excludedValueOf: "last_sent_at") }
            .run()
    }
}
