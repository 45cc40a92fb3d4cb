import Foundation
import HTTPTypes
import ITOpsCore
import ITOpsServer
import Testing

/// Two public groups (one service named, one left unnamed) and one private group, on nodes whose
/// paths must never reach the public.
private let inventory = """
    {"nodeId": "acme/zone-west/k8s-alpha", "services": [
      {"name": "checkout-api", "status": "OPERATIONAL", "slaGroup": "payments"},
      {"name": "ledger-db-primary", "status": "OPERATIONAL", "slaGroup": "payments"},
      {"name": "search-indexer", "status": "OPERATIONAL", "slaGroup": "search"},
      {"name": "vault-unsealer", "status": "OPERATIONAL", "slaGroup": "internal-secrets"}],
     "slaGroups": [{"name": "payments", "tier": "critical"}, {"name": "search", "tier": "medium"},
                   {"name": "internal-secrets", "tier": "high"}]}
    """

/// Words that belong to the private side: node path segments, unnamed services, the private group
/// and an exclusion window's reason.
private let privateWords = [
    "zone-west", "k8s-alpha", "ledger-db-primary", "search-indexer", "vault-unsealer", "internal-secrets",
    "rotating-credentials-xyz", "checkout-api",
]

private let createPage = """
    mutation($input: StatusPageInput!) { createStatusPage(input: $input) { id slug url groups { slaGroup label services { label } } } }
    """

private func service(_ app: TestApp, _ name: String) async throws -> String {
    try #require(
        try await app.runtime.store.reader.service(nodeId: NodePath(validating: "acme/zone-west/k8s-alpha"), name: name)
    ).id.uuidString.lowercased()
}

private func pageInput(_ app: TestApp, slug: String = "acme") async throws -> String {
    let checkout = try await service(app, "checkout-api")
    return """
        {"input": {"slug": "\(slug)", "title": "Acme Cloud", "description": "Live status of Acme's public services.",
          "groups": [{"slaGroup": "payments", "label": "Payments", "services": [{"serviceId": "\(checkout)", "label": "Checkout"}]},
                     {"slaGroup": "search"}]}}
        """
}

private func report(_ client: Client, _ name: String, _ status: String) async throws {
    let response = try await client.post(
        "/api/v1/health/report",
        "{\"service\": \"\(name)\", \"nodeId\": \"acme/zone-west/k8s-alpha\", \"status\": \"\(status)\"}")
    #expect(response.status == .ok, "\(response.text)")
}

