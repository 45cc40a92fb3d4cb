import Foundation
import HTTPTypes
import ITOpsCore
import ITOpsServer
import Testing

/// The operations console as served by the real router: files, caching, compression, CSP, and
/// the API around it untouched.
@Suite("Console serving")
struct ConsoleServingTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Every file under Console/, by path.
    static func sourceFiles() throws -> [String: String] {
        let base = root.appendingPathComponent("Console")
        var files: [String: String] = [:]
        let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { continue }
            let path = String(url.standardizedFileURL.path.dropFirst(base.standardizedFileURL.path.count + 1))
            files[path] = try String(contentsOf: url, encoding: .utf8)
        }
        return files
    }

    @Test("the embedded files are Console/ as committed; regenerate with scripts/embed-console.py")
    func embeddedMatchesSources() throws {
        let files = try Self.sourceFiles()
        #expect(!files.isEmpty)
        #expect(
            Set(files.keys) == Set(ConsoleAssets.all.keys),
            "Console/ and the embedded files differ: run scripts/embed-console.py")
        for (path, text) in files {
            #expect(
                ConsoleAssets.asset(path)?.body == Array(text.utf8),
                "\(path) changed since it was embedded: run scripts/embed-console.py")
        }
    }

    @Test("no inline script, style or handler anywhere; data goes into the DOM as text, never as markup")
    func noInlineCode() throws {
        for (path, text) in try Self.sourceFiles() {
            if path.hasSuffix(".html") {
                #expect(!text.contains("<script>"), "\(path): inline script")
                #expect(!text.contains("style="), "\(path): inline style")
                #expect(text.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil, "\(path): inline handler")
                for match in text.ranges(of: "<script") {
                    let tag = text[match.lowerBound...].prefix { $0 != ">" }
                    #expect(tag.contains("src=\"/console/"), "\(path): \(tag)")
                }
            }
            if path.hasSuffix(".js") {
                for risky in ["innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function", "document.write"] {
                    #expect(!text.contains(risky), "\(path) uses \(risky)")
                }
                #expect(!text.contains("localStorage"), "\(path): tokens never go to localStorage")
            }
        }
    }

    @Test("/ and /console/* answer with their content type, ETag, Cache-Control and the CSP")
    func serves() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let index = try await client.get("/", key: nil)
            #expect(index.status == .ok)
            #expect(index.headers[.contentType] == "text/html; charset=utf-8")
            #expect(index.text.contains("<script type=\"module\" src=\"/console/js/app.js\"></script>"))
            let csp = try #require(index.headers[HTTPField.Name("Content-Security-Policy")!])
            #expect(csp.contains("default-src 'self'"))
            #expect(csp.contains("script-src 'self';"))
            #expect(csp.contains("connect-src 'self'"))
            #expect(csp.contains("frame-ancestors 'none'"))
            #expect(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"))
            #expect(index.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(index.headers[.cacheControl] == "no-cache")
            let etag = try #require(index.headers[.eTag])
            #expect(etag.hasPrefix("\"") && etag.count == 34)

            let head = try await client.request(.head, "/", key: nil)
            #expect(head.status == .ok && head.text.isEmpty)
            #expect(head.headers[.contentLength] == String(index.text.utf8.count))
            #expect(head.headers[.eTag] == etag)

            for (path, type) in [
                ("/console/js/app.js", "text/javascript; charset=utf-8"), ("/console/app.css", "text/css; charset=utf-8"),
                ("/console/icon.svg", "image/svg+xml"), ("/console/index.html", "text/html; charset=utf-8"),
            ] {
                let response = try await client.get(path, key: nil)
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers[.contentType] == type, "\(path)")
                #expect(response.headers[HTTPField.Name("Content-Security-Policy")!] != nil, "\(path)")
            }
        }
    }

    @Test("If-None-Match with the current ETag answers 304 without a body; another ETag gets the file")
    func conditional() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let first = try await client.get("/console/js/api.js", key: nil)
            let etag = try #require(first.headers[.eTag])
            for sent in [etag, "W/\(etag)", "\"other\", \(etag)", "*"] {
                let again = try await client.request(.get, "/console/js/api.js", key: nil, headers: [.ifNoneMatch: sent])
                #expect(again.status == .notModified, "If-None-Match: \(sent)")
                #expect(again.text.isEmpty)
                #expect(again.headers[.eTag] == etag)
            }
            let stale = try await client.request(.get, "/console/js/api.js", key: nil, headers: [.ifNoneMatch: "\"stale\""])
            #expect(stale.status == .ok)
            #expect(stale.text == first.text)
        }
    }

    @Test("gzip when the client accepts it (and only then); the compressed body is the file")
    func gzip() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            let plain = try await client.get("/console/js/app.js", key: nil)
            #expect(plain.headers[.contentEncoding] == nil)
            #expect(plain.headers[.vary] == "Accept-Encoding")
            let zipped = try await client.raw.execute(
                uri: "/console/js/app.js", method: .get, headers: [.acceptEncoding: "br;q=1.0, gzip;q=0.8, *;q=0.1"],
                body: nil)
            #expect(zipped.headers[.contentEncoding] == "gzip")
            let bytes = Array(zipped.body.readableBytesView)
            #expect(bytes.count < plain.text.utf8.count)
            #expect(bytes.prefix(2) == [0x1f, 0x8b])
            #expect(try gunzip(bytes) == plain.text)
            for refused in ["gzip;q=0", "identity", "br"] {
                let response = try await client.request(
                    .get, "/console/js/app.js", key: nil, headers: [.acceptEncoding: refused])
                #expect(response.headers[.contentEncoding] == nil, "Accept-Encoding: \(refused)")
                #expect(response.text == plain.text)
            }
        }
    }

    @Test("unknown files are a JSON 404; the API around the console answers as before")
    func apiUnaffected() async throws {
        let app = try await TestApp.make()
        try await app.run { client in
            for path in ["/console/nope.js", "/console/../Package.swift", "/console/%2e%2e/Package.swift", "/console/"] {
                let missing = try await client.get(path, key: nil)
                #expect(missing.status == .notFound, "\(path)")
                #expect(missing["success"] as? Bool == false, "\(path): \(missing.text)")
                #expect(!missing.text.contains("<html"), "\(path)")
            }
            let health = try await client.get("/health", key: nil)
            #expect(health["status"] as? String == "ok")
            #expect(health.headers[HTTPField.Name("Content-Security-Policy")!] == nil)
            let providers = try await client.get("/api/v1/auth/providers", key: nil)
            #expect(providers.status == .ok && providers["success"] as? Bool == true)
            let unknownAPI = try await client.get("/api/v1/nope", key: nil)
            #expect(unknownAPI.status == .notFound)
            #expect(!unknownAPI.text.contains("<html"))
            let graphQL = try await client.graphQL("{ __typename }")
            #expect(graphQL.data?["__typename"] as? String == "Query")
        }
    }
}

