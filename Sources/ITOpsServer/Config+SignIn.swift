import Foundation
import ITOpsIdentity

/// The sign-in providers' variables (`ITOPS_LDAP_*`, `ITOPS_OIDC_*`), read with the rest of `Config`.
extension Config {
    static let signInVariables: [(name: String, defaultValue: String, meaning: String)] = [
        ("ITOPS_LDAP_URL", "none", "`ldap://host[:389]` or `ldaps://host[:636]`: turns LDAP sign-in on"),
        ("ITOPS_LDAP_START_TLS", "false", "upgrade an `ldap://` connection with StartTLS before binding"),
        ("ITOPS_LDAP_BIND_DN", "none (anonymous search)", "the service account that searches for users and groups"),
        ("ITOPS_LDAP_BIND_PASSWORD", "none", "that service account's password"),
        (
            "ITOPS_LDAP_USER_BASE", "none (required with LDAP)",
            "where users are searched, e.g. `ou=people,dc=example,dc=org`"
        ),
        (
            "ITOPS_LDAP_USER_FILTER", "(uid={username})",
            "finds the user; `{username}` is what they typed, escaped (RFC 4515)"
        ),
        (
            "ITOPS_LDAP_GROUP_BASE", "none (no group search)",
            "where groups are searched, e.g. `ou=groups,dc=example,dc=org`"
        ),
        (
            "ITOPS_LDAP_GROUP_FILTER", "(member={dn})",
            "finds the user's groups; `{dn}` is their DN, `{username}` what they typed"
        ),
        (
            "ITOPS_LDAP_ROLE_MAP", "none (required with LDAP)",
            "`role=group DN;…` e.g. `admin=cn=itops-admins,ou=groups,dc=example,dc=org`; highest match wins, none is refused"
        ),
        ("ITOPS_LDAP_TIMEOUT", "5s", "longest an LDAP sign-in may take (connect, binds, searches)"),
        (
            "ITOPS_LDAP_CA_FILE", "system trust store",
            "PEM file of the CA of the LDAP server's certificate (ldaps, StartTLS)"
        ),
        ("ITOPS_LDAP_NAME", "Directory (LDAP)", "the provider's name in /api/v1/auth/providers"),
        ("ITOPS_OIDC_ISSUER", "none", "the OpenID provider's issuer URL (https; http only on loopback): turns OIDC on"),
        ("ITOPS_OIDC_CLIENT_ID", "none (required with OIDC)", "ITOps' client id at the provider"),
        (
            "ITOPS_OIDC_CLIENT_SECRET", "none (public client)",
            "ITOps' client secret, sent with HTTP Basic to the token endpoint"
        ),
        (
            "ITOPS_OIDC_SCOPES", "openid email profile",
            "scopes asked for, space- or comma-separated; `openid` is always added"
        ),
        ("ITOPS_OIDC_ROLE_CLAIM", "groups", "the ID-token claim holding groups or roles; dots reach nested claims"),
        (
            "ITOPS_OIDC_ROLE_MAP", "none (required with OIDC)",
            "`role=claim value;…` e.g. `admin=itops-admins;viewer=*`; highest match wins, none is refused"
        ),
        (
            "ITOPS_OIDC_REDIRECT_URL", "none (required with OIDC)",
            "ITOps' public callback URL, `https://itops.example.org/api/v1/auth/oidc/callback`; the console is at its origin"
        ),
        ("ITOPS_OIDC_NAME", "Single sign-on", "the button's text: Sign in with <name>"),
    ]

    /// Reads every sign-in variable; a provider's variables without its switch (URL, issuer) are errors.
    static func readSignIn(_ values: [String: String], into config: inout Config, problems: inout [String]) {
        readLDAP(values, into: &config, problems: &problems)
        readOIDC(values, into: &config, problems: &problems)
    }

