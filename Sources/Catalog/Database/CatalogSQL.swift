import Foundation
import GRDB

/// One connection inside one transaction, as the catalog's queries see it when they are written
/// once for both stores: SQL with `?` placeholders and `DatabaseValue` arguments, rows as GRDB
/// `Row`s (so records decode one way), records inserted and updated by their Codable columns.
/// GRDB's `Database` is one (SQLite); `PostgresBlockingSession` the other, on a thread of its own.
/// The SQL must mean the same in both: the catalog's columns have SQLite's affinities in both
/// (dates as the same text, flags 0/1), `"full"` and `"asc"` are quoted, text is ordered with an
/// explicit collation where order matters (see `ListDialect`).
public protocol CatalogSQL {
    /// Which SQL this connection speaks, for the few statements that must differ (date
    /// arithmetic); everything else is the portable subset.
    var dialect: ListDialect { get }
    func rows(_ sql: String, _ arguments: [DatabaseValue]) throws -> [Row]
    /// Runs a statement for its effect; returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [DatabaseValue]) throws -> Int
    /// Inserts a record (its id, when nil, from the table) and returns it as stored.
    func insertRecord<Record: MutablePersistableRecord & FetchableRecord>(_ record: Record) throws -> Record
    /// Updates every column of a record by its id; a record whose row is gone is an error.
    func updateRecord<Record: MutablePersistableRecord>(_ record: Record) throws
}

extension CatalogSQL {
    func fetchAll<Record: FetchableRecord>(_ type: Record.Type, _ sql: String, _ arguments: [DatabaseValue] = [])
        throws -> [Record] {
        try rows(sql, arguments).map { try Record(row: $0) }
    }

    func fetchOne<Record: FetchableRecord>(_ type: Record.Type, _ sql: String, _ arguments: [DatabaseValue] = [])
        throws -> Record? {
        try rows(sql, arguments).first.map { try Record(row: $0) }
    }

    /// The record of `Record`'s table with this id.
    func record<Record: FetchableRecord & TableRecord>(_ type: Record.Type, id: Int64) throws -> Record? {
        try fetchOne(Record.self, "SELECT * FROM \(Record.databaseTableName) WHERE id = ?", [id.databaseValue])
    }

    /// The first column of the first row, if any and not NULL.
    func value<Value: DatabaseValueConvertible>(_ type: Value.Type, _ sql: String, _ arguments: [DatabaseValue] = [])
        throws -> Value? {
        guard let row = try rows(sql, arguments).first, let first = row.databaseValues.first else { return nil }
        return Value.fromDatabaseValue(first)
    }
}

extension Database: CatalogSQL {
    public var dialect: ListDialect { .sqlite }

    public func rows(_ sql: String, _ arguments: [DatabaseValue]) throws -> [Row] {
        try Row.fetchAll(self, sql: sql, arguments: StatementArguments(arguments))
    }

    @discardableResult
    public func execute(_ sql: String, _ arguments: [DatabaseValue]) throws -> Int {
        try execute(sql: sql, arguments: StatementArguments(arguments))
        return changesCount
    }

    public func insertRecord<Record: MutablePersistableRecord & FetchableRecord>(_ record: Record) throws -> Record {
        var copy = record
        try copy.insert(self)
        return copy
    }

    public func updateRecord<Record: MutablePersistableRecord>(_ record: Record) throws {
        try record.update(self)
    }
}

/// The catalog's two stores behind one interface, for queries written once (`CatalogSQL`):
/// `readSQL` runs in one snapshot, `writeSQL` in one write transaction, rolled back when the
/// body throws. `CatalogDatabase` (SQLite) and `PostgresCatalog` are the two.
public protocol CatalogStore: Sendable {
    func readSQL<T: Sendable>(_ body: @escaping @Sendable (any CatalogSQL) throws -> T) async throws(CatalogError) -> T
    func writeSQL<T: Sendable>(_ body: @escaping @Sendable (any CatalogSQL) throws -> T) async throws(CatalogError) -> T
    /// Applies a physical inventory of a library (each store its own bulk reads and writes over
    /// the one `Reconciler`).
    func reconcile(library libraryID: Int64, snapshot: InventorySnapshot, now: Date) async throws(CatalogError)
        -> ReconcileSummary
    /// One page of a list resource: `CompiledListQuery` in the store's dialect (SQLite's count
    /// cache and seek, PostgreSQL's single statement or snapshot).
    func list<Record: FetchableRecord & Sendable>(_ query: ListQuery, schema: ResourceSchema,
                                                  as type: Record.Type) async throws(CatalogError) -> Page<Record>
}

extension CatalogDatabase: CatalogStore {
    public func readSQL<T: Sendable>(_ body: @escaping @Sendable (any CatalogSQL) throws -> T) async throws(CatalogError) -> T {
        try await read { db in try body(db) }
    }

    public func writeSQL<T: Sendable>(_ body: @escaping @Sendable (any CatalogSQL) throws -> T) async throws(CatalogError) -> T {
        try await write { db in try body(db) }
    }
}
