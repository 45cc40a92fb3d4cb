import Foundation
import HTTPTypes
import Hummingbird
import ITOpsCore
import NIOCore

/// `GET /api/v1/audit/export?from=&to=`: the audit trail as JSON lines, oldest first, for an admin (a SIEM
/// pulls it). Plugin `audit`.
struct AuditRoutes {
    let runtime: ITOpsRuntime
    let auth: Authenticator

    func add(to router: Router<AppRequestContext>) {
        let store = runtime.store
        router.group("api/v1/audit", requiring: .audit, gate: runtime.license, auth: auth).get("export") { request, context in
            _ = try await auth.require(.admin, request)
            let from = try Self.instant(request.uri.queryParameters.get("from"), field: "from")
            let to = try Self.instant(request.uri.queryParameters.get("to"), field: "to")
            if let from, let to, from >= to { throw ITOpsError.invalid("to: must be after from") }
            let reader = try store.reader.auditReader()
            var headers = HTTPFields()
            headers[.contentType] = "application/x-ndjson; charset=utf-8"
            let body = ResponseBody { writer in
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                var next = Int64.min
                while true {
                    let page = try await reader.auditEntries(fromSeq: next, limit: 500)
                    var buffer = ByteBuffer()
                    for entry in page {
                        if let from, entry.at < from { continue }
                        if let to, entry.at >= to { continue }
                        buffer.writeBytes(try encoder.encode(entry))
                        buffer.writeInteger(UInt8(ascii: "\n"))
                    }
                    if buffer.readableBytes > 0 { try await writer.write(buffer) }
                    guard page.count == 500, let last = page.last else { break }
                    next = last.seq + 1
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: headers, body: body)
        }
    }

    static func instant(_ text: String?, field: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = ISO8601.parse(text) else {
            throw ITOpsError.invalid("\(field): must be an ISO 8601 timestamp like 2026-04-20T00:00:00Z")
        }
        return date
    }
}

/// Appends one audit entry per state-changing request of an admin route group (`POST`, `PUT`, `PATCH`,
/// `DELETE`): method and route, outcome, actor, client and request id. Bodies are never recorded, so no
/// secret they carry can reach the trail. Refused credentials are recorded by `Authenticator.require`.
///
/// Mounted only on admin groups (license, templates, SLA windows and reports): agent pushes are not audited.
struct AuditMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let runtime: ITOpsRuntime
    let auth: Authenticator
    /// What the routes of the group act on.
    let targetType: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard request.method != .get, request.method != .head, runtime.audit.isRecording else {
            return try await next(request, context)
        }
        do {
            let response = try await next(request, context)
            await record(request, context, status: Int(response.status.code), error: nil)
            return response
        } catch let error as ITOpsError where error.code == .unauthenticated || error.code == .forbidden {
            throw error
        } catch {
            let message = (error as? ITOpsError)?.message ?? "request failed"
            await record(request, context, status: nil, error: message)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int?, error: String?) async {
        let principal = try? await auth.principal(of: request)
        var summary: [String: String] = ["method": request.method.rawValue, "path": request.uri.path]
        if let status { summary["status"] = String(status) }
        if let error { summary["error"] = String(error.prefix(256)) }
        let json = (try? JSONEncoder().encode(summary)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let ok = error == nil && (status ?? 500) < 400
        await runtime.audit.record(
            AuditDraft(
                principal: principal, action: "\(request.method.rawValue) \(request.uri.path)", targetType: targetType,
                summary: json, outcome: ok ? .success : .failure, client: context.clientAddress,
                requestId: context.logger[metadataKey: "request_id"].map { "\($0)" }))
    }
}
