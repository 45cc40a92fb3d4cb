import ArgumentParser
import Foundation
import ITOpsServer

/// `itops openapi`: prints the OpenAPI 3.1 document of the REST API that this build serves.
struct OpenAPICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi",
        abstract: "Print the REST API's OpenAPI 3.1 document; `itops openapi > docs/openapi.json` updates the copy.")

    func run() async throws {
        print(OpenAPIDocument.json)
    }
}
