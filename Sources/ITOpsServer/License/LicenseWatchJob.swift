import Foundation
import ITOpsCore
import ServiceLifecycle

/// Looks at the license every `interval` so an expiry (license or trial) is announced with
/// `license:updated` even when no request asks the gate, and adopts a license activated on another
/// instance as soon as its `license:updated` arrives (or at the next look, should it be missed).
struct LicenseWatchJob: ServiceLifecycle.Service {
    let license: LicenseManager
    let events: any EventBus
    var interval: TimeInterval = 30

    func run() async throws {
        let stream = events.subscribe(bufferSize: 64)
        let license = license
        let interval = interval
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in stream {
                        if case .licenseUpdated = event { await license.reloadFromStore() }
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        do {
                            try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                        } catch {
                            return
                        }
                        await license.reloadFromStore()
                        license.checkForChanges()
                    }
                }
            }
        }
    }
}