    private static func readLDAP(_ values: [String: String], into config: inout Config, problems: inout [String]) {
        let names = values.keys.filter { $0.hasPrefix("ITOPS_LDAP_") }.sorted()
        guard let raw = values["ITOPS_LDAP_URL"] else {
            for name in names { problems.append("\(name): needs ITOPS_LDAP_URL") }
            return
        }
        guard let url = LDAPURL(raw) else {
            problems.append("ITOPS_LDAP_URL: '\(raw.prefix(128))' is not ldap://host[:port] or ldaps://host[:port]")
            return
        }
        var roleMap: RoleMap?
        if let text = values["ITOPS_LDAP_ROLE_MAP"] {
            do throws(RoleMapError) {
                roleMap = try RoleMap.parse(text, distinguishedNames: true)
            } catch { problems.append("ITOPS_LDAP_ROLE_MAP: \(error.description)") }
        } else {
            problems.append(
                "ITOPS_LDAP_ROLE_MAP: required with ITOPS_LDAP_URL (e.g. admin=cn=itops-admins,ou=groups,dc=example,dc=org)"
            )
        }
        guard let userBase = values["ITOPS_LDAP_USER_BASE"], !userBase.isEmpty else {
            problems.append("ITOPS_LDAP_USER_BASE: required with ITOPS_LDAP_URL (e.g. ou=people,dc=example,dc=org)")
            return
        }
        guard let roleMap else { return }
        var settings = LDAPDirectory.Settings(url: url, userBase: userBase, roleMap: roleMap)
        func read(_ name: String, _ apply: (String) throws(ConfigProblem) -> Void) {
            guard let value = values[name] else { return }
            do throws(ConfigProblem) { try apply(value) } catch { problems.append("\(name): \(error.message)") }
        }
        read("ITOPS_LDAP_START_TLS") { value throws(ConfigProblem) in
            settings.startTLS = try bool(value)
            if settings.startTLS, url.secure { throw ConfigProblem("StartTLS is for ldap://; ldaps:// is TLS already") }
        }
        read("ITOPS_LDAP_BIND_DN") { value throws(ConfigProblem) in settings.bindDN = value }
        read("ITOPS_LDAP_BIND_PASSWORD") { value throws(ConfigProblem) in
            guard values["ITOPS_LDAP_BIND_DN"] != nil else { throw ConfigProblem("set ITOPS_LDAP_BIND_DN too") }
            settings.bindPassword = value
        }
        if settings.bindDN != nil, settings.bindPassword == nil {
            problems.append("ITOPS_LDAP_BIND_PASSWORD: required with ITOPS_LDAP_BIND_DN")
        }
        read("ITOPS_LDAP_USER_FILTER") { value throws(ConfigProblem) in
            settings.userFilter = try filterTemplate(value, placeholders: ["username"], required: "username")
        }
        read("ITOPS_LDAP_GROUP_BASE") { value throws(ConfigProblem) in settings.groupBase = value.isEmpty ? nil : value
        }
        read("ITOPS_LDAP_GROUP_FILTER") { value throws(ConfigProblem) in
            settings.groupFilter = try filterTemplate(value, placeholders: ["dn", "username"], required: nil)
        }
        read("ITOPS_LDAP_TIMEOUT") { value throws(ConfigProblem) in
            let timeout = try duration(value)
            guard timeout <= 120 else { throw ConfigProblem("must be at most 2m") }
            settings.timeout = timeout
        }
        read("ITOPS_LDAP_CA_FILE") { value throws(ConfigProblem) in
            guard FileManager.default.isReadableFile(atPath: value) else {
                throw ConfigProblem("'\(value)' is not a readable file")
            }
            settings.caFile = value
        }
        read("ITOPS_LDAP_NAME") { value throws(ConfigProblem) in settings.name = try providerName(value) }
        if settings.groupBase == nil, !roleMap.matchesEveryone {
            problems.append("ITOPS_LDAP_GROUP_BASE: required unless ITOPS_LDAP_ROLE_MAP maps everyone (role=*)")
        }
        config.ldap = settings
    }

