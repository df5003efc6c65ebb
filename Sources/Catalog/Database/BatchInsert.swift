import GRDB
import GRDBSQLite

/// Inserts many rows with multi-row `INSERT … VALUES (…), (…)` statements: SQLite's cost per
/// executed statement (program start, statement journal) is paid once per chunk instead of once
/// per row. Values are bound straight into the chunk's statement as they are added (no array of
/// boxed values per chunk: a sync adds a million values). The number of rows is given up front,
/// so the last chunk's statement has exactly the rows that remain. Row text is copied into a
/// buffer owned by a `ChunkText` and bound without SQLite's own copy (a malloc and free per
/// value); when the insert goes away the bindings are cleared before the buffer is freed, so no
/// statement keeps a pointer into freed memory. A number, NULL or constant text already bound
/// at the same place of the reused full-chunk statement is not bound again (library, kind and
/// defaults repeat from row to row). A struct, so the hot path has no dynamic exclusivity
/// checks. Rows must carry explicit ids when the caller needs them afterwards. Used on the
/// connection's own thread only, inside a transaction that is rolled back if an insert fails.
struct BatchInsert {
    static let rowsPerStatement = 128

    private let db: Database
    private let table: String
    private let columns: [String]
    private let totalRows: Int
    private let text = ChunkText()
    /// The full chunk's statement, prepared once; the last, shorter chunk gets its own.
    private var fullChunk: BulkStatement?
    private var current: BulkStatement?
    /// `current`'s sqlite3_stmt: values are bound through it (no retain and release per value).
    private var handle: OpaquePointer?
    private var usingFullChunk = false
    private var rowsInChunk = 0
    private var rowInChunk = 0
    private var column = 0
    private var textUsed = 0
    private(set) var rowCount = 0

    /// What each parameter of the full chunk's statement holds: kind 0 unknown, 1 the integer in
    /// `boundValue`, 2 NULL, 3 the constant text whose address is in `boundValue`.
    private var boundKind: [UInt8] = []
    private var boundValue: [Int64] = []

    init(_ db: Database, table: String, columns: [String], rowCount totalRows: Int) {
        self.db = db
        self.table = table
        self.columns = columns
        self.totalRows = totalRows
    }

    private func sql(rows: Int) -> String {
        let placeholders = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        // OR FAIL: a violated constraint stops the statement without undoing its earlier rows, so
        // SQLite needs no statement journal of the pages each chunk touches (about 5% of a bulk
        // insert). The error reaches the caller, whose transaction is then rolled back whole.
        return "INSERT OR FAIL INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
            + Array(repeating: placeholders, count: rows).joined(separator: ", ")
    }

    /// The parameter index for the next value (in `handle`).
    private mutating func next() throws -> Int32 {
        if handle == nil {
            let remaining = totalRows - rowCount
            guard remaining > 0 else {
                throw CatalogError.storage("batch insert into \(table): more than \(totalRows) rows")
            }
            if remaining >= Self.rowsPerStatement {
                if fullChunk == nil {
                    // Acquiring the statement clears its bindings.
                    let statement = try BulkStatement(db, sql: sql(rows: Self.rowsPerStatement))
                    text.statements.append(statement)
                    fullChunk = statement
                    boundKind = Array(repeating: 0, count: Self.rowsPerStatement * columns.count)
                    boundValue = Array(repeating: 0, count: Self.rowsPerStatement * columns.count)
                }
                current = fullChunk
                handle = fullChunk?.sqliteHandle
                usingFullChunk = true
                rowsInChunk = Self.rowsPerStatement
            } else {
                let statement = try BulkStatement(db, sql: sql(rows: remaining))
                text.statements.append(statement)
                current = statement
                handle = statement.sqliteHandle
                usingFullChunk = false
                rowsInChunk = remaining
            }
        }
        guard column < columns.count else {
            throw CatalogError.storage("batch insert into \(table): row \(rowCount) has too many values")
        }
        column += 1
        return Int32(rowInChunk * columns.count + column)
    }

    /// True when the value is already bound at `index` of the full chunk's statement; else records it.
    private mutating func alreadyBound(kind: UInt8, value: Int64, at index: Int32) -> Bool {
        guard usingFullChunk else { return false }
        let position = Int(index) - 1
        if boundKind[position] == kind && boundValue[position] == value { return true }
        boundKind[position] = kind
        boundValue[position] = value
        return false
    }

    mutating func add(_ value: Int64?) throws {
        let index = try next()
        if alreadyBound(kind: value == nil ? 2 : 1, value: value ?? 0, at: index) { return }
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    mutating func add(_ value: Int64) throws { try add(Optional(value)) }
    mutating func add(_ value: Int) throws { try add(Optional(Int64(value))) }
    mutating func add(_ value: Bool) throws { try add(Optional(Int64(value ? 1 : 0))) }
    mutating func add(_ value: Int?) throws { try add(value.map { Int64($0) }) }

    mutating func add(_ value: InternedText) throws {
        let index = try next()
        let address = Int64(Int(bitPattern: value.bytes.baseAddress))
        if alreadyBound(kind: 3, value: address, at: index) { return }
        // SQLITE_STATIC (nil): the interned bytes live as long as the process.
        sqlite3_bind_text(handle, index, value.bytes.baseAddress, value.count, nil)
    }

    /// Text that changes from row to row.
    mutating func add(_ value: String?) throws {
        let index = try next()
        guard var value else {
            if !alreadyBound(kind: 2, value: 0, at: index) { sqlite3_bind_null(handle, index) }
            return
        }
        if usingFullChunk { boundKind[Int(index) - 1] = 0 }
        let buffer = text.buffer
        let used = textUsed
        let handle = self.handle
        let copied: Int? = value.withUTF8 { bytes in
            // Empty text takes SQLite's path: a null pointer would bind NULL.
            guard let source = bytes.baseAddress, !bytes.isEmpty, bytes.count <= buffer.count - used,
                  let base = buffer.baseAddress else { return nil }
            let start = base + used
            start.copyMemory(from: source, byteCount: bytes.count)
            sqlite3_bind_text(handle, index, start.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
            return bytes.count
        }
        if let copied { textUsed += copied } else { current?.bind(index, value) }
    }

    /// Ends the current row, which must have one value per column.
    mutating func endRow() throws {
        guard column == columns.count else {
            throw CatalogError.storage("batch insert into \(table): row \(rowCount) has the wrong number of values")
        }
        column = 0
        rowCount += 1
        rowInChunk += 1
        if rowInChunk == rowsInChunk, let statement = current {
            // Bindings stay for the next chunk; its row text is bound again before it runs.
            try statement.execute()
            current = nil
            handle = nil
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

/// The row text of a `BatchInsert`'s chunk, and the statements it is bound into: they are
/// cleared before the buffer is freed.
final class ChunkText {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 32 * 1024, alignment: 8)
    var statements: [BulkStatement] = []

    deinit {
        for statement in statements { statement.clearBindings() }
        buffer.deallocate()
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
