import GRDB
import GRDBSQLite

/// A cached GRDB statement driven through the SQLite C API for bulk work (reconciling tens of
/// thousands of elements): binding typed values directly avoids boxing every argument into a
/// `StatementArguments`, which dominated the cost of a 50,000-slot sync. Only used inside a
/// GRDB write/read closure, on the connection that prepared it.
struct BulkStatement {
    private let statement: Statement
    private let connection: OpaquePointer?
    private var handle: OpaquePointer { statement.sqliteStatement }
    /// The sqlite3_stmt, for callers that bind in a loop without retaining the statement per value.
    var sqliteHandle: OpaquePointer { statement.sqliteStatement }

    /// SQLite's SQLITE_TRANSIENT: make a private copy of bound text.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        connection = db.sqliteConnection
        sqlite3_reset(statement.sqliteStatement)
        sqlite3_clear_bindings(statement.sqliteStatement)
    }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }
    func bind(_ index: Int32, _ value: Int) { sqlite3_bind_int64(handle, index, Int64(value)) }
    func bind(_ index: Int32, _ value: Bool) { sqlite3_bind_int64(handle, index, value ? 1 : 0) }

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Int?) {
        if let value { sqlite3_bind_int64(handle, index, Int64(value)) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: String?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        var copy = value
        copy.withUTF8 { bytes in
            _ = bytes.withMemoryRebound(to: CChar.self) { chars in
                sqlite3_bind_text(handle, index, chars.baseAddress, Int32(chars.count), Self.transient)
            }
        }
    }

    /// Binds constant text without a copy: `text` lives as long as the process.
    func bind(_ index: Int32, _ text: InternedText) {
        sqlite3_bind_text(handle, index, text.bytes.baseAddress, text.count, nil)
    }

    /// Binds text without a copy: the caller keeps `bytes` alive until the binding is replaced
    /// or cleared.
    func bindStatic(_ index: Int32, _ bytes: UnsafePointer<CChar>, count: Int32) {
        sqlite3_bind_text(handle, index, bytes, count, nil)
    }

    func clearBindings() { sqlite3_clear_bindings(handle) }

    /// Runs a statement that returns no rows, then resets it for the next bindings.
    func execute() throws {
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE || code == SQLITE_ROW else { throw failure(code) }
        sqlite3_reset(handle)
    }

    /// Steps a query; false at the end (the statement is then reset).
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else { throw failure(code) }
        return false
    }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }
    func bool(_ column: Int32) -> Bool { sqlite3_column_int64(handle, column) != 0 }
    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    func optionalInt(_ column: Int32) -> Int? { isNull(column) ? nil : int(column) }
    func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    /// The first byte of a text column (0 for NULL or empty), to decode short codes without a String.
    func firstByte(_ column: Int32) -> UInt8 {
        guard let pointer = sqlite3_column_text(handle, column), sqlite3_column_bytes(handle, column) > 0 else {
            return 0
        }
        return pointer.pointee
    }

    func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    private func failure(_ code: Int32) -> DatabaseError {
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        sqlite3_reset(handle)
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }
}
