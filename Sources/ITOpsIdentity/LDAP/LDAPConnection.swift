import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One LDAP connection: plain, `ldaps://` (TLS from the first byte) or upgraded with StartTLS.
///
/// Requests are answered in order, one at a time (ITOps never pipelines), so a response is matched to
/// its request by message id and anything else (an unsolicited notice) ends the conversation.
final class LDAPConnection {
    private let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var buffer: [UInt8] = []
    private var nextId: Int32 = 1
    private let host: String
    /// Largest message accepted from the server.
    static let maxMessageBytes = 1 << 20

    private init(
        channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, host: String
    ) {
        self.channel = channel
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.host = host
    }

    /// Connects, runs `body` with the connection, then unbinds and closes. `opened` receives the NIO
    /// channel as soon as it exists, so a deadline elsewhere can close it.
    static func with<T: Sendable>(
        url: LDAPURL, tls: NIOSSLContext?, startTLS: Bool, connectTimeout: TimeInterval,
        opened: @escaping @Sendable (any Channel) -> Void, _ body: (LDAPConnection) async throws -> T
    ) async throws -> T {
        let useTLS = url.secure
        let host = url.host
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: NIOSingletons.posixEventLoopGroup)
                .connectTimeout(.milliseconds(Int64(connectTimeout * 1000)))
                .connect(host: url.host, port: url.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if useTLS {
                            guard let tls else { throw LDAPError.unreachable("TLS is not available") }
                            try channel.pipeline.syncOperations.addHandler(
                                try NIOSSLClientHandler(context: tls, serverHostname: Self.sniName(host)))
                        }
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch let error as LDAPError {
            throw error
        } catch {
            throw LDAPError.unreachable("\(url.host):\(url.port): \(error)")
        }
        opened(channel.channel)
        return try await channel.executeThenClose { inbound, outbound in
            let connection = LDAPConnection(channel: channel, inbound: inbound, outbound: outbound, host: host)
            if startTLS {
                guard let tls else { throw LDAPError.unreachable("TLS is not available") }
                try await connection.startTLS(tls)
            }
            let result = try await body(connection)
            _ = try? await connection.send(.unbind)
            return result
        }
    }

    /// An IP literal is no server name for SNI.
    private static func sniName(_ host: String) -> String? {
        host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
    }

    /// Sends `request` with the next message id; returns the id.
    @discardableResult
    func send(_ request: LDAPMessage.Request) async throws -> Int32 {
        let id = nextId
        nextId += 1
        do {
            try await outbound.write(ByteBuffer(bytes: LDAPMessage.encode(id: id, request)))
        } catch {
            // A failed TLS handshake closes the channel before the write: its reason is on the read side.
            do { _ = try await inbound.next() } catch { throw Self.transport(error) }
            throw Self.transport(error)
        }
        return id
    }

    /// The next message from the server for `id`.
    func receive(_ id: Int32) async throws -> LDAPMessage.Response {
        while true {
            if let length = try LDAPMessage.frameLength(buffer[...], limit: Self.maxMessageBytes) {
                let message = try LDAPMessage.decode(buffer[0..<length])
                buffer.removeFirst(length)
                guard message.id == id else {
                    if case .other(_, let result) = message.response, message.id == 0 {
                        throw LDAPError.refused(
                            "the server ended the connection: \(result?.message ?? "notice of disconnection")")
                    }
                    throw LDAPError.protocolError("an answer to message \(message.id) while waiting for \(id)")
                }
                return message.response
            }
            let next: ByteBuffer?
            do {
                next = try await inbound.next()
            } catch {
                throw Self.transport(error)
            }
            guard let chunk = next else { throw LDAPError.unreachable("the server closed the connection") }
            buffer.append(contentsOf: chunk.readableBytesView)
        }
    }

    /// A failure of the connection itself (TLS handshake, reset) as the error the caller reports.
    private static func transport(_ error: any Error) -> LDAPError {
        if let error = error as? LDAPError { return error }
        if let tls = error as? NIOSSLError {
            return .unreachable("TLS failed (is ITOPS_LDAP_CA_FILE the server's CA?): \(tls)")
        }
        return .unreachable("\(error)")
    }

    /// Simple bind; returns the result (49 is a wrong DN or password).
    func bind(dn: String, password: String) async throws -> LDAPResult {
        let id = try await send(.bind(dn: dn, password: password))
        guard case .bind(let result) = try await receive(id) else {
            throw LDAPError.protocolError("the answer to a bind is not a BindResponse")
        }
        return result
    }

    /// Searches the subtree under `base`; at most `sizeLimit` entries.
    func search(base: String, filter: LDAPFilter, attributes: [String], sizeLimit: Int) async throws -> [LDAPEntry] {
        let id = try await send(.search(base: base, filter: filter, attributes: attributes, sizeLimit: sizeLimit))
        var entries: [LDAPEntry] = []
        while true {
            switch try await receive(id) {
            case .entry(let entry): entries.append(entry)
            case .reference: continue
            case .searchDone(let result):
                // 4: sizeLimitExceeded still returns the entries read; 32: noSuchObject is an empty base.
                guard [0, 4, 32].contains(result.code) else {
                    throw LDAPError.refused("search under '\(base)' failed (result \(result.code)): \(result.message)")
                }
                return entries
            default: throw LDAPError.protocolError("an unexpected answer to a search")
            }
        }
    }

    /// StartTLS (RFC 4511 §4.14): asks, then puts TLS in front of everything else on the connection.
    private func startTLS(_ tls: NIOSSLContext) async throws {
        let id = try await send(.startTLS)
        guard case .extended(let result) = try await receive(id) else {
            throw LDAPError.protocolError("the answer to StartTLS is not an ExtendedResponse")
        }
        guard result.code == 0 else {
            throw LDAPError.refused("StartTLS refused (result \(result.code)): \(result.message)")
        }
        let pipeline = channel.channel.pipeline
        let name = Self.sniName(host)
        // The handler is made and added on the channel's event loop: it is not Sendable.
        try await channel.channel.eventLoop.submit {
            try pipeline.syncOperations.addHandler(
                try NIOSSLClientHandler(context: tls, serverHostname: name), position: .first)
        }.get()
    }
}

/// `ldap://host[:389]` or `ldaps://host[:636]`.
public struct LDAPURL: Sendable, Equatable {
    public var secure: Bool
    public var host: String
    public var port: Int

    /// Parses `text`; `nil` when it is not an ldap:// or ldaps:// URL with a host.
    public init?(_ text: String) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "ldap" || scheme == "ldaps",
            let host = url.host, !host.isEmpty
        else { return nil }
        secure = scheme == "ldaps"
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        port = url.port ?? (secure ? 636 : 389)
    }

    public init(secure: Bool, host: String, port: Int) {
        self.secure = secure
        self.host = host
        self.port = port
    }
}
