import Foundation
import Hummingbird
import ITOpsStore
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `itops serve`: runs ITOps until SIGTERM or SIGINT, then stops gracefully within `ITOPS_SHUTDOWN_TIMEOUT`.
///
/// The stop runs in order: the listener closes (no new connections), in-flight requests finish and are
/// answered, GraphQL WebSockets close with 1001 (going away), jobs stop (releasing their PostgreSQL advisory
/// locks), the write queue commits the batch it is running, and the database closes. Past the timeout the
/// remaining work is cancelled; if even that hangs, the process exits anyway. With SQLite the process holds
/// the database lock (`itops.db.lock`) for its whole life, so `itops restore` cannot run under it.
public func serve(config: Config, logger: Logger) async throws {
    MemoryArenas.limit()
    var lock: DatabaseLock?
    if case .sqlite(let path, _, _) = config.storeLocation { lock = try DatabaseLock.acquire(databasePath: path) }
    defer { lock?.release() }
    let runtime = try await ITOpsRuntime.start(config: config, logger: logger)
    let app = buildApplication(runtime: runtime)
    let timeout = Duration.milliseconds(Int64(config.shutdownTimeout * 1000))
    var configuration = ServiceGroupConfiguration(
        services: [
            .init(service: app, serviceName: "itops"),
            .init(
                service: ShutdownWatchdog(runtime: runtime, timeout: timeout, logger: logger),
                serviceName: "shutdown-watchdog"),
            // The process's own heap: only the server process trims it (see `MemoryArenas`).
            .init(service: MemoryTrimJob(metrics: runtime.metrics), serviceName: "memory-trim"),
        ],
        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    // The graceful part gets most of the budget; cancellation the rest (at most 5 s).
    let cancellation = min(Duration.seconds(5), timeout / 4)
    configuration.maximumGracefulShutdownDuration = timeout - cancellation
    configuration.maximumCancellationDuration = cancellation
    try await ServiceGroup(configuration: configuration).run()
    logger.notice("stopped")
}

/// Shut down first (services stop in reverse order): logs the stop, arms a last-resort exit so that the process
/// ends within the timeout (plus a second) even if something ignores cancellation, and closes the GraphQL
/// WebSockets with 1001 before the HTTP server's own shutdown would close them with 1000.
struct ShutdownWatchdog: Service {
    let runtime: ITOpsRuntime
    let timeout: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.notice(
            "stopping: finishing in-flight requests", metadata: ["timeout_seconds": "\(timeout.components.seconds)"])
        let deadline = timeout + .seconds(1)
        let logger = logger
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: Double(deadline.components.seconds) + Double(deadline.components.attoseconds) / 1e18)
            logger.critical("shutdown timeout passed with work still running: exiting")
            exit(75)
        }
        runtime.webSockets.closeAll()
        // Give clients a moment to answer the close (at most 2 s, or a quarter of the timeout).
        let waitUntil = ContinuousClock.now + min(.seconds(2), timeout / 4)
        while runtime.webSockets.count > 0, ContinuousClock.now < waitUntil {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
