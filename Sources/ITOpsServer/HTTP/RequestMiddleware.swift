import Foundation
import HTTPTypes
import Hummingbird
import ITOpsCore

extension HTTPField.Name {
    static let requestID = Self("X-Request-Id")!
    static let apiKey = Self("X-API-Key")!
}

/// Gives each request an id (kept from `X-Request-Id` when the caller sent a sane one), logs
/// with it, turns every error into the JSON error body, and records request metrics by route.
struct RequestMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: ITOpsMetrics
    /// Proxies whose `X-Forwarded-For` is believed.
    var proxies = TrustedProxies()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let start = ContinuousClock.now
        var context = context
        if !proxies.ranges.isEmpty {
            context.clientAddress = proxies.client(
                peer: context.clientAddress, forwardedFor: request.headers[values: .forwardedFor])
        }
        let requestId =
            request.headers[.requestID].flatMap { $0.count <= 64 && !$0.isEmpty ? $0 : nil }
            ?? Secrets.randomHex(bytes: 8)
        context.logger[metadataKey: "request_id"] = .string(requestId)
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = errorResponse(for: error, logger: context.logger)
            if response.status == .serviceUnavailable { metrics.databaseError() }
        }
        response.headers[.requestID] = requestId
        let route = context.endpointPath ?? "unmatched"
        metrics.request(
            method: request.method.rawValue, route: route, status: response.status.code,
            duration: ContinuousClock.now - start)
        if response.status.code >= 500 {
            context.logger.error(
                "request failed",
                metadata: [
                    "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
                ])
        } else {
            context.logger.debug(
                "request",
                metadata: [
                    "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
                ])
        }
        return response
    }
}

/// Finds the principal of a request from `X-API-Key` or `Authorization: Bearer` (API key or JWT).
struct Authenticator: Sendable {
    let runtime: ITOpsRuntime

    /// The principal, `nil` when no credential was sent; throws `unauthenticated` for a bad one.
    func principal(of request: Request) async throws -> Principal? {
        if let key = request.headers[.apiKey] {
            guard let principal = try await runtime.apiKeys.authenticate(key) else {
                throw ITOpsError.unauthenticated("invalid or revoked API key")
            }
            return principal
        }
        guard let authorization = request.headers[.authorization] else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw ITOpsError.unauthenticated("Authorization must be 'Bearer <token>'")
        }
        let credential = String(parts[1]).trimmingCharacters(in: .whitespaces)
        if credential.split(separator: ".").count == 3 {
            return try await runtime.credentials.check(try await runtime.tokens.verify(credential))
        }
        guard let principal = try await runtime.apiKeys.authenticate(credential) else {
            throw ITOpsError.unauthenticated("invalid or revoked API key")
        }
        return principal
    }

    /// The principal with at least `role`: typed identity for routes that need one. A key with a
    /// node scope is refused unless the route checks the scope itself (`scoped`).
    func require(_ role: Role, _ request: Request, scoped: Bool = false) async throws -> Principal {
        var principal: Principal?
        do {
            guard let found = try await self.principal(of: request) else {
                throw ITOpsError.unauthenticated("send X-API-Key or Authorization: Bearer <key or token>")
            }
            principal = found
            try found.require(role)
            if !scoped, let scope = found.nodeScope {
                throw ITOpsError.forbidden(
                    "this key is scoped to \(scope.map(\.value).joined(separator: ", ")); \(request.method.rawValue) \(request.uri.path) needs a key without a node scope"
                )
            }
            return found
        } catch let error as ITOpsError where error.code == .unauthenticated || error.code == .forbidden {
            await auditRefusal(error, principal: principal, request: request)
            throw error
        }
    }
}

extension Authenticator {
    /// A refused credential or role is an audit entry (plugin `audit`); the success path costs nothing.
    func auditRefusal(_ error: ITOpsError, principal: Principal?, request: Request) async {
        guard runtime.audit.isRecording else { return }
        let summary = "{\"method\": \"\(request.method.rawValue)\", \"error\": \(Self.quoted(error.message))}"
        await runtime.audit.record(
            AuditDraft(
                principal: principal, action: "auth.refused \(request.method.rawValue) \(request.uri.path)",
                summary: summary, outcome: .denied, client: nil, requestId: request.headers[.requestID]))
    }

    static func quoted(_ text: String) -> String {
        (try? JSONEncoder().encode(String(text.prefix(256)))).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}
