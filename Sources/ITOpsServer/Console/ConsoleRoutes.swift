import Foundation
import HTTPTypes
import Hummingbird
import ITOpsCore
import NIOCore

extension HTTPField.Name {
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let crossOriginOpenerPolicy = Self("Cross-Origin-Opener-Policy")!
    static let permissionsPolicy = Self("Permissions-Policy")!
}

/// The operations console: `index.html` at `/`, its other files under `/console/`. Every answer
/// carries the console's Content-Security-Policy; files are validated by ETag and sent gzipped
/// to clients that accept it. The API routes are untouched: the console is only these paths.
struct ConsoleRoutes {
    /// Scripts, styles, images and connections from this origin only; nothing inline, no frames,
    /// no plugins. `connect-src 'self'` covers `ws:`/`wss:` to this origin (CSP Level 3), so the
    /// live socket works without allowing sockets to anywhere else.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    func add(to router: Router<AppRequestContext>) {
        router.get("/") { request, _ in try Self.serve("index.html", request) }
        router.head("/") { request, _ in try Self.serve("index.html", request, head: true) }
        router.get("console/**") { request, context in
            try Self.serve(context.parameters.getCatchAll().joined(separator: "/"), request)
        }
        router.head("console/**") { request, context in
            try Self.serve(context.parameters.getCatchAll().joined(separator: "/"), request, head: true)
        }
    }

    /// The answer for the asset at `path`: 200 (gzipped when accepted), 304 when the client's copy
    /// is current, a JSON 404 for anything not shipped.
    static func serve(_ path: String, _ request: Request, head: Bool = false) throws -> Response {
        guard let asset = ConsoleAssets.asset(path) else {
            throw ITOpsError.notFound("no console file at /console/\(path.prefix(128))")
        }
        var headers = HTTPFields()
        headers[.contentType] = asset.contentType
        headers[.eTag] = asset.etag
        // Revalidate on every load: a 304 costs a round trip on loopback, and an upgraded server
        // never runs with an old script cached next to a new one.
        headers[.cacheControl] = "no-cache"
        headers[.vary] = "Accept-Encoding"
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[.xFrameOptions] = "DENY"
        headers[.referrerPolicy] = "no-referrer"
        headers[.crossOriginOpenerPolicy] = "same-origin"
        headers[.permissionsPolicy] = "camera=(), microphone=(), geolocation=()"
        if matches(request.headers[values: .ifNoneMatch], etag: asset.etag) {
            return Response(status: .notModified, headers: headers)
        }
        var body = asset.body
        if !asset.gzipped.isEmpty, asset.gzipped.count < asset.body.count,
            acceptsGzip(request.headers[values: .acceptEncoding])
        {
            headers[.contentEncoding] = "gzip"
            body = asset.gzipped
        }
        headers[.contentLength] = String(body.count)
        if head { return Response(status: .ok, headers: headers) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// `If-None-Match` lists `etag` (weak comparison, as RFC 9110 asks for GET) or is `*`.
    static func matches(_ values: [String], etag: String) -> Bool {
        for value in values {
            for candidate in value.split(separator: ",") {
                var tag = candidate.trimmingCharacters(in: .whitespaces)
                if tag == "*" { return true }
                if tag.hasPrefix("W/") { tag.removeFirst(2) }
                if tag == etag { return true }
            }
        }
        return false
    }

    /// `Accept-Encoding` names `gzip` (or `*`) without `q=0`.
    static func acceptsGzip(_ values: [String]) -> Bool {
        var gzip: Bool?
        var star: Bool?
        for value in values {
            for item in value.split(separator: ",") {
                let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                guard let coding = parts.first else { continue }
                let q = parts.dropFirst().first { $0.hasPrefix("q=") }.map { Double($0.dropFirst(2)) ?? 1 } ?? 1
                let zero = q <= 0
                if coding == "gzip" || coding == "x-gzip" { gzip = !zero } else if coding == "*" { star = !zero }
            }
        }
        return gzip ?? star ?? false
    }
}
