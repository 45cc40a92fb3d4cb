import Foundation
import Hummingbird
import Logging

/// The agent's own endpoints on `listen`: `/metrics` (Prometheus text) and `/healthz`.
public enum AgentHTTP {
    /// An application serving the agent's metrics and health; `onListening` gets the bound port.
    public static func application(
        agent: Agent, listen: String, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        guard let address = HostPort(listen) else { throw KubeError(message: "listen: not host:port: \(listen)") }
        let router = Router()
        let metrics = agent.metrics
        let buffer = agent.outbox.buffer
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        router.get("healthz") { _, _ -> Response in
            let body = "{\"status\":\"ok\",\"version\":\"\(AgentVersion.current)\",\"buffered\":\(buffer.count)}"
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "itops-agent"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                logger.info("metrics and health listening on \(address.host):\(port)")
                await onListening(port)
            },
            logger: logger)
    }
}
