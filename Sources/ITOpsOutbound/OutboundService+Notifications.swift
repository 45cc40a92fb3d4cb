import Foundation
import ITOpsCore

/// Notification channels and routing rules (docs/notifications.md): the admin operations, routing events to
/// channels (quiet hours, minimum interval, digest), and delivering through the same queue, lease and
/// retries as webhook deliveries.
extension OutboundService: NotificationAdmin {
    // MARK: Channels

    public func notificationChannels() async throws -> [NotificationChannel] {
        try await store.reader.notificationReader().notificationChannels()
    }

    public func createNotificationChannel(_ input: NotificationChannelInput) async throws -> NotificationChannel {
        var config = input.config
        config.to = config.to.map { $0.map { $0.trimmingCharacters(in: .whitespaces) } }
        try check(name: input.name, kind: input.kind, config: config)
        let now = clock.now()
        let channel = NotificationChannel(
            name: input.name, kind: input.kind, enabled: input.enabled, config: config, createdAt: now, updatedAt: now)
        try await store.write { writer in
            let records = try writer.notificationWriter()
            guard try await records.notificationChannel(name: input.name) == nil else {
                throw ITOpsError(.conflict, "input.name: a channel named '\(input.name)' exists")
            }
            try await records.insert(channel)
        }
        subscriptionsChanged()
        return channel
    }

    public func updateNotificationChannel(id: UUID, _ patch: NotificationChannelPatch) async throws
        -> NotificationChannel
    {
        let now = clock.now()
        defer { subscriptionsChanged() }
        return try await store.write { writer in
            let records = try writer.notificationWriter()
            guard var channel = try await records.notificationChannel(id: id) else {
                throw ITOpsError.notFound("no notification channel \(id)")
            }
            let oldName = channel.name
            if let patch = patch.config {
                // A field of another kind in the patch is refused, not silently merged.
                for field in NotificationValidation.setFields(patch)
                where !NotificationValidation.fields(of: channel.kind).contains(field) {
                    throw ITOpsError.invalid("input.config.\(field): does not apply to \(channel.kind.rawValue) channels")
                }
                channel.config = channel.config.merging(patch)
            }
            channel.name = patch.name ?? channel.name
            channel.enabled = patch.enabled ?? channel.enabled
            try self.check(name: channel.name, kind: channel.kind, config: channel.config)
            if channel.name != oldName {
                if try await records.notificationChannel(name: channel.name) != nil {
                    throw ITOpsError(.conflict, "input.name: a channel named '\(channel.name)' exists")
                }
                // Rules refer to channels by name: follow the rename.
                for var rule in try await records.notificationRules() where rule.definition.channels.contains(oldName) {
                    rule.definition.channels = rule.definition.channels.map { $0 == oldName ? channel.name : $0 }
                    try await records.update(rule)
                }
            }
            channel.updatedAt = now
            try await records.update(channel)
            return channel
        }
    }

    public func deleteNotificationChannel(id: UUID) async throws -> Bool {
        defer { subscriptionsChanged() }
        return try await store.write { writer in
            let records = try writer.notificationWriter()
            guard let channel = try await records.notificationChannel(id: id) else { return false }
            let users = try await records.notificationRules().filter { $0.definition.channels.contains(channel.name) }
            guard users.isEmpty else {
                throw ITOpsError(
                    .conflict,
                    "id: the channel is used by rule(s) \(users.map { "'\($0.definition.name)'" }.joined(separator: ", ")); remove it from them first"
                )
            }
            try await records.deleteNotificationChannel(id: id)
            return true
        }
    }

    public func testNotificationChannel(id: UUID) async throws -> NotificationDelivery {
        guard let channel = try await store.reader.notificationReader().notificationChannel(id: id) else {
            throw ITOpsError.notFound("no notification channel \(id)")
        }
        let now = clock.now()
        let item = NotificationItem(
            event: "notification:test", action: .trigger, severity: "info",
            title: "ITOps test notification for \(channel.name)",
            text: "This is a test message from ITOps: the channel '\(channel.name)' (\(channel.kind.rawValue)) works.",
            dedupKey: "itops-test-\(channel.id.stored)", at: now,
            link: settings.publicURL.map { "\($0)/#/notifications" })
        let message = NotificationMessage(title: item.title, items: [item], action: .trigger, rule: nil, test: true)
        let delivery = NotificationDelivery(
            channelId: id, ruleId: nil, event: "notification:test", eventKey: UUID.random().uuidString,
            message: Self.encodeMessage(message), createdAt: now, nextAttemptAt: now,
            leaseUntil: now.addingTimeInterval(settings.lease))
        try await store.write { try await $0.notificationWriter().insertIfAbsent(delivery) }
        let done = await attempt(delivery, channel: channel, retry: false)
        try await store.write { try await $0.notificationWriter().update(done) }
        return done
    }

