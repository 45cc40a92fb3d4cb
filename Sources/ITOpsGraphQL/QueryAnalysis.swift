import Foundation
import GraphQL

/// The shape of the schema that cost analysis needs: for each type, each field's named type,
/// whether it is a list, and whether it takes a `first` page size. Built once with the schema.
struct FieldTable: Sendable {
    struct Entry: Sendable {
        let typeName: String
        let isList: Bool
        /// The field declares a `first` argument.
        let isPaged: Bool
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
                    typeName: getNamedType(type: field.type)?.name ?? "", isList: type is GraphQLList,
                    isPaged: field.args.contains { $0.key == "first" })
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

/// A document's size with every fragment spread expanded, computed before validation: the
/// specified validation rules walk the expanded selection, so a small document of fragments that
/// each spread the next one twice would otherwise cost exponential time. Linear in the document:
/// each fragment's size is computed once and reused.
enum DocumentShape {
    enum Problem: Error, Equatable {
        /// The fragments spread each other in a cycle (the spec forbids it).
        case cycle(String)
        /// The expanded document has more fields than `budget`.
        case tooLarge(budget: Int)
    }

    /// The deepest nesting of `{`, `[` and `(` in the document's text, outside strings and comments,
    /// stopping as soon as it passes `limit`. Checked before parsing: the parser is recursive, and
    /// a 20 KB document of nested selections would otherwise overflow its stack.
    static func nesting(_ text: String, limit: Int) -> Int {
        let bytes = Array(text.utf8)
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), newline = UInt8(ascii: "\n")
        func isBlockQuote(_ index: Int) -> Bool {
            index + 2 < bytes.count && bytes[index] == quote && bytes[index + 1] == quote && bytes[index + 2] == quote
        }
        var depth = 0
        var deepest = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if isBlockQuote(index) {
                // A block string runs to the next `"""` not preceded by a backslash.
                index += 3
                while index < bytes.count, !(isBlockQuote(index) && bytes[index - 1] != backslash) { index += 1 }
                index += 3
                continue
            }
            switch byte {
            case quote:
                index += 1
                while index < bytes.count, bytes[index] != quote, bytes[index] != newline {
                    index += bytes[index] == backslash ? 2 : 1
                }
            case UInt8(ascii: "#"):
                while index < bytes.count, bytes[index] != newline, bytes[index] != UInt8(ascii: "\r") { index += 1 }
            case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "("):
                depth += 1
                deepest = max(deepest, depth)
                if deepest > limit { return deepest }
            case UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ")"):
                depth = max(0, depth - 1)
            default:
                break
            }
            index += 1
        }
        return deepest
    }

    /// The number of fields of the largest operation once fragments are expanded; throws past `budget`.
    static func expandedFields(_ document: Document, budget: Int) throws(Problem) -> Int {
        var fragments: [String: FragmentDefinition] = [:]
        for case let fragment as FragmentDefinition in document.definitions {
            fragments[fragment.name.value] = fragment
        }
        var sizes: [String: Int] = [:]
        var inProgress: Set<String> = []
        func size(_ set: SelectionSet) throws(Problem) -> Int {
            var total = 0
            for selection in set.selections {
                switch selection {
                case let field as Field:
                    total = total &+ 1
                    if let child = field.selectionSet { total = total &+ (try size(child)) }
                case let spread as FragmentSpread:
                    total = total &+ (try fragmentSize(spread.name.value))
                case let inline as InlineFragment:
                    total = total &+ (try size(inline.selectionSet))
                default:
                    continue
                }
                if total > budget || total < 0 { throw .tooLarge(budget: budget) }
            }
            return total
        }
        func fragmentSize(_ name: String) throws(Problem) -> Int {
            if let known = sizes[name] { return known }
            guard let fragment = fragments[name] else { return 0 }  // validation reports it
            guard inProgress.insert(name).inserted else { throw .cycle(name) }
            let value = try size(fragment.selectionSet)
            inProgress.remove(name)
            sizes[name] = value
            return value
        }
        var largest = 0
        for case let operation as OperationDefinition in document.definitions {
            largest = max(largest, try size(operation.selectionSet))
        }
        for name in fragments.keys { _ = try fragmentSize(name) }
        return largest
    }
}

/// Depth and cost of one operation of a document.
///
/// Linear in the document: a fragment's depth and cost are computed once per (fragment, list
/// context) and reused at every spread, and every step is counted against `visitBudget`.
/// Fragment cycles are refused before this runs (`DocumentShape`).
struct QueryAnalysis {
    /// Thrown when the analysis takes more steps than its budget allows.
    struct BudgetExceeded: Error {}

    let fragments: [String: FragmentDefinition]
    let table: FieldTable
    let limits: GraphQLLimits
    /// The operation's variables after coercion: given values, else the declared defaults.
    let variables: [String: Map]
    private var depthMemo: [String: Int] = [:]
    private var costMemo: [String: Int] = [:]
    private var visits = 0
    private let visitBudget: Int

