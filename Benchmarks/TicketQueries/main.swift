// Ticket listing benchmark (issue 13): seeds tickets into a fresh store (through the store's own write
// path, 1,000 per transaction), then times the first page of `tickets` as its resolver runs it — the page
// (first + 1 rows, newest first) and the total count — unfiltered and with a status filter.
// Run by Benchmarks/ticket-queries.sh; every number is the median of several runs in this process.
//
//   itops-ticket-bench [--tickets 100000] [--first 50] [--runs 20] [--postgres postgres://…]
import Foundation
import ITOpsCore
import ITOpsServer
import Logging

struct Options {
    var tickets = 100_000
    var first = 50
    var runs = 20
    var postgres: String?

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            let value = iterator.next() ?? ""
            switch flag {
            case "--tickets": tickets = Int(value) ?? tickets
            case "--first": first = Int(value) ?? first
            case "--runs": runs = Int(value) ?? runs
            case "--postgres": postgres = value
            default: fatalError("unknown option \(flag)")
            }
        }
    }
}

let options = Options(CommandLine.arguments)
let tickets = options.tickets
let first = options.first
let runs = options.runs
let postgres = options.postgres

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

/// The median of `runs` timed calls, after one warm-up call.
func median(_ runs: Int, _ body: () async throws -> Void) async throws -> Double {
    try await body()
    var times: [Double] = []
    for _ in 0..<runs {
        let start = ContinuousClock.now
        try await body()
        times.append(milliseconds(ContinuousClock.now - start))
    }
    return times.sorted()[times.count / 2]
}

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("itops-ticket-bench-\(UUID().uuidString)")
var config = Config()
config.dataDirectory = directory.path
config.databaseURL = postgres
config.jwtSecret = String(repeating: "b", count: 40)
var logger = Logger(label: "itops-ticket-bench")
logger.logLevel = .error
let runtime = try await ITOpsRuntime.start(config: config, logger: logger)
let desk = runtime.tickets

let seeding = ContinuousClock.now
let statuses: [TicketStatus] = [.open, .acknowledged, .inProgress, .resolved, .closed]
let priorities: [TicketPriority] = [.p1, .p2, .p3, .p4]
let start = Date(timeIntervalSince1970: 1_790_000_000)
var made = 0
while made < tickets {
    let batch = min(1_000, tickets - made)
    let offset = made
    try await runtime.store.write { writer in
        let store = try writer.ticketWriter()
        for index in offset..<(offset + batch) {
            let at = start.addingTimeInterval(Double(index) * 60)
            try await store.insert(
                Ticket(
                    number: try await store.nextTicketNumber(), title: "Ticket \(index): disk usage on node-\(index % 500)",
                    description: "Seeded by the ticket benchmark.", status: statuses[index % statuses.count],
                    priority: priorities[index % priorities.count], serviceId: nil, slaGroup: nil, assigneeId: nil,
                    reporter: .system("bench"), labels: ["bench"], source: .manual, dedupeKey: nil, createdAt: at,
                    updatedAt: at))
        }
    }
    made += batch
}
print("seeded \(tickets) tickets in \(String(format: "%.1f", milliseconds(ContinuousClock.now - seeding) / 1000)) s (\(postgres == nil ? "SQLite" : "PostgreSQL"))")

func page(_ filter: TicketFilter, first: Int) async throws {
    let desk = runtime.tickets
    let rows = try await desk.tickets(matching: filter, before: nil, limit: first + 1)
    let total = try await desk.countTickets(matching: filter)
    precondition(rows.count == first + 1 && total > 0)
}

let all = try await median(runs) { try await page(TicketFilter(), first: first) }
print("tickets(first: \(first)) with totalCount, \(tickets) tickets: \(String(format: "%.2f", all)) ms (median of \(runs))")
let open = try await median(runs) { try await page(TicketFilter(status: .open), first: first) }
print("tickets(filter: {status: open}, first: \(first)) with totalCount: \(String(format: "%.2f", open)) ms")
let search = try await median(runs) { try await page(TicketFilter(search: "node-42"), first: first) }
print("tickets(filter: {search: \"node-42\"}, first: \(first)) with totalCount: \(String(format: "%.2f", search)) ms")
await runtime.shutdown()
try? FileManager.default.removeItem(at: directory)