    public func notificationDeliveries(channelId: UUID, limit: Int) async throws -> [NotificationDelivery] {
        let records = try store.reader.notificationReader()
        guard try await records.notificationChannel(id: channelId) != nil else {
            throw ITOpsError.notFound("no notification channel \(channelId)")
        }
        return try await records.notificationDeliveries(channelId: channelId, limit: limit)
    }

    func check(name: String, kind: NotificationChannelKind, config: NotificationChannelConfig) throws {
        let problems = NotificationValidation.problems(
            name: name, kind: kind, config: config, path: "input", guardian: client.guardian)
        guard problems.isEmpty else { throw ITOpsError.invalid(problems.joined(separator: "; ")) }
    }

    // MARK: Rules

    public func notificationRules() async throws -> [NotificationRule] {
        try await store.reader.notificationReader().notificationRules()
    }

    public func createNotificationRule(_ definition: NotificationRuleDefinition) async throws -> NotificationRule {
        let now = clock.now()
        let rule = NotificationRule(definition: definition, createdAt: now, updatedAt: now)
        try await store.write { writer in
            let records = try writer.notificationWriter()
            try await Self.validate(definition, records: records)
            guard try await records.notificationRule(name: definition.name) == nil else {
                throw ITOpsError(.conflict, "input.name: a rule named '\(definition.name)' exists")
            }
            try await records.insert(rule)
        }
        subscriptionsChanged()
        return rule
    }

    public func updateNotificationRule(id: UUID, _ definition: NotificationRuleDefinition) async throws
        -> NotificationRule
    {
        let now = clock.now()
        defer { subscriptionsChanged() }
        return try await store.write { writer in
            let records = try writer.notificationWriter()
            guard var rule = try await records.notificationRule(id: id) else {
                throw ITOpsError.notFound("no notification rule \(id)")
            }
            try await Self.validate(definition, records: records)
            if let other = try await records.notificationRule(name: definition.name), other.id != id {
                throw ITOpsError(.conflict, "input.name: a rule named '\(definition.name)' exists")
            }
            rule.definition = definition
            rule.updatedAt = now
            try await records.update(rule)
            return rule
        }
    }

    public func deleteNotificationRule(id: UUID) async throws -> Bool {
        defer { subscriptionsChanged() }
        return try await store.write { writer in
            let records = try writer.notificationWriter()
            guard try await records.notificationRule(id: id) != nil else { return false }
            try await records.deleteNotificationRule(id: id)
            return true
        }
    }

    static func validate(_ definition: NotificationRuleDefinition, records: any NotificationReader) async throws {
        let names = Set(try await records.notificationChannels().map(\.name))
        let problems = NotificationValidation.problems(definition, path: "input", channels: names)
        guard problems.isEmpty else { throw ITOpsError.invalid(problems.joined(separator: "; ")) }
    }

    // MARK: Routing

    private func routing() async throws -> (rules: [NotificationRule], channels: [NotificationChannel]) {
        let now = ContinuousClock.now
        if let cached = routingCache.withLock({ $0 }), now - cached.read < Self.subscriptionsTTL {
            return (cached.rules, cached.channels)
        }
        let records = try store.reader.notificationReader()
        let rules = try await records.notificationRules()
        let channels = try await records.notificationChannels()
        routingCache.withLock { $0 = (now, rules, channels) }
        return (rules, channels)
    }

    /// Routes `event` through every enabled rule that matches it. Paging channels get each item at once
    /// (triggers are dropped during quiet hours, resolves never); chat, mail and webhook channels get it at
    /// once unless the rule holds it (quiet hours, digest, minimum interval, or items already held), in which
    /// case it joins the rule's next summary. Every instance may call it for the same event.
    func routeNotifications(_ event: DomainEvent) async throws {
        let (rules, channels) = try await routing()
        let candidates = rules.filter { $0.definition.enabled && $0.definition.events.contains(event.name) }
        guard !candidates.isEmpty else { return }
        var item = NotificationItems.item(for: event, publicURL: settings.publicURL)
        var service: Service?
        if let serviceId = NotificationItems.serviceId(of: event),
            candidates.contains(where: { $0.definition.needsService }) || item.slaGroup == nil
        {
            service = try await store.reader.service(id: serviceId)
        }
        item.slaGroup = item.slaGroup ?? service?.slaGroup
        if item.action != .info, let slaFigure = settings.slaFigure,
            let line = await slaFigure(NotificationItems.serviceId(of: event), item.slaGroup)
        {
            item.text += "\n" + line
        }
        let eventKey = OutboundEvent(event).key
        let now = clock.now()
        var routed = false
        for rule in candidates
        where NotificationItems.matches(rule.definition, event: event.name, item: item, service: service) {
            let targets = rule.definition.channels.compactMap { name in
                channels.first { $0.name == name && $0.enabled }
            }
            guard !targets.isEmpty else { continue }
            try await dispatch(
                item, rule: rule, channels: targets, key: OutboundEvent.hash("\(rule.id)\n\(eventKey)"), now: now)
            routed = true
        }
        if routed { wakeWorker() }
    }

