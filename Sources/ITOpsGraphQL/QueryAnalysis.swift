import Foundation
import GraphQL

/// The shape of the schema that cost analysis needs: for each type, each field's named type and
/// whether it is a list. Built once with the schema.
struct FieldTable: Sendable {
    struct Entry: Sendable {
        let typeName: String
        let isList: Bool
    }
    private var table: [String: [String: Entry]] = [:]
    let queryType: String?
    let mutationType: String?
    let subscriptionType: String?

    init(schema: GraphQLSchema) {
        queryType = schema.queryType?.name
        mutationType = schema.mutationType?.name
        subscriptionType = schema.subscriptionType?.name
        for (name, type) in schema.typeMap {
            let fields: GraphQLFieldMap?
            if let object = type as? GraphQLObjectType {
                fields = try? object.fields()
            } else if let interface = type as? GraphQLInterfaceType {
                fields = try? interface.fields()
            } else {
                fields = nil
            }
            guard let fields else { continue }
            var entries: [String: Entry] = [:]
            for (fieldName, field) in fields {
                var type: any GraphQLType = field.type
                if let nonNull = type as? GraphQLNonNull { type = nonNull.ofType }
                entries[fieldName] = Entry(
                    typeName: getNamedType(type: field.type)?.name ?? "", isList: type is GraphQLList)
            }
            table[name] = entries
        }
    }

    func entry(_ type: String?, _ field: String) -> Entry? {
        guard let type else { return nil }
        return table[type]?[field]
    }

    func rootType(_ operation: OperationType) -> String? {
        switch operation {
        case .query: queryType
        case .mutation: mutationType
        case .subscription: subscriptionType
        }
    }
}

/// Depth and cost of one operation of a document.
struct QueryAnalysis {
    let fragments: [String: FragmentDefinition]
    let table: FieldTable
    let limits: GraphQLLimits
    let variables: [String: Map]

    /// Deepest nesting of fields that have selections (a scalar field adds nothing).
    func depth(_ set: SelectionSet, seen: Set<String> = []) -> Int {
        var deepest = 0
        for selection in set.selections {
            switch selection {
            case let field as Field:
                if let child = field.selectionSet { deepest = max(deepest, 1 + depth(child, seen: seen)) }
            case let spread as FragmentSpread:
                let name = spread.name.value
                guard !seen.contains(name), let fragment = fragments[name] else { continue }
                deepest = max(deepest, depth(fragment.selectionSet, seen: seen.union([name])))
            case let inline as InlineFragment:
                deepest = max(deepest, depth(inline.selectionSet, seen: seen))
            default:
                continue
            }
        }
        return deepest
    }

    /// Every field costs 1; the cost of what a list field selects is multiplied by its length:
    /// `first`, or `defaultListSize`. `edges` of a connection sized by `first` counts once.
    /// Stops counting once `cap` is passed.
    func cost(_ set: SelectionSet, type: String?, sizedParent: Bool = false, seen: Set<String> = [], cap: Int) -> Int {
        var total = 0
        for selection in set.selections {
            if total > cap { return total }
            switch selection {
            case let field as Field:
                total += 1
                guard let child = field.selectionSet else { continue }
                let entry = table.entry(type, field.name.value)
                let first = firstArgument(field)
                let factor: Int
                if let first {
                    factor = first
                } else if entry?.isList == true {
                    factor =
                        sizedParent && field.name.value == "edges" || field.name.value.hasPrefix("__")
                            || (type?.hasPrefix("__") ?? false) ? 1 : limits.defaultListSize
                } else {
                    factor = 1
                }
                let inner = cost(
                    child, type: entry?.typeName, sizedParent: first != nil, seen: seen,
                    cap: cap / max(factor, 1) + 1)
                total += factor.multipliedReportingOverflow(by: inner).overflow ? Int.max / 2 : factor * inner
            case let spread as FragmentSpread:
                let name = spread.name.value
                guard !seen.contains(name), let fragment = fragments[name] else { continue }
                total += cost(
                    fragment.selectionSet, type: fragment.typeCondition.name.value, sizedParent: sizedParent,
                    seen: seen.union([name]), cap: cap)
            case let inline as InlineFragment:
                total += cost(
                    inline.selectionSet, type: inline.typeCondition?.name.value ?? type, sizedParent: sizedParent,
                    seen: seen, cap: cap)
            default:
                continue
            }
        }
        return total
    }

    private func firstArgument(_ field: Field) -> Int? {
        guard let argument = field.arguments.first(where: { $0.name.value == "first" }) else { return nil }
        switch argument.value {
        case let int as IntValue:
            return Int(int.value).map { max(0, $0) }
        case let variable as Variable:
            if case .number(let number) = variables[variable.name.value] { return max(0, number.intValue) }
            return nil
        default:
            return nil
        }
    }
}
