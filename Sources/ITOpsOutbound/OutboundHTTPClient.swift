import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// One header of an outbound request or response.
public struct OutboundHeader: Sendable, Equatable, Codable {
    /// The header name as given.
    public var name: String
    /// The header value.
    public var value: String

    /// A header.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An HTTP request ITOps makes on an admin's behalf (a webhook delivery, a workflow `HTTP_REQUEST` step).
public struct OutboundRequest: Sendable {
    /// `GET`, `POST`, … (upper case).
    public var method: String
    /// The absolute `http` or `https` URL, checked by the guard before anything is sent.
    public var url: String
    /// Headers to send; `Host`, `Content-Length` and `Connection` are set by the client.
    public var headers: [OutboundHeader]
    /// The body; empty for none.
    public var body: [UInt8]

    /// A request.
    public init(method: String, url: String, headers: [OutboundHeader] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// What came back, after redirects were followed.
public struct OutboundResponse: Sendable {
    /// The final HTTP status code.
    public var status: Int
    /// The final response's headers.
    public var headers: [OutboundHeader]
    /// The body, at most ``OutboundHTTPClient/Settings/maxResponseBytes``.
    public var body: [UInt8]
    /// Whether the body was longer than the cap (the rest was not read).
    public var truncated: Bool
    /// The URL that gave the final answer.
    public var url: URL
    /// How many redirects were followed.
    public var redirects: Int

    /// The first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Why an outbound call produced no response.
public enum OutboundFailure: Error, Sendable, CustomStringConvertible {
    /// The SSRF guard refused the URL or a redirect: no socket was opened for it.
    case refused(SSRFRefusal)
    /// No checked address accepted a connection.
    case connect(String)
    /// The connect or the whole call took longer than allowed.
    case timeout(String)
    /// The connection broke or the answer was not HTTP.
    case transport(String)

    /// The sentence for the history.
    public var description: String {
        switch self {
        case .refused(let refusal): refusal.reason
        case .connect(let message): "connect failed: \(message)"
        case .timeout(let message): "timeout: \(message)"
        case .transport(let message): "transport error: \(message)"
        }
    }

    /// Whether trying again later may help (network trouble, not a refusal).
    public var isTransient: Bool {
        if case .refused = self { return false }
        return true
    }
}

/// The only HTTP client ITOps uses for outbound calls. Every hop goes through the ``SSRFGuard``:
///
/// 1. ``SSRFGuard/check(url:)-(String)`` and ``SSRFGuard/resolve(host:port:)``;
/// 2. a TCP connection with SwiftNIO's `ClientBootstrap.connect(to: SocketAddress)` to exactly one of the
///    checked addresses, in resolver order (the next one when a connect fails) — the name is never resolved
///    a second time, so DNS rebinding cannot move the call;
/// 3. for `https`, TLS with the original host name as SNI and for certificate verification (an IP-literal
///    host is verified against the certificate's IP addresses);
/// 4. HTTP/1.1 written by NIOHTTP1 with `Host` set to the original host and `Connection: close`;
/// 5. on 301/302/303/307/308 the `Location` is followed by hand through
///    ``SSRFGuard/redirectTarget(from:location:hop:)`` — at most five hops, each checked like the first.
///
/// A connect timeout bounds each connection attempt, a deadline bounds the whole call (redirects included),
/// and the response body is read up to a cap, the rest dropped with the connection.
public final class OutboundHTTPClient: Sendable {
    /// Time limits and the body cap.
    public struct Settings: Sendable {
        /// Longest wait for one TCP (and TLS) connection.
        public var connectTimeout: Duration = .seconds(5)
        /// Longest wait for the whole call, redirects included.
        public var timeout: Duration = .seconds(10)
        /// Longest response body kept; the rest is not read.
        public var maxResponseBytes = 64 * 1024
        /// The `User-Agent` header.
        public var userAgent = "ITOps-Outbound/1"

        /// The defaults: 5 s connect, 10 s in all, 64 KiB of body.
        public init() {}
    }

    /// The guard every hop goes through.
    public let guardian: SSRFGuard
    /// Limits.
    public let settings: Settings
    private let group: any EventLoopGroup
    private let tls: NIOSSLContext?
    private let attempts = Atomic(0)

    /// A client checking every call with `guardian`.
    public init(
        guardian: SSRFGuard, settings: Settings = Settings(),
        group: any EventLoopGroup = NIOSingletons.posixEventLoopGroup
    ) {
        self.guardian = guardian
        self.settings = settings
        self.group = group
        // The system trust store, full verification. Without one (a broken image) https calls fail clearly.
        self.tls = try? NIOSSLContext(configuration: .makeClientConfiguration())
    }

    /// Connections this client has tried to open so far (for tests and metrics): a refused call adds none.
    public var connectionAttempts: Int { attempts.load(ordering: .relaxed) }

    /// Sends `request`, following redirects by hand; every hop is checked by the guard first.
    public func send(_ request: OutboundRequest) async throws(OutboundFailure) -> OutboundResponse {
        let deadline = NIODeadline.now() + TimeAmount(settings.timeout)
        var url: URL
        var method = request.method.uppercased()
        var headers = request.headers
        var body = request.body
        do {
            url = try guardian.check(url: request.url).url
        } catch {
            throw .refused(error)
        }
        var hop = 0
        while true {
            let target: SSRFTarget
            let addresses: [SSRFAddress]
            do {
                target = try guardian.check(url: url)
                addresses = try await guardian.resolve(host: target.host.text, port: target.port)
            } catch {
                throw .refused(error)
            }
            let answer = try await exchange(
                target: target, addresses: addresses, method: method, headers: headers, body: body, deadline: deadline)
            guard SSRFGuard.isRedirect(status: answer.status) else {
                return OutboundResponse(
                    status: answer.status, headers: answer.headers, body: answer.body, truncated: answer.truncated,
                    url: url, redirects: hop)
            }
            hop += 1
            let location = answer.headers.first { $0.name.lowercased() == "location" }?.value
            let next: URL
            do {
                next = try guardian.redirectTarget(from: url, location: location, hop: hop)
            } catch {
                throw .refused(error)
            }
            // 303, and 301/302 after a POST (what every client does), continue as a GET without a body.
            if answer.status == 303 || ((answer.status == 301 || answer.status == 302) && method == "POST") {
                if method != "HEAD" { method = "GET" }
                body = []
                headers.removeAll { ["content-type", "content-length"].contains($0.name.lowercased()) }
            }
            // Credentials meant for one host are not handed to another.
            if next.host?.lowercased() != url.host?.lowercased() {
                headers.removeAll { ["authorization", "cookie"].contains($0.name.lowercased()) }
            }
            url = next
        }
    }

    private struct Answer: Sendable {
        var status = 0
        var headers: [OutboundHeader] = []
        var body: [UInt8] = []
        var truncated = false
        var complete = false
        /// Why sending the request failed, when no complete answer came either.
        var writeFailure: String?
    }

    private typealias Connection = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    /// One request/response on a fresh connection to one of `addresses`.
    private func exchange(
        target: SSRFTarget, addresses: [SSRFAddress], method: String, headers: [OutboundHeader], body: [UInt8],
        deadline: NIODeadline
    ) async throws(OutboundFailure) -> Answer {
        let connection = try await connect(target: target, addresses: addresses, deadline: deadline)
        // The deadline closes the connection, which ends the reads below.
        let timer = connection.channel.eventLoop.scheduleTask(deadline: deadline) {
            connection.channel.close(promise: nil)
        }
        defer { timer.cancel() }
        let head = Self.requestHead(
            target: target, method: method, headers: headers, bodyLength: body.count,
            userAgent: settings.userAgent)
        let cap = settings.maxResponseBytes
        do {
            let answer = try await connection.executeThenClose { inbound, outbound in
                // A server may answer and close before the last write (`Connection: close`, a fast
                // refusal): the answer read below counts, and a failed write only when there is none.
                var writeFailure: (any Error)?
                do {
                    try await outbound.write(.head(head))
                    if !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                    try await outbound.write(.end(nil))
                } catch {
                    writeFailure = error
                }
                var answer = Answer()
                for try await part in inbound {
                    switch part {
                    case .head(let response):
                        answer.status = Int(response.status.code)
                        answer.headers = response.headers.map { OutboundHeader($0.name, $0.value) }
                    case .body(let buffer):
                        let room = cap - answer.body.count
                        answer.body += buffer.readableBytesView.prefix(max(0, room))
                        if buffer.readableBytes > room {
                            answer.truncated = true
                            answer.complete = true
                            return answer
                        }
                    case .end:
                        answer.complete = true
                        return answer
                    }
                }
                answer.writeFailure = writeFailure.map { "\($0)" }
                return answer
            }
            guard answer.complete, answer.status > 0 else {
                if NIODeadline.now() >= deadline { throw OutboundFailure.timeout(Self.timeoutText(settings.timeout)) }
                if let failure = answer.writeFailure { throw OutboundFailure.transport(failure) }
                throw OutboundFailure.transport("the connection closed before the response was complete")
            }
            return answer
        } catch let failure as OutboundFailure {
            throw failure
        } catch {
            if NIODeadline.now() >= deadline { throw .timeout(Self.timeoutText(settings.timeout)) }
            throw .transport("\(error)")
        }
    }

    /// Connects to the first of `addresses` that accepts, within the connect timeout and the deadline.
    private func connect(target: SSRFTarget, addresses: [SSRFAddress], deadline: NIODeadline)
        async throws(OutboundFailure) -> Connection
    {
        var problems: [String] = []
        let serverName: String? =
            if case .name(let name) = target.host { name } else { nil }
        let tls = target.scheme == "https" ? self.tls : nil
        if target.scheme == "https" && tls == nil {
            throw .transport("TLS is not available on this system (no trust store)")
        }
        for address in addresses {
            let remaining = deadline - NIODeadline.now()
            guard remaining > .zero else { break }
            let socketAddress: SocketAddress
            do {
                socketAddress = try SocketAddress(ipAddress: address.address.description, port: address.port)
            } catch {
                problems.append("\(address): \(error)")
                continue
            }
            attempts.add(1, ordering: .relaxed)
            do {
                return try await ClientBootstrap(group: group)
                    .connectTimeout(min(TimeAmount(settings.connectTimeout), remaining))
                    .connect(to: socketAddress) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            if let tls {
                                try channel.pipeline.syncOperations.addHandler(
                                    NIOSSLClientHandler(context: tls, serverHostname: serverName))
                            }
                            try channel.pipeline.syncOperations.addHTTPClientHandlers()
                            return try Connection(wrappingChannelSynchronously: channel)
                        }
                    }
            } catch {
                problems.append("\(address): \(error)")
            }
        }
        if problems.isEmpty || NIODeadline.now() >= deadline {
            throw .timeout(Self.timeoutText(settings.timeout))
        }
        throw .connect(problems.joined(separator: "; "))
    }

    static func requestHead(
        target: SSRFTarget, method: String, headers: [OutboundHeader], bodyLength: Int, userAgent: String
    ) -> HTTPRequestHead {
        let components = URLComponents(url: target.url, resolvingAgainstBaseURL: true)
        var path = components?.percentEncodedPath ?? "/"
        if path.isEmpty { path = "/" }
        if let query = components?.percentEncodedQuery { path += "?" + query }
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path)
        let defaultPort = target.scheme == "https" ? 443 : 80
        let hostText: String =
            if case .address(.v6) = target.host { "[\(target.host.text)]" } else { target.host.text }
        head.headers.add(name: "Host", value: target.port == defaultPort ? hostText : "\(hostText):\(target.port)")
        let reserved: Set<String> = ["host", "content-length", "connection", "transfer-encoding"]
        for header in headers where !reserved.contains(header.name.lowercased()) {
            head.headers.add(name: header.name, value: header.value)
        }
        if !head.headers.contains(name: "User-Agent") { head.headers.add(name: "User-Agent", value: userAgent) }
        if bodyLength > 0 || ["POST", "PUT", "PATCH"].contains(method) {
            head.headers.add(name: "Content-Length", value: "\(bodyLength)")
        }
        head.headers.add(name: "Connection", value: "close")
        return head
    }

    static func timeoutText(_ timeout: Duration) -> String {
        "no complete answer within \(timeout.components.seconds) s"
    }
}
