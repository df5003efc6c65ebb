import GRDB

/// Second migration: drive firmware revision (reported by INQUIRY, needed to pick quirks); a slot
/// index that also covers `kind`, so counting a library's storage slots for a page total reads
/// the index alone; and the location/element-kind triggers of v1 go: they ran a sub-program on
/// every cartridge insert and move and doubled the cost of a large sync. The catalog derives
/// the location from the element kind in its two writers (reconcile, placeCartridge); the
/// CHECK that a cartridge in a library has exactly one slot stays. library_slot_counts keeps
/// the number of slots per library, kind and fullness, so a slot page's total needs no scan of
/// a 50,000-slot library; the catalog's slot writers (reconcile, insert) keep it current.
enum SchemaV2 {
    static let identifier = "v2-drive-firmware-list-indexes"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE library_tape_drives ADD COLUMN firmware_revision TEXT NOT NULL DEFAULT '';
            DROP TRIGGER tape_cartridges_location_insert;
            DROP TRIGGER tape_cartridges_location_update;
            CREATE TABLE library_slot_counts (
                library_id INTEGER NOT NULL REFERENCES tape_libraries(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                full INTEGER NOT NULL,
                slot_count INTEGER NOT NULL CHECK (slot_count >= 0),
                PRIMARY KEY (library_id, kind, full)
            ) WITHOUT ROWID;
            INSERT INTO library_slot_counts (library_id, kind, full, slot_count)
                SELECT library_id, kind, full, COUNT(*) FROM library_slots GROUP BY library_id, kind, full;
            DROP INDEX library_slots_page;
            CREATE INDEX library_slots_kind_page ON library_slots(library_id, kind, full, element_address);
            """)
    }
}
