import Foundation
import ITOpsCore
import NIOCore
import NIOPosix
import NIOSSL

/// One mail to send.
public struct SMTPMail: Sendable, Equatable {
    public var from: String
    public var to: [String]
    public var subject: String
    /// Plain text; line breaks become CRLF, lines starting with a dot are dot-stuffed.
    public var body: String

    public init(from: String, to: [String], subject: String, body: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
    }
}

/// Where and how to send it.
public struct SMTPServer: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var security: SMTPSecurity
    public var username: String?
    public var password: String?

    public init(host: String, port: Int, security: SMTPSecurity, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
    }
}

/// Why a mail was not sent.
public enum SMTPFailure: Error, Sendable, CustomStringConvertible {
    /// The SSRF guard refused the host: no socket was opened.
    case refused(SSRFRefusal)
    case connect(String)
    case timeout(String)
    /// The server answered an error: 4xx is temporary, 5xx permanent.
    case reply(code: Int, text: String, during: String)
    /// The connection broke, the server spoke no SMTP, or TLS failed.
    case transport(String)

    public var description: String {
        switch self {
        case .refused(let refusal): refusal.reason
        case .connect(let message): "connect failed: \(message)"
        case .timeout(let message): "timeout: \(message)"
        case .reply(let code, let text, let during): "SMTP \(code) after \(during): \(text)"
        case .transport(let message): "transport error: \(message)"
        }
    }

    /// Whether trying again later may help.
    public var isTransient: Bool {
        switch self {
        case .refused: false
        case .reply(let code, _, _): code < 500
        default: true
        }
    }
}

/// A small SMTP client over SwiftNIO: EHLO, STARTTLS, AUTH PLAIN/LOGIN, MAIL FROM, RCPT TO, DATA with
/// dot-stuffing, QUIT. The host is resolved and checked by the ``SSRFGuard`` (which honours the allowlist)
/// and the connection goes to a checked address: the name is never resolved again. A deadline bounds the
/// whole conversation.
public struct SMTPClient: Sendable {
    /// The guard that resolves and checks the host.
    public let guardian: SSRFGuard
    /// The longest conversation.
    public let timeout: Duration
    private let group: any EventLoopGroup
    private let tls: NIOSSLContext?

    /// A client checking hosts with `guardian`.
    public init(
        guardian: SSRFGuard, timeout: Duration = .seconds(30),
        group: any EventLoopGroup = NIOSingletons.posixEventLoopGroup
    ) {
        self.guardian = guardian
        self.timeout = timeout
        self.group = group
        tls = try? NIOSSLContext(configuration: .makeClientConfiguration())
    }

    private typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// Sends `mail` through `server`; returns the server's answer to the message.
    public func send(_ mail: SMTPMail, via server: SMTPServer) async throws(SMTPFailure) -> String {
        let addresses: [SSRFAddress]
        let host: SSRFHost
        do {
            host = try SSRFHost.normalise(server.host).get()
            addresses = try await guardian.resolve(host: server.host, port: server.port)
        } catch {
            throw .refused(error)
        }
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let serverName: String? = if case .name(let name) = host { name } else { nil }
        if server.security != .none && tls == nil { throw .transport("TLS is not available on this system") }
        let connection = try await connect(
            addresses: addresses, implicitTLS: server.security == .tls, serverName: serverName, deadline: deadline)
        let channel = connection.channel
        let timer = channel.eventLoop.scheduleTask(deadline: deadline) { channel.close(promise: nil) }
        defer { timer.cancel() }
        do {
            return try await connection.executeThenClose { inbound, outbound in
                var session = Session(inbound: inbound.makeAsyncIterator(), outbound: outbound)
                try await session.expect(220, during: "connect")
                var features = try await session.command("EHLO itops", expect: 250)
                if server.security == .startTLS {
                    guard features.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else {
                        throw SMTPFailure.transport("the server does not offer STARTTLS")
                    }
                    _ = try await session.command("STARTTLS", expect: 220)
                    try await addTLS(to: channel, serverName: serverName)
                    features = try await session.command("EHLO itops", expect: 250)
                }
                if let username = server.username, !username.isEmpty {
                    let auth = features.first { $0.uppercased().hasPrefix("AUTH") }?.uppercased() ?? ""
                    let password = server.password ?? ""
                    if auth.contains("PLAIN") || !auth.contains("LOGIN") {
                        let token = Data("\u{0}\(username)\u{0}\(password)".utf8).base64EncodedString()
                        _ = try await session.command("AUTH PLAIN \(token)", expect: 235, shown: "AUTH PLAIN")
                    } else {
                        _ = try await session.command("AUTH LOGIN", expect: 334)
                        _ = try await session.command(
                            Data(username.utf8).base64EncodedString(), expect: 334, shown: "AUTH LOGIN username")
                        _ = try await session.command(
                            Data(password.utf8).base64EncodedString(), expect: 235, shown: "AUTH LOGIN password")
                    }
                }
                _ = try await session.command("MAIL FROM:<\(mail.from)>", expect: 250)
                for recipient in mail.to {
                    _ = try await session.command("RCPT TO:<\(recipient)>", expect: 250, also: [251])
                }
                _ = try await session.command("DATA", expect: 354)
                let answer = try await session.command(
                    Self.content(mail, messageId: UUID.random()) + ".", expect: 250, shown: "the message")
                _ = try? await session.command("QUIT", expect: 221)
                return answer.last ?? ""
            }
        } catch let failure as SMTPFailure {
            throw failure
        } catch {
            if NIODeadline.now() >= deadline { throw .timeout(Self.timeoutText(timeout)) }
            throw .transport("\(error)")
        }
    }

