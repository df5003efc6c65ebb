import Foundation
import GRDB

/// The catalog as the service, the API and the CLI hold it: one `Sendable` value over either
/// store — the embedded SQLite file of a state directory, or a PostgreSQL database that several
/// media servers share. Every query of `extension CatalogStore` is reached through it; what only
/// a store can do (its wake-ups, how it learns of other processes' commits) is asked here.
public struct TapeCatalog: Sendable {
    public enum Store: Sendable {
        case sqlite(CatalogDatabase)
        case postgres(PostgresCatalog)
    }

    public let store: Store

    public init(_ database: CatalogDatabase) { store = .sqlite(database) }
    public init(_ database: PostgresCatalog) { store = .postgres(database) }

    /// Opens (and unless `migrate` is false, migrates) the catalog at `location`. Without
    /// migrating, a schema that is not this build's is refused.
    public static func open(_ location: CatalogLocation, migrate: Bool = true) async throws(CatalogError) -> TapeCatalog {
        switch location {
        case .sqlite(let directory):
            return TapeCatalog(try await CatalogDatabase.open(stateDirectory: directory, migrate: migrate))
        case .postgres(let configuration):
            return TapeCatalog(try await PostgresCatalog.connect(configuration, migrate: migrate))
        }
    }

    /// The SQLite store, for what only it has (a file copy, its journal mode); nil on PostgreSQL.
    public var sqlite: CatalogDatabase? {
        if case .sqlite(let database) = store { return database }
        return nil
    }

    public var isShared: Bool {
        if case .postgres = store { return true }
        return false
    }

    /// Moves whenever the catalog may have changed (see `CatalogChanges`); the API's caches key on it.
    public var changes: CatalogChanges {
        switch store {
        case .sqlite(let database): return database.changes
        case .postgres(let database): return database.changes
        }
    }

    /// Keeps `changes` moving with other processes' commits until cancelled: SQLite's
    /// `PRAGMA data_version` polled every `pollInterval`; PostgreSQL's `tapelib_changes`
    /// notifications, which every commit sends (`SchemaV13`).
    public func followExternalCommits(pollInterval: Duration = .milliseconds(100)) async {
        switch store {
        case .sqlite(let database):
            await database.pollExternalCommits(every: pollInterval)
        case .postgres(let database):
            let changes = database.changes
            let listener = database.listen(on: PostgresCatalog.changeChannel, what: "catalog changes") { _ in
                changes.bump()
            } ended: {}
            await withTaskCancellationHandler {
                await listener.value
            } onCancel: {
                listener.cancel()
            }
        }
    }

    /// Wake-ups for a task engine when another process queues a task (PostgreSQL's
    /// `tapelib_tasks` notifications: the task's library id, nil after each (re)connection);
    /// nil on SQLite, where the engine runs in the process that queues and polls for others.
    public func taskQueued() -> AsyncStream<Int64?>? {
        switch store {
        case .sqlite: return nil
        case .postgres(let database): return database.taskQueued()
        }
    }

    /// Claims media server `id` for this process on a shared catalog (false: another process
    /// serves it); on SQLite the state directory's lock already does, and this is true. `lost` is
    /// called if another process takes the claim later (PostgreSQL: while this one's connection
    /// was down), and this process must then stop serving the media server.
    public func holdMediaServerLock(_ id: Int64, lost: @escaping @Sendable (CatalogError) -> Void) async throws(CatalogError) -> Bool {
        switch store {
        case .sqlite: return true
        case .postgres(let database): return try await database.holdMediaServerLock(id, lost: lost)
        }
    }

    /// Ends a PostgreSQL store's listeners and connections (SQLite's file closes with the last reference).
    public func close() async {
        if case .postgres(let database) = store { await database.close() }
    }

    /// Identifiers of the migrations applied to this catalog, in order.
    public func appliedMigrations() async throws(CatalogError) -> [String] {
        switch store {
        case .sqlite(let database): return try await database.appliedMigrations()
        case .postgres(let database): return try await database.appliedMigrations()
        }
    }

    /// For messages: the SQLite file, or the PostgreSQL URL without its password.
    public var displayName: String {
        switch store {
        case .sqlite(let database): return database.writer.path
        case .postgres(let database): return database.configuration.displayURL
        }
    }
}

extension TapeCatalog: CatalogStore {
    public func readSQL<T: Sendable>(_ body: @escaping @Sendable (any CatalogSQL) throws -> T) async throws(CatalogError) -> T {
        switch store {
        case .sqlite(let database): return try await database.readSQL(body)
        case .postgres(let database): return try await database.readSQL(body)
        }
    }

    public func writeSQL<T: Sendable>(_ body: @escaping @Sendable (any CatalogSQL) throws -> T) async throws(CatalogError) -> T {
        switch store {
        case .sqlite(let database): return try await database.writeSQL(body)
        case .postgres(let database): return try await database.writeSQL(body)
        }
    }

    public func reconcile(library libraryID: Int64, snapshot: InventorySnapshot, now: Date = Date())
        async throws(CatalogError) -> ReconcileSummary {
        switch store {
        case .sqlite(let database): return try await database.reconcile(library: libraryID, snapshot: snapshot, now: now)
        case .postgres(let database): return try await database.reconcile(library: libraryID, snapshot: snapshot, now: now)
        }
    }

    public func list<Record: FetchableRecord & Sendable>(_ query: ListQuery, schema: ResourceSchema,
                                                         as type: Record.Type) async throws(CatalogError) -> Page<Record> {
        switch store {
        case .sqlite(let database): return try await database.list(query, schema: schema, as: type)
        case .postgres(let database): return try await database.list(query, schema: schema, as: type)
        }
    }
}

extension TapeCatalog: LibraryTaskQueue, JobRunClaims {
    private var queue: any LibraryTaskQueue {
        switch store {
        case .sqlite(let database): return database
        case .postgres(let database): return database
        }
    }

    public func enqueue(_ task: LibraryTask) async throws(CatalogError) -> LibraryTask {
        try await queue.enqueue(task)
    }

    public func libraryTask(id: Int64) async throws(CatalogError) -> LibraryTask? {
        try await queue.libraryTask(id: id)
    }

    public func pendingLibraryTasks(library: Int64? = nil) async throws(CatalogError) -> [LibraryTask] {
        try await queue.pendingLibraryTasks(library: library)
    }

    public func claimLibraryTask(_ id: Int64, phase: String, drive: Int64? = nil, now: Date = Date())
        async throws(CatalogError) -> Bool {
        try await queue.claimLibraryTask(id, phase: phase, drive: drive, now: now)
    }

    public func claimNextLibraryTask(mediaServer: Int64, phase: String, now: Date = Date())
        async throws(CatalogError) -> LibraryTask? {
        try await queue.claimNextLibraryTask(mediaServer: mediaServer, phase: phase, now: now)
    }

    @discardableResult
    public func updateLibraryTask(_ id: Int64, status: TaskStatus, progressPercent: Double? = nil, phase: String? = nil,
                                  failure: TaskFailure? = nil, log: (level: String, message: String)? = nil,
                                  now: Date = Date()) async throws(CatalogError) -> LibraryTask {
        try await queue.updateLibraryTask(id, status: status, progressPercent: progressPercent, phase: phase,
                                          failure: failure, log: log, now: now)
    }

    public func breakInterruptedLibraryTasks(libraries: Set<Int64>, reason: String, now: Date = Date())
        async throws(CatalogError) -> [LibraryTask] {
        try await queue.breakInterruptedLibraryTasks(libraries: libraries, reason: reason, now: now)
    }
}
