import Foundation
import ITOpsCore
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import Synchronization

// PostgreSQL specifics: the connection pool, the cross-instance write lock, advisory locks for
// jobs and migrations, and LISTEN/NOTIFY for events. The SQL of the store itself is shared.
extension SQLStore {
    /// How long an operation waits for a connection before answering 503.
    static let postgresTimeout: Duration = .seconds(5)
    /// How long one statement may take before its connection counts as wedged.
    static let statementTimeout: Duration = .seconds(5)
    /// How long the writer may wait for the cross-instance write lock: another instance's batch can
    /// legitimately hold it longer than one statement takes on a busy machine.
    static let lockWaitTimeout: Duration = .seconds(30)
    /// How often a running statement checks that its connection is still open: a query on a connection
    /// that closed never answers (see `StatementDeadline`), so it fails at the next check instead of at
    /// its deadline.
    static let closedConnectionCheck: Duration = .milliseconds(100)
    /// What a statement on a connection that has closed answers (a 503).
    static let connectionClosed = ITOpsError(.unavailable, "the database closed the connection")

    /// Advisory-lock keys (arbitrary constants, ITOps's own namespace).
    enum LockKey {
        static let migrations: Int64 = 0x1705_0001
        static let writes: Int64 = 0x1705_0002
    }

    static func openPostgres(url: String, clock: any WallClock, logger: Logger) async throws -> SQLStore {
        let sqlConfiguration = try SQLPostgresConfiguration(url: url)
        let client = PostgresClient(
            configuration: try PostgresClient.Configuration(sqlConfiguration.coreConfiguration),
            backgroundLogger: logger)
        let runner = Task { await client.run() }
        let pooled = PooledPostgres(client: client, logger: logger)
        do {
            try await pooled.withConnection { db in
                try await db.raw("SELECT pg_advisory_lock(\(bind: LockKey.migrations))").run()
                do {
                    _ = try await Migrations.apply(on: db, now: clock.now(), logger: logger)
                } catch {
                    try? await db.raw("SELECT pg_advisory_unlock(\(bind: LockKey.migrations))").run()
                    throw error
                }
                try await db.raw("SELECT pg_advisory_unlock(\(bind: LockKey.migrations))").run()
            }
        } catch {
            runner.cancel()
            throw error
        }
        // Every instance takes the same transaction-scoped lock before writing: writes are
        // serialised across instances exactly as SQLite serialises them within one, so the ingest
        // rules (read, decide, write) never race. Group commit keeps the lock's cost per batch.
        let generation = DataGeneration()
        let writer = WriteQueue(
            connections: pooled, beginStatements: ["BEGIN", "SELECT pg_advisory_xact_lock(\(LockKey.writes))"],
            generation: generation, logger: logger)
        let bus = PostgresEventBus(client: client, generation: generation, logger: logger)
        let listener = Task { await bus.listen() }
        return SQLStore(
            writer: writer, readDatabase: PooledSQLDatabase(pool: pooled), eventBus: bus,
            exclusivity: PostgresExclusivity(pool: pooled)
        ) {
            listener.cancel()
            await bus.close()
            runner.cancel()
            _ = await runner.result
        }
    }
}

extension PostgresClient.Configuration {
    /// Translates the URL-based connection configuration of postgres-kit.
    init(_ configuration: PostgresConnection.Configuration) throws {
        let tls: PostgresClient.Configuration.TLS =
            switch (configuration.tls.isEnforced, configuration.tls.isAllowed) {
            case (true, _): .require(configuration.tls.sslContext!.configuration)
            case (_, true): .prefer(configuration.tls.sslContext!.configuration)
            default: .disable
            }
        guard let host = configuration.host, let port = configuration.port else {
            throw MigrationError("ITOPS_DATABASE_URL: a postgres:// URL needs a host")
        }
        self.init(
            host: host, port: port, username: configuration.username, password: configuration.password,
            database: configuration.database, tls: tls)
        options.maximumConnections = 20
        // Fail fast while the server restarts; a request waits at most `postgresTimeout` anyway.
        options.connectTimeout = .seconds(3)
        options.keepAliveBehavior = .init(frequency: .seconds(10))
    }
}

