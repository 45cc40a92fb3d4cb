import Crypto
import Foundation
import HummingbirdBcrypt
import ITOpsCore
import NIOPosix
import Synchronization

/// Random secrets and their hashes.
enum Secrets {
    /// `count` random bytes (the kernel's, through `RandomBytes`) as lower-case hex. Every request
    /// without an `X-Request-ID` pays for one: eight `getrandom(2)` calls before `RandomBytes`.
    static func randomHex(bytes count: Int) -> String {
        hex(RandomBytes.bytes(count))
    }

    /// SHA-256 as lower-case hex: for high-entropy secrets (API keys, refresh tokens) only.
    static func sha256(_ text: String) -> String {
        hex(SHA256.hash(data: Data(text.utf8)))
    }

    /// Lower-case hex of `bytes`. Every request pays for one (its id) and every API-key request
    /// for a second (the key's hash): `String(format:)` per byte was 8 % of a health report.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Slow, salted password hashing (bcrypt) on threads of its own — never on the event loops, the
/// cooperative pool or the database's thread pool — with a bound on how many checks may wait:
/// past it a sign-in is refused at once with 429 rather than queued behind a flood.
struct PasswordHasher: Sendable {
    /// Half the cores (at least one): a sign-in flood can take no more than that.
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(1, ProcessInfo.processInfo.activeProcessorCount / 2))
        pool.start()
        return pool
    }()

    let cost: Int
    /// Hashes running or waiting at most, per process.
    let admission: HashAdmission

    init(cost: Int, maxPending: Int = 16) {
        self.cost = cost
        admission = HashAdmission(limit: maxPending)
    }

    func hash(_ password: String) async throws -> String {
        let cost = UInt8(cost)
        return try await admitted { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await admitted { Bcrypt.verify(password, hash: hash) }
    }

    private func admitted<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        guard admission.enter() else {
            throw ITOpsError(.rateLimited, "too many sign-ins at once; try again in a few seconds")
        }
        defer { admission.leave() }
        return try await Self.pool.runIfActive(work)
    }
}

/// A counter of password checks in progress, refusing past its limit.
final class HashAdmission: Sendable {
    private let limit: Int
    private let count = Mutex(0)

    init(limit: Int) { self.limit = max(1, limit) }

    func enter() -> Bool {
        count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func leave() { count.withLock { $0 -= 1 } }
}
