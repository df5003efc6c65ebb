import GRDB

/// Thirteenth migration (issue 13): commits announced to every media server sharing a catalog.
///
/// On PostgreSQL (`PostgresSchema.v13`) every table gets a statement-level trigger that sends
/// `pg_notify('tapelib_changes', '')` (PostgreSQL folds a transaction's identical notifications
/// into one, delivered at commit), so each node's API drops what it cached from the catalog when
/// another node commits. SQLite needs no schema for this: its commits are seen by the writer's
/// transaction observer and by `PRAGMA data_version` (`CatalogChanges`).
/// PostgreSQL's v13 also counts the statements that change library elements
/// (`tapelib_element_changes`), which its reconcile cache keys on (SQLite's keys on
/// `PRAGMA data_version`). A table added by a later migration adds its trigger in that migration.
///
/// On both stores it records which media server runs a backup-core task
/// (`task_queue.media_server_id`, set when a node's runner claims it): a node that starts after a
/// crash breaks only its own interrupted tasks, not those other media servers are running.
enum SchemaV13 {
    static let identifier = "v13-change-notifications"
    static let taskOwner = "ALTER TABLE task_queue ADD COLUMN media_server_id %@ REFERENCES media_servers(id) ON DELETE SET NULL"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: String(format: taskOwner, "INTEGER"))
    }
}
