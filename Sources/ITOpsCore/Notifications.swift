import Foundation

// Notification channels and routing rules (issue 18): where alerts land and which ones go where.

/// Where a notification goes.
public enum NotificationChannelKind: String, Vocabulary {
    /// SMTP mail.
    case email = "EMAIL"
    /// A Slack incoming webhook (blocks and text).
    case slack = "SLACK"
    /// A Microsoft Teams incoming webhook (MessageCard or Adaptive Card).
    case teams = "TEAMS"
    /// PagerDuty Events API v2: trigger and resolve by `dedup_key`.
    case pagerDuty = "PAGERDUTY"
    /// Opsgenie Alert API: create and close by `alias`.
    case opsgenie = "OPSGENIE"
    /// A signed ITOps webhook, like the webhooks of docs/outbound.md.
    case webhook = "WEBHOOK"
    public static let vocabularyName = "kind"

    /// Paging channels open and close alerts by key; each alert is sent on its own and resolves are
    /// never held.
    public var isPaging: Bool { self == .pagerDuty || self == .opsgenie }
}

/// How an SMTP connection is protected.
public enum SMTPSecurity: String, Vocabulary {
    /// Plain text (a local relay).
    case none = "NONE"
    /// Plain connect, then `STARTTLS` (required: a server that does not offer it fails the delivery).
    case startTLS = "STARTTLS"
    /// TLS from the first byte (port 465).
    case tls = "TLS"
    public static let vocabularyName = "security"
}

/// The card format of a Teams channel.
public enum TeamsFormat: String, Vocabulary {
    case messageCard = "MESSAGE_CARD"
    case adaptiveCard = "ADAPTIVE_CARD"
    public static let vocabularyName = "teamsFormat"
}

/// A channel's typed configuration. Which fields apply depends on the kind (a field of another kind is
/// refused on save):
///
/// | kind | fields (secrets in *italics*) |
/// |---|---|
/// | `EMAIL` | `smtpHost`, `smtpPort`, `smtpSecurity`, `smtpUsername`, *`smtpPassword`*, `from`, `to` |
/// | `SLACK` | *`url`* (the hook URL is the credential) |
/// | `TEAMS` | *`url`*, `teamsFormat` |
/// | `PAGERDUTY` | *`routingKey`*, `baseUrl` (default `https://events.pagerduty.com`) |
/// | `OPSGENIE` | *`apiKey`*, `baseUrl` (default `https://api.opsgenie.com`) |
/// | `WEBHOOK` | `url`, *`secret`* |
public struct NotificationChannelConfig: Sendable, Equatable, Codable {
    public var url: String?
    public var baseUrl: String?
    public var routingKey: String?
    public var apiKey: String?
    public var secret: String?
    public var teamsFormat: TeamsFormat?
    public var smtpHost: String?
    public var smtpPort: Int?
    public var smtpSecurity: SMTPSecurity?
    public var smtpUsername: String?
    public var smtpPassword: String?
    public var from: String?
    public var to: [String]?

    public init(
        url: String? = nil, baseUrl: String? = nil, routingKey: String? = nil, apiKey: String? = nil,
        secret: String? = nil, teamsFormat: TeamsFormat? = nil, smtpHost: String? = nil, smtpPort: Int? = nil,
        smtpSecurity: SMTPSecurity? = nil, smtpUsername: String? = nil, smtpPassword: String? = nil,
        from: String? = nil, to: [String]? = nil
    ) {
        self.url = url
        self.baseUrl = baseUrl
        self.routingKey = routingKey
        self.apiKey = apiKey
        self.secret = secret
        self.teamsFormat = teamsFormat
        self.smtpHost = smtpHost
        self.smtpPort = smtpPort
        self.smtpSecurity = smtpSecurity
        self.smtpUsername = smtpUsername
        self.smtpPassword = smtpPassword
        self.from = from
        self.to = to
    }

    /// The secret fields of a kind: never returned in clear, never exported in clear.
    public static func secretFields(of kind: NotificationChannelKind) -> [WritableKeyPath<Self, String?>] {
        switch kind {
        case .email: [\.smtpPassword]
        case .slack, .teams: [\.url]
        case .pagerDuty: [\.routingKey]
        case .opsgenie: [\.apiKey]
        case .webhook: [\.secret]
        }
    }

