import Foundation
import GRDB
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// The catalog's PostgreSQL store: one connection pool (postgres-nio's `PostgresClient`) per
/// process, shared by the media servers of an installation.
///
/// What the two stores share, so that a value means the same in both: the record types and their
/// column mapping (GRDB's Codable encoding — a date is the same text, a flag the same 0/1, an
/// enum the same raw value — bridged to PostgreSQL through `Row`), the migrations' identifiers
/// and seed data, and the state machine (`LibraryTask.recording`). What differs lives here: the
/// SQL dialect, row locking (`FOR UPDATE SKIP LOCKED`), wake-ups (`LISTEN/NOTIFY`), and the
/// migration lock (an advisory lock instead of a lock file).
public final class PostgresCatalog: Sendable {
    public let configuration: PostgresCatalogConfiguration
    let client: PostgresClient
    private let runner: Task<Void, Never>
    let logger: Logger
    /// Tasks that listen for notifications on connections of their own; `close()` ends them.
    let listeners = Mutex<[Task<Void, Never>]>([])
    /// Connections that hold session-level locks (`holdMediaServerLock`); `close()` ends them.
    let lockConnections = HeldConnections()
    /// Moves at every commit this process makes (after it, before the writer resumes) and, once
    /// `followExternalCommits()` runs, at every other connection's: the API's caches key on it.
    public let changes = CatalogChanges()
    /// Each library's last sync on this node, while no library element changed since.
    let reconcileCache = PostgresReconcileCache()

    /// The channel a task's queuing is announced on (payload: the task's library id, or empty).
    static let taskChannel = "tapelib_tasks"

    private init(configuration: PostgresCatalogConfiguration, client: PostgresClient, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.runner = Task { await client.run() }
    }

    /// Connects (the pool opens connections on demand), proves the server answers, and migrates
    /// the schema to this build's unless `migrate` is false — then a schema that is not this
    /// build's is refused, as for SQLite.
    public static func connect(_ configuration: PostgresCatalogConfiguration, migrate: Bool = true,
                               logger: Logger = Logger(label: "tapelib.catalog.postgres"))
        async throws(CatalogError) -> PostgresCatalog {
        try await probe(configuration, logger: logger)
        let catalog = try unmigrated(configuration, logger: logger)
        do throws(CatalogError) {
            if migrate {
                try await catalog.migrate()
            } else {
                let applied = try await catalog.appliedMigrations()
                guard applied == CatalogMigrations.identifiers else {
                    throw CatalogError.storage("the catalog's schema (\(applied.last ?? "empty")) is not this tapelib's "
                                               + "(\(CatalogMigrations.identifiers.last ?? "")): run `tapelib catalog migrate` first")
                }
            }
        } catch {
            await catalog.close()
            throw error
        }
        return catalog
    }

    /// Connects (after the probe) without looking at the schema: for `tapelib catalog init|migrate`.
    static func open(_ configuration: PostgresCatalogConfiguration,
                     logger: Logger = Logger(label: "tapelib.catalog.postgres")) async throws(CatalogError) -> PostgresCatalog {
        try await probe(configuration, logger: logger)
        return try unmigrated(configuration, logger: logger)
    }

    /// A catalog whose schema is not looked at (the pool connects on the first query).
    static func unmigrated(_ configuration: PostgresCatalogConfiguration,
                           logger: Logger = Logger(label: "tapelib.catalog.postgres")) throws(CatalogError) -> PostgresCatalog {
        // The pool's own log: errors only. Its info lines repeat a connection failure at every
        // retry, and a warning races the start of `run()`; a failure reaches the operator as the
        // failing request's error (and at start as the probe's).
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        return PostgresCatalog(configuration: configuration,
                               client: PostgresClient(configuration: try clientConfiguration(configuration), backgroundLogger: background),
                               logger: logger)
    }

    /// Ends the listeners and closes the pool's connections.
    public func close() async {
        let listening = listeners.withLock { tasks in
            defer { tasks.removeAll() }
            return tasks
        }
        for listener in listening {
            listener.cancel()
            await listener.value
        }
        for connection in lockConnections.takeAll() {
            try? await connection.close()
        }
        runner.cancel()
        await runner.value
    }

    deinit {
        listeners.withLock { tasks in tasks.forEach { $0.cancel() } }
        runner.cancel()
    }

    /// One connection made and closed before the pool exists: a pool retries a failing connection
    /// in the background until a request's deadline, so an operator would see a timeout where
    /// the cause is a refused password, an unverifiable certificate or nothing listening.
    static func probe(_ configuration: PostgresCatalogConfiguration, logger: Logger) async throws(CatalogError) {
        let opened = try await connection(configuration, logger: logger)
        try? await opened.close()
    }

