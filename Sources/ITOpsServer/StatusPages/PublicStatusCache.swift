import Foundation
import CompressNIO
import ITOpsCore
import NIOCore
import Synchronization

/// One public answer, rendered once per refresh: its bytes (and gzipped, when that is smaller),
/// type and entity tags (one per content coding, as RFC 9110 asks of strong tags).
struct PublicDocument: Sendable {
    let body: ByteBuffer
    let gzipped: ByteBuffer?
    let contentType: String
    let etag: String

    init(_ text: String, contentType: String) {
        let body = ByteBuffer(string: text)
        var source = body
        let packed = text.utf8.count > 1024 ? try? source.compress(with: .gzip()) : nil
        self.body = body
        gzipped = packed.flatMap { $0.readableBytes < body.readableBytes ? $0 : nil }
        self.contentType = contentType
        etag = "\"" + Secrets.sha256(text).prefix(32) + "\""
    }

    /// The tag of the gzipped representation.
    var gzipETag: String { String(etag.dropLast()) + "-gz\"" }
}

/// Everything public, rendered: each page as HTML, JSON and Atom, and each public group's badges.
struct PublicStatusEdition: Sendable {
    /// By `slug`, `slug.json`, `slug.atom`.
    let pages: [String: PublicDocument]
    /// By `group/status` and `group/uptime/30d`.
    let badges: [String: PublicDocument]
    let builtAt: ContinuousClock.Instant
}

/// The public side of status pages, served from memory: rebuilt at most once per TTL (one rebuild
/// at a time; callers meanwhile get the previous edition), and at once on this instance after an
/// admin changes a page. A page costs a dictionary lookup per request, whatever the fleet's size.
final class PublicStatusCache: Sendable {
    let desk: StatusPageDesk
    let ttl: Duration
    private struct State {
        var edition: PublicStatusEdition?
        var rebuild: Task<PublicStatusEdition, any Error>?
        /// Moved by `invalidate`: a rebuild started before it does not land.
        var generation = 0
    }
    private let state = Mutex(State())

    /// `ITOPS_PUBLIC_URL`: the feed's links are absolute under it.
    let publicURL: String?

    init(desk: StatusPageDesk, ttl: TimeInterval, publicURL: String? = nil) {
        self.desk = desk
        self.publicURL = publicURL
        self.ttl = .milliseconds(Int64(ttl * 1000))
    }

    /// The current edition: fresh, or stale while one rebuild runs; only the first caller (no
    /// edition yet, or just invalidated) waits for the rebuild.
    func edition() async throws -> PublicStatusEdition {
        let now = ContinuousClock.now
        let (current, rebuild) = state.withLock { state -> (PublicStatusEdition?, Task<PublicStatusEdition, any Error>?) in
            if let edition = state.edition, now - edition.builtAt < ttl { return (edition, nil) }
            if state.rebuild == nil {
                let generation = state.generation
                state.rebuild = Task { [self] in
                    do {
                        let edition = try await build()
                        self.state.withLock { state in
                            if state.generation == generation { (state.edition, state.rebuild) = (edition, nil) }
                        }
                        return edition
                    } catch {
                        self.state.withLock { state in if state.generation == generation { state.rebuild = nil } }
                        throw error
                    }
                }
            }
            return (state.edition, state.rebuild)
        }
        if let current { return current }
        guard let rebuild else { throw ITOpsError(.internal, "status page cache has neither an edition nor a rebuild") }
        return try await rebuild.value
    }

    /// Forgets the current edition (after an admin's change on this instance): the next request rebuilds.
    func invalidate() {
        state.withLock { state in
            state.generation += 1
            state.edition = nil
            state.rebuild = nil
        }
    }

    private func build() async throws -> PublicStatusEdition {
        let pages = try await desk.pages()
        let snapshot = try await desk.snapshot(groups: pages.reduce(into: Set<String>()) { $0.formUnion($1.groupNames) })
        var documents: [String: PublicDocument] = [:]
        for page in pages {
            let view = PublicStatusView(page: page, snapshot: snapshot)
            documents[page.slug] = PublicDocument(view.html(), contentType: "text/html; charset=utf-8")
            documents[page.slug + ".json"] = PublicDocument(view.json(), contentType: "application/json; charset=utf-8")
            documents[page.slug + ".atom"] = PublicDocument(
                view.atom(baseURL: publicURL), contentType: "application/atom+xml; charset=utf-8")
        }
        var badges: [String: PublicDocument] = [:]
        for (name, group) in snapshot.groups {
            badges[name + "/status"] = PublicDocument(Badge.status(group.state), contentType: Badge.contentType)
            for period in Badge.periods {
                badges[name + "/uptime/" + period.key] = PublicDocument(
                    Badge.uptime(group.uptime(lastDays: period.days), label: "uptime \(period.key)"),
                    contentType: Badge.contentType)
            }
        }
        return PublicStatusEdition(pages: documents, badges: badges, builtAt: .now)
    }
}
