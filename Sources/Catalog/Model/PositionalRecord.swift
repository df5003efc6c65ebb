import GRDB

/// A record decoded from its columns' values by position, the positions found once per result
/// rather than once per row: a PostgreSQL page's rows arrive as values in the statement's column
/// order, all in the same order, and GRDB finds a column of a row built from a dictionary by
/// comparing lowercased names one after the other. `init(row:)` (GRDB rows, both stores) goes
/// through the same two steps, so a record's columns are read one way.
protocol PositionalRecord: FetchableRecord, TableRecord {
    /// The columns it is decoded from, in the order of its fields.
    static var decodedColumns: [String] { get }
    /// The field a column holds, if any (a `switch`: this runs for every column of every GRDB row).
    static func field(ofColumn name: String) -> Int?
    /// Decodes PostgreSQL's values. Not generic over the source: called through the protocol
    /// (`PostgresSession.records`), a generic initializer would run unspecialized.
    init(values: PositionalValues<[DatabaseValue]>) throws
}

/// Where a row's values come from: a GRDB row (decoded as GRDB decodes, straight from SQLite's
/// statement when it is one) or values in column order (a PostgreSQL row).
protocol PositionalSource {
    func value<Value: DatabaseValueConvertible & StatementColumnConvertible>(at index: Int, table: String) throws -> Value
    func optionalValue<Value: DatabaseValueConvertible & StatementColumnConvertible>(at index: Int, table: String) throws -> Value?
}

extension Row: PositionalSource {
    func value<Value: DatabaseValueConvertible & StatementColumnConvertible>(at index: Int, table: String) throws -> Value {
        try decode(Value.self, atIndex: index)
    }

    func optionalValue<Value: DatabaseValueConvertible & StatementColumnConvertible>(at index: Int, table: String) throws -> Value? {
        try decode(Value?.self, atIndex: index)
    }
}

extension Array: PositionalSource where Element == DatabaseValue {
    func value<Value: DatabaseValueConvertible & StatementColumnConvertible>(at index: Int, table: String) throws -> Value {
        guard let decoded = Value.fromDatabaseValue(self[index]) else {
            throw CatalogError.storage("\(table) row with \(self[index]) in column \(index) where a \(Value.self) belongs")
        }
        return decoded
    }

    func optionalValue<Value: DatabaseValueConvertible & StatementColumnConvertible>(at index: Int, table: String) throws -> Value? {
        self[index].isNull ? nil : try value(at: index, table: table)
    }
}

/// One row's values, read by field through the positions of its result's columns. A value of the
/// wrong type, or NULL where the field is not optional, is an error, not a crash.
struct PositionalValues<Source: PositionalSource> {
    let table: String
    /// Per field, the index of its column.
    let positions: UnsafeBufferPointer<Int>
    let source: Source

    func required<Value: DatabaseValueConvertible & StatementColumnConvertible>(_ field: Int) throws -> Value {
        try source.value(at: positions[field], table: table)
    }

    func optional<Value: DatabaseValueConvertible & StatementColumnConvertible>(_ field: Int) throws -> Value? {
        try source.optionalValue(at: positions[field], table: table)
    }
}

extension PositionalRecord {
    /// Runs `body` with each field's column index among `columnNames` (the first of a name wins,
    /// as in GRDB's lookups), on the stack; a missing column is an error.
    static func withPositions<T>(of columnNames: some Sequence<String>, _ body: (UnsafeBufferPointer<Int>) throws -> T) throws -> T {
        try withUnsafeTemporaryAllocation(of: Int.self, capacity: decodedColumns.count) { positions in
            positions.initialize(repeating: -1)
            for (index, name) in columnNames.enumerated() {
                if let field = field(ofColumn: name), positions[field] < 0 { positions[field] = index }
            }
            if let missing = positions.firstIndex(of: -1) {
                throw CatalogError.storage("\(databaseTableName) row without column \(decodedColumns[missing])")
            }
            return try body(UnsafeBufferPointer(positions))
        }
    }

    /// Runs `decode` on a GRDB row's values through the same positions.
    static func decoding(_ row: Row, _ decode: (PositionalValues<Row>) throws -> Self) throws -> Self {
        try withPositions(of: row.columnNames) { positions in
            try decode(PositionalValues(table: databaseTableName, positions: positions, source: row))
        }
    }
}
