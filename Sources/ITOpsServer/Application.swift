import Foundation
import Hummingbird
import ITOpsCore
import Logging
import ServiceLifecycle

/// Builds the HTTP application around a started runtime: the one builder that production and
/// tests share.
public func buildApplication(runtime: ITOpsRuntime, runJobs: Bool = true) -> some ApplicationProtocol {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestMiddleware(metrics: runtime.metrics))
    let auth = Authenticator(runtime: runtime)
    SystemRoutes(runtime: runtime, auth: auth).add(to: router)
    AgentRoutes(runtime: runtime, auth: auth).add(to: router)
    LicenseRoutes(runtime: runtime, auth: auth).add(to: router)

    var app = Application(
        router: router,
        configuration: .init(address: .hostname(runtime.config.host, port: runtime.config.port), serverName: "itops"),
        logger: runtime.logger)
    app.addServices(StoreCloser(runtime: runtime), EventLogJob(runtime: runtime))
    if runJobs {
        app.addServices(SweepJob(runtime: runtime, interval: runtime.config.sweepInterval))
        app.addServices(LicenseWatchJob(license: runtime.license))
    }
    return app
}

/// Reads nothing but `config`: starts the runtime and builds the application.
public func buildApplication(config: Config, logger: Logger) async throws -> some ApplicationProtocol {
    let runtime = try await ITOpsRuntime.start(config: config, logger: logger)
    return buildApplication(runtime: runtime)
}
