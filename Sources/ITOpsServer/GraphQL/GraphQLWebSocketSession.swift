import Foundation
import GraphQL
import Hummingbird
import HummingbirdWebSocket
import ITOpsCore
import ITOpsGraphQL
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// Close codes of `/graphql/ws` (graphql-transport-ws, plus the server's own).
enum GraphQLCloseCode {
    /// A message that is not JSON, of an unknown type, or without a required field.
    static let badRequest: UInt16 = 4400
    /// `subscribe` before `connection_ack`, a subscription without credentials, or the access
    /// token expired while the socket was open.
    static let unauthorized: UInt16 = 4401
    /// `connection_init` carried a credential that is invalid, revoked or expired, or the
    /// credential stopped being valid while the socket was open (user disabled or deleted,
    /// session signed out, password reset, key revoked).
    static let forbidden: UInt16 = 4403
    /// No `connection_init` within the configured time.
    static let initTimeout: UInt16 = 4408
    /// `subscribe` with an id that is already running.
    static let duplicateSubscriber: UInt16 = 4409
    /// A second `connection_init`.
    static let tooManyInitRequests: UInt16 = 4429
    /// The client fell behind: more than `subscriberBufferSize` messages waited (RFC 6455's
    /// "Try Again Later").
    static let slowConsumer: UInt16 = 1013
}

/// One GraphQL WebSocket: the protocol state machine of both subprotocols.
///
/// One reader (this session's `run`), one writer (draining the bounded `OutboundQueue`), and a
/// task per operation. Every operation goes through the same `GraphQLExecutor` as HTTP, so the
/// same limits apply.
final class GraphQLWebSocketSession: Sendable {
    private struct State {
        var initReceived = false
        var acknowledged = false
        var principal: Principal?
        var operations: [String: Task<Void, Never>] = [:]
        var closing = false
        var timers: [Task<Void, Never>] = []
    }

    let subprotocol: GraphQLSubprotocol
    let runtime: ITOpsRuntime
    let auth: Authenticator
    let graphQL: GraphQLExecutor
    let client: String
    let channel: any Channel
    /// The HTTP upgrade request: its `Authorization` or `X-API-Key` is the credential when
    /// `connection_init` carries none (clients that can set headers).
    let upgradeRequest: Request
    let logger: Logger
    private let queue: OutboundQueue
    private let state = Mutex(State())

    init(
        subprotocol: GraphQLSubprotocol, runtime: ITOpsRuntime, auth: Authenticator, graphQL: GraphQLExecutor,
        client: String, channel: any Channel, upgradeRequest: Request, logger: Logger
    ) {
        self.subprotocol = subprotocol
        self.runtime = runtime
        self.auth = auth
        self.graphQL = graphQL
        self.client = client
        self.channel = channel
        self.upgradeRequest = upgradeRequest
        self.logger = logger
        queue = OutboundQueue(capacity: graphQL.limits.subscriberBufferSize)
    }

    private var limits: GraphQLLimits { graphQL.limits }

