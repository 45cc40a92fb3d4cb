import Foundation
import Synchronization

/// What the SLA questions about "now" read — the inventory, every transition since a little before
/// the oldest instant any of them looks at, the exclusion windows — kept in memory and brought up
/// to date from the database's change feed before each question (docs/sla.md, "The live month in
/// memory").
///
/// The feed is the database's, not this process's events, so the copy is right on every instance
/// of a PostgreSQL deployment and after a missed event: transitions come by their sequence
/// (`SLAReader.transitionFeed`); everything else the math reads bumps `slaInputsVersion` in the
/// transaction that changed it, and a new version reloads the whole copy. A question therefore
/// costs three small reads plus the work its answer needs, and the answer is the one the engine
/// would compute from the tables (`SLALiveHistoryTests` compares both after random histories).
///
/// Each service's timeline of the current month is cached until one of its transitions arrives,
/// and each group's until one of its members changes; a question sums cached figures.
final class SLALiveHistory: Sendable {
    /// How far before the oldest instant asked about transitions are kept (a day: the month's
    /// horizon moves once a day).
    static let slack: Int64 = SLAPeriod.day

    private let state = Mutex<State?>(nil)
    /// How many times the inputs were read (whole or besides the transitions), for tests.
    private let reloadCount = Mutex(0)

    var reloads: Int { reloadCount.withLock { $0 } }

    /// What the copy holds, structure by structure (`SLAEngine.liveFootprint`).
    func footprint() -> [SLAFootprintItem] { state.withLock { $0?.footprint() ?? [] } }

    /// One transition as the math needs it, in 24 bytes (a copy holds millions: BENCHMARKS.md, "RSS at
    /// 100,000 services"): the time, the feed's sequence with both statuses in its low byte, and
    /// 64 bits of the transition's id — enough to tell a transition read again from another one of
    /// the same service in the same millisecond (`merge`).
    struct Change: Sendable, Equatable {
        var at: Int64
        /// `seq << 8 | from << 3 | to`, statuses by `Change.code` (`from` 7: none).
        private var packed: UInt64
        /// Half of the id's bits, folded (`Change.tag`).
        var tag: UInt64

        init(seq: Int64, id: UUID, at: Int64, from: ServiceStatus?, to: ServiceStatus) {
            precondition(seq >= 0 && seq < 1 << 55, "transition sequence out of range")
            self.at = at
            packed = UInt64(seq) << 8 | UInt64(from.map(Self.code) ?? 7) << 3 | UInt64(Self.code(to))
            tag = Self.tag(id)
        }

        var seq: Int64 { Int64(packed >> 8) }
        var from: ServiceStatus? {
            let code = Int(packed >> 3 & 7)
            return code == 7 ? nil : Self.statuses[code]
        }
        var to: ServiceStatus { Self.statuses[Int(packed & 7)] }

        private static let statuses = ServiceStatus.allCases.map { $0 }
        private static func code(_ status: ServiceStatus) -> Int { statuses.firstIndex(of: status)! }

        /// The id's two halves folded into one: transition ids are random (version 4) UUIDs.
        static func tag(_ id: UUID) -> UInt64 {
            withUnsafeBytes(of: id.uuid) { $0.load(fromByteOffset: 0, as: UInt64.self) ^ $0.load(fromByteOffset: 8, as: UInt64.self) }
        }
    }

    /// What the copy holds of one service (32 bytes).
    struct ServiceState: Sendable {
        /// Transitions with `at >= lower`, in `(at, seq)` order.
        var changes: [Change] = []
        /// Windows not ended before `lower`.
        var windows: [ExclusionWindow] = []
        /// The current status and when it was taken: the latest transition's (a report placed
        /// into history is older than it and leaves the status alone, docs/api.md).
        var current: (at: Int64, status: ServiceStatus)?
    }

    struct State: Sendable {
        var inputsVersion: Int64
        var cursor: SLAFeedCursor
        /// Transitions with `at >= lower` are held.
        var lower: Int64
        var inventory: SLAInventory
        /// What is held of each service, by place in `inventory.services`.
        var held: [ServiceState] = []
        /// Transitions of services the inventory does not know (yet), by id.
        var strays: [UUID: ServiceState] = [:]
        /// Each service's place in `inventory.services`.
        var index: [UUID: Int] = [:]
        /// Each service's definition (from its group's tier or its criticality), by place.
        var definitions: [SLADefinition?] = []
        /// The two terms of each definition the status needs, by place.
        var budgets: [(ppm: Int64, atRisk: Double)?] = []
        /// Whether the service belongs to an existing SLA group, by place.
        var grouped: [Bool] = []
        /// The closed part of the month of every service, by place, and the month rows it came from.
        var closed: (key: ClosedMonthCache.Key, figures: [AvailabilityFigures])?
        /// Month timelines (`from` to `to`), by service and by group, and what they were built over.
        var cache = TimelineCache()

