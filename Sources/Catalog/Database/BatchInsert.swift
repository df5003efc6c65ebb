import GRDB
import GRDBSQLite

/// A value bound by `BatchInsert`.
enum BulkValue {
    case integer(Int64)
    case text(String)
    case null

    init(_ value: Int?) { self = value.map { .integer(Int64($0)) } ?? .null }
    init(_ value: Int64?) { self = value.map { .integer($0) } ?? .null }
    init(_ value: Bool) { self = .integer(value ? 1 : 0) }
    init(_ value: String?) { self = value.map { .text($0) } ?? .null }
}

/// Inserts many rows with multi-row `INSERT … VALUES (…), (…)` statements: SQLite's cost per
/// executed statement (program start, statement journal) is paid once per chunk instead of once
/// per row. Rows must carry explicit ids when the caller needs them afterwards.
struct BatchInsert {
    static let rowsPerStatement = 128

    private let db: Database
    private let table: String
    private let columns: [String]
    private var pending: [BulkValue] = []
    private(set) var rowCount = 0

    init(_ db: Database, table: String, columns: [String]) {
        self.db = db
        self.table = table
        self.columns = columns
        pending.reserveCapacity(columns.count * Self.rowsPerStatement)
    }

    mutating func append(_ row: [BulkValue]) throws {
        for value in row { add(value) }
        try endRow()
    }

    /// Adds the next value of the current row (no array per row: a sync adds 90,000 rows).
    mutating func add(_ value: BulkValue) { pending.append(value) }

    /// Ends the current row, which must have one value per column.
    mutating func endRow() throws {
        guard pending.count == (rowCount % Self.rowsPerStatement + 1) * columns.count else {
            throw CatalogError.storage("batch insert into \(table): row \(rowCount) has the wrong number of values")
        }
        rowCount += 1
        if pending.count == columns.count * Self.rowsPerStatement { try flush() }
    }

    /// The SQL of a full chunk, built once: rebuilding it for every chunk cost a tenth of a sync.
    private var fullChunkSQL: String?

    private func sql(rows: Int) -> String {
        let placeholders = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        return "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
            + Array(repeating: placeholders, count: rows).joined(separator: ", ")
    }

    mutating func flush() throws {
        guard !pending.isEmpty else { return }
        let rows = pending.count / columns.count
        let text: String
        if rows == Self.rowsPerStatement {
            if fullChunkSQL == nil { fullChunkSQL = sql(rows: rows) }
            text = fullChunkSQL ?? sql(rows: rows)
        } else {
            text = sql(rows: rows)
        }
        let statement = try BulkStatement(db, sql: text)
        for (offset, value) in pending.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .integer(let number): statement.bind(index, number)
            case .text(let text): statement.bind(index, text)
            case .null: statement.bind(index, Int64?.none)
            }
        }
        try statement.execute()
        pending.removeAll(keepingCapacity: true)
    }
}
