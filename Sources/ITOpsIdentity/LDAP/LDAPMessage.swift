import SwiftASN1

/// The few LDAPv3 operations ITOps speaks (RFC 4511), encoded and decoded with swift-asn1: simple bind,
/// search, StartTLS and unbind.
enum LDAPMessage {
    /// The StartTLS extended operation's name.
    static let startTLSOID = "1.3.6.1.4.1.1466.20037"

    /// A request's protocol operation.
    enum Request: Sendable {
        case bind(dn: String, password: String)
        case search(base: String, filter: LDAPFilter, attributes: [String], sizeLimit: Int)
        case startTLS
        case unbind
    }

    /// What the server answered to one request.
    enum Response: Sendable, Equatable {
        case bind(LDAPResult)
        case entry(LDAPEntry)
        case reference
        case searchDone(LDAPResult)
        case extended(LDAPResult)
        /// Anything else (an unsolicited notice, an operation ITOps does not use).
        case other(tag: UInt, result: LDAPResult?)
    }

    private static func application(_ number: UInt) -> ASN1Identifier {
        ASN1Identifier(tagWithNumber: number, tagClass: .application)
    }

    /// The whole `LDAPMessage` SEQUENCE of `request` with `id`.
    static func encode(id: Int32, _ request: Request) -> [UInt8] {
        var serializer = DER.Serializer()
        serializer.appendConstructedNode(identifier: .sequence) { message in
            try? message.serialize(Int64(id))
            switch request {
            case .bind(let dn, let password):
                message.appendConstructedNode(identifier: application(0)) { bind in
                    try? bind.serialize(Int64(3))
                    bind.appendOctets(Array(dn.utf8))
                    bind.appendOctets(
                        Array(password.utf8), identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
                }
            case .search(let base, let filter, let attributes, let sizeLimit):
                message.appendConstructedNode(identifier: application(3)) { search in
                    search.appendOctets(Array(base.utf8))
                    search.appendPrimitiveNode(identifier: .enumerated) { $0.append(2) }  // wholeSubtree
                    search.appendPrimitiveNode(identifier: .enumerated) { $0.append(0) }  // neverDerefAliases
                    try? search.serialize(Int64(sizeLimit))
                    try? search.serialize(Int64(0))  // the operation's own timeout is the client's
                    try? search.serialize(false)  // typesOnly
                    filter.serialize(into: &search)
                    search.appendConstructedNode(identifier: .sequence) { list in
                        for attribute in attributes { list.appendOctets(Array(attribute.utf8)) }
                    }
                }
            case .startTLS:
                message.appendConstructedNode(identifier: application(23)) { extended in
                    extended.appendOctets(
                        Array(startTLSOID.utf8),
                        identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
                }
            case .unbind:
                message.appendPrimitiveNode(identifier: application(2)) { _ in }
            }
        }
        return serializer.serializedBytes
    }

    /// The length of the first complete BER element in `bytes`, or `nil` while more bytes are needed.
    /// Throws on a length no LDAP message has (indefinite, or longer than `limit`).
    static func frameLength(_ bytes: ArraySlice<UInt8>, limit: Int) throws(LDAPError) -> Int? {
        guard bytes.count >= 2 else { return nil }
        let first = bytes[bytes.startIndex + 1]
        var header = 2
        var length = Int(first)
        if first & 0x80 != 0 {
            let octets = Int(first & 0x7f)
            guard octets > 0, octets <= 4 else { throw .protocolError("unsupported BER length form from the server") }
            guard bytes.count >= 2 + octets else { return nil }
            length = 0
            for byte in bytes.dropFirst(2).prefix(octets) { length = length << 8 | Int(byte) }
            header += octets
        }
        guard length <= limit else {
            throw .protocolError("a message of \(length) bytes from the server is over the limit")
        }
        return bytes.count >= header + length ? header + length : nil
    }

    /// Decodes one whole `LDAPMessage`: its id and operation.
    static func decode(_ bytes: ArraySlice<UInt8>) throws(LDAPError) -> (id: Int32, response: Response) {
        do {
            let root = try BER.parse(bytes)
            guard root.identifier == .sequence, case .constructed(let children) = root.content else {
                throw LDAPError.protocolError("the server sent something that is not an LDAP message")
            }
            var iterator = children.makeIterator()
            guard let idNode = iterator.next(), let operation = iterator.next() else {
                throw LDAPError.protocolError("an LDAP message without id or operation")
            }
            let id = try Int32(derEncoded: idNode)
            guard operation.identifier.tagClass == .application else {
                throw LDAPError.protocolError("an LDAP message whose operation is not application-tagged")
            }
            let number = operation.identifier.tagNumber
            switch number {
            case 1: return (id, .bind(try result(operation)))
            case 4: return (id, .entry(try entry(operation)))
            case 5: return (id, .searchDone(try result(operation)))
            case 19: return (id, .reference)
            case 24: return (id, .extended(try result(operation)))
            default: return (id, .other(tag: number, result: try? result(operation)))
            }
        } catch let error as LDAPError {
            throw error
        } catch {
            throw .protocolError("undecodable LDAP message from the server: \(error)")
        }
    }

    /// `LDAPResult`: resultCode, matchedDN, diagnosticMessage (the rest is ignored).
    private static func result(_ node: ASN1Node) throws -> LDAPResult {
        guard case .constructed(let children) = node.content else {
            throw LDAPError.protocolError("LDAPResult is not constructed")
        }
        var iterator = children.makeIterator()
        guard let codeNode = iterator.next(), case .primitive(let code) = codeNode.content else {
            throw LDAPError.protocolError("LDAPResult without a result code")
        }
        _ = iterator.next()  // matchedDN
        var message = ""
        if let diagnostic = iterator.next(), case .primitive(let text) = diagnostic.content {
            message = String(decoding: text, as: UTF8.self)
        }
        let value = code.reduce(0) { $0 << 8 | Int($1) }
        return LDAPResult(code: value, message: message)
    }

    /// `SearchResultEntry`: objectName and its attributes with their values.
    private static func entry(_ node: ASN1Node) throws -> LDAPEntry {
        guard case .constructed(let children) = node.content else {
            throw LDAPError.protocolError("entry is not constructed")
        }
        var iterator = children.makeIterator()
        guard let nameNode = iterator.next(), case .primitive(let name) = nameNode.content else {
            throw LDAPError.protocolError("entry without a name")
        }
        var attributes: [String: [String]] = [:]
        if let list = iterator.next(), case .constructed(let partials) = list.content {
            for partial in partials {
                guard case .constructed(let pair) = partial.content else { continue }
                var parts = pair.makeIterator()
                guard let typeNode = parts.next(), case .primitive(let type) = typeNode.content,
                    let valuesNode = parts.next(), case .constructed(let values) = valuesNode.content
                else { continue }
                attributes[String(decoding: type, as: UTF8.self).lowercased()] = values.compactMap { value in
                    guard case .primitive(let bytes) = value.content else { return nil }
                    return String(decoding: bytes, as: UTF8.self)
                }
            }
        }
        return LDAPEntry(dn: String(decoding: name, as: UTF8.self), attributes: attributes)
    }
}

/// An operation's outcome: `code` 0 is success (RFC 4511 §4.1.9).
struct LDAPResult: Sendable, Equatable {
    var code: Int
    var message: String

    static let invalidCredentials = 49
}

/// A search result: the entry's DN and its attributes (names lower-cased).
public struct LDAPEntry: Sendable, Equatable {
    public var dn: String
    public var attributes: [String: [String]]

    /// The first value of `name`.
    public func first(_ name: String) -> String? { attributes[name.lowercased()]?.first }
}

/// Why talking to the directory failed.
public enum LDAPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection (refused, no route, TLS failure) — with the reason.
    case unreachable(String)
    /// The directory did not answer within the configured timeout.
    case timeout(seconds: Double)
    /// The directory refused an operation ITOps needs (the service bind, a search).
    case refused(String)
    /// The directory spoke something that is not LDAPv3 as expected.
    case protocolError(String)

    public var description: String {
        switch self {
        case .unreachable(let reason): "the LDAP server is unreachable: \(reason)"
        case .timeout(let seconds): "the LDAP server did not answer within \(seconds) s"
        case .refused(let reason): "the LDAP server refused: \(reason)"
        case .protocolError(let reason): "LDAP protocol error: \(reason)"
        }
    }
}