    /// A connection outside the pool (the probe's; a listener's, which holds it as long as it
    /// listens and must not take one of the pool's).
    static func connection(_ configuration: PostgresCatalogConfiguration, logger: Logger) async throws(CatalogError)
        -> PostgresConnection {
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch try tlsConfiguration(configuration) {
            case .none: tls = .disable
            case .some((let context, let required)):
                let ssl = try NIOSSLContext(configuration: context)
                tls = required ? .require(ssl) : .prefer(ssl)
            }
        } catch {
            throw CatalogError(postgres: error)
        }
        var options = PostgresConnection.Configuration(host: configuration.host, port: configuration.port,
                                                       username: configuration.user, password: configuration.password,
                                                       database: configuration.database, tls: tls)
        options.options.connectTimeout = .seconds(15)
        // These connections (listeners, media-server locks) live as long as the process: the
        // server probes them after 15 s of silence and drops a dead one within about 30 s, which
        // ends the session and releases its lock (the kernel's default waits two hours).
        options.options.additionalStartupParameters = [("application_name", configuration.applicationName),
                                                       ("tcp_keepalives_idle", "15"), ("tcp_keepalives_interval", "5"),
                                                       ("tcp_keepalives_count", "3")]
        do {
            return try await PostgresConnection.connect(configuration: options, id: 0, logger: logger)
        } catch {
            throw .storage("cannot connect to the catalog \(configuration.displayURL): \(describe(error))")
        }
    }

    /// The TLS context a mode asks for, and whether TLS is required; nil for `disable`.
    static func tlsConfiguration(_ configuration: PostgresCatalogConfiguration)
        throws(CatalogError) -> (TLSConfiguration, required: Bool)? {
        var context = TLSConfiguration.makeClientConfiguration()
        switch configuration.tls {
        case .disable:
            return nil
        case .prefer, .require:
            // libpq's prefer and require encrypt without verifying the certificate.
            context.certificateVerification = .none
            return (context, configuration.tls == .require)
        case .verifyFull:
            context.certificateVerification = .fullVerification
            if let path = configuration.rootCertificatePath {
                do {
                    context.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
                } catch {
                    throw .invalidArgument("sslrootcert \(path): \(error)")
                }
            }
            return (context, true)
        }
    }

    static func clientConfiguration(_ configuration: PostgresCatalogConfiguration) throws(CatalogError) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch try tlsConfiguration(configuration) {
        case .none: tls = .disable
        case .some((let context, let required)): tls = required ? .require(context) : .prefer(context)
        }
        var result = PostgresClient.Configuration(host: configuration.host, port: configuration.port,
                                                  username: configuration.user, password: configuration.password,
                                                  database: configuration.database, tls: tls)
        result.options.maximumConnections = configuration.poolSize
        result.options.connectTimeout = .seconds(15)
        // Plans are PostgreSQL's default (`plan_cache_mode = auto`): a prepared list page is
        // planned generically once its text lets the generic plan cost what a custom one does
        // (`list`: LIMIT and a first page's OFFSET in the text). Forcing generic plans for the
        // whole session made the pages' planning free too, but planned every statement as if
        // its values were common ones: a task list filtered on `status="new"` among 200,000
        // finished tasks took 16–21 ms instead of 1.2–2.0 ms (docs/performance.md).
        result.options.additionalStartupParameters = [("application_name", configuration.applicationName)]
        return result
    }

    /// A connection failure as an operator reads it: the server's message, else the cause.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let message = error.serverInfo?[.message] {
            return "\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))"
        }
        if error.code == .authMechanismRequiresPassword {
            return "the server asks for a password: set PGPASSWORD or a 0600 password file (passfile=, PGPASSFILE, ~/.pgpass)"
        }
        if let underlying = error.underlying { return "\(error.code.description): \(underlying)" }
        return error.code.description
    }

    // MARK: - Access with errors mapped to CatalogError

    /// Runs `body` in one transaction on one pooled connection; a thrown error rolls it back.
    func transaction<T: Sendable>(_ body: (PostgresSession) async throws -> T) async throws(CatalogError) -> T {
        do {
            defer { changes.bump() }
            return try await client.withTransaction(logger: logger) { connection in
                try await body(PostgresSession(connection: connection, logger: logger))
            }
        } catch {
            throw CatalogError(postgres: error)
        }
    }

    /// Runs `body` on one pooled connection without BEGIN/COMMIT: each statement is its own
    /// transaction (autocommit). For a single statement — a read, or a claim's one UPDATE — it
    /// saves two round trips of the three a transaction costs.
    func autocommit<T: Sendable>(_ body: (PostgresSession) async throws -> T) async throws(CatalogError) -> T {
        do {
            return try await client.withConnection { connection in
                try await body(PostgresSession(connection: connection, logger: logger))
            }
        } catch {
            throw CatalogError(postgres: error)
        }
    }

    /// Rows of one statement outside any explicit transaction.
    func rows(_ sql: String, _ arguments: [DatabaseValue] = []) async throws(CatalogError) -> [Row] {
        do {
            return try await client.withConnection { connection in
                try await PostgresSession(connection: connection, logger: logger).rows(sql, arguments)
            }
        } catch {
            throw CatalogError(postgres: error)
        }
    }
}

