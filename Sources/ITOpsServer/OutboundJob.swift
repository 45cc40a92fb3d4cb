import ITOpsOutbound
import ServiceLifecycle

/// Enqueues webhook deliveries and workflow executions from domain events and works the queue until
/// shutdown. Runs on every instance: rows are claimed with leases, so each is delivered by one instance.
struct OutboundJob: ServiceLifecycle.Service {
    let outbound: OutboundService

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await outbound.run()
        }
    }
}
