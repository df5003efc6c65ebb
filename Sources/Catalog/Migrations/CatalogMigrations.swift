import GRDB

/// The catalog's migrations in shipping order. Append only; never edit a registered one.
enum CatalogMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(SchemaV1.identifier, migrate: SchemaV1.migrate)
        migrator.registerMigration(SchemaV2.identifier, migrate: SchemaV2.migrate)
        migrator.registerMigration(SchemaV3.identifier, migrate: SchemaV3.migrate)
        migrator.registerMigration(SchemaV4.identifier, migrate: SchemaV4.migrate)
        migrator.registerMigration(SchemaV5.identifier, migrate: SchemaV5.migrate)
        migrator.registerMigration(SchemaV6.identifier, migrate: SchemaV6.migrate)
        migrator.registerMigration(SchemaV7.identifier, migrate: SchemaV7.migrate)
        migrator.registerMigration(SchemaV8.identifier, migrate: SchemaV8.migrate)
        migrator.registerMigration(SchemaV9.identifier, migrate: SchemaV9.migrate)
        migrator.registerMigration(SchemaV10.identifier, migrate: SchemaV10.migrate)
        migrator.registerMigration(SchemaV11.identifier, migrate: SchemaV11.migrate)
        migrator.registerMigration(SchemaV12.identifier, migrate: SchemaV12.migrate)
        migrator.registerMigration(SchemaV13.identifier, migrate: SchemaV13.migrate)
        migrator.registerMigration(SchemaV14.identifier, migrate: SchemaV14.migrate)
        migrator.registerMigration(SchemaV15.identifier, migrate: SchemaV15.migrate)
        return migrator
    }

    static var identifiers: [String] { [SchemaV1.identifier, SchemaV2.identifier, SchemaV3.identifier, SchemaV4.identifier,
                                         SchemaV5.identifier, SchemaV6.identifier, SchemaV7.identifier,
                                         SchemaV8.identifier, SchemaV9.identifier, SchemaV10.identifier,
                                         SchemaV11.identifier, SchemaV12.identifier, SchemaV13.identifier,
                                         SchemaV14.identifier, SchemaV15.identifier] }
}
