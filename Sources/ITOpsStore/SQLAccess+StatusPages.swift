import Foundation
import ITOpsCore
import SQLKit

// Public status pages (migration 13), over portable SQL. A page's groups and their named services
// are one JSON column: they are always read and written whole.

struct StatusPageRecord: Codable, Sendable {
    var id: String
    var slug: String
    var title: String
    var description: String?
    var groupsJson: String
    var createdAt: Int64
    var updatedAt: Int64

    init(_ page: StatusPage) {
        id = page.id.stored
        slug = page.slug
        title = page.title
        description = page.description
        groupsJson = OutboundJSON.encode(page.groups)
        createdAt = page.createdAt.epochMilliseconds
        updatedAt = page.updatedAt.epochMilliseconds
    }

    func domain() throws -> StatusPage {
        StatusPage(
            id: try OutboundJSON.uuid(id), slug: slug, title: title, description: description,
            groups: try OutboundJSON.decode([StatusPageGroup].self, groupsJson),
            createdAt: Date(epochMilliseconds: createdAt), updatedAt: Date(epochMilliseconds: updatedAt))
    }
}

extension SQLAccess: StatusPageWriter {
    func statusPages() async throws -> [StatusPage] {
        try await all("SELECT * FROM status_pages ORDER BY slug", as: StatusPageRecord.self).map { try $0.domain() }
    }

    func statusPage(id: UUID) async throws -> StatusPage? {
        try await first("SELECT * FROM status_pages WHERE id = \(bind: id.stored)", as: StatusPageRecord.self)?.domain()
    }

    func incidents(serviceIds: [UUID], from: Date, to: Date, limit: Int) async throws -> [Incident] {
        var found: [Incident] = []
        for chunk in Self.chunks(serviceIds) {
            found += try await all(
                """
                SELECT * FROM incidents WHERE service_id IN (\(binds: chunk.map(\.stored))) AND opened_at < \(bind: to.epochMilliseconds)
                AND (closed_at IS NULL OR closed_at > \(bind: from.epochMilliseconds))
                ORDER BY opened_at DESC LIMIT \(bind: limit)
                """,
                as: IncidentRecord.self
            ).map { try $0.domain() }
        }
        return Array(found.sorted { $0.openedAt > $1.openedAt }.prefix(limit))
    }

    func insert(_ page: StatusPage) async throws {
        try await checkSlugFree(page)
        try await insertRow("status_pages", StatusPageRecord(page))
    }

    func update(_ page: StatusPage) async throws {
        try await checkSlugFree(page)
        try await updateRow("status_pages", id: page.id.stored, StatusPageRecord(page))
    }

    func deleteStatusPage(id: UUID) async throws {
        try await db.raw("DELETE FROM status_pages WHERE id = \(bind: id.stored)").run()
    }

    private func checkSlugFree(_ page: StatusPage) async throws {
        let holder = try await first(
            "SELECT * FROM status_pages WHERE slug = \(bind: page.slug) AND id <> \(bind: page.id.stored)",
            as: StatusPageRecord.self)
        if holder != nil { throw ITOpsError(.conflict, "slug: another status page is at /status/\(page.slug)") }
    }
}