        init(inputsVersion: Int64, cursor: SLAFeedCursor, lower: Int64, inputs: Inputs) {
            (self.inputsVersion, self.cursor, self.lower) = (inputsVersion, cursor, lower)
            inventory = inputs.inventory
            replace(inputs, version: inputsVersion)
        }

        /// Takes inputs read afresh; the transitions held stay.
        mutating func replace(_ inputs: Inputs, version: Int64) {
            inputsVersion = version
            let (previous, previousIndex) = (inventory, index)
            inventory = inputs.inventory
            index = Dictionary(inventory.services.enumerated().map { ($1.id, $0) }) { first, _ in first }
            var old = held
            held = []
            held.reserveCapacity(inventory.services.count)
            for service in inventory.services {
                var state = ServiceState()
                if let place = previousIndex[service.id], place < old.count {
                    swap(&state.changes, &old[place].changes)
                } else if let stray = strays.removeValue(forKey: service.id) {
                    state.changes = stray.changes
                }
                state.current = (SLAPeriod.ms(service.statusChangedAt), service.status)
                held.append(state)
            }
            // Services gone from the inventory keep their transitions, as strays.
            for (place, state) in old.enumerated() where !state.changes.isEmpty && index[previous.services[place].id] == nil {
                strays[previous.services[place].id] = ServiceState(changes: state.changes)
            }
            for id in strays.keys { strays[id]!.windows = [] }
            for window in inputs.windows {
                if let place = index[window.serviceId] {
                    held[place].windows.append(window)
                } else {
                    strays[window.serviceId, default: ServiceState()].windows.append(window)
                }
            }
            definitions = inventory.services.map { inventory.definition(of: $0) }
            budgets = definitions.map { $0.map { ($0.budgetPPM, $0.atRiskBudgetFraction) } }
            grouped = Array(repeating: false, count: inventory.services.count)
            for members in inventory.memberIndices.values { for place in members { grouped[place] = true } }
            closed = nil
            cache = TimelineCache()
            cache.services = Array(repeating: nil, count: inventory.services.count)
        }

        /// The closed part of the month of every service, by place.
        mutating func closedFigures(_ month: ClosedMonthCache.Figures, key: ClosedMonthCache.Key) -> [AvailabilityFigures] {
            if let closed, closed.key == key { return closed.figures }
            let figures = inventory.services.map { month.services[$0.id] ?? AvailabilityFigures() }
            closed = (key, figures)
            return figures
        }

        /// Whether a question needs the service's figures: it has an SLA or is counted in a group's.
        func matters(_ place: Int) -> Bool { budgets[place] != nil || grouped[place] }
    }

    struct TimelineCache: Sendable {
        var from: Int64 = 0
        var to: Int64 = 0
        var policy: UnknownPolicy = .exclude
        /// By place in the inventory.
        var services: [CoverageTimeline?] = []
        var groups: [String: CoverageTimeline] = [:]

        mutating func reset(from: Int64, to: Int64, policy: UnknownPolicy) {
            guard from != self.from || to != self.to || policy != self.policy else { return }
            (self.from, self.to, self.policy) = (from, to, policy)
            services = Array(repeating: nil, count: services.count)
            groups.removeAll(keepingCapacity: true)
        }
    }

    /// The longest burn-rate window: its transitions are kept whatever the month needs.
    static let burnRateReach: Int64 = BurnRateRule.standard.map(\.long).max() ?? 0

