import Foundation
import Hummingbird
import ITOpsCore

/// The SLA plugin's REST API: maintenance windows, and the daily report (generate, download).
struct SLARoutes {
    let runtime: ITOpsRuntime
    let auth: Authenticator

    struct WindowResponse: Encodable {
        struct Window: Encodable {
            var id: String
            var serviceId: String
            var service: String
            var nodeId: String
            var reason: String?
            var startedAt: String
            var expectedEndAt: String?
            var endsAt: String
            var endedAt: String?
            var startedBy: String?
        }
        var success = true
        var message: String
        var window: Window
    }

    struct GenerateResponse: Encodable {
        var success = true
        var message: String
        var date: String
        var groups: Int
        var services: Int
        var download: [String: String]
    }

    func add(to router: Router<AppRequestContext>) {
        let sla = router.group("api/v1/sla", requiring: .sla, gate: runtime.license, auth: auth)
            .add(middleware: AuditMiddleware(runtime: runtime, auth: auth, targetType: "sla"))
        let engine = runtime.sla
        let tickets = runtime.tickets
        let cap = runtime.config.maxExclusionWindow

        sla.post("exclusion-window/start") { request, context in
            let principal = try await auth.require(.operator, request, scoped: true)
            var request = request
            let command = try await request.decodeJSON(Commands.ExclusionWindowStart.self, context: context)
            try principal.requireScope(nodeId: command.nodeId)
            var ticket: Ticket?
            if let reference = command.ticketId { ticket = try await tickets.changeTicket(reference) }
            let (window, created) = try await engine.startExclusionWindow(
                command, by: principal.label, byAdmin: principal.role == .admin)
            if let ticket, created {
                try await tickets.noteExclusionWindow(
                    window, service: "\(command.nodeId ?? "unknown")/\(command.service ?? "")", on: ticket,
                    by: TicketActor(principal))
            }
            return try jsonResponse(
                WindowResponse(
                    message: created ? "exclusion window started" : "an exclusion window is already active",
                    window: try await Self.describe(window, engine: engine, cap: cap)),
                status: created ? .created : .ok)
        }

        sla.post("exclusion-window/stop") { request, context in
            let principal = try await auth.require(.operator, request, scoped: true)
            var request = request
            let command = try await request.decodeJSON(Commands.ExclusionWindowStop.self, context: context)
            try principal.requireScope(nodeId: command.nodeId)
            let window = try await engine.stopExclusionWindow(command)
            return try jsonResponse(
                WindowResponse(
                    message: "exclusion window stopped",
                    window: try await Self.describe(window, engine: engine, cap: cap)))
        }

        sla.post("report/generate") { request, context in
            _ = try await auth.require(.operator, request)
            var request = request
            // The body is optional: no body (or `{}`) reports on yesterday.
            let empty = try await request.collectBody(upTo: context.maxUploadSize).readableBytes == 0
            let command =
                empty
                ? Commands.ReportGenerate()
                : try await request.decodeJSON(Commands.ReportGenerate.self, context: context)
            let report = try await engine.generateReport(day: engine.reportDay(command.date))
            return try jsonResponse(
                GenerateResponse(
                    message: "SLA report generated for \(report.date)", date: report.date,
                    groups: report.groups.count, services: report.services.count,
                    download: [
                        "json": "/api/v1/sla/reports/\(report.date).json",
                        "csv": "/api/v1/sla/reports/\(report.date).csv",
                    ]))
        }

        sla.get("reports/{date}") { request, context in
            _ = try await auth.require(.viewer, request)
            let raw = context.parameters.get("date") ?? ""
            let (date, format) = try Self.reportFormat(raw, accept: request.headers[.accept])
            guard SLAPeriod.parseDay(date) != nil else {
                throw ITOpsError.invalid("date: must be a day written YYYY-MM-DD, not '\(date.prefix(40))'")
            }
            guard let record = try await engine.store.reader.slaReport(date: date) else {
                throw ITOpsError.notFound("date: no SLA report for \(date); POST /api/v1/sla/report/generate makes one")
            }
            var headers = HTTPFields()
            let body: String
            switch format {
            case .json:
                headers[.contentType] = "application/json; charset=utf-8"
                body = record.document
            case .csv:
                headers[.contentType] = "text/csv; charset=utf-8"
                headers[.contentDisposition] = "attachment; filename=\"itops-sla-\(date).csv\""
                body = try SLAReport.decode(record.document).csv
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
    }

    enum ReportFormat { case json, csv }

    /// `2026-04-20.csv`, `2026-04-20.json`, or a bare date negotiated by `Accept` (JSON by default).
    static func reportFormat(_ raw: String, accept: String?) throws -> (String, ReportFormat) {
        if raw.hasSuffix(".csv") { return (String(raw.dropLast(4)), .csv) }
        if raw.hasSuffix(".json") { return (String(raw.dropLast(5)), .json) }
        if raw.contains(".") {
            throw ITOpsError.invalid("date: the report comes as .json or .csv, not '\(raw.prefix(40))'")
        }
        let wantsCSV =
            accept.map { $0.lowercased().contains("text/csv") && !$0.lowercased().contains("application/json") }
            ?? false
        return (raw, wantsCSV ? .csv : .json)
    }

    static func describe(_ window: ExclusionWindow, engine: SLAEngine, cap: TimeInterval) async throws
        -> WindowResponse.Window
    {
        let service = try await engine.store.reader.service(id: window.serviceId)
        return WindowResponse.Window(
            id: window.id.stored, serviceId: window.serviceId.stored, service: service?.name ?? "",
            nodeId: service?.nodeId.value ?? "", reason: window.reason, startedAt: ISO8601.format(window.startedAt),
            expectedEndAt: window.expectedEndAt.map(ISO8601.format),
            endsAt: ISO8601.format(window.effectiveEnd(cap: cap)),
            endedAt: window.endedAt.map(ISO8601.format), startedBy: window.startedBy)
    }
}