@Suite("Public status pages")
struct StatusPageTests {
    @Test("an admin publishes groups; the page, its JSON, feed and badges show them, and 304 on a match", arguments: TestBackend.all)
    func publishAndServe(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let admin = try await app.adminKey()
        try await app.run { (client: Client) async throws in
            #expect(try await client.post("/api/v1/operator/status", inventory).status == .ok)
            let created = try await client.graphQL(createPage, variables: try await pageInput(app), token: admin)
            let page = try #require(created.data?["createStatusPage"] as? [String: Any], "\(created.text)")
            #expect(page["url"] as? String == "/status/acme")
            let groups = try #require(page["groups"] as? [[String: Any]])
            #expect(groups.map { $0["label"] as? String } == ["Payments", "search"])

            // Two hours in, checkout is down for the last 30 minutes: an open incident, a partial outage.
            app.clock.advance(by: 5400)
            try await report(client, "checkout-api", "DOWN")
            app.clock.advance(by: 1800)

            let html = try await client.get("/status/acme", key: nil)
            #expect(html.status == .ok)
            #expect(html.headers[.contentType] == "text/html; charset=utf-8")
            let csp = try #require(html.headers[HTTPField.Name("Content-Security-Policy")!])
            #expect(csp.contains("default-src 'none'") && !csp.contains("script-src"))
            #expect(html.headers[.cacheControl] == "public, max-age=30")
            #expect(!html.text.contains("<script"))
            #expect(html.text.contains("<h1>Acme Cloud</h1>"))
            #expect(html.text.contains("Partial outage"))
            #expect(html.text.contains("Payments · Checkout"), "the named service is shown under its label")
            // Bars: the 89 days before the services existed are one grey run, today its own bar.
            #expect(html.text.contains("<title>2026-01-21 – 2026-04-19: no data</title>"))
            #expect(html.text.contains("class=\"bar major\"><title>2026-04-20: 75.00% uptime</title>"))
            #expect(html.text.contains("class=\"bar ok\"><title>2026-04-20: 100.00% uptime</title>"))

            let zipped = try await client.request(.get, "/status/acme", key: nil, headers: [.acceptEncoding: "gzip, br"])
            #expect(zipped.headers[.contentEncoding] == "gzip")
            #expect(zipped.headers[.vary] == "Accept-Encoding")
            #expect(zipped.headers[.eTag] != html.headers[.eTag])
            #expect(html.text.contains("Ongoing incidents"))

            let etag = try #require(html.headers[.eTag])
            let again = try await client.request(.get, "/status/acme", key: nil, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)

            let json = try await client.get("/status/acme.json", key: nil)
            #expect(json.status == .ok)
            #expect(json.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == "*")
            #expect(json["status"] as? String == "PARTIAL_OUTAGE")
            let jsonGroups = try #require(json["groups"] as? [[String: Any]])
            #expect(jsonGroups.count == 2)
            #expect(jsonGroups[0]["status"] as? String == "PARTIAL_OUTAGE")
            #expect(jsonGroups[1]["status"] as? String == "OPERATIONAL")
            #expect((jsonGroups[0]["days"] as? [[String: Any]])?.count == StatusPageDesk.days)
            #expect((jsonGroups[0]["services"] as? [[String: Any]])?.first?["status"] as? String == "MAJOR_OUTAGE")
            let incidents = try #require(json["incidents"] as? [[String: Any]])
            #expect(incidents.count == 1)
            #expect(incidents.first?["where"] as? String == "Payments · Checkout")
            #expect(incidents.first?["resolvedAt"] is NSNull)

            let atom = try await client.get("/status/acme.atom", key: nil)
            #expect(atom.headers[.contentType] == "application/atom+xml; charset=utf-8")
            #expect(atom.text.hasPrefix("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"))
            #expect(atom.text.contains("<title>Ongoing: Payments · Checkout</title>"))
            #expect(atom.text.contains("<published>2026-04-20T01:30:00Z</published>"))

            // Badges: a group is down while any member is: 30 of today's 120 minutes → 75 %.
            let uptime = try await client.get("/api/v1/badges/payments/uptime.svg?period=1d", key: nil)
            #expect(uptime.status == .ok)
            #expect(uptime.headers[.contentType] == "image/svg+xml; charset=utf-8")
            #expect(uptime.text.contains(">75.00%</text>"), "\(uptime.text)")
            let status = try await client.get("/api/v1/badges/search/status.svg", key: nil)
            #expect(status.text.contains(">operational</text>"))
            let badPeriod = try await client.get("/api/v1/badges/payments/uptime.svg?period=2y", key: nil)
            #expect(badPeriod.status == .unprocessableContent)
            #expect(badPeriod.error?.hasPrefix("period:") == true)
            #expect(try await client.get("/api/v1/badges/payments/other.svg", key: nil).status == .notFound)
            #expect(try await client.get("/status/nobody", key: nil).status == .notFound)
        }
    }

