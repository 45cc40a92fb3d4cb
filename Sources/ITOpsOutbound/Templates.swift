import Foundation
import ITOpsCore
import Yams

/// Yams's tree node (ITOpsCore has a `Node` of its own: the hierarchy).
typealias YAMLNode = Yams.Node

/// Templates: workflows, the service catalog and SLA definitions as one YAML document.
///
/// ```yaml
/// apiVersion: itops/v1
/// slaDefinitions:
/// - name: critical
///   tier: critical
///   targetPercent: 99.95
///   atRiskBudgetFraction: 0.75
/// serviceCatalog:
/// - name: my-database
///   nodeId: myorg/platform/prod/cluster1
///   …
/// workflows:
/// - name: page-on-down
///   …
/// ```
///
/// Parsing reports every problem of the document at once, each with its YAML path
/// (`workflows[0].steps[1].url`) and line; nothing is written unless the whole document is valid.
public enum Templates {
    /// The only `apiVersion` understood.
    public static let apiVersion = "itops/v1"
    /// Largest document accepted.
    public static let maxBytes = 1_048_576
    /// Most nodes a document may hold once its aliases are expanded: anchors and aliases are
    /// allowed, but a "billion laughs" document (aliases of aliases) is refused before anything
    /// walks it.
    public static let maxNodes = 200_000
    /// Deepest nesting of mappings and sequences accepted.
    public static let maxNesting = 64

    /// A parsed, validated document; a kind is nil when the document leaves it out.
    public struct Document: Sendable, Equatable {
        public var workflows: [WorkflowDefinition]?
        public var serviceCatalog: [CatalogEntry]?
        public var slaDefinitions: [SLADefinition]?
        /// Channels with secrets as given or as ``Templates/secretPlaceholder`` (keep the stored one).
        public var notificationChannels: [TemplateChannel]?
        public var notificationRules: [NotificationRuleDefinition]?
    }

    // MARK: Export

    /// The document holding `kinds` in a fixed order and spelling, so that the export of an unchanged
    /// installation is byte for byte the same.
    public static func export(
        kinds: [TemplateKind], workflows: [WorkflowDefinition], catalog: [CatalogEntry], sla: [SLADefinition],
        channels: [NotificationChannel]? = nil, rules: [NotificationRuleDefinition]? = nil
    ) throws -> String {
        let wanted = Set(kinds.isEmpty ? TemplateKind.allCases : kinds)
        var root: [(YAMLNode, YAMLNode)] = [(YAMLNode("apiVersion"), YAMLNode(apiVersion))]
        if wanted.contains(.slaDefinitions) {
            root.append(
                (YAMLNode("slaDefinitions"), YAMLNode(sla.sorted { $0.name < $1.name }.map(node)))
            )
        }
        if wanted.contains(.serviceCatalog) {
            let entries = catalog.sorted { ($0.nodeId.value, $0.name) < ($1.nodeId.value, $1.name) }
            root.append((YAMLNode("serviceCatalog"), YAMLNode(entries.map(node))))
        }
        if wanted.contains(.workflows) {
            root.append((YAMLNode("workflows"), YAMLNode(workflows.sorted { $0.name < $1.name }.map(node))))
        }
        if wanted.contains(.notificationChannels), let channels {
            root.append(
                (YAMLNode("notificationChannels"), YAMLNode(channels.sorted { $0.name < $1.name }.map(channelNode))))
        }
        if wanted.contains(.notificationRules), let rules {
            root.append((YAMLNode("notificationRules"), YAMLNode(rules.sorted { $0.name < $1.name }.map(ruleNode))))
        }
        return try Yams.serialize(node: YAMLNode(root), width: -1, allowUnicode: true)
    }

    static func mapping(_ pairs: [(String, YAMLNode?)]) -> YAMLNode {
        YAMLNode(pairs.compactMap { key, value in value.map { (YAMLNode(key), $0) } })
    }

