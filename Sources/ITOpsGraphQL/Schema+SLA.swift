import Foundation
import Graphiti
import ITOpsCore

extension ITOpsAPI {
    /// The SLA plugin: trends, dashboard, error budgets, definitions, incidents, windows, reports.
    static var slaSchema: PartialSchema<Resolver, GraphQLContext> {
        PartialSchema(
            types: {
                Type(SLAPeriodDTO.self, as: "SLAPeriod") {
                    Field("periodKey", at: \.periodKey).description("2026-04-20T01:05Z, 2026-04-20 or 2026-04 (UTC).")
                    Field("periodStart", at: \.periodStart)
                    Field("periodEnd", at: \.periodEnd)
                    Field("actualValue", at: \.actualValue)
                        .description("100 × (1 − downtime / eligible time); 100 without eligible time.")
                    Field("targetValue", at: \.targetValue).description(
                        "The SLA target in percent; null without an SLA.")
                    Field("status", at: \.status)
                        .description(
                            "MET | AT_RISK | BREACHED against the error budget of the whole period; null without an SLA."
                        )
                    Field("incidentCount", at: \.incidentCount).description(
                        "Downtime episodes that started in the period.")
                    Field("uptimeMinutes", at: \.uptimeMinutes).description("Eligible time up, degraded included.")
                    Field("downtimeMinutes", at: \.downtimeMinutes)
                    Field("degradedMinutes", at: \.degradedMinutes)
                    Field("unknownMinutes", at: \.unknownMinutes).description("Always reported, whatever the policy.")
                    Field("excludedMinutes", at: \.excludedMinutes).description("Exclusion windows and MAINTENANCE.")
                    Field("eligibleMinutes", at: \.eligibleMinutes)
                    Field("budgetMinutes", at: \.budgetMinutes).description("Error budget of the whole period.")
                }
                Type(SLADashboardStatsDTO.self, as: "SLADashboardStats") {
                    Field("totalServices", at: \.totalServices)
                    Field("servicesWithSla", at: \.servicesWithSla)
                        .description("Services in an SLA group or with a criticality.")
                    Field("metCount", at: \.metCount)
                    Field("atRiskCount", at: \.atRiskCount)
                    Field("breachedCount", at: \.breachedCount)
                    Field("averageUptime", at: \.averageUptime)
                        .description("Mean availability this month of the services with an SLA; 100 with none.")
                }
                .description("This calendar month (UTC) to date.")
                Type(SLAErrorBudgetDTO.self, as: "SLAErrorBudget") {
                    Field("scope", at: \.scope).description("service | group")
                    Field("scopeId", at: \.scopeId).description("The service id or the group name.")
                    Field("name", at: \.name)
                    Field("targetValue", at: \.targetValue)
                    Field("actualValue", at: \.actualValue)
                    Field("status", at: \.status)
                    Field("budgetMinutes", at: \.budgetMinutes)
                    Field("consumedMinutes", at: \.consumedMinutes)
                    Field("remainingMinutes", at: \.remainingMinutes)
                    Field("remainingFraction", at: \.remainingFraction).description("Below 0 once breached.")
                }
                .description("This calendar month (UTC).")
                Type(SLADefinitionDTO.self, as: "SLADefinition") {
                    Field("name", at: \.name)
                    Field("tier", at: \.tier).description("critical | high | medium | low")
                    Field("targetPercent", at: \.targetPercent)
                    Field("atRiskBudgetFraction", at: \.atRiskBudgetFraction)
                    Field("updatedAt", at: \.updatedAt)
                }
                Type(IncidentDTO.self, as: "Incident") {
                    Field("id", at: \.id)
                    Field("serviceId", at: \.serviceId)
                    Field("serviceName", at: \.serviceName)
                    Field("nodeId", at: \.nodeId)
                    Field("openedAt", at: \.openedAt)
                    Field("closedAt", at: \.closedAt)
                    Field("open", at: \.open)
                    Field("durationMinutes", at: \.durationMinutes)
                    Field("message", at: \.message)
                }
                Type(ExclusionWindowDTO.self, as: "ExclusionWindow") {
                    Field("id", at: \.id)
                    Field("serviceId", at: \.serviceId)
                    Field("serviceName", at: \.serviceName)
                    Field("nodeId", at: \.nodeId)
                    Field("reason", at: \.reason)
                    Field("startedAt", at: \.startedAt)
                    Field("expectedEndAt", at: \.expectedEndAt)
                    Field("endsAt", at: \.endsAt)
                        .description("When it ends: stop, expectedEndAt, or the ITOPS_MAX_EXCLUSION_WINDOW cap.")
                    Field("endedAt", at: \.endedAt)
                    Field("active", at: \.active)
                    Field("startedBy", at: \.startedBy)
                }
                Type(SLAReportDTO.self, as: "SLAReport") {
                    Field("date", at: \.date)
                    Field("generatedAt", at: \.generatedAt)
                    Field("groupCount", at: \.groupCount)
                    Field("serviceCount", at: \.serviceCount)
                    Field("breachedCount", at: \.breachedCount)
                    Field("jsonUrl", at: \.jsonUrl)
                    Field("csvUrl", at: \.csvUrl)
                }
                Input(Resolver.TrendFilterInput.self, as: "SLATrendFilter") {
                    InputField("periodType", at: \.periodType).description("DAILY (default) | MONTHLY")
                    InputField("monthsBack", at: \.monthsBack).description("1–36; default 1 (DAILY) or 12 (MONTHLY).")
                    InputField("serviceId", at: \.serviceId)
                    InputField("slaGroup", at: \.slaGroup)
                }
            },
            query: {
                Field("slaSnapshotTrend", at: Resolver.slaSnapshotTrend) {
                    Argument("serviceId", at: \.serviceId)
                    Argument("hoursBack", at: \.hoursBack).description("1–168, default 1.")
                }
                .description(
                    "5-minute buckets aligned to the clock: hoursBack × 12 complete buckets, then the bucket in progress."
                )
                Field("slaTrendData", at: Resolver.slaTrendData) {
                    Argument("filter", at: \.filter)
                }
                .description(
                    "DAILY or MONTHLY periods of a service, an SLA group, or (neither) the fleet: every service summed."
                )
                Field("slaDashboardStats", at: Resolver.slaDashboardStats)
                Field("slaErrorBudgets", at: Resolver.slaErrorBudgets)
                    .description("Error budget of every service and group with an SLA, this month.")
                Field("slaDefinitions", at: Resolver.slaDefinitions)
                Field("incidents", at: Resolver.incidents) {
                    Argument("first", at: \.first).description("1–500, default 50.")
                    Argument("serviceId", at: \.serviceId)
                    Argument("openOnly", at: \.openOnly)
                    Argument("daysBack", at: \.daysBack).description("1–366, default 30.")
                }
                .description("Most recent first.")
                Field("exclusionWindows", at: Resolver.exclusionWindows) {
                    Argument("first", at: \.first).description("1–500, default 50.")
                }
                .description("Most recent first.")
                Field("slaReports", at: Resolver.slaReports) {
                    Argument("first", at: \.first).description("1–500, default 31.")
                }
                .description("Daily reports, most recent first.")
            },
            mutation: {
                Field("startExclusionWindow", at: Resolver.startExclusionWindow) {
                    Argument("service", at: \.service)
                    Argument("nodeId", at: \.nodeId)
                    Argument("reason", at: \.reason)
                    Argument("expectedEndAt", at: \.expectedEndAt).description("ISO 8601.")
                    Argument("ticketId", at: \.ticketId).description(
                        "A change ticket (id or key): its timeline shows the window. Plugin ticketing.")
                }
                .description("Operator. Returns the active window if one is open already.")
                Field("stopExclusionWindow", at: Resolver.stopExclusionWindow) {
                    Argument("service", at: \.service)
                    Argument("nodeId", at: \.nodeId)
                }
                .description("Operator. NOT_FOUND without an active window.")
                Field("updateSlaDefinition", at: Resolver.updateSlaDefinition) {
                    Argument("tier", at: \.tier)
                    Argument("targetPercent", at: \.targetPercent)
                    Argument("atRiskBudgetFraction", at: \.atRiskBudgetFraction)
                    Argument("name", at: \.name)
                }
                .description("Admin.")
                Field("generateSlaReport", at: Resolver.generateSlaReport) {
                    Argument("date", at: \.date).description("YYYY-MM-DD, default yesterday (UTC).")
                }
                .description("Operator. Regenerating a day replaces its report.")
            }
        )
    }
}