    /// Reads messages until the client leaves or the session closes; then stops every operation.
    /// A read error (a message over the size limit, a protocol error) is rethrown after the
    /// teardown, so that the WebSocket handler closes with its code (1009, 1002, …).
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let writer = Task { await self.writeLoop(outbound) }
        var readError: (any Error)?
        let timeout = limits.connectionInitTimeout
        addTimer {
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled, !self.state.withLock({ $0.initReceived }) else { return }
            self.close(GraphQLCloseCode.initTimeout, "Connection initialisation timeout")
        }
        do {
            for try await message in inbound.messages(maxSize: limits.maxMessageBytes) {
                guard !isClosing else { continue }
                switch message {
                case .text(let text): await handle(text)
                case .binary: close(GraphQLCloseCode.badRequest, "Binary messages are not supported")
                }
            }
        } catch {
            logger.debug("GraphQL WebSocket read failed", metadata: ["error": "\(error)"])
            readError = error
        }
        let (operations, timers) = state.withLock { state in
            state.closing = true
            defer {
                state.operations = [:]
                state.timers = []
            }
            return (Array(state.operations.values), state.timers)
        }
        for task in operations + timers { task.cancel() }
        queue.finish()
        // A writer stuck on a client that stopped reading must not hold the session forever.
        let channel = channel
        let watchdog = Task {
            try await Task.sleep(for: .seconds(3))
            try await channel.close(mode: .all)
        }
        await writer.value
        watchdog.cancel()
        if let readError { throw readError }
    }

    // MARK: Messages

    private struct Incoming: Decodable {
        let type: String
        let id: String?
        let payload: Map?
    }

    private func handle(_ text: String) async {
        guard let message = try? JSONDecoder().decode(Incoming.self, from: Data(text.utf8)) else {
            return close(GraphQLCloseCode.badRequest, "Invalid message received")
        }
        switch (subprotocol, message.type) {
        case (_, "connection_init"):
            await connectionInit(message.payload)
        case (.transportWS, "ping"):
            send(Self.envelope(type: "pong"))
        case (.transportWS, "pong"):
            break
        case (.transportWS, "subscribe"), (.legacy, "start"):
            guard let id = message.id, !id.isEmpty, id.utf8.count <= 128 else {
                return close(GraphQLCloseCode.badRequest, "Invalid message received: subscribe needs an id")
            }
            await start(id: id, payload: message.payload)
        case (.transportWS, "complete"), (.legacy, "stop"):
            guard let id = message.id else {
                return close(GraphQLCloseCode.badRequest, "Invalid message received: complete needs an id")
            }
            let task = state.withLock { $0.operations.removeValue(forKey: id) }
            task?.cancel()
            if subprotocol == .legacy, task != nil { send(Self.envelope(type: "complete", id: id)) }
        case (.legacy, "connection_terminate"):
            close(1000, "Normal closure")
        default:
            close(GraphQLCloseCode.badRequest, "Invalid message received: unknown type")
        }
    }

    private func connectionInit(_ payload: Map?) async {
        let first = state.withLock { state in
            defer { state.initReceived = true }
            return !state.initReceived
        }
        guard first else { return close(GraphQLCloseCode.tooManyInitRequests, "Too many initialisation requests") }
        var principal: Principal?
        do {
            if let credential = Self.credential(in: payload) {
                principal = try await auth.principal(credential: credential)
            } else {
                principal = try await auth.principal(of: upgradeRequest)
            }
        } catch {
            let reason = (error as? ITOpsError)?.message ?? "invalid credential"
            if subprotocol == .legacy {
                send(Self.envelope(type: "connection_error", payload: Self.json(["message": reason])))
            }
            return close(GraphQLCloseCode.forbidden, "Forbidden: \(reason)")
        }
        // No anonymous sockets: a socket without a credential could run queries and hold a slot.
        // Sign-in (`login`) is over HTTP; the token it returns opens the socket.
        guard let principal else {
            if subprotocol == .legacy {
                send(Self.envelope(type: "connection_error", payload: Self.json(["message": "no credential"])))
            }
            return close(GraphQLCloseCode.unauthorized, "Unauthorized: connection_init carries no credential")
        }
        state.withLock { state in
            state.principal = principal
            state.acknowledged = true
        }
        send(Self.envelope(type: "connection_ack"))
        if let expiresAt = principal.expiresAt { watchExpiry(expiresAt) }
        watchCredential()
        if subprotocol == .legacy {
            send(Self.envelope(type: "ka"))
            addTimer {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(20))
                    guard !Task.isCancelled else { return }
                    self.send(Self.envelope(type: "ka"))
                }
            }
        }
    }

    /// Ends the socket when the access token expires (checked against the runtime's clock).
    private func watchExpiry(_ expiresAt: Date) {
        let clock = runtime.clock
        addTimer {
            while !Task.isCancelled {
                let remaining = expiresAt.timeIntervalSince(clock.now())
                if remaining <= 0 {
                    self.close(GraphQLCloseCode.unauthorized, "Unauthorized: access token expired")
                    return
                }
                try? await Task.sleep(for: .seconds(min(remaining, 1)))
            }
        }
    }

    /// Re-checks the credential every `credentialRefreshInterval`: one that no longer holds closes
    /// the socket with 4403 (its subscriptions end); a changed role applies to the next operations,
    /// and a lowered one also ends the running ones (FORBIDDEN: subscribe again).
    private func watchCredential() {
        let interval = runtime.config.credentialRefreshInterval
        let credentials = runtime.credentials
        addTimer {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                guard !Task.isCancelled, let principal = self.state.withLock({ $0.principal }) else { return }
                let current: Principal
                do {
                    current = try await credentials.check(principal)
                } catch let error as ITOpsError where error.code == .unauthenticated || error.code == .forbidden {
                    self.logger.info(
                        "GraphQL WebSocket closed: credential no longer valid",
                        metadata: ["principal": "\(principal.label)", "reason": "\(error.message)"])
                    self.close(GraphQLCloseCode.forbidden, "Forbidden: \(error.message)")
                    return
                } catch {
                    continue  // the database did not answer: ask again next time
                }
                guard current.role != principal.role else { continue }
                let ended = self.state.withLock { state -> [String: Task<Void, Never>] in
                    state.principal = current
                    guard current.role < principal.role else { return [:] }
                    defer { state.operations = [:] }
                    return state.operations
                }
                for (id, task) in ended {
                    task.cancel()
                    self.sendErrors(
                        id: id,
                        [
                            GraphQLError(
                                message:
                                    "your role changed from \(principal.role.rawValue) to \(current.role.rawValue); subscribe again",
                                extensions: ["code": "FORBIDDEN"])
                        ])
                }
            }
        }
    }

    private func start(id: String, payload: Map?) async {
        let (acknowledged, principal) = state.withLock { ($0.acknowledged, $0.principal) }
        guard acknowledged else { return close(GraphQLCloseCode.unauthorized, "Unauthorized") }
        guard let query = payload?["query"].string else {
            return close(GraphQLCloseCode.badRequest, "Invalid message received: payload.query is required")
        }
        var given: [String: Map] = [:]
        if let dictionary = payload?["variables"].dictionary {
            for (key, value) in dictionary { given[key] = value }
        }
        let variables = given
        let operationName = payload?["operationName"].string
        let context = GraphQLContext(principal: principal, client: client, backend: Backend(runtime: runtime))
        enum Registration { case started, duplicate, tooMany }
        let registration = state.withLock { state -> Registration in
            guard state.operations[id] == nil else { return .duplicate }
            guard state.operations.count < limits.maxOperationsPerConnection else { return .tooMany }
            state.operations[id] = Task {
                await self.execute(
                    id: id, query: query, variables: variables, operationName: operationName, context: context)
                _ = self.state.withLock { $0.operations.removeValue(forKey: id) }
            }
            return .started
        }
        switch registration {
        case .started:
            break
        case .duplicate:
            if subprotocol == .transportWS {
                close(GraphQLCloseCode.duplicateSubscriber, "Subscriber for \(id) already exists")
            } else {
                sendErrors(
                    id: id,
                    [
                        GraphQLError(
                            message: "operation \(id) is already running", extensions: ["code": "BAD_USER_INPUT"])
                    ])
            }
        case .tooMany:
            sendErrors(
                id: id,
                [
                    GraphQLError(
                        message: "at most \(limits.maxOperationsPerConnection) operations per connection",
                        extensions: ["code": "TOO_MANY_OPERATIONS"])
                ])
        }
    }

    private func execute(
        id: String, query: String, variables: [String: Map], operationName: String?, context: GraphQLContext
    ) async {
        let outcome = await graphQL.run(
            query: query, variables: variables, operationName: operationName, context: context,
            allowSubscriptions: true)
        guard !Task.isCancelled else { return }
        switch outcome {
        case .single(let result):
            if result.data == nil, !result.errors.isEmpty {
                if let code = result.errors.first?.extensions["code"]?.string, GraphQLExecutor.isLimitCode(code) {
                    runtime.metrics.graphQLRefused(code: code, transport: "websocket")
                }
                sendErrors(id: id, result.errors)
                return
            }
            sendNext(id: id, result)
        case .kept(let answer):
            sendNext(id: id, answer.result)
        case .stream(let stream):
            do {
                for try await result in stream {
                    guard !Task.isCancelled, sendNext(id: id, result) else { return }
                }
            } catch {
                guard !Task.isCancelled else { return }
                sendErrors(
                    id: id, [GraphQLError(message: "internal error", extensions: ["code": "INTERNAL_SERVER_ERROR"])])
                return
            }
        }
        guard !Task.isCancelled else { return }
        send(Self.envelope(type: "complete", id: id))
    }

    // MARK: Sending and closing

    @discardableResult
    private func sendNext(id: String, _ result: GraphQLResult) -> Bool {
        guard let json = try? String(decoding: GraphQLJSONEncoder().encode(result), as: UTF8.self) else {
            return false
        }
        return send(Self.envelope(type: subprotocol == .legacy ? "data" : "next", id: id, payload: json))
    }

    private func sendErrors(id: String, _ errors: [GraphQLError]) {
        let payload: String
        if subprotocol == .legacy {
            // subscriptions-transport-ws carries errors as a result.
            payload =
                (try? String(
                    decoding: GraphQLJSONEncoder().encode(GraphQLResult(data: nil, errors: errors)), as: UTF8.self))
                ?? "{}"
            send(Self.envelope(type: "data", id: id, payload: payload))
            send(Self.envelope(type: "complete", id: id))
        } else {
            payload = (try? String(decoding: GraphQLJSONEncoder().encode(errors), as: UTF8.self)) ?? "[]"
            send(Self.envelope(type: "error", id: id, payload: payload))
        }
    }

    /// Queues a message; a full queue closes the socket as a slow consumer.
    @discardableResult
    private func send(_ text: String) -> Bool {
        switch queue.send(text) {
        case .queued:
            return true
        case .closed:
            return false
        case .overflow:
            runtime.metrics.graphQLSlowConsumer()
            logger.notice("GraphQL WebSocket closed: slow consumer", metadata: ["client": "\(client)"])
            close(
                GraphQLCloseCode.slowConsumer,
                "Slow consumer: more than \(queue.capacity) messages waiting")
            return false
        }
    }

    private var isClosing: Bool { state.withLock { $0.closing } }

    /// Closes the session with 1001 (going away): the server is stopping.
    func closeForShutdown() { close(1001, "Server shutting down") }

    /// Stops every operation, sends the close frame after what is being written, and cuts the
    /// connection if the client has not gone within a few seconds (a client that stopped
    /// reading cannot take the close frame).
    private func close(_ code: UInt16, _ reason: String) {
        let operations = state.withLock { state -> [Task<Void, Never>]? in
            guard !state.closing else { return nil }
            state.closing = true
            defer { state.operations = [:] }
            return Array(state.operations.values)
        }
        guard let operations else { return }
        for task in operations { task.cancel() }
        runtime.metrics.graphQLSocketClosed(code: code)
        queue.close(code: code, reason: reason)
        let channel = channel
        addTimer {
            try? await Task.sleep(for: .seconds(3))
            channel.close(mode: .all, promise: nil)
        }
    }

    private func writeLoop(_ outbound: WebSocketOutboundWriter) async {
        while let item = await queue.next() {
            do {
                switch item {
                case .text(let text):
                    try await outbound.write(.text(text))
                case .close(let code, let reason):
                    try await outbound.close(WebSocketErrorCode(codeNumber: Int(code)), reason: reason)
                    return
                }
            } catch {
                return
            }
        }
    }

    private func addTimer(_ body: @escaping @Sendable () async -> Void) {
        let task = Task { await body() }
        let keep = state.withLock { state in
            guard !state.closing || state.timers.count < 8 else { return false }
            state.timers.append(task)
            return true
        }
        if !keep { task.cancel() }
    }

    // MARK: Encoding

    /// The credential in `connection_init`'s payload: `Authorization`, `authorization` or
    /// `token`, at the top or under `headers`.
    static func credential(in payload: Map?) -> String? {
        guard let payload, let dictionary = payload.dictionary else { return nil }
        for key in ["Authorization", "authorization", "token"] {
            if let value = dictionary[key]?.string { return value }
        }
        if let headers = dictionary["headers"]?.dictionary {
            for key in ["Authorization", "authorization"] {
                if let value = headers[key]?.string { return value }
            }
        }
        return nil
    }

    static func envelope(type: String, id: String? = nil, payload: String? = nil) -> String {
        var text = "{"
        if let id { text += "\"id\":\(json(id))," }
        text += "\"type\":\"\(type)\""
        if let payload { text += ",\"payload\":\(payload)" }
        return text + "}"
    }

    static func json(_ value: some Encodable) -> String {
        (try? String(decoding: JSONEncoder().encode(value), as: UTF8.self)) ?? "null"
    }
}