    @Test("nothing private leaks: other groups, unnamed services, node paths, window reasons", arguments: TestBackend.all)
    func nothingLeaks(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let admin = try await app.adminKey()
        try await app.run { (client: Client) async throws in
            #expect(try await client.post("/api/v1/operator/status", inventory).status == .ok)
            #expect(
                try await client.graphQL(createPage, variables: try await pageInput(app), token: admin).data?[
                    "createStatusPage"] is [String: Any])
            app.clock.advance(by: 600)
            // Incidents and maintenance on unnamed and private services, a window with a reason.
            try await report(client, "ledger-db-primary", "DOWN")
            try await report(client, "vault-unsealer", "DOWN")
            let window = try await client.post(
                "/api/v1/sla/exclusion-window/start",
                "{\"service\": \"search-indexer\", \"nodeId\": \"acme/zone-west/k8s-alpha\", \"reason\": \"rotating-credentials-xyz\"}"
            )
            #expect(window.status == .created, "\(window.text)")
            app.clock.advance(by: 600)
            try await report(client, "ledger-db-primary", "OPERATIONAL")
            app.clock.advance(by: 60)

            var bodies: [String: String] = [:]
            for path in [
                "/status/acme", "/status/acme.json", "/status/acme.atom", "/api/v1/badges/payments/status.svg",
                "/api/v1/badges/payments/uptime.svg?period=90d", "/api/v1/badges/search/status.svg",
            ] {
                let response = try await client.get(path, key: nil)
                #expect(response.status == .ok, "\(path): \(response.text)")
                bodies[path] = response.text
            }
            // The public side knew about the incident and the maintenance, just not their names.
            #expect(bodies["/status/acme"]?.contains("Maintenance in progress") == true)
            #expect(bodies["/status/acme.atom"]?.contains("<title>Resolved: Payments</title>") == true)
            for (path, body) in bodies {
                for word in privateWords {
                    #expect(!body.contains(word), "\(path) shows '\(word)'")
                }
            }
            for path in ["/api/v1/badges/internal-secrets/status.svg", "/api/v1/badges/internal-secrets/uptime.svg"] {
                let response = try await client.get(path, key: nil)
                #expect(response.status == .notFound)
                #expect(response.error == "group: no public SLA group 'internal-secrets'")
            }
        }
    }

    @Test("validation names the field; only admins publish; slugs are unique", arguments: TestBackend.all)
    func validation(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let admin = try await app.adminKey()
        try await app.run { (client: Client) async throws in
            #expect(try await client.post("/api/v1/operator/status", inventory).status == .ok)
            let good = try await pageInput(app)
            let byOperator = try await client.graphQL(createPage, variables: good, token: operatorKey)
            #expect(byOperator.errorCode == "FORBIDDEN")
            #expect(try await client.graphQL(createPage, variables: good, token: admin).data?["createStatusPage"] is [String: Any])
            let duplicate = try await client.graphQL(createPage, variables: good, token: admin)
            #expect(duplicate.errorCode == "CONFLICT", "\(duplicate.text)")
            #expect(duplicate.errorMessage?.hasPrefix("slug:") == true)

            let searchService = try await service(app, "search-indexer")
            let cases: [(String, String)] = [
                ("{\"input\": {\"slug\": \"Bad Slug!\", \"title\": \"t\", \"groups\": [{\"slaGroup\": \"search\"}]}}", "input.slug:"),
                ("{\"input\": {\"slug\": \"x\", \"title\": \" \", \"groups\": [{\"slaGroup\": \"search\"}]}}", "input.title:"),
                ("{\"input\": {\"slug\": \"x\", \"title\": \"t\", \"groups\": []}}", "input.groups:"),
                ("{\"input\": {\"slug\": \"x\", \"title\": \"t\", \"groups\": [{\"slaGroup\": \"nope\"}]}}", "input.groups[0].slaGroup:"),
                (
                    "{\"input\": {\"slug\": \"x\", \"title\": \"t\", \"groups\": [{\"slaGroup\": \"search\"}, {\"slaGroup\": \"search\"}]}}",
                    "input.groups[1].slaGroup:"
                ),
                (
                    "{\"input\": {\"slug\": \"x\", \"title\": \"t\", \"groups\": [{\"slaGroup\": \"payments\", \"services\": [{\"serviceId\": \"\(searchService)\", \"label\": \"S\"}]}]}}",
                    "input.groups[0].services[0].serviceId:"
                ),
                (
                    "{\"input\": {\"slug\": \"x\", \"title\": \"t\", \"groups\": [{\"slaGroup\": \"search\", \"label\": \"a\\nb\"}]}}",
                    "input.groups[0].label:"
                ),
                (
                    "{\"input\": {\"slug\": \"x\", \"title\": \"t\", \"groups\": [{\"slaGroup\": \"search\", \"services\": [{\"serviceId\": \"nope\", \"label\": \"S\"}]}]}}",
                    "input.groups[0].services[0].serviceId:"
                ),
            ]
            for (variables, field) in cases {
                let response = try await client.graphQL(createPage, variables: variables, token: admin)
                #expect(response.errorCode == "INVALID_INPUT" || response.errorCode == "BAD_USER_INPUT", "\(response.text)")
                #expect(response.errorMessage?.hasPrefix(field) == true, "\(field): \(response.text)")
            }
            let list = try await client.graphQL("{ statusPages { slug title } }", token: operatorKey)
            #expect((list.data?["statusPages"] as? [[String: Any]])?.map { $0["slug"] as? String } == ["acme"])
        }
    }

    @Test("a change by an admin shows at once; the fleet's changes within the TTL; unlicensed is a 404", arguments: TestBackend.all)
    func freshness(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend) {
            $0.statusPageTTL = 1
            $0.publicURL = "https://status.example.com/"
        }
        let admin = try await app.adminKey()
        try await app.run { (client: Client) async throws in
            #expect(try await client.post("/api/v1/operator/status", inventory).status == .ok)
            let created = try await client.graphQL(createPage, variables: try await pageInput(app), token: admin)
            let id = try #require((created.data?["createStatusPage"] as? [String: Any])?["id"] as? String)
            #expect(try await client.get("/status/acme.json", key: nil)["status"] as? String == "OPERATIONAL")
            let feed = try await client.get("/status/acme.atom", key: nil)
            #expect(feed.text.contains("<link rel=\"self\" href=\"https://status.example.com/status/acme.atom\"/>"))

            try await report(client, "search-indexer", "DEGRADED")
            // Served from memory until the TTL (1 s here) passes.
            #expect(try await client.get("/status/acme.json", key: nil)["status"] as? String == "OPERATIONAL")
            try await Task.sleep(for: .milliseconds(1100))
            _ = try await client.get("/status/acme.json", key: nil)  // stale answer; starts the rebuild
            var seen: String?
            for _ in 0..<50 {
                seen = try await client.get("/status/acme.json", key: nil)["status"] as? String
                if seen == "DEGRADED" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(seen == "DEGRADED")

            let renamed = try await client.graphQL(
                "mutation($id: String!) { updateStatusPage(id: $id, input: {slug: \"acme-status\", title: \"Acme\", groups: [{slaGroup: \"search\", label: \"Find\"}]}) { slug } }",
                variables: "{\"id\": \"\(id)\"}", token: admin)
            #expect((renamed.data?["updateStatusPage"] as? [String: Any])?["slug"] as? String == "acme-status", "\(renamed.text)")
            #expect(try await client.get("/status/acme", key: nil).status == .notFound)
            let moved = try await client.get("/status/acme-status.json", key: nil)
            #expect((moved["groups"] as? [[String: Any]])?.map { $0["label"] as? String } == ["Find"])
            #expect(try await client.get("/api/v1/badges/payments/status.svg", key: nil).status == .notFound)

            let deleted = try await client.graphQL(
                "mutation($id: String!) { deleteStatusPage(id: $id) }", variables: "{\"id\": \"\(id)\"}", token: admin)
            #expect(deleted.data?["deleteStatusPage"] as? Bool == true)
            #expect(try await client.get("/status/acme-status", key: nil).status == .notFound)
        }
        let unlicensed = try await TestApp.make(backend) { $0.trialDays = 0 }
        try await unlicensed.run { (client: Client) async throws in
            #expect(try await client.get("/status/acme", key: nil).status == .notFound)
            #expect(try await client.get("/api/v1/badges/payments/status.svg", key: nil).status == .notFound)
        }
    }

    @Test("a group's public state: all down is a major outage, some a partial one; unknown members do not colour it")
    func combinedState() {
        #expect(PublicState.combined([.operational, .majorOutage]) == .partialOutage)
        #expect(PublicState.combined([.majorOutage, .majorOutage, .maintenance]) == .majorOutage)
        #expect(PublicState.combined([.operational, .unknown]) == .operational)
        #expect(PublicState.combined([.unknown, .unknown]) == .unknown)
        #expect(PublicState.combined([.operational, .degraded, .maintenance]) == .degraded)
        #expect(PublicState.combined([.maintenance, .operational]) == .maintenance)
        #expect(PublicState.combined([]) == .unknown)
        #expect(PublicState.worst([.operational, .maintenance, .partialOutage]) == .partialOutage)
    }
}