/// Connections a process holds open beyond its pool (session-level locks), closed by `close()`.
final class HeldConnections: Sendable {
    private let connections = Mutex<[PostgresConnection]>([])

    func add(_ connection: PostgresConnection) {
        connections.withLock { $0.append(connection) }
    }

    func remove(_ connection: PostgresConnection) {
        connections.withLock { $0.removeAll { $0 === connection } }
    }

    func takeAll() -> [PostgresConnection] {
        connections.withLock { connections in
            defer { connections.removeAll() }
            return connections
        }
    }
}

/// One connection inside a transaction: statements with `$n` placeholders, bound from
/// `DatabaseValue`s; rows come back as GRDB `Row`s, so records decode as from SQLite.
struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger

    func rows(_ sql: String, _ arguments: [DatabaseValue] = []) async throws -> [Row] {
        try await rows(query(sql, Self.binds(arguments)))
    }

    /// Runs a statement for its effect; rows it returns are drained, not read (`SELECT
    /// pg_notify(…)` returns a void column).
    func execute(_ sql: String, _ arguments: [DatabaseValue] = []) async throws {
        let sequence = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: Self.binds(arguments)), logger: logger)
        for try await _ in sequence {}
    }

    /// The raw rows of a statement bound with postgres-nio's own encodings (arrays among them),
    /// for reads that decode typed columns themselves.
    func query(_ sql: String, _ binds: PostgresBindings) async throws -> PostgresRowSequence {
        try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
    }

    /// Runs a statement bound with postgres-nio's own encodings, for its effect.
    func execute(_ sql: String, _ binds: PostgresBindings) async throws {
        for try await _ in try await query(sql, binds) {}
    }

    /// Rows of a statement whose one parameter is an array of ids.
    func rows(_ sql: String, arrays: [[Int64]]) async throws -> [Row] {
        var binds = PostgresBindings()
        for array in arrays { binds.append(array) }
        return try await rows(query(sql, binds))
    }

    /// Rows of a statement whose one parameter is an array of text.
    func rows(_ sql: String, texts: [String]) async throws -> [Row] {
        var binds = PostgresBindings()
        binds.append(texts)
        return try await rows(query(sql, binds))
    }

    /// A read's rows as values in its column order, and the column names once (empty when there
    /// are no rows). The statement runs prepared; if that fails it runs once more unprepared — a
    /// statement whose preparation failed stays failed on that connection (postgres-nio remembers),
    /// and a prepared plan fails once another node's migration has changed its table — and a read
    /// run twice repeats nothing. Its text's name is then dropped, so that its next run is
    /// prepared anew (against the table as it is now) under another name.
    func valueRows(_ sql: String, _ arguments: [DatabaseValue]) async throws -> (columns: [String], rows: [[DatabaseValue]]) {
        do {
            return try await valueRows(sql, arguments, prepared: true)
        } catch let error as PSQLError where !Task.isCancelled {
            logger.debug("catalog statement run unprepared after \(String(reflecting: error))")
            PreparedCatalogStatement.names.forget(sql: sql, types: PreparedCatalogStatement.types(of: arguments))
            return try await valueRows(sql, arguments, prepared: false)
        }
    }

    private func valueRows(_ sql: String, _ arguments: [DatabaseValue], prepared: Bool) async throws
        -> (columns: [String], rows: [[DatabaseValue]]) {
        var columns: [String] = []
        var rows: [[DatabaseValue]] = []
        try await run(sql, arguments, prepared: prepared) { row in
            if rows.isEmpty { columns = row.map(\.columnName) }
            var values: [DatabaseValue] = []
            values.reserveCapacity(columns.count)
            for cell in row { values.append(try Self.value(of: cell)) }
            rows.append(values)
        }
        return (columns, rows)
    }

    /// Records from value rows: by position when the record is a `PositionalRecord` (the
    /// positions found once), else through a GRDB row of each.
    static func records<Record: FetchableRecord>(_ type: Record.Type, columns: [String], rows: some Collection<[DatabaseValue]>) throws -> [Record] {
        guard let positional = Record.self as? any PositionalRecord.Type else {
            return try rows.map { values in
                var dictionary: [String: (any DatabaseValueConvertible)?] = Dictionary(minimumCapacity: columns.count)
                for (name, value) in zip(columns, values) where dictionary[name] == nil { dictionary[name] = value }
                return try Record(row: Row(dictionary))
            }
        }
        return try positional.withPositions(of: columns) { positions in
            try rows.map { values in
                guard let record = try positional.init(values: PositionalValues(table: positional.databaseTableName, positions: positions,
                                                                                source: values)) as? Record else {
                    throw CatalogError.storage("\(positional.databaseTableName): a record of another type decoded")
                }
                return record
            }
        }
    }

    private func rows(_ sequence: PostgresRowSequence) async throws -> [Row] {
        var result: [Row] = []
        for try await row in sequence {
            result.append(try Self.row(of: row))
        }
        return result
    }

    /// `COPY table (columns) FROM STDIN` in text format: `row(index, &line)` writes each row's
    /// fields; the data goes out in chunks of about 256 KiB. postgres-nio quotes the table's and
    /// the columns' names.
    func copy(into table: String, columns: [String], rows count: Int,
              _ row: (Int, inout CopyLine) throws -> Void) async throws {
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            var line = CopyLine()
            for index in 0..<count {
                try row(index, &line)
                line.endRow()
                if line.buffer.readableBytes >= 256 * 1024 {
                    try await writer.write(line.buffer)
                    line.buffer.clear()
                }
            }
            if line.buffer.readableBytes > 0 { try await writer.write(line.buffer) }
        }
    }

    func fetchAll<Record: FetchableRecord>(_ type: Record.Type, _ sql: String, _ arguments: [DatabaseValue] = []) async throws -> [Record] {
        try await rows(sql, arguments).map { try Record(row: $0) }
    }

    func fetchOne<Record: FetchableRecord>(_ type: Record.Type, _ sql: String, _ arguments: [DatabaseValue] = []) async throws -> Record? {
        try await rows(sql, arguments).first.map { try Record(row: $0) }
    }

    /// Inserts a record (`RecordSQL.insert`) and returns it as stored.
    func insert<Record: EncodableRecord & FetchableRecord & TableRecord>(_ record: Record) async throws -> Record {
        let statement = try RecordSQL.insert(record)
        guard let stored = try await fetchOne(Record.self, PostgresCatalog.numbered(statement.sql), statement.values) else {
            throw CatalogError.storage("\(Record.databaseTableName): the insert returned no row")
        }
        return stored
    }

    /// Updates every column of a record with an id (`RecordSQL.update`).
    func update<Record: EncodableRecord & TableRecord>(_ record: Record) async throws {
        let statement = try RecordSQL.update(record)
        try await execute(PostgresCatalog.numbered(statement.sql), statement.values)
    }

    static func binds(_ arguments: [DatabaseValue]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument.storage {
            case .null: binds.appendNull()
            case .int64(let value): binds.append(value)
            case .double(let value): binds.append(value)
            case .string(let value): binds.append(value)
            case .blob(let value): binds.append(ByteBuffer(bytes: value))
            }
        }
        return binds
    }

    /// A PostgreSQL row as a GRDB `Row`. Built as GRDB's `Row(dictionary)` takes it (values as
    /// `DatabaseValueConvertible`, so that GRDB does not copy the dictionary to convert it).
    static func row(of row: PostgresRow) throws -> Row {
        var values: [String: (any DatabaseValueConvertible)?] = Dictionary(minimumCapacity: row.count)
        for cell in row { values[cell.columnName] = try value(of: cell) }
        return Row(values)
    }

    /// A cell as SQLite would hold it: integers, floats, text, bytes (booleans as 0/1).
    /// The catalog's columns have SQLite's affinities (integer, real, text, blob); any other type
    /// (numeric, timestamptz, arrays…) is refused rather than read as text from its binary form.
    /// Text is decoded as postgres-nio decodes it (invalid UTF-8 repaired, never refused: the
    /// server checks the database's encoding on the way in).
    static func value(of cell: PostgresCell) throws -> DatabaseValue {
        guard var bytes = cell.bytes else { return .null }
        // The binary format of the types the catalog uses, read directly (postgres-nio's generic
        // decoding costs several times more per cell); anything else below.
        if cell.format == .binary {
            switch cell.dataType {
            case .int8 where bytes.readableBytes == 8:
                if let value = bytes.readInteger(as: Int64.self) { return value.databaseValue }
            case .int4 where bytes.readableBytes == 4:
                if let value = bytes.readInteger(as: Int32.self) { return Int64(value).databaseValue }
            case .text, .varchar, .name, .bpchar:
                return (bytes.readString(length: bytes.readableBytes) ?? "").databaseValue
            default:
                break
            }
        }
        switch cell.dataType {
        case .int2, .int4, .int8: return try cell.decode(Int64.self).databaseValue
        case .float4, .float8: return try cell.decode(Double.self).databaseValue
        case .bool: return (try cell.decode(Bool.self) ? 1 : 0).databaseValue
        case .bytea: return Data(try cell.decode(ByteBuffer.self).readableBytesView).databaseValue
        case .text, .varchar, .name, .bpchar: return try cell.decode(String.self).databaseValue
        default:
            throw CatalogError.storage("column \(cell.columnName) has PostgreSQL type \(cell.dataType), which the catalog "
                                       + "does not read (cast it to bigint, double precision or text)")
        }
    }
}

