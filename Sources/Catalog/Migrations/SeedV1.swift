import GRDB

/// Reference rows shipped with the v1 schema. Part of a shipped migration: never edited;
/// corrections go into a later migration.
enum SeedV1 {
    struct TapeTypeRow {
        let name: String
        let generation: Int?
        let nativeCapacity: Int64
        let nativeSpeed: Int?
        let densityCode: Int?
        let barcodeSuffix: String
        let isWORM: Bool
        let isCleaning: Bool
    }

    private static let tb: Int64 = 1_000_000_000_000
    private static let gb: Int64 = 1_000_000_000

    /// scsi-reference.md, "LTO generations". WORM media share their generation's density code.
    static let tapeTypes: [TapeTypeRow] = [
        .init(name: "LTO-1", generation: 1, nativeCapacity: 100 * gb, nativeSpeed: 20, densityCode: 0x40, barcodeSuffix: "L1", isWORM: false, isCleaning: false),
        .init(name: "LTO-2", generation: 2, nativeCapacity: 200 * gb, nativeSpeed: 40, densityCode: 0x42, barcodeSuffix: "L2", isWORM: false, isCleaning: false),
        .init(name: "LTO-3", generation: 3, nativeCapacity: 400 * gb, nativeSpeed: 80, densityCode: 0x44, barcodeSuffix: "L3", isWORM: false, isCleaning: false),
        .init(name: "LTO-3 WORM", generation: 3, nativeCapacity: 400 * gb, nativeSpeed: 80, densityCode: 0x44, barcodeSuffix: "LT", isWORM: true, isCleaning: false),
        .init(name: "LTO-4", generation: 4, nativeCapacity: 800 * gb, nativeSpeed: 120, densityCode: 0x46, barcodeSuffix: "L4", isWORM: false, isCleaning: false),
        .init(name: "LTO-4 WORM", generation: 4, nativeCapacity: 800 * gb, nativeSpeed: 120, densityCode: 0x46, barcodeSuffix: "LU", isWORM: true, isCleaning: false),
        .init(name: "LTO-5", generation: 5, nativeCapacity: 1_500 * gb, nativeSpeed: 140, densityCode: 0x58, barcodeSuffix: "L5", isWORM: false, isCleaning: false),
        .init(name: "LTO-5 WORM", generation: 5, nativeCapacity: 1_500 * gb, nativeSpeed: 140, densityCode: 0x58, barcodeSuffix: "LV", isWORM: true, isCleaning: false),
        .init(name: "LTO-6", generation: 6, nativeCapacity: 2_500 * gb, nativeSpeed: 160, densityCode: 0x5A, barcodeSuffix: "L6", isWORM: false, isCleaning: false),
        .init(name: "LTO-6 WORM", generation: 6, nativeCapacity: 2_500 * gb, nativeSpeed: 160, densityCode: 0x5A, barcodeSuffix: "LW", isWORM: true, isCleaning: false),
        .init(name: "LTO-7", generation: 7, nativeCapacity: 6 * tb, nativeSpeed: 300, densityCode: 0x5C, barcodeSuffix: "L7", isWORM: false, isCleaning: false),
        .init(name: "LTO-7 WORM", generation: 7, nativeCapacity: 6 * tb, nativeSpeed: 300, densityCode: 0x5C, barcodeSuffix: "LX", isWORM: true, isCleaning: false),
        .init(name: "LTO-7 M8", generation: 7, nativeCapacity: 9 * tb, nativeSpeed: 300, densityCode: 0x5D, barcodeSuffix: "M8", isWORM: false, isCleaning: false),
        .init(name: "LTO-8", generation: 8, nativeCapacity: 12 * tb, nativeSpeed: 360, densityCode: 0x5E, barcodeSuffix: "L8", isWORM: false, isCleaning: false),
        .init(name: "LTO-8 WORM", generation: 8, nativeCapacity: 12 * tb, nativeSpeed: 360, densityCode: 0x5E, barcodeSuffix: "LY", isWORM: true, isCleaning: false),
        .init(name: "LTO-9", generation: 9, nativeCapacity: 18 * tb, nativeSpeed: 400, densityCode: 0x60, barcodeSuffix: "L9", isWORM: false, isCleaning: false),
        .init(name: "LTO-9 WORM", generation: 9, nativeCapacity: 18 * tb, nativeSpeed: 400, densityCode: 0x60, barcodeSuffix: "LZ", isWORM: true, isCleaning: false),
        .init(name: "LTO-10", generation: 10, nativeCapacity: 30 * tb, nativeSpeed: 400, densityCode: 0x62, barcodeSuffix: "LA", isWORM: false, isCleaning: false),
        .init(name: "LTO-10 (40 TB)", generation: 10, nativeCapacity: 40 * tb, nativeSpeed: nil, densityCode: 0x63, barcodeSuffix: "PA", isWORM: false, isCleaning: false),
        // CLNxxxCU universal cleaning cartridge; CLNxxxLn cleaning tapes are recognised by
        // their CLN prefix (see TapeTypeTable.type(forVolumeTag:)).
        .init(name: "LTO Cleaning", generation: nil, nativeCapacity: 0, nativeSpeed: nil, densityCode: nil, barcodeSuffix: "CU", isWORM: false, isCleaning: true),
    ]