/// Decompresses with the system's gzip: the test checks the bytes a browser would inflate.
func gunzip(_ bytes: [UInt8]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["gzip", "-dc"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.runSerially()
    input.fileHandleForWriting.write(Data(bytes))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

/// The GraphQL reads the Storage and Backups screens stand on, on every backend.
@Suite("Console GraphQL reads")
struct ConsoleQueryTests {
    static func storage(_ client: Client, _ service: String, node: String = "acme/db", used: Int64) async throws {
        let response = try await client.post(
            "/api/v1/storage/report",
            "{\"service\": \"\(service)\", \"nodeId\": \"\(node)\", \"allocatedBytes\": 10000000000, \"usedBytes\": \(used), \"storageType\": \"pvc\", \"mountPath\": \"/data\"}"
        )
        #expect(response.status == .ok, "\(response.text)")
    }

    @Test("storageVolumes pages storage services with their latest report; storageSummary counts states", arguments: TestBackend.all)
    func volumes(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { client in
            let token = try await adminToken(app, client)
            try await Self.storage(client, "pg", used: 1_000_000_000)
            app.clock.advance(by: 60)
            try await Self.storage(client, "pg", used: 8_000_000_000)
            app.clock.advance(by: 60)
            try await Self.storage(client, "pg", used: 9_500_000_000)
            try await Self.storage(client, "redis", node: "acme/cache", used: 2_000_000_000)
            _ = try await client.post(
                "/api/v1/health/report", "{\"service\": \"web\", \"nodeId\": \"acme/web\", \"status\": \"OPERATIONAL\"}")

            let query = """
                query($after: String, $filter: StorageFilter) {
                  storageVolumes(first: 1, after: $after, filter: $filter) { totalCount pageInfo { hasNextPage endCursor }
                    edges { node { service { name nodeId } current { state freePercent usedPercent allocatedBytes usedBytes freeBytes storageType mountPath } } } }
                  storageSummary(filter: $filter) { volumes healthy warning critical unreported } }
                """
            let first = try await client.graphQL(query, token: token)
            let page = try #require(first.data?["storageVolumes"] as? [String: Any], "\(first.text)")
            #expect(page["totalCount"] as? Int == 2)
            let edges = try #require(page["edges"] as? [[String: Any]])
            let node = try #require(edges.first?["node"] as? [String: Any])
            #expect((node["service"] as? [String: Any])?["name"] as? String == "redis")  // acme/cache < acme/db
            let info = try #require(page["pageInfo"] as? [String: Any])
            #expect(info["hasNextPage"] as? Bool == true)
            let summary = try #require(first.data?["storageSummary"] as? [String: Any])
            #expect(summary["volumes"] as? Int == 2)
            #expect(summary["critical"] as? Int == 1)
            #expect(summary["healthy"] as? Int == 1)
            #expect(summary["warning"] as? Int == 0)

            let cursor = try #require(info["endCursor"] as? String)
            let second = try await client.graphQL(query, variables: "{\"after\": \(jsonString(cursor))}", token: token)
            let pg = try #require(
                ((second.data?["storageVolumes"] as? [String: Any])?["edges"] as? [[String: Any]])?.first?["node"]
                    as? [String: Any], "\(second.text)")
            let current = try #require(pg["current"] as? [String: Any])
            #expect(current["state"] as? String == "critical")  // the latest of three reports
            #expect(current["freePercent"] as? Int == 5)
            #expect(current["usedPercent"] as? Double == 95)
            #expect(current["allocatedBytes"] as? Double == 10_000_000_000)
            #expect(current["freeBytes"] as? Double == 500_000_000)
            #expect(current["mountPath"] as? String == "/data")

            let filtered = try await client.graphQL(
                query, variables: "{\"filter\": {\"nodeId\": \"acme/db\"}}", token: token)
            #expect((filtered.data?["storageVolumes"] as? [String: Any])?["totalCount"] as? Int == 1)
            #expect((filtered.data?["storageSummary"] as? [String: Any])?["critical"] as? Int == 1)
            #expect((filtered.data?["storageSummary"] as? [String: Any])?["healthy"] as? Int == 0)
        }
    }

    @Test("storageHistory is newest first, by keyset pages, and names the argument it refuses", arguments: TestBackend.all)
    func history(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { client in
            let token = try await adminToken(app, client)
            for used in [1, 2, 3] as [Int64] {
                try await Self.storage(client, "pg", used: used * 1_000_000_000)
                app.clock.advance(by: 300)
            }
            let listed = try await client.graphQL("{ storageVolumes { edges { node { service { id } } } } }", token: token)
            let id = try #require(
                (((listed.data?["storageVolumes"] as? [String: Any])?["edges"] as? [[String: Any]])?.first?["node"]
                    as? [String: Any]).flatMap { ($0["service"] as? [String: Any])?["id"] as? String })
            let query =
                "query($id: String!, $after: String) { storageHistory(serviceId: $id, first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { usedBytes reportedAt } } } }"
            let first = try await client.graphQL(query, variables: "{\"id\": \"\(id)\"}", token: token)
            let page = try #require(first.data?["storageHistory"] as? [String: Any], "\(first.text)")
            #expect(page["totalCount"] as? Int == 3)
            let used = (page["edges"] as? [[String: Any]] ?? []).compactMap { ($0["node"] as? [String: Any])?["usedBytes"] as? Double }
            #expect(used == [3_000_000_000, 2_000_000_000])
            let cursor = try #require((page["pageInfo"] as? [String: Any])?["endCursor"] as? String)
            let second = try await client.graphQL(
                query, variables: "{\"id\": \"\(id)\", \"after\": \(jsonString(cursor))}", token: token)
            let rest = try #require(second.data?["storageHistory"] as? [String: Any], "\(second.text)")
            #expect((rest["edges"] as? [[String: Any]])?.count == 1)
            #expect((rest["pageInfo"] as? [String: Any])?["hasNextPage"] as? Bool == false)

            for (variables, field) in [
                ("{\"id\": \"nope\"}", "serviceId:"), ("{\"id\": \"\(id)\", \"after\": \"bm9wZQ==\"}", "after:"),
            ] {
                let refused = try await client.graphQL(query, variables: variables, token: token)
                #expect(refused.errorCode == "BAD_USER_INPUT", "\(refused.text)")
                #expect(refused.errorMessage?.hasPrefix(field) == true, "\(refused.text)")
            }
            let tooMany = try await client.graphQL(
                "{ storageVolumes(first: 501) { totalCount } }", token: token)
            #expect(tooMany.errorMessage?.hasPrefix("first:") == true)
            let anonymous = try await client.graphQL("{ storageSummary { volumes } }")
            #expect(anonymous.errorCode == "UNAUTHENTICATED")
        }
    }

    @Test("backupServices lists services expecting backups, overdue first, by keyset pages", arguments: TestBackend.all)
    func backups(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { client in
            for name in ["a-db", "b-db", "c-db"] { try await BackupTests.register(client, name) }
            try await BackupTests.register(client, "web", expected: false)
            app.clock.advance(by: 86_400 + 1)
            for name in ["a-db", "c-db"] {
                _ = try await client.post("/api/v1/backup/report", "{\"service\": \"\(name)\", \"nodeId\": \"c1\", \"status\": \"success\"}")
            }
            _ = try await app.runtime.ingest.sweep()  // b-db is now overdue
            let token = try await adminToken(app, client)
            let query =
                "query($after: String, $o: Boolean) { backupServices(first: 2, after: $after, overdueOnly: $o) { totalCount pageInfo { hasNextPage endCursor } edges { node { name backupStatus { backupOverdue } } } } }"
            var names: [String] = []
            var after: String?
            repeat {
                let variables = after.map { "{\"after\": \(jsonString($0))}" } ?? "{}"
                let response = try await client.graphQL(query, variables: variables, token: token)
                let page = try #require(response.data?["backupServices"] as? [String: Any], "\(response.text)")
                #expect(page["totalCount"] as? Int == 3)
                names += (page["edges"] as? [[String: Any]] ?? []).compactMap { ($0["node"] as? [String: Any])?["name"] as? String }
                let info = page["pageInfo"] as? [String: Any]
                after = info?["hasNextPage"] as? Bool == true ? info?["endCursor"] as? String : nil
            } while after != nil
            #expect(names == ["b-db", "a-db", "c-db"])
            let overdue = try await client.graphQL(query, variables: "{\"o\": true}", token: token)
            #expect((overdue.data?["backupServices"] as? [String: Any])?["totalCount"] as? Int == 1)
            let refused = try await client.graphQL(query, variables: "{\"after\": \"eA==\"}", token: token)
            #expect(refused.errorMessage?.hasPrefix("after:") == true, "\(refused.text)")
        }
    }

    @Test("serviceHistory pages a service's status changes newest first", arguments: TestBackend.all)
    func statusHistory(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { client in
            let token = try await adminToken(app, client)
            var id = ""
            for status in ["OPERATIONAL", "DOWN", "OPERATIONAL"] {
                let pushed = try await client.post(
                    "/api/v1/health/report",
                    "{\"service\": \"api\", \"nodeId\": \"acme/web\", \"status\": \"\(status)\", \"message\": \"now \(status)\"}")
                id = try #require(pushed["serviceId"] as? String, "\(pushed.text)")
                app.clock.advance(by: 60)
            }
            let query =
                "query($id: String!, $after: String) { serviceHistory(serviceId: $id, first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { from to at message } } } }"
            let first = try await client.graphQL(query, variables: "{\"id\": \"\(id)\"}", token: token)
            let page = try #require(first.data?["serviceHistory"] as? [String: Any], "\(first.text)")
            #expect(page["totalCount"] as? Int == 3)
            let nodes = (page["edges"] as? [[String: Any]] ?? []).compactMap { $0["node"] as? [String: Any] }
            #expect(nodes.map { $0["to"] as? String } == ["OPERATIONAL", "DOWN"])
            #expect(nodes.first?["from"] as? String == "DOWN")
            #expect(nodes.first?["message"] as? String == "now OPERATIONAL")
            let cursor = try #require((page["pageInfo"] as? [String: Any])?["endCursor"] as? String)
            let second = try await client.graphQL(
                query, variables: "{\"id\": \"\(id)\", \"after\": \(jsonString(cursor))}", token: token)
            let rest = try #require(second.data?["serviceHistory"] as? [String: Any], "\(second.text)")
            let last = (rest["edges"] as? [[String: Any]] ?? []).compactMap { $0["node"] as? [String: Any] }
            #expect(last.count == 1)
            #expect(last.first?["from"] is NSNull)
            #expect((rest["pageInfo"] as? [String: Any])?["hasNextPage"] as? Bool == false)
            let refused = try await client.graphQL(query, variables: "{\"id\": \"\(id)\", \"after\": \"!\"}", token: token)
            #expect(refused.errorCode == "BAD_USER_INPUT" && refused.errorMessage?.hasPrefix("after:") == true)
        }
    }

    @Test("serviceStatusCounts groups services by node and status in one read", arguments: TestBackend.all)
    func nodeCounts(_ backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { client in
            let token = try await adminToken(app, client)
            for (name, node, status) in [
                ("a", "acme/b", "OPERATIONAL"), ("b", "acme/b", "OPERATIONAL"), ("c", "acme/b", "DOWN"),
                ("d", "acme/c", "DOWN"),
            ] {
                let pushed = try await client.post(
                    "/api/v1/health/report", "{\"service\": \"\(name)\", \"nodeId\": \"\(node)\", \"status\": \"\(status)\"}")
                #expect(pushed.status == .ok, "\(pushed.text)")
            }
            let response = try await client.graphQL("{ serviceStatusCounts { nodeId status count } }", token: token)
            let rows = try #require(response.data?["serviceStatusCounts"] as? [[String: Any]], "\(response.text)")
            let flat = rows.map { "\($0["nodeId"] as? String ?? "") \($0["status"] as? String ?? "") \($0["count"] as? Int ?? -1)" }
            #expect(flat == ["acme/b DOWN 1", "acme/b OPERATIONAL 2", "acme/c DOWN 1"])
            let anonymous = try await client.graphQL("{ serviceStatusCounts { count } }")
            #expect(anonymous.errorCode == "UNAUTHENTICATED")
        }
    }
}
