import Foundation
import ITOpsCore

extension Resolver {
    /// One page of a keyset listing: `fetched` holds up to `first + 1` items, the extra one only
    /// saying that another page follows. Charges the page against the answer's item budget.
    static func page<Item, Edge>(
        _ fetched: [Item], first: Int, context: GraphQLContext, cursor: (Item) -> String,
        edge: (_ cursor: String, _ item: Item) -> Edge
    ) throws -> (edges: [Edge], pageInfo: PageInfoDTO) {
        let shown = Array(fetched.prefix(first))
        try context.charge(shown.count)
        let cursors = shown.map(cursor)
        let edges = zip(cursors, shown).map { edge($0, $1) }
        return (edges, PageInfoDTO(hasNextPage: fetched.count > first, endCursor: cursors.last))
    }
}
