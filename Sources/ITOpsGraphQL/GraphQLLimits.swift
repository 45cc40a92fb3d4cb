import Foundation

/// Limits that keep GraphQL safe, applied identically over HTTP and WebSocket.
public struct GraphQLLimits: Sendable, Equatable {
    /// Largest document, in UTF-8 bytes (`DOCUMENT_TOO_LARGE`).
    public var maxDocumentBytes = 32 * 1024
    /// Deepest nesting of fields with selections, fragments inlined (`QUERY_TOO_DEEP`).
    /// The standard introspection query needs 13.
    public var maxDepth = 15
    /// Largest cost (`QUERY_TOO_COMPLEX`): every field costs 1, and what is below a list field
    /// counts once per element: its `first` argument, or `defaultListSize` without one.
    public var maxComplexity = 20_000
    /// The assumed length of a list field that has no `first` argument.
    public var defaultListSize = 20
    /// Largest page a `first` argument accepts; a page size that cannot be known before execution
    /// (a variable without a value) is costed at this size.
    public var maxPageSize = 500
    /// The page a paged field returns without `first`, by field name (costed at that size).
    public var defaultPageSizes: [String: Int] = [
        "services": 50, "users": 50, "apiKeys": 50, "incidents": 50, "exclusionWindows": 50, "slaReports": 50,
        "webhookDeliveries": 50, "webhooks": 50, "workflows": 50, "storageVolumes": 50, "storageHistory": 100,
        "backupServices": 50, "serviceHistory": 50, "notificationDeliveries": 50,
    ]
    /// Fields that cost more than 1, by `Type.field`: the ones that compute SLA figures over a month
    /// or more, . Each alias of such a field pays again, so a document
    /// cannot repeat them past `maxComplexity`.
    public var weights: [String: Int] = [
        "Query.slaGroups": 1_000, "Query.slaDashboardStats": 1_000, "Query.slaTrendData": 1_000,
        "Query.slaErrorBudgets": 1_000, "Query.slaSnapshotTrend": 100, "Mutation.generateSlaReport": 2_000,
    ]
    /// Deepest nesting of brackets (`{`, `[`, `(`) in the document's text, checked before parsing
    /// (`QUERY_TOO_DEEP`): the parser is recursive.
    public var maxNesting = 64
    /// Most fields a document may hold once its fragments are expanded, checked before validation
    /// (whose rules walk the expanded document) — `QUERY_TOO_COMPLEX`.
    public var maxExpandedFields = 10_000
    /// Most steps the depth and cost analysis may take (`QUERY_TOO_COMPLEX`).
    public var analysisVisitBudget = 100_000
    /// Most list items one answer may hold, counted while it is built: lists whose length depends
    /// on the data (`nodes`, `slaGroups`, `SLAGroup.services`) stop the answer past it
    /// (`QUERY_TOO_COMPLEX`).
    public var maxResultItems = GraphQLLimits.defaultMaxResultItems
    /// The default of `maxResultItems`.
    public static let defaultMaxResultItems = 20_000
    /// Longest a query or mutation may run before it is answered with `TIMEOUT`.
    public var deadline: Duration = .seconds(10)
    /// Queries and mutations running at once on this instance; more wait, and past
    /// `maxQueuedOperations` waiting ones are refused with `OVERLOADED`.
    public var maxConcurrentOperations = 16
    /// Operations that may wait for a slot.
    public var maxQueuedOperations = 256
    /// Sustained requests per second per principal (anonymous callers: per client address);
    /// each GraphQL operation, over either transport, takes one token (`RATE_LIMITED`); 0 turns
    /// the limit off.
    public var requestsPerSecond: Double = 50
    /// Token-bucket size: how many operations may come at once after a quiet spell.
    public var burst: Double = 200
    /// Parsed and validated documents kept, least recently used dropped first.
    public var documentCacheSize = 512
    /// How long a query's answer may be served again to the same caller asking the same question,
    /// provided nothing was written meanwhile (`AnswerCache`); zero turns the answer cache off.
    public var answerMaxAge: Duration = .seconds(1)
    /// Most memory the answer cache holds (estimated), least recently used dropped first.
    public var answerCacheBytes = 16 << 20
    /// Messages queued for one WebSocket before it counts as a slow consumer and is closed; also
    /// the size of each subscription's buffer on the event bus (oldest events lost first when the
    /// server itself cannot execute them as fast as they are published).
    public var subscriberBufferSize = 1024
    /// Active operations on one WebSocket.
    public var maxOperationsPerConnection = 100
    /// How long a WebSocket may stay open without `connection_init`.
    public var connectionInitTimeout: Duration = .seconds(10)
    /// Largest inbound WebSocket message, in bytes.
    public var maxMessageBytes = 64 * 1024

    /// The defaults above.
    public init() {}
}
