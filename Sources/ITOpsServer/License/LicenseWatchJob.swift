import Foundation
import ITOpsCore
import ServiceLifecycle

/// Looks at the license every `interval` so an expiry (license or trial) is announced with
/// `license:updated` even when no request asks the gate.
struct LicenseWatchJob: ServiceLifecycle.Service {
    let license: LicenseManager
    var interval: TimeInterval = 30

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                } catch {
                    return
                }
                license.checkForChanges()
            }
        }
    }
}
