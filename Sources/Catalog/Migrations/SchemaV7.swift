import GRDB

/// Seventh migration (issue 11, the storage endpoints): the directories and block devices that
/// store a pool's backups (seed: storage_local_catalogs, storage_block_devices). A storage row
/// goes with its pool.
enum SchemaV7 {
    static let identifier = "v7-pool-storage"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE storage_local_catalogs (
                id INTEGER PRIMARY KEY,
                path TEXT NOT NULL UNIQUE CHECK (substr(path, 1, 1) = '/'),
                pool_id INTEGER NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
                description TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL
            );
            CREATE INDEX storage_local_catalogs_pool ON storage_local_catalogs(pool_id);
            CREATE TABLE storage_block_devices (
                id INTEGER PRIMARY KEY,
                device TEXT NOT NULL UNIQUE CHECK (substr(device, 1, 5) = '/dev/'),
                pool_id INTEGER NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
                description TEXT NOT NULL DEFAULT '',
                created_at TEXT NOT NULL
            );
            CREATE INDEX storage_block_devices_pool ON storage_block_devices(pool_id);
            """)
    }
}
