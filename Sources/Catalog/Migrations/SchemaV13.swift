import GRDB

/// Thirteenth migration (issue 13): commits announced to every media server sharing a catalog.
///
/// On PostgreSQL (`PostgresSchema.v13`) every table gets a statement-level trigger that sends
/// `pg_notify('tapelib_changes', '')` (PostgreSQL folds a transaction's identical notifications
/// into one, delivered at commit), so each node's API drops what it cached from the catalog when
/// another node commits. SQLite needs no schema for this: its commits are seen by the writer's
/// transaction observer and by `PRAGMA data_version` (`CatalogChanges`), so its migration is
/// empty — recorded all the same, so that both stores carry the same list of migrations.
/// PostgreSQL's v13 also counts the statements that change library elements
/// (`tapelib_element_changes`), which its reconcile cache keys on (SQLite's keys on
/// `PRAGMA data_version`). A table added by a later migration adds its trigger in that migration.
enum SchemaV13 {
    static let identifier = "v13-change-notifications"

    static func migrate(_ db: Database) throws {}
}
