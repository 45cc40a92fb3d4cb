import Crypto
import Foundation
import ITOpsCore

/// A domain event as outbound calls carry it: its name, its fields as JSON, and a key that identifies it
/// on every instance that sees it (so each enqueues the same delivery, and only one insert wins).
public struct OutboundEvent: Sendable, Equatable {
    /// The reference's event name, e.g. `service:status_changed`.
    public let name: String
    /// The event's fields: a JSON object, keys sorted, times in ISO 8601.
    public let data: String
    /// SHA-256 of the name and the fields (times to the millisecond).
    public let key: String

    /// The event `event`.
    public init(_ event: DomainEvent) {
        name = event.name
        data = Self.payload(of: event, dates: .iso8601)
        key = Self.hash(name + "\n" + Self.payload(of: event, dates: .millisecondsSince1970))
    }

    /// The event of a test delivery; its key is unique.
    public static func test(webhookId: UUID, at: Date) -> OutboundEvent {
        let fields: [String: String] = [
            "message": "test delivery from ITOps", "webhookId": webhookId.stored,
            "at": at.iso8601Text,
        ]
        return OutboundEvent(name: OutboundEvents.test, data: JSONText.object(fields), key: UUID.random().uuidString)
    }

    init(name: String, data: String, key: String) {
        self.name = name
        self.data = data
        self.key = key
    }

    /// The webhook body: `{"createdAt": …, "data": {…}, "event": …, "id": <delivery id>}`.
    public func body(deliveryId: UUID, createdAt: Date) -> String {
        "{\"createdAt\":\(JSONText.string(createdAt.iso8601Text)),\"data\":\(data),\"event\":\(JSONText.string(name)),\"id\":\(JSONText.string(deliveryId.stored))}"
    }

    private static func payload(of event: DomainEvent, dates: JSONEncoder.DateEncodingStrategy) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = dates
        guard let envelope = try? encoder.encode(event),
            let object = try? JSONSerialization.jsonObject(with: envelope) as? [String: Any],
            let payload = object["payload"],
            let data = try? JSONSerialization.data(
                withJSONObject: payload, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func hash(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// HMAC-SHA256 signatures of webhook bodies.
public enum WebhookSignature {
    /// `sha256=<hex of HMAC-SHA256(body, secret)>`, the value of `X-ITOps-Signature`.
    public static func sign(_ body: some DataProtocol, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `signature` is the signature of `body` under `secret` (constant-time comparison).
    public static func verify(_ signature: String, body: some DataProtocol, secret: String) -> Bool {
        let expected = Array(sign(body, secret: secret).utf8)
        let given = Array(signature.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Small JSON text helpers (no Foundation `Any` crosses a concurrency boundary).
enum JSONText {
    static func string(_ text: String) -> String {
        let data =
            (try? JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed, .withoutEscapingSlashes]))
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }

    static func object(_ fields: [String: String]) -> String {
        let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The top-level fields of a JSON object as text: strings as they are, numbers and booleans spelled,
    /// nested values as JSON, null as empty.
    static func fields(of object: String) -> [String: String] {
        guard let parsed = try? JSONDecoder().decode([String: JSONScalar].self, from: Data(object.utf8)) else {
            return [:]
        }
        return parsed.mapValues(\.text)
    }
}

/// A JSON value read as text (JSONDecoder tells booleans from numbers on every platform).
struct JSONScalar: Decodable {
    let text: String

    init(from decoder: any Decoder) throws {
        if let container = try? decoder.singleValueContainer() {
            if container.decodeNil() {
                text = ""
                return
            }
            if let value = try? container.decode(Bool.self) {
                text = value ? "true" : "false"
                return
            }
            if let value = try? container.decode(Int64.self) {
                text = String(value)
                return
            }
            if let value = try? container.decode(Double.self) {
                text = String(value)
                return
            }
            if let value = try? container.decode(String.self) {
                text = value
                return
            }
        }
        text = ""
    }
}

extension Date {
    /// ISO 8601 in UTC, as the rest of the API writes times.
    var iso8601Text: String { iso8601 }
}
