import Foundation
import ITOpsCore
import Synchronization

/// The SLA line notifications carry: "SLA this month: 99.952 % (target 99.9 %), 52 % of the error budget
/// left (10.4 of 21.6 min)" for the event's SLA group, else its service.
///
/// The month's figures are computed for the whole fleet at once, so they are kept for `ttl`: a flap of
/// 500 services asks once, not 500 times.
final class SLAFigureLines: Sendable {
    private let sla: SLAEngine
    private let ttl: Duration
    private let cache = Mutex<(read: ContinuousClock.Instant, budgets: [SLAErrorBudget])?>(nil)

    init(sla: SLAEngine, ttl: Duration = .seconds(30)) {
        self.sla = sla
        self.ttl = ttl
    }

    func line(serviceId: UUID?, group: String?) async -> String? {
        let budgets: [SLAErrorBudget]
        let now = ContinuousClock.now
        if let cached = cache.withLock({ $0 }), now - cached.read < ttl {
            budgets = cached.budgets
        } else {
            guard let fresh = try? await sla.errorBudgets() else { return nil }
            cache.withLock { $0 = (now, fresh) }
            budgets = fresh
        }
        let budget =
            group.flatMap { name in budgets.first { $0.scope == .group && $0.scopeId == name } }
            ?? serviceId.flatMap { id in budgets.first { $0.scope == .service && $0.scopeId == id.stored } }
        guard let budget, let target = budget.result.targetPercent else { return nil }
        let minutes = { (ms: Int64) in String(format: "%.1f", Double(ms) / 60_000) }
        let left = budget.budgetMs > 0 ? max(0, Double(budget.remainingMs) / Double(budget.budgetMs) * 100) : 0
        return "SLA this month (\(budget.name)): \(String(format: "%.3f", budget.result.actualPercent)) % "
            + "(target \(target) %), \(Int(left.rounded())) % of the error budget left "
            + "(\(minutes(max(0, budget.remainingMs))) of \(minutes(budget.budgetMs)) min)."
    }
}
