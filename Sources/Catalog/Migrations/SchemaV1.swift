import GRDB

/// The first shipped schema. A shipped migration never changes: later changes go into a new
/// migration (see `SchemaV2`). Written as SQL so that what the file creates is what you read.
enum SchemaV1 {
    static let identifier = "v1-schema"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: infrastructure)
        try db.execute(sql: hardware)
        try db.execute(sql: tasks)
        try db.execute(sql: backupCore)
        try db.execute(sql: accessControl)
        try SeedV1.seed(db)
    }

    static let infrastructure = """
        CREATE TABLE media_servers (
            id INTEGER PRIMARY KEY,
            hostname TEXT NOT NULL UNIQUE CHECK (length(hostname) > 0),
            hwid TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            local_service_mode TEXT NOT NULL DEFAULT 'no' CHECK (local_service_mode IN ('yes', 'no')),
            last_online TEXT
        );
        CREATE TABLE pools (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
            type TEXT NOT NULL CHECK (type IN ('Tape library', 'File system', 'Block device')),
            media_server_id INTEGER REFERENCES media_servers(id) ON DELETE RESTRICT,
            retention_period TEXT NOT NULL DEFAULT '1 year',
            compression_type TEXT NOT NULL DEFAULT 'None',
            description TEXT NOT NULL DEFAULT '',
            health_state TEXT NOT NULL DEFAULT 'healthy'
                CHECK (health_state IN ('healthy', 'degraded', 'faulty', 'unknown')),
            created_at TEXT NOT NULL,
            modified_at TEXT NOT NULL
        );
        CREATE INDEX pools_media_server ON pools(media_server_id);
        CREATE TABLE global_configuration (
            key TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        """

    static let hardware = """
        CREATE TABLE tape_types (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            generation INTEGER CHECK (generation BETWEEN 1 AND 10),
            native_capacity INTEGER NOT NULL CHECK (native_capacity >= 0),
            native_speed_mbps INTEGER,
            density_code INTEGER CHECK (density_code BETWEEN 0 AND 255),
            barcode_suffix TEXT NOT NULL UNIQUE,
            is_worm INTEGER NOT NULL DEFAULT 0 CHECK (is_worm IN (0, 1)),
            is_cleaning INTEGER NOT NULL DEFAULT 0 CHECK (is_cleaning IN (0, 1)),
            supports_partitions INTEGER NOT NULL DEFAULT 0 CHECK (supports_partitions IN (0, 1))
        );
        -- Which drive generation reads and writes which cartridge type (scsi-reference.md).
        CREATE TABLE tape_type_compatibility (
            drive_generation INTEGER NOT NULL CHECK (drive_generation BETWEEN 1 AND 10),
            tape_type_id INTEGER NOT NULL REFERENCES tape_types(id) ON DELETE CASCADE,
            can_read INTEGER NOT NULL CHECK (can_read IN (0, 1)),
            can_write INTEGER NOT NULL CHECK (can_write IN (0, 1)),
            CHECK (can_read OR NOT can_write),
            PRIMARY KEY (drive_generation, tape_type_id)
        ) WITHOUT ROWID;
        CREATE TABLE medium_changers (
            id INTEGER PRIMARY KEY,
            media_server_id INTEGER NOT NULL REFERENCES media_servers(id) ON DELETE CASCADE,
            scsi_path TEXT NOT NULL,
            device TEXT NOT NULL,
            vendor TEXT NOT NULL DEFAULT '',
            product TEXT NOT NULL DEFAULT '',
            revision TEXT NOT NULL DEFAULT '',
            serial TEXT NOT NULL DEFAULT '',
            storage_element_count INTEGER NOT NULL DEFAULT 0,
            import_export_element_count INTEGER NOT NULL DEFAULT 0,
            data_transfer_element_count INTEGER NOT NULL DEFAULT 0,
            transport_element_count INTEGER NOT NULL DEFAULT 0,
            UNIQUE (media_server_id, scsi_path)
        );
        CREATE TABLE tape_libraries (
            id INTEGER PRIMARY KEY,
            media_server_id INTEGER NOT NULL REFERENCES media_servers(id) ON DELETE RESTRICT,
            pool_id INTEGER REFERENCES pools(id) ON DELETE SET NULL,
            medium_changer_id INTEGER UNIQUE REFERENCES medium_changers(id) ON DELETE SET NULL,
            description TEXT NOT NULL DEFAULT '',
            last_sync TEXT,
            sync_state TEXT NOT NULL DEFAULT 'never'
                CHECK (sync_state IN ('never', 'syncing', 'synced', 'failed'))
        );
        CREATE TABLE library_slots (
            id INTEGER PRIMARY KEY,
            library_id INTEGER NOT NULL REFERENCES tape_libraries(id) ON DELETE CASCADE,
            element_address INTEGER NOT NULL CHECK (element_address BETWEEN 0 AND 65535),
            kind TEXT NOT NULL CHECK (kind IN ('storage', 'import_export', 'drive', 'transport')),
            full INTEGER NOT NULL DEFAULT 0 CHECK (full IN (0, 1)),
            volume_tag TEXT,
            source_element INTEGER CHECK (source_element BETWEEN 0 AND 65535),
            accessible INTEGER NOT NULL DEFAULT 1 CHECK (accessible IN (0, 1)),
            exception INTEGER NOT NULL DEFAULT 0 CHECK (exception IN (0, 1)),
            asc INTEGER CHECK (asc BETWEEN 0 AND 255),
            ascq INTEGER CHECK (ascq BETWEEN 0 AND 255),
            UNIQUE (library_id, element_address)
        );
        CREATE INDEX library_slots_page ON library_slots(library_id, full, element_address);
        -- A cartridge is in at most one place: one slot_id column. A slot holds at most one
        -- cartridge: slot_id is UNIQUE. Drives and mail slots are library_slots too.
        CREATE TABLE tape_cartridges (
            id INTEGER PRIMARY KEY,
            volume_tag TEXT NOT NULL UNIQUE CHECK (length(volume_tag) BETWEEN 1 AND 32),
            tape_type_id INTEGER REFERENCES tape_types(id) ON DELETE RESTRICT,
            pool_id INTEGER REFERENCES pools(id) ON DELETE SET NULL,
            status TEXT NOT NULL DEFAULT 'scratch' CHECK (status IN
                ('scratch', 'append', 'full', 'read_only', 'error', 'cleaning', 'retired', 'exported')),
            location TEXT NOT NULL DEFAULT 'offline'
                CHECK (location IN ('slot', 'drive', 'import_export', 'offline', 'vault')),
            slot_id INTEGER UNIQUE REFERENCES library_slots(id) ON DELETE RESTRICT,
            description TEXT NOT NULL DEFAULT '',
            bytes_written INTEGER NOT NULL DEFAULT 0 CHECK (bytes_written >= 0),
            native_capacity INTEGER NOT NULL DEFAULT 0 CHECK (native_capacity >= 0),
            mounts INTEGER NOT NULL DEFAULT 0 CHECK (mounts >= 0),
            cleaning_uses_left INTEGER CHECK (cleaning_uses_left >= 0),
            ltfs_state TEXT NOT NULL DEFAULT 'unknown' CHECK (ltfs_state IN
                ('unknown', 'not_formatted', 'consistent', 'inconsistent', 'unreadable')),
            ltfs_checked_at TEXT,
            ltfs_check_verdict TEXT,
            last_error TEXT,
            write_protected INTEGER NOT NULL DEFAULT 0 CHECK (write_protected IN (0, 1)),
            is_worm INTEGER NOT NULL DEFAULT 0 CHECK (is_worm IN (0, 1)),
            created_at TEXT NOT NULL,
            CHECK ((location IN ('slot', 'drive', 'import_export')) = (slot_id IS NOT NULL)),
            CHECK (NOT (is_worm AND status = 'cleaning'))
        );
        CREATE INDEX tape_cartridges_pool ON tape_cartridges(pool_id);
        -- The location must name the kind of element the cartridge sits in.
        CREATE TRIGGER tape_cartridges_location_insert BEFORE INSERT ON tape_cartridges
        WHEN NEW.slot_id IS NOT NULL AND NEW.location IS NOT (
            SELECT CASE kind WHEN 'drive' THEN 'drive' WHEN 'import_export' THEN 'import_export'
                   ELSE 'slot' END FROM library_slots WHERE id = NEW.slot_id)
        BEGIN SELECT RAISE(ABORT, 'cartridge location does not match its element kind'); END;
        CREATE TRIGGER tape_cartridges_location_update BEFORE UPDATE OF slot_id, location ON tape_cartridges
        WHEN NEW.slot_id IS NOT NULL AND NEW.location IS NOT (
            SELECT CASE kind WHEN 'drive' THEN 'drive' WHEN 'import_export' THEN 'import_export'
                   ELSE 'slot' END FROM library_slots WHERE id = NEW.slot_id)
        BEGIN SELECT RAISE(ABORT, 'cartridge location does not match its element kind'); END;
        CREATE TABLE library_tape_drives (
            id INTEGER PRIMARY KEY,
            library_id INTEGER REFERENCES tape_libraries(id) ON DELETE SET NULL,
            media_server_id INTEGER NOT NULL REFERENCES media_servers(id) ON DELETE CASCADE,
            device TEXT NOT NULL,
            scsi_path TEXT NOT NULL,
            sys_transfer_element INTEGER CHECK (sys_transfer_element BETWEEN 0 AND 65535),
            serial TEXT NOT NULL DEFAULT '',
            vendor TEXT NOT NULL DEFAULT '',
            product TEXT NOT NULL DEFAULT '',
            generation INTEGER CHECK (generation BETWEEN 1 AND 10),
            state TEXT NOT NULL DEFAULT 'online'
                CHECK (state IN ('online', 'offline', 'busy', 'needs_cleaning', 'disabled')),
            loaded_cartridge_id INTEGER UNIQUE REFERENCES tape_cartridges(id) ON DELETE SET NULL,
            mounts_since_cleaning INTEGER NOT NULL DEFAULT 0 CHECK (mounts_since_cleaning >= 0),
            bytes_since_cleaning INTEGER NOT NULL DEFAULT 0 CHECK (bytes_since_cleaning >= 0),
            last_cleaning TEXT,
            -- TapeAlert flags 1...64 ever seen, flag n in bit n-1 (SSC-4 TapeAlert log page 2Eh).
            tape_alert_flags_seen INTEGER NOT NULL DEFAULT 0,
            UNIQUE (library_id, sys_transfer_element),
            UNIQUE (media_server_id, scsi_path)
        );
        """

    static let tasks = """
        CREATE TABLE task_statuses (
            name TEXT PRIMARY KEY NOT NULL,
            description TEXT NOT NULL,
            is_final INTEGER NOT NULL CHECK (is_final IN (0, 1))
        ) WITHOUT ROWID;
        CREATE TABLE task_queue (
            id INTEGER PRIMARY KEY,
            type TEXT NOT NULL CHECK (type IN ('backup', 'restore', 'copy', 'move', 'verify')),
            status TEXT NOT NULL DEFAULT 'new' REFERENCES task_statuses(name),
            priority INTEGER NOT NULL DEFAULT 100,
            progress_percent REAL NOT NULL DEFAULT 0 CHECK (progress_percent BETWEEN 0 AND 100),
            phase TEXT NOT NULL DEFAULT '',
            parent_task_id INTEGER REFERENCES task_queue(id) ON DELETE SET NULL,
            client TEXT,
            resource TEXT,
            resource_type TEXT,
            backup_type TEXT CHECK (backup_type IN ('full', 'incremental', 'differential')),
            pool_id INTEGER REFERENCES pools(id) ON DELETE SET NULL,
            target_pool_id INTEGER REFERENCES pools(id) ON DELETE SET NULL,
            repository_id INTEGER REFERENCES repository(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            error_message TEXT,
            sense_key INTEGER CHECK (sense_key BETWEEN 0 AND 15),
            asc INTEGER CHECK (asc BETWEEN 0 AND 255),
            ascq INTEGER CHECK (ascq BETWEEN 0 AND 255),
            sense_description TEXT
        );
        CREATE INDEX task_queue_status ON task_queue(status, priority, created_at);
        CREATE TABLE tl_task_queue (
            id INTEGER PRIMARY KEY,
            type TEXT NOT NULL CHECK (type IN ('sync', 'load', 'unload', 'move', 'import', 'export',
                'erase', 'format', 'check_ltfs', 'clean')),
            status TEXT NOT NULL DEFAULT 'new' REFERENCES task_statuses(name),
            priority INTEGER NOT NULL DEFAULT 100,
            progress_percent REAL NOT NULL DEFAULT 0 CHECK (progress_percent BETWEEN 0 AND 100),
            phase TEXT NOT NULL DEFAULT '',
            parent_task_id INTEGER REFERENCES tl_task_queue(id) ON DELETE SET NULL,
            backup_task_id INTEGER REFERENCES task_queue(id) ON DELETE SET NULL,
            library_id INTEGER REFERENCES tape_libraries(id) ON DELETE CASCADE,
            drive_id INTEGER REFERENCES library_tape_drives(id) ON DELETE SET NULL,
            cartridge_id INTEGER REFERENCES tape_cartridges(id) ON DELETE SET NULL,
            source_element INTEGER CHECK (source_element BETWEEN 0 AND 65535),
            target_element INTEGER CHECK (target_element BETWEEN 0 AND 65535),
            pool_id INTEGER REFERENCES pools(id) ON DELETE SET NULL,
            long_erase INTEGER NOT NULL DEFAULT 0 CHECK (long_erase IN (0, 1)),
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            error_message TEXT,
            sense_key INTEGER CHECK (sense_key BETWEEN 0 AND 15),
            asc INTEGER CHECK (asc BETWEEN 0 AND 255),
            ascq INTEGER CHECK (ascq BETWEEN 0 AND 255),
            sense_description TEXT
        );
        CREATE INDEX tl_task_queue_status ON tl_task_queue(status, priority, created_at);
        CREATE INDEX tl_task_queue_started ON tl_task_queue(started_at);
        CREATE TABLE task_log (
            id INTEGER PRIMARY KEY,
            task_id INTEGER REFERENCES task_queue(id) ON DELETE CASCADE,
            tl_task_id INTEGER REFERENCES tl_task_queue(id) ON DELETE CASCADE,
            logged_at TEXT NOT NULL,
            level TEXT NOT NULL DEFAULT 'info' CHECK (level IN ('debug', 'info', 'warning', 'error')),
            message TEXT NOT NULL,
            CHECK ((task_id IS NULL) <> (tl_task_id IS NULL))
        );
        CREATE INDEX task_log_task ON task_log(task_id);
        CREATE INDEX task_log_tl_task ON task_log(tl_task_id);
        CREATE TABLE scheduled_jobs (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ('library_sync', 'drive_cleaning', 'copy_to_tape')),
            library_id INTEGER REFERENCES tape_libraries(id) ON DELETE CASCADE,
            pool_id INTEGER REFERENCES pools(id) ON DELETE CASCADE,
            is_periodic INTEGER NOT NULL DEFAULT 1 CHECK (is_periodic IN (0, 1)),
            interval_hours INTEGER NOT NULL DEFAULT 24 CHECK (interval_hours > 0),
            crontab TEXT,
            is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
            priority INTEGER NOT NULL DEFAULT 100,
            max_retries INTEGER NOT NULL DEFAULT 0 CHECK (max_retries >= 0),
            retry_wait_seconds INTEGER NOT NULL DEFAULT 300 CHECK (retry_wait_seconds >= 0),
            comment TEXT NOT NULL DEFAULT '',
            author TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_run_at TEXT,
            next_run_at TEXT
        );
        CREATE TABLE job_executions (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES scheduled_jobs(id) ON DELETE CASCADE,
            status TEXT NOT NULL CHECK (status IN ('RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED')),
            started_at TEXT NOT NULL,
            finished_at TEXT,
            tl_task_id INTEGER REFERENCES tl_task_queue(id) ON DELETE SET NULL,
            task_id INTEGER REFERENCES task_queue(id) ON DELETE SET NULL,
            message TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX job_executions_started ON job_executions(started_at);
        """

    static let backupCore = """
        CREATE TABLE repository (
            id INTEGER PRIMARY KEY,
            client TEXT NOT NULL,
            resource TEXT NOT NULL,
            resource_type TEXT NOT NULL,
            backup_type TEXT NOT NULL CHECK (backup_type IN ('full', 'incremental', 'differential')),
            pool_id INTEGER NOT NULL REFERENCES pools(id) ON DELETE RESTRICT,
            size_bytes INTEGER NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
            sha256 TEXT CHECK (sha256 IS NULL OR (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*')),
            created_at TEXT NOT NULL,
            store_until TEXT
        );
        CREATE INDEX repository_pool ON repository(pool_id);
        CREATE TABLE repository_copies (
            id INTEGER PRIMARY KEY,
            repository_id INTEGER NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
            pool_id INTEGER NOT NULL REFERENCES pools(id) ON DELETE RESTRICT,
            state TEXT NOT NULL DEFAULT 'in_progress' CHECK (state IN ('in_progress', 'complete', 'failed')),
            created_at TEXT NOT NULL,
            UNIQUE (repository_id, pool_id)
        );
        -- Which tape file and block range of which cartridge holds which part of a copy.
        CREATE TABLE repository_copy_extents (
            id INTEGER PRIMARY KEY,
            copy_id INTEGER NOT NULL REFERENCES repository_copies(id) ON DELETE CASCADE,
            part_index INTEGER NOT NULL CHECK (part_index >= 0),
            cartridge_id INTEGER NOT NULL REFERENCES tape_cartridges(id) ON DELETE RESTRICT,
            tape_file_number INTEGER NOT NULL CHECK (tape_file_number >= 0),
            first_block INTEGER NOT NULL CHECK (first_block >= 0),
            last_block INTEGER NOT NULL,
            byte_offset INTEGER NOT NULL CHECK (byte_offset >= 0),
            byte_count INTEGER NOT NULL CHECK (byte_count >= 0),
            CHECK (last_block >= first_block),
            UNIQUE (copy_id, part_index)
        );
        CREATE INDEX repository_copy_extents_cartridge ON repository_copy_extents(cartridge_id);
        """

    static let accessControl = """
        CREATE TABLE roles (name TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE CHECK (length(name) > 0),
            password_hash TEXT NOT NULL,
            media_server_id INTEGER REFERENCES media_servers(id) ON DELETE SET NULL,
            failed_login_count INTEGER NOT NULL DEFAULT 0 CHECK (failed_login_count >= 0),
            last_failed_login TEXT,
            last_success_login TEXT,
            locked_until TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE user_roles (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role TEXT NOT NULL REFERENCES roles(name) ON DELETE RESTRICT,
            PRIMARY KEY (user_id, role)
        ) WITHOUT ROWID;
        CREATE TABLE revoked_tokens (
            token_id TEXT PRIMARY KEY NOT NULL,
            expires_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """
}
