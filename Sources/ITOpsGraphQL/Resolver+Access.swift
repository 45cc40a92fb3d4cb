import Foundation
import Graphiti
import ITOpsCore

/// Users and API keys: admin only.
extension Resolver {
    struct PageArguments: Codable, Sendable {
        let first: Int?
        let after: String?
    }

    /// `first`/`after` of a plain list; `after` is the key of the last item seen.
    struct ListArguments: Codable, Sendable {
        let first: Int?
        let after: String?
    }

    struct CreateUserArguments: Codable, Sendable {
        let email: String
        let password: String
        let role: String
    }

    struct CreateAPIKeyArguments: Codable, Sendable {
        let name: String?
        let role: String?
        let input: CreateAPIKeyInputDTO?
    }

    struct CreateAPIKeyInputDTO: Codable, Sendable {
        let name: String
        let role: String?
        let nodeScope: [String]?
        let expiresAt: String?
    }

    func users(context: GraphQLContext, arguments: PageArguments) async throws -> UserConnectionDTO {
        try context.require(.admin)
        let users = try await context.backend.reader.users()
        let page = try Self.page(users, id: \.id, arguments: arguments)
        return UserConnectionDTO(
            edges: page.items.map { UserEdgeDTO(cursor: Self.encodeIDCursor($0.id), node: UserDTO($0)) },
            pageInfo: page.info, totalCount: users.count)
    }

    func apiKeys(context: GraphQLContext, arguments: PageArguments) async throws -> APIKeyConnectionDTO {
        try context.require(.admin)
        let keys = try await context.backend.reader.apiKeys()
        let page = try Self.page(keys, id: \.id, arguments: arguments)
        return APIKeyConnectionDTO(
            edges: page.items.map { APIKeyEdgeDTO(cursor: Self.encodeIDCursor($0.id), node: APIKeyDTO($0)) },
            pageInfo: page.info, totalCount: keys.count)
    }

    func createUser(context: GraphQLContext, arguments: CreateUserArguments) async throws -> UserDTO {
        try context.require(.admin)
        let role = try Self.role(arguments.role, field: "role")
        return UserDTO(
            try await context.backend.createUser(email: arguments.email, password: arguments.password, role: role))
    }

    func createApiKey(context: GraphQLContext, arguments: CreateAPIKeyArguments) async throws -> CreatedAPIKeyDTO {
        try context.require(.admin)
        let input: CreateAPIKeyInputDTO
        switch (arguments.input, arguments.name) {
        case (let given?, nil) where arguments.role == nil:
            input = given
        case (nil, let name?):
            input = CreateAPIKeyInputDTO(name: name, role: arguments.role, nodeScope: nil, expiresAt: nil)
        default:
            throw ITOpsError.invalid("input: send either input { name role nodeScope expiresAt } or name (and role)")
        }
        let field = arguments.input == nil ? "" : "input."
        let role = try input.role.map { try Self.role($0, field: field + "role") } ?? .operator
        let name = input.name.trimmingCharacters(in: .whitespaces)
        guard (1...128).contains(name.count) else { throw ITOpsError.invalid("\(field)name: must be 1–128 characters") }
        let scope = try input.nodeScope.map { paths in
            try paths.enumerated().map { index, path in
                try NodePath(validating: path, field: "input.nodeScope[\(index)]")
            }
        }
        let expiresAt = try input.expiresAt.map { text in
            guard let date = ISO8601.parse(text) else {
                throw ITOpsError.invalid("input.expiresAt: '\(text.prefix(64))' is not an ISO 8601 date-time")
            }
            return date
        }
        let created = try await context.backend.createAPIKey(
            name: name, role: role, nodeScope: scope, expiresAt: expiresAt)
        return CreatedAPIKeyDTO(key: created.plain, apiKey: APIKeyDTO(created.key))
    }

    func revokeApiKey(context: GraphQLContext, arguments: IDArgument) async throws -> APIKeyDTO {
        try context.require(.admin)
        let reference = arguments.id.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(reference.count) else {
            throw ITOpsError.invalid("id: must be an API key id or prefix")
        }
        return APIKeyDTO(try await context.backend.revokeAPIKey(reference))
    }

    // MARK: Helpers

    static func role(_ text: String, field: String) throws -> Role {
        guard let role = Role(rawValue: text) else {
            throw ITOpsError.invalid("\(field): must be one of admin, operator, viewer")
        }
        return role
    }

    /// One page of an ordered list, after the item whose id the cursor names.
    static func page<T>(_ items: [T], id: KeyPath<T, UUID>, arguments: PageArguments) throws -> (
        items: ArraySlice<T>, info: PageInfoDTO
    ) {
        let first = arguments.first ?? defaultPageSize
        guard (1...maxPageSize).contains(first) else {
            throw ITOpsError.invalid("first: must be between 1 and \(maxPageSize)")
        }
        var start = items.startIndex
        if let after = arguments.after {
            let cursor = try decodeIDCursor(after)
            guard let index = items.firstIndex(where: { $0[keyPath: id] == cursor }) else {
                throw ITOpsError.invalid("after: the cursor names nothing in this list")
            }
            start = items.index(after: index)
        }
        let end = min(items.endIndex, start + first)
        let slice = items[start..<end]
        return (
            slice,
            PageInfoDTO(
                hasNextPage: end < items.endIndex, endCursor: slice.last.map { encodeIDCursor($0[keyPath: id]) })
        )
    }

