import Foundation
import GRDB

extension PostgresCatalog {
    /// The advisory lock that serialises migrations of one database: media servers starting
    /// together migrate one after the other, and the second finds nothing left to do.
    static let migrationLock: Int64 = 0x7461_7065_6C69_6201

    /// Identifiers of the migrations applied to this catalog, in order (empty for a new database).
    public func appliedMigrations() async throws(CatalogError) -> [String] {
        let exists = try await rows("SELECT to_regclass('tapelib_migrations') IS NOT NULL AS present")
        guard (exists.first?["present"] as Int64?) == 1 else { return [] }
        return try await rows("SELECT identifier FROM tapelib_migrations ORDER BY position")
            .compactMap { $0["identifier"] as String? }
    }

    /// Applies the migrations this catalog lacks, all in one transaction under the migration
    /// lock (PostgreSQL's DDL is transactional: a failure leaves the schema as it was). Refuses a
    /// catalog that has migrations this build does not know (a newer tapelib migrated it).
    /// Returns the identifiers it applied.
    @discardableResult
    public func migrate() async throws(CatalogError) -> [String] {
        try await transaction { session in
            // A migrator that hangs holding the lock makes the others fail after two minutes
            // (SQLSTATE 55P03, lock_not_available) instead of waiting for ever.
            try await session.execute("SET LOCAL lock_timeout = '120s'")
            try await session.execute("SELECT pg_advisory_xact_lock($1)", [Self.migrationLock.databaseValue])
            try await session.execute("""
                CREATE TABLE IF NOT EXISTS tapelib_migrations (
                    position BIGINT PRIMARY KEY,
                    identifier TEXT NOT NULL UNIQUE,
                    applied_at TEXT NOT NULL
                )
                """)
            let applied = try await session.rows("SELECT identifier FROM tapelib_migrations ORDER BY position")
                .compactMap { $0["identifier"] as String? }
            let known = PostgresSchema.migrations.map(\.identifier)
            guard applied.count <= known.count, Array(known.prefix(applied.count)) == applied else {
                throw CatalogError.storage("the catalog's schema (\(applied.last ?? "?")) is not one this tapelib knows "
                                           + "(newest \(known.last ?? "?")): a newer tapelib migrated it")
            }
            var done: [String] = []
            for (position, migration) in PostgresSchema.migrations.enumerated() where position >= applied.count {
                for statement in migration.statements { try await session.execute(statement) }
                if migration.seeds { try await Self.seed(session) }
                try await session.execute("INSERT INTO tapelib_migrations (position, identifier, applied_at) VALUES ($1, $2, $3)",
                                          [Int64(position + 1).databaseValue, migration.identifier.databaseValue,
                                           Date().databaseValue])
                done.append(migration.identifier)
            }
            return done
        }
    }

    /// The seed rows of schema v1, from the same tables as SQLite's (`SeedV1`).
    static func seed(_ session: PostgresSession) async throws {
        for row in SeedV1.tapeTypes {
            let partitions = (row.generation ?? 0) >= 5
            let inserted = try await session.rows("""
                INSERT INTO tape_types (name, generation, native_capacity, native_speed_mbps, density_code,
                    barcode_suffix, is_worm, is_cleaning, supports_partitions)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
                """, [row.name.databaseValue, row.generation.databaseValue, row.nativeCapacity.databaseValue,
                      row.nativeSpeed.databaseValue, row.densityCode.databaseValue, row.barcodeSuffix.databaseValue,
                      row.isWORM.databaseValue, row.isCleaning.databaseValue, partitions.databaseValue])
            guard let typeID: Int64 = inserted.first?["id"] else { throw CatalogError.storage("tape type \(row.name) got no id") }
            for drive in 1...10 {
                guard let (read, write) = SeedV1.compatibility(driveGeneration: drive, media: row) else { continue }
                try await session.execute("""
                    INSERT INTO tape_type_compatibility (drive_generation, tape_type_id, can_read, can_write)
                    VALUES ($1, $2, $3, $4)
                    """, [drive.databaseValue, typeID.databaseValue, read.databaseValue, write.databaseValue])
            }
        }
        for status in SeedV1.taskStatuses {
            try await session.execute("INSERT INTO task_statuses (name, description, is_final) VALUES ($1, $2, $3)",
                                      [status.name.databaseValue, status.description.databaseValue, status.isFinal.databaseValue])
        }
        for entry in SeedV1.globalConfiguration {
            try await session.execute("INSERT INTO global_configuration (key, value) VALUES ($1, $2)",
                                      [entry.key.databaseValue, entry.value.databaseValue])
        }
        for role in SeedV1.roles {
            try await session.execute("INSERT INTO roles (name) VALUES ($1)", [role.databaseValue])
        }
    }
}