    /// Multi-line text (a request body) as a literal block, the way people write it.
    static func text(_ value: String?) -> YAMLNode? {
        value.map { $0.contains("\n") ? YAMLNode($0, .implicit, .literal) : YAMLNode($0) }
    }
    static func number(_ value: Int?) -> YAMLNode? { value.map { YAMLNode(String($0)) } }
    private static func number(_ value: Double) -> YAMLNode { YAMLNode(String(value)) }
    static func flag(_ value: Bool?) -> YAMLNode? { value.map { YAMLNode($0 ? "true" : "false") } }

    private static func node(_ definition: SLADefinition) -> YAMLNode {
        mapping([
            ("name", YAMLNode(definition.name)), ("tier", YAMLNode(definition.tier.rawValue)),
            ("targetPercent", number(definition.targetPercent)),
            ("atRiskBudgetFraction", number(definition.atRiskBudgetFraction)),
        ])
    }

    private static func node(_ entry: CatalogEntry) -> YAMLNode {
        var backup: YAMLNode?
        if entry.backupExpected != nil || entry.backupMaxAgeDays != nil {
            backup = mapping([("expected", flag(entry.backupExpected)), ("maxAgeDays", number(entry.backupMaxAgeDays))])
        }
        return mapping([
            ("name", YAMLNode(entry.name)), ("nodeId", YAMLNode(entry.nodeId.value)),
            ("displayName", text(entry.displayName)),
            ("owner", text(entry.owner)), ("tier", text(entry.tier?.rawValue)), ("slaGroup", text(entry.slaGroup)),
            ("runbookUrl", text(entry.runbookUrl)), ("backup", backup),
        ])
    }

    private static func node(_ workflow: WorkflowDefinition) -> YAMLNode {
        var trigger: [(String, YAMLNode?)] = [("event", YAMLNode(workflow.event))]
        if !workflow.filter.isEmpty {
            trigger.append(("filter", YAMLNode(workflow.filter.map { (YAMLNode($0.name), YAMLNode($0.value)) })))
        }
        let steps = workflow.steps.map { step in
            mapping([
                ("type", YAMLNode(step.type.rawValue)), ("method", text(step.method)), ("url", text(step.url)),
                ("headers", step.headers.map { YAMLNode($0.map { (YAMLNode($0.name), YAMLNode($0.value)) }) }),
                ("body", text(step.body)), ("title", text(step.title)), ("description", text(step.description)),
                ("seconds", number(step.seconds)),
            ])
        }
        return mapping([
            ("name", YAMLNode(workflow.name)), ("description", text(workflow.description)),
            ("enabled", flag(workflow.enabled)), ("trigger", mapping(trigger)), ("steps", YAMLNode(steps)),
        ])
    }

    // MARK: Import

    /// Reads and validates `yaml`; throws one `invalid` error listing every problem with its path.
    public static func parse(_ yaml: String) throws -> Document {
        guard yaml.utf8.count <= maxBytes else { throw ITOpsError(.payloadTooLarge, "the document exceeds 1 MiB") }
        let root: YAMLNode?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ITOpsError.invalid("yaml: not a readable YAML document: \(error)")
        }
        if let root { try checkSize(root) }
        var reader = NodeReader()
        let document = reader.document(root)
        guard reader.problems.isEmpty, let document else {
            let shown = reader.problems.prefix(50)
            let more = reader.problems.count > shown.count ? "; … \(reader.problems.count - shown.count) more" : ""
            throw ITOpsError.invalid(shown.joined(separator: "; ") + more)
        }
        return document
    }
}

extension Templates {
    /// Counts the nodes of the tree as aliases expand it, stopping as soon as it passes `maxNodes`
    /// (so the count itself never walks an exponential tree) or nests deeper than `maxNesting`.
    static func checkSize(_ root: YAMLNode) throws {
        var count = 0
        func visit(_ node: YAMLNode, depth: Int) throws {
            count += 1
            guard count <= maxNodes else {
                throw ITOpsError(
                    .payloadTooLarge,
                    "yaml: the document expands to more than \(maxNodes) nodes (aliases included); split it or remove aliases")
            }
            guard depth <= maxNesting else {
                throw ITOpsError.invalid("yaml: nested deeper than \(maxNesting) levels (line \(node.mark?.line ?? 0))")
            }
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    try visit(key, depth: depth + 1)
                    try visit(value, depth: depth + 1)
                }
            case .sequence(let sequence):
                for element in sequence { try visit(element, depth: depth + 1) }
            case .scalar, .alias:
                return
            }
        }
        try visit(root, depth: 0)
    }
}

