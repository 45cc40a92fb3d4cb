import Foundation
import SwiftASN1

/// An LDAP search filter (RFC 4515 string form) and its BER encoding (RFC 4511 §4.5.1.7).
///
/// Filters come from configuration as templates such as `(&(objectClass=person)(uid={username}))`;
/// the values put into them are escaped with ``escape(_:)`` first, so a user name can never add a
/// clause of its own.
public indirect enum LDAPFilter: Sendable, Equatable {
    case and([LDAPFilter])
    case or([LDAPFilter])
    case not(LDAPFilter)
    case equal(String, [UInt8])
    case substrings(String, initial: [UInt8]?, any: [[UInt8]], final: [UInt8]?)
    case greaterOrEqual(String, [UInt8])
    case lessOrEqual(String, [UInt8])
    case present(String)
    case approx(String, [UInt8])

    /// A filter string that does not parse.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// `value` escaped for use inside a filter (RFC 4515 §3): `*`, `(`, `)`, `\` and NUL become `\2a`,
    /// `\28`, `\29`, `\5c` and `\00`. Every other byte stands for itself.
    public static func escape(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "*": out += "\\2a"
            case "(": out += "\\28"
            case ")": out += "\\29"
            case "\\": out += "\\5c"
            case "\u{0}": out += "\\00"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `template` with each `{name}` replaced by the escaped value of `values[name]`, then parsed.
    public static func fill(_ template: String, _ values: [String: String]) throws(ParseError) -> LDAPFilter {
        var text = template
        for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: escape(value)) }
        return try parse(text)
    }

    /// Parses the string form; a filter without enclosing parentheses (`uid=x`) is accepted too.
    public static func parse(_ text: String) throws(ParseError) -> LDAPFilter {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var parser = Parser(bytes: Array((trimmed.hasPrefix("(") ? trimmed : "(\(trimmed))").utf8))
        let filter = try parser.filter(depth: 0)
        guard parser.index == parser.bytes.count else { throw ParseError(description: "text after the filter's end") }
        return filter
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func expect(_ byte: UInt8) throws(ParseError) {
            guard index < bytes.count, bytes[index] == byte else {
                throw ParseError(description: "expected '\(Character(UnicodeScalar(byte)))' at offset \(index)")
            }
            index += 1
        }

        mutating func filter(depth: Int) throws(ParseError) -> LDAPFilter {
            guard depth < 32 else { throw ParseError(description: "filter nested too deeply") }
            try expect(UInt8(ascii: "("))
            guard index < bytes.count else { throw ParseError(description: "unexpected end of filter") }
            let result: LDAPFilter
            switch bytes[index] {
            case UInt8(ascii: "&"):
                index += 1
                result = .and(try list(depth: depth))
            case UInt8(ascii: "|"):
                index += 1
                result = .or(try list(depth: depth))
            case UInt8(ascii: "!"):
                index += 1
                result = .not(try filter(depth: depth + 1))
            default:
                result = try item()
            }
            try expect(UInt8(ascii: ")"))
            return result
        }

        mutating func list(depth: Int) throws(ParseError) -> [LDAPFilter] {
            var filters: [LDAPFilter] = []
            while index < bytes.count, bytes[index] == UInt8(ascii: "(") {
                filters.append(try filter(depth: depth + 1))
            }
            guard !filters.isEmpty else {
                throw ParseError(description: "'&' or '|' without filters at offset \(index)")
            }
            return filters
        }

        mutating func item() throws(ParseError) -> LDAPFilter {
            let start = index
            while index < bytes.count, !"=<>~()".utf8.contains(bytes[index]) { index += 1 }
            let attribute = String(decoding: bytes[start..<index], as: UTF8.self)
            guard !attribute.isEmpty, attribute.utf8.allSatisfy({ Self.isAttributeByte($0) }) else {
                throw ParseError(description: "'\(attribute)' is not an attribute description")
            }
            guard index < bytes.count else { throw ParseError(description: "unexpected end of filter") }
            let kind = bytes[index]
            if kind == UInt8(ascii: "<") || kind == UInt8(ascii: ">") || kind == UInt8(ascii: "~") {
                index += 1
                try expect(UInt8(ascii: "="))
            } else if kind == UInt8(ascii: "=") {
                index += 1
            } else {
                throw ParseError(description: "expected '=' after '\(attribute)'")
            }
            if kind == UInt8(ascii: "=") {
                // Split the raw value at unescaped '*' into substring parts.
                var parts: [[UInt8]] = [[]]
                while index < bytes.count, bytes[index] != UInt8(ascii: ")") {
                    if bytes[index] == UInt8(ascii: "*") {
                        parts.append([])
                        index += 1
                    } else {
                        parts[parts.count - 1].append(try valueByte())
                    }
                }
                if parts.count == 1 { return .equal(attribute, parts[0]) }
                if parts.count == 2, parts[0].isEmpty, parts[1].isEmpty { return .present(attribute) }
                let middle = parts.dropFirst().dropLast()
                guard !middle.contains(where: \.isEmpty) else {
                    throw ParseError(description: "'**' in a filter value")
                }
                return .substrings(
                    attribute, initial: parts[0].isEmpty ? nil : parts[0], any: Array(middle),
                    final: parts[parts.count - 1].isEmpty ? nil : parts[parts.count - 1])
            }
            var value: [UInt8] = []
            while index < bytes.count, bytes[index] != UInt8(ascii: ")") {
                guard bytes[index] != UInt8(ascii: "*") else {
                    throw ParseError(description: "'*' in an ordering filter")
                }
                value.append(try valueByte())
            }
            switch kind {
            case UInt8(ascii: ">"): return .greaterOrEqual(attribute, value)
            case UInt8(ascii: "<"): return .lessOrEqual(attribute, value)
            default: return .approx(attribute, value)
            }
        }

        /// One byte of a value: `\XX` is a hex escape; `(` and NUL may not appear unescaped.
        mutating func valueByte() throws(ParseError) -> UInt8 {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                guard index + 2 < bytes.count, let high = Self.hex(bytes[index + 1]),
                    let low = Self.hex(bytes[index + 2])
                else { throw ParseError(description: "bad escape at offset \(index)") }
                index += 3
                return high << 4 | low
            }
            guard byte != UInt8(ascii: "("), byte != 0 else {
                throw ParseError(description: "unescaped '(' in a filter value at offset \(index)")
            }
            index += 1
            return byte
        }

        static func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }

        static func isAttributeByte(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ";")
        }
    }

    /// Appends the BER encoding (context-specific tags 0–8 of the `Filter` CHOICE).
    func serialize(into serializer: inout DER.Serializer) {
        func tag(_ number: UInt) -> ASN1Identifier { ASN1Identifier(tagWithNumber: number, tagClass: .contextSpecific) }
        func assertion(_ number: UInt, _ attribute: String, _ value: [UInt8]) {
            serializer.appendConstructedNode(identifier: tag(number)) { inner in
                inner.appendOctets(Array(attribute.utf8))
                inner.appendOctets(value)
            }
        }
        switch self {
        case .and(let filters):
            serializer.appendConstructedNode(identifier: tag(0)) { inner in
                for f in filters { f.serialize(into: &inner) }
            }
        case .or(let filters):
            serializer.appendConstructedNode(identifier: tag(1)) { inner in
                for f in filters { f.serialize(into: &inner) }
            }
        case .not(let filter):
            serializer.appendConstructedNode(identifier: tag(2)) { inner in filter.serialize(into: &inner) }
        case .equal(let attribute, let value): assertion(3, attribute, value)
        case .substrings(let attribute, let initial, let middle, let final):
            serializer.appendConstructedNode(identifier: tag(4)) { inner in
                inner.appendOctets(Array(attribute.utf8))
                inner.appendConstructedNode(identifier: .sequence) { parts in
                    if let initial { parts.appendOctets(initial, identifier: tag(0)) }
                    for part in middle { parts.appendOctets(part, identifier: tag(1)) }
                    if let final { parts.appendOctets(final, identifier: tag(2)) }
                }
            }
        case .greaterOrEqual(let attribute, let value): assertion(5, attribute, value)
        case .lessOrEqual(let attribute, let value): assertion(6, attribute, value)
        case .present(let attribute): serializer.appendOctets(Array(attribute.utf8), identifier: tag(7))
        case .approx(let attribute, let value): assertion(8, attribute, value)
        }
    }
}

extension DER.Serializer {
    /// An OCTET STRING (or an implicitly tagged one) holding `bytes`.
    mutating func appendOctets(_ bytes: [UInt8], identifier: ASN1Identifier = .octetString) {
        appendPrimitiveNode(identifier: identifier) { $0.append(contentsOf: bytes) }
    }
}
