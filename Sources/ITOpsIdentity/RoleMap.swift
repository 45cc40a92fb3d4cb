import Foundation
import ITOpsCore

/// Which directory groups (LDAP group DNs) or claim values (OIDC) give which ITOps role.
///
/// Written `role=value;role=value…` (`ITOPS_LDAP_ROLE_MAP`, `ITOPS_OIDC_ROLE_MAP`): the role comes
/// first and ends at the first `=`, so a value may itself contain `=` (every DN does); entries are
/// separated by `;`. A role may be listed several times. The value `*` matches everyone the provider
/// lets in. A person matching several entries gets the highest role; one matching none is refused.
public struct RoleMap: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var role: Role
        public var value: String
    }

    public var entries: [Entry]
    /// Whether values compare as LDAP DNs (case and spaces around `,` and `=` ignored).
    public var distinguishedNames: Bool

    /// Parses `text`; the error names the entry at fault.
    public static func parse(_ text: String, distinguishedNames: Bool) throws(RoleMapError) -> RoleMap {
        var entries: [Entry] = []
        for raw in text.split(separator: ";") {
            let item = raw.trimmingCharacters(in: .whitespaces)
            if item.isEmpty { continue }
            guard let equals = item.firstIndex(of: "="),
                let role = Role(rawValue: String(item[..<equals]).trimmingCharacters(in: .whitespaces).lowercased())
            else {
                throw RoleMapError(
                    description: "'\(item.prefix(80))' is not role=value (role: admin, operator or viewer)")
            }
            let value = String(item[item.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty else { throw RoleMapError(description: "'\(item.prefix(80))' has no value after '='") }
            entries.append(Entry(role: role, value: distinguishedNames ? Self.normalizeDN(value) : value))
        }
        guard !entries.isEmpty else { throw RoleMapError(description: "at least one role=value entry is needed") }
        return RoleMap(entries: entries, distinguishedNames: distinguishedNames)
    }

    /// The highest role any of `values` maps to; `nil` when none does.
    public func role(for values: [String]) -> Role? {
        let given = Set(values.map { distinguishedNames ? Self.normalizeDN($0) : $0 })
        return entries.filter { $0.value == "*" || given.contains($0.value) }.map(\.role).max()
    }

    /// Whether only `*` entries exist (no group look-up needed).
    public var matchesEveryone: Bool { entries.contains { $0.value == "*" } }

    /// A DN in a comparable spelling: lower case, no spaces around `,`, `=` and `+`.
    public static func normalizeDN(_ dn: String) -> String {
        var out = ""
        var pendingSpace = false
        for character in dn.lowercased() {
            if character == " " {
                pendingSpace = true
                continue
            }
            if ",=+".contains(character) {
                pendingSpace = false
                while out.last == " " { out.removeLast() }
                out.append(character)
                continue
            }
            if pendingSpace, let last = out.last, !",=+".contains(last) { out.append(" ") }
            pendingSpace = false
            out.append(character)
        }
        return out
    }
}

/// A role map that does not parse.
public struct RoleMapError: Error, Sendable, CustomStringConvertible {
    public let description: String
}