/// Walks a YAML tree, collecting problems with their paths instead of stopping at the first.
struct NodeReader {
    var problems: [String] = []

    mutating func problem(_ path: String, _ node: YAMLNode?, _ message: String) {
        if let line = node?.mark?.line {
            problems.append("\(path) (line \(line)): \(message)")
        } else {
            problems.append("\(path): \(message)")
        }
    }

    /// The pairs of a mapping, reporting keys outside `allowed`.
    mutating func fields(_ node: YAMLNode?, _ path: String, allowed: [String]) -> [String: YAMLNode]? {
        guard let node else { return nil }
        guard let mapping = node.mapping else {
            problem(path, node, "must be a mapping")
            return nil
        }
        var result: [String: YAMLNode] = [:]
        for (key, value) in mapping {
            guard let name = key.string else {
                problem(path, key, "keys must be text")
                continue
            }
            guard allowed.contains(name) else {
                problem("\(path).\(name)", key, "unknown field (expected one of \(allowed.joined(separator: ", ")))")
                continue
            }
            result[name] = value
        }
        return result
    }

    mutating func list(_ node: YAMLNode?, _ path: String) -> [YAMLNode]? {
        guard let node else { return nil }
        guard let sequence = node.sequence else {
            problem(path, node, "must be a list")
            return nil
        }
        return Array(sequence)
    }

    mutating func string(_ node: YAMLNode?, _ path: String, required: Bool = false) -> String? {
        guard let node else {
            if required { problem(path, nil, "is required") }
            return nil
        }
        guard node.scalar != nil, let text = node.string else {
            problem(path, node, "must be text")
            return nil
        }
        return text
    }

    mutating func int(_ node: YAMLNode?, _ path: String) -> Int? {
        guard let node else { return nil }
        guard node.scalar != nil, let value = Int(node.string ?? "") else {
            problem(path, node, "must be a whole number")
            return nil
        }
        return value
    }

    private mutating func double(_ node: YAMLNode?, _ path: String) -> Double? {
        guard let node else {
            problem(path, nil, "is required")
            return nil
        }
        guard node.scalar != nil, let value = Double(node.string ?? ""), value.isFinite else {
            problem(path, node, "must be a number")
            return nil
        }
        return value
    }

    mutating func bool(_ node: YAMLNode?, _ path: String) -> Bool? {
        guard let node else { return nil }
        switch node.string {
        case "true": return true
        case "false": return false
        default:
            problem(path, node, "must be true or false")
            return nil
        }
    }

    private mutating func pairs(_ node: YAMLNode?, _ path: String) -> [NamedValue]? {
        guard let node else { return nil }
        guard let mapping = node.mapping else {
            problem(path, node, "must be a mapping of names to values")
            return nil
        }
        var result: [NamedValue] = []
        for (key, value) in mapping {
            guard let name = key.string, let text = value.scalar != nil ? value.string : nil else {
                problem(path, key, "names and values must be text")
                continue
            }
            result.append(NamedValue(name: name, value: text))
        }
        return result
    }

    mutating func vocabulary<V: Vocabulary>(_ type: V.Type, _ node: YAMLNode?, _ path: String, required: Bool)
        -> V?
    {
        guard let text = string(node, path, required: required) else { return nil }
        guard let value = V(rawValue: text) else {
            problem(path, node, "must be one of \(V.allowedSpellings)")
            return nil
        }
        return value
    }

    private mutating func check(_ path: String, _ node: YAMLNode?, _ body: () throws(ITOpsError) -> Void) {
        do {
            try body()
        } catch {
            // The domain message starts with the field name it was given; show it once, with the line.
            let message =
                error.message.hasPrefix(path + ": ") ? String(error.message.dropFirst(path.count + 2)) : error.message
            problem(path, node, message)
        }
    }

