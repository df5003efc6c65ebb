import GRDB

/// Second migration: drive firmware revision (reported by INQUIRY, needed to pick quirks) and
/// an index for the cartridge list filtered by status.
enum SchemaV2 {
    static let identifier = "v2-drive-firmware-cartridge-status-index"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE library_tape_drives ADD COLUMN firmware_revision TEXT NOT NULL DEFAULT '';
            CREATE INDEX tape_cartridges_status ON tape_cartridges(status);
            """)
    }
}
