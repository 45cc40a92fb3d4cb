import Foundation
import ITOpsCore
import NIOCore
import NIOSSL
import Synchronization

/// Sign-in against an LDAP directory: bind as the service account, find the person, bind as them with
/// the password they typed, read their groups, map a group to a role.
public struct LDAPDirectory: Sendable {
    /// Everything `ITOPS_LDAP_*` says.
    public struct Settings: Sendable {
        public var url: LDAPURL
        public var startTLS = false
        /// The service account; both `nil` for an anonymous search.
        public var bindDN: String?
        public var bindPassword: String?
        public var userBase: String
        /// With `{username}`, e.g. `(uid={username})`.
        public var userFilter = "(uid={username})"
        /// `nil`: no group search (only `*` entries of the role map can match).
        public var groupBase: String?
        /// With `{dn}` (the person's DN) and/or `{username}`, e.g. `(member={dn})`.
        public var groupFilter = "(member={dn})"
        public var roleMap: RoleMap
        /// Longest wait for the whole sign-in (connect, binds, searches).
        public var timeout: TimeInterval = 5
        /// PEM file of the CA that signed the server's certificate; `nil`: the system trust store.
        public var caFile: String?
        /// The name of the sign-in button and of the provider in `/api/v1/auth/providers`.
        public var name = "Directory (LDAP)"

        public init(url: LDAPURL, userBase: String, roleMap: RoleMap) {
            self.url = url
            self.userBase = userBase
            self.roleMap = roleMap
        }
    }

    /// Why a sign-in did not succeed, in words for the person signing in.
    public enum Refusal: Error, Sendable, Equatable {
        /// Unknown user, several entries, or a wrong password: the same answer for each.
        case invalidCredentials
        /// The password was right but no group maps to a role.
        case noRole(dn: String)
        /// The entry has no `mail` attribute, which ITOps needs for the account.
        case noEmail(dn: String)
    }

    public let settings: Settings
    private let tls: NIOSSLContext?

    /// Builds the TLS context once; throws when the CA file cannot be read.
    public init(settings: Settings) throws {
        self.settings = settings
        if settings.url.secure || settings.startTLS {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let file = settings.caFile {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(file))
            }
            tls = try NIOSSLContext(configuration: configuration)
        } else {
            tls = nil
        }
    }

    /// Attributes read from the person's entry.
    static let userAttributes = ["mail", "cn", "displayName", "entryUUID"]

    /// The profile of `username` if `password` is theirs and a group maps to a role.
    public func authenticate(username: String, password: String) async throws -> ExternalProfile {
        // An empty password is an "unauthenticated bind" (RFC 4513 §5.1.2) that many servers accept: never a sign-in.
        guard !username.isEmpty, !password.isEmpty, password.utf8.count <= 1024, username.utf8.count <= 256 else {
            throw Refusal.invalidCredentials
        }
        let settings = settings
        let userFilter = try LDAPFilter.fill(settings.userFilter, ["username": username])
        return try await withDeadline { opened in
            try await LDAPConnection.with(
                url: settings.url, tls: tls, startTLS: settings.startTLS, connectTimeout: settings.timeout,
                opened: opened
            ) { connection in
                if let dn = settings.bindDN {
                    let result = try await connection.bind(dn: dn, password: settings.bindPassword ?? "")
                    guard result.code == 0 else {
                        throw LDAPError.refused(
                            "the service bind as '\(dn)' failed (result \(result.code)): \(result.message)")
                    }
                }
                let found = try await connection.search(
                    base: settings.userBase, filter: userFilter, attributes: Self.userAttributes, sizeLimit: 2)
                guard found.count == 1, let entry = found.first else { throw Refusal.invalidCredentials }
                let bound = try await connection.bind(dn: entry.dn, password: password)
                guard bound.code == 0 else {
                    guard bound.code == LDAPResult.invalidCredentials else {
                        throw LDAPError.refused("binding as the user failed (result \(bound.code)): \(bound.message)")
                    }
                    throw Refusal.invalidCredentials
                }
                var groups: [String] = []
                if let base = settings.groupBase {
                    let filter = try LDAPFilter.fill(settings.groupFilter, ["dn": entry.dn, "username": username])
                    groups = try await connection.search(
                        base: base, filter: filter, attributes: ["1.1"], sizeLimit: 1000
                    )
                    .map(\.dn)
                }
                guard let role = settings.roleMap.role(for: groups) else { throw Refusal.noRole(dn: entry.dn) }
                guard let email = entry.first("mail"), !email.isEmpty else { throw Refusal.noEmail(dn: entry.dn) }
                return ExternalProfile(
                    provider: .ldap, subject: entry.first("entryUUID") ?? RoleMap.normalizeDN(entry.dn),
                    email: email.lowercased(), displayName: entry.first("displayName") ?? entry.first("cn"), role: role)
            }
        }
    }

    /// Runs `body` for at most `settings.timeout`; on expiry closes the connection `body` opened, so
    /// nothing waits on a silent server.
    private func withDeadline<T: Sendable>(
        _ body: @escaping @Sendable (@escaping @Sendable (any Channel) -> Void) async throws -> T
    ) async throws -> T {
        let timeout = settings.timeout
        let channel = ChannelSlot()
        let opened: @Sendable (any Channel) -> Void = { opened in channel.value.withLock { $0 = opened } }
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body(opened) }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
                channel.timedOut.withLock { $0 = true }
                channel.value.withLock { $0 }?.close(promise: nil)
                throw LDAPError.timeout(seconds: timeout)
            }
            defer { group.cancelAll() }
            do {
                guard let first = try await group.next() else { throw LDAPError.timeout(seconds: timeout) }
                return first
            } catch {
                channel.value.withLock { $0 }?.close(promise: nil)
                // The closed connection may fail the body before the timer's own error arrives.
                if channel.timedOut.withLock({ $0 }) { throw LDAPError.timeout(seconds: timeout) }
                throw error
            }
        }
    }
}

/// The connection a deadline may have to close.
private final class ChannelSlot: Sendable {
    let value = Mutex<(any Channel)?>(nil)
    let timedOut = Mutex(false)
}