    mutating func document(_ root: YAMLNode?) -> Templates.Document? {
        guard let root else {
            problem("yaml", nil, "the document is empty")
            return nil
        }
        guard
            let top = fields(
                root, "$",
                allowed: [
                    "apiVersion", "slaDefinitions", "serviceCatalog", "workflows", "notificationChannels",
                    "notificationRules",
                ])
        else { return nil }
        if let version = string(top["apiVersion"], "apiVersion", required: true), version != Templates.apiVersion {
            problem("apiVersion", top["apiVersion"], "must be \(Templates.apiVersion)")
        }
        var document = Templates.Document()
        if let items = list(top["slaDefinitions"], "slaDefinitions") {
            var seen = Set<String>()
            document.slaDefinitions = items.enumerated().compactMap { index, item in
                let definition = slaDefinition(item, "slaDefinitions[\(index)]")
                if let name = definition?.name, !seen.insert(name).inserted {
                    problem("slaDefinitions[\(index)].name", item, "'\(name)' is listed twice")
                }
                return definition
            }
        }
        if let items = list(top["serviceCatalog"], "serviceCatalog") {
            var seen = Set<String>()
            document.serviceCatalog = items.enumerated().compactMap { index, item in
                let entry = catalogEntry(item, "serviceCatalog[\(index)]")
                if let entry, !seen.insert(entry.nodeId.value + "/" + entry.name).inserted {
                    problem("serviceCatalog[\(index)].name", item, "'\(entry.name)' of \(entry.nodeId) is listed twice")
                }
                return entry
            }
        }
        if let items = list(top["workflows"], "workflows") {
            var seen = Set<String>()
            document.workflows = items.enumerated().compactMap { index, item in
                let parsed = workflow(item, "workflows[\(index)]")
                if let name = parsed?.name, !seen.insert(name).inserted {
                    problem("workflows[\(index)].name", item, "'\(name)' is listed twice")
                }
                return parsed
            }
        }
        readNotifications(top, into: &document)
        return document
    }

    mutating func slaDefinition(_ node: YAMLNode, _ path: String) -> SLADefinition? {
        guard
            let field = fields(node, path, allowed: ["name", "tier", "targetPercent", "atRiskBudgetFraction"])
        else { return nil }
        let name = string(field["name"], "\(path).name", required: true)
        if let name {
            check("\(path).name", field["name"]) { () throws(ITOpsError) in
                try Identifier.validateName(name, field: "\(path).name")
            }
        }
        let tier = vocabulary(Criticality.self, field["tier"], "\(path).tier", required: true)
        let target = double(field["targetPercent"], "\(path).targetPercent")
        if let target, !(target > 0 && target <= 100) {
            problem("\(path).targetPercent", field["targetPercent"], "must be above 0 and at most 100")
        }
        let fraction = double(field["atRiskBudgetFraction"], "\(path).atRiskBudgetFraction")
        if let fraction, !(fraction > 0 && fraction <= 1) {
            problem("\(path).atRiskBudgetFraction", field["atRiskBudgetFraction"], "must be above 0 and at most 1")
        }
        guard let name, let tier, let target, let fraction else { return nil }
        return SLADefinition(name: name, tier: tier, targetPercent: target, atRiskBudgetFraction: fraction)
    }

