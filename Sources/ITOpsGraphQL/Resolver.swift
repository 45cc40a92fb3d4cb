import Foundation
import Graphiti
import ITOpsCore

/// Root resolvers of the GraphQL API.
struct Resolver: Sendable {
    struct ServiceFilterInput: Codable, Sendable {
        let nodeId: String?
        let status: String?
        let slaGroup: String?
        let tag: String?
        let search: String?
        let namespace: String?
    }

    struct ServicesArguments: Codable, Sendable {
        let filter: ServiceFilterInput?
        let first: Int?
        let after: String?
    }

    struct IDArgument: Codable, Sendable {
        let id: String
    }

    struct LoginArguments: Codable, Sendable {
        let email: String
        let password: String
    }

    struct RefreshArguments: Codable, Sendable {
        let refreshToken: String
    }

    struct LogoutArguments: Codable, Sendable {
        let refreshToken: String?
    }

    static let defaultPageSize = 50
    static let maxPageSize = 500

    func me(context: GraphQLContext, arguments: NoArguments) throws -> MeDTO {
        MeDTO(try context.require(.viewer))
    }

    func services(context: GraphQLContext, arguments: ServicesArguments) async throws -> ServiceConnectionDTO {
        try context.require(.viewer)
        let first = arguments.first ?? Self.defaultPageSize
        guard (1...Self.maxPageSize).contains(first) else {
            throw ITOpsError.invalid("first: must be between 1 and \(Self.maxPageSize)")
        }
        var filter = try Self.filter(arguments.filter)
        filter.scope = context.principal?.nodeScope
        let cursor = try arguments.after.map(Self.decodeCursor)
        let reader = context.backend.reader
        let page = try await reader.services(matching: filter, after: cursor, limit: first + 1)
        let shown = page.prefix(first)
        try context.charge(shown.count)
        let edges = shown.map { ServiceEdgeDTO(cursor: Self.encodeCursor($0), node: ServiceDTO($0)) }
        return ServiceConnectionDTO(
            edges: edges,
            pageInfo: PageInfoDTO(hasNextPage: page.count > first, endCursor: edges.last?.cursor),
            totalCount: try await reader.countServices(matching: filter))
    }

    func service(context: GraphQLContext, arguments: IDArgument) async throws -> ServiceDTO? {
        try context.require(.viewer)
        let id = try Self.uuid(arguments.id, field: "id")
        let principal = context.principal
        return try await context.backend.reader.service(id: id).flatMap {
            principal?.covers($0.nodeId) == false ? nil : ServiceDTO($0)
        }
    }

    /// Throws `notFound` when a scoped principal asks about a service outside its scope (or one
    /// that does not exist): outside the scope, nothing is there.
    static func requireInScope(service id: UUID, _ context: GraphQLContext) async throws {
        guard let principal = context.principal, principal.nodeScope != nil else { return }
        guard let service = try await context.backend.reader.service(id: id), principal.covers(service.nodeId) else {
            throw ITOpsError.notFound("no service with id \(id.stored)")
        }
    }

    func nodes(context: GraphQLContext, arguments: ListArguments) async throws -> [NodeDTO] {
        try context.require(.viewer)
        let principal = context.principal
        let visible = try await context.backend.reader.nodes().filter { principal?.covers($0.id) ?? true }
        let nodes = try Self.slice(visible, key: \.id.value, arguments)
        try context.charge(nodes.count)
        return nodes.map(NodeDTO.init)
    }

    func slaGroups(context: GraphQLContext, arguments: ListArguments) async throws -> [SLAGroupDTO] {
        try context.require(.viewer)
        let groups = try Self.slice(try await context.backend.reader.slaGroups(), key: \.name, arguments)
        try context.charge(groups.count)
        let members = SLAGroupMembers(names: groups.map(\.name), reader: context.backend.reader)
        let month = groups.isEmpty ? nil : try await Self.currentMonth(context)
        return groups.map { group in
            var dto = SLAGroupDTO(group)
            dto.members = members
            if let result = month?[group.name] {
                dto.status = result.status?.rawValue
                dto.currentUptime = result.actualPercent
            }
            return dto
        }
    }

    func login(context: GraphQLContext, arguments: LoginArguments) async throws -> AuthPayloadDTO {
        AuthPayloadDTO(
            try await context.backend.login(
                email: arguments.email, password: arguments.password, client: context.client))
    }

    func refreshToken(context: GraphQLContext, arguments: RefreshArguments) async throws -> AuthPayloadDTO {
        AuthPayloadDTO(try await context.backend.refresh(refreshToken: arguments.refreshToken, client: context.client))
    }

    func logout(context: GraphQLContext, arguments: LogoutArguments) async throws -> Bool {
        let principal = try context.require(.viewer)
        return try await context.backend.logout(principal: principal, refreshToken: arguments.refreshToken)
    }

    // MARK: Helpers

    /// A UUID argument; `invalid` naming `field` otherwise.
    static func uuid(_ text: String, field: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else {
            throw ITOpsError.invalid("\(field): '\(text.prefix(64))' is not a UUID")
        }
        return id
    }

    /// A `first:` page size, 1–`maxPageSize`, `fallback` when absent.
    static func limit(_ first: Int?, default fallback: Int = defaultPageSize) throws -> Int {
        let value = first ?? fallback
        guard (1...maxPageSize).contains(value) else {
            throw ITOpsError.invalid("first: must be between 1 and \(maxPageSize)")
        }
        return value
    }

    static func filter(_ input: ServiceFilterInput?) throws -> ServiceFilter {
        guard let input else { return ServiceFilter() }
        var filter = ServiceFilter()
        if let node = input.nodeId { filter.nodeId = try NodePath(validating: node, field: "filter.nodeId") }
        if let status = input.status {
            guard let value = ServiceStatus(rawValue: status) else {
                throw ITOpsError.invalid("filter.status: must be one of \(ServiceStatus.allowedSpellings)")
            }
            filter.status = value
        }
        filter.slaGroup = input.slaGroup
        filter.tag = input.tag
        filter.namespace = input.namespace
        if let search = input.search {
            guard search.count <= 128 else { throw ITOpsError.invalid("filter.search: at most 128 characters") }
            filter.search = search
        }
        return filter
    }

    static func encodeCursor(_ service: Service) -> String {
        Data((service.nodeId.value + "\n" + service.name).utf8).base64EncodedString()
    }

    static func decodeCursor(_ text: String) throws -> ServiceCursor {
        guard let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8),
            let newline = decoded.firstIndex(of: "\n")
        else { throw ITOpsError.invalid("after: not a cursor from this API") }
        return ServiceCursor(
            nodeId: String(decoded[..<newline]), name: String(decoded[decoded.index(after: newline)...]))
    }
}
