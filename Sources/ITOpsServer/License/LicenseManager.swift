import Crypto
import Foundation
import ITOpsCore
import ITOpsLicense
import Logging
import Synchronization

/// The license of this installation: trial, active license, plugin gate and activation.
///
/// All gating decisions come from here. They are computed from the injected clock on every call,
/// so an expiry while running switches plugins off at once; the first call that sees a change
/// (a gate check, a `status()`, or `LicenseWatchJob`) publishes `license:updated`.
public final class LicenseManager: Licensing {
    /// A token whose signature verified, with its claims (possibly expired by now).
    struct Active: Sendable {
        let token: String
        let license: License
    }

    private struct State: Sendable {
        var trialStartedAt: Date
        var active: Active?
        /// The state last published (or found at start-up): changes are measured against it.
        var announced: LicenseStatus?
        /// Activation order, taken inside the write transaction (= commit order), so concurrent
        /// activations leave the one committed last in memory too.
        var issued = 0
        var applied = 0
    }

    private let store: any Store
    private let events: any EventBus
    private let clock: any WallClock
    private let publicKey: Curve25519.Signing.PublicKey
    private let trialDays: Int
    private let logger: Logger
    private let state: Mutex<State>

    private init(
        store: any Store, events: any EventBus, clock: any WallClock, publicKey: Curve25519.Signing.PublicKey,
        trialDays: Int, logger: Logger, state: State
    ) {
        self.store = store
        self.events = events
        self.clock = clock
        self.publicKey = publicKey
        self.trialDays = trialDays
        self.logger = logger
        self.state = Mutex(state)
    }

    /// Records the trial start at first start, reloads the stored license, and checks
    /// `ITOPS_LICENSE_KEY` once. A bad key is logged in one line and ignored: it never stops the server.
    static func start(config: Config, store: any Store, events: any EventBus, clock: any WallClock, logger: Logger)
        async throws -> LicenseManager
    {
        let publicKey =
            try config.licensePublicKey.map { key throws(LicenseError) in try LicenseToken.publicKey(base64: key) }
            ?? LicenseToken.vendorPublicKey
        let now = clock.now()
        var settings = try await store.write { tx in
            if let existing = try await tx.licenseSettings() { return existing }
            let fresh = LicenseSettings(trialStartedAt: now, updatedAt: now)
            try await tx.save(fresh)
            return fresh
        }
        var active: Active?
        if let token = settings.licenseToken {
            do {
                active = Active(token: token, license: try LicenseToken.verifySignature(token, publicKey: publicKey))
            } catch {
                logger.warning(
                    "the stored license does not verify with the configured public key and is ignored: \(error.message)"
                )
            }
        }
        if let token = config.licenseKey?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty {
            do {
                let license = try LicenseToken.verify(token, publicKey: publicKey, now: now)
                if let current = active, current.token != token, current.license.expiresAt > license.expiresAt,
                    current.license.expiresAt > now
                {
                    logger.notice(
                        "ITOPS_LICENSE_KEY is valid, but the license activated through the API lasts longer; keeping that one"
                    )
                } else if active?.token != token {
                    settings.licenseToken = token
                    settings.activatedAt = now
                    settings.updatedAt = now
                    let toSave = settings
                    try await store.write { tx in try await tx.save(toSave) }
                    active = Active(token: token, license: license)
                    logger.notice(
                        "license from ITOPS_LICENSE_KEY activated",
                        metadata: [
                            "customer": "\(license.customer)", "plugins": "\(license.plugins.joined(separator: ","))",
                            "expires": "\(license.expiresAt.iso8601)",
                        ])
                }
            } catch let error as LicenseError {
                logger.error(
                    "ITOPS_LICENSE_KEY refused: \(error.message); continuing without it (trial or community edition)")
            }
        }
        let manager = LicenseManager(
            store: store, events: events, clock: clock, publicKey: publicKey, trialDays: max(0, config.trialDays),
            logger: logger, state: State(trialStartedAt: settings.trialStartedAt, active: active))
        // Take the start-up state as the baseline: nothing is announced for it.
        manager.state.withLock { $0.announced = manager.compute(now: now, $0) }
        return manager
    }

    // MARK: Licensing

    public func isEnabled(_ plugin: Plugin) -> Bool { status().isEnabled(plugin) }

    public func status() -> LicenseStatus {
        let (status, change) = evaluate(reason: nil)
        if let change { events.publish([.licenseUpdated(change)]) }
        return status
    }

