import Foundation
import HTTPTypes
import Hummingbird
import ITOpsCore
import NIOCore

/// `GET /api/v1/templates/export` and `POST /api/v1/templates/import` of the reference.
///
/// Templates change what the installation calls and expects, so both need the admin role (an admin JWT or
/// an API key created with the admin role); operator keys get 403.
struct TemplateRoutes {
    let runtime: ITOpsRuntime
    let auth: Authenticator

    struct ImportJSON: Decodable {
        var yaml: String
        var dryRun: Bool?
    }

    struct Change: Encodable {
        var kind: String
        var name: String
        var outcome: String
    }

    struct ImportResponse: Encodable {
        var success = true
        var dryRun: Bool
        var created: Int
        var updated: Int
        var unchanged: Int
        var changes: [Change]
    }

    func add(to router: Router<AppRequestContext>) {
        let outbound = runtime.outbound
        let group = router.group("api/v1/templates")
            .add(middleware: AuditMiddleware(runtime: runtime, auth: auth, targetType: "templates"))
        group.get("export") { request, _ in
            _ = try await auth.require(.admin, request)
            var kinds: [TemplateKind] = []
            if let text = request.uri.queryParameters.get("kinds") {
                for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                    guard let kind = TemplateKind(rawValue: name) else {
                        throw ITOpsError.invalid(
                            "kinds: '\(name.prefix(64))' is not one of \(TemplateKind.allowedSpellings)")
                    }
                    kinds.append(kind)
                }
            }
            let yaml = try await outbound.exportTemplates(kinds: kinds)
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: yaml)))
        }
        group.post("import") { request, context in
            _ = try await auth.require(.admin, request)
            var request = request
            var dryRun = try Self.flag(request.uri.queryParameters.get("dryRun"))
            let yaml: String
            let contentType = request.headers[.contentType]?.lowercased() ?? ""
            if contentType.hasPrefix("application/json") {
                let body = try await request.decodeJSON(ImportJSON.self, context: context)
                yaml = body.yaml
                dryRun = body.dryRun ?? dryRun
            } else if contentType.isEmpty || ["yaml", "text/plain"].contains(where: { contentType.contains($0) }) {
                let buffer = try await request.collectBody(upTo: context.maxUploadSize)
                yaml = String(buffer: buffer)
            } else {
                throw ITOpsError(.unsupportedMediaType, "Content-Type must be application/yaml or application/json")
            }
            guard !yaml.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ITOpsError.malformed("request body is empty; send a YAML document")
            }
            let result = try await outbound.importTemplates(yaml: yaml, dryRun: dryRun)
            return try jsonResponse(
                ImportResponse(
                    dryRun: result.dryRun, created: result.changes.filter { $0.outcome == .created }.count,
                    updated: result.changes.filter { $0.outcome == .updated }.count,
                    unchanged: result.changes.filter { $0.outcome == .unchanged }.count,
                    changes: result.changes.map {
                        Change(kind: $0.kind.rawValue, name: $0.name, outcome: $0.outcome.rawValue)
                    }))
        }
    }

    static func flag(_ text: String?) throws -> Bool {
        switch text?.lowercased() {
        case nil, "", "false", "0": return false
        case "true", "1": return true
        default: throw ITOpsError.invalid("dryRun: must be true or false")
        }
    }
}
