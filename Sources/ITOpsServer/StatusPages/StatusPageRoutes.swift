import Foundation
import HTTPTypes
import Hummingbird
import ITOpsCore
import NIOCore

extension HTTPField.Name {
    static let accessControlAllowOrigin = Self("Access-Control-Allow-Origin")!
}

/// The public side of status pages, without authentication: `/status/{slug}` (HTML, complete
/// without JavaScript), `/status/{slug}.json`, `/status/{slug}.atom`, and the badges
/// `/api/v1/badges/{group}/status.svg` and `…/uptime.svg?period=30d` of groups on a page. All of
/// it comes from `PublicStatusCache`; a group on no page, or an unknown slug, is a plain 404
/// that says no more than that. Behind the `sla` plugin: unlicensed, every page is a 404.
struct StatusPageRoutes {
    let runtime: ITOpsRuntime

    /// The page's CSP: its own stylesheet, nothing else; no scripts at all.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    func add(to router: Router<AppRequestContext>) {
        for head in [false, true] {
            let page: @Sendable (Request, AppRequestContext) async throws -> Response = { request, context in
                try await servePage(context.parameters.require("page"), request, head: head)
            }
            let badge: @Sendable (Request, AppRequestContext) async throws -> Response = { request, context in
                try await serveBadge(
                    group: context.parameters.require("group"), file: context.parameters.require("badge"), request,
                    head: head)
            }
            if head {
                router.head("status/:page", use: page)
                router.head("api/v1/badges/:group/:badge", use: badge)
            } else {
                router.get("status/:page", use: page)
                router.get("api/v1/badges/:group/:badge", use: badge)
            }
        }
    }

    private func edition() async throws -> PublicStatusEdition {
        guard runtime.license.isEnabled(.sla) else { throw ITOpsError.notFound("no status page here") }
        return try await runtime.statusPageCache.edition()
    }

    func servePage(_ name: String, _ request: Request, head: Bool) async throws -> Response {
        let key = name.lowercased()
        guard let document = try await edition().pages[key] else {
            throw ITOpsError.notFound("no status page at /status/\(Markup.escape(String(name.prefix(80))))")
        }
        var headers = headers(for: document)
        if key.hasSuffix(".json") {
            headers[.accessControlAllowOrigin] = "*"
        } else if !key.hasSuffix(".atom") {
            headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
            headers[.xFrameOptions] = "DENY"
        }
        return respond(document, headers: headers, request: request, head: head)
    }

    func serveBadge(group: String, file: String, _ request: Request, head: Bool) async throws -> Response {
        let key: String
        switch file {
        case "status.svg": key = group + "/status"
        case "uptime.svg":
            let period = request.uri.queryParameters.get("period") ?? "30d"
            guard Badge.periods.contains(where: { $0.key == period }) else {
                throw ITOpsError.invalid(
                    "period: '\(period.prefix(16))' is not one of \(Badge.periods.map(\.key).joined(separator: ", "))")
            }
            key = group + "/uptime/" + period
        default:
            throw ITOpsError.notFound("badge: '\(file.prefix(32))' is not status.svg or uptime.svg")
        }
        guard let document = try await edition().badges[key] else {
            throw ITOpsError.notFound("group: no public SLA group '\(group.prefix(80))'")
        }
        var headers = headers(for: document)
        headers[.contentSecurityPolicy] = "default-src 'none'"
        return respond(document, headers: headers, request: request, head: head)
    }

    private func headers(for document: PublicDocument) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = document.contentType
        headers[.cacheControl] = "public, max-age=\(Int(runtime.config.statusPageTTL))"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "no-referrer"
        return headers
    }

    /// 304 when the client's copy is current; the gzipped bytes to clients that accept them.
    private func respond(_ document: PublicDocument, headers: HTTPFields, request: Request, head: Bool) -> Response {
        var headers = headers
        var body = document.body
        var etag = document.etag
        if let gzipped = document.gzipped {
            headers[.vary] = "Accept-Encoding"
            if ConsoleRoutes.acceptsGzip(request.headers[values: .acceptEncoding]) {
                headers[.contentEncoding] = "gzip"
                (body, etag) = (gzipped, document.gzipETag)
            }
        }
        headers[.eTag] = etag
        if ConsoleRoutes.matches(request.headers[values: .ifNoneMatch], etag: etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentLength] = String(body.readableBytes)
        if head { return Response(status: .ok, headers: headers) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}
