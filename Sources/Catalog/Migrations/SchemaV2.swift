import GRDB

/// Second migration: drive firmware revision (reported by INQUIRY, needed to pick quirks), an
/// index for the cartridge list filtered by status, and a slot index that also covers `kind`, so
/// counting the storage slots of a library for a page total reads the index alone.
enum SchemaV2 {
    static let identifier = "v2-drive-firmware-list-indexes"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE library_tape_drives ADD COLUMN firmware_revision TEXT NOT NULL DEFAULT '';
            CREATE INDEX tape_cartridges_status ON tape_cartridges(status);
            DROP INDEX library_slots_page;
            CREATE INDEX library_slots_kind_page ON library_slots(library_id, kind, full, element_address);
            """)
    }
}
