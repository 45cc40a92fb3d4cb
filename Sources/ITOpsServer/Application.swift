import Foundation
import Hummingbird
import HummingbirdWebSocket
import ITOpsCore
import ITOpsGraphQL
import Logging
import ServiceLifecycle

/// Builds the HTTP application around a started runtime: the one builder that production and
/// tests share.
public func buildApplication(runtime: ITOpsRuntime, runJobs: Bool = true) -> some ApplicationProtocol {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestMiddleware(metrics: runtime.metrics, proxies: runtime.config.trustedProxies))
    let auth = Authenticator(runtime: runtime)
    let metrics = runtime.metrics
    let graphQL = GraphQLExecutor(
        api: runtime.graphQL, limits: runtime.config.graphQL, clock: runtime.clock, generation: runtime.store.generation,
        onAnswerLookup: { lookup in metrics.graphQLAnswerLookup(lookup.rawValue) })
    SystemRoutes(runtime: runtime, auth: auth, graphQL: graphQL).add(to: router)
    AgentRoutes(runtime: runtime, auth: auth).add(to: router)
    LicenseRoutes(runtime: runtime, auth: auth).add(to: router)
    SLARoutes(runtime: runtime, auth: auth).add(to: router)
    TemplateRoutes(runtime: runtime, auth: auth).add(to: router)
    OpenAPIDocument.add(to: router)
    ConsoleRoutes().add(to: router)
    StatusPageRoutes(runtime: runtime).add(to: router)
    AuditRoutes(runtime: runtime, auth: auth).add(to: router)
    SignInRoutes(runtime: runtime).add(to: router)

    let webSocketRouter = Router(context: GraphQLWebSocketContext.self)
    GraphQLWebSocketRoute(runtime: runtime, auth: auth, graphQL: graphQL).add(to: webSocketRouter)
    var app = Application(
        router: router,
        server: .guardedHTTP1WebSocketUpgrade(
            webSocketRouter: webSocketRouter, webSocket: GraphQLWebSocketRoute.configuration,
            idleTimeout: .milliseconds(Int64(runtime.config.httpIdleTimeout * 1000)), limiter: runtime.connections),
        configuration: .init(address: .hostname(runtime.config.host, port: runtime.config.port), serverName: "itops"),
        logger: runtime.logger)
    app.addServices(StoreCloser(runtime: runtime, graphQL: graphQL), EventLogJob(runtime: runtime))
    if runJobs {
        app.addServices(SweepJob(runtime: runtime, interval: runtime.config.sweepInterval))
        app.addServices(LicenseWatchJob(license: runtime.license, events: runtime.events))
        app.addServices(SLAJob(runtime: runtime, interval: 60))
        app.addServices(OutboundJob(outbound: runtime.outbound))
        app.addServices(AutoTicketJob(runtime: runtime))
        if let days = runtime.config.auditRetentionDays {
            app.addServices(AuditRetentionJob(runtime: runtime, days: days))
        }
    }
    return app
}

/// Reads nothing but `config`: starts the runtime and builds the application.
public func buildApplication(config: Config, logger: Logger) async throws -> some ApplicationProtocol {
    let runtime = try await ITOpsRuntime.start(config: config, logger: logger)
    return buildApplication(runtime: runtime)
}