    mutating func catalogEntry(_ node: YAMLNode, _ path: String) -> CatalogEntry? {
        guard
            let field = fields(
                node, path,
                allowed: ["name", "nodeId", "displayName", "owner", "tier", "slaGroup", "runbookUrl", "backup"])
        else { return nil }
        let name = string(field["name"], "\(path).name", required: true)
        if let name {
            check("\(path).name", field["name"]) { () throws(ITOpsError) in
                try Identifier.validateName(name, field: "\(path).name")
            }
        }
        var nodeId: NodePath?
        if let text = string(field["nodeId"], "\(path).nodeId", required: true) {
            check("\(path).nodeId", field["nodeId"]) { () throws(ITOpsError) in
                nodeId = try NodePath(validating: text, field: "\(path).nodeId")
            }
        }
        let displayName = string(field["displayName"], "\(path).displayName")
        if let displayName, displayName.count > 256 {
            problem("\(path).displayName", field["displayName"], "at most 256 characters")
        }
        let owner = string(field["owner"], "\(path).owner")
        if let owner, owner.isEmpty || owner.count > 128 {
            problem("\(path).owner", field["owner"], "must be 1–128 characters")
        }
        let tier = vocabulary(Criticality.self, field["tier"], "\(path).tier", required: false)
        let group = string(field["slaGroup"], "\(path).slaGroup")
        if let group {
            check("\(path).slaGroup", field["slaGroup"]) { () throws(ITOpsError) in
                try Identifier.validateName(group, field: "\(path).slaGroup")
            }
        }
        let runbook = string(field["runbookUrl"], "\(path).runbookUrl")
        if let runbook {
            let lower = runbook.lowercased()
            if runbook.count > 2048 || !(lower.hasPrefix("http://") || lower.hasPrefix("https://"))
                || URL(string: runbook) == nil
            {
                problem("\(path).runbookUrl", field["runbookUrl"], "must be an http:// or https:// URL")
            }
        }
        var expected: Bool?
        var maxAgeDays: Int?
        if let backup = fields(field["backup"], "\(path).backup", allowed: ["expected", "maxAgeDays"]) {
            expected = bool(backup["expected"], "\(path).backup.expected")
            maxAgeDays = int(backup["maxAgeDays"], "\(path).backup.maxAgeDays")
            if let days = maxAgeDays, !(1...3650).contains(days) {
                problem("\(path).backup.maxAgeDays", backup["maxAgeDays"], "must be between 1 and 3650")
            }
        }
        guard let name, let nodeId else { return nil }
        return CatalogEntry(
            name: name, nodeId: nodeId, displayName: displayName, owner: owner, tier: tier, slaGroup: group,
            runbookUrl: runbook, backupExpected: expected, backupMaxAgeDays: maxAgeDays)
    }

    mutating func workflow(_ node: YAMLNode, _ path: String) -> WorkflowDefinition? {
        guard
            let field = fields(node, path, allowed: ["name", "description", "enabled", "trigger", "steps"])
        else { return nil }
        let name = string(field["name"], "\(path).name", required: true)
        let description = string(field["description"], "\(path).description")
        let enabled = bool(field["enabled"], "\(path).enabled") ?? true
        var event: String?
        var filter: [NamedValue] = []
        if field["trigger"] == nil { problem("\(path).trigger", nil, "is required") }
        if let trigger = fields(field["trigger"], "\(path).trigger", allowed: ["event", "filter"]) {
            event = string(trigger["event"], "\(path).trigger.event", required: true)
            filter = pairs(trigger["filter"], "\(path).trigger.filter") ?? []
        }
        var steps: [WorkflowStep] = []
        if field["steps"] == nil { problem("\(path).steps", nil, "is required") }
        for (index, item) in (list(field["steps"], "\(path).steps") ?? []).enumerated() {
            if let parsed = step(item, "\(path).steps[\(index)]") { steps.append(parsed) }
        }
        guard let name, let event else { return nil }
        let definition = WorkflowDefinition(
            name: name, description: description, enabled: enabled, event: event, filter: filter, steps: steps)
        let before = problems.count
        for message in WorkflowRules.problems(definition, path: path) {
            // The rules name the GraphQL field; templates spell the trigger's fields under `trigger`.
            let spelled = message.replacingOccurrences(of: "\(path).event", with: "\(path).trigger.event")
                .replacingOccurrences(of: "\(path).filter", with: "\(path).trigger.filter")
            problems.append(spelled)
        }
        return problems.count == before ? definition : nil
    }

    mutating func step(_ node: YAMLNode, _ path: String) -> WorkflowStep? {
        guard
            let field = fields(
                node, path,
                allowed: ["type", "method", "url", "headers", "body", "title", "description", "seconds"])
        else { return nil }
        guard let type = vocabulary(WorkflowStepType.self, field["type"], "\(path).type", required: true) else {
            return nil
        }
        return WorkflowStep(
            type: type, method: string(field["method"], "\(path).method"), url: string(field["url"], "\(path).url"),
            headers: pairs(field["headers"], "\(path).headers"), body: string(field["body"], "\(path).body"),
            title: string(field["title"], "\(path).title"),
            description: string(field["description"], "\(path).description"),
            seconds: int(field["seconds"], "\(path).seconds"))
    }
}
