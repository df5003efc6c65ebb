import Foundation
import GRDB

/// Lists with the filter language: the query compiled once (`CompiledListQuery`, the same
/// whitelist, operators, value conversion and order as SQLite's), in PostgreSQL's dialect.
extension PostgresCatalog {
    public func list<Record: FetchableRecord & Sendable>(_ query: ListQuery, schema: ResourceSchema,
                                                  as type: Record.Type) async throws(CatalogError) -> Page<Record> {
        let compiled: CompiledListQuery
        do {
            compiled = try CompiledListQuery(query, schema: schema, dialect: .postgres)
        } catch {
            throw .filter(error)
        }
        let values = compiled.values
        let page = query.page
        let limit = compiled.limit
        func pageSQL(_ whereClause: String) -> String {
            "SELECT 1 AS tapelib_row, \(schema.table).* FROM \(schema.table) \(whereClause) \(compiled.orderClause) LIMIT ? OFFSET ?"
        }
        if let seek = compiled.seek, compiled.offset > 0 {
            // A deep page sorted by the blocked field: the block counts give the total and where
            // the page starts; the page then skips fewer than a block's rows. Both from one snapshot.
            return try await readOnlySnapshot { session in
                let blocks = try await session.rows(Self.numbered(seek.blocksSQL), values)
                let total = blocks.reduce(0) { $0 + ($1["slot_count"] as Int? ?? 0) }
                var next = blocks.makeIterator()
                guard let start = seek.start(offset: compiled.offset, nextBlock: {
                    next.next().map { (block: $0["block"], count: $0["slot_count"]) }
                }) else {
                    return Page(items: [], total: total, page: page, limit: limit)
                }
                let whereClause = compiled.whereClause + (compiled.whereClause.isEmpty ? "WHERE " : " AND ") + start.condition
                let items = try await session.fetchAll(
                    Record.self, Self.numbered(pageSQL(whereClause)),
                    values + [start.bound.databaseValue, limit.databaseValue, start.remainingOffset.databaseValue])
                return Page(items: items, total: total, page: page, limit: limit)
            }
        }
        // The total (from the count cache when it can answer) and the page in one statement, so
        // from one snapshot without a transaction's extra round trips. An empty page is the one
        // row whose tapelib_row is NULL.
        let countSQL = compiled.cachedCountSQL ?? "SELECT COUNT(*) AS total FROM \(schema.table) \(compiled.whereClause)"
        let combined = Self.numbered("SELECT counted.total AS tapelib_total, paged.* FROM (\(countSQL)) counted "
                                     + "LEFT JOIN (\(pageSQL(compiled.whereClause))) paged ON TRUE")
        // Every condition is an equality bound in order, so the count cache takes the same values.
        let arguments = values + values + [limit.databaseValue, compiled.offset.databaseValue]
        return try await autocommit { session in
            let rows = try await session.rows(combined, arguments)
            let total = rows.first.flatMap { $0["tapelib_total"] as Int? } ?? 0
            let items = try rows.filter { !($0["tapelib_row"] as DatabaseValue).isNull }.map { try Record(row: $0) }
            return Page(items: items, total: total, page: page, limit: limit)
        }
    }

    /// Runs `body` in a read-only REPEATABLE READ transaction begun by one statement (BEGIN with
    /// its isolation level; postgres-nio's transactions need a second to set it).
    func readOnlySnapshot<T: Sendable>(_ body: (PostgresSession) async throws -> T) async throws(CatalogError) -> T {
        try await autocommit { session in
            try await session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            do {
                let result = try await body(session)
                try await session.execute("COMMIT")
                return result
            } catch {
                try? await session.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// `?` placeholders numbered `$1`, `$2`… in order; a `?` inside a quoted literal or name stays.
    static func numbered(_ sql: String) -> String {
        var result = ""
        var index = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                result.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                result.append(character)
            } else if character == "?" {
                index += 1
                result += "$\(index)"
            } else {
                result.append(character)
            }
        }
        return result
    }
}
