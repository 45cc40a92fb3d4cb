import Foundation

extension Commands {
    /// `POST /api/v1/sla/exclusion-window/start`.
    public struct ExclusionWindowStart: Decodable, Sendable {
        public var service: String?
        public var nodeId: String?
        public var reason: String?
        /// ISO 8601; without it the window closes after `ITOPS_MAX_EXCLUSION_WINDOW`.
        public var expectedEndAt: String?
        /// A change ticket (id or key) the window belongs to: its timeline shows the window.
        public var ticketId: String?

        public init(
            service: String?, nodeId: String?, reason: String?, expectedEndAt: String?, ticketId: String? = nil
        ) {
            self.service = service
            self.nodeId = nodeId
            self.reason = reason
            self.expectedEndAt = expectedEndAt
            self.ticketId = ticketId
        }
    }

    /// `POST /api/v1/sla/exclusion-window/stop`.
    public struct ExclusionWindowStop: Decodable, Sendable {
        public var service: String?
        public var nodeId: String?

        public init(service: String?, nodeId: String?) {
            self.service = service
            self.nodeId = nodeId
        }
    }

    /// `POST /api/v1/sla/report/generate`: `date` defaults to yesterday (UTC).
    public struct ReportGenerate: Decodable, Sendable {
        public var date: String?
        public init(date: String? = nil) { self.date = date }
    }
}

extension SLAEngine {
    /// Validates the reference's body and opens (or returns the active) window.
    public func startExclusionWindow(
        _ command: Commands.ExclusionWindowStart, by requester: String?, byAdmin: Bool = false
    ) async throws
        -> (window: ExclusionWindow, created: Bool)
    {
        let nodeId = try Check.nodePath(command.nodeId, defaultUnknown: true)
        let name = try Check.name(command.service, "service")
        let reason = try Check.text(command.reason, "reason", max: 1_000)
        var expectedEndAt: Date?
        if let text = command.expectedEndAt {
            guard let date = ISO8601.parse(text) else {
                throw ITOpsError.invalid("expectedEndAt: must be an ISO 8601 timestamp like 2026-04-20T02:00:00Z")
            }
            expectedEndAt = date
        }
        return try await startExclusionWindow(
            ExclusionWindowRequest(
                nodeId: nodeId, service: name, reason: reason, expectedEndAt: expectedEndAt, requestedBy: requester,
                byAdmin: byAdmin))
    }

    /// Validates the reference's body and stops the active window.
    public func stopExclusionWindow(_ command: Commands.ExclusionWindowStop) async throws -> ExclusionWindow {
        try await stopExclusionWindow(
            nodeId: Check.nodePath(command.nodeId, defaultUnknown: true),
            service: Check.name(command.service, "service"))
    }

    /// The day a report request names: `YYYY-MM-DD`, default yesterday (UTC).
    public func reportDay(_ text: String?) throws -> Int64 {
        guard let text else { return SLAPeriod.dayStart(SLAPeriod.ms(clock.now())) - SLAPeriod.day }
        guard let day = SLAPeriod.parseDay(text) else {
            throw ITOpsError.invalid("date: must be a day written YYYY-MM-DD, not '\(text.prefix(40))'")
        }
        return day
    }
}
