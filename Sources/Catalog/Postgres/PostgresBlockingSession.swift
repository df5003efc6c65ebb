import Foundation
import GRDB
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO

/// A pooled PostgreSQL connection used synchronously, so that the catalog's queries written once
/// for both stores (`CatalogSQL`, synchronous as GRDB's closures are) run on PostgreSQL too. It
/// lives on a dispatch queue of its own, never on the cooperative pool: each statement waits for
/// postgres-nio's future (`wait()` is only refused on an event loop), as a GRDB access waits for
/// SQLite on its own queue.
struct PostgresBlockingSession: CatalogSQL {
    let connection: PostgresConnection
    let logger: Logger
    var dialect: ListDialect { .postgres }

    /// Rows (unless `readRows` is false: a statement run for its effect, whose rows such as
    /// `pg_advisory_xact_lock`'s void are not read) and the number of rows changed, of one
    /// statement (`?` placeholders numbered here).
    private func run(_ sql: String, _ arguments: [DatabaseValue], readRows: Bool = true) throws -> (rows: [Row], changed: Int) {
        final class Collected: @unchecked Sendable {
            let lock = NIOLock()
            var rows: [Row] = []
        }
        let collected = Collected()
        let query = PostgresQuery(unsafeSQL: PostgresCatalog.numbered(sql), binds: PostgresSession.binds(arguments))
        let metadata = try connection.query(query, logger: logger) { row in
            guard readRows else { return }
            let converted = try PostgresSession.row(of: row)
            collected.lock.withLock { collected.rows.append(converted) }
        }.wait()
        return (collected.lock.withLock { collected.rows }, metadata.rows ?? 0)
    }

    func rows(_ sql: String, _ arguments: [DatabaseValue]) throws -> [Row] {
        try run(sql, arguments).rows
    }

    @discardableResult
    func execute(_ sql: String, _ arguments: [DatabaseValue]) throws -> Int {
        try run(sql, arguments, readRows: false).changed
    }

    func insertRecord<Record: MutablePersistableRecord & FetchableRecord>(_ record: Record) throws -> Record {
        let statement = try RecordSQL.insert(record)
        guard let stored = try fetchOne(Record.self, statement.sql, statement.values) else {
            throw CatalogError.storage("\(Record.databaseTableName): the insert returned no row")
        }
        return stored
    }

    func updateRecord<Record: MutablePersistableRecord>(_ record: Record) throws {
        let statement = try RecordSQL.update(record)
        guard try execute(statement.sql, statement.values) == 1 else {
            throw CatalogError.notFound(resource: Record.databaseTableName, identifier: "\(statement.values.last ?? .null)")
        }
    }
}

extension PostgresCatalog: CatalogStore {
    public func readSQL<T: Sendable>(_ body: @escaping @Sendable (any CatalogSQL) throws -> T) async throws(CatalogError) -> T {
        try await blocking(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", readOnly: true, body)
    }

    /// Write transactions run one at a time across the installation, as SQLite's single writer
    /// runs them, so that a query's read-then-write (is this the catalog's first media server?
    /// is this slot free?) means the same on both stores: each takes the writers' advisory lock
    /// first. The task queue's claims do not (they lock rows, `SKIP LOCKED`).
    public func writeSQL<T: Sendable>(_ body: @escaping @Sendable (any CatalogSQL) throws -> T) async throws(CatalogError) -> T {
        try await blocking(begin: "BEGIN", readOnly: false, body)
    }

    /// Leases a connection and runs `body` in one transaction on a dispatch queue of its own.
    private func blocking<T: Sendable>(begin: String, readOnly: Bool, _ body: @escaping @Sendable (any CatalogSQL) throws -> T)
        async throws(CatalogError) -> T {
        let logger = self.logger
        defer { if !readOnly { changes.bump() } }
        do {
            return try await client.withConnection { connection in
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                    DispatchQueue(label: "tapelib.catalog.postgres.session").async {
                        let session = PostgresBlockingSession(connection: connection, logger: logger)
                        continuation.resume(with: Result {
                            try session.execute(begin, [])
                            if !readOnly { try session.execute("SELECT pg_advisory_xact_lock(?)", [Self.writerLock.databaseValue]) }
                            do {
                                let result = try body(session)
                                try session.execute("COMMIT", [])
                                return result
                            } catch {
                                _ = try? session.execute("ROLLBACK", [])
                                throw error
                            }
                        })
                    }
                }
            }
        } catch {
            throw CatalogError(postgres: error)
        }
    }
}
