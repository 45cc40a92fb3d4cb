import Foundation
import ITOpsCore
import Synchronization

/// A token bucket per principal: `rate` tokens a second, at most `burst` saved up.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    private let rate: Double
    private let burst: Double
    private let clock: any WallClock
    private let buckets = Mutex([String: Bucket]())
    private static let maxBuckets = 50_000

    init(rate: Double, burst: Double, clock: any WallClock) {
        self.rate = rate
        self.burst = max(1, burst)
        self.clock = clock
    }

    /// Takes one token for `key`; `nil` when allowed, else the seconds until the next token.
    func take(_ key: String) -> Double? {
        let now = clock.now()
        return buckets.withLock { buckets in
            if buckets.count > Self.maxBuckets {
                // Full buckets carry no state worth keeping: drop them.
                buckets = buckets.filter { $0.value.tokens + now.timeIntervalSince($0.value.updated) * rate < burst }
            }
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + max(0, now.timeIntervalSince(bucket.updated)) * rate)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return rate > 0 ? (1 - bucket.tokens) / rate : .infinity
            }
            bucket.tokens -= 1
            buckets[key] = bucket
            return nil
        }
    }
}