    private func dispatch(
        _ item: NotificationItem, rule: NotificationRule, channels: [NotificationChannel], key: String, now: Date
    ) async throws {
        let definition = rule.definition
        let quiet = definition.quietHours?.contains(now) ?? false
        let single = Self.encodeMessage(NotificationItems.message([item], rule: definition.name))
        let itemJSON = Self.encode(item)
        try await store.write { writer in
            let records = try writer.notificationWriter()
            // Another instance routed this event already.
            if try await records.notificationDeliveryExists(eventKey: key) { return }
            func deliver(to channel: NotificationChannel) async throws {
                try await records.insertIfAbsent(
                    NotificationDelivery(
                        channelId: channel.id, ruleId: rule.id, event: item.event, eventKey: key, message: single,
                        createdAt: now, nextAttemptAt: now))
            }
            for channel in channels where channel.kind.isPaging && item.action != .info {
                if quiet && item.action == .trigger { continue }
                try await deliver(to: channel)
            }
            let messaging = channels.filter { !$0.kind.isPaging }
            guard !messaging.isEmpty else { return }
            let last = try await records.notificationRuleLastSent(ruleId: rule.id)
            let intervalOver = last.map { now.timeIntervalSince($0) >= Double(definition.minIntervalSeconds) } ?? true
            let holding = try await records.rulesHoldingNotifications().contains { $0.ruleId == rule.id }
            if quiet || definition.digestMinutes > 0 || !intervalOver || holding {
                try await records.insertIfAbsent(
                    HeldNotification(ruleId: rule.id, eventKey: key, item: itemJSON, createdAt: now))
            } else {
                for channel in messaging { try await deliver(to: channel) }
                try await records.setNotificationRuleLastSent(ruleId: rule.id, at: now)
            }
        }
    }

    /// Sends the summary of every rule whose held items are due: the digest collected for its minutes, the
    /// minimum interval over, and the quiet hours ended.
    func flushHeldNotifications() async throws {
        let reader = try store.reader.notificationReader()
        let holding = try await reader.rulesHoldingNotifications()
        guard !holding.isEmpty else { return }
        let now = clock.now()
        let channels = try await reader.notificationChannels()
        for (ruleId, oldest) in holding {
            let rule = try await reader.notificationRule(id: ruleId)
            let definition = rule?.definition
            if definition?.quietHours?.contains(now) == true { continue }
            var due = oldest.addingTimeInterval(Double((definition?.digestMinutes ?? 0) * 60))
            if let last = try await reader.notificationRuleLastSent(ruleId: ruleId) {
                due = max(due, last.addingTimeInterval(Double(definition?.minIntervalSeconds ?? 0)))
            }
            guard now >= due else { continue }
            let targets = (definition?.channels ?? []).compactMap { name in
                channels.first { $0.name == name && $0.enabled && !$0.kind.isPaging }
            }
            try await store.write { writer in
                let records = try writer.notificationWriter()
                let held = try await records.heldNotifications(ruleId: ruleId)
                guard !held.isEmpty else { return }
                let items = held.compactMap { try? NotificationJSON.decode(NotificationItem.self, $0.item) }
                let key = OutboundEvent.hash("summary\n" + held.map(\.eventKey).joined(separator: "\n"))
                let message = Self.encodeMessage(NotificationItems.message(items, rule: definition?.name))
                for channel in targets where !items.isEmpty {
                    try await records.insertIfAbsent(
                        NotificationDelivery(
                            channelId: channel.id, ruleId: ruleId, event: items.count == 1 ? items[0].event : "summary",
                            eventKey: key, message: message, createdAt: now, nextAttemptAt: now))
                }
                try await records.deleteHeldNotifications(ruleId: ruleId)
                try await records.setNotificationRuleLastSent(ruleId: ruleId, at: now)
            }
        }
    }

