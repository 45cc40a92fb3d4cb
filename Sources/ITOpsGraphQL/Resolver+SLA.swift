import Foundation
import Graphiti
import ITOpsCore

extension Resolver {
    struct SnapshotTrendArguments: Codable, Sendable {
        let serviceId: String
        let hoursBack: Int?
    }

    struct TrendFilterInput: Codable, Sendable {
        let periodType: String?
        let monthsBack: Int?
        let serviceId: String?
        let slaGroup: String?
    }

    struct TrendArguments: Codable, Sendable {
        let filter: TrendFilterInput?
    }

    struct FirstArgument: Codable, Sendable {
        let first: Int?
    }

    struct IncidentsArguments: Codable, Sendable {
        let first: Int?
        let serviceId: String?
        let openOnly: Bool?
        let daysBack: Int?
    }

    struct StartWindowArguments: Codable, Sendable {
        let service: String
        let nodeId: String?
        let reason: String?
        let expectedEndAt: String?
        let ticketId: String?
    }

    struct StopWindowArguments: Codable, Sendable {
        let service: String
        let nodeId: String?
    }

    struct UpdateDefinitionArguments: Codable, Sendable {
        let tier: String
        let targetPercent: Double?
        let atRiskBudgetFraction: Double?
        let name: String?
    }

    struct GenerateReportArguments: Codable, Sendable {
        let date: String?
    }

    /// The SLA engine, after the role and plugin checks every SLA resolver makes.
    private func engine(_ context: GraphQLContext, _ role: Role = .viewer) throws -> SLAEngine {
        try context.require(role)
        try context.requirePlugin(.sla)
        guard let engine = context.backend.sla else { throw ITOpsError(.unavailable, "the SLA engine is not running") }
        return engine
    }

    func slaSnapshotTrend(context: GraphQLContext, arguments: SnapshotTrendArguments) async throws -> [SLAPeriodDTO] {
        let engine = try engine(context)
        let id = try Self.uuid(arguments.serviceId, field: "serviceId")
        return try await Self.offloaded {
            try await engine.snapshotTrend(serviceId: id, hoursBack: arguments.hoursBack ?? 1)
        }.map(SLAPeriodDTO.init)
    }

    func slaTrendData(context: GraphQLContext, arguments: TrendArguments) async throws -> [SLAPeriodDTO] {
        let engine = try engine(context)
        let filter = arguments.filter
        let kind: SLAPeriod.Kind
        if let text = filter?.periodType {
            guard let value = SLAPeriod.Kind(rawValue: text) else {
                throw ITOpsError.invalid("filter.periodType: must be one of \(SLAPeriod.Kind.allowedSpellings)")
            }
            kind = value
        } else {
            kind = .daily
        }
        let scope: SLAScope
        switch (filter?.serviceId, filter?.slaGroup) {
        case (.some, .some): throw ITOpsError.invalid("filter: give serviceId or slaGroup, not both")
        case (.some(let id), nil): scope = .service(try Self.uuid(id, field: "filter.serviceId"))
        case (nil, .some(let group)): scope = .group(group)
        case (nil, nil): scope = .fleet
        }
        do {
            let monthsBack = filter?.monthsBack ?? (kind == .daily ? 1 : 12)
            return try await Self.offloaded { try await engine.trend(kind, monthsBack: monthsBack, scope: scope) }
                .map(SLAPeriodDTO.init)
        } catch let error as ITOpsError where error.code == .invalid && error.message.hasPrefix("monthsBack") {
            throw ITOpsError.invalid("filter." + error.message)
        }
    }

    func slaDashboardStats(context: GraphQLContext, arguments: NoArguments) async throws -> SLADashboardStatsDTO {
        let engine = try engine(context)
        return SLADashboardStatsDTO(try await Self.monthSummary(engine, context).dashboard)
    }

    func slaErrorBudgets(context: GraphQLContext, arguments: NoArguments) async throws -> [SLAErrorBudgetDTO] {
        let engine = try engine(context)
        let budgets = try await context.budget.memoised("slaErrorBudgets") { try await engine.errorBudgets() }
        try context.charge(budgets.count)
        return budgets.map(SLAErrorBudgetDTO.init)
    }

    func slaDefinitions(context: GraphQLContext, arguments: NoArguments) async throws -> [SLADefinitionDTO] {
        try await engine(context).definitions().values.sorted { $0.targetPercent > $1.targetPercent }
            .map(SLADefinitionDTO.init)
    }

    func updateSlaDefinition(context: GraphQLContext, arguments: UpdateDefinitionArguments) async throws
        -> SLADefinitionDTO
    {
        let engine = try engine(context, .admin)
        guard let tier = Criticality(rawValue: arguments.tier) else {
            throw ITOpsError.invalid("tier: must be one of \(Criticality.allowedSpellings)")
        }
        return SLADefinitionDTO(
            try await engine.updateDefinition(
                tier: tier, targetPercent: arguments.targetPercent,
                atRiskBudgetFraction: arguments.atRiskBudgetFraction,
                name: arguments.name))
    }

