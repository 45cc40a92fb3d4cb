import Foundation
import ITOpsCore

/// The tokens a login or a refresh hands out.
public struct AuthSession: Sendable {
    public var accessToken: String
    public var refreshToken: String
    public var expiresAt: Date
    public var user: User

    public init(accessToken: String, refreshToken: String, expiresAt: Date, user: User) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.user = user
    }
}

/// What resolvers need from the rest of the application, injected by the server.
public protocol GraphQLBackend: Sendable {
    /// Read access to the inventory.
    var reader: any StoreReader { get }
    /// Checks a password (throttled per email and per client) and opens a session.
    func login(email: String, password: String, client: String) async throws -> AuthSession
    /// Spends a refresh token and hands out a new pair.
    func refresh(refreshToken: String, client: String) async throws -> AuthSession
    /// Revokes `refreshToken`, or every refresh token of the user when it is `nil`.
    func logout(principal: Principal, refreshToken: String?) async throws -> Bool
    /// The license state, activation and the plugin gate.
    var licensing: any Licensing { get }
    /// Domain events published from now on, for one subscription; ends when the consumer stops.
    func events() -> AsyncStream<DomainEvent>
    /// Creates a user; `conflict` when the email is taken.
    func createUser(email: String, password: String, role: Role) async throws -> User
    /// Creates an API key, optionally scoped to node prefixes and expiring; the plain text is
    /// returned once and never stored.
    func createAPIKey(name: String, role: Role, nodeScope: [NodePath]?, expiresAt: Date?) async throws -> (
        key: APIKey, plain: String
    )
    /// Revokes the key with this id or prefix.
    func revokeAPIKey(_ reference: String) async throws -> APIKey
    /// The SLA engine; backends without one keep the default, `nil`.
    var sla: SLAEngine? { get }
    /// Webhooks, workflows and templates; `nil` (the default) where the backend has none.
    var outbound: (any OutboundAdmin)? { get }
    /// Tickets; `nil` (the default) where the backend has none.
    var tickets: TicketDesk? { get }
    /// The audit trail; `nil` (the default) where the backend has none.
    var audit: AuditTrail? { get }
    /// Public status pages; `nil` (the default) where the backend has none.
    var statusPages: StatusPageDesk? { get }
    /// User administration; `nil` (the default) where the backend has none.
    var identity: (any IdentityAdmin)? { get }
}

extension GraphQLBackend {
    public var identity: (any IdentityAdmin)? { nil }

    /// User administration, or `unavailable` where the backend has none.
    func requireIdentity() throws -> any IdentityAdmin {
        guard let identity else { throw ITOpsError(.unavailable, "user administration is not available here") }
        return identity
    }
}

/// Per-request context: who asks, from where, and the backend.
public struct GraphQLContext: Sendable {
    public let principal: Principal?
    public let client: String
    public let backend: any GraphQLBackend
    /// Why a credential that was sent was refused (expired, forged), reported by `require`.
    public let credentialProblem: ITOpsError?
    /// The list items this operation may still return and its memoised work; the executor gives
    /// every operation a fresh one sized by `GraphQLLimits.maxResultItems`.
    public var budget: RequestBudget
    /// The request's id (`X-Request-Id`), recorded in the audit trail.
    public var requestId: String?

    public init(
        principal: Principal?, client: String, backend: any GraphQLBackend, credentialProblem: ITOpsError? = nil
    ) {
        self.principal = principal
        self.client = client
        self.backend = backend
        self.credentialProblem = credentialProblem
        budget = RequestBudget(maxItems: GraphQLLimits.defaultMaxResultItems)
    }

    /// Counts `count` list items of the answer against the budget; `QUERY_TOO_COMPLEX` past it.
    public func charge(_ count: Int) throws {
        do {
            try budget.charge(count)
        } catch {
            throw GraphQLExecutor.LimitError(
                code: GraphQLExecutor.Code.tooComplex,
                message:
                    "the answer would hold more than \(error.limit) list items; ask for smaller pages (first/after) or fewer nested lists"
            )
        }
    }

    /// The principal, if it holds at least `role`; `UNAUTHENTICATED` or `FORBIDDEN` otherwise.
    @discardableResult
    public func require(_ role: Role) throws -> Principal {
        guard let principal else {
            throw credentialProblem ?? ITOpsError.unauthenticated("sign in first: send Authorization: Bearer <token>")
        }
        try principal.require(role)
        return principal
    }
}
