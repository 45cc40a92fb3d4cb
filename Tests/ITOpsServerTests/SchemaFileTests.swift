import Foundation
import ITOpsServer
import Testing

@Suite("GraphQL schema file")
struct SchemaFileTests {
    @Test("docs/schema.graphql is what `itops schema` prints: regenerate it when this fails")
    func upToDate() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let committed = try String(contentsOf: root.appendingPathComponent("docs/schema.graphql"), encoding: .utf8)
        let generated = try GraphQLSchemaFile.sdl()
        #expect(
            committed == generated,
            "docs/schema.graphql is stale: run `swift run itops schema > docs/schema.graphql`")
    }

    @Test("the schema has every subscription of SPEC §11 and the users and API keys fields")
    func contract() throws {
        let sdl = try GraphQLSchemaFile.sdl()
        for name in [
            "ticketCreated", "ticketUpdated", "ticketDeleted", "slaAlert", "slaIncident", "licenseUpdated",
            "serviceStatusChanged(", "nodeId: String", "serviceId: String", "users(", "apiKeys(", "createUser(",
            "createApiKey(", "revokeApiKey(",
        ] {
            #expect(sdl.contains(name), "\(name)")
        }
    }
}
