import Foundation
import Graphiti
import ITOpsCore

/// Notification channels and routing rules: admin only. See docs/notifications.md.
extension Resolver {
    struct ChannelConfigInputDTO: Codable, Sendable {
        let url: String?
        let baseUrl: String?
        let routingKey: String?
        let apiKey: String?
        let secret: String?
        let teamsFormat: String?
        let smtpHost: String?
        let smtpPort: Int?
        let smtpSecurity: String?
        let smtpUsername: String?
        let smtpPassword: String?
        let from: String?
        let to: [String]?
    }

    struct ChannelInputDTO: Codable, Sendable {
        let name: String
        let kind: String
        let enabled: Bool?
        let config: ChannelConfigInputDTO
    }

    struct ChannelPatchDTO: Codable, Sendable {
        let name: String?
        let enabled: Bool?
        let config: ChannelConfigInputDTO?
    }

    struct CreateChannelArguments: Codable, Sendable {
        let input: ChannelInputDTO
    }

    struct UpdateChannelArguments: Codable, Sendable {
        let id: String
        let input: ChannelPatchDTO
    }

    struct ChannelDeliveriesArguments: Codable, Sendable {
        let channelId: String
        let first: Int?
    }

    struct QuietHoursInputDTO: Codable, Sendable {
        let start: String
        let end: String
        let timeZone: String
    }

    struct RuleInputDTO: Codable, Sendable {
        let name: String
        let enabled: Bool?
        let events: [String]
        let alertKinds: [String]?
        let slaGroups: [String]?
        let tiers: [String]?
        let nodePrefixes: [String]?
        let tags: [String]?
        let channels: [String]
        let quietHours: QuietHoursInputDTO?
        let minIntervalSeconds: Int?
        let digestMinutes: Int?
    }

    struct CreateRuleArguments: Codable, Sendable {
        let input: RuleInputDTO
    }

    struct UpdateRuleArguments: Codable, Sendable {
        let id: String
        let input: RuleInputDTO
    }

    // MARK: Channels

    func notificationChannels(context: GraphQLContext, arguments: NoArguments) async throws
        -> [NotificationChannelDTO]
    {
        try await context.notificationAdmin().notificationChannels().map(NotificationChannelDTO.init)
    }

    func createNotificationChannel(context: GraphQLContext, arguments: CreateChannelArguments) async throws
        -> NotificationChannelDTO
    {
        let admin = try context.notificationAdmin()
        let input = arguments.input
        guard let kind = NotificationChannelKind(rawValue: input.kind) else {
            throw ITOpsError.invalid("input.kind: must be one of \(NotificationChannelKind.allowedSpellings)")
        }
        return NotificationChannelDTO(
            try await admin.createNotificationChannel(
                NotificationChannelInput(
                    name: input.name, kind: kind, enabled: input.enabled ?? true,
                    config: try Self.channelConfig(input.config))))
    }

    func updateNotificationChannel(context: GraphQLContext, arguments: UpdateChannelArguments) async throws
        -> NotificationChannelDTO
    {
        let admin = try context.notificationAdmin()
        let input = arguments.input
        return NotificationChannelDTO(
            try await admin.updateNotificationChannel(
                id: try Self.uuid(arguments.id, field: "id"),
                NotificationChannelPatch(
                    name: input.name, enabled: input.enabled, config: try input.config.map(Self.channelConfig))))
    }

    func deleteNotificationChannel(context: GraphQLContext, arguments: IDArgument) async throws -> Bool {
        let admin = try context.notificationAdmin()
        return try await admin.deleteNotificationChannel(id: try Self.uuid(arguments.id, field: "id"))
    }

    func testNotificationChannel(context: GraphQLContext, arguments: IDArgument) async throws
        -> NotificationDeliveryDTO
    {
        let admin = try context.notificationAdmin()
        return NotificationDeliveryDTO(try await admin.testNotificationChannel(id: try Self.uuid(arguments.id, field: "id")))
    }

