import GRDB

/// Fourth migration:
/// - medium_changers gain `state` (online/offline), as library_tape_drives have had since v1:
///   the library service marks a registered changer offline when it disappears from the host and
///   online when it is back (issue 6). Existing changers start online; the service corrects that
///   from what the host shows when it attaches the library.
/// - tl_task_queue gains what a format task needs: `format_kind` (plain FORMAT MEDIUM or an LTFS
///   volume), `volume_name` for LTFS, and `force` (format a cartridge that holds data).
enum SchemaV4 {
    static let identifier = "v4-changer-state"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE medium_changers ADD COLUMN state TEXT NOT NULL DEFAULT 'online'
                CHECK (state = 'online' OR state = 'offline');
            ALTER TABLE tl_task_queue ADD COLUMN format_kind TEXT
                CHECK (format_kind IS NULL OR format_kind = 'plain' OR format_kind = 'ltfs');
            ALTER TABLE tl_task_queue ADD COLUMN volume_name TEXT;
            ALTER TABLE tl_task_queue ADD COLUMN force INTEGER NOT NULL DEFAULT 0 CHECK (force = 0 OR force = 1);
            """)
    }
}
