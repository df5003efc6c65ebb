import GRDB

/// Fourth migration: medium_changers gain `state` (online/offline), as library_tape_drives have
/// had since v1: the library service marks a registered changer offline when it disappears from
/// the host and online when it is back (issue 6). Existing changers start online; the service
/// corrects that from what the host shows when it attaches the library.
enum SchemaV4 {
    static let identifier = "v4-changer-state"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE medium_changers ADD COLUMN state TEXT NOT NULL DEFAULT 'online'
                CHECK (state = 'online' OR state = 'offline')
            """)
    }
}