    func notificationDeliveries(context: GraphQLContext, arguments: ChannelDeliveriesArguments) async throws
        -> [NotificationDeliveryDTO]
    {
        let admin = try context.notificationAdmin()
        return try await admin.notificationDeliveries(
            channelId: try Self.uuid(arguments.channelId, field: "channelId"), limit: try Self.limit(arguments.first)
        ).map(NotificationDeliveryDTO.init)
    }

    // MARK: Rules

    func notificationRules(context: GraphQLContext, arguments: NoArguments) async throws -> [NotificationRuleDTO] {
        try await context.notificationAdmin().notificationRules().map(NotificationRuleDTO.init)
    }

    func createNotificationRule(context: GraphQLContext, arguments: CreateRuleArguments) async throws
        -> NotificationRuleDTO
    {
        let admin = try context.notificationAdmin()
        return NotificationRuleDTO(try await admin.createNotificationRule(Self.ruleDefinition(arguments.input)))
    }

    func updateNotificationRule(context: GraphQLContext, arguments: UpdateRuleArguments) async throws
        -> NotificationRuleDTO
    {
        let admin = try context.notificationAdmin()
        return NotificationRuleDTO(
            try await admin.updateNotificationRule(
                id: try Self.uuid(arguments.id, field: "id"), Self.ruleDefinition(arguments.input)))
    }

    func deleteNotificationRule(context: GraphQLContext, arguments: IDArgument) async throws -> Bool {
        let admin = try context.notificationAdmin()
        return try await admin.deleteNotificationRule(id: try Self.uuid(arguments.id, field: "id"))
    }

    // MARK: Helpers

    static func channelConfig(_ input: ChannelConfigInputDTO) throws -> NotificationChannelConfig {
        let teams = try input.teamsFormat.map { text in
            guard let format = TeamsFormat(rawValue: text) else {
                throw ITOpsError.invalid("input.config.teamsFormat: must be one of \(TeamsFormat.allowedSpellings)")
            }
            return format
        }
        let security = try input.smtpSecurity.map { text in
            guard let security = SMTPSecurity(rawValue: text) else {
                throw ITOpsError.invalid("input.config.smtpSecurity: must be one of \(SMTPSecurity.allowedSpellings)")
            }
            return security
        }
        return NotificationChannelConfig(
            url: input.url, baseUrl: input.baseUrl, routingKey: input.routingKey, apiKey: input.apiKey,
            secret: input.secret, teamsFormat: teams, smtpHost: input.smtpHost, smtpPort: input.smtpPort,
            smtpSecurity: security, smtpUsername: input.smtpUsername, smtpPassword: input.smtpPassword,
            from: input.from, to: input.to)
    }

    static func ruleDefinition(_ input: RuleInputDTO) -> NotificationRuleDefinition {
        NotificationRuleDefinition(
            name: input.name, enabled: input.enabled ?? true, events: input.events, alertKinds: input.alertKinds ?? [],
            slaGroups: input.slaGroups ?? [], tiers: input.tiers ?? [], nodePrefixes: input.nodePrefixes ?? [],
            tags: input.tags ?? [], channels: input.channels,
            quietHours: input.quietHours.map { QuietHours(start: $0.start, end: $0.end, timeZone: $0.timeZone) },
            minIntervalSeconds: input.minIntervalSeconds ?? 0, digestMinutes: input.digestMinutes ?? 0)
    }
}

/// A secret as the API shows it: whether it is set, never its value.
enum SecretMask {
    static let text = "********"

    static func mask(_ value: String?) -> String? { value.map { $0.isEmpty ? "" : text } }

    /// A hook URL whose path is the credential: scheme and host stay readable.
    static func maskURL(_ value: String?) -> String? {
        guard let value else { return nil }
        guard let url = URL(string: value), let scheme = url.scheme, let host = url.host else { return text }
        return "\(scheme)://\(host)/\(text)"
    }
}

struct NotificationChannelConfigDTO: Codable, Sendable {
    let url: String?
    let baseUrl: String?
    let routingKey: String?
    let apiKey: String?
    let secret: String?
    let teamsFormat: String?
    let smtpHost: String?
    let smtpPort: Int?
    let smtpSecurity: String?
    let smtpUsername: String?
    let smtpPassword: String?
    let from: String?
    let to: [String]?

