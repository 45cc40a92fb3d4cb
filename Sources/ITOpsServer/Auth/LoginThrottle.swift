import Foundation
import ITOpsCore
import Synchronization

/// Limits failed logins per email and per client address within a sliding window.
///
/// Per instance: behind a load balancer each instance keeps its own count, which still bounds
/// guessing to a small multiple of the limit.
final class LoginThrottle: Sendable {
    struct Limits: Sendable {
        var window: TimeInterval = 15 * 60
        var perEmail = 5
        var perClient = 20
        /// Keys tracked at most, so a flood of distinct emails cannot exhaust memory.
        var maxKeys = 100_000
    }

    private let limits: Limits
    private let clock: any WallClock
    private let failures = Mutex([String: [Date]]())

    init(limits: Limits = Limits(), clock: any WallClock) {
        self.limits = limits
        self.clock = clock
    }

    /// Throws `rateLimited` when either the email or the client has used up its failures.
    func check(email: String, client: String) throws(ITOpsError) {
        let now = clock.now()
        let (emailCount, clientCount, retry) = failures.withLock { table in
            let e = Self.recent(table["email:\(email)"], now: now, window: limits.window)
            let c = Self.recent(table["client:\(client)"], now: now, window: limits.window)
            let oldest = (e.count >= limits.perEmail ? e.first : nil) ?? (c.count >= limits.perClient ? c.first : nil)
            return (e.count, c.count, oldest.map { limits.window - now.timeIntervalSince($0) } ?? 0)
        }
        if emailCount >= limits.perEmail || clientCount >= limits.perClient {
            throw ITOpsError(.rateLimited, "too many failed logins; try again in \(Int(retry.rounded(.up))) s")
        }
    }

    func recordFailure(email: String, client: String) {
        let now = clock.now()
        failures.withLock { table in
            if table.count >= limits.maxKeys {
                table = table.filter { !Self.recent($0.value, now: now, window: limits.window).isEmpty }
            }
            guard table.count < limits.maxKeys else { return }
            for key in ["email:\(email)", "client:\(client)"] {
                table[key] = Self.recent(table[key], now: now, window: limits.window) + [now]
            }
        }
    }

    func recordSuccess(email: String) {
        _ = failures.withLock { $0.removeValue(forKey: "email:\(email)") }
    }

    private static func recent(_ dates: [Date]?, now: Date, window: TimeInterval) -> [Date] {
        (dates ?? []).filter { now.timeIntervalSince($0) < window }
    }
}