    /// Publishes `license:updated` if the state changed since the last look (an expiry while
    /// running); returns the change, if any. Called periodically by `LicenseWatchJob`.
    @discardableResult
    public func checkForChanges() -> LicenseChange? {
        let (_, change) = evaluate(reason: nil)
        if let change { events.publish([.licenseUpdated(change)]) }
        return change
    }

    public func activate(token: String) async throws -> LicenseStatus {
        let token = token.trimmingCharacters(in: .whitespacesAndNewlines)
        let now = clock.now()
        let license: License
        do {
            license = try LicenseToken.verify(token, publicKey: publicKey, now: now)
        } catch {
            throw Self.refusal(error)
        }
        let ticket = try await store.write { tx in
            var settings = try await tx.licenseSettings() ?? LicenseSettings(trialStartedAt: now, updatedAt: now)
            settings.licenseToken = token
            settings.activatedAt = now
            settings.updatedAt = now
            try await tx.save(settings)
            return self.state.withLock { state in
                state.issued += 1
                return state.issued
            }
        }
        state.withLock { state in
            guard ticket > state.applied else { return }
            state.applied = ticket
            state.active = Active(token: token, license: license)
        }
        let (status, change) = evaluate(reason: "license activated")
        if let change { events.publish([.licenseUpdated(change)]) }
        logger.notice(
            "license activated",
            metadata: [
                "customer": "\(license.customer)", "plugins": "\(license.plugins.joined(separator: ","))",
                "expires": "\(license.expiresAt.iso8601)",
            ])
        return status
    }

    /// Picks up a license activated on another instance sharing the database. The instance that
    /// activated it announced the change to every subscriber, so this one adopts it silently.
    public func reloadFromStore() async {
        guard let settings = try? await store.reader.licenseSettings() else { return }
        let active = settings.licenseToken.flatMap { token in
            (try? LicenseToken.verifySignature(token, publicKey: publicKey)).map { Active(token: token, license: $0) }
        }
        let now = clock.now()
        state.withLock { state in
            guard state.active?.token != active?.token else { return }
            state.active = active
            state.trialStartedAt = settings.trialStartedAt
            state.announced = compute(now: now, state)
        }
    }

    /// A refused token as a user-facing domain error: 400 when it is not a token at all, 422 otherwise.
    static func refusal(_ error: LicenseError) -> ITOpsError {
        switch error.reason {
        case .malformed: .malformed("license refused: \(error.message)")
        default: .invalid("license refused: \(error.message)")
        }
    }

    // MARK: Evaluation

    /// The state now and, when it differs from the last announced one (or `reason` forces it),
    /// the change to publish.
    private func evaluate(reason: String?) -> (LicenseStatus, LicenseChange?) {
        let now = clock.now()
        return state.withLock { state in
            let status = compute(now: now, state)
            let previous = state.announced
            guard reason != nil || previous != status else { return (status, nil) }
            state.announced = status
            let why = reason ?? Self.describe(from: previous, to: status)
            return (
                status,
                LicenseChange(
                    customer: status.customer, plugins: status.plugins.map(\.rawValue), expiresAt: status.expiresAt,
                    trial: status.trial, reason: why, at: now)
            )
        }
    }

    private func compute(now: Date, _ state: State) -> LicenseStatus {
        let trialEndsAt =
            trialDays > 0 ? state.trialStartedAt.addingTimeInterval(TimeInterval(trialDays) * 86_400) : nil
        let inTrial = trialEndsAt.map { now < $0 } ?? false
        let license = state.active?.license
        let valid = license.map { $0.expiresAt > now } ?? false
        let licensed = license?.plugins.compactMap(Plugin.init(rawValue:)) ?? []
        // The trial keeps every plugin on until it ends, even beside a smaller license.
        let enabled = inTrial ? Plugin.allCases : (valid ? licensed : [])
        let edition: LicenseStatus.Edition = valid ? .licensed : (inTrial ? .trial : .community)
        let licenseState: LicenseStatus.State =
            valid ? .active : (inTrial ? .trial : (license != nil ? .expired : .community))
        return LicenseStatus(
            customer: license?.customer, plugins: enabled, licensedPlugins: licensed, expiresAt: license?.expiresAt,
            trial: inTrial, trialEndsAt: trialEndsAt, edition: edition, state: licenseState,
            licenseId: license?.licenseId, maxServices: license?.maxServices)
    }

    private static func describe(from previous: LicenseStatus?, to status: LicenseStatus) -> String {
        if previous?.state == .active, status.state != .active { return "license expired" }
        if previous?.trial == true, !status.trial { return "trial ended" }
        return "license state changed"
    }
}