    /// scsi-reference.md, "Compatibility": up to LTO-7 a drive writes its own and the previous
    /// generation and reads two back; LTO-8 reads/writes LTO-7, M8 and LTO-8; LTO-9 reads/writes
    /// LTO-8 and LTO-9; LTO-10 reads/writes LTO-10 media only. Returns (read, write) or nil.
    static func compatibility(driveGeneration drive: Int, media: TapeTypeRow) -> (read: Bool, write: Bool)? {
        guard let generation = media.generation, !media.isCleaning else { return nil }
        let isM8 = media.barcodeSuffix == "M8"
        switch drive {
        case 1...7:
            if isM8 { return nil }
            let back = drive - generation
            switch back {
            case 0, 1: return (true, true)
            case 2: return (true, false)
            default: return nil
            }
        case 8: return (generation == 7 || generation == 8) ? (true, true) : nil
        case 9: return (generation == 8 || generation == 9) ? (true, true) : nil
        case 10: return generation == 10 ? (true, true) : nil
        default: return nil
        }
    }

    /// Task statuses named after the RuBackup seed (api.md: DELETE task_queue/{status} with
    /// error, killed, obsoleted; obsoleted = done long ago). Final statuses end a task.
    static let taskStatuses: [(name: String, description: String, isFinal: Bool)] = [
        ("new", "created, not yet scheduled", false),
        ("assigned", "scheduled onto a media server", false),
        ("start", "starting", false),
        ("execution", "running", false),
        ("transmission", "transferring data", false),
        ("suspended", "put on pause by an operator", false),
        ("done", "finished successfully", true),
        ("error", "finished with an error", true),
        ("killed", "killed by an operator", true),
        ("broken", "interrupted by a crash or lost device", true),
        ("obsoleted", "done long ago; eligible for removal", true),
    ]

    /// api.md "Global configuration keys" with the seed's defaults (typos are the seed's).
    static let globalConfiguration: [(key: String, value: String)] = [
        ("tape_library_mount_point", "/opt/rubackup/mnt"),
        ("unload_tape_cartridges_whes_media_server_starts", "yes"),
        ("ltfs_umount_timeout", "50"),
        ("consolidating_tape_library_tasks", "yes"),
        ("clean_tape_drives_period", "30"),
        ("auto_clean_tape_drives", "no"),
        ("file_transfer_block_size", "16384"),
        ("service_window_start", "00:00:00"),
        ("service_window_end", "23:59:59"),
        ("wrong_auth_attempts_count", "5"),
        ("wrong_auth_block_period", "30"),
        ("done_tasks_remove_period", "1440"),
        ("error_tasks_remove_period", "10080"),
        ("broken_tasks_remove_period", "10080"),
        ("killed_tasks_remove_period", "10080"),
        ("suspended_task_restart_period", "1"),
        ("service_mode", "false"),
    ]

    static let roles = ["superuser", "administrator", "supervisor", "maintainer"]

    static func seed(_ db: Database) throws {
        let insertType = try db.makeStatement(sql: """
            INSERT INTO tape_types (name, generation, native_capacity, native_speed_mbps, density_code,
                barcode_suffix, is_worm, is_cleaning, supports_partitions)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let insertCompatibility = try db.makeStatement(sql: """
            INSERT INTO tape_type_compatibility (drive_generation, tape_type_id, can_read, can_write)
            VALUES (?, ?, ?, ?)
            """)
        for row in tapeTypes {
            // Partitions (needed by LTFS) exist from LTO-5.
            let partitions = (row.generation ?? 0) >= 5
            try insertType.execute(arguments: [
                row.name, row.generation, row.nativeCapacity, row.nativeSpeed, row.densityCode,
                row.barcodeSuffix, row.isWORM, row.isCleaning, partitions,
            ])
            let typeID = db.lastInsertedRowID
            for drive in 1...10 {
                guard let (read, write) = compatibility(driveGeneration: drive, media: row) else { continue }
                try insertCompatibility.execute(arguments: [drive, typeID, read, write])
            }
        }
        for status in taskStatuses {
            try db.execute(sql: "INSERT INTO task_statuses (name, description, is_final) VALUES (?, ?, ?)",
                           arguments: [status.name, status.description, status.isFinal])
        }
        for entry in globalConfiguration {
            try db.execute(sql: "INSERT INTO global_configuration (key, value) VALUES (?, ?)",
                           arguments: [entry.key, entry.value])
        }
        for role in roles {
            try db.execute(sql: "INSERT INTO roles (name) VALUES (?)", arguments: [role])
        }
    }
}
