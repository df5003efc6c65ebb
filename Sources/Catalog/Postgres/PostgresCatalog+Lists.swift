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
        // A usual LIMIT is written into the text, and so is a first page's OFFSET 0: with them as
        // parameters a generic plan is costed for an unknown limit (a tenth of the rows), so
        // PostgreSQL keeps planning the prepared page at every run; with them known, its generic
        // plan costs what a custom one does and is kept after the fifth run. Other limits and a
        // later page's offset stay parameters, so that a client paging or varying the limit does
        // not make a text (and a prepared statement) per value; those plans stay custom
        // (PostgreSQL's `auto`: made for the values at hand).
        let limitText = Self.writtenLimits.contains(limit) ? String(limit) : "?"
        let limitArgument = limitText == "?" ? [limit.databaseValue] : []
        func pageSQL(_ whereClause: String, offset: String) -> String {
            "SELECT 1 AS tapelib_row, \(schema.table).* FROM \(schema.table) \(whereClause) \(compiled.orderClause) LIMIT \(limitText) OFFSET \(offset)"
        }
        if let seek = compiled.seek, compiled.offset > 0 {
            // A deep page sorted by the blocked field: the block counts give the total and the
            // block the page starts in (the first whose running count passes the offset); the page
            // then skips fewer than a block's rows. SQLite's `SlotPageSeek.start` walks the same
            // blocks in Swift; here one statement does it, so from one snapshot in one round trip.
            let order = seek.ascending ? "ASC" : "DESC"
            let bound = seek.ascending
                ? "\(seek.sortSQL) >= (SELECT block FROM start) * \(seek.addressesPerBlock)"
                : "\(seek.sortSQL) < ((SELECT block FROM start) + 1) * \(seek.addressesPerBlock)"
            let whereClause = compiled.whereClause + (compiled.whereClause.isEmpty ? "WHERE " : " AND ") + bound
            let sql = "WITH blocks AS (\(seek.blocksSQL)), "
                + "running AS (SELECT block, slot_count, CAST(SUM(slot_count) OVER (ORDER BY block \(order) "
                + "ROWS UNBOUNDED PRECEDING) AS BIGINT) AS through FROM blocks), "
                + "start AS (SELECT block, CAST(? AS BIGINT) - (through - slot_count) AS skip FROM running "
                + "WHERE through > CAST(? AS BIGINT) ORDER BY block \(order) LIMIT 1) "
                + "SELECT (SELECT CAST(COALESCE(SUM(slot_count), 0) AS BIGINT) FROM blocks) AS tapelib_total, paged.* "
                + "FROM (SELECT 1) one LEFT JOIN (\(pageSQL(whereClause, offset: "(SELECT skip FROM start)"))) paged ON TRUE"
            let offset = compiled.offset.databaseValue
            return try await self.page(Record.self, Self.numbered(sql), values + [offset, offset] + values + limitArgument,
                                       page: page, limit: limit)
        }
        // The total (from the count cache when it can answer) and the page in one statement, so
        // from one snapshot without a transaction's extra round trips. An empty page is the one
        // row whose tapelib_row is NULL.
        let countSQL = compiled.cachedCountSQL ?? "SELECT COUNT(*) AS total FROM \(schema.table) \(compiled.whereClause)"
        let first = compiled.offset == 0
        let combined = Self.numbered("SELECT counted.total AS tapelib_total, paged.* FROM (\(countSQL)) counted "
                                     + "LEFT JOIN (\(pageSQL(compiled.whereClause, offset: first ? "0" : "?"))) paged ON TRUE")
        // Every condition is an equality bound in order, so the count cache takes the same values.
        let arguments = values + values + limitArgument + (first ? [] : [compiled.offset.databaseValue])
        return try await self.page(Record.self, combined, arguments, page: page, limit: limit)
    }

    /// The limits written into a page's text (the API's default, the web page's and the CLI's).
    static let writtenLimits: Set<Int> = [10, 20, 25, 50, 100, 200, 500, 1_000]

    /// A page from a statement whose rows are the total (`tapelib_total`) and the page's rows (a
    /// non-NULL `tapelib_row`), an empty page being one row with the total alone.
    private func page<Record: FetchableRecord & Sendable>(_ type: Record.Type, _ sql: String, _ arguments: [DatabaseValue],
                                                          page: Int, limit: Int) async throws(CatalogError) -> Page<Record> {
        try await autocommit { session in
            let (columns, rows) = try await session.valueRows(sql, arguments)
            guard let totalColumn = columns.firstIndex(of: "tapelib_total"), let marker = columns.firstIndex(of: "tapelib_row") else {
                return Page(items: [], total: 0, page: page, limit: limit)
            }
            let total = rows.first.flatMap { Int.fromDatabaseValue($0[totalColumn]) } ?? 0
            let items = try PostgresSession.records(Record.self, columns: columns, rows: rows.lazy.filter { !$0[marker].isNull })
            return Page(items: items, total: total, page: page, limit: limit)
        }
    }

    /// `?` placeholders numbered `$1`, `$2`… in order; a `?` inside a quoted literal or name stays.
    /// Byte by byte: no byte of a multi-byte UTF-8 character is an ASCII one.
    static func numbered(_ sql: String) -> String {
        var result: [UInt8] = []
        result.reserveCapacity(sql.utf8.count + 16)
        var index = 0
        var quote: UInt8?
        for byte in sql.utf8 {
            if let open = quote {
                if byte == open { quote = nil }
                result.append(byte)
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
                result.append(byte)
            } else if byte == UInt8(ascii: "?") {
                index += 1
                result.append(UInt8(ascii: "$"))
                result.append(contentsOf: String(index).utf8)
            } else {
                result.append(byte)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}