    /// Fills every field `patch` sets into a copy of `self` (absent fields keep their value).
    public func merging(_ patch: NotificationChannelConfig) -> NotificationChannelConfig {
        var merged = self
        merged.url = patch.url ?? url
        merged.baseUrl = patch.baseUrl ?? baseUrl
        merged.routingKey = patch.routingKey ?? routingKey
        merged.apiKey = patch.apiKey ?? apiKey
        merged.secret = patch.secret ?? secret
        merged.teamsFormat = patch.teamsFormat ?? teamsFormat
        merged.smtpHost = patch.smtpHost ?? smtpHost
        merged.smtpPort = patch.smtpPort ?? smtpPort
        merged.smtpSecurity = patch.smtpSecurity ?? smtpSecurity
        merged.smtpUsername = patch.smtpUsername ?? smtpUsername
        merged.smtpPassword = patch.smtpPassword ?? smtpPassword
        merged.from = patch.from ?? from
        merged.to = patch.to ?? to
        return merged
    }
}

/// A notification channel.
public struct NotificationChannel: Sendable, Equatable, Identifiable {
    public var id: UUID
    /// Unique; templates match channels by name.
    public var name: String
    public var kind: NotificationChannelKind
    public var enabled: Bool
    public var config: NotificationChannelConfig
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID = UUID.random(), name: String, kind: NotificationChannelKind, enabled: Bool = true,
        config: NotificationChannelConfig, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.enabled = enabled
        self.config = config
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Hours during which a rule holds its notifications: `start` to `end` (`HH:mm`, end exclusive; may wrap
/// past midnight) in an IANA time zone.
public struct QuietHours: Sendable, Equatable, Codable {
    public var start: String
    public var end: String
    public var timeZone: String

    public init(start: String, end: String, timeZone: String) {
        self.start = start
        self.end = end
        self.timeZone = timeZone
    }

    /// Minutes after midnight of `HH:mm`, or `nil` when it is not a valid time.
    public static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hours = Int(parts[0]),
            let minutes = Int(parts[1]), (0..<24).contains(hours), (0..<60).contains(minutes)
        else { return nil }
        return hours * 60 + minutes
    }

    /// Whether `date` falls within the quiet hours (false when the definition is invalid).
    public func contains(_ date: Date) -> Bool {
        guard let zone = TimeZone(identifier: timeZone), let from = Self.minutes(start), let to = Self.minutes(end),
            from != to
        else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        let now = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        return from < to ? (from <= now && now < to) : (now >= from || now < to)
    }
}

/// A routing rule as an admin writes it: which events (filtered) go to which channels, and how often.
public struct NotificationRuleDefinition: Sendable, Equatable, Codable {
    public var name: String
    public var enabled: Bool
    /// Event names: `sla:alert`, `sla:incident`, `ticket:created|updated|deleted`, `license:updated`,
    /// `service:status_changed`.
    public var events: [String]
    /// For `sla:alert`: the alert kinds that match (`node_silent`, `backup_overdue`, `storage_warning`, …);
    /// empty matches every kind.
    public var alertKinds: [String]
    /// Filters (each non-empty list must match; a list matches when any entry does).
    public var slaGroups: [String]
    public var tiers: [String]
    public var nodePrefixes: [String]
    public var tags: [String]
    /// Channel names, resolved when saved.
    public var channels: [String]
    public var quietHours: QuietHours?
    /// At most one message per this many seconds (the rest are coalesced into one summary); 0 is no limit.
    public var minIntervalSeconds: Int
    /// Collect for this many minutes, then send one message; 0 sends at once.
    public var digestMinutes: Int

    public init(
        name: String, enabled: Bool = true, events: [String], alertKinds: [String] = [], slaGroups: [String] = [],
        tiers: [String] = [], nodePrefixes: [String] = [], tags: [String] = [], channels: [String],
        quietHours: QuietHours? = nil, minIntervalSeconds: Int = 0, digestMinutes: Int = 0
    ) {
        self.name = name
        self.enabled = enabled
        self.events = events
        self.alertKinds = alertKinds
        self.slaGroups = slaGroups
        self.tiers = tiers
        self.nodePrefixes = nodePrefixes
        self.tags = tags
        self.channels = channels
        self.quietHours = quietHours
        self.minIntervalSeconds = minIntervalSeconds
        self.digestMinutes = digestMinutes
    }