    /// Brings the copy up to date with the database, so that it can answer questions about the
    /// month from `monthFrom` (its horizon) and the burn-rate windows up to `now`, then runs `body`.
    func withCurrent<R>(
        reader: any StoreReader, engine: SLAEngine, monthFrom: Int64, now: Int64, _ body: (inout State) throws -> R
    ) async throws -> R {
        // Both kinds of question are served from one copy: it keeps the older of their starts.
        let keep = min(monthFrom, now - Self.burnRateReach) - Self.slack
        let version = try await reader.slaInputsVersion()
        let current = state.withLock { state -> (cursor: SLAFeedCursor, sameInputs: Bool)? in
            guard let state, state.lower <= keep else { return nil }
            return (state.cursor, state.inputsVersion == version)
        }
        if let current {
            // Inputs other than statuses changed: read them again; the transitions held stay right.
            let inputs = current.sameInputs ? nil : try await Inputs.read(reader: reader, engine: engine, lower: keep)
            let feed = try await reader.transitionFeed(after: current.cursor)
            if inputs != nil { reloadCount.withLock { $0 += 1 } }
            return try state.withLock { state in
                // Another question may have moved the copy on meanwhile: the feed applies only
                // what is newer, and inputs read under an older version are not put back.
                guard var live = state.take() else { throw CancellationError() }
                defer { state = live }
                if let inputs, live.inputsVersion != version { live.replace(inputs, version: version) }
                live.apply(feed.transitions, next: feed.next)
                if keep - live.lower > SLAPeriod.day { live.prune(below: keep) }
                return try body(&live)
            }
        }
        var loaded = try await load(reader: reader, engine: engine, version: version, lower: keep)
        reloadCount.withLock { $0 += 1 }
        return try state.withLock { state in
            defer { state = loaded }
            return try body(&loaded)
        }
    }

    /// The copy brought up to date, as a value to read outside the lock: a question that reads
    /// for long (the burn-rate pass) then holds up no other. The snapshot shares the copy's
    /// storage; whatever a later question changes in the copy is copied then, once (copy on write),
    /// and the snapshot keeps what it saw.
    func snapshot(reader: any StoreReader, engine: SLAEngine, monthFrom: Int64, now: Int64) async throws -> State {
        try await withCurrent(reader: reader, engine: engine, monthFrom: monthFrom, now: now) { $0 }
    }

    /// Reads the whole copy. The feed cursor and the inputs version are read first: whatever is
    /// written while the rest is read comes again through them.
    private func load(reader: any StoreReader, engine: SLAEngine, version: Int64, lower: Int64) async throws -> State {
        let cursor = try await reader.transitionFeedCursor()
        var live = State(
            inputsVersion: version, cursor: cursor, lower: lower,
            inputs: try await Inputs.read(reader: reader, engine: engine, lower: lower))
        let rows = try await reader.sequencedTransitions(from: lower)
        live.reserve(for: rows)
        live.apply(rows, next: cursor)
        return live
    }

    /// What the math reads besides transitions.
    struct Inputs: Sendable {
        var inventory: SLAInventory
        var windows: [ExclusionWindow]

        static func read(reader: any StoreReader, engine: SLAEngine, lower: Int64) async throws -> Inputs {
            Inputs(
                inventory: try await engine.inventory(),
                windows: try await reader.exclusionWindows(from: SLAPeriod.date(lower), to: .distantFuture))
        }
    }
}

extension SLALiveHistory.State {
    /// Gives every service's list room for exactly the rows about to be applied: grown one append at
    /// a time, the lists kept a third of their room empty.
    mutating func reserve(for feed: [SequencedTransition]) {
        var counts = [Int](repeating: 0, count: held.count)
        for row in feed where row.transition.at.epochMilliseconds >= lower {
            if let place = index[row.transition.serviceId] { counts[place] += 1 }
        }
        for place in held.indices where counts[place] > 0 {
            held[place].changes.reserveCapacity(held[place].changes.count + counts[place])
        }
    }

    /// Applies transitions from the feed: new ones join their service's history in time order, a
    /// rewritten one replaces the one held, one seen before is skipped (`merge`).
    mutating func apply(_ feed: [SequencedTransition], next: SLAFeedCursor) {
        cursor = SLAFeedCursor(position: max(cursor.position, next.position))
        for row in feed {
            let t = row.transition
            let at = t.at.epochMilliseconds
            guard let place = index[t.serviceId] else {
                guard at >= lower else { continue }
                let change = SLALiveHistory.Change(seq: row.seq, id: t.id, at: at, from: t.from, to: t.to)
                _ = strays[t.serviceId, default: .init()].changes.merge(change)
                continue
            }
            if let now = held[place].current, at >= now.at {
                held[place].current = (at, t.to)
                if now.status != t.to { invalidate(place) }
            }
            guard at >= lower else { continue }
            let change = SLALiveHistory.Change(seq: row.seq, id: t.id, at: at, from: t.from, to: t.to)
            guard held[place].changes.merge(change) else { continue }
            invalidate(place)
        }
    }

    /// Forgets the transitions before `lower` (no question starts before it any more).
    mutating func prune(below newLower: Int64) {
        guard newLower > lower else { return }
        lower = newLower
        for place in held.indices {
            guard let first = held[place].changes.first, first.at < newLower else { continue }
            held[place].changes.removeAll { $0.at < newLower }
        }
        for (id, stray) in strays {
            guard let first = stray.changes.first, first.at < newLower else { continue }
            strays[id]!.changes.removeAll { $0.at < newLower }
            if strays[id]!.changes.isEmpty, strays[id]!.windows.isEmpty { strays.removeValue(forKey: id) }
        }
    }

