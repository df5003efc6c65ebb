import GRDB
import GRDBSQLite

/// Inserts many rows with multi-row `INSERT … VALUES (…), (…)` statements: SQLite's cost per
/// executed statement (program start, statement journal) is paid once per chunk instead of once
/// per row. Values are bound straight into the chunk's statement as they are added (no array of
/// boxed values per chunk: a sync adds a million values). The number of rows is given up front,
/// so the last chunk's statement has exactly the rows that remain. Text is copied once into a
/// buffer owned here and bound without SQLite's own copy (a malloc and free per value); the
/// bindings are cleared when the chunk has run and when this value goes away, so the statement
/// never keeps a pointer into freed memory. A number, NULL or constant text already bound at
/// the same place of the full chunk's statement is not bound again: most columns repeat from row
/// to row and chunk to chunk (library, kind, defaults), and each bind takes the connection's
/// mutex. Rows must carry explicit ids when the caller needs them afterwards. Used on the
/// connection's own thread only.
final class BatchInsert {
    static let rowsPerStatement = 128

    private let db: Database
    private let table: String
    private let columns: [String]
    private let totalRows: Int
    /// The full chunk's statement, prepared once; the last, shorter chunk gets its own.
    private var fullChunk: BulkStatement?
    private var current: BulkStatement?
    private var rowsInChunk = 0
    private var rowInChunk = 0
    private var column = 0
    private(set) var rowCount = 0
    /// Text of the current chunk; a value that does not fit is bound with a copy by SQLite.
    private let textBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 32 * 1024, alignment: 8)
    private var textUsed = 0

    /// What a parameter of the full chunk's statement holds.
    private enum Bound: Equatable {
        case unknown
        case integer(Int64)
        case null
        case constant(UnsafeMutablePointer<CChar>?)
    }
    private var boundInFullChunk: [Bound] = []
    private var usingFullChunk = false

    init(_ db: Database, table: String, columns: [String], rowCount totalRows: Int) {
        self.db = db
        self.table = table
        self.columns = columns
        self.totalRows = totalRows
    }

    deinit {
        fullChunk?.clearBindings()
        current?.clearBindings()
        textBuffer.deallocate()
    }

    private func sql(rows: Int) -> String {
        let placeholders = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        return "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
            + Array(repeating: placeholders, count: rows).joined(separator: ", ")
    }

    /// The statement and parameter index for the next value.
    private func next() throws -> (BulkStatement, Int32) {
        if current == nil {
            let remaining = totalRows - rowCount
            guard remaining > 0 else {
                throw CatalogError.storage("batch insert into \(table): more than \(totalRows) rows")
            }
            if remaining >= Self.rowsPerStatement {
                if fullChunk == nil {
                    // Acquiring the statement clears its bindings.
                    fullChunk = try BulkStatement(db, sql: sql(rows: Self.rowsPerStatement))
                    boundInFullChunk = Array(repeating: .unknown, count: Self.rowsPerStatement * columns.count)
                }
                current = fullChunk
                usingFullChunk = true
                rowsInChunk = Self.rowsPerStatement
            } else {
                current = try BulkStatement(db, sql: sql(rows: remaining))
                usingFullChunk = false
                rowsInChunk = remaining
            }
        }
        guard let statement = current, column < columns.count else {
            throw CatalogError.storage("batch insert into \(table): row \(rowCount) has too many values")
        }
        column += 1
        return (statement, Int32(rowInChunk * columns.count + column))
    }

    /// True when `value` is already bound at `index` of the full chunk's statement; else records it.
    private func alreadyBound(_ value: Bound, at index: Int32) -> Bool {
        guard usingFullChunk else { return false }
        let position = Int(index) - 1
        if boundInFullChunk[position] == value { return true }
        boundInFullChunk[position] = value
        return false
    }

    func add(_ value: Int64?) throws {
        let (statement, index) = try next()
        if alreadyBound(value.map { .integer($0) } ?? .null, at: index) { return }
        statement.bind(index, value)
    }

    func add(_ value: Int64) throws { try add(Optional(value)) }
    func add(_ value: Int) throws { try add(Optional(Int64(value))) }
    func add(_ value: Bool) throws { try add(Optional(Int64(value ? 1 : 0))) }
    func add(_ value: Int?) throws { try add(value.map { Int64($0) }) }

    /// Text that changes from row to row.
    func add(_ value: String?) throws {
        let (statement, index) = try next()
        guard var value else {
            if !alreadyBound(.null, at: index) { statement.bind(index, String?.none) }
            return
        }
        if usingFullChunk { boundInFullChunk[Int(index) - 1] = .unknown }
        let copied: Bool = value.withUTF8 { bytes in
            // Empty text takes SQLite's path: a null pointer would bind NULL.
            guard let source = bytes.baseAddress, !bytes.isEmpty, bytes.count <= textBuffer.count - textUsed,
                  let base = textBuffer.baseAddress else { return false }
            let start = base + textUsed
            start.copyMemory(from: source, byteCount: bytes.count)
            statement.bindStatic(index, start.assumingMemoryBound(to: CChar.self), count: Int32(bytes.count))
            textUsed += bytes.count
            return true
        }
        if !copied { statement.bind(index, value) }
    }
    func add(_ value: InternedText) throws {
        let (statement, index) = try next()
        if alreadyBound(.constant(value.bytes.baseAddress), at: index) { return }
        statement.bind(index, value)
    }

    /// Ends the current row, which must have one value per column.
    func endRow() throws {
        guard column == columns.count else {
            throw CatalogError.storage("batch insert into \(table): row \(rowCount) has the wrong number of values")
        }
        column = 0
        rowCount += 1
        rowInChunk += 1
        if rowInChunk == rowsInChunk, let statement = current {
            // Bindings stay for the next chunk; row text there is rebound before it runs.
            try statement.execute()
            current = nil
            rowInChunk = 0
            textUsed = 0
        }
    }

    /// Checks that every announced row was inserted.
    func finish() throws {
        guard rowCount == totalRows, current == nil else {
            throw CatalogError.storage("batch insert into \(table): \(rowCount) of \(totalRows) rows added")
        }
    }
}

/// A constant text (an enumeration's raw value) bound without a copy (SQLITE_STATIC): its bytes
/// are allocated once and live as long as the process.
final class InternedText: Sendable {
    nonisolated(unsafe) let bytes: UnsafeMutableBufferPointer<CChar>

    init(_ text: String) {
        let utf8 = Array(text.utf8)
        bytes = .allocate(capacity: max(utf8.count, 1))
        for (offset, byte) in utf8.enumerated() { bytes[offset] = CChar(bitPattern: byte) }
        count = Int32(utf8.count)
    }

    let count: Int32
}
