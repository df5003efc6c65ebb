import Foundation
import GRDB
import Testing
@testable import Catalog
import PostgresTestSupport

/// The PostgreSQL schema against a real server: the same migrations as SQLite's, the same
/// tables, columns, nullability, keys, named indexes and seed rows; migrations serialised
/// between media servers and refused when the catalog is newer than the build.
@Suite("PostgreSQL schema", .serialized)
struct PostgresSchemaTests {
    struct Column: Hashable, CustomStringConvertible {
        let table: String
        let name: String
        let notNull: Bool
        let primaryKey: Bool
        var description: String { "\(table).\(name)\(notNull ? " NOT NULL" : "")\(primaryKey ? " PK" : "")" }
    }

    /// SQLite's columns, from its own catalog (PRAGMA table_info).
    func sqliteColumns() async throws -> (columns: Set<Column>, indexes: Set<String>) {
        let catalog = try CatalogDatabase.inMemory()
        return try await catalog.read { db in
            var columns: Set<Column> = []
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'
                """)
            for table in tables {
                for row in try Row.fetchAll(db, sql: "SELECT name, \"notnull\", pk FROM pragma_table_info(?)", arguments: [table]) {
                    let primaryKey = (row["pk"] as Int) > 0
                    // SQLite lets an INTEGER PRIMARY KEY be declared without NOT NULL; it never holds NULL.
                    columns.insert(Column(table: table, name: row["name"], notNull: (row["notnull"] as Int) == 1 || primaryKey,
                                          primaryKey: primaryKey))
                }
            }
            let indexes = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
            return (columns, indexes)
        }
    }

    func postgresColumns(_ catalog: PostgresCatalog) async throws -> (columns: Set<Column>, indexes: Set<String>) {
        let rows = try await catalog.rows("""
            SELECT c.table_name, c.column_name, c.is_nullable,
                   EXISTS (SELECT 1 FROM information_schema.table_constraints AS t
                           JOIN information_schema.key_column_usage AS k
                             ON k.constraint_name = t.constraint_name AND k.table_name = t.table_name
                           WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_name = c.table_name
                             AND k.column_name = c.column_name) AS primary_key
            FROM information_schema.columns AS c
            WHERE c.table_schema = current_schema() AND c.table_name NOT IN ('tapelib_migrations', 'tapelib_element_changes')
            """)
        let columns = Set(rows.map { row in
            Column(table: row["table_name"], name: row["column_name"], notNull: (row["is_nullable"] as String) == "NO",
                   primaryKey: (row["primary_key"] as Int64) == 1)
        })
        // Indexes made by name (not those behind PRIMARY KEY or UNIQUE constraints).
        let indexes = Set(try await catalog.rows("""
            SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()
              AND indexname NOT IN (SELECT conname FROM pg_constraint)
            """).map { $0["indexname"] as String })
        return (columns, indexes)
    }

    @Test("a new database is migrated to the same schema as SQLite's, migration by migration")
    func sameSchema() async throws {
        let catalog = try await PostgresTestServer.makeCatalog()
        defer { Task { await catalog.close() } }
        #expect(try await catalog.appliedMigrations() == CatalogMigrations.identifiers)
        #expect(PostgresSchema.migrations.map(\.identifier) == CatalogMigrations.identifiers)
        let sqlite = try await sqliteColumns()
        let postgres = try await postgresColumns(catalog)
        #expect(sqlite.columns.count > 150)
        #expect(postgres.columns.subtracting(sqlite.columns).sorted(by: { $0.description < $1.description }).isEmpty,
                "only in PostgreSQL")
        #expect(sqlite.columns.subtracting(postgres.columns).sorted(by: { $0.description < $1.description }).isEmpty,
                "only in SQLite")
        #expect(postgres.indexes == sqlite.indexes)
    }

    @Test("the seed rows are SQLite's: tape types, compatibility, task statuses, configuration, roles")
    func sameSeed() async throws {
        let catalog = try await PostgresTestServer.makeCatalog()
        defer { Task { await catalog.close() } }
        let sqlite = try CatalogDatabase.inMemory()
        let queries = [
            "SELECT name, generation, native_capacity, native_speed_mbps, density_code, barcode_suffix, is_worm, is_cleaning, supports_partitions FROM tape_types ORDER BY id",
            "SELECT c.drive_generation, t.name, c.can_read, c.can_write FROM tape_type_compatibility c JOIN tape_types t ON t.id = c.tape_type_id ORDER BY c.drive_generation, t.name",
            "SELECT name, description, is_final FROM task_statuses ORDER BY name",
            "SELECT key, value FROM global_configuration ORDER BY key",
            "SELECT name FROM roles ORDER BY name",
        ]
        for query in queries {
            let expected = try await sqlite.read { db in try Row.fetchAll(db, sql: query).map(Self.values) }
            let actual = try await catalog.rows(query).map(Self.values)
            #expect(!expected.isEmpty)
            #expect(actual == expected, "\(query)")
        }
    }

    /// A row's values in column order, as text (the two stores name columns alike).
    static func values(_ row: Row) -> [String] {
        row.columnNames.sorted().map { "\(row[$0] as DatabaseValue)" }
    }

    @Test("media servers migrating a new database at once apply each migration once; again applies nothing")
    func concurrentMigrations() async throws {
        let configuration = try await PostgresTestServer.makeDatabase()
        let catalogs = try (0..<4).map { _ in try PostgresCatalog.unmigrated(configuration) }
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for catalog in catalogs { group.addTask { try await catalog.migrate() } }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        #expect(applied.filter { $0 == CatalogMigrations.identifiers }.count == 1)
        #expect(applied.filter(\.isEmpty).count == 3)
        #expect(try await catalogs[0].migrate() == [])
        #expect(try await catalogs[1].appliedMigrations() == CatalogMigrations.identifiers)
        for catalog in catalogs { await catalog.close() }
    }

    @Test("a catalog without this build's schema is refused when migrating is not allowed, and a newer one always")
    func refusals() async throws {
        let configuration = try await PostgresTestServer.makeDatabase()
        await #expect(throws: CatalogError.self) { try await PostgresCatalog.connect(configuration, migrate: false) }
        let catalog = try await PostgresCatalog.connect(configuration)
        let connected = try await PostgresCatalog.connect(configuration, migrate: false)
        await connected.close()
        _ = try await PostgresTestServer.psql(configuration.database,
            "INSERT INTO tapelib_migrations (position, identifier, applied_at) VALUES (1000, 'v999-from-the-future', 'now')")
        var refusal = ""
        do { try await catalog.migrate() } catch { refusal = "\(error)" }
        #expect(refusal.contains("newer tapelib"), "\(refusal)")
        await #expect(throws: CatalogError.self) { try await PostgresCatalog.connect(configuration, migrate: false) }
        await catalog.close()
    }

    @Test("a failed migration leaves the schema as it was (DDL is transactional)")
    func failedMigrationRollsBack() async throws {
        let configuration = try await PostgresTestServer.makeDatabase()
        // A table in the way of v1's first CREATE TABLE … after the migrations table exists.
        _ = try await PostgresTestServer.psql(configuration.database, "CREATE TABLE roles (x INTEGER)")
        let catalog = try PostgresCatalog.unmigrated(configuration)
        await #expect(throws: CatalogError.self) { try await catalog.migrate() }
        #expect(try await catalog.appliedMigrations() == [])
        #expect(try await PostgresTestServer.psql(configuration.database,
                                                  "SELECT count(*) FROM pg_tables WHERE tablename = 'media_servers'") == "0")
        await catalog.close()
    }
}
