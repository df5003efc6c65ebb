import GRDB

/// Tenth migration (issue 12, backup data on tape): a tape pool's format, block size and
/// whether copies are read back before they are recorded; where a record's archive is; whether
/// a copy was verified by reading it back; where a restore writes the record; the pool a
/// copy-to-tape job copies from; an operator's kill or pause of a running copy.
enum SchemaV10 {
    static let identifier = "v10-copies-on-tape"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE pools ADD COLUMN tape_format TEXT NOT NULL DEFAULT 'native'
                CHECK (tape_format IN ('native', 'ltfs'));
            ALTER TABLE pools ADD COLUMN tape_block_size INTEGER NOT NULL DEFAULT 524288
                CHECK (tape_block_size BETWEEN 4096 AND 8388608 AND tape_block_size % 4096 = 0);
            ALTER TABLE pools ADD COLUMN verify_after_write INTEGER NOT NULL DEFAULT 1 CHECK (verify_after_write IN (0, 1));
            ALTER TABLE repository ADD COLUMN path TEXT CHECK (path IS NULL OR substr(path, 1, 1) = '/');
            ALTER TABLE repository_copies ADD COLUMN verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1));
            ALTER TABLE task_queue ADD COLUMN target_path TEXT CHECK (target_path IS NULL OR substr(target_path, 1, 1) = '/');
            ALTER TABLE scheduled_jobs ADD COLUMN source_pool_id INTEGER REFERENCES pools(id) ON DELETE SET NULL;
            ALTER TABLE task_queue ADD COLUMN control_request TEXT CHECK (control_request IS NULL OR control_request IN ('kill', 'pause'));
            """)
    }
}
