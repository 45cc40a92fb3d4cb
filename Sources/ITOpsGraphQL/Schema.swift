import Foundation
import GraphQL
import Graphiti
import ITOpsCore

/// The ITOps GraphQL API: schema built once, executed per request.
public struct ITOpsAPI: Sendable {
    let resolver = Resolver()
    let schema: Schema<Resolver, GraphQLContext>

    public init() throws {
        schema = try Schema.create(from: Self.partials)
    }

    /// Every part of the schema; a feature adds its own `PartialSchema` here.
    static var partials: [PartialSchema<Resolver, GraphQLContext>] {
        [
            authSchema, inventorySchema, licenseSchema, accessSchema, subscriptionSchema, slaSchema, outboundSchema,
            ticketSchema, auditSchema, storageSchema, statusPageSchema, notificationSchema, signInSchema,
        ]
    }
}

/// Turns errors into the codes of SPEC §11 and hides internals.
enum GraphQLErrorMapping {
    static func map(_ result: GraphQLResult) -> GraphQLResult {
        guard !result.errors.isEmpty else { return result }
        let errors = result.errors.map { error -> GraphQLError in
            let (code, message) = classify(error)
            return GraphQLError(
                message: message, locations: error.locations, path: error.path, extensions: ["code": .string(code)])
        }
        return GraphQLResult(data: result.data, errors: errors)
    }

    static func classify(_ error: GraphQLError) -> (code: String, message: String) {
        guard let original = error.originalError else {
            // Parse and validation errors carry no original error; their message is for the client.
            return ("GRAPHQL_VALIDATION_FAILED", error.message)
        }
        if let limit = original as? GraphQLExecutor.LimitError { return (limit.code, limit.message) }
        if let domain = original as? ITOpsError {
            switch domain.code {
            case .unauthenticated: return ("UNAUTHENTICATED", domain.message)
            case .forbidden: return ("FORBIDDEN", domain.message)
            case .pluginNotLicensed: return ("PLUGIN_NOT_LICENSED", domain.message)
            case .malformed, .invalid, .payloadTooLarge, .unsupportedMediaType:
                return ("BAD_USER_INPUT", domain.message)
            case .notFound: return ("NOT_FOUND", domain.message)
            case .conflict: return ("CONFLICT", domain.message)
            case .rateLimited: return ("RATE_LIMITED", domain.message)
            case .unavailable: return ("SERVICE_UNAVAILABLE", domain.message)
            case .internal: return ("INTERNAL_SERVER_ERROR", "internal error")
            }
        }
        if original is DecodingError {
            return ("BAD_USER_INPUT", "invalid argument: \(error.message)")
        }
        return ("INTERNAL_SERVER_ERROR", "internal error")
    }
}
