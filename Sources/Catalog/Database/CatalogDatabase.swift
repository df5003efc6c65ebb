import Foundation
import GRDB

/// The catalog: one value per process wrapping the GRDB writer; all catalog reads and writes
/// go through it. Files use a `DatabasePool` (WAL, readers never block the writer); tests use
/// an in-memory `DatabaseQueue`. Migrations run in `init`.
public struct CatalogDatabase: Sendable {
    let writer: any DatabaseWriter
    /// Checkpoints after large writes off the writer's path (files only; see WALCheckpointer).
    let checkpointer: WALCheckpointer?
    /// What reconcile last committed per library, while nothing else changed the catalog.
    let reconcileCache = ReconcileCache()
    /// Changes whenever the catalog may have changed (see `CatalogChanges`).
    public let changes = CatalogChanges()

    /// Opens (creating if needed) the catalog file at `path` and migrates it to the newest schema.
    public init(path: String) throws(CatalogError) {
        try self.init(path: path, migrateUpTo: nil)
    }

    /// Opens or creates `catalog.sqlite` in a state directory (created with mode 0700).
    public init(stateDirectory: String) throws(CatalogError) {
        do {
            try FileManager.default.createDirectory(
                atPath: stateDirectory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            throw .storage("cannot create state directory \(stateDirectory): \(error)")
        }
        try self.init(path: StateDirectory.catalogPath(in: stateDirectory))
    }

    /// A private in-memory catalog, fully migrated (for tests and benchmarks).
    public static func inMemory() throws(CatalogError) -> CatalogDatabase {
        do {
            let queue = try DatabaseQueue(configuration: Self.configuration())
            return try CatalogDatabase(writer: queue, migrateUpTo: nil)
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError(error)
        }
    }

    /// `migrateUpTo` stops at an older migration: used to build the upgrade fixture.
    init(path: String, migrateUpTo: String?, requireCurrent: Bool = false) throws(CatalogError) {
        let lock = try MigrationLock(catalogPath: path)
        defer { lock.release() }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: Self.configuration())
        } catch {
            throw .storage("cannot open catalog \(path): \(error)")
        }
        let checkpointer: WALCheckpointer
        do {
            checkpointer = try WALCheckpointer(path: path)
        } catch {
            throw .storage("cannot open catalog \(path): \(error)")
        }
        try self.init(writer: pool, migrateUpTo: migrateUpTo, checkpointer: checkpointer, requireCurrent: requireCurrent)
    }

    /// `requireCurrent`: do not migrate; refuse a catalog whose schema is not this build's.
    init(writer: any DatabaseWriter, migrateUpTo: String?, checkpointer: WALCheckpointer? = nil,
         requireCurrent: Bool = false) throws(CatalogError) {
        self.writer = writer
        self.checkpointer = checkpointer
        writer.add(transactionObserver: reconcileCache)
        writer.add(transactionObserver: changes)
        if requireCurrent {
            let applied: [String]
            do {
                applied = try writer.read { db in try CatalogMigrations.migrator.appliedMigrations(db) }
            } catch {
                throw .storage("cannot read the catalog's schema version: \(error)")
            }
            guard applied == CatalogMigrations.identifiers else {
                throw .storage("the catalog's schema (\(applied.last ?? "empty")) is not this tapelib's "
                               + "(\(CatalogMigrations.identifiers.last ?? "")): run `tapelib catalog init` "
                               + "or restart `tapelib serve` with this version first")
            }
            return
        }
        do {
            if let target = migrateUpTo {
                try CatalogMigrations.migrator.migrate(writer, upTo: target)
            } else {
                try CatalogMigrations.migrator.migrate(writer)
            }
        } catch {
            throw .storage("migration failed: \(error)")
        }
    }

    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // In WAL mode NORMAL keeps the database consistent after a crash; only the last
            // commits before a power loss may be rolled back.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A 50,000-slot library's slots, cartridges and indexes are ~15 MB: the default
            // 2,000-page cache would re-read pages from the file during every sync.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        return configuration
    }

    /// Identifiers of the migrations applied to this catalog, in order.
    public func appliedMigrations() async throws(CatalogError) -> [String] {
        try await read { db in try CatalogMigrations.migrator.appliedMigrations(db) }
    }

    /// All migrations this build knows, in order.
    public static var knownMigrations: [String] { CatalogMigrations.identifiers }

    /// SQLite's journal mode for this catalog ("wal" for files, "memory" in memory).
    public func journalMode() async throws(CatalogError) -> String {
        try await read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    // MARK: - Access with errors mapped to CatalogError

    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws(CatalogError) -> T {
        do {
            return try await writer.write(updates)
        } catch {
            throw CatalogError(error)
        }
    }

    /// A writer access outside any transaction (PRAGMAs).
    func write<T: Sendable>(transaction: Bool, _ updates: @escaping @Sendable (Database) throws -> T) async throws(CatalogError) -> T {
        if transaction { return try await write(updates) }
        do {
            return try await writer.writeWithoutTransaction(updates)
        } catch {
            throw CatalogError(error)
        }
    }

    func read<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws(CatalogError) -> T {
        do {
            return try await writer.read(value)
        } catch {
            throw CatalogError(error)
        }
    }
}

extension CatalogError {
    /// Maps whatever a database closure threw onto the catalog's error type.
    init(_ error: any Error) {
        switch error {
        case let error as CatalogError:
            self = error
        case let error as FilterError:
            self = .filter(error)
        case let error as CartridgeTransitionError:
            self = .illegalTransition(error)
        case let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT:
            self = .constraintViolation(error.message ?? "\(error)")
        default:
            self = .storage("\(error)")
        }
    }
}

extension CatalogDatabase {
    /// Writes a consistent copy of the catalog to a new file (`VACUUM INTO`), e.g. for a backup
    /// before an upgrade. Fails if `path` exists.
    public func writeCopy(to path: String) async throws(CatalogError) {
        do {
            try await writer.writeWithoutTransaction { db in
                try db.execute(sql: "VACUUM INTO ?", arguments: [path])
            }
        } catch {
            throw CatalogError(error)
        }
    }
}

extension CatalogDatabase {
    /// Opens (creating and migrating) the catalog of a state directory off the cooperative
    /// thread pool: opening a file and running migrations block.
    /// `migrate: false` (for commands that only use a catalog a service owns, such as
    /// `tapelib task`): never migrate, and refuse a catalog whose schema is not this build's.
    public static func open(stateDirectory: String, migrate: Bool = true) async throws(CatalogError) -> CatalogDatabase {
        let result: Result<CatalogDatabase, CatalogError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(CatalogError) {
                    let catalog = migrate ? try CatalogDatabase(stateDirectory: stateDirectory)
                        : try CatalogDatabase(path: StateDirectory.catalogPath(in: stateDirectory), migrateUpTo: nil,
                                              requireCurrent: true)
                    continuation.resume(returning: .success(catalog))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