    private func addTLS(to channel: any Channel, serverName: String?) async throws {
        guard let tls else { throw SMTPFailure.transport("TLS is not available on this system") }
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(
                NIOSSLClientHandler(context: tls, serverHostname: serverName), position: .first)
        }.get()
    }

    private func connect(addresses: [SSRFAddress], implicitTLS: Bool, serverName: String?, deadline: NIODeadline)
        async throws(SMTPFailure) -> Connection
    {
        var problems: [String] = []
        let tls = implicitTLS ? self.tls : nil
        for address in addresses {
            let remaining = deadline - NIODeadline.now()
            guard remaining > .zero else { break }
            do {
                let socketAddress = try SocketAddress(ipAddress: address.address.description, port: address.port)
                return try await ClientBootstrap(group: group)
                    .connectTimeout(min(.seconds(5), remaining))
                    .connect(to: socketAddress) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            if let tls {
                                try channel.pipeline.syncOperations.addHandler(
                                    NIOSSLClientHandler(context: tls, serverHostname: serverName))
                            }
                            return try Connection(wrappingChannelSynchronously: channel)
                        }
                    }
            } catch {
                problems.append("\(address): \(error)")
            }
        }
        if problems.isEmpty { throw .timeout(Self.timeoutText(timeout)) }
        throw .connect(problems.joined(separator: "; "))
    }

    static func timeoutText(_ timeout: Duration) -> String {
        "no complete SMTP conversation within \(timeout.components.seconds) s"
    }

    /// The message: headers, a blank line, the body with CRLF line ends and dot-stuffing, ending in CRLF.
    static func content(_ mail: SMTPMail, messageId: UUID, date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let domain = mail.from.split(separator: "@").last.map(String.init) ?? "itops"
        let headers = [
            "From: \(mail.from)", "To: \(mail.to.joined(separator: ", "))", "Subject: \(encodedHeader(mail.subject))",
            "Date: \(formatter.string(from: date))", "Message-ID: <\(messageId.stored)@\(domain)>",
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
            "X-Mailer: ITOps",
        ]
        let lines = mail.body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }
        return (headers + [""] + lines).joined(separator: "\r\n") + "\r\n"
    }

    /// A header value with CR and LF removed, RFC 2047-encoded when it is not plain ASCII.
    static func encodedHeader(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if flat.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 }) { return flat }
        return "=?utf-8?B?\(Data(flat.utf8).base64EncodedString())?="
    }

    /// The conversation: commands out, replies in (multi-line replies joined).
    private struct Session {
        var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        var pending: [UInt8] = []

        mutating func line() async throws -> String {
            while true {
                if let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    var bytes = Array(pending[..<end])
                    pending.removeFirst(end + 1)
                    if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
                    return String(decoding: bytes, as: UTF8.self)
                }
                guard pending.count < 64 * 1024 else { throw SMTPFailure.transport("an SMTP reply line is too long") }
                guard var buffer = try await inbound.next() else {
                    throw SMTPFailure.transport("the server closed the connection")
                }
                pending += buffer.readBytes(length: buffer.readableBytes) ?? []
            }
        }

        /// One reply: its code and its lines' texts.
        mutating func reply() async throws -> (code: Int, lines: [String]) {
            var lines: [String] = []
            while true {
                let text = try await line()
                guard text.count >= 3, let code = Int(text.prefix(3)) else {
                    throw SMTPFailure.transport("not an SMTP reply: \(text.prefix(80))")
                }
                lines.append(String(text.dropFirst(4)))
                if text.count == 3 || text[text.index(text.startIndex, offsetBy: 3)] != "-" {
                    return (code, lines)
                }
            }
        }

        mutating func expect(_ code: Int, also: [Int] = [], during: String) async throws {
            let answer = try await reply()
            guard answer.code == code || also.contains(answer.code) else {
                throw SMTPFailure.reply(code: answer.code, text: answer.lines.joined(separator: " "), during: during)
            }
        }

        /// Sends `command` (CRLF added) and returns the reply lines when the code is `expect`.
        mutating func command(_ command: String, expect code: Int, also: [Int] = [], shown: String? = nil)
            async throws -> [String]
        {
            try await outbound.write(ByteBuffer(string: command + "\r\n"))
            let answer = try await reply()
            guard answer.code == code || also.contains(answer.code) else {
                throw SMTPFailure.reply(
                    code: answer.code, text: answer.lines.joined(separator: " "),
                    during: shown ?? String(command.prefix(40)))
            }
            return answer.lines
        }
    }
}