    /// Whether any filter needs the service's catalog data (SLA group, tier, tags).
    public var needsService: Bool { !slaGroups.isEmpty || !tiers.isEmpty || !tags.isEmpty }
}

/// A stored rule.
public struct NotificationRule: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var definition: NotificationRuleDefinition
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID = UUID.random(), definition: NotificationRuleDefinition, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.definition = definition
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What a notification item asks of a paging channel.
public enum NotificationAction: String, Sendable, Codable, Equatable {
    /// Open (or re-trigger) the alert with this key.
    case trigger
    /// Close the alert with this key.
    case resolve
    /// Information only (tickets, license, reports): chat and mail only.
    case info
}

/// One thing that happened, in words: the unit a message lists.
public struct NotificationItem: Sendable, Equatable, Codable {
    /// The event name (`sla:incident`) and, for alerts, the kind.
    public var event: String
    public var kind: String?
    public var action: NotificationAction
    /// `critical`, `error`, `warning` or `info` (PagerDuty's severities).
    public var severity: String
    /// One line: "DOWN: orders-db on myorg/platform/prod".
    public var title: String
    /// Sentences: what, where, since when, the SLA figure.
    public var text: String
    /// The alert identity (PagerDuty `dedup_key`, Opsgenie `alias`); the same for a trigger and its resolve.
    public var dedupKey: String
    public var nodeId: String?
    public var serviceName: String?
    public var slaGroup: String?
    /// When it happened.
    public var at: Date
    /// The console page.
    public var link: String?

    public init(
        event: String, kind: String? = nil, action: NotificationAction, severity: String, title: String, text: String,
        dedupKey: String, nodeId: String? = nil, serviceName: String? = nil, slaGroup: String? = nil, at: Date,
        link: String? = nil
    ) {
        self.event = event
        self.kind = kind
        self.action = action
        self.severity = severity
        self.title = title
        self.text = text
        self.dedupKey = dedupKey
        self.nodeId = nodeId
        self.serviceName = serviceName
        self.slaGroup = slaGroup
        self.at = at
        self.link = link
    }
}

/// What one delivery carries: one item, or a summary of several (min interval, digest, quiet hours).
public struct NotificationMessage: Sendable, Equatable, Codable {
    /// The subject / heading.
    public var title: String
    public var items: [NotificationItem]
    /// For paging channels: the action of the single item.
    public var action: NotificationAction
    /// The rule that sent it (`nil` for a test message).
    public var rule: String?
    /// Whether this is a test message.
    public var test: Bool

    public init(
        title: String, items: [NotificationItem], action: NotificationAction, rule: String?, test: Bool = false
    ) {
        self.title = title
        self.items = items
        self.action = action
        self.rule = rule
        self.test = test
    }
}

/// One message sent (or to be sent) to one channel, with its latest attempt: the same history and retries
/// as webhook deliveries (docs/outbound.md).
public struct NotificationDelivery: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var channelId: UUID
    public var ruleId: UUID?
    public var event: String
    /// Identifies the message across instances: the second insert of the same key is a no-op.
    public var eventKey: String
    /// The message (JSON of ``NotificationMessage``), fixed when enqueued.
    public var message: String
    public var status: DeliveryStatus
    public var attempt: Int
    public var httpCode: Int?
    public var error: String?
    public var durationMs: Int?
    public var createdAt: Date
    public var nextAttemptAt: Date?
    public var leaseUntil: Date?
    public var completedAt: Date?

    public init(
        id: UUID = UUID.random(), channelId: UUID, ruleId: UUID?, event: String, eventKey: String, message: String,
        status: DeliveryStatus = .pending, attempt: Int = 0, httpCode: Int? = nil, error: String? = nil,
        durationMs: Int? = nil, createdAt: Date, nextAttemptAt: Date? = nil, leaseUntil: Date? = nil,
        completedAt: Date? = nil
    ) {
        self.id = id
        self.channelId = channelId
        self.ruleId = ruleId
        self.event = event
        self.eventKey = eventKey
        self.message = message
        self.status = status
        self.attempt = attempt
        self.httpCode = httpCode
        self.error = error
        self.durationMs = durationMs
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.leaseUntil = leaseUntil
        self.completedAt = completedAt
    }
}

/// An item a rule holds back (min interval, digest, quiet hours) until its summary is sent.
public struct HeldNotification: Sendable, Equatable {
    public var ruleId: UUID
    public var eventKey: String
    /// JSON of ``NotificationItem``.
    public var item: String
    public var createdAt: Date

    public init(ruleId: UUID, eventKey: String, item: String, createdAt: Date) {
        self.ruleId = ruleId
        self.eventKey = eventKey
        self.item = item
        self.createdAt = createdAt
    }
}

// MARK: - Storage ports

