import Foundation
import ITOpsGraphQL

/// The GraphQL schema as SDL, for `itops schema` and the committed `docs/schema.graphql`.
public enum GraphQLSchemaFile {
    /// The schema of this build, printed.
    public static func sdl() throws -> String {
        try ITOpsAPI().printedSchema()
    }
}
