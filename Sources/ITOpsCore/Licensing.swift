import Foundation

/// A licensed plugin. Core monitoring (ingest, services, nodes, backups, storage) is not a plugin
/// and is never gated.
public enum Plugin: String, Vocabulary {
    case ticketing
    case sla
    case audit
    public static let vocabularyName = "plugin"
}

/// The effective license state at one instant: what is enabled and why.
public struct LicenseStatus: Sendable, Equatable {
    /// Which product the installation runs as.
    public enum Edition: String, Sendable, Equatable {
        /// A valid, unexpired license is active.
        case licensed
        /// No valid license, but the trial is running: every plugin is on.
        case trial
        /// No valid license and no trial: core monitoring only.
        case community
    }

    /// The state of the license itself.
    public enum State: String, Sendable, Equatable {
        /// A valid license is active.
        case active
        /// No valid license; the trial is running.
        case trial
        /// The stored license has expired and no trial is left.
        case expired
        /// No license was ever activated (or it no longer verifies) and no trial is left.
        case community
    }

    /// The licensee of the active or expired license.
    public var customer: String?
    /// Plugins enabled now (the license's and, while the trial runs, all of them), in canonical order.
    public var plugins: [Plugin]
    /// Plugins the stored license names, whether or not it is still valid.
    public var licensedPlugins: [Plugin]
    /// When the stored license expires (or expired).
    public var expiresAt: Date?
    /// The trial is running.
    public var trial: Bool
    /// When the trial ends (or ended); `nil` when the trial is disabled (`ITOPS_TRIAL_DAYS=0`).
    public var trialEndsAt: Date?
    public var edition: Edition
    public var state: State
    public var licenseId: String?
    public var maxServices: Int?

    public init(
        customer: String? = nil, plugins: [Plugin], licensedPlugins: [Plugin] = [], expiresAt: Date? = nil,
        trial: Bool, trialEndsAt: Date?, edition: Edition, state: State, licenseId: String? = nil,
        maxServices: Int? = nil
    ) {
        self.customer = customer
        self.plugins = plugins
        self.licensedPlugins = licensedPlugins
        self.expiresAt = expiresAt
        self.trial = trial
        self.trialEndsAt = trialEndsAt
        self.edition = edition
        self.state = state
        self.licenseId = licenseId
        self.maxServices = maxServices
    }

    /// Whether `plugin` is enabled now.
    public func isEnabled(_ plugin: Plugin) -> Bool { plugins.contains(plugin) }
}

/// What the store keeps about licensing: one row, created at first start.
public struct LicenseSettings: Sendable, Equatable {
    /// When this installation first started: the trial runs from here.
    public var trialStartedAt: Date
    /// The active license token, as activated (verified again on every start).
    public var licenseToken: String?
    /// When `licenseToken` was activated.
    public var activatedAt: Date?
    public var updatedAt: Date

    public init(trialStartedAt: Date, licenseToken: String? = nil, activatedAt: Date? = nil, updatedAt: Date) {
        self.trialStartedAt = trialStartedAt
        self.licenseToken = licenseToken
        self.activatedAt = activatedAt
        self.updatedAt = updatedAt
    }
}

/// The one place that says whether a plugin's features may run.
///
/// Decisions are computed from the injected clock on every call, so a license or trial that
/// expires while the server runs switches its plugins off at once, without a restart.
public protocol PluginGate: Sendable {
    /// Whether `plugin` is licensed or in trial right now.
    func isEnabled(_ plugin: Plugin) -> Bool
}

extension PluginGate {
    /// Throws `pluginNotLicensed` naming `plugin` unless it is enabled.
    public func require(_ plugin: Plugin) throws(ITOpsError) {
        guard isEnabled(plugin) else { throw .pluginNotLicensed(plugin) }
    }
}

/// The license as the API sees it: the gate, the current state, and activation.
public protocol Licensing: PluginGate {
    /// The effective state now.
    func status() -> LicenseStatus
    /// Verifies `token` and makes it the active license (persisted, `license:updated` published).
    /// A refused token throws `malformed` or `invalid` with a message for the user and changes nothing.
    func activate(token: String) async throws -> LicenseStatus
}

extension ITOpsError {
    /// The error of a feature whose plugin is neither licensed nor in trial.
    public static func pluginNotLicensed(_ plugin: Plugin) -> ITOpsError {
        ITOpsError(
            .pluginNotLicensed,
            "the \(plugin.rawValue) plugin is not licensed: the trial has ended or is disabled and no active license includes it; activate a license that does (POST /api/v1/license/activate)"
        )
    }
}