/// Connections leased from the pool, with a deadline, mapping connection failures to 503.
struct PooledPostgres: WriteConnectionSource {
    let client: PostgresClient
    let logger: Logger

    func withConnection<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    {
        let client = client
        return try await Self.mappingFailures {
            try await withLeaseDeadline(SQLStore.postgresTimeout) { leased in
                try await client.withConnection { connection in
                    leased()
                    return try await body(StatementDeadline(connection: connection))
                }
            }
        }
    }

    /// Leases a raw connection (LISTEN, advisory session locks).
    func withRawConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.mappingFailures { try await client.withConnection(body) }
    }

    /// Connection-level failures (refused, closed, server shutting down) become `unavailable`;
    /// SQL errors stay what they are.
    static func mappingFailures<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError {
            if error.code != .server { throw ITOpsError(.unavailable, "the database is not answering") }
            let state = error.serverInfo?[.sqlState] ?? ""
            if state.hasPrefix("08") || state.hasPrefix("57") {
                throw ITOpsError(.unavailable, "the database is restarting")
            }
            throw error
        }
    }
}

/// Runs `body`, answering `unavailable` when it has not obtained a connection within `limit`, or
/// has not finished within `total` (a last resort: each statement has its own, much shorter bound).
///
/// `body` calls `leased()` once it holds a connection. The work runs in an unstructured task and
/// the caller is answered by whichever comes first, the work or the deadline: a connection that
/// wedges while the database restarts can never hang a request (or the write queue behind it).
/// Work abandoned that way is cancelled; should it still commit, the caller had been told 503,
/// which never promised that nothing was written.
func withLeaseDeadline<T: Sendable>(
    _ limit: Duration, total: Duration = .seconds(120),
    _ body: @escaping @Sendable (_ leased: @escaping @Sendable () -> Void) async throws -> T
) async throws -> T {
    let leased = LeaseFlag()
    let outcome = Outcome<T>()
    return try await withCheckedThrowingContinuation { continuation in
        outcome.install(continuation)
        let work = Task {
            do {
                outcome.finish(.success(try await body { leased.set() }))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        outcome.arm(
            Task {
                do { try await Task.sleep(for: limit) } catch { return }  // cancelled: the work finished
                if !leased.isSet {
                    outcome.finish(.failure(ITOpsError(.unavailable, "the database did not answer in time")))
                    work.cancel()
                    return
                }
                do { try await Task.sleep(for: total - limit) } catch { return }
                outcome.finish(.failure(ITOpsError(.unavailable, "the database stopped answering")))
                work.cancel()
            })
    }
}

/// Resumes a continuation once, with whichever result arrives first, and cancels the deadline's
/// timer as soon as there is a result.
///
/// The timer must not outlive the work: every statement and every lease has one, and a timer left
/// sleeping held its task for the whole bound (5 s a statement, 120 s a lease). Under PostgreSQL
/// ingest that was tens of thousands of sleeping tasks, and an idle RSS of 260–320 MB where SQLite
/// stays at 60 MB (BENCHMARKS.md, "Ingest on PostgreSQL").
final class Outcome<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var finished = false
        var timer: Task<Void, Never>?
    }
    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Hands over the deadline's timer, cancelled at once if a result came first.
    func arm(_ timer: Task<Void, Never>) {
        let finished = state.withLock { state in
            if !state.finished { state.timer = timer }
            return state.finished
        }
        if finished { timer.cancel() }
    }

    /// Resumes with `result` unless a result came first; returns whether this one won. Cancels the
    /// timer either way (when the timer itself finishes, that cancels nothing it still needs).
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let (continuation, timer): (CheckedContinuation<T, any Error>?, Task<Void, Never>?) = state.withLock {
            state in
            let timer = state.timer
            state.timer = nil
            guard !state.finished else { return (nil, timer) }
            state.finished = true
            return (state.continuation, timer)
        }
        timer?.cancel()
        continuation?.resume(with: result)
        return continuation != nil
    }

}