    func incidents(context: GraphQLContext, arguments: IncidentsArguments) async throws -> [IncidentDTO] {
        let engine = try engine(context)
        let limit = try Self.limit(arguments.first)
        let days = arguments.daysBack ?? 30
        guard (1...366).contains(days) else { throw ITOpsError.invalid("daysBack: must be between 1 and 366") }
        let now = engine.clock.now()
        let reader = context.backend.reader
        var incidents: [Incident]
        if let text = arguments.serviceId {
            let id = try Self.uuid(text, field: "serviceId")
            incidents = try await reader.incidents(serviceId: id).reversed()
                .filter { ($0.closedAt ?? now) > now.addingTimeInterval(-Double(days) * 86_400) }
        } else {
            incidents = try await reader.incidents(
                from: now.addingTimeInterval(-Double(days) * 86_400), to: now.addingTimeInterval(1),
                limit: arguments.openOnly == true ? 10_000 : limit)
        }
        if arguments.openOnly == true { incidents = incidents.filter { $0.closedAt == nil } }
        var shown = Array(incidents.prefix(limit))
        let services = try await Self.services(Set(shown.map(\.serviceId)), reader: reader)
        if let principal = context.principal, principal.nodeScope != nil {
            shown = shown.filter { services[$0.serviceId].map { principal.covers($0.nodeId) } ?? false }
        }
        return shown.map { IncidentDTO($0, service: services[$0.serviceId], now: now) }
    }

    func exclusionWindows(context: GraphQLContext, arguments: FirstArgument) async throws -> [ExclusionWindowDTO] {
        let engine = try engine(context)
        let windows = try await engine.exclusionWindows(limit: try Self.limit(arguments.first))
        let services = try await Self.services(Set(windows.map(\.serviceId)), reader: context.backend.reader)
        let now = engine.clock.now()
        return windows.map {
            ExclusionWindowDTO($0, service: services[$0.serviceId], cap: engine.settings.maxExclusionWindow, now: now)
        }
    }

    func slaReports(context: GraphQLContext, arguments: FirstArgument) async throws -> [SLAReportDTO] {
        let engine = try engine(context)
        return try await engine.store.reader.slaReports(limit: try Self.limit(arguments.first, default: 31)).map {
            SLAReportDTO($0, summary: try? SLAReport.decode($0.document))
        }
    }

    func startExclusionWindow(context: GraphQLContext, arguments: StartWindowArguments) async throws
        -> ExclusionWindowDTO
    {
        let engine = try engine(context, .operator)
        let principal = try context.require(.operator)
        try principal.requireScope(nodeId: arguments.nodeId)
        var ticket: Ticket?
        if let reference = arguments.ticketId { ticket = try await Self.desk(context).changeTicket(reference) }
        let (window, created) = try await engine.startExclusionWindow(
            Commands.ExclusionWindowStart(
                service: arguments.service, nodeId: arguments.nodeId, reason: arguments.reason,
                expectedEndAt: arguments.expectedEndAt), by: principal.label, byAdmin: principal.role == .admin)
        if let ticket, created, let desk = context.backend.tickets {
            try await desk.noteExclusionWindow(
                window, service: "\(arguments.nodeId ?? "unknown")/\(arguments.service)", on: ticket,
                by: TicketActor(principal))
        }
        return try await describe(window, engine: engine, context: context)
    }

    func stopExclusionWindow(context: GraphQLContext, arguments: StopWindowArguments) async throws
        -> ExclusionWindowDTO
    {
        let engine = try engine(context, .operator)
        try context.require(.operator).requireScope(nodeId: arguments.nodeId)
        let window = try await engine.stopExclusionWindow(
            Commands.ExclusionWindowStop(service: arguments.service, nodeId: arguments.nodeId))
        return try await describe(window, engine: engine, context: context)
    }

    func generateSlaReport(context: GraphQLContext, arguments: GenerateReportArguments) async throws -> SLAReportDTO {
        let engine = try engine(context, .operator)
        let report = try await engine.generateReport(day: engine.reportDay(arguments.date))
        guard let record = try await engine.store.reader.slaReport(date: report.date) else {
            throw ITOpsError(.internal, "the report was generated but not stored")
        }
        return SLAReportDTO(record, summary: report)
    }

    private func describe(_ window: ExclusionWindow, engine: SLAEngine, context: GraphQLContext) async throws
        -> ExclusionWindowDTO
    {
        ExclusionWindowDTO(
            window, service: try await context.backend.reader.service(id: window.serviceId),
            cap: engine.settings.maxExclusionWindow, now: engine.clock.now())
    }

    private static func services(_ ids: Set<UUID>, reader: any StoreReader) async throws -> [UUID: Service] {
        try await reader.services(ids: ids)
    }

    /// `slaGroups { status currentUptime }`: this month to date, when the SLA plugin is enabled.
    static func currentMonth(_ context: GraphQLContext) async throws -> [String: SLAPeriodResult]? {
        guard let engine = context.backend.sla, (try? context.requirePlugin(.sla)) != nil else { return nil }
        // Memoised: every alias of `slaGroups` in one operation shares one computation.
        return try await monthSummary(engine, context).groups
    }

    /// This month's summary, computed once per operation: `slaDashboardStats` and `slaGroups` asked
    /// together share one computation (each call to the engine waits for one that started after it).
    static func monthSummary(_ engine: SLAEngine, _ context: GraphQLContext) async throws -> CurrentMonth {
        try await context.budget.memoised("slaMonthSummary") { try await engine.monthSummary() }
    }
}

extension Resolver {
    /// Runs `work` on the GraphQL threads. Graphiti wraps each resolver in an unstructured task,
    /// which forgets the executor the operation was started on: without this, SLA figures were
    /// computed on the cooperative pool that serves ingest (a profile of Benchmarks/mixed.sh).
    static func offloaded<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(GraphQLExecutor.workers) { try await work() }
    }
}
