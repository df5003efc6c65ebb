import GRDB

/// Eleventh migration (issue 12, LTFS tape pools): where a part of a copy on an LTFS volume is,
/// as the volume's readers see it — the file's path in the volume.
enum SchemaV11 {
    static let identifier = "v11-ltfs-copies"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE repository_copy_extents ADD COLUMN ltfs_path TEXT
                CHECK (ltfs_path IS NULL OR (substr(ltfs_path, 1, 1) = '/' AND length(ltfs_path) > 1));
            """)
    }
}
