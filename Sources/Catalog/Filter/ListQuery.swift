import Foundation
import GRDB

public enum SortDirection: String, Sendable, Equatable {
    case ascending = "asc"
    case descending = "desc"
}

/// Paging, sorting and filter_data of a list request, as the API received them.
public struct ListQuery: Sendable, Equatable {
    public static let defaultLimit = 50
    public static let maximumLimit = 1000
    public static let maximumPage = 1_000_000

    public var filter: String?
    /// 1-based.
    public var page: Int
    public var limit: Int
    /// A field name from the resource's whitelist; nil for the resource's default order.
    public var sort: String?
    public var direction: SortDirection

    public init(filter: String? = nil, page: Int = 1, limit: Int = ListQuery.defaultLimit,
                sort: String? = nil, direction: SortDirection = .ascending) {
        self.filter = filter; self.page = page; self.limit = limit; self.sort = sort; self.direction = direction
    }

    /// Builds a query from raw query-string values (`filter_data`, `page`, `limit`, `sort`,
    /// `direction`), rejecting malformed numbers and directions.
    public static func parse(filterData: String?, page: String?, limit: String?, sort: String?,
                             direction: String?) throws(FilterError) -> ListQuery {
        func number(_ text: String?, _ name: String, default value: Int) throws(FilterError) -> Int {
            guard let text, !text.isEmpty else { return value }
            guard text.utf8.count <= 9, let parsed = Int(text) else {
                throw .invalidPaging("\(name) must be a positive integer")
            }
            return parsed
        }
        var query = ListQuery(filter: filterData,
                              page: try number(page, "page", default: 1),
                              limit: try number(limit, "limit", default: defaultLimit),
                              sort: (sort?.isEmpty ?? true) ? nil : sort)
        if let direction, !direction.isEmpty {
            guard let parsed = SortDirection(rawValue: direction.lowercased()) else {
                throw .invalidDirection(direction)
            }
            query.direction = parsed
        }
        return query
    }
}

/// One page of a list and the number of rows matching the filter.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var total: Int
    public var page: Int
    public var limit: Int
}

extension Page: Equatable where Item: Equatable {}

/// The SQL a list query is written in. What a filter means is one definition; PostgreSQL differs
/// only where its defaults differ from SQLite's: text compares and sorts byte by byte there too
/// (`COLLATE "C"`, SQLite's BINARY), and `~` is case-insensitive there too (`ILIKE`, where SQLite's
/// LIKE folds ASCII only). Both answer totals from the count cache, which the slot writers of
/// both stores keep (`SlotCountDelta`).
public enum ListDialect: Sendable {
    case sqlite, postgres
}

/// A list query checked against a resource's whitelist: SQL text built only from whitelisted
/// expressions and placeholders, every value bound as an argument (on PostgreSQL, an equality
/// with a member of a closed set is written as that member: `literal`).
struct CompiledListQuery {
    let whereClause: String
    /// The where clause's arguments, in order.
    let values: [DatabaseValue]
    var arguments: StatementArguments { StatementArguments(values) }
    /// `SELECT SUM(…)` over the schema's count cache when it can answer the total, else nil.
    let cachedCountSQL: String?
    let orderClause: String
    let limit: Int
    let offset: Int
    /// How to find the page's first row from the count cache's blocks, when the cache can answer
    /// the total and the sort field is the one its blocks split.
    let seek: SlotPageSeek?

    init(_ query: ListQuery, schema: ResourceSchema, dialect: ListDialect = .sqlite) throws(FilterError) {
        guard query.page >= 1, query.page <= ListQuery.maximumPage else {
            throw .invalidPaging("page must be between 1 and \(ListQuery.maximumPage)")
        }
        guard query.limit >= 1, query.limit <= ListQuery.maximumLimit else {
            throw .invalidPaging("limit must be between 1 and \(ListQuery.maximumLimit)")
        }
        var clauses: [String] = []
        var values: [DatabaseValue] = []
        let conditions = try FilterParser.parse(query.filter ?? "")
        var cacheColumns: [String] = []
        var cacheUsable = schema.countCache != nil
        for condition in conditions {
            guard let cache = schema.countCache, condition.comparison == .equals,
                  let column = cache.fields[condition.field] else { cacheUsable = false; continue }
            cacheColumns.append(column)
        }
        let sortField = try Self.sortField(query.sort, schema: schema)
        // What each equality compares with: a placeholder, or on PostgreSQL the value itself when
        // the field's values are a closed set (below); the count cache compares the same.
        var operands: [String] = []
        for condition in conditions {
            let field = try schema.field(condition.field)
            guard field.type.allowedOperators.contains(condition.comparison) else {
                throw .operatorNotAllowed(field: field.name, operator: condition.comparison.rawValue)
            }
            let value = try Self.bindable(condition.value, comparison: condition.comparison, for: field)
            let ordered = Self.ordered(field, dialect)
            let literal = condition.comparison == .equals ? Self.literal(value, of: field, dialect) : nil
            let operand = literal ?? "?"
            operands.append(operand)
            switch condition.comparison {
            case .equals: clauses.append("\(field.sql) = \(operand)")
            case .lessThan: clauses.append("\(ordered) < ?")
            case .greaterThan: clauses.append("\(ordered) > ?")
            case .contains: clauses.append("\(field.sql) \(dialect == .sqlite ? "LIKE" : "ILIKE") ? ESCAPE '\\'")
            }
            if condition.comparison == .contains {
                values.append(Self.likePattern(condition.value).databaseValue)
            } else if literal == nil {
                values.append(value)
            }
        }
        if cacheUsable, let cache = schema.countCache {
            // No condition: every library's counts (a sum over all blocks is still exact). Every
            // condition is an equality here, so the cache takes the same arguments in order.
            let cacheWhere = cacheColumns.isEmpty ? "TRUE"
                : zip(cacheColumns, operands).map { "\($0) = \($1)" }.joined(separator: " AND ")
            // CAST: PostgreSQL's SUM of a bigint is a numeric.
            cachedCountSQL = "SELECT CAST(COALESCE(SUM(\(cache.countColumn)), 0) AS BIGINT) AS total FROM \(cache.table) WHERE "
                + cacheWhere
            if let blocked = cache.blockedSortField, blocked == sortField.name {
                seek = SlotPageSeek(cache: cache, cacheWhere: cacheWhere, sortSQL: sortField.sql,
                                    ascending: query.direction == .ascending)
            } else {
                seek = nil
            }
        } else {
            cachedCountSQL = nil
            seek = nil
        }
        whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        self.values = values

        let direction = query.direction == .ascending ? "ASC" : "DESC"
        // The row id breaks ties so that pages never overlap or skip rows.
        orderClause = "ORDER BY \(Self.ordered(sortField, dialect)) \(direction), \(schema.table).id \(direction)"
        limit = query.limit
        offset = (query.page - 1) * query.limit
    }

