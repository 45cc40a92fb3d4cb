import Foundation
import Graphiti
import ITOpsCore

extension GraphQLBackend {
    public var statusPages: StatusPageDesk? { nil }
}

extension ITOpsAPI {
    /// Public status pages (plugin `sla`): viewers read the list; admins create, change and delete.
    /// What the public then sees is at `/status/{slug}` (docs/status-pages.md).
    static var statusPageSchema: PartialSchema<Resolver, GraphQLContext> {
        PartialSchema(
            types: {
                Type(StatusPageServiceDTO.self, as: "StatusPageService") {
                    Field("serviceId", at: \.serviceId)
                    Field("label", at: \.label).description("The name the public sees.")
                }
                Type(StatusPageGroupDTO.self, as: "StatusPageGroup") {
                    Field("slaGroup", at: \.slaGroup)
                    Field("label", at: \.label).description("The name the public sees.")
                    Field("services", at: \.services).description(
                        "Services shown by name; the others count in the group's state unnamed.")
                }
                Type(StatusPageDTO.self, as: "StatusPage") {
                    Field("id", at: \.id)
                    Field("slug", at: \.slug)
                    Field("title", at: \.title)
                    Field("description", at: \.description)
                    Field("groups", at: \.groups)
                    Field("url", at: \.url).description("The public page's path: /status/{slug}.")
                    Field("createdAt", at: \.createdAt)
                    Field("updatedAt", at: \.updatedAt)
                }
                Input(Resolver.StatusPageServiceInput.self, as: "StatusPageServiceInput") {
                    InputField("serviceId", at: \.serviceId).description("A service of the group.")
                    InputField("label", at: \.label).description("1–100 characters, one line.")
                }
                Input(Resolver.StatusPageGroupInput.self, as: "StatusPageGroupInput") {
                    InputField("slaGroup", at: \.slaGroup)
                    InputField("label", at: \.label).description(
                        "1–100 characters; default the group's display name, else its name.")
                    InputField("services", at: \.services).description("At most 100; default none.")
                }
                Input(Resolver.StatusPageInput.self, as: "StatusPageInput") {
                    InputField("slug", at: \.slug).description("1–63 of a-z, 0-9, '-'; the page is /status/{slug}.")
                    InputField("title", at: \.title).description("1–200 characters.")
                    InputField("description", at: \.description).description("At most 2000 characters.")
                    InputField("groups", at: \.groups).description("1–100 SLA groups, in the order shown.")
                }
            },
            query: {
                Field("statusPages", at: Resolver.statusPages).description("Plugin sla.")
            },
            mutation: {
                Field("createStatusPage", at: Resolver.createStatusPage) {
                    Argument("input", at: \.input)
                }
                .description("Admins only; the page is public at once. Plugin sla.")
                Field("updateStatusPage", at: Resolver.updateStatusPage) {
                    Argument("id", at: \.id)
                    Argument("input", at: \.input).description("Replaces the page's settings.")
                }
                .description("Admins only. Plugin sla.")
                Field("deleteStatusPage", at: Resolver.deleteStatusPage) {
                    Argument("id", at: \.id)
                }
                .description("Admins only; false when there was none. Plugin sla.")
            }
        )
    }
}

struct StatusPageServiceDTO: Codable, Sendable {
    let serviceId: String
    let label: String
}

struct StatusPageGroupDTO: Codable, Sendable {
    let slaGroup: String
    let label: String
    let services: [StatusPageServiceDTO]
}

struct StatusPageDTO: Codable, Sendable {
    let id: String
    let slug: String
    let title: String
    let description: String?
    let groups: [StatusPageGroupDTO]
    let url: String
    let createdAt: String
    let updatedAt: String

    init(_ page: StatusPage) {
        id = page.id.stored
        slug = page.slug
        title = page.title
        description = page.description
        groups = page.groups.map { group in
            StatusPageGroupDTO(
                slaGroup: group.slaGroup, label: group.label,
                services: group.services.map { StatusPageServiceDTO(serviceId: $0.serviceId.stored, label: $0.label) })
        }
        url = "/status/\(page.slug)"
        createdAt = page.createdAt.iso8601
        updatedAt = page.updatedAt.iso8601
    }
}

extension Resolver {
    struct StatusPageServiceInput: Codable, Sendable {
        let serviceId: String
        let label: String
    }

    struct StatusPageGroupInput: Codable, Sendable {
        let slaGroup: String
        let label: String?
        let services: [StatusPageServiceInput]?
    }

    struct StatusPageInput: Codable, Sendable {
        let slug: String
        let title: String
        let description: String?
        let groups: [StatusPageGroupInput]
    }

    struct CreateStatusPageArguments: Codable, Sendable {
        let input: StatusPageInput
    }

    struct UpdateStatusPageArguments: Codable, Sendable {
        let id: String
        let input: StatusPageInput
    }

    static func statusPageDesk(_ context: GraphQLContext) throws -> StatusPageDesk {
        try context.requirePlugin(.sla)
        guard let desk = context.backend.statusPages else {
            throw ITOpsError(.unavailable, "status pages are not available on this server")
        }
        return desk
    }

    func statusPages(context: GraphQLContext, arguments: NoArguments) async throws -> [StatusPageDTO] {
        try context.require(.viewer)
        return try await Self.statusPageDesk(context).pages().map(StatusPageDTO.init)
    }

    func createStatusPage(context: GraphQLContext, arguments: CreateStatusPageArguments) async throws -> StatusPageDTO {
        try context.require(.admin)
        let desk = try Self.statusPageDesk(context)
        return StatusPageDTO(try await desk.create(try await Self.draft(arguments.input, context: context), prefix: "input"))
    }

    func updateStatusPage(context: GraphQLContext, arguments: UpdateStatusPageArguments) async throws -> StatusPageDTO {
        try context.require(.admin)
        let desk = try Self.statusPageDesk(context)
        guard let id = UUID(uuidString: arguments.id) else {
            throw ITOpsError.invalid("id: '\(arguments.id.prefix(64))' is not a status page id")
        }
        return StatusPageDTO(try await desk.update(id: id, try await Self.draft(arguments.input, context: context), prefix: "input"))
    }

    func deleteStatusPage(context: GraphQLContext, arguments: IDArgument) async throws -> Bool {
        try context.require(.admin)
        let desk = try Self.statusPageDesk(context)
        guard let id = UUID(uuidString: arguments.id) else { return false }
        return try await desk.delete(id: id)
    }

    /// The input as a draft: ids parsed (errors name the field), default labels filled in.
    static func draft(_ input: StatusPageInput, context: GraphQLContext) async throws -> StatusPageDraft {
        var groups: [StatusPageGroup] = []
        for (index, group) in input.groups.enumerated() {
            var services: [StatusPageService] = []
            for (serviceIndex, service) in (group.services ?? []).enumerated() {
                guard let id = UUID(uuidString: service.serviceId) else {
                    throw ITOpsError.invalid(
                        "input.groups[\(index)].services[\(serviceIndex)].serviceId: '\(service.serviceId.prefix(64))' is not a service id"
                    )
                }
                services.append(StatusPageService(serviceId: id, label: service.label))
            }
            var label = group.label
            if label == nil {
                let stored = try await context.backend.reader.slaGroup(name: group.slaGroup)
                label = stored?.displayName ?? group.slaGroup
            }
            groups.append(StatusPageGroup(slaGroup: group.slaGroup, label: label ?? group.slaGroup, services: services))
        }
        return StatusPageDraft(slug: input.slug, title: input.title, description: input.description, groups: groups)
    }
}
