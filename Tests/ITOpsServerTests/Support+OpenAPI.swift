import Foundation
import HTTPTypes
import ITOpsServer
import Synchronization
import Testing

/// A JSON value, decoded strictly (a boolean is never a number, an integer is never fractional).
indirect enum JSONValue: Decodable, Equatable, Sendable {
    case null, bool(Bool), int(Int64), double(Double), string(String), array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    static func parse(_ text: String) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }

    subscript(key: String) -> JSONValue? { if case .object(let o) = self { o[key] } else { nil } }
    var string: String? { if case .string(let s) = self { s } else { nil } }
    var objectValue: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
    var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }

    /// The JSON Schema type names this value satisfies.
    var typeNames: Set<String> {
        switch self {
        case .null: ["null"]
        case .bool: ["boolean"]
        case .int: ["integer", "number"]
        case .double(let d): d.rounded() == d ? ["integer", "number"] : ["number"]
        case .string: ["string"]
        case .array: ["array"]
        case .object: ["object"]
        }
    }
}

/// The OpenAPI document and a validator for the subset of JSON Schema (2020-12) it uses: `$ref`, `type`
/// (one or several), `const`, `enum`, `properties`, `required`, `additionalProperties: false`, `items`,
/// `pattern`, and the `uuid` / `date-time` formats.
struct OpenAPIValidator: Sendable {
    let document: JSONValue

    init(_ text: String = OpenAPIDocument.json) throws { document = try JSONValue.parse(text) }

    /// What the document says about one real response; `nil` when it conforms, otherwise the problem.
    struct Operation: Hashable, Sendable {
        let path: String
        let method: String
    }

    /// The documented operation for a request path (query ignored), matching `{param}` segments.
    func operation(method: String, path rawPath: String) -> Operation? {
        let path = String(rawPath.split(separator: "?", maxSplits: 1).first ?? "")
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        for template in (document["paths"]?.objectValue ?? [:]).keys {
            let templateParts = template.split(separator: "/", omittingEmptySubsequences: false)
            guard templateParts.count == parts.count else { continue }
            let matches = zip(templateParts, parts).allSatisfy { t, p in
                (t.hasPrefix("{") && t.hasSuffix("}") && !p.isEmpty) || t == p
            }
            if matches, document["paths"]?[template]?[method.lowercased()] != nil {
                return Operation(path: template, method: method.lowercased())
            }
        }
        return nil
    }

    /// Problems with `body` as the response `status` of `operation` with `contentType`.
    func problems(_ operation: Operation, status: Int, contentType: String?, body: String) -> [String] {
        guard let op = document["paths"]?[operation.path]?[operation.method] else { return ["no such operation"] }
        guard var response = op["responses"]?[String(status)] ?? op["responses"]?["default"] else {
            return ["status \(status) is not documented"]
        }
        if let target = response["$ref"]?.string, let resolved = resolve(target) { response = resolved }
        guard let content = response["content"]?.objectValue else {
            return body.isEmpty ? [] : ["a body where none is documented"]
        }
        let mediaType = (contentType ?? "").split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        guard let media = content[mediaType] else {
            return ["Content-Type '\(contentType ?? "")' is not documented (\(content.keys.sorted()))"]
        }
        guard mediaType.hasSuffix("json"), let schema = media["schema"] else { return [] }
        let value: JSONValue
        do { value = try JSONValue.parse(body) } catch { return ["body is not JSON: \(body.prefix(200))"] }
        return validate(value, against: schema, at: "$")
    }

    func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: JSONValue? = document
        for key in reference.dropFirst(2).split(separator: "/") { node = node?[String(key)] }
        return node
    }

    /// Every way `value` breaks `schema`, with JSON paths.
    func validate(_ value: JSONValue, against schema: JSONValue, at path: String) -> [String] {
        if let target = schema["$ref"]?.string {
            guard let resolved = resolve(target) else { return ["\(path): unresolvable \(target)"] }
            return validate(value, against: resolved, at: path)
        }
        var problems: [String] = []
        if let expected = schema["const"], expected != value { problems.append("\(path): must be \(expected)") }
        if let options = schema["enum"]?.arrayValue, !options.contains(value) {
            problems.append("\(path): \(value) is not one of the enum")
        }
        if let type = schema["type"] {
            let allowed = Set(type.string.map { [$0] } ?? (type.arrayValue ?? []).compactMap(\.string))
            if allowed.isDisjoint(with: value.typeNames) {
                return problems + ["\(path): expected \(allowed.sorted().joined(separator: " or ")), got \(value)"]
            }
        }
        switch value {
        case .object(let object):
            let properties = schema["properties"]?.objectValue ?? [:]
            for name in schema["required"]?.arrayValue?.compactMap(\.string) ?? [] where object[name] == nil {
                problems.append("\(path).\(name): is required")
            }
            for (name, member) in object {
                if let propertySchema = properties[name] {
                    problems += validate(member, against: propertySchema, at: "\(path).\(name)")
                } else if schema["additionalProperties"] == .bool(false) {
                    problems.append("\(path).\(name): is not documented")
                }
            }
        case .array(let items):
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() {
                    problems += validate(item, against: itemSchema, at: "\(path)[\(index)]")
                }
            }
        case .string(let text):
            if let pattern = schema["pattern"]?.string, text.range(of: pattern, options: .regularExpression) == nil {
                problems.append("\(path): '\(text)' does not match \(pattern)")
            }
            switch schema["format"]?.string {
            case "uuid" where UUID(uuidString: text) == nil: problems.append("\(path): '\(text)' is not a uuid")
            case "date-time" where ISO8601DateFormatter().date(from: text) == nil && !Self.isFractionalDate(text):
                problems.append("\(path): '\(text)' is not a date-time")
            default: break
            }
        default:
            break
        }
        return problems
    }

    static func isFractionalDate(_ text: String) -> Bool {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) != nil
    }
}

/// A client that checks every response against the OpenAPI document and records which operations
/// answered with which statuses.
final class ValidatingClient: Sendable {
    let client: Client
    let validator: OpenAPIValidator
    let seen: Mutex<[OpenAPIValidator.Operation: Set<Int>]>

    init(_ client: Client, validator: OpenAPIValidator) {
        self.client = client
        self.validator = validator
        seen = Mutex([:])
    }

    @discardableResult
    func request(
        _ method: HTTPRequest.Method, _ path: String, body: String? = nil, key: String? = operatorKey,
        bearer: String? = nil, headers: HTTPFields = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONResponse {
        let response = try await client.request(method, path, body: body, key: key, bearer: bearer, headers: headers)
        guard let operation = validator.operation(method: method.rawValue, path: path) else {
            Issue.record("\(method) \(path) is not in the OpenAPI document", sourceLocation: sourceLocation)
            return response
        }
        let problems = validator.problems(
            operation, status: response.status.code, contentType: response.headers[.contentType], body: response.text)
        #expect(
            problems.isEmpty, "\(method) \(path) → \(response.status.code): \(problems)\n\(response.text.prefix(400))",
            sourceLocation: sourceLocation)
        seen.withLock { _ = $0[operation, default: []].insert(response.status.code) }
        return response
    }

    /// The statuses each operation answered with.
    var coverage: [OpenAPIValidator.Operation: Set<Int>] { seen.withLock { $0 } }
}