/// Set once a connection is held.
final class LeaseFlag: Sendable {
    private let flag = Atomic(false)
    func set() { flag.store(true, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}

/// A leased connection whose every statement must answer within `SQLStore.statementTimeout`.
///
/// A statement on a connection that has closed fails with `unavailable` at once: postgres-nio (1.33)
/// drops a query written to a closed connection without ever answering it, and while PostgreSQL
/// restarts its pool can hand out a connection that closed a moment earlier (or the connection closes
/// between the check and the write), so a running statement also checks every
/// `SQLStore.closedConnectionCheck`. Unchecked, such a statement waited out its whole bound — 30 s
/// for the writer's opening statements, which held every write queued behind them.
///
/// A connection that stays open but never answers still wedges: a statement past its bound fails with
/// `unavailable` and closes the connection, so the pool drops it instead of handing it out again.
/// Bounding statements rather than whole transactions keeps a large group-commit batch on a busy
/// machine from being mistaken for a wedge.
struct StatementDeadline: SQLDatabase, LockWaitingDatabase {
    let connection: PostgresConnection
    let database: any SQLDatabase
    var limit = SQLStore.statementTimeout

    init(connection: PostgresConnection) {
        self.connection = connection
        self.database = connection.sql(queryLogLevel: .trace)
    }

    var logger: Logger { database.logger }
    var eventLoop: any EventLoop { database.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { database.version }
    var dialect: any SQLDialect { database.dialect }
    var queryLogLevel: Logger.Level? { database.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<
        Void
    > {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let box = UncheckedSendableExpression(query)
        let database = database
        try await connection.withinBound(limit) { try await database.execute(sql: box.expression, onRow) }
    }
}

extension StatementDeadline {
    func waitingForLocks() -> any SQLDatabase {
        var copy = self
        copy.limit = SQLStore.lockWaitTimeout
        return copy
    }
}

/// Runs `body`, answering `unavailable` if it takes longer than `limit`; `onTimeout` then runs once
/// and the abandoned work is cancelled. While `body` runs, `closed` is asked every
/// `SQLStore.closedConnectionCheck`: once it answers true, so does the statement (`unavailable`, work
/// cancelled, no `onTimeout`: the connection is already gone).
func withStatementDeadline<T: Sendable>(
    _ limit: Duration, closed: @escaping @Sendable () -> Bool = { false },
    _ body: @escaping @Sendable () async throws -> T, onTimeout: @escaping @Sendable () -> Void
) async throws -> T {
    let outcome = Outcome<T>()
    return try await withCheckedThrowingContinuation { continuation in
        outcome.install(continuation)
        let work = Task {
            do {
                outcome.finish(.success(try await body()))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        outcome.arm(
            Task {
                let deadline = ContinuousClock.now + limit
                while ContinuousClock.now < deadline {
                    let check = ContinuousClock.now + SQLStore.closedConnectionCheck
                    // Cancelled: the work finished.
                    do { try await Task.sleep(until: min(check, deadline)) } catch { return }
                    if closed() {
                        if outcome.finish(.failure(SQLStore.connectionClosed)) {
                            work.cancel()
                        }
                        return
                    }
                }
                if outcome.finish(.failure(ITOpsError(.unavailable, "the database stopped answering"))) {
                    onTimeout()
                    work.cancel()
                }
            })
    }
}

/// An `SQLDatabase` whose every query leases a pooled connection: the store's read side.
struct PooledSQLDatabase: SQLDatabase {
    let pool: PooledPostgres

    var logger: Logger { pool.logger }
    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }
    var version: (any SQLDatabaseReportedVersion)? { nil }
    var dialect: any SQLDialect { PostgresDialect() }
    var queryLogLevel: Logger.Level? { .trace }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<
        Void
    > {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let box = UncheckedSendableExpression(query)
        try await pool.withConnection { db in try await db.execute(sql: box.expression, onRow) }
    }
}

/// Carries an `SQLExpression` into the leased connection's closure.
///
/// Unchecked sendability is safe here: the expressions SQLKit builds are immutable value trees created by
/// the caller and only read (serialised) once on the connection; nothing mutates them across tasks.
struct UncheckedSendableExpression: @unchecked Sendable {
    let expression: any SQLExpression
    init(_ expression: any SQLExpression) { self.expression = expression }
}

/// Job exclusivity through session-level advisory locks: the lock lives with the connection, so
/// an instance that dies releases its jobs and another takes them over.
struct PostgresExclusivity: Exclusivity {
    let pool: PooledPostgres

    func run<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T? {
        let key = Self.key(name)
        return try await pool.withRawConnection { connection in
            guard try await Self.tryLock(key, on: connection, logger: pool.logger) else { return nil }
            do {
                let value = try await body()
                try? await connection.bounded("SELECT pg_advisory_unlock(\(key))", logger: pool.logger)
                return value
            } catch {
                try? await connection.bounded("SELECT pg_advisory_unlock(\(key))", logger: pool.logger)
                throw error
            }
        }
    }

    /// Takes the session lock `key` if it is free. Bounded like every statement: on a connection that
    /// closed, an unbounded query never answered and wedged the job's loop for good.
    static func tryLock(_ key: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        try await connection.bounded("SELECT pg_try_advisory_lock(\(key)) AS locked", logger: logger) { rows in
            var locked = false
            for try await row in rows { locked = try row.decode(Bool.self) }
            return locked
        }
    }

    /// A stable 64-bit key for a job name (FNV-1a).
    static func key(_ name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "itops.job.\(name)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }
}

/// The events waiting for `PostgresEventBus`'s sender, oldest first, bounded.
final class EventBacklog: Sendable {
    private struct State {
        var payloads: [String] = []
        var dropped = 0
    }
    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Queues `payloads`; those past the limit are dropped and counted.
    func append(_ payloads: [String]) {
        state.withLock { state in
            let room = max(0, limit - state.payloads.count)
            state.payloads.append(contentsOf: payloads.prefix(room))
            state.dropped += max(0, payloads.count - room)
        }
    }

    /// Takes up to `count` of the oldest payloads, and the number dropped since the last call.
    func take(_ count: Int) -> (payloads: [String], dropped: Int) {
        state.withLock { state in
            let batch = Array(state.payloads.prefix(count))
            state.payloads.removeFirst(batch.count)
            let dropped = state.dropped
            state.dropped = 0
            return (batch, dropped)
        }
    }
}

/// Events fan out to local subscribers at once and to other instances through `NOTIFY`; each
/// instance ignores its own notifications, so every subscriber sees every event exactly once.
///
/// One sender forwards what has queued up since its last round trip in one statement (one
/// `pg_notify` per event, delivered in order at its commit). One round trip per event forwarded about
/// 2,000 events per second on a 2-core machine, and status churn above that overflowed the queue:
/// events were dropped for the other instances (BENCHMARKS.md, "Ingest on PostgreSQL").
final class PostgresEventBus: EventBus {
    static let channel = "itops_events"
    /// Events waiting to be forwarded at most (a silence sweep of a large node publishes one per
    /// service at once; about 50 MB of payloads at most); past it new events are dropped, and logged.
    static let backlogLimit = 100_000
    /// Events forwarded in one statement at most (each payload is below 8,000 bytes).
    static let batchLimit = 1_000

    private let local = InProcessEventBus()
    private let client: PostgresClient
    private let logger: Logger
    private let instance = UUID.random().stored
    /// Moved by every event from another instance: it wrote something.
    private let generation: DataGeneration
    private let backlog: EventBacklog
    /// Numbers each envelope: PostgreSQL folds identical payloads notified in one transaction.
    private let serial = Atomic<Int>(0)
    private let wake: AsyncStream<Void>.Continuation
    private let sender: Task<Void, Never>

    init(client: PostgresClient, generation: DataGeneration, logger: Logger) {
        self.client = client
        self.generation = generation
        self.logger = logger
        let (signals, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.wake = wake
        let backlog = EventBacklog(limit: Self.backlogLimit)
        self.backlog = backlog
        // One sender keeps the order of notifications.
        sender = Task {
            for await _ in signals {
                await Self.forward(backlog, client: client, logger: logger)
            }
            await Self.forward(backlog, client: client, logger: logger)  // what came before close()
        }
    }

    /// Forwards the backlog, oldest first, until it is empty.
    private static func forward(_ backlog: EventBacklog, client: PostgresClient, logger: Logger) async {
        while true {
            let (batch, dropped) = backlog.take(batchLimit)
            if dropped > 0 {
                logger.error(
                    "events dropped for other instances: the forwarder fell behind",
                    metadata: ["dropped": "\(dropped)"])
            }
            if batch.isEmpty { return }
            // Retry for about half a minute: a restarting database must not drop events.
            var delay: Duration = .milliseconds(50)
            for attempt in 1...12 {
                do {
                    try await client.withConnection { connection in
                        try await notify(batch, on: connection, logger: logger)
                    }
                    break
                } catch {
                    if attempt == 12 {
                        logger.error(
                            "could not forward events to other instances",
                            metadata: ["error": "\(error)", "events": "\(batch.count)"])
                    }
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(5))
                }
            }
        }
    }

    /// Sends `payloads` on the events channel, in order, in one statement (bounded: a query on a
    /// connection that closed never answered, and the sender, which keeps the order, stopped for good).
    static func notify(_ payloads: [String], on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.bounded(
            "SELECT pg_notify(\(channel), payload) FROM unnest(\(payloads)::text[]) AS payload", logger: logger)
    }

    struct Envelope: Codable {
        var origin: String
        var event: DomainEvent
        /// Unique per origin (older instances leave it out; decoders ignore it).
        var serial: Int?
    }

    func publish(_ events: [DomainEvent]) {
        local.publish(events)
        let encoder = JSONEncoder()
        var payloads: [String] = []
        for event in events {
            let envelope = Envelope(
                origin: instance, event: event, serial: serial.add(1, ordering: .relaxed).newValue)
            guard let data = try? encoder.encode(envelope),
                let text = String(data: data, encoding: .utf8), text.utf8.count < 7900
            else {
                logger.error("event too large to forward", metadata: ["event": "\(event.name)"])
                continue
            }
            payloads.append(text)
        }
        guard !payloads.isEmpty else { return }
        backlog.append(payloads)
        wake.yield()
    }

    func subscribe(bufferSize: Int) -> AsyncStream<DomainEvent> { local.subscribe(bufferSize: bufferSize) }

    var subscriberCount: Int { local.subscriberCount }

    var droppedEvents: Int { local.droppedEvents }

    /// Listens for other instances' events until cancelled, reconnecting with backoff.
    func listen() async {
        var delay: Duration = .milliseconds(100)
        let decoder = JSONDecoder()
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    // A connection that already closed: take another one at once (postgres-nio itself
                    // fails a LISTEN whose write finds the channel closed, and fails listeners when
                    // the connection closes, so LISTEN is not bounded like queries).
                    guard !connection.isClosed else { throw SQLStore.connectionClosed }
                    try await connection.listen(on: Self.channel) { notifications in
                        delay = .milliseconds(100)
                        for try await notification in notifications {
                            guard
                                let envelope = try? decoder.decode(
                                    Envelope.self, from: Data(notification.payload.utf8)),
                                envelope.origin != instance
                            else { continue }
                            generation.advance()
                            local.publish([envelope.event])
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("event listener lost its connection; reconnecting", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
    }

    /// Stops accepting events and forwards those still queued (for at most 5 s), so a graceful
    /// shutdown does not swallow the last events.
    func close() async {
        wake.finish()
        let sender = sender
        let flushed = Task { await sender.value }
        let deadline = Task {
            try? await Task.sleep(for: .seconds(5))
            sender.cancel()
        }
        await flushed.value
        deadline.cancel()
    }
}

extension SQLStore {
    /// The schema state of the PostgreSQL database at `url`, and its clock.
    static func inspectPostgres(url: String, logger: Logger) async throws -> DatabaseInspection {
        let sqlConfiguration = try SQLPostgresConfiguration(url: url)
        let client = PostgresClient(
            configuration: try PostgresClient.Configuration(sqlConfiguration.coreConfiguration),
            backgroundLogger: logger)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        return try await PooledPostgres(client: client, logger: logger).withConnection { db in
            let exists = try await db.raw(
                "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'schema_migrations' AND table_schema = current_schema()"
            ).first()?.decode(column: "n", as: Int.self) ?? 0
            let applied = try await Migrations.applied(on: db, tableExists: exists > 0)
            let milliseconds = try await db.raw(
                "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS ms"
            ).first()?.decode(column: "ms", as: Int64.self)
            return DatabaseInspection(
                schema: Migrations.state(applied: applied),
                serverTime: milliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) })
        }
    }
}

extension SQLStore {
    /// Opens one connection to `url`, closes it, and runs `SELECT 1` on it through `StatementDeadline`
    /// with the writer's lock-wait bound: for the test that a statement on a closed connection fails at
    /// once. Internal, reached only through `@testable import`.
    static func statementOnClosedConnectionForTesting(url: String, logger: Logger) async throws {
        let connection = try await closedConnectionForTesting(url: url, logger: logger)
        try await StatementDeadline(connection: connection).waitingForLocks().raw("SELECT 1").run()
    }
}

extension PostgresConnection {
    /// Runs `query` on this raw connection within `SQLStore.statementTimeout`, like the statements of
    /// `StatementDeadline`: refused at once if the connection has closed (postgres-nio drops a query
    /// written to a closed connection without ever answering it), failed as soon as it closes while the
    /// query runs, and the connection closed if it stays silent past the bound. `onRow` sees each row.
    /// `read` consumes the rows and gives the answer.
    @discardableResult
    func bounded<T: Sendable>(
        _ query: PostgresQuery, logger: Logger,
        read: @escaping @Sendable (PostgresRowSequence) async throws -> T = { _ in () }
    ) async throws -> T {
        try await withinBound(SQLStore.statementTimeout) { try await read(try await self.query(query, logger: logger)) }
    }

    /// Runs `statement`, a statement on this connection, within `limit`: the one bound of `bounded` and
    /// of `StatementDeadline`'s statements (refused at once on a closed connection, failed when it
    /// closes meanwhile, the connection closed past the bound).
    func withinBound<T: Sendable>(_ limit: Duration, _ statement: @escaping @Sendable () async throws -> T)
        async throws -> T
    {
        guard !isClosed else { throw SQLStore.connectionClosed }
        return try await withStatementDeadline(limit, closed: { self.isClosed }, statement) {
            Task { try? await self.close() }
        }
    }
}

extension SQLStore {
    /// Test seam: the job lock and the event forwarder's statement on a connection that has closed;
    /// each must fail at once rather than wait for an answer that never comes.
    static func rawStatementsOnClosedConnectionForTesting(url: String, logger: Logger) async throws -> [String] {
        let connection = try await closedConnectionForTesting(url: url, logger: logger)
        var failures: [String] = []
        do { _ = try await PostgresExclusivity.tryLock(1, on: connection, logger: logger) } catch {
            failures.append("tryLock: \(error)")
        }
        do { try await PostgresEventBus.notify(["{}"], on: connection, logger: logger) } catch {
            failures.append("notify: \(error)")
        }
        return failures
    }

    /// A connection to `url`, opened and closed again.
    private static func closedConnectionForTesting(url: String, logger: Logger) async throws -> PostgresConnection {
        let configuration = try SQLPostgresConfiguration(url: url)
        let connection = try await PostgresConnection.connect(
            configuration: configuration.coreConfiguration, id: 1, logger: logger)
        try await connection.close()
        return connection
    }
}
