import Foundation
import ITOpsCore

/// Template export and import.
extension OutboundService {
    public func exportTemplates(kinds: [TemplateKind]) async throws -> String {
        let wanted = Set(kinds.isEmpty ? TemplateKind.allCases : kinds)
        let reader = store.reader
        let workflows =
            wanted.contains(.workflows) ? try await reader.outboundReader().workflows().map(\.definition) : []
        let catalog = wanted.contains(.serviceCatalog) ? try await catalogEntries(reader) : []
        let sla = wanted.contains(.slaDefinitions) ? try await slaCatalog.slaDefinitions(reader: reader) : []
        let notifications = try reader.notificationReader()
        let channels = wanted.contains(.notificationChannels) ? try await notifications.notificationChannels() : nil
        let rules =
            wanted.contains(.notificationRules) ? try await notifications.notificationRules().map(\.definition) : nil
        return try Templates.export(
            kinds: Array(wanted), workflows: workflows, catalog: catalog, sla: sla, channels: channels, rules: rules)
    }

    /// Every registered service (what `operator/register` and catalog imports fill) with owner and runbook.
    private func catalogEntries(_ reader: any StoreReader) async throws -> [CatalogEntry] {
        let extras = Dictionary(
            try await reader.outboundReader().catalogExtras().map { ($0.serviceId, $0) },
            uniquingKeysWith: { a, _ in a })
        var entries: [CatalogEntry] = []
        var cursor: ServiceCursor?
        while true {
            let page = try await reader.services(matching: ServiceFilter(), after: cursor, limit: 1000)
            entries += page.filter(\.registered).map { CatalogEntry($0, extra: extras[$0.id]) }
            guard page.count == 1000, let last = page.last else { return entries }
            cursor = ServiceCursor(nodeId: last.nodeId.value, name: last.name)
        }
    }

    /// Channels (secrets given, or the placeholder that keeps the stored one) and then rules, idempotent by
    /// name; every problem is reported at once and nothing is written when there is one.
    private func importNotifications(_ document: Templates.Document, writer: any StoreWriter, at now: Date)
        async throws -> [TemplateChange]
    {
        guard document.notificationChannels != nil || document.notificationRules != nil else { return [] }
        let records = try writer.notificationWriter()
        var problems: [String] = []
        var changes: [TemplateChange] = []
        var names = Set(try await records.notificationChannels().map(\.name))
        for (index, template) in (document.notificationChannels ?? []).enumerated() {
            let path = "notificationChannels[\(index)]"
            let existing = try await records.notificationChannel(name: template.name)
            var config = template.config
            var missing = false
            for field in NotificationChannelConfig.secretFields(of: template.kind)
            where config[keyPath: field] == nil || config[keyPath: field] == Templates.secretPlaceholder {
                if let existing, existing.kind == template.kind {
                    config[keyPath: field] = existing.config[keyPath: field]
                } else if config[keyPath: field] != nil {
                    missing = true
                }
            }
            guard !missing else {
                problems.append(
                    "\(path).config: a secret is the export's placeholder \(Templates.secretPlaceholder) and there is no \(template.kind.rawValue) channel named '\(template.name)' to keep it from; write the secret"
                )
                continue
            }
            let found = NotificationValidation.problems(
                name: template.name, kind: template.kind, config: config, path: path, guardian: client.guardian)
            guard found.isEmpty else {
                problems += found
                continue
            }
            names.insert(template.name)
            if var channel = existing {
                guard channel.kind != template.kind || channel.config != config || channel.enabled != template.enabled
                else {
                    changes.append(.init(kind: .notificationChannels, name: template.name, outcome: .unchanged))
                    continue
                }
                channel.kind = template.kind
                channel.config = config
                channel.enabled = template.enabled
                channel.updatedAt = now
                try await records.update(channel)
                changes.append(.init(kind: .notificationChannels, name: template.name, outcome: .updated))
            } else {
                try await records.insert(
                    NotificationChannel(
                        name: template.name, kind: template.kind, enabled: template.enabled, config: config,
                        createdAt: now, updatedAt: now))
                changes.append(.init(kind: .notificationChannels, name: template.name, outcome: .created))
            }
        }
        for (index, definition) in (document.notificationRules ?? []).enumerated() {
            let found = NotificationValidation.problems(
                definition, path: "notificationRules[\(index)]", channels: names)
            guard found.isEmpty else {
                problems += found
                continue
            }
            if var rule = try await records.notificationRule(name: definition.name) {
                guard rule.definition != definition else {
                    changes.append(.init(kind: .notificationRules, name: definition.name, outcome: .unchanged))
                    continue
                }
                rule.definition = definition
                rule.updatedAt = now
                try await records.update(rule)
                changes.append(.init(kind: .notificationRules, name: definition.name, outcome: .updated))
            } else {
                try await records.insert(NotificationRule(definition: definition, createdAt: now, updatedAt: now))
                changes.append(.init(kind: .notificationRules, name: definition.name, outcome: .created))
            }
        }
        guard problems.isEmpty else { throw ITOpsError.invalid(problems.prefix(50).joined(separator: "; ")) }
        return changes
    }

