import Foundation
import GRDB
import PostgresNIO
import Synchronization

/// A catalog statement prepared once per pooled connection and executed by name afterwards, so
/// that PostgreSQL parses and plans it once per connection rather than at every run (a slot page
/// is planned in about as long as it runs).
///
/// postgres-nio prepares statements whose name and SQL are static members of a type
/// (`PostgresPreparedStatement`), and remembers per connection which names it has prepared. The
/// catalog's statements are built at run time (the filter language), so the one type here reads
/// its name, SQL and parameter types from a task-local value set around each execution: the
/// connection reads them synchronously when the statement is handed to it. Each distinct text
/// (SQL and parameter types) gets a name of its own for the life of the process; past 512
/// distinct texts (a client sending ever new filters) statements run unprepared, so that neither
/// this process nor the server's connections grow without bound.
struct PreparedCatalogStatement: PostgresPreparedStatement {
    struct Text: Sendable {
        var name = ""
        var sql = ""
        var types: [PostgresDataType] = []
    }

    @TaskLocal static var text = Text()
    static var name: String { text.name }
    static var sql: String { text.sql }
    static var bindingDataTypes: [PostgresDataType] { text.types }

    let bindings: PostgresBindings

    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }

    /// The process's statement names.
    static let names = PreparedStatementNames(limit: 512)

    /// The parameter types postgres-nio binds `arguments` with (`PostgresSession.binds`): NULL
    /// leaves the type to the server, as an unprepared statement does.
    static func types(of arguments: [DatabaseValue]) -> [PostgresDataType] {
        arguments.map { argument in
            switch argument.storage {
            case .null: .null
            case .int64: .int8
            case .double: .float8
            case .string: .text
            case .blob: .bytea
            }
        }
    }
}

/// Names of prepared statements' texts, assigned at first use, at most `limit` of them. A name is
/// never given twice: a text forgotten (its prepared plan no longer runs) gets a new one.
final class PreparedStatementNames: Sendable {
    let limit: Int
    private let state = Mutex<(names: [String: String], issued: Int)>(([:], 0))

    init(limit: Int) {
        self.limit = limit
    }

    /// The name of a statement's text; nil once `limit` texts have names.
    func name(sql: String, types: [PostgresDataType]) -> String? {
        let key = Self.key(sql, types)
        return state.withLock { state in
            if let name = state.names[key] { return name }
            guard state.names.count < limit else { return nil }
            state.issued += 1
            let name = "tapelib_\(state.issued)"
            state.names[key] = name
            return name
        }
    }

    /// Drops a text's name: its next run is prepared anew, under another name, on each connection.
    func forget(sql: String, types: [PostgresDataType]) {
        let key = Self.key(sql, types)
        _ = state.withLock { $0.names.removeValue(forKey: key) }
    }

    private static func key(_ sql: String, _ types: [PostgresDataType]) -> String {
        types.map { String($0.rawValue) }.joined(separator: ",") + ";" + sql
    }
}

extension PostgresSession {
    /// Runs a statement prepared (`PreparedCatalogStatement`) unless `prepared` is false or the
    /// names' bound is reached, handing each row to `row`.
    func run(_ sql: String, _ arguments: [DatabaseValue], prepared: Bool, row: (PostgresRow) throws -> Void) async throws {
        let types = PreparedCatalogStatement.types(of: arguments)
        guard prepared, let name = PreparedCatalogStatement.names.name(sql: sql, types: types) else {
            for try await each in try await query(sql, Self.binds(arguments)) { try row(each) }
            return
        }
        let text = PreparedCatalogStatement.Text(name: name, sql: sql, types: types)
        try await PreparedCatalogStatement.$text.withValue(text) {
            let rows = try await connection.execute(PreparedCatalogStatement(bindings: Self.binds(arguments)), logger: logger)
            for try await each in rows { try row(each) }
        }
    }
}
