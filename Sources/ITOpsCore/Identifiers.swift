import Foundation

/// A node in the service hierarchy: `myorg/platform/prod/cluster1`.
///
/// 1–8 segments of `[A-Za-z0-9._-]`, joined by `/`, at most 255 characters.
/// Every prefix is a node of its own.
public struct NodePath: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The node that holds what arrives without a `nodeId`; flagged in every view.
    public static let unknown = NodePath(unchecked: "unknown")
    public static let maxLength = 255
    public static let maxSegments = 8

    public let value: String

    private init(unchecked value: String) { self.value = value }

    /// Validates `text` as a node path; the error names `field`.
    public init(validating text: String, field: String = "nodeId") throws(ITOpsError) {
        guard !text.isEmpty else { throw .invalid("\(field): must not be empty") }
        guard text.utf8.count <= Self.maxLength else {
            throw .invalid("\(field): must be at most \(Self.maxLength) characters")
        }
        let segments = text.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count <= Self.maxSegments else {
            throw .invalid("\(field): must have at most \(Self.maxSegments) segments")
        }
        for segment in segments {
            guard !segment.isEmpty, segment.utf8.allSatisfy(Identifier.isAllowed) else {
                throw .invalid(
                    "\(field): '\(text)' is not a node path (segments of [A-Za-z0-9._-] joined by '/')"
                )
            }
        }
        self.value = text
    }

    /// The segments, root first.
    public var segments: [Substring] { value.split(separator: "/") }

    /// This node and every ancestor, root first: `a`, `a/b`, `a/b/c`.
    public var chain: [NodePath] {
        var result: [NodePath] = []
        var prefix = ""
        for segment in segments {
            prefix = prefix.isEmpty ? String(segment) : prefix + "/" + segment
            result.append(NodePath(unchecked: prefix))
        }
        return result
    }

    /// The parent node, or `nil` for a root.
    public var parent: NodePath? {
        guard let slash = value.lastIndex(of: "/") else { return nil }
        return NodePath(unchecked: String(value[..<slash]))
    }

    /// The last segment.
    public var name: String { String(segments.last ?? "") }

    /// Whether `node` is this node or below it, segment-wise (`a/b` covers `a/b/c`, not `a/bc`).
    public func covers(_ node: NodePath) -> Bool {
        node.value == value || node.value.hasPrefix(value + "/")
    }

    public var depth: Int { segments.count }
    public var description: String { value }
    public static func < (lhs: NodePath, rhs: NodePath) -> Bool { lhs.value < rhs.value }

    /// Reads a path that came from the store, which only holds validated paths.
    public static func stored(_ value: String) -> NodePath { NodePath(unchecked: value) }
}

/// Validation of names: services, SLA groups, namespaces.
public enum Identifier {
    public static let maxServiceNameLength = 128

    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    /// Checks a name of 1–`maxLength` characters of `[A-Za-z0-9._-]`; the error names `field`.
    public static func validateName(_ text: String, field: String, maxLength: Int = maxServiceNameLength)
        throws(ITOpsError)
    {
        guard !text.isEmpty, text.utf8.count <= maxLength, text.utf8.allSatisfy(isAllowed) else {
            throw .invalid("\(field): '\(text.prefix(140))' must be 1–\(maxLength) characters of [A-Za-z0-9._-]")
        }
    }
}

extension UUID {
    /// Parses the 36-character form (`8-4-4-4-12` hex digits, either case), as the store keeps ids.
    /// `UUID(uuidString:)` goes through `sscanf` on Linux, which was 14 % of the server's CPU while
    /// dashboards read every service and transition (a profile of Benchmarks/mixed.sh).
    public init?(parsing text: String) {
        var text = text
        let parsed: uuid_t? = text.withUTF8 { bytes -> uuid_t? in
            guard bytes.count == 36, bytes[8] == 0x2D, bytes[13] == 0x2D, bytes[18] == 0x2D, bytes[23] == 0x2D
            else { return nil }
            var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            let ok = withUnsafeMutableBytes(of: &uuid) { out -> Bool in
                var index = 0
                var byte = 0
                while index < 36 {
                    if index == 8 || index == 13 || index == 18 || index == 23 { index += 1 }
                    guard let high = Self.nibble(bytes[index]), let low = Self.nibble(bytes[index + 1]) else {
                        return false
                    }
                    out[byte] = high << 4 | low
                    byte += 1
                    index += 2
                }
                return true
            }
            return ok ? uuid : nil
        }
        guard let parsed else { return nil }
        self.init(uuid: parsed)
    }

    @inline(__always)
    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x57
        case 0x41...0x46: c - 0x37
        default: nil
        }
    }
}