/// The statements that insert and update a record by its Codable columns on PostgreSQL, with
/// `?` placeholders (numbered by the session that runs them). SQLite's are GRDB's own.
enum RecordSQL {
    /// `INSERT … RETURNING *` of the record's columns; a nil id is left to the table's identity.
    static func insert<Record: EncodableRecord & TableRecord>(_ record: Record) throws -> (sql: String, values: [DatabaseValue]) {
        let columns = try record.databaseDictionary.filter { !($0.key == "id" && $0.value.isNull) }.sorted { $0.key < $1.key }
        let names = columns.map { "\"\($0.key)\"" }.joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        return ("INSERT INTO \(Record.databaseTableName) (\(names)) VALUES (\(placeholders)) RETURNING *", columns.map(\.value))
    }

    /// `UPDATE … SET` every column but the id, `WHERE id = ?`.
    static func update<Record: EncodableRecord & TableRecord>(_ record: Record) throws -> (sql: String, values: [DatabaseValue]) {
        let dictionary = try record.databaseDictionary
        guard let id = dictionary["id"], !id.isNull else {
            throw CatalogError.storage("\(Record.databaseTableName): an update needs the row's id")
        }
        let columns = dictionary.filter { $0.key != "id" }.sorted { $0.key < $1.key }
        let assignments = columns.map { "\"\($0.key)\" = ?" }.joined(separator: ", ")
        return ("UPDATE \(Record.databaseTableName) SET \(assignments) WHERE id = ?", columns.map(\.value) + [id])
    }
}

