import Foundation
import ITOpsCore

extension GraphQLBackend {
    /// The SLA engine; `nil` for backends without one (resolvers then answer a clear error).
    public var sla: SLAEngine? { nil }
}

/// One period of `slaSnapshotTrend` or `slaTrendData`.
struct SLAPeriodDTO: Codable, Sendable {
    let periodKey: String
    let periodStart: String
    let periodEnd: String
    let actualValue: Double
    let targetValue: Double?
    let status: String?
    let incidentCount: Int
    let uptimeMinutes: Double
    let downtimeMinutes: Double
    let degradedMinutes: Double
    let unknownMinutes: Double
    let excludedMinutes: Double
    let eligibleMinutes: Double
    let budgetMinutes: Double?

    init(_ r: SLAPeriodResult) {
        periodKey = r.periodKey
        periodStart = r.periodStart.iso8601
        periodEnd = r.periodEnd.iso8601
        actualValue = r.actualPercent
        targetValue = r.targetPercent
        status = r.status?.rawValue
        incidentCount = r.figures.incidents
        uptimeMinutes = Self.minutes(r.figures.upMs)
        downtimeMinutes = Self.minutes(r.figures.downMs)
        degradedMinutes = Self.minutes(r.figures.degradedMs)
        unknownMinutes = Self.minutes(r.figures.unknownMs)
        excludedMinutes = Self.minutes(r.figures.excludedMs)
        eligibleMinutes = Self.minutes(r.figures.eligibleMs)
        budgetMinutes = r.budgetMs.map(Self.minutes)
    }

    static func minutes(_ ms: Int64) -> Double { Double(ms) / 60_000 }
}

struct SLADashboardStatsDTO: Codable, Sendable {
    let totalServices: Int
    let servicesWithSla: Int
    let metCount: Int
    let atRiskCount: Int
    let breachedCount: Int
    let averageUptime: Double

    init(_ s: SLADashboardStats) {
        totalServices = s.totalServices
        servicesWithSla = s.servicesWithSla
        metCount = s.metCount
        atRiskCount = s.atRiskCount
        breachedCount = s.breachedCount
        averageUptime = s.averageUptime
    }
}

struct SLAErrorBudgetDTO: Codable, Sendable {
    let scope: String
    let scopeId: String
    let name: String
    let targetValue: Double?
    let actualValue: Double
    let status: String?
    let budgetMinutes: Double
    let consumedMinutes: Double
    let remainingMinutes: Double
    let remainingFraction: Double

    init(_ b: SLAErrorBudget) {
        scope = b.scope.rawValue
        scopeId = b.scopeId
        name = b.name
        targetValue = b.result.targetPercent
        actualValue = b.result.actualPercent
        status = b.result.status?.rawValue
        budgetMinutes = SLAPeriodDTO.minutes(b.budgetMs)
        consumedMinutes = SLAPeriodDTO.minutes(b.consumedMs)
        remainingMinutes = SLAPeriodDTO.minutes(b.remainingMs)
        remainingFraction = b.budgetMs > 0 ? Double(b.remainingMs) / Double(b.budgetMs) : (b.consumedMs > 0 ? -1 : 1)
    }
}

struct SLADefinitionDTO: Codable, Sendable {
    let name: String
    let tier: String
    let targetPercent: Double
    let atRiskBudgetFraction: Double
    let updatedAt: String

    init(_ d: SLADefinition) {
        name = d.name
        tier = d.tier.rawValue
        targetPercent = d.targetPercent
        atRiskBudgetFraction = d.atRiskBudgetFraction
        updatedAt = d.updatedAt.iso8601
    }
}

struct ExclusionWindowDTO: Codable, Sendable {
    let id: String
    let serviceId: String
    let serviceName: String?
    let nodeId: String?
    let reason: String?
    let startedAt: String
    let expectedEndAt: String?
    let endsAt: String
    let endedAt: String?
    let active: Bool
    let startedBy: String?

    init(_ w: ExclusionWindow, service: Service?, cap: TimeInterval, now: Date) {
        id = w.id.stored
        serviceId = w.serviceId.stored
        serviceName = service?.name
        nodeId = service?.nodeId.value
        reason = w.reason
        startedAt = w.startedAt.iso8601
        expectedEndAt = w.expectedEndAt?.iso8601
        endsAt = w.effectiveEnd(cap: cap).iso8601
        endedAt = w.endedAt?.iso8601
        active = w.isActive(at: now, cap: cap)
        startedBy = w.startedBy
    }
}

struct IncidentDTO: Codable, Sendable {
    let id: String
    let serviceId: String
    let serviceName: String?
    let nodeId: String?
    let openedAt: String
    let closedAt: String?
    let open: Bool
    let durationMinutes: Double
    let message: String?

    init(_ i: Incident, service: Service?, now: Date) {
        id = i.id.stored
        serviceId = i.serviceId.stored
        serviceName = service?.name
        nodeId = service?.nodeId.value
        openedAt = i.openedAt.iso8601
        closedAt = i.closedAt?.iso8601
        open = i.closedAt == nil
        durationMinutes = (i.closedAt ?? now).timeIntervalSince(i.openedAt) / 60
        message = i.message
    }
}

struct SLAReportDTO: Codable, Sendable {
    let date: String
    let generatedAt: String
    let groupCount: Int
    let serviceCount: Int
    let breachedCount: Int
    let jsonUrl: String
    let csvUrl: String

    init(_ r: SLAReportRecord, summary: SLAReport?) {
        date = r.date
        generatedAt = r.generatedAt.iso8601
        groupCount = summary?.groups.count ?? 0
        serviceCount = summary?.services.count ?? 0
        breachedCount = (summary.map { $0.groups + $0.services } ?? []).filter { $0.status == "BREACHED" }.count
        jsonUrl = "/api/v1/sla/reports/\(r.date).json"
        csvUrl = "/api/v1/sla/reports/\(r.date).csv"
    }
}