    init(
        fragments: [String: FragmentDefinition], table: FieldTable, limits: GraphQLLimits, variables: [String: Map],
        operation: OperationDefinition? = nil
    ) {
        self.fragments = fragments
        self.table = table
        self.limits = limits
        var coerced = variables
        for definition in operation?.variableDefinitions ?? [] where coerced[definition.variable.name.value] == nil {
            if let value = definition.defaultValue { coerced[definition.variable.name.value] = Self.literal(value) }
        }
        self.variables = coerced
        visitBudget = limits.analysisVisitBudget
    }

    /// Deepest nesting of fields that have selections (a scalar field adds nothing).
    mutating func depth(_ set: SelectionSet) throws(BudgetExceeded) -> Int {
        var deepest = 0
        for selection in set.selections {
            try visit()
            switch selection {
            case let field as Field:
                if let child = field.selectionSet { deepest = max(deepest, 1 + (try depth(child))) }
            case let spread as FragmentSpread:
                let name = spread.name.value
                if let known = depthMemo[name] {
                    deepest = max(deepest, known)
                } else if let fragment = fragments[name] {
                    let value = try depth(fragment.selectionSet)
                    depthMemo[name] = value
                    deepest = max(deepest, value)
                }
            case let inline as InlineFragment:
                deepest = max(deepest, try depth(inline.selectionSet))
            default:
                continue
            }
        }
        return deepest
    }

    /// Every field costs 1 (fields in `limits.weights` cost their weight); what a list field selects
    /// counts once per element: its `first` (from the coerced variables; a page size that cannot be
    /// known counts as `maxPageSize`), a paged field's default page without it, or
    /// `defaultListSize` for other lists. `edges` of a connection sized by `first` counts once.
    /// Saturates instead of overflowing.
    mutating func cost(_ set: SelectionSet, type: String?, sizedParent: Bool = false) throws(BudgetExceeded) -> Int {
        var total = 0
        for selection in set.selections {
            try visit()
            switch selection {
            case let field as Field:
                let name = field.name.value
                total = Self.add(total, limits.weights["\(type ?? "").\(name)"] ?? 1)
                guard let child = field.selectionSet else { continue }
                let entry = table.entry(type, name)
                let first = pageSize(field, entry: entry)
                let factor: Int
                if let first {
                    factor = first
                } else if entry?.isList == true {
                    let introspection = name.hasPrefix("__") || (type?.hasPrefix("__") ?? false)
                    factor = sizedParent && name == "edges" || introspection ? 1 : limits.defaultListSize
                } else {
                    factor = 1
                }
                let inner = try cost(child, type: entry?.typeName, sizedParent: first != nil)
                total = Self.add(total, Self.multiply(factor, inner))
            case let spread as FragmentSpread:
                let name = spread.name.value
                guard let fragment = fragments[name] else { continue }
                let key = "\(name)|\(sizedParent)"
                if let known = costMemo[key] {
                    total = Self.add(total, known)
                } else {
                    let value = try cost(
                        fragment.selectionSet, type: fragment.typeCondition.name.value, sizedParent: sizedParent)
                    costMemo[key] = value
                    total = Self.add(total, value)
                }
            case let inline as InlineFragment:
                total = Self.add(
                    total,
                    try cost(inline.selectionSet, type: inline.typeCondition?.name.value ?? type, sizedParent: sizedParent))
            default:
                continue
            }
        }
        return total
    }

    private mutating func visit() throws(BudgetExceeded) {
        visits += 1
        if visits > visitBudget { throw BudgetExceeded() }
    }

    /// The page size a field asks for: `first` as given or through a variable; the maximum when it
    /// cannot be known (a variable without a value, a value that is not a number); a paged field's
    /// default page without `first`; `nil` for fields that are not paged.
    private func pageSize(_ field: Field, entry: FieldTable.Entry?) -> Int? {
        guard let argument = field.arguments.first(where: { $0.name.value == "first" }) else {
            guard entry?.isPaged == true else { return nil }
            return limits.defaultPageSizes[field.name.value] ?? limits.defaultListSize
        }
        let value: Map?
        switch argument.value {
        case let variable as Variable: value = variables[variable.name.value]
        default: value = Self.literal(argument.value)
        }
        guard case .number(let number) = value else { return limits.maxPageSize }
        let double = number.doubleValue
        guard double.isFinite else { return limits.maxPageSize }
        return Int(max(0, min(double, Double(Int32.max))))
    }

    /// The value of a literal (numbers only matter here).
    private static func literal(_ value: any Value) -> Map? {
        switch value {
        case let int as IntValue: return Int(int.value).map { .number(Number($0)) } ?? .number(Number(Int32.max))
        case let float as FloatValue: return Double(float.value).map { .number(Number($0)) }
        default: return nil
        }
    }

    private static func add(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max / 2 : min(sum, Int.max / 2)
    }

    private static func multiply(_ a: Int, _ b: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max / 2 : min(product, Int.max / 2)
    }
}
