import Foundation
import SQLKit
import Synchronization

/// Column names for record properties (`nodeId` → `node_id`), converted once per name.
///
/// SQLKit's `convertFromSnakeCase` converts every key of every row it decodes; measured under
/// load, that conversion was 17 % of a GraphQL `slaGroups { services { … } }` request. The
/// conversion is the same as SQLKit's; only the cache is new.
enum SnakeCaseColumns {
    private static let cache = Mutex([String: String]())

    /// The row-decoding strategy: SQLKit's `convertFromSnakeCase`, memoized.
    static let decoding = SQLRowDecoder.KeyDecodingStrategy.custom { path in
        ColumnKey(stringValue: column(for: path.last?.stringValue ?? ""))
    }

    /// The encoding strategy for inserts and updates: SQLKit's `convertToSnakeCase`, memoized
    /// (it converted every key of every written record: 6 % of a health report's CPU).
    static let encoding = SQLQueryEncoder.KeyEncodingStrategy.custom { path in
        ColumnKey(stringValue: column(for: path.last?.stringValue ?? ""))
    }

    /// `camelCase` → `snake_case`, as SQLKit converts it (runs of capitals form one word).
    static func column(for key: String) -> String {
        if let known = cache.withLock({ $0[key] }) { return known }
        let converted = convert(key)
        cache.withLock { table in
            if table.count < 4096 { table[key] = converted }
        }
        return converted
    }

    static func convert(_ key: String) -> String {
        guard !key.isEmpty else { return key }
        var words: [Range<String.Index>] = []
        var wordStart = key.startIndex
        var searchIndex = key.index(after: wordStart)
        while let upper = key[searchIndex...].firstIndex(where: \.isUppercase) {
            words.append(wordStart..<upper)
            wordStart = upper
            guard let lower = key[upper...].firstIndex(where: \.isLowercase) else { break }
            searchIndex = lower
            if lower != key.index(after: upper) {
                let beforeLower = key.index(before: lower)
                words.append(upper..<beforeLower)
                wordStart = beforeLower
            }
        }
        words.append(wordStart..<key.endIndex)
        // Each word loses the capital of its first letter only, as in SQLKit.
        return words.map { range in
            let word = key[range]
            return word.isEmpty ? "" : word.prefix(1).lowercased() + word.dropFirst()
        }.joined(separator: "_")
    }

    private struct ColumnKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
