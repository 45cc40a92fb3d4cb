import Foundation
import ITOpsCore
import ITOpsServer
import Testing

/// The GraphQL fields of a ticket the tests read.
let ticketFields =
    "id key number title description status priority serviceId slaGroup assigneeId labels source acknowledgedAt resolvedAt reporter { kind name } timeline { kind field before after body actor { name } } comments { body }"

extension Client {
    /// A GraphQL call with an API key (operator by default) instead of a user token.
    func graphQL(_ query: String, variables: String = "{}", key: String) async throws -> JSONResponse {
        let body = "{\"query\": \(jsonString(query)), \"variables\": \(variables)}"
        return try await request(.post, "/graphql", body: body, key: key)
    }

    /// Creates a ticket as the operator key and returns it.
    func createTicket(_ input: String, key: String = operatorKey) async throws -> [String: Any] {
        let response = try await graphQL(
            "mutation($i: TicketInput!) { createTicket(input: $i) { \(ticketFields) } }", variables: "{\"i\": \(input)}",
            key: key)
        return try #require(response.data?["createTicket"] as? [String: Any], "\(response.text)")
    }

    /// `updateTicket` as the operator key: the whole response.
    func updateTicket(_ id: String, _ input: String, key: String = operatorKey) async throws -> JSONResponse {
        try await graphQL(
            "mutation($id: String!, $i: TicketUpdateInput!) { updateTicket(id: $id, input: $i) { \(ticketFields) } }",
            variables: "{\"id\": \(jsonString(id)), \"i\": \(input)}", key: key)
    }
}

func ticketEvents(_ events: [DomainEvent]) -> [(String, TicketEvent)] {
    events.compactMap { event in
        switch event {
        case .ticketCreated(let ticket), .ticketUpdated(let ticket), .ticketDeleted(let ticket): (event.name, ticket)
        default: nil
        }
    }
}

