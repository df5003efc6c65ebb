import Foundation
import GRDB

/// Lists with the filter language: the query compiled once (`CompiledListQuery`, the same
/// whitelist, operators, value conversion and order as SQLite's), in PostgreSQL's dialect.
extension PostgresCatalog {
    func list<Record: FetchableRecord & Sendable>(_ query: ListQuery, schema: ResourceSchema,
                                                  as type: Record.Type) async throws(CatalogError) -> Page<Record> {
        let compiled: CompiledListQuery
        do {
            compiled = try CompiledListQuery(query, schema: schema, dialect: .postgres)
        } catch {
            throw .filter(error)
        }
        // Every condition is an equality bound in order, so the count cache takes the same values.
        let countSQL = Self.numbered(compiled.cachedCountSQL ?? "SELECT COUNT(*) AS total FROM \(schema.table) \(compiled.whereClause)")
        let values = compiled.values
        let page = query.page
        let limit = compiled.limit
        return try await transaction { session in
            // The total and the page from one snapshot, as SQLite's read gives them.
            try await session.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let total = try await session.rows(countSQL, values).first.flatMap { $0["total"] as Int? } ?? 0
            var pageWhere = compiled.whereClause
            var pageValues = values
            var pageOffset = compiled.offset
            if let seek = compiled.seek, pageOffset > 0 {
                // Sum block counts up to the block holding the first row, then skip only within it.
                var blocks = try await session.rows(Self.numbered(seek.blocksSQL), values).makeIterator()
                guard let start = seek.start(offset: pageOffset, nextBlock: {
                    blocks.next().map { (block: $0["block"], count: $0["slot_count"]) }
                }) else {
                    return Page(items: [], total: total, page: page, limit: limit)
                }
                pageWhere += (pageWhere.isEmpty ? "WHERE " : " AND ") + start.condition
                pageValues.append(start.bound.databaseValue)
                pageOffset = start.remainingOffset
            }
            let pageSQL = Self.numbered("SELECT \(schema.table).* FROM \(schema.table) \(pageWhere) "
                                        + "\(compiled.orderClause) LIMIT ? OFFSET ?")
            let items = try await session.fetchAll(Record.self, pageSQL,
                                                   pageValues + [limit.databaseValue, pageOffset.databaseValue])
            return Page(items: items, total: total, page: page, limit: limit)
        }
    }

    public func listLibraryTasks(_ query: ListQuery) async throws(CatalogError) -> Page<LibraryTask> {
        try await list(query, schema: ResourceSchemas.libraryTasks, as: LibraryTask.self)
    }

    /// The total from the count cache, and a deep page found by a seek over its blocks, as on SQLite.
    public func listSlots(_ query: ListQuery) async throws(CatalogError) -> Page<LibrarySlot> {
        try await list(query, schema: ResourceSchemas.librarySlots, as: LibrarySlot.self)
    }

    public func listMediaServers(_ query: ListQuery) async throws(CatalogError) -> Page<MediaServer> {
        try await list(query, schema: ResourceSchemas.mediaServers, as: MediaServer.self)
    }

    public func listLibraries(_ query: ListQuery) async throws(CatalogError) -> Page<TapeLibrary> {
        try await list(query, schema: ResourceSchemas.tapeLibraries, as: TapeLibrary.self)
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