    private static func readOIDC(_ values: [String: String], into config: inout Config, problems: inout [String]) {
        let names = values.keys.filter { $0.hasPrefix("ITOPS_OIDC_") }.sorted()
        guard let issuer = values["ITOPS_OIDC_ISSUER"] else {
            for name in names { problems.append("\(name): needs ITOPS_OIDC_ISSUER") }
            return
        }
        var ok = true
        func require(_ name: String, _ example: String) -> String? {
            guard let value = values[name], !value.isEmpty else {
                problems.append("\(name): required with ITOPS_OIDC_ISSUER (e.g. \(example))")
                ok = false
                return nil
            }
            return value
        }
        if !isSafeURL(issuer) {
            problems.append(
                "ITOPS_OIDC_ISSUER: '\(issuer.prefix(128))' must be an https:// URL (http:// only for a loopback address)"
            )
            ok = false
        }
        let clientId = require("ITOPS_OIDC_CLIENT_ID", "itops")
        let redirect = require("ITOPS_OIDC_REDIRECT_URL", "https://itops.example.org/api/v1/auth/oidc/callback")
        if let redirect,
            URL(string: redirect)?.host == nil || !["http", "https"].contains(URL(string: redirect)?.scheme ?? "")
        {
            problems.append("ITOPS_OIDC_REDIRECT_URL: '\(redirect.prefix(128))' is not an absolute http(s) URL")
            ok = false
        }
        var roleMap: RoleMap?
        if let text = require("ITOPS_OIDC_ROLE_MAP", "admin=itops-admins;viewer=*") {
            do throws(RoleMapError) {
                roleMap = try RoleMap.parse(text, distinguishedNames: false)
            } catch {
                problems.append("ITOPS_OIDC_ROLE_MAP: \(error.description)")
            }
        }
        guard ok, let clientId, let redirect, let roleMap else { return }
        var settings = OIDCClient.Settings(issuer: issuer, clientId: clientId, roleMap: roleMap, redirectURL: redirect)
        settings.clientSecret = values["ITOPS_OIDC_CLIENT_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        if let scopes = values["ITOPS_OIDC_SCOPES"] {
            let list = scopes.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
            settings.scopes = (list.contains("openid") ? [] : ["openid"]) + list
        }
        if let claim = values["ITOPS_OIDC_ROLE_CLAIM"] {
            if claim.isEmpty {
                problems.append("ITOPS_OIDC_ROLE_CLAIM: must not be empty")
            } else {
                settings.roleClaim = claim
            }
        }
        if let name = values["ITOPS_OIDC_NAME"] {
            do throws(ConfigProblem) { settings.name = try providerName(name) } catch {
                problems.append("ITOPS_OIDC_NAME: \(error.message)")
            }
        }
        config.oidc = settings
    }

    /// `https://…`, or `http://` to a loopback host (a provider on the same machine, tests).
    static func isSafeURL(_ text: String) -> Bool {
        guard let url = URL(string: text), let host = url.host?.lowercased(), let scheme = url.scheme?.lowercased()
        else {
            return false
        }
        if scheme == "https" { return true }
        return scheme == "http" && (host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]")
    }

    private static func providerName(_ value: String) throws(ConfigProblem) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(trimmed.count) else { throw ConfigProblem("must be 1–64 characters") }
        return trimmed
    }

    /// Checks that `value` parses as a filter once its placeholders are filled.
    private static func filterTemplate(_ value: String, placeholders: [String], required: String?) throws(ConfigProblem)
        -> String
    {
        if let required, !value.contains("{\(required)}") { throw ConfigProblem("must contain {\(required)}") }
        var sample: [String: String] = [:]
        for name in placeholders { sample[name] = "x" }
        do throws(LDAPFilter.ParseError) {
            _ = try LDAPFilter.fill(value, sample)
        } catch {
            throw ConfigProblem("'\(value.prefix(128))' is not an LDAP filter: \(error.description)")
        }
        return value
    }
}