    private mutating func invalidate(_ place: Int) {
        guard cache.services[place] != nil else { return }
        cache.services[place] = nil
        if let group = inventory.services[place].slaGroup { cache.groups.removeValue(forKey: group) }
    }

    /// The history of the service at `place` over `[from, now]` exactly as the engine reads it from
    /// the tables (`SLAEngine.liveHistories`): transitions with `from <= at <= now`, windows started
    /// before `now` and not stopped before `from`.
    func history(at place: Int, from: Int64, now: Int64, cap: TimeInterval) -> ServiceHistory {
        let held = held[place]
        return Self.history(
            of: inventory.services[place], held: held, changes: held.changes.within(from, through: now),
            windows: held.windows.filter {
                SLAPeriod.ms($0.startedAt) < now && ($0.endedAt.map { SLAPeriod.ms($0) > from } ?? true)
            }, cap: cap)
    }

    /// A service's history from the changes and windows chosen: the status before the first change
    /// is that change's `from`, or the current status without one.
    private static func history(
        of service: Service, held: SLALiveHistory.ServiceState, changes: ArraySlice<SLALiveHistory.Change>,
        windows: [ExclusionWindow], cap: TimeInterval
    ) -> ServiceHistory {
        ServiceHistory(
            serviceId: service.id, createdAt: SLAPeriod.ms(service.createdAt),
            initialStatus: changes.first.map { $0.from ?? .unknown } ?? held.current?.status ?? service.status,
            changes: changes.map { .init(at: $0.at, status: $0.to) }, exclusions: windows.map { $0.span(cap: cap) })
    }

    /// The timeline of `service` from the cache's `from` to its `to`, whose figures up to any `now`
    /// before `to` are those of the engine's timeline over `[from, now)`: a later change or window
    /// only shapes the time after `now`. Not cacheable (`nil`) while a change is stamped after
    /// `now` and is the first of the period — the engine then starts from the current status.
    mutating func monthTimeline(at place: Int, now: Int64, cap: TimeInterval) -> CoverageTimeline? {
        if let cached = cache.services[place] { return cached }
        let from = cache.from
        let held = held[place]
        let own = held.changes.within(from, through: .max)
        if let first = own.first, first.at > now { return nil }
        let history = Self.history(
            of: inventory.services[place], held: held, changes: own,
            windows: held.windows.filter { $0.endedAt.map { SLAPeriod.ms($0) > from } ?? true }, cap: cap)
        let timeline = history.timeline(from: from, to: cache.to, policy: cache.policy)
        cache.services[place] = timeline
        return timeline
    }
}

extension Array where Element == SLALiveHistory.Change {
    /// Takes `change` unless it is held already: a transition read again (PostgreSQL's feed repeats
    /// recent rows) is skipped, a rewritten one (same id and time, higher `seq`: a relinked
    /// transition, docs/api.md) replaces the one held. Both are found by time, so the copy needs
    /// no table of transition ids; ids are compared by their 64-bit tag, among the service's own
    /// transitions of the same millisecond. Returns whether anything changed.
    mutating func merge(_ change: Element) -> Bool {
        var index = firstIndex(after: change.at - 1)
        while index < endIndex, self[index].at == change.at {
            if self[index].tag == change.tag {
                guard self[index].seq < change.seq else { return false }
                remove(at: index)
            } else {
                index += 1
            }
        }
        insertInOrder(change)
        return true
    }

    /// Inserts `change` in `(at, seq)` order; nearly always the newest, so found from the end.
    mutating func insertInOrder(_ change: Element) {
        var index = endIndex
        while index > startIndex, (self[index - 1].at, self[index - 1].seq) > (change.at, change.seq) { index -= 1 }
        insert(change, at: index)
    }

    /// The changes with `from <= at <= through`, found by bisection (the array is in time order).
    func within(_ from: Int64, through: Int64) -> ArraySlice<Element> {
        let lower = firstIndex(after: from - 1)
        let upper = through == .max ? endIndex : firstIndex(after: through)
        return self[lower..<Swift.max(lower, upper)]
    }

    /// The index of the first change stamped after `t`.
    private func firstIndex(after t: Int64) -> Int {
        var (low, high) = (startIndex, endIndex)
        while low < high {
            let middle = (low + high) / 2
            if self[middle].at <= t { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

extension Optional {
    /// Moves the value out, leaving `nil`.
    fileprivate mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}