    /// Signals a dry run's rollback: the transaction's work is undone, its findings kept.
    private struct DryRun: Error {
        let changes: [TemplateChange]
    }

    public func importTemplates(yaml: String, dryRun: Bool) async throws -> TemplateImportResult {
        let document = try Templates.parse(yaml)
        let now = clock.now()
        let currentSLA = try await slaCatalog.slaDefinitions(reader: store.reader)
        let slaCatalog = self.slaCatalog
        defer { subscriptionsChanged() }
        do {
            let (changes, log) = try await store.write { writer in
                var log = EventLog()
                var changes: [TemplateChange] = []
                let records = try writer.outboundWriter()
                for definition in document.workflows ?? [] {
                    if var existing = try await records.workflow(name: definition.name) {
                        guard existing.definition != definition else {
                            changes.append(.init(kind: .workflows, name: definition.name, outcome: .unchanged))
                            continue
                        }
                        existing.definition = definition
                        existing.updatedAt = now
                        try await records.update(existing)
                        changes.append(.init(kind: .workflows, name: definition.name, outcome: .updated))
                    } else {
                        try await records.insert(Workflow(definition: definition, createdAt: now, updatedAt: now))
                        changes.append(.init(kind: .workflows, name: definition.name, outcome: .created))
                    }
                }
                for entry in document.serviceCatalog ?? [] {
                    let outcome = try await writer.upsertCatalogEntry(entry, at: now, log: &log)
                    changes.append(
                        .init(kind: .serviceCatalog, name: "\(entry.nodeId)/\(entry.name)", outcome: outcome))
                }
                var slaChanged: [SLADefinition] = []
                for definition in document.slaDefinitions ?? [] {
                    let existing = currentSLA.first { $0.name == definition.name }
                    let outcome: ImportOutcome =
                        existing == nil ? .created : existing?.content == definition.content ? .unchanged : .updated
                    changes.append(.init(kind: .slaDefinitions, name: definition.name, outcome: outcome))
                    if outcome != .unchanged {
                        var stamped = definition
                        stamped.updatedAt = now
                        slaChanged.append(stamped)
                    }
                }
                changes += try await self.importNotifications(document, writer: writer, at: now)
                if dryRun { throw DryRun(changes: changes) }
                // Last, so an in-memory catalog changes only when everything before it succeeded.
                if !slaChanged.isEmpty { try await slaCatalog.upsert(slaChanged, writer: writer) }
                return (changes, log)
            }
            events.publish(log.events)
            return TemplateImportResult(dryRun: false, changes: changes)
        } catch let dry as DryRun {
            return TemplateImportResult(dryRun: true, changes: dry.changes)
        }
    }
}
