import Foundation

/// A domain error: a machine-readable code and a message fit to show a user.
///
/// Only the server module maps a code to an HTTP status or a GraphQL `extensions.code`;
/// the core never speaks HTTP.
public struct ITOpsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in the vocabulary of the API.
    public enum Code: String, Sendable, Equatable {
        /// The request could not be read (malformed JSON, wrong type): HTTP 400.
        case malformed
        /// The request was read but breaks a rule (bad node path, used > allocated): HTTP 422.
        case invalid
        case notFound
        case conflict
        case unauthenticated
        case forbidden
        /// A plugin's feature without a license or trial for it: HTTP 403, GraphQL `PLUGIN_NOT_LICENSED`.
        case pluginNotLicensed
        case payloadTooLarge
        case unsupportedMediaType
        case rateLimited
        /// A dependency (the database) is not answering: HTTP 503.
        case unavailable
        case `internal`
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func malformed(_ message: String) -> ITOpsError { .init(.malformed, message) }
    public static func invalid(_ message: String) -> ITOpsError { .init(.invalid, message) }
    public static func notFound(_ message: String) -> ITOpsError { .init(.notFound, message) }
    public static func unauthenticated(_ message: String = "authentication required") -> ITOpsError {
        .init(.unauthenticated, message)
    }
    public static func forbidden(_ message: String) -> ITOpsError { .init(.forbidden, message) }
}
