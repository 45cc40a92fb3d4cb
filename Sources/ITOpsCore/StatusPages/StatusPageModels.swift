import Foundation

// Public status pages (issue 18): what an admin publishes, and the storage ports. What a page
// shows is an allowlist: the SLA groups on it, under the labels the admin chose, and the services
// the admin named, under their chosen labels. Nothing else about the inventory reaches the public.

/// A service shown by name on a public page, under the label the admin chose.
public struct StatusPageService: Sendable, Equatable, Codable {
    public var serviceId: UUID
    public var label: String

    public init(serviceId: UUID, label: String) {
        self.serviceId = serviceId
        self.label = label
    }
}

/// One SLA group on a public page: its label and the services it names (none by default: the
/// group is then shown as a whole).
public struct StatusPageGroup: Sendable, Equatable, Codable {
    public var slaGroup: String
    public var label: String
    public var services: [StatusPageService]

    public init(slaGroup: String, label: String, services: [StatusPageService] = []) {
        self.slaGroup = slaGroup
        self.label = label
        self.services = services
    }
}

/// A public status page at `/status/{slug}`.
public struct StatusPage: Sendable, Equatable, Identifiable {
    public var id: UUID
    public var slug: String
    public var title: String
    public var description: String?
    public var groups: [StatusPageGroup]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID = UUID.random(), slug: String, title: String, description: String?, groups: [StatusPageGroup],
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.slug = slug
        self.title = title
        self.description = description
        self.groups = groups
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The SLA groups this page makes public.
    public var groupNames: Set<String> { Set(groups.map(\.slaGroup)) }
}

/// What an admin submits to create or replace a page.
public struct StatusPageDraft: Sendable, Equatable {
    public var slug: String
    public var title: String
    public var description: String?
    public var groups: [StatusPageGroup]

    public init(slug: String, title: String, description: String?, groups: [StatusPageGroup]) {
        self.slug = slug
        self.title = title
        self.description = description
        self.groups = groups
    }

    public static let maxGroups = 100
    public static let maxServicesPerGroup = 100
    public static let maxLabel = 100
    public static let maxTitle = 200
    public static let maxDescription = 2000

    /// Checks the shape of the draft (not whether its groups and services exist); errors name the
    /// field, under `prefix` (`input` → `input.slug`).
    public func validated(prefix: String = "") throws(ITOpsError) -> StatusPageDraft {
        let p = prefix.isEmpty ? "" : prefix + "."
        var draft = self
        draft.slug = slug.trimmingCharacters(in: .whitespaces).lowercased()
        guard Self.isSlug(draft.slug) else {
            throw .invalid("\(p)slug: '\(slug.prefix(80))' must be 1–63 characters of a-z, 0-9 and '-', starting with a letter or digit")
        }
        draft.title = try Self.line(title, field: "\(p)title", max: Self.maxTitle)
        if let description {
            let trimmed = description.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.count <= Self.maxDescription else {
                throw .invalid("\(p)description: must be at most \(Self.maxDescription) characters")
            }
            draft.description = trimmed.isEmpty ? nil : trimmed
        }
        guard !groups.isEmpty else { throw .invalid("\(p)groups: a page shows at least one SLA group") }
        guard groups.count <= Self.maxGroups else { throw .invalid("\(p)groups: at most \(Self.maxGroups) per page") }
        var seenGroups = Set<String>()
        for index in groups.indices {
            let field = "\(p)groups[\(index)]"
            guard seenGroups.insert(groups[index].slaGroup).inserted else {
                throw .invalid("\(field).slaGroup: '\(groups[index].slaGroup.prefix(80))' is listed twice")
            }
            draft.groups[index].label = try Self.line(groups[index].label, field: "\(field).label", max: Self.maxLabel)
            guard groups[index].services.count <= Self.maxServicesPerGroup else {
                throw .invalid("\(field).services: at most \(Self.maxServicesPerGroup) per group")
            }
            var seenServices = Set<UUID>()
            for serviceIndex in groups[index].services.indices {
                let service = groups[index].services[serviceIndex]
                guard seenServices.insert(service.serviceId).inserted else {
                    throw .invalid("\(field).services[\(serviceIndex)].serviceId: listed twice")
                }
                draft.groups[index].services[serviceIndex].label = try Self.line(
                    service.label, field: "\(field).services[\(serviceIndex)].label", max: Self.maxLabel)
            }
        }
        return draft
    }

    /// Lower-case letters, digits and inner hyphens; 1–63 characters (a DNS label, so a slug also
    /// works as a sub-domain).
    public static func isSlug(_ text: String) -> Bool {
        guard (1...63).contains(text.utf8.count), text.first != "-", text.last != "-" else { return false }
        return text.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }
    }

    /// One line of 1…`max` characters, trimmed; no control characters.
    static func line(_ text: String, field: String, max: Int) throws(ITOpsError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw .invalid("\(field): must not be empty") }
        guard trimmed.count <= max else { throw .invalid("\(field): must be at most \(max) characters") }
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalid("\(field): must be one line without control characters")
        }
        return trimmed
    }
}

/// Read access to the published pages.
public protocol StatusPageReader: Sendable {
    func statusPages() async throws -> [StatusPage]
    func statusPage(id: UUID) async throws -> StatusPage?
    /// Incidents of these services opened before `to` and not closed before `from`, most recent first.
    func incidents(serviceIds: [UUID], from: Date, to: Date, limit: Int) async throws -> [Incident]
}

/// Write access to the published pages, inside a transaction.
public protocol StatusPageWriter: StatusPageReader {
    /// `conflict` when another page has the slug.
    func insert(_ page: StatusPage) async throws
    /// `conflict` when another page has the slug.
    func update(_ page: StatusPage) async throws
    func deleteStatusPage(id: UUID) async throws
}

extension StoreReader {
    /// The status pages of this store (a cast, as for tickets, so the store protocols stay as they are).
    public func statusPageReader() throws -> any StatusPageReader {
        guard let records = self as? any StatusPageReader else {
            throw ITOpsError(.internal, "this store keeps no status pages")
        }
        return records
    }
}

extension StoreWriter {
    /// The status pages, inside this transaction.
    public func statusPageWriter() throws -> any StatusPageWriter {
        guard let records = self as? any StatusPageWriter else {
            throw ITOpsError(.internal, "this store keeps no status pages")
        }
        return records
    }
}