/// Read access to channels, rules and their deliveries: ``StoreReader/notificationReader()``.
public protocol NotificationReader: Sendable {
    /// By name.
    func notificationChannels() async throws -> [NotificationChannel]
    func notificationChannel(id: UUID) async throws -> NotificationChannel?
    func notificationChannel(name: String) async throws -> NotificationChannel?
    /// By name.
    func notificationRules() async throws -> [NotificationRule]
    func notificationRule(id: UUID) async throws -> NotificationRule?
    func notificationRule(name: String) async throws -> NotificationRule?
    /// Newest first, at most `limit`.
    func notificationDeliveries(channelId: UUID, limit: Int) async throws -> [NotificationDelivery]
    /// Pending deliveries due at `now` that no instance holds, oldest due first.
    func dueNotificationDeliveries(now: Date, limit: Int) async throws -> [NotificationDelivery]
    /// Whether any delivery carries `eventKey` (another instance already handled the event).
    func notificationDeliveryExists(eventKey: String) async throws -> Bool
    /// Held items of one rule, oldest first.
    func heldNotifications(ruleId: UUID) async throws -> [HeldNotification]
    /// The rules that hold items, with the oldest item's time.
    func rulesHoldingNotifications() async throws -> [(ruleId: UUID, oldest: Date)]
    /// When the rule last sent a message (chat, mail, webhook channels).
    func notificationRuleLastSent(ruleId: UUID) async throws -> Date?
}

/// Write access, inside a store transaction: ``StoreWriter/notificationWriter()``.
public protocol NotificationWriter: NotificationReader {
    func insert(_ channel: NotificationChannel) async throws
    func update(_ channel: NotificationChannel) async throws
    /// Deletes the channel and its delivery history.
    func deleteNotificationChannel(id: UUID) async throws
    func insert(_ rule: NotificationRule) async throws
    func update(_ rule: NotificationRule) async throws
    /// Deletes the rule, its held items and its state.
    func deleteNotificationRule(id: UUID) async throws
    /// Inserts unless a delivery of the same channel and event key exists.
    func insertIfAbsent(_ delivery: NotificationDelivery) async throws
    func update(_ delivery: NotificationDelivery) async throws
    /// Inserts unless the rule holds the same event key already.
    func insertIfAbsent(_ held: HeldNotification) async throws
    func deleteHeldNotifications(ruleId: UUID) async throws
    func setNotificationRuleLastSent(ruleId: UUID, at: Date) async throws
}

extension StoreReader {
    /// The notification records of this store.
    public func notificationReader() throws -> any NotificationReader {
        guard let records = self as? any NotificationReader else {
            throw ITOpsError(.internal, "this store keeps no notification channels")
        }
        return records
    }
}

extension StoreWriter {
    /// The notification records, inside this transaction.
    public func notificationWriter() throws -> any NotificationWriter {
        guard let records = self as? any NotificationWriter else {
            throw ITOpsError(.internal, "this store keeps no notification channels")
        }
        return records
    }
}

/// A new channel: `createNotificationChannel(input:)`.
public struct NotificationChannelInput: Sendable, Equatable {
    public var name: String
    public var kind: NotificationChannelKind
    public var enabled: Bool
    public var config: NotificationChannelConfig
    public init(name: String, kind: NotificationChannelKind, enabled: Bool = true, config: NotificationChannelConfig) {
        self.name = name
        self.kind = kind
        self.enabled = enabled
        self.config = config
    }
}

/// Changes to a channel: absent fields (and absent config fields) keep their value.
public struct NotificationChannelPatch: Sendable, Equatable {
    public var name: String?
    public var enabled: Bool?
    public var config: NotificationChannelConfig?
    public init(name: String? = nil, enabled: Bool? = nil, config: NotificationChannelConfig? = nil) {
        self.name = name
        self.enabled = enabled
        self.config = config
    }
}

/// Channels, rules and their history as the API manages them (admin only; the API checks the role).
public protocol NotificationAdmin: Sendable {
    func notificationChannels() async throws -> [NotificationChannel]
    func createNotificationChannel(_ input: NotificationChannelInput) async throws -> NotificationChannel
    func updateNotificationChannel(id: UUID, _ patch: NotificationChannelPatch) async throws -> NotificationChannel
    /// `false` when there was no such channel. A channel a rule uses cannot be deleted.
    func deleteNotificationChannel(id: UUID) async throws -> Bool
    /// Sends a test message now (one attempt, no retry) and returns its record.
    func testNotificationChannel(id: UUID) async throws -> NotificationDelivery
    /// Newest first.
    func notificationDeliveries(channelId: UUID, limit: Int) async throws -> [NotificationDelivery]
    func notificationRules() async throws -> [NotificationRule]
    func createNotificationRule(_ definition: NotificationRuleDefinition) async throws -> NotificationRule
    func updateNotificationRule(id: UUID, _ definition: NotificationRuleDefinition) async throws -> NotificationRule
    func deleteNotificationRule(id: UUID) async throws -> Bool
}
