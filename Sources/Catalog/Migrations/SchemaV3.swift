import GRDB

/// Third migration: library_slots and tape_cartridges are rebuilt (SQLite cannot alter a CHECK)
/// with the same columns, rows, ids and invariants, for the cost of a 50,000-slot sync:
///
/// - `x IN ('a', 'b', 'c', …)` CHECKs become `x = 'a' OR x = 'b' OR …`. SQLite evaluates a CHECK
///   per row with no one-time setup, so an IN list of three or more values built an ephemeral
///   b-tree for every inserted or updated row (four per cartridge): two thirds of a bulk insert.
///   The OR chains accept exactly the same values.
/// - library_slots gains element_digest (see `ElementDigest`), also at the end of the page
///   index: reconcile reads a library's addresses, kinds and digests from that index alone and
///   reads rows only for elements whose digest changed. Existing rows get 0: their first sync
///   after the upgrade compares them in full.
/// - The pool index of cartridges becomes partial (`pool_id IS NOT NULL`): reconcile creates
///   cartridges without a pool, and an index of NULLs answers no query.
/// - library_slot_counts is replaced by library_slot_block_counts: the same counts per library,
///   kind and fullness, split by block of 256 element addresses, so a slot page sorted by address
///   finds its first row by summing at most 256 counts instead of stepping over OFFSET index
///   entries (see `SlotPageSeek`). A total is the sum of its blocks.
enum SchemaV3 {
    static let identifier = "v3-cheap-checks-slot-blocks"

    /// Addresses per block of library_slot_block_counts (16-bit addresses: at most 256 blocks).
    static let addressesPerBlock = 256

