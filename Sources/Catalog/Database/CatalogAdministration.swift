import Foundation
import GRDB

/// `tapelib catalog init|migrate` for both stores: one set of versioned migrations (the same
/// identifiers, in the same order, never modified once shipped), applied under each store's
/// migration lock (SQLite: a lock file; PostgreSQL: an advisory lock).
public enum CatalogAdministration {
    /// What a command did to a catalog's schema.
    public struct SchemaReport: Sendable, Equatable {
        /// The catalog, for messages (a file, or a URL without password).
        public let location: String
        /// Migrations this command applied, in order (empty: the schema was current).
        public let appliedNow: [String]
        /// All migrations the catalog now has.
        public let schema: [String]
    }

    /// Creates the catalog (SQLite: the state directory's file; PostgreSQL: the tables in an
    /// existing, empty database) or brings it to this build's schema. Harmless when repeated.
    public static func initialize(_ location: CatalogLocation) async throws(CatalogError) -> SchemaReport {
        try await apply(location, requireExisting: false)
    }

    /// Brings an existing catalog to this build's schema; refuses where there is no catalog yet
    /// (a typo in a URL or directory must not create one). A catalog a newer tapelib migrated is
    /// refused, and nothing is applied.
    public static func migrate(_ location: CatalogLocation) async throws(CatalogError) -> SchemaReport {
        try await apply(location, requireExisting: true)
    }

    private static func apply(_ location: CatalogLocation, requireExisting: Bool) async throws(CatalogError) -> SchemaReport {
        switch location {
        case .sqlite(let directory):
            let path = StateDirectory.catalogPath(in: directory)
            let before = try await sqliteMigrations(path: path)
            if requireExisting && before.isEmpty {
                throw .notFound(resource: "catalog", identifier: path)
            }
            let catalog = try await CatalogDatabase.open(stateDirectory: directory)
            let after = try await catalog.appliedMigrations()
            return SchemaReport(location: path, appliedNow: Array(after.dropFirst(before.count)), schema: after)
        case .postgres(let configuration):
            let catalog = try await PostgresCatalog.open(configuration)
            do throws(CatalogError) {
                let before = try await catalog.appliedMigrations()
                if requireExisting && before.isEmpty {
                    throw .notFound(resource: "catalog", identifier: configuration.displayURL)
                }
                let applied = try await catalog.migrate()
                let report = SchemaReport(location: configuration.displayURL, appliedNow: applied,
                                          schema: try await catalog.appliedMigrations())
                await catalog.close()
                return report
            } catch {
                await catalog.close()
                throw error
            }
        }
    }

    /// The migrations a SQLite catalog file has, read without migrating (none when the file
    /// does not exist yet); one this build does not know is refused.
    static func sqliteMigrations(path: String) async throws(CatalogError) -> [String] {
        let result: Result<[String], CatalogError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                guard FileManager.default.fileExists(atPath: path) else { return continuation.resume(returning: .success([])) }
                do {
                    var configuration = Configuration()
                    configuration.readonly = true
                    let queue = try DatabaseQueue(path: path, configuration: configuration)
                    let applied = try queue.read { db -> [String] in
                        guard try db.tableExists("grdb_migrations") else { return [] }
                        return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
                    }
                    try queue.close()
                    let known = CatalogMigrations.identifiers
                    if let unknown = applied.first(where: { !known.contains($0) }) {
                        throw CatalogError.storage("the catalog \(path) has migration \(unknown), which this tapelib does not know "
                                                   + "(newest \(known.last ?? "?")): a newer tapelib migrated it")
                    }
                    continuation.resume(returning: .success(known.filter(applied.contains)))
                } catch let error as CatalogError {
                    continuation.resume(returning: .failure(error))
                } catch {
                    continuation.resume(returning: .failure(.storage("cannot read catalog \(path): \(error)")))
                }
            }
        }
        return try result.get()
    }
}
