import Foundation
import ITOpsCore
import ITOpsGraphQL
import Testing

@testable import ITOpsServer

@Suite("GraphQL document cache")
struct DocumentCacheTests {
    @Test("each distinct document is parsed and validated once; the cache stays within its bound")
    func cache() async throws {
        let app = try await TestApp.make()
        defer { try? FileManager.default.removeItem(at: app.directory) }
        var limits = GraphQLLimits()
        limits.documentCacheSize = 8
        let executor = GraphQLExecutor(api: try ITOpsAPI(), limits: limits, clock: app.clock)
        let context = GraphQLContext(principal: nil, client: "test", backend: Backend(runtime: app.runtime))
        for _ in 0..<3 {
            guard
                case .single(let result) = await executor.run(
                    query: "{ __typename }", variables: [:], operationName: nil, context: context,
                    allowSubscriptions: false)
            else { throw CancellationError() }
            #expect(result.errors.isEmpty)
        }
        #expect(executor.cacheStatistics.misses == 1)
        #expect(executor.cacheStatistics.hits == 2)
        for index in 0..<20 {
            _ = await executor.run(
                query: "{ __typename } # \(index)", variables: [:], operationName: nil, context: context,
                allowSubscriptions: false)
        }
        #expect(executor.cacheStatistics.count <= 8)
        _ = await executor.run(
            query: "{ nope }", variables: [:], operationName: nil, context: context, allowSubscriptions: false)
        _ = await executor.run(
            query: "{ nope }", variables: [:], operationName: nil, context: context, allowSubscriptions: false)
        #expect(executor.cacheStatistics.misses == 22, "a document that fails validation is cached too")
        await app.runtime.shutdown()
    }
}