    init(_ config: NotificationChannelConfig, kind: NotificationChannelKind) {
        let hookIsSecret = kind == .slack || kind == .teams
        url = hookIsSecret ? SecretMask.maskURL(config.url) : config.url
        baseUrl = config.baseUrl
        routingKey = SecretMask.mask(config.routingKey)
        apiKey = SecretMask.mask(config.apiKey)
        secret = SecretMask.mask(config.secret)
        teamsFormat = config.teamsFormat?.rawValue ?? (kind == .teams ? TeamsFormat.messageCard.rawValue : nil)
        smtpHost = config.smtpHost
        smtpPort = config.smtpPort
        smtpSecurity = config.smtpSecurity?.rawValue ?? (kind == .email ? SMTPSecurity.startTLS.rawValue : nil)
        smtpUsername = config.smtpUsername
        smtpPassword = SecretMask.mask(config.smtpPassword)
        from = config.from
        to = config.to
    }
}

struct NotificationChannelDTO: Codable, Sendable {
    let id: String
    let name: String
    let kind: String
    let enabled: Bool
    let config: NotificationChannelConfigDTO
    let createdAt: String
    let updatedAt: String

    init(_ channel: NotificationChannel) {
        id = channel.id.uuidString.lowercased()
        name = channel.name
        kind = channel.kind.rawValue
        enabled = channel.enabled
        config = NotificationChannelConfigDTO(channel.config, kind: channel.kind)
        createdAt = channel.createdAt.iso8601
        updatedAt = channel.updatedAt.iso8601
    }
}

struct NotificationDeliveryDTO: Codable, Sendable {
    let id: String
    let channelId: String
    let ruleId: String?
    let event: String
    let status: String
    let httpCode: Int?
    let error: String?
    let durationMs: Int?
    let attempt: Int
    let message: String
    let createdAt: String
    let nextAttemptAt: String?
    let completedAt: String?

    init(_ delivery: NotificationDelivery) {
        id = delivery.id.uuidString.lowercased()
        channelId = delivery.channelId.uuidString.lowercased()
        ruleId = delivery.ruleId?.uuidString.lowercased()
        event = delivery.event
        status = delivery.status.rawValue
        httpCode = delivery.httpCode
        error = delivery.error
        durationMs = delivery.durationMs
        attempt = delivery.attempt
        message = delivery.message
        createdAt = delivery.createdAt.iso8601
        nextAttemptAt = delivery.status == .pending ? delivery.nextAttemptAt?.iso8601 : nil
        completedAt = delivery.completedAt?.iso8601
    }
}

struct QuietHoursDTO: Codable, Sendable {
    let start: String
    let end: String
    let timeZone: String
}

struct NotificationRuleDTO: Codable, Sendable {
    let id: String
    let name: String
    let enabled: Bool
    let events: [String]
    let alertKinds: [String]
    let slaGroups: [String]
    let tiers: [String]
    let nodePrefixes: [String]
    let tags: [String]
    let channels: [String]
    let quietHours: QuietHoursDTO?
    let minIntervalSeconds: Int
    let digestMinutes: Int
    let createdAt: String
    let updatedAt: String

    init(_ rule: NotificationRule) {
        let definition = rule.definition
        id = rule.id.uuidString.lowercased()
        name = definition.name
        enabled = definition.enabled
        events = definition.events
        alertKinds = definition.alertKinds
        slaGroups = definition.slaGroups
        tiers = definition.tiers
        nodePrefixes = definition.nodePrefixes
        tags = definition.tags
        channels = definition.channels
        quietHours = definition.quietHours.map { QuietHoursDTO(start: $0.start, end: $0.end, timeZone: $0.timeZone) }
        minIntervalSeconds = definition.minIntervalSeconds
        digestMinutes = definition.digestMinutes
        createdAt = rule.createdAt.iso8601
        updatedAt = rule.updatedAt.iso8601
    }
}
