import Foundation

/// Who asked for a maintenance window and on which service.
public struct ExclusionWindowRequest: Sendable {
    public var nodeId: NodePath
    public var service: String
    public var reason: String?
    public var expectedEndAt: Date?
    public var requestedBy: String?
    /// The requester is an admin: it may plan a window up to `maxPlannedExclusionWindow`.
    public var byAdmin: Bool

    public init(
        nodeId: NodePath, service: String, reason: String?, expectedEndAt: Date?, requestedBy: String?,
        byAdmin: Bool = false
    ) {
        self.nodeId = nodeId
        self.service = service
        self.reason = reason
        self.expectedEndAt = expectedEndAt
        self.requestedBy = requestedBy
        self.byAdmin = byAdmin
    }
}

extension SLAEngine {
    /// Opens a window on a service (SPEC §4): `notFound` for an unknown service; while one is
    /// active, returns it (`created` false). A window that passed its end is closed first.
    public func startExclusionWindow(_ request: ExclusionWindowRequest) async throws -> (
        window: ExclusionWindow, created: Bool
    ) {
        let now = clock.now()
        if let reason = request.reason, reason.count > 1_000 {
            throw ITOpsError.invalid("reason: must be at most 1000 characters")
        }
        var planned = false
        if let end = request.expectedEndAt {
            guard end > now else { throw ITOpsError.invalid("expectedEndAt: must be in the future") }
            let span = end.timeIntervalSince(now)
            if span > cap {
                // A forgotten window must not hide downtime: the cap holds for explicit ends too.
                guard request.byAdmin else {
                    throw ITOpsError.forbidden(
                        "expectedEndAt: at most \(Self.describe(cap)) ahead (ITOPS_MAX_EXCLUSION_WINDOW); a longer planned window needs an admin"
                    )
                }
                guard span <= settings.maxPlannedExclusionWindow else {
                    throw ITOpsError.invalid(
                        "expectedEndAt: at most \(Self.describe(settings.maxPlannedExclusionWindow)) ahead (ITOPS_MAX_PLANNED_EXCLUSION_WINDOW)"
                    )
                }
                planned = true
            }
        }
        let cap = self.cap
        let opened: (window: ExclusionWindow, created: Bool) = try await store.write { tx in
            guard let service = try await tx.service(nodeId: request.nodeId, name: request.service) else {
                throw ITOpsError.notFound("service: no service '\(request.service)' on node \(request.nodeId)")
            }
            if let active = try await closeExpired(tx.exclusionWindows(serviceId: service.id), tx: tx, now: now)
                .first(where: { $0.isActive(at: now, cap: cap) })
            {
                return (active, false)
            }
            let window = ExclusionWindow(
                serviceId: service.id, reason: request.reason, startedAt: now, expectedEndAt: request.expectedEndAt,
                startedBy: request.requestedBy)
            try await tx.insert(window)
            return (window, true)
        }
        if planned, opened.created, let end = request.expectedEndAt {
            // Recorded where operators look: a long window is announced like any SLA alert.
            events.publish([
                .slaAlert(
                    Alert(
                        kind: .exclusionWindowPlanned, nodeId: request.nodeId, serviceId: opened.window.serviceId,
                        serviceName: request.service,
                        message:
                            "\(request.requestedBy ?? "an admin") planned a maintenance window on \(request.service) until \(ISO8601.format(end)), longer than ITOPS_MAX_EXCLUSION_WINDOW",
                        at: now))
            ])
        }
        return opened
    }

    /// `36h`, `7d`, `90m` or seconds: how long a cap is, for messages.
    static func describe(_ interval: TimeInterval) -> String {
        let seconds = Int(interval)
        if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3_600 == 0 { return "\(seconds / 3_600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// Stops the active window of a service; `notFound` when the service or an active window is missing.
    public func stopExclusionWindow(nodeId: NodePath, service name: String) async throws -> ExclusionWindow {
        let now = clock.now()
        let cap = self.cap
        return try await store.write { tx in
            guard let service = try await tx.service(nodeId: nodeId, name: name) else {
                throw ITOpsError.notFound("service: no service '\(name)' on node \(nodeId)")
            }
            let windows = try await closeExpired(tx.exclusionWindows(serviceId: service.id), tx: tx, now: now)
            guard var active = windows.first(where: { $0.isActive(at: now, cap: cap) }) else {
                throw ITOpsError.notFound("service: no active exclusion window on '\(name)'")
            }
            active.endedAt = now
            try await tx.update(active)
            return active
        }
    }

    /// Records the end of windows that closed by themselves (at `expectedEndAt` or the cap).
    /// Returns the windows, updated.
    private func closeExpired(_ windows: [ExclusionWindow], tx: any StoreWriter, now: Date) async throws
        -> [ExclusionWindow]
    {
        var result: [ExclusionWindow] = []
        for var window in windows {
            if window.endedAt == nil, window.effectiveEnd(cap: cap) <= now {
                window.endedAt = window.effectiveEnd(cap: cap)
                try await tx.update(window)
            }
            result.append(window)
        }
        return result
    }

    /// Closes every window past its end (the SLA job, so lists show them closed). Returns how many.
    @discardableResult
    public func closeExpiredWindows() async throws -> Int {
        let now = clock.now()
        let cap = self.cap
        let open = try await reader.exclusionWindows(from: now, to: now.addingTimeInterval(1))
            .filter { $0.endedAt == nil }
        let expired = open.filter { $0.effectiveEnd(cap: cap) <= now }
        guard !expired.isEmpty else { return 0 }
        try await store.write { tx in
            for var window in expired {
                window.endedAt = window.effectiveEnd(cap: cap)
                try await tx.update(window)
            }
        }
        return expired.count
    }

    /// Recent windows, most recent first, with their service.
    public func exclusionWindows(limit: Int) async throws -> [ExclusionWindow] {
        try await reader.recentExclusionWindows(limit: limit)
    }
}
