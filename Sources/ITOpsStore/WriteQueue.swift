import Foundation
import ITOpsCore
import Logging
import SQLKit

/// Serialises every write through one connection and commits concurrent writes together.
///
/// Writes that arrive while a transaction is running wait and then share the next one (group
/// commit): one `COMMIT` — one fsync — for the whole batch. A write that fails is rolled back
/// alone and never leaves half of itself behind, while its neighbours still commit. A caller is
/// resumed only after the commit that holds its write returned.
///
/// Isolation is optimistic: the batch first runs without savepoints (two statements, and on
/// SQLite two thread hops, fewer per write). Only if a write throws is the transaction rolled
/// back and the batch run again with each write in its own savepoint. Write bodies may therefore
/// run twice (`Store.write` says so); they touch nothing outside the transaction.
actor WriteQueue {
    private struct Pending: Sendable {
        /// The write alone (for a batched write: a batch of one).
        let run: @Sendable (any StoreWriter) async throws -> any Sendable
        /// Set for a `BatchedWrite` item: run with the others of its kind.
        var batched: Batched?
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    /// A `BatchedWrite` item, type-erased: its kind and how to run a batch of that kind.
    private struct Batched: Sendable {
        let kind: ObjectIdentifier
        let item: any Sendable
        let runAll: @Sendable ([any Sendable], any StoreWriter) async throws -> [any Sendable]
    }

    private let connections: any WriteConnectionSource
    private let beginStatements: [String]
    private let logger: Logger
    private let maxBatch: Int
    private var pending: [Pending] = []
    private var draining = false
    private var closed = false
    /// Batches committed and writes in them, for metrics and tests.
    private(set) var batches = 0
    private(set) var writes = 0
    /// Told the size of every committed batch (metrics).
    private var batchObserver: (@Sendable (Int) -> Void)?
    /// Moved after every transaction, before its writers are answered.
    let generation: DataGeneration

    /// Sets the observer told the size of every committed batch.
    func observeBatches(_ observer: @escaping @Sendable (Int) -> Void) { batchObserver = observer }

    /// `beginStatements` open a write transaction in the dialect (and take its write lock).
    init(
        connections: any WriteConnectionSource, beginStatements: [String], maxBatch: Int = 512,
        generation: DataGeneration = DataGeneration(), logger: Logger
    ) {
        self.connections = connections
        self.generation = generation
        self.beginStatements = beginStatements
        self.maxBatch = maxBatch
        self.logger = logger
    }

    func submit<T: Sendable>(_ body: @escaping @Sendable (any StoreWriter) async throws -> T) async throws -> T {
        guard !closed else { throw ITOpsError(.unavailable, "the database is shutting down") }
        let value = try await withCheckedThrowingContinuation { continuation in
            enqueue(Pending(run: { try await body($0) }, continuation: continuation))
        }
        guard let typed = value as? T else {
            preconditionFailure("write queue handed back \(type(of: value)) for \(T.self)")
        }
        return typed
    }

    /// Queues `item` to run with the other items of its kind in the same batch (`BatchedWrite`).
    func submit<W: BatchedWrite>(_ item: W.Item, batchedBy writer: W) async throws -> W.Output {
        guard !closed else { throw ITOpsError(.unavailable, "the database is shutting down") }
        let runAll: @Sendable ([any Sendable], any StoreWriter) async throws -> [any Sendable] = { items, tx in
            let typed = items.map { item in
                guard let typed = item as? W.Item else {
                    preconditionFailure("write queue batched \(type(of: item)) with \(W.Item.self)")
                }
                return typed
            }
            let outputs = try await writer.run(typed, in: tx)
            guard outputs.count == typed.count else {
                throw ITOpsError(.internal, "\(W.self) returned \(outputs.count) outputs for \(typed.count) items")
            }
            return outputs
        }
        let batched = Batched(kind: ObjectIdentifier(W.self), item: item, runAll: runAll)
        let value = try await withCheckedThrowingContinuation { continuation in
            enqueue(
                Pending(
                    run: { tx in try await runAll([item], tx)[0] }, batched: batched, continuation: continuation))
        }
        guard let typed = value as? W.Output else {
            preconditionFailure("write queue handed back \(type(of: value)) for \(W.Output.self)")
        }
        return typed
    }

    private func enqueue(_ write: Pending) {
        pending.append(write)
        if !draining {
            draining = true
            Task { await self.drain() }
        }
    }

    /// Refuses new writes, lets the writes already queued commit (the running batch and the ones waiting for
    /// it: a graceful stop loses nothing it accepted), then fails whatever is left if the caller's task is
    /// cancelled first (a stop past its timeout).
    func close() async {
        closed = true
        while draining, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
        let waiting = pending
        pending = []
        for write in waiting {
            write.continuation.resume(throwing: ITOpsError(.unavailable, "the database is shutting down"))
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            await commit(batch)
        }
        draining = false
    }

    private func commit(_ batch: [Pending]) async {
        let beginStatements = beginStatements
        let results: [Result<any Sendable, any Error>]
        do {
            results = try await connections.withConnection { db in
                try await Self.runTransaction(batch, on: db, beginStatements: beginStatements)
            }
        } catch {
            // A failed COMMIT may still have landed: readers' caches start again either way.
            generation.advance()
            logger.error("write transaction failed", metadata: ["error": "\(String(reflecting: error))"])
            let failure = ITOpsError(.unavailable, "the database did not accept the write; retry later")
            for write in batch { write.continuation.resume(throwing: failure) }
            return
        }
        generation.advance()
        batches += 1
        writes += batch.count
        batchObserver?(batch.count)
        for (write, result) in zip(batch, results) {
            write.continuation.resume(with: result)
        }
    }

    /// One transaction holding every write of `batch`: first without savepoints; if a write
    /// fails, rolled back and run again with each write in its own savepoint.
    private static func runTransaction(
        _ batch: [Pending], on db: any SQLDatabase, beginStatements: [String]
    ) async throws -> [Result<any Sendable, any Error>] {
        let tx = SQLAccess(db: db)
        try await begin(db, beginStatements)
        let results: [Result<any Sendable, any Error>]
        do {
            results = try await runAll(batch, tx)
        } catch {
            // If the transaction cannot be undone the connection is in trouble: the throw fails
            // the whole batch.
            try await db.raw("ROLLBACK").run()
            // Alone, the failed write was rolled back by itself: nothing to run again.
            guard batch.count > 1 else { return [.failure(error)] }
            return try await runIsolated(batch, on: db, beginStatements: beginStatements)
        }
        try await commit(db)
        return results
    }

    /// Every write of `batch` in order, except that the items of each `BatchedWrite` kind run in
    /// one call, where the first of them stands.
    private static func runAll(_ batch: [Pending], _ tx: SQLAccess) async throws -> [Result<any Sendable, any Error>] {
        var members: [ObjectIdentifier: [Int]] = [:]
        for (index, write) in batch.enumerated() {
            if let kind = write.batched?.kind { members[kind, default: []].append(index) }
        }
        var results = [Result<any Sendable, any Error>?](repeating: nil, count: batch.count)
        for (index, write) in batch.enumerated() where results[index] == nil {
            guard let batched = write.batched, let indices = members[batched.kind] else {
                results[index] = .success(try await write.run(tx))
                continue
            }
            let outputs = try await batched.runAll(indices.map { batch[$0].batched!.item }, tx)
            for (member, output) in zip(indices, outputs) { results[member] = .success(output) }
        }
        return results.map { $0! }
    }

    /// The batch again, each write in its own savepoint so that a failing one is undone alone.
    private static func runIsolated(
        _ batch: [Pending], on db: any SQLDatabase, beginStatements: [String]
    ) async throws -> [Result<any Sendable, any Error>] {
        var results: [Result<any Sendable, any Error>] = []
        results.reserveCapacity(batch.count)
        let tx = SQLAccess(db: db)
        try await begin(db, beginStatements)
        do {
            for write in batch {
                try await db.raw("SAVEPOINT w").run()
                do {
                    let value = try await write.run(tx)
                    try await db.raw("RELEASE SAVEPOINT w").run()
                    results.append(.success(value))
                } catch {
                    // If the savepoint itself cannot be undone the connection is in trouble:
                    // the throw fails the whole batch.
                    try await db.raw("ROLLBACK TO SAVEPOINT w").run()
                    try await db.raw("RELEASE SAVEPOINT w").run()
                    results.append(.failure(error))
                }
            }
        } catch {
            try? await db.raw("ROLLBACK").run()
            throw error
        }
        try await commit(db)
        return results
    }

    private static func begin(_ db: any SQLDatabase, _ statements: [String]) async throws {
        // Opening statements may wait on another instance's write lock: a longer bound there.
        let locking = (db as? any LockWaitingDatabase)?.waitingForLocks() ?? db
        do {
            for statement in statements {
                try await locking.raw("\(unsafeRaw: statement)").run()
            }
        } catch {
            try? await db.raw("ROLLBACK").run()
            throw error
        }
    }

    private static func commit(_ db: any SQLDatabase) async throws {
        do {
            try await db.raw("COMMIT").run()
        } catch {
            try? await db.raw("ROLLBACK").run()
            throw error
        }
    }
}

/// A database whose statements have a deadline, and a longer one for statements that wait on a
/// lock another instance holds (the transaction's opening statements).
protocol LockWaitingDatabase: SQLDatabase {
    func waitingForLocks() -> any SQLDatabase
}

/// Lends the write path a connection for one transaction.
protocol WriteConnectionSource: Sendable {
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
}
