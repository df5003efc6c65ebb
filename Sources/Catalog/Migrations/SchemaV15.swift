import GRDB

/// Fifteenth migration (issue 13): which media server's host holds a record's archive
/// (`repository.archive_media_server_id`, with `path`). On a shared catalog a copy or a move of
/// the record is claimed by that media server, the only one that can read the file; before, the
/// media server holding the target pool's tapes claimed it, and failed when the file was on
/// another host. Null: not known (records added before, or from a host that is no media
/// server of the catalog), and the tapes decide as before.
enum SchemaV15 {
    static let identifier = "v15-archive-host"
    static let column = "ALTER TABLE repository ADD COLUMN archive_media_server_id %@ REFERENCES media_servers(id) ON DELETE SET NULL"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: String(format: column, "INTEGER"))
    }
}