    /// Keyset pagination of a plain list (the reference's `nodes` and `slaGroups` stay lists):
    /// the items after the one whose key is `after`, at most `first`; all without `first`.
    static func slice<T>(_ items: [T], key: KeyPath<T, String>, _ arguments: ListArguments) throws -> [T] {
        if let first = arguments.first, !(1...maxPageSize).contains(first) {
            throw ITOpsError.invalid("first: must be between 1 and \(maxPageSize)")
        }
        var rest = items[...]
        if let after = arguments.after {
            guard after.count <= 255 else { throw ITOpsError.invalid("after: at most 255 characters") }
            rest = rest.drop { $0[keyPath: key] <= after }
        }
        return Array(rest.prefix(arguments.first ?? rest.count))
    }

    static func encodeIDCursor(_ id: UUID) -> String {
        Data(("id:" + id.uuidString.lowercased()).utf8).base64EncodedString()
    }

    static func decodeIDCursor(_ text: String) throws -> UUID {
        guard let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8),
            decoded.hasPrefix("id:"), let id = UUID(uuidString: String(decoded.dropFirst(3)))
        else { throw ITOpsError.invalid("after: not a cursor from this API") }
        return id
    }
}

struct UserEdgeDTO: Codable, Sendable {
    let cursor: String
    let node: UserDTO
}

struct UserConnectionDTO: Codable, Sendable {
    let edges: [UserEdgeDTO]
    let pageInfo: PageInfoDTO
    let totalCount: Int
}

struct APIKeyDTO: Codable, Sendable {
    let id: String
    let name: String
    let prefix: String
    let role: String
    let createdAt: String
    let revokedAt: String?
    let revoked: Bool
    let bootstrap: Bool
    let expiresAt: String?
    let lastUsedAt: String?
    let nodeScope: [String]?

    init(_ key: APIKey) {
        expiresAt = key.expiresAt?.iso8601
        lastUsedAt = key.lastUsedAt?.iso8601
        nodeScope = key.nodeScope?.map(\.value)
        id = key.id.uuidString.lowercased()
        name = key.name
        prefix = key.prefix
        role = key.role.rawValue
        createdAt = key.createdAt.iso8601
        revokedAt = key.revokedAt?.iso8601
        revoked = key.revokedAt != nil
        bootstrap = key.bootstrap
    }
}

struct APIKeyEdgeDTO: Codable, Sendable {
    let cursor: String
    let node: APIKeyDTO
}

struct APIKeyConnectionDTO: Codable, Sendable {
    let edges: [APIKeyEdgeDTO]
    let pageInfo: PageInfoDTO
    let totalCount: Int
}

struct CreatedAPIKeyDTO: Codable, Sendable {
    /// The plain key, shown this once.
    let key: String
    let apiKey: APIKeyDTO
}

/// Managing users: admin only, except one's own password and spending a reset token.
extension Resolver {
    struct UpdateUserInputDTO: Codable, Sendable {
        let role: String?
        let displayName: String?
        let disabled: Bool?
    }

    struct UpdateUserArguments: Codable, Sendable {
        let id: String
        let input: UpdateUserInputDTO
    }

    struct ChangePasswordArguments: Codable, Sendable {
        let current: String
        let new: String
    }

    struct CompletePasswordResetArguments: Codable, Sendable {
        let token: String
        let newPassword: String
    }

    func updateUser(context: GraphQLContext, arguments: UpdateUserArguments) async throws -> UserDTO {
        try context.require(.admin)
        let id = try Self.uuid(arguments.id, field: "id")
        let input = arguments.input
        let update = UserUpdate(
            role: try input.role.map { try Self.role($0, field: "input.role") }, displayName: input.displayName,
            disabled: input.disabled)
        return UserDTO(try await context.backend.requireIdentity().updateUser(id: id, update))
    }

    func deleteUser(context: GraphQLContext, arguments: IDArgument) async throws -> UserDTO {
        try context.require(.admin)
        let id = try Self.uuid(arguments.id, field: "id")
        return UserDTO(try await context.backend.requireIdentity().deleteUser(id: id))
    }

    func changePassword(context: GraphQLContext, arguments: ChangePasswordArguments) async throws -> Bool {
        let principal = try context.require(.viewer)
        try await context.backend.requireIdentity().changePassword(
            principal: principal, current: arguments.current, new: arguments.new)
        return true
    }

    func resetPassword(context: GraphQLContext, arguments: IDArgument) async throws -> PasswordResetDTO {
        try context.require(.admin)
        let id = try Self.uuid(arguments.id, field: "id")
        return PasswordResetDTO(try await context.backend.requireIdentity().resetPassword(id: id))
    }

    func completePasswordReset(context: GraphQLContext, arguments: CompletePasswordResetArguments) async throws
        -> Bool
    {
        try await context.backend.requireIdentity().completePasswordReset(
            token: arguments.token, newPassword: arguments.newPassword)
        return true
    }
}

struct PasswordResetDTO: Codable, Sendable {
    /// The one-time token, shown this once.
    let token: String
    let expiresAt: String
    let user: UserDTO

    init(_ grant: PasswordResetGrant) {
        token = grant.token
        expiresAt = grant.expiresAt.iso8601
        user = UserDTO(grant.user)
    }
}