    // MARK: Delivery

    func claimNotificationDeliveries() async throws -> [NotificationDelivery] {
        let now = clock.now()
        let lease = now.addingTimeInterval(settings.lease)
        let batch = settings.batch
        // A read first: the worker polls every second, and an idle queue should not cost a write each time.
        guard try await !store.reader.notificationReader().dueNotificationDeliveries(now: now, limit: 1).isEmpty else {
            return []
        }
        return try await store.write { writer in
            let records = try writer.notificationWriter()
            var claimed: [NotificationDelivery] = []
            for var delivery in try await records.dueNotificationDeliveries(now: now, limit: batch) {
                delivery.leaseUntil = lease
                try await records.update(delivery)
                claimed.append(delivery)
            }
            return claimed
        }
    }

    func deliver(_ delivery: NotificationDelivery) async {
        do {
            var done: NotificationDelivery
            if let channel = try await store.reader.notificationReader().notificationChannel(id: delivery.channelId),
                channel.enabled
            {
                done = await attempt(delivery, channel: channel, retry: true)
            } else {
                done = delivery
                done.status = .failed
                done.error = "the channel was disabled before delivery"
                done.completedAt = clock.now()
                done.leaseUntil = nil
            }
            let outcome = done
            try await store.write { try await $0.notificationWriter().update(outcome) }
        } catch {
            logger.error(
                "could not record a notification delivery",
                metadata: ["delivery": "\(delivery.id)", "error": "\(error)"])
        }
    }

    /// One attempt: the provider's request through the guarded client (or a mail through the guarded SMTP
    /// client), its outcome in the returned value, a retry scheduled like a webhook's.
    func attempt(_ delivery: NotificationDelivery, channel: NotificationChannel, retry: Bool) async
        -> NotificationDelivery
    {
        var done = delivery
        done.attempt += 1
        let started = ContinuousClock.now
        var transient = false
        do {
            let message = try NotificationJSON.decode(NotificationMessage.self, delivery.message)
            if channel.kind == .email {
                let answer = try await sendMail(message, channel: channel)
                done.status = .success
                done.httpCode = nil
                done.error = nil
                _ = answer
            } else if let request = NotificationPayloads.request(
                message, channel: channel, delivery: delivery, attempt: done.attempt, publicURL: settings.publicURL)
            {
                let response = try await client.send(request)
                done.httpCode = response.status
                if (200..<300).contains(response.status) {
                    done.status = .success
                    done.error = nil
                } else {
                    done.status = .failed
                    done.error = "HTTP \(response.status)"
                    transient = response.status >= 500 || response.status == 429
                }
            }
        } catch let failure as OutboundFailure {
            done.httpCode = nil
            done.error = failure.description
            if case .refused = failure { done.status = .execFailed } else {
                done.status = .failed
                transient = true
            }
        } catch let failure as SMTPFailure {
            done.httpCode = nil
            done.error = failure.description
            if case .refused = failure { done.status = .execFailed } else {
                done.status = .failed
                transient = failure.isTransient
            }
        } catch {
            done.status = .failed
            done.error = "\(error)"
        }
        done.durationMs = Self.milliseconds(ContinuousClock.now - started)
        conclude(&done, transient: transient, retry: retry)
        settings.onOutcome?("notification", done.status)
        if done.status != .success {
            logger.notice(
                "notification delivery \(done.status.rawValue)",
                metadata: ["channel": "\(channel.id)", "attempt": "\(done.attempt)", "error": "\(done.error ?? "")"])
        }
        return done
    }

    private func sendMail(_ message: NotificationMessage, channel: NotificationChannel) async throws -> String {
        let config = channel.config
        let security = config.smtpSecurity ?? .startTLS
        let port = config.smtpPort ?? (security == .tls ? 465 : security == .startTLS ? 587 : 25)
        let mail = SMTPMail(
            from: config.from ?? "", to: config.to ?? [], subject: "[ITOps] " + message.title,
            body: NotificationItems.plainText(message) + "\n\n-- \nSent by ITOps"
                + (message.rule.map { " (notification rule \($0))" } ?? "") + ".\n")
        return try await smtp.send(
            mail,
            via: SMTPServer(
                host: config.smtpHost ?? "", port: port, security: security, username: config.smtpUsername,
                password: config.smtpPassword))
    }

    static func encodeMessage(_ message: NotificationMessage) -> String { encode(message) }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

/// JSON of stored notification messages and items (dates as milliseconds, like the store's JSON columns).
enum NotificationJSON {
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try decoder.decode(type, from: Data(text.utf8))
    }
}
