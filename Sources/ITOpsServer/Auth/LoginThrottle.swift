import Foundation
import ITOpsCore
import Synchronization

/// Slows password guessing without handing an attacker a way to lock anyone out.
///
/// Three counters of failed sign-ins within a sliding window: per (email, client address), per
/// client address and per email from anywhere. Each allows some free failures; past them, every
/// further attempt must wait twice as long as the previous one since the last failure, up to a cap.
/// The per-email counter, which an attacker elsewhere can raise, has a high allowance and a short
/// cap, so the real user is at most slowed down, never locked out.
///
/// An attempt is *reserved* (counted as a failure) before the password is checked and released on
/// success, so parallel wrong passwords are counted before any of them reaches bcrypt.
/// Per instance: behind a load balancer each instance keeps its own counts.
final class LoginThrottle: Sendable {
    struct Rule: Sendable {
        /// Failures allowed within the window before attempts must wait.
        var free: Int
        /// The wait after the first failure past `free`; it doubles with each further one.
        var initialDelay: TimeInterval
        /// The longest wait.
        var maxDelay: TimeInterval
    }

    struct Limits: Sendable {
        var window: TimeInterval = 15 * 60
        var pair = Rule(free: 5, initialDelay: 1, maxDelay: 300)
        var client = Rule(free: 20, initialDelay: 1, maxDelay: 300)
        var email = Rule(free: 50, initialDelay: 1, maxDelay: 30)
        /// Keys tracked at most; past it the least recently used are forgotten first.
        var maxKeys = 100_000
    }

    /// A reserved attempt: give it back with `succeeded` or keep it with `failed`.
    struct Reservation: Sendable {
        fileprivate let keys: [String]
        fileprivate let at: Date
    }

    private struct Entry {
        var failures: [Date]
        var touched: UInt64
    }

    private struct Table {
        var entries: [String: Entry] = [:]
        var tick: UInt64 = 0
    }

    private let limits: Limits
    private let clock: any WallClock
    private let table = Mutex(Table())

    init(limits: Limits = Limits(), clock: any WallClock) {
        self.limits = limits
        self.clock = clock
    }

    /// Throws `rateLimited` (with the seconds to wait) when any counter asks for a wait; otherwise
    /// counts the attempt as a failure until `succeeded` gives it back.
    func reserve(email: String, client: String) throws(ITOpsError) -> Reservation {
        let now = clock.now()
        let keyed: [(String, Rule)] = [
            ("pair:\(email)|\(client)", limits.pair), ("client:\(client)", limits.client),
            ("email:\(email)", limits.email),
        ]
        let wait = table.withLock { table -> TimeInterval in
            var wait: TimeInterval = 0
            for (key, rule) in keyed {
                let failures = Self.recent(table.entries[key]?.failures, now: now, window: limits.window)
                let excess = failures.count - rule.free
                guard excess >= 0, let last = failures.last else { continue }
                let delay = min(rule.maxDelay, rule.initialDelay * pow(2, Double(min(excess, 30))))
                wait = max(wait, delay - now.timeIntervalSince(last))
            }
            guard wait <= 0 else { return wait }
            for (key, _) in keyed {
                table.tick += 1
                var entry = table.entries[key] ?? Entry(failures: [], touched: 0)
                entry.failures = Self.recent(entry.failures, now: now, window: limits.window) + [now]
                entry.touched = table.tick
                table.entries[key] = entry
            }
            evictIfFull(&table)
            return 0
        }
        if wait > 0 {
            throw ITOpsError(.rateLimited, "too many failed sign-ins; try again in \(Int(wait.rounded(.up))) s")
        }
        return Reservation(keys: keyed.map(\.0), at: now)
    }

    /// The password was right: the reserved attempt is given back and the pair's failures forgotten.
    func succeeded(_ reservation: Reservation) {
        table.withLock { table in
            for key in reservation.keys {
                if key.hasPrefix("pair:") {
                    table.entries.removeValue(forKey: key)
                } else if var entry = table.entries[key], let index = entry.failures.lastIndex(of: reservation.at) {
                    entry.failures.remove(at: index)
                    table.entries[key] = entry
                }
            }
        }
    }

    /// Number of keys tracked (tests).
    var trackedKeys: Int { table.withLock { $0.entries.count } }

    /// Forgets expired keys; if still full, the least recently used eighth.
    private func evictIfFull(_ table: inout Table) {
        guard table.entries.count > limits.maxKeys else { return }
        let now = clock.now()
        table.entries = table.entries.filter { !Self.recent($0.value.failures, now: now, window: limits.window).isEmpty }
        guard table.entries.count > limits.maxKeys else { return }
        let victims = table.entries.sorted { $0.value.touched < $1.value.touched }
            .prefix(table.entries.count - limits.maxKeys + max(1, limits.maxKeys / 8))
        for victim in victims { table.entries.removeValue(forKey: victim.key) }
    }

    private static func recent(_ dates: [Date]?, now: Date, window: TimeInterval) -> [Date] {
        (dates ?? []).filter { now.timeIntervalSince($0) < window }
    }
}
