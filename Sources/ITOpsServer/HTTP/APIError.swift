import Foundation
import HTTPTypes
import Hummingbird
import ITOpsCore
import Logging
import NIOCore

/// The JSON error body of every REST endpoint: `{"success": false, "error": "…"}`.
struct ErrorBody: Codable {
    var success = false
    var error: String
}

extension ITOpsError.Code {
    /// The HTTP status of SPEC §10 for each domain code.
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .malformed: .badRequest
        case .invalid: .unprocessableContent
        case .notFound: .notFound
        case .conflict: .conflict
        case .unauthenticated: .unauthorized
        case .forbidden, .pluginNotLicensed: .forbidden
        case .payloadTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .rateLimited: .tooManyRequests
        case .unavailable: .serviceUnavailable
        case .internal: .internalServerError
        }
    }
}

/// A JSON response with the given status.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try JSONCoding.encoder.encode(value)
    var headers = HTTPFields()
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// The error response for `error`, with internals hidden behind a generic 500.
func errorResponse(for error: any Error, logger: Logger) -> Response {
    let domain: ITOpsError
    switch error {
    case let error as ITOpsError:
        domain = error
    case is NIOTooManyBytesError:
        domain = ITOpsError(.payloadTooLarge, "request body exceeds 1 MiB")
    case let error as HTTPError:
        let code: ITOpsError.Code =
            switch error.status {
            case .notFound: .notFound
            case .methodNotAllowed, .badRequest: .malformed
            case .contentTooLarge: .payloadTooLarge
            case .unauthorized: .unauthenticated
            default: .internal
            }
        domain = ITOpsError(code, error.body ?? error.status.reasonPhrase.lowercased())
        if code == .internal { logger.error("unexpected HTTP error", metadata: ["error": "\(error)"]) }
    default:
        logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
        domain = ITOpsError(.internal, "internal error")
    }
    let message = domain.code == .internal ? "internal error" : domain.message
    let body = (try? JSONCoding.encoder.encode(ErrorBody(error: message))) ?? Data()
    var headers = HTTPFields()
    headers[.contentType] = "application/json; charset=utf-8"
    if domain.code == .unauthenticated { headers[.wwwAuthenticate] = "Bearer" }
    return Response(
        status: domain.code.httpStatus, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
}

/// Shared JSON coders: made once, not per request.
enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
    static let decoder = JSONDecoder()
}

/// Reads a JSON request body into `T`, answering 400/413/415 with the offending field named.
extension Request {
    mutating func decodeJSON<T: Decodable>(_ type: T.Type, context: AppRequestContext) async throws -> T {
        if let contentType = headers[.contentType]?.lowercased(), !contentType.hasPrefix("application/json") {
            throw ITOpsError(.unsupportedMediaType, "Content-Type must be application/json")
        }
        let buffer = try await collectBody(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { throw ITOpsError.malformed("request body is empty; send a JSON object") }
        let data = Data(buffer: buffer)
        do {
            return try JSONCoding.decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
                let field = Self.fractionalOrHugeNumber(in: data)
            {
                // Foundation reports a number that does not fit an integer field as invalid JSON
                // without a path; the JSON is valid, so name the number that cannot be an integer.
                throw ITOpsError.malformed("\(field): expected an integer")
            }
            throw ITOpsError.malformed(Self.describe(error))
        }
    }

    /// The path of the first number in valid JSON `data` that is fractional or beyond Int64.
    static func fractionalOrHugeNumber(in data: Data) -> String? {
        guard let root = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
        func walk(_ value: Any, _ path: String) -> String? {
            switch value {
            case let object as [String: Any]:
                for key in object.keys.sorted() {
                    if let found = walk(object[key]!, path.isEmpty ? key : "\(path).\(key)") { return found }
                }
            case let array as [Any]:
                for (index, element) in array.enumerated() {
                    if let found = walk(element, "\(path)[\(index)]") { return found }
                }
            case let number as NSNumber where !(value is Bool):
                let double = number.doubleValue
                if double.rounded() != double || abs(double) >= 9.2e18 { return path }
            default:
                break
            }
            return nil
        }
        return walk(root, "")
    }

    /// A message naming the field: `services[0].status: must be one of …`.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text
        }
        switch error {
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            if field.isEmpty { return "request body must be a JSON object" }
            return "\(field): expected \(Self.jsonTypeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(Self.jsonTypeName(type)), got null"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): is required"
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field.isEmpty { return "request body is not valid JSON" }
            return "\(field): \(context.debugDescription)"
        @unknown default:
            return "request body could not be read"
        }
    }

    static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        case is [Any].Type: "an array"
        default: type is any Collection.Type ? "an array" : "an object"
        }
    }
}
