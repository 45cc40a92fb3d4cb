import Foundation
import ITOpsCore
import Logging
import Synchronization

/// Whether credentials already handed out still hold: a user deleted, disabled, demoted or whose
/// credentials version was bumped, a session signed out or revoked, an API key revoked or expired.
///
/// Access tokens and cached API keys are checked on every request against a snapshot of the
/// `users`, `api_keys` and recently revoked `refresh_tokens` rows. The snapshot is read again when
/// it is older than `interval` (by the injected clock) — so a change made on another instance (or
/// by the CLI) takes effect here within `interval` plus one read — and at once after a change made
/// through this instance (`invalidate`).
final class CredentialState: Sendable {
    private struct Loaded: Sendable {
        let snapshot: CredentialSnapshot
        let at: Date
    }

    private struct State {
        var loaded: Loaded?
        /// The read in flight: concurrent requests wait for the same one.
        var loading: Task<Loaded, any Error>?
        /// Bumped by `invalidate`; a read started before a bump is not trusted after it.
        var generation = 0
    }

    let store: any Store
    let clock: any WallClock
    /// Longest age of the snapshot (`ITOPS_AUTH_REFRESH_INTERVAL`).
    let interval: TimeInterval
    let logger: Logger
    private let state = Mutex(State())

    init(store: any Store, clock: any WallClock, interval: TimeInterval, logger: Logger) {
        self.store = store
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    /// Forgets the snapshot: the next check reads the database.
    func invalidate() {
        state.withLock { state in
            state.loaded = nil
            state.loading = nil
            state.generation += 1
        }
    }

    /// `principal` as it stands now (a user's role re-read), or `unauthenticated` with the reason
    /// it no longer holds.
    func check(_ principal: Principal) async throws -> Principal {
        switch principal.kind {
        case .user(let id, _):
            // A token issued after the snapshot was read may name a user created since.
            let issuedAt = principal.expiresAt.map { $0.addingTimeInterval(-AccessTokens.lifetime) }
            var snapshot = try await current()
            if snapshot.snapshot.users[id] == nil, let issuedAt, issuedAt >= snapshot.at {
                invalidate()
                snapshot = try await current()
            }
            guard let user = snapshot.snapshot.users[id] else {
                throw ITOpsError.unauthenticated("the user no longer exists")
            }
            guard !user.disabled else { throw ITOpsError.unauthenticated("this account is disabled") }
            guard principal.credentialsVersion == user.credentialsVersion else {
                throw ITOpsError.unauthenticated("your credentials changed since this token was issued; sign in again")
            }
            if let session = principal.sessionId, snapshot.snapshot.revokedSessions.contains(session) {
                throw ITOpsError.unauthenticated("this session was signed out or revoked; sign in again")
            }
            var current = principal
            current.role = user.role
            return current
        case .apiKey(let id, _):
            if let expiresAt = principal.expiresAt, expiresAt <= clock.now() {
                throw ITOpsError.unauthenticated("API key expired")
            }
            let snapshot = try await current()
            if snapshot.snapshot.keys[id]?.revoked == true {
                throw ITOpsError.unauthenticated("invalid or revoked API key")
            }
            return principal
        }
    }

    /// The snapshot, read again when older than `interval`. When the database does not answer,
    /// an older snapshot is used (a revocation then waits for the database); without one the
    /// check fails with `unavailable`.
    private func current() async throws -> Loaded {
        let now = clock.now()
        enum Next {
            case ready(Loaded)
            case wait(Task<Loaded, any Error>, generation: Int, stale: Loaded?)
        }
        let next = state.withLock { state -> Next in
            if let loaded = state.loaded, now.timeIntervalSince(loaded.at) < interval, loaded.at <= now {
                return .ready(loaded)
            }
            if let loading = state.loading { return .wait(loading, generation: state.generation, stale: state.loaded) }
            let store = store
            let window = AccessTokens.lifetime + 60
            let task = Task {
                // Stamped before the read: whatever changed after this instant is read next time.
                let at = now
                let snapshot = try await store.reader.credentialSnapshot(revokedSince: at.addingTimeInterval(-window))
                return Loaded(snapshot: snapshot, at: at)
            }
            state.loading = task
            return .wait(task, generation: state.generation, stale: state.loaded)
        }
        switch next {
        case .ready(let loaded):
            return loaded
        case .wait(let task, let generation, let stale):
            do {
                let loaded = try await task.value
                state.withLock { state in
                    guard state.generation == generation else { return }
                    state.loaded = loaded
                    state.loading = nil
                }
                return loaded
            } catch {
                state.withLock { state in
                    if state.generation == generation { state.loading = nil }
                }
                if let stale {
                    logger.warning("could not re-read credentials; using the last snapshot", metadata: ["error": "\(error)"])
                    return stale
                }
                throw ITOpsError(.unavailable, "the database is not answering; try again")
            }
        }
    }
}
