import Foundation
import ITOpsCore

/// What a workflow must look like, which events it runs on, and how its templates render.
public enum WorkflowRules {
    /// HTTP methods an `HTTP_REQUEST` step may use.
    public static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
    /// At most this many steps.
    public static let maxSteps = 20
    /// Longest `DELAY`: one day.
    public static let maxDelaySeconds = 86_400

    /// Every problem of `definition`, each naming its field under `path` (e.g. `workflows[0].steps[1].url`).
    public static func problems(_ definition: WorkflowDefinition, path: String) -> [String] {
        var problems: [String] = []
        func at(_ field: String) -> String { path.isEmpty ? field : "\(path).\(field)" }
        do {
            try Identifier.validateName(definition.name, field: at("name"))
        } catch {
            problems.append(error.message)
        }
        if let description = definition.description, description.count > 1024 {
            problems.append("\(at("description")): must be at most 1024 characters")
        }
        if !OutboundEvents.names.contains(definition.event) {
            problems.append("\(at("event")): must be one of \(OutboundEvents.names.joined(separator: ", "))")
        }
        if definition.filter.count > 16 { problems.append("\(at("filter")): at most 16 conditions") }
        var seen = Set<String>()
        for (index, condition) in definition.filter.enumerated() {
            if condition.name.isEmpty || condition.name.count > 64 {
                problems.append("\(at("filter"))[\(index)].field: must be 1–64 characters")
            } else if !seen.insert(condition.name).inserted {
                problems.append("\(at("filter"))[\(index)].field: '\(condition.name)' is listed twice")
            }
            if condition.value.count > 256 {
                problems.append("\(at("filter"))[\(index)].equals: at most 256 characters")
            }
        }
        if definition.steps.isEmpty || definition.steps.count > maxSteps {
            problems.append("\(at("steps")): must have 1–\(maxSteps) steps")
        }
        for (index, step) in definition.steps.enumerated() {
            problems += stepProblems(step, path: "\(at("steps"))[\(index)]")
            // A ticket step on a ticket event would feed itself (each comment is another ticket:updated).
            if step.type == .createTicket, definition.event.hasPrefix("ticket:") {
                problems.append("\(at("steps"))[\(index)].type: CREATE_TICKET cannot run on \(definition.event)")
            }
        }
        return problems
    }

    static func stepProblems(_ step: WorkflowStep, path: String) -> [String] {
        var problems: [String] = []
        func unused(_ field: String, _ value: Any?) {
            if value != nil { problems.append("\(path).\(field): not used by \(step.type.rawValue)") }
        }
        switch step.type {
        case .httpRequest:
            if let method = step.method, !methods.contains(method) {
                problems.append("\(path).method: must be one of \(methods.sorted().joined(separator: ", "))")
            }
            if let url = step.url {
                let lower = url.lowercased()
                if url.count > 2048 {
                    problems.append("\(path).url: must be at most 2048 characters")
                } else if !(lower.hasPrefix("http://") || lower.hasPrefix("https://")) {
                    problems.append("\(path).url: must be an http:// or https:// URL")
                }
            } else {
                problems.append("\(path).url: is required for HTTP_REQUEST")
            }
            let headers = step.headers ?? []
            if headers.count > 32 { problems.append("\(path).headers: at most 32 headers") }
            for (index, header) in headers.enumerated() {
                let token = CharacterSet(
                    charactersIn: "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
                if header.name.isEmpty || header.name.count > 64
                    || header.name.unicodeScalars.contains(where: { !token.contains($0) })
                {
                    problems.append("\(path).headers[\(index)].name: not a valid header name")
                }
                if header.value.count > 1024 || header.value.contains(where: { $0 == "\r" || $0 == "\n" }) {
                    problems.append("\(path).headers[\(index)].value: at most 1024 characters, one line")
                }
            }
            if let body = step.body, body.utf8.count > 65_536 {
                problems.append("\(path).body: at most 64 KiB")
            }
            unused("title", step.title)
            unused("description", step.description)
            unused("seconds", step.seconds)
        case .createTicket:
            if let title = step.title {
                if title.isEmpty || title.count > 256 { problems.append("\(path).title: must be 1–256 characters") }
            } else {
                problems.append("\(path).title: is required for CREATE_TICKET")
            }
            if let description = step.description, description.count > 4096 {
                problems.append("\(path).description: at most 4096 characters")
            }
            unused("method", step.method)
            unused("url", step.url)
            unused("headers", step.headers)
            unused("body", step.body)
            unused("seconds", step.seconds)
        case .delay:
            if let seconds = step.seconds {
                if !(1...maxDelaySeconds).contains(seconds) {
                    problems.append("\(path).seconds: must be 1–\(maxDelaySeconds)")
                }
            } else {
                problems.append("\(path).seconds: is required for DELAY")
            }
            unused("method", step.method)
            unused("url", step.url)
            unused("headers", step.headers)
            unused("body", step.body)
            unused("title", step.title)
            unused("description", step.description)
        }
        return problems
    }

    /// Whether `workflow` runs on an event named `name` with `fields`: the name matches and every filter
    /// condition's field equals its value, as text.
    public static func matches(_ workflow: WorkflowDefinition, event name: String, fields: [String: String]) -> Bool {
        workflow.enabled && workflow.event == name && workflow.filter.allSatisfy { fields[$0.name] == $0.value }
    }

    /// Replaces `{{field}}` with the event's field (JSON-string-escaped, without quotes, so it fits inside a
    /// JSON string), `{{event}}` with the event name, `{{payload}}` with the event's fields as a JSON object
    /// and `{{executionId}}` with the execution's id. Unknown names render empty.
    public static func render(_ template: String, execution: WorkflowExecution) -> String {
        let fields = JSONText.fields(of: execution.payload)
        var output = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            switch name {
            case "event": output += escaped(execution.event)
            case "payload": output += execution.payload
            case "executionId": output += execution.id.stored
            default: output += escaped(fields[name] ?? "")
            }
            rest = rest[close.upperBound...]
        }
        return output + rest
    }

    static func escaped(_ text: String) -> String {
        String(JSONText.string(text).dropFirst().dropLast())
    }
}