    static func migrate(_ db: Database) throws {
        // The documented rebuild (sqlite.org/lang_altertable.html#otheralter): GRDB runs
        // migrations with foreign keys off and checks them (PRAGMA foreign_key_check) before commit.
        try db.execute(sql: """
            CREATE TABLE library_slots_v3 (
                id INTEGER PRIMARY KEY,
                library_id INTEGER NOT NULL REFERENCES tape_libraries(id) ON DELETE CASCADE,
                element_address INTEGER NOT NULL CHECK (element_address BETWEEN 0 AND 65535),
                kind TEXT NOT NULL CHECK (kind = 'storage' OR kind = 'import_export' OR kind = 'drive'
                    OR kind = 'transport'),
                full INTEGER NOT NULL DEFAULT 0 CHECK (full = 0 OR full = 1),
                volume_tag TEXT,
                source_element INTEGER CHECK (source_element BETWEEN 0 AND 65535),
                accessible INTEGER NOT NULL DEFAULT 1 CHECK (accessible = 0 OR accessible = 1),
                exception INTEGER NOT NULL DEFAULT 0 CHECK (exception = 0 OR exception = 1),
                asc INTEGER CHECK (asc BETWEEN 0 AND 255),
                ascq INTEGER CHECK (ascq BETWEEN 0 AND 255),
                element_digest INTEGER NOT NULL DEFAULT 0,
                UNIQUE (library_id, element_address)
            );
            INSERT INTO library_slots_v3 (id, library_id, element_address, kind, full, volume_tag, source_element,
                    accessible, exception, asc, ascq)
                SELECT id, library_id, element_address, kind, full, volume_tag, source_element,
                    accessible, exception, asc, ascq FROM library_slots ORDER BY id;
            DROP TABLE library_slots;
            ALTER TABLE library_slots_v3 RENAME TO library_slots;
            CREATE INDEX library_slots_kind_page
                ON library_slots(library_id, kind, full, element_address, element_digest);

            -- A cartridge is in at most one place: one slot_id column. A slot holds at most one
            -- cartridge: slot_id is UNIQUE. The location names the element kind (checked by the
            -- catalog's two writers since v2) and is in a library exactly when slot_id is set.
            CREATE TABLE tape_cartridges_v3 (
                id INTEGER PRIMARY KEY,
                volume_tag TEXT NOT NULL UNIQUE CHECK (length(volume_tag) BETWEEN 1 AND 32),
                tape_type_id INTEGER REFERENCES tape_types(id) ON DELETE RESTRICT,
                pool_id INTEGER REFERENCES pools(id) ON DELETE SET NULL,
                status TEXT NOT NULL DEFAULT 'scratch' CHECK (status = 'scratch' OR status = 'append'
                    OR status = 'full' OR status = 'read_only' OR status = 'error' OR status = 'cleaning'
                    OR status = 'retired' OR status = 'exported'),
                location TEXT NOT NULL DEFAULT 'offline' CHECK (location = 'slot' OR location = 'drive'
                    OR location = 'import_export' OR location = 'offline' OR location = 'vault'),
                slot_id INTEGER UNIQUE REFERENCES library_slots(id) ON DELETE RESTRICT,
                description TEXT NOT NULL DEFAULT '',
                bytes_written INTEGER NOT NULL DEFAULT 0 CHECK (bytes_written >= 0),
                native_capacity INTEGER NOT NULL DEFAULT 0 CHECK (native_capacity >= 0),
                mounts INTEGER NOT NULL DEFAULT 0 CHECK (mounts >= 0),
                cleaning_uses_left INTEGER CHECK (cleaning_uses_left >= 0),
                ltfs_state TEXT NOT NULL DEFAULT 'unknown' CHECK (ltfs_state = 'unknown'
                    OR ltfs_state = 'not_formatted' OR ltfs_state = 'consistent' OR ltfs_state = 'inconsistent'
                    OR ltfs_state = 'unreadable'),
                ltfs_checked_at TEXT,
                ltfs_check_verdict TEXT,
                last_error TEXT,
                write_protected INTEGER NOT NULL DEFAULT 0 CHECK (write_protected = 0 OR write_protected = 1),
                is_worm INTEGER NOT NULL DEFAULT 0 CHECK (is_worm = 0 OR is_worm = 1),
                created_at TEXT NOT NULL,
                CHECK ((location = 'slot' OR location = 'drive' OR location = 'import_export') = (slot_id IS NOT NULL)),
                CHECK (NOT (is_worm AND status = 'cleaning'))
            );
            INSERT INTO tape_cartridges_v3 (id, volume_tag, tape_type_id, pool_id, status, location, slot_id,
                    description, bytes_written, native_capacity, mounts, cleaning_uses_left, ltfs_state,
                    ltfs_checked_at, ltfs_check_verdict, last_error, write_protected, is_worm, created_at)
                SELECT id, volume_tag, tape_type_id, pool_id, status, location, slot_id,
                    description, bytes_written, native_capacity, mounts, cleaning_uses_left, ltfs_state,
                    ltfs_checked_at, ltfs_check_verdict, last_error, write_protected, is_worm, created_at
                FROM tape_cartridges ORDER BY id;
            DROP TABLE tape_cartridges;
            ALTER TABLE tape_cartridges_v3 RENAME TO tape_cartridges;
            CREATE INDEX tape_cartridges_pool ON tape_cartridges(pool_id) WHERE pool_id IS NOT NULL;

            CREATE TABLE library_slot_block_counts (
                library_id INTEGER NOT NULL REFERENCES tape_libraries(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                full INTEGER NOT NULL,
                block INTEGER NOT NULL CHECK (block BETWEEN 0 AND 255),
                slot_count INTEGER NOT NULL CHECK (slot_count >= 0),
                PRIMARY KEY (library_id, kind, full, block)
            ) WITHOUT ROWID;
            INSERT INTO library_slot_block_counts (library_id, kind, full, block, slot_count)
                SELECT library_id, kind, full, element_address / \(addressesPerBlock), COUNT(*) FROM library_slots
                GROUP BY library_id, kind, full, element_address / \(addressesPerBlock);
            DROP TABLE library_slot_counts;
            """)
    }
}
