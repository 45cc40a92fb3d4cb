import Logging
import NIOCore
import SQLKit
import Synchronization

/// Several read connections as one `SQLDatabase`: each statement goes to the connection with the
/// fewest statements in flight. SQLite runs one statement at a time per connection, so with a single
/// reader a dashboard's month of transitions held up the short reads of ingest behind it; in WAL
/// mode readers never block each other or the writer.
final class ReaderPool: SQLDatabase {
    private let readers: [any SQLDatabase]
    private let inFlight: Mutex<[Int]>

    init(_ readers: [any SQLDatabase]) {
        precondition(!readers.isEmpty, "a reader pool needs a connection")
        self.readers = readers
        inFlight = Mutex(Array(repeating: 0, count: readers.count))
    }

    var logger: Logger { readers[0].logger }
    var eventLoop: any EventLoop { readers[0].eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { readers[0].version }
    var dialect: any SQLDialect { readers[0].dialect }
    var queryLogLevel: Logger.Level? { readers[0].queryLogLevel }

    /// The least busy reader's index, counted as busy by one more statement.
    private func lease() -> Int {
        inFlight.withLock { counts in
            var best = 0
            for index in counts.indices where counts[index] < counts[best] { best = index }
            counts[best] += 1
            return best
        }
    }

    private func release(_ index: Int) { inFlight.withLock { $0[index] -= 1 } }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void)
        -> EventLoopFuture<Void>
    {
        let index = lease()
        let future = readers[index].execute(sql: query, onRow)
        future.whenComplete { [self] _ in release(index) }
        return future
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let index = lease()
        defer { release(index) }
        try await readers[index].execute(sql: query, onRow)
    }
}