    /// An equality's value written into the text, on PostgreSQL, for a field whose values are a
    /// closed set (an enumeration's checked member, a flag's 0 or 1); nil: a placeholder. A
    /// prepared statement's generic plan then knows the value, as SQLite's planner does not need
    /// to: with a placeholder PostgreSQL plans `status = $1` for an average status, which for a
    /// rare one (20 queued tasks among 200,000 finished) reads the whole table, and it costs a
    /// skewed flag's generic plan above the custom one, so it plans the slot page at every run.
    /// The texts stay few: a field's values times the fields.
    static func literal(_ value: DatabaseValue, of field: FilterField, _ dialect: ListDialect) -> String? {
        guard dialect == .postgres else { return nil }
        switch (field.type, value.storage) {
        case (.enumeration(let allowed), .string(let text)) where allowed.contains(text):
            return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        case (.boolean, .int64(let flag)) where flag == 0 || flag == 1:
            return String(flag)
        default:
            return nil
        }
    }

    /// A field as `<`, `>` and ORDER BY see it: text (and timestamps, stored as text) byte by byte.
    static func ordered(_ field: FilterField, _ dialect: ListDialect) -> String {
        switch (dialect, field.type) {
        case (.postgres, .text), (.postgres, .enumeration), (.postgres, .timestamp): return "(\(field.sql)) COLLATE \"C\""
        default: return field.sql
        }
    }

    static func sortField(_ name: String?, schema: ResourceSchema) throws(FilterError) -> FilterField {
        guard let name else { return try schema.field(schema.defaultSort) }
        guard let field = schema.fields[name] else {
            throw .unknownSortField(name: name, resource: schema.resource)
        }
        return field
    }

    /// Converts a quoted filter value to what the column stores.
    static func bindable(_ value: String, comparison: FilterOperator, for field: FilterField) throws(FilterError) -> DatabaseValue {
        switch field.type {
        case .text:
            return value.databaseValue
        case .enumeration(let allowed):
            // Equality against a value the column can never hold is a client mistake worth a 400.
            guard comparison != .equals || allowed.contains(value) else {
                throw .invalidValue(field: field.name, value: value,
                                    expected: "one of " + allowed.sorted().joined(separator: ", "))
            }
            return value.databaseValue
        case .integer:
            guard value.utf8.count <= 20, let number = Int64(value) else {
                throw .invalidValue(field: field.name, value: value, expected: "an integer")
            }
            return number.databaseValue
        case .boolean:
            switch value.lowercased() {
            case "true", "1", "yes": return true.databaseValue
            case "false", "0", "no": return false.databaseValue
            default: throw .invalidValue(field: field.name, value: value, expected: "true or false")
            }
        case .timestamp:
            guard value.utf8.count <= 64, let date = ISO8601Timestamp.parse(value) else {
                throw .invalidValue(field: field.name, value: value, expected: "an ISO 8601 timestamp")
            }
            return date.databaseValue
        }
    }

    /// `%value%` with LIKE's wildcards escaped, so `~"50%"` means the text "50%".
    static func likePattern(_ value: String) -> String {
        var escaped = ""
        for character in value {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return "%" + escaped + "%"
    }

    func fetchPage<Record: FetchableRecord & Sendable>(_ db: Database, schema: ResourceSchema,
                                                     as: Record.Type, page: Int) throws -> Page<Record> {
        let arguments = self.arguments
        // Every condition is an equality bound in order, so the count cache takes the same arguments.
        let total = try Int.fetchOne(
            db.cachedStatement(sql: cachedCountSQL ?? "SELECT COUNT(*) FROM \(schema.table) \(whereClause)"),
            arguments: arguments) ?? 0
        var pageArguments = arguments
        var pageWhere = whereClause
        var pageOffset = offset
        if let seek, offset > 0 {
            // Sum block counts up to the block holding the first row, then skip only within it.
            guard let start = try seek.start(db, arguments: arguments, offset: offset) else {
                return Page(items: [], total: total, page: page, limit: limit)
            }
            pageWhere += (pageWhere.isEmpty ? "WHERE " : " AND ") + start.condition
            pageArguments += [start.bound]
            pageOffset = start.remainingOffset
        }
        pageArguments += [limit, pageOffset]
        let items = try Record.fetchAll(db, SQLRequest<Record>(
            sql: "SELECT \(schema.table).* FROM \(schema.table) \(pageWhere) \(orderClause) LIMIT ? OFFSET ?",
            arguments: pageArguments, cached: true))
        return Page(items: items, total: total, page: page, limit: limit)
    }
}
