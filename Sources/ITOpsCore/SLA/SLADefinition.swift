import Foundation

/// The availability target of one tier (SPEC §4), stored and editable.
public struct SLADefinition: Sendable, Equatable, Codable {
    public var name: String
    public var tier: Criticality
    /// Availability target in percent, e.g. 99.9.
    public var targetPercent: Double
    /// The share of the error budget past which a period is `AT_RISK`.
    public var atRiskBudgetFraction: Double
    public var updatedAt: Date

    public init(
        name: String, tier: Criticality, targetPercent: Double, atRiskBudgetFraction: Double,
        updatedAt: Date = Date(timeIntervalSince1970: 0)
    ) {
        self.name = name
        self.tier = tier
        self.targetPercent = targetPercent
        self.atRiskBudgetFraction = atRiskBudgetFraction
        self.updatedAt = updatedAt
    }

    /// The defaults of SPEC §4: critical 99.95, high 99.9, medium 99.5, low 99.0; at risk at 0.75.
    public static func defaults(at now: Date) -> [SLADefinition] {
        [
            (Criticality.critical, 99.95), (.high, 99.9), (.medium, 99.5), (.low, 99.0),
        ].map {
            SLADefinition(
                name: $0.0.rawValue, tier: $0.0, targetPercent: $0.1, atRiskBudgetFraction: 0.75, updatedAt: now)
        }
    }

    /// The same definition without its timestamp, for comparing content.
    public var content: SLADefinition {
        var copy = self
        copy.updatedAt = Date(timeIntervalSince1970: 0)
        return copy
    }

    /// The share of eligible time that may be down, `1 − target/100`, in parts per million
    /// (the target rounded to 4 decimals, as 99.9999 %).
    public var budgetPPM: Int64 { max(0, 1_000_000 - Int64((targetPercent * 10_000).rounded())) }

    /// The error budget of `eligibleMs`, in milliseconds.
    public func budgetMs(eligibleMs: Int64) -> Int64 { budgetPPM * max(0, eligibleMs) / 1_000_000 }

    /// Checks the ranges an admin may set; the error names the field.
    public func validate() throws {
        guard targetPercent.isFinite, targetPercent > 0, targetPercent <= 100 else {
            throw ITOpsError.invalid("targetPercent: must be above 0 and at most 100, not \(targetPercent)")
        }
        guard atRiskBudgetFraction.isFinite, atRiskBudgetFraction > 0, atRiskBudgetFraction <= 1 else {
            throw ITOpsError.invalid(
                "atRiskBudgetFraction: must be above 0 and at most 1, not \(atRiskBudgetFraction)")
        }
    }
}

/// Whether a period kept its SLA.
public enum SLAStatus: String, Vocabulary {
    case met = "MET"
    case atRisk = "AT_RISK"
    case breached = "BREACHED"
    public static let vocabularyName = "status"

    /// SPEC §4: budget = (1 − target) × eligible time of the whole period; `BREACHED` when the
    /// downtime exceeds it, `AT_RISK` from `atRiskBudgetFraction` of it. A period without any
    /// downtime is `MET`, even with a zero budget.
    public init(downtimeMs: Int64, periodEligibleMs: Int64, definition: SLADefinition) {
        self.init(
            downtimeMs: downtimeMs, periodEligibleMs: periodEligibleMs, budgetPPM: definition.budgetPPM,
            atRiskBudgetFraction: definition.atRiskBudgetFraction)
    }

    /// The same from a definition's two terms.
    public init(downtimeMs: Int64, periodEligibleMs: Int64, budgetPPM: Int64, atRiskBudgetFraction: Double) {
        // In parts per million of eligible time, in integers: 99.9 % is exactly 1,000 ppm of
        // budget, and 1,000 ms of a 1,000,000 ms period is exactly the budget, not a hair above it.
        let budget = budgetPPM * max(0, periodEligibleMs)
        let down = downtimeMs * 1_000_000
        if downtimeMs <= 0 {
            self = .met
        } else if down > budget {
            self = .breached
        } else if Double(down) >= atRiskBudgetFraction * Double(budget) {
            self = .atRisk
        } else {
            self = .met
        }
    }
}

/// How `UNKNOWN` time counts (`ITOPS_SLA_UNKNOWN_POLICY`).
public enum UnknownPolicy: String, Vocabulary {
    /// Unknown time is not eligible: it neither helps nor hurts (the default).
    case exclude
    /// Unknown time counts as downtime.
    case down
    public static let vocabularyName = "ITOPS_SLA_UNKNOWN_POLICY"
}