@Suite("Tickets: life cycle, timeline, events, gating, automatic tickets")
struct TicketTests {
    @Test("a ticket goes open → acknowledged → resolved → reopened → closed; every change is in the timeline and published", arguments: TestBackend.all)
    func lifeCycle(backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let recorder = EventRecorder(app.runtime.events)
        try await app.run { (client: Client) async throws in
            let assignee = try await app.runtime.createUser(email: "ops@example.com", password: "ops-password", role: .operator)
            let first = try await client.createTicket(#"{"title": "Disk full on db-1", "description": "df says 100%", "priority": "P2", "labels": ["disk", "db"]}"#)
            #expect(first["key"] as? String == "ITOPS-1")
            #expect(first["status"] as? String == "open")
            #expect(first["priority"] as? String == "P2")
            #expect(first["source"] as? String == "manual")
            #expect((first["reporter"] as? [String: Any])?["kind"] as? String == "apikey")
            let second = try await client.createTicket(#"{"title": "Second"}"#)
            #expect(second["key"] as? String == "ITOPS-2")
            #expect(second["priority"] as? String == "P3")
            let id = try #require(first["id"] as? String)

            var response = try await client.updateTicket(
                id, "{\"status\": \"acknowledged\", \"assigneeId\": \(jsonString(assignee.id.uuidString.lowercased())), \"priority\": \"P1\"}")
            var ticket = try #require(response.data?["updateTicket"] as? [String: Any], "\(response.text)")
            #expect(ticket["status"] as? String == "acknowledged")
            #expect(ticket["acknowledgedAt"] as? String != nil)
            response = try await client.updateTicket("ITOPS-1", #"{"status": "resolved"}"#)
            ticket = try #require(response.data?["updateTicket"] as? [String: Any], "\(response.text)")
            #expect(ticket["resolvedAt"] as? String != nil)
            response = try await client.updateTicket("itops-1", #"{"status": "open"}"#)  // reopening is allowed
            ticket = try #require(response.data?["updateTicket"] as? [String: Any], "\(response.text)")
            #expect(ticket["resolvedAt"] is NSNull)
            let comment = try await client.graphQL(
                "mutation { addTicketComment(id: \"ITOPS-1\", body: \"looking into it\") { kind body actor { name } } }",
                key: operatorKey)
            #expect((comment.data?["addTicketComment"] as? [String: Any])?["kind"] as? String == "comment")
            response = try await client.updateTicket(id, #"{"status": "closed"}"#)
            ticket = try #require(response.data?["updateTicket"] as? [String: Any], "\(response.text)")
            #expect(ticket["status"] as? String == "closed")

            let timeline = try #require(ticket["timeline"] as? [[String: Any]])
            let lines = timeline.map { "\($0["kind"] as? String ?? "")/\($0["field"] as? String ?? "")/\($0["before"] as? String ?? "")→\($0["after"] as? String ?? "")" }
            #expect(lines.first == "created//→open")
            #expect(lines.contains("changed/status/open→acknowledged"))
            #expect(lines.contains("changed/priority/P2→P1"))
            #expect(lines.contains("changed/assigneeId/→\(assignee.id.uuidString.lowercased())"))
            #expect(lines.contains("changed/status/acknowledged→resolved"))
            #expect(lines.contains("reopened/status/resolved→open"))
            #expect(lines.contains("comment//→"))
            #expect(lines.last == "changed/status/open→closed")
            #expect((ticket["comments"] as? [[String: Any]])?.first?["body"] as? String == "looking into it")

            // Closed is final.
            response = try await client.updateTicket(id, #"{"status": "open"}"#)
            #expect(response.errorCode == "BAD_USER_INPUT")
            #expect(response.errorMessage?.contains("closed") == true)

            // Reading: by key, by id, filtered, paged.
            let byKey = try await client.graphQL("{ ticket(id: \"ITOPS-2\") { id title } }", key: operatorKey)
            #expect((byKey.data?["ticket"] as? [String: Any])?["title"] as? String == "Second")
            let list = try await client.graphQL(
                "{ tickets(filter: {status: \"open\"}, first: 1) { totalCount edges { node { key } } pageInfo { hasNextPage endCursor } } }",
                key: operatorKey)
            let connection = try #require(list.data?["tickets"] as? [String: Any], "\(list.text)")
            #expect(connection["totalCount"] as? Int == 1)
            #expect(((connection["edges"] as? [[String: Any]])?.first?["node"] as? [String: Any])?["key"] as? String == "ITOPS-2")
            let all = try await client.graphQL(
                "{ tickets(first: 1) { edges { node { key } } pageInfo { endCursor } } }", key: operatorKey)
            let cursor = try #require(((all.data?["tickets"] as? [String: Any])?["pageInfo"] as? [String: Any])?["endCursor"] as? String)
            let next = try await client.graphQL(
                "{ tickets(first: 5, after: \(jsonString(cursor))) { edges { node { key } } pageInfo { hasNextPage } } }", key: operatorKey)
            let keys = ((next.data?["tickets"] as? [String: Any])?["edges"] as? [[String: Any]])?.compactMap { ($0["node"] as? [String: Any])?["key"] as? String }
            #expect(keys == ["ITOPS-1"])
            let search = try await client.graphQL("{ tickets(filter: {search: \"disk\"}) { totalCount } }", key: operatorKey)
            #expect((search.data?["tickets"] as? [String: Any])?["totalCount"] as? Int == 1)

            // Deleting: admins only.
            let refused = try await client.graphQL("mutation { deleteTicket(id: \"ITOPS-2\") }", key: operatorKey)
            #expect(refused.errorCode == "FORBIDDEN")
            let admin = try await app.adminKey()
            let deleted = try await client.graphQL("mutation { deleteTicket(id: \"ITOPS-2\") }", key: admin)
            #expect(deleted.data?["deleteTicket"] as? Bool == true)
            let gone = try await client.graphQL("{ ticket(id: \"ITOPS-2\") { id } }", key: operatorKey)
            #expect(gone.data?["ticket"] is NSNull)
        }
        let events = ticketEvents(await recorder.wait { ticketEvents($0).contains { $0.0 == "ticket:deleted" } })
        #expect(events.filter { $0.0 == "ticket:created" }.map(\.1.title) == ["Disk full on db-1", "Second"])
        #expect(events.filter { $0.0 == "ticket:updated" }.map(\.1.status) == ["acknowledged", "resolved", "open", "open", "closed"])
        #expect(events.filter { $0.0 == "ticket:deleted" }.map(\.1.title) == ["Second"])
    }

    @Test("viewers read tickets but may not write them")
    func viewerRole() async throws {
        let app = try await TestApp.make()
        try await app.run { (client: Client) async throws in
            _ = try await app.runtime.createUser(email: "viewer@example.com", password: "viewer-password", role: .viewer)
            let token = try await client.login("viewer@example.com", "viewer-password")
            _ = try await client.createTicket(#"{"title": "Seen by viewers"}"#)
            let read = try await client.graphQL("{ tickets { totalCount } }", token: token)
            #expect((read.data?["tickets"] as? [String: Any])?["totalCount"] as? Int == 1)
            let write = try await client.graphQL("mutation { createTicket(input: {title: \"nope\"}) { id } }", token: token)
            #expect(write.errorCode == "FORBIDDEN")
        }
    }

    @Test("bad input gets a clear error naming the field and writes nothing (numbers stay gapless)", arguments: TestBackend.all)
    func badInput(backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            let created = try await client.createTicket(#"{"title": "first"}"#)
            let id = try #require(created["id"] as? String)
            let huge = String(repeating: "x", count: 1_000_000)
            let cases: [(String, String, String)] = [
                ("mutation { createTicket(input: {title: \"t\", priority: \"P9\"}) { id } }", "{}", "input.priority"),
                ("mutation($d: String) { createTicket(input: {title: \"t\", description: $d}) { id } }", "{\"d\": \(jsonString(huge))}", "input.description"),
                ("mutation { createTicket(input: {title: \"t\", assigneeId: \"\(UUID().uuidString)\"}) { id } }", "{}", "input.assigneeId"),
                ("mutation { createTicket(input: {title: \"t\", serviceId: \"not-a-uuid\"}) { id } }", "{}", "input.serviceId"),
                ("mutation { createTicket(input: {title: \"\"}) { id } }", "{}", "input.title"),
                ("mutation { updateTicket(id: \"\(id)\", input: {status: \"done\"}) { id } }", "{}", "input.status"),
                ("mutation { updateTicket(id: \"ITOPS-99\", input: {status: \"open\"}) { id } }", "{}", "no ticket"),
                ("{ tickets(filter: {priority: \"P9\"}) { totalCount } }", "{}", "filter.priority"),
            ]
            for (query, variables, field) in cases {
                let response = try await client.graphQL(query, variables: variables, key: operatorKey)
                #expect(response.status.code < 500)
                #expect(["BAD_USER_INPUT", "NOT_FOUND"].contains(response.errorCode), "\(query.prefix(80)): \(response.text.prefix(300))")
                #expect(response.errorMessage?.contains(field) == true, "\(response.errorMessage ?? "")")
            }
            // A transition from closed.
            _ = try await client.updateTicket(id, #"{"status": "closed"}"#)
            let reopen = try await client.updateTicket(id, #"{"status": "in_progress", "title": "sneaky"}"#)
            #expect(reopen.errorCode == "BAD_USER_INPUT")
            let stored = try #require(try await app.runtime.tickets.ticket(reference: id))
            #expect(stored.title == "first" && stored.status == .closed)
            #expect(try await app.runtime.tickets.countTickets(matching: TicketFilter()) == 1)
            let next = try await client.createTicket(#"{"title": "second"}"#)
            #expect(next["key"] as? String == "ITOPS-2")
        }
    }

    @Test("without the ticketing plugin: PLUGIN_NOT_LICENSED, no automatic tickets, nothing lost; a license brings it back", arguments: TestBackend.all)
    func gating(backend: TestBackend) async throws {
        let vendor = TestVendor()
        let app = try await TestApp.licensed(vendor, backend: backend)
        try await app.run { (client: Client) async throws in
            _ = try await app.runtime.license.activate(token: try vendor.token(plugins: ["ticketing"], days: 1))
            _ = try await client.createTicket(#"{"title": "kept"}"#)
            app.clock.advance(by: 2 * 86_400)  // the license expires
            let list = try await client.graphQL("{ tickets { totalCount } }", key: operatorKey)
            #expect(list.errorCode == "PLUGIN_NOT_LICENSED")
            let create = try await client.graphQL("mutation { createTicket(input: {title: \"x\"}) { id } }", key: operatorKey)
            #expect(create.errorCode == "PLUGIN_NOT_LICENSED")
            let automatic = try await app.runtime.tickets.raise(
                TicketCause(source: .storage, serviceId: UUID(), title: "t", detail: "d", priority: .p2))
            #expect(automatic == nil)
            _ = try await app.runtime.license.activate(
                token: try vendor.token(plugins: ["ticketing"], issuedAt: app.clock.now(), days: 30))
            let back = try await client.graphQL("{ tickets { totalCount edges { node { title } } } }", key: operatorKey)
            #expect((back.data?["tickets"] as? [String: Any])?["totalCount"] as? Int == 1, "\(back.text)")
        }
    }

    @Test("an incident on a critical service opens one ticket; a repeat comments; closing the incident resolves it", arguments: TestBackend.all)
    func automaticTickets(backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run(jobs: true) { (client: Client) async throws in
            try await Task.sleep(for: .milliseconds(300))  // the automatic-ticket job subscribes
            func push(_ status: String) async throws {
                let response = try await client.post(
                    "/api/v1/health/report",
                    "{\"service\": \"db\", \"nodeId\": \"org/prod\", \"status\": \"\(status)\", \"criticality\": \"critical\"}")
                #expect(response.status == .ok)
            }
            try await push("OPERATIONAL")
            try await push("DOWN")
            try await waitUntil("the incident ticket exists") {
                try await app.runtime.tickets.countTickets(matching: TicketFilter(source: .incident)) == 1
            }
            let ticket = try #require(try await app.runtime.tickets.ticket(reference: "ITOPS-1"))
            #expect(ticket.priority == .p1 && ticket.status == .open && ticket.serviceId != nil)
            #expect(ticket.reporter.kind == "system")
            try await push("OPERATIONAL")
            try await waitUntil("the ticket is resolved") {
                try await app.runtime.tickets.ticket(reference: "ITOPS-1")?.status == .resolved
            }
            try await push("DOWN")  // a new incident: the old ticket is resolved, so a new one opens
            try await waitUntil("a second ticket") {
                try await app.runtime.tickets.countTickets(matching: TicketFilter(source: .incident)) == 2
            }
            // A repeat of an open cause comments instead.
            let again = try #require(
                try await app.runtime.tickets.raise(
                    TicketCause(source: .incident, serviceId: ticket.serviceId, title: "x", detail: "again", priority: .p1)))
            #expect(again.created == false && again.ticket.key == "ITOPS-2")
            let timeline = try await app.runtime.tickets.timeline(ticketId: again.ticket.id)
            #expect(timeline.contains { $0.kind == .comment && $0.body == "Again: again" })
        }
    }

    @Test("an exclusion window naming a change ticket shows in the ticket's timeline; an unknown ticket opens no window", arguments: TestBackend.all)
    func exclusionWindowTicket(backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        try await app.run { (client: Client) async throws in
            _ = try await client.createTicket(#"{"title": "Upgrade db to 17"}"#)
            let push = try await client.post(
                "/api/v1/health/report", "{\"service\": \"db\", \"nodeId\": \"org/prod\", \"status\": \"OPERATIONAL\"}")
            #expect(push.status == .ok)
            let unknown = try await client.post(
                "/api/v1/sla/exclusion-window/start",
                "{\"service\": \"db\", \"nodeId\": \"org/prod\", \"reason\": \"upgrade\", \"ticketId\": \"ITOPS-9\"}")
            #expect(unknown.status.code == 422)
            #expect(unknown.error?.contains("ticketId") == true, "\(unknown.text)")
            let started = try await client.post(
                "/api/v1/sla/exclusion-window/start",
                "{\"service\": \"db\", \"nodeId\": \"org/prod\", \"reason\": \"upgrade\", \"ticketId\": \"ITOPS-1\"}")
            #expect(started.status == .created, "\(started.text)")
            let ticket = try #require(try await app.runtime.tickets.ticket(reference: "ITOPS-1"))
            let timeline = try await app.runtime.tickets.timeline(ticketId: ticket.id)
            let entry = try #require(timeline.first { $0.kind == .exclusionWindow })
            #expect(entry.body?.contains("org/prod/db") == true && entry.body?.contains("upgrade") == true)
        }
    }

    @Test("concurrent causes never open two tickets for one cause", arguments: TestBackend.all)
    func concurrentDedupe(backend: TestBackend) async throws {
        let app = try await TestApp.make(backend)
        let service = UUID()
        let desk = app.runtime.tickets
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try await desk.raise(
                        TicketCause(source: .storage, serviceId: service, title: "Storage critical", detail: "#\(index)", priority: .p2)
                    )?.created ?? false
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        #expect(try await desk.countTickets(matching: TicketFilter()) == 1)
        await app.finish()
    }
}

@Suite("Tickets on several instances", .enabled(if: TestDatabase.adminURL != nil, "needs ITOPS_TEST_DATABASE_URL"))
struct TicketMultiInstanceTests {
    @Test("two instances racing on the same causes open one ticket per cause, with gapless keys")
    func racingInstances() async throws {
        let a = try await TestApp.make(.postgres)
        let b = try await TestApp.make(reusing: a)
        let services = (0..<5).map { _ in UUID() }
        let created = try await withThrowingTaskGroup(of: Int.self) { group in
            for desk in [a.runtime.tickets, b.runtime.tickets] {
                for service in services {
                    for _ in 0..<4 {
                        group.addTask {
                            let outcome = try await desk.raise(
                                TicketCause(source: .backupOverdue, serviceId: service, title: "Backup overdue", detail: "d", priority: .p3))
                            return outcome?.created == true ? 1 : 0
                        }
                    }
                }
                group.addTask {
                    _ = try await desk.create(TicketInput(title: "manual"), by: .system("test"))
                    return 0
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(created == services.count)
        let all = try await a.runtime.tickets.tickets(matching: TicketFilter(), before: nil, limit: 100)
        #expect(all.count == services.count + 2)
        #expect(Set(all.compactMap(\.dedupeKey)).count == services.count)
        #expect(all.map(\.number).sorted() == Array(1...Int64(services.count + 2)))
        await b.runtime.shutdown()
        await a.finish()
    }

    @Test("two instances appending to the audit trail at once keep one unbroken chain")
    func auditChainAcrossInstances() async throws {
        let a = try await TestApp.make(.postgres)
        let b = try await TestApp.make(reusing: a)
        await withTaskGroup(of: Void.self) { group in
            for (name, app) in [("a", a), ("b", b)] {
                for index in 0..<25 {
                    group.addTask {
                        await app.runtime.audit.record(
                            AuditDraft(
                                principal: nil, action: "test.\(name)", targetId: "\(index)", outcome: .success,
                                client: nil, requestId: nil))
                    }
                }
            }
        }
        let entries = try await a.runtime.store.reader.auditReader().auditEntries(fromSeq: 1, limit: 1000)
        #expect(entries.map(\.seq) == Array(1...50))
        #expect(entries.filter { $0.action == "test.a" }.count == 25)
        let result = try await b.runtime.audit.verify()
        #expect(result.isIntact && result.checked == 50, "\(String(describing: result.problem))")
        await b.runtime.shutdown()
        await a.finish()
    }
}
