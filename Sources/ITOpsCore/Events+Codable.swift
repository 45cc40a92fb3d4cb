import Foundation

// Events travel between instances (PostgreSQL NOTIFY) as JSON: `{"name": "sla:alert", "payload": {…}}`.

extension NodePath: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try NodePath(validating: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

extension DomainEvent: Codable {
    private enum CodingKeys: String, CodingKey { case name, payload }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .name)
        switch name {
        case "service:status_changed":
            self = .serviceStatusChanged(try container.decode(ServiceStatusChange.self, forKey: .payload))
        case "sla:incident": self = .slaIncident(try container.decode(IncidentEvent.self, forKey: .payload))
        case "sla:alert": self = .slaAlert(try container.decode(Alert.self, forKey: .payload))
        case "license:updated": self = .licenseUpdated(try container.decode(LicenseChange.self, forKey: .payload))
        case "ticket:created": self = .ticketCreated(try container.decode(TicketEvent.self, forKey: .payload))
        case "ticket:updated": self = .ticketUpdated(try container.decode(TicketEvent.self, forKey: .payload))
        case "ticket:deleted": self = .ticketDeleted(try container.decode(TicketEvent.self, forKey: .payload))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .name, in: container, debugDescription: "unknown event '\(name)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        switch self {
        case .serviceStatusChanged(let payload): try container.encode(payload, forKey: .payload)
        case .slaIncident(let payload): try container.encode(payload, forKey: .payload)
        case .slaAlert(let payload): try container.encode(payload, forKey: .payload)
        case .licenseUpdated(let payload): try container.encode(payload, forKey: .payload)
        case .ticketCreated(let payload), .ticketUpdated(let payload), .ticketDeleted(let payload):
            try container.encode(payload, forKey: .payload)
        }
    }
}
