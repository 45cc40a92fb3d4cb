import ArgumentParser
import Foundation
import ITOpsServer

/// `itops schema`: prints the GraphQL schema (SDL) that this build serves.
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the GraphQL schema (SDL); `itops schema > docs/schema.graphql` updates the committed copy.")

    func run() async throws {
        print(try GraphQLSchemaFile.sdl(), terminator: "")
    }
}