/// One row of COPY's text format: fields separated by tabs, NULL as `\N`, and in text a
/// backslash, tab, newline or carriage return escaped with a backslash (PostgreSQL's COPY).
struct CopyLine {
    var buffer = ByteBuffer()
    private var fields = 0

    private mutating func separate() {
        if fields > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
        fields += 1
    }

    mutating func field(_ value: Int64?) {
        separate()
        guard let value else { buffer.writeStaticString("\\N"); return }
        buffer.writeString(String(value))
    }

    mutating func field(_ value: Int64) { field(Optional(value)) }
    mutating func field(_ value: Bool) { field(Int64(value ? 1 : 0)) }

    mutating func field(_ value: String?) {
        separate()
        guard let value else { buffer.writeStaticString("\\N"); return }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }

    mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        fields = 0
    }
}

extension CatalogError {
    /// Maps what postgres-nio threw onto the catalog's error type (constraint violations by
    /// their SQLSTATE class 23, as SQLite's SQLITE_CONSTRAINT).
    init(postgres error: any Error) {
        if let error = error as? CatalogError { self = error; return }
        if let error = error as? PSQLError {
            if let state = error.serverInfo?[.sqlState], state.hasPrefix("23") {
                self = .constraintViolation(error.serverInfo?[.message] ?? state)
                return
            }
            if let message = error.serverInfo?[.message] {
                self = .storage("PostgreSQL: \(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))")
                return
            }
            self = .storage("PostgreSQL: \(PostgresCatalog.describe(error))")
            return
        }
        if let error = error as? PostgresTransactionError {
            self = error.closureError.map { CatalogError(postgres: $0) }
                ?? error.beginError.map { CatalogError(postgres: $0) }
                ?? error.commitError.map { CatalogError(postgres: $0) }
                ?? .storage("PostgreSQL transaction failed")
            return
        }
        self = CatalogError(error)
    }
}
