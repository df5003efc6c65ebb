/// What kind of value a filterable field holds, which decides the operators it accepts and how
/// the quoted value is converted before binding.
enum FieldType: Sendable {
    case text
    case integer
    case boolean
    case timestamp
    /// Text with a closed set of values (statuses, kinds).
    case enumeration(Set<String>)

    var allowedOperators: Set<FilterOperator> {
        switch self {
        case .text, .enumeration: return [.equals, .contains, .lessThan, .greaterThan]
        case .integer, .timestamp: return [.equals, .lessThan, .greaterThan]
        case .boolean: return [.equals]
        }
    }
}

/// A field an API client may filter or sort by: its public name, the SQL expression it maps to
/// (a fixed string from this file, never from input) and its type.
struct FilterField: Sendable {
    let name: String
    let sql: String
    let type: FieldType
}

/// A table of precomputed row counts that can answer a list's total when every condition is an
/// equality on one of `fields` (public name → column of the count table); no condition sums the
/// whole table.
struct CountCache: Sendable {
    let table: String
    let countColumn: String
    let fields: [String: String]
    /// The sort field whose value range the cache's `block` column splits (see `SlotPageSeek`):
    /// a page sorted by it starts with a seek instead of stepping over OFFSET rows.
    var blockedSortField: String?
    var addressesPerBlock = 1
}

/// The whitelist of filterable and sortable fields of one list resource (public as a type, for
/// `CatalogStore.list`; built only here).
public struct ResourceSchema: Sendable {
    let resource: String
    let table: String
    let fields: [String: FilterField]
    let defaultSort: String
    let countCache: CountCache?

    init(resource: String, table: String, defaultSort: String = "id", countCache: CountCache? = nil,
         fields: [FilterField]) {
        self.resource = resource
        self.table = table
        self.defaultSort = defaultSort
        self.countCache = countCache
        var byName: [String: FilterField] = [:]
        for field in fields { byName[field.name] = field }
        self.fields = byName
    }

    func field(_ name: String) throws(FilterError) -> FilterField {
        guard let field = fields[name] else { throw .unknownField(name: name, resource: resource) }
        return field
    }
}

private func column(_ table: String, _ name: String, _ type: FieldType) -> FilterField {
    FilterField(name: name, sql: "\(table).\(name)", type: type)
}

private func values<E: RawRepresentable & CaseIterable>(_: E.Type) -> FieldType where E.RawValue == String {
    .enumeration(Set(E.allCases.map(\.rawValue)))
}

/// Per-resource whitelists (api.md resource names).
enum ResourceSchemas {
    static let librarySlots = ResourceSchema(
        resource: "library_slots", table: "library_slots", defaultSort: "element_address",
        countCache: CountCache(table: "library_slot_block_counts", countColumn: "slot_count",
                               fields: ["library_id": "library_id", "kind": "kind", "full": "\"full\""],
                               blockedSortField: "element_address",
                               addressesPerBlock: SchemaV3.addressesPerBlock),
        fields: [
        column("library_slots", "id", .integer),
        FilterField(name: "library_id", sql: "library_slots.library_id", type: .integer),
        column("library_slots", "element_address", .integer),
        column("library_slots", "kind", values(SlotKind.self)),
        column("library_slots", "full", .boolean),
        column("library_slots", "volume_tag", .text),
        column("library_slots", "source_element", .integer),
        column("library_slots", "accessible", .boolean),
        column("library_slots", "exception", .boolean),
    ])

    static let tapeCartridges = ResourceSchema(resource: "tape_cartridges", table: "tape_cartridges",
                                               defaultSort: "volume_tag", fields: [
        column("tape_cartridges", "id", .integer),
        column("tape_cartridges", "volume_tag", .text),
        FilterField(name: "type", sql: "(SELECT name FROM tape_types WHERE tape_types.id = tape_cartridges.tape_type_id)", type: .text),
        FilterField(name: "pool", sql: "(SELECT name FROM pools WHERE pools.id = tape_cartridges.pool_id)", type: .text),
        FilterField(name: "pool_name", sql: "(SELECT name FROM pools WHERE pools.id = tape_cartridges.pool_id)", type: .text),
        column("tape_cartridges", "pool_id", .integer),
        column("tape_cartridges", "status", values(CartridgeStatus.self)),
        column("tape_cartridges", "slot_id", .integer),
        column("tape_cartridges", "location", values(CartridgeLocation.self)),
        FilterField(name: "library_id", sql: "(SELECT library_id FROM library_slots WHERE library_slots.id = tape_cartridges.slot_id)", type: .integer),
        column("tape_cartridges", "description", .text),
        column("tape_cartridges", "bytes_written", .integer),
        column("tape_cartridges", "mounts", .integer),
        column("tape_cartridges", "ltfs_state", values(LTFSState.self)),
        column("tape_cartridges", "write_protected", .boolean),
        column("tape_cartridges", "is_worm", .boolean),
        column("tape_cartridges", "created_at", .timestamp),
    ])

    static let tapeLibraries = ResourceSchema(resource: "tape_libraries", table: "tape_libraries", fields: [
        column("tape_libraries", "id", .integer),
        column("tape_libraries", "media_server_id", .integer),
        FilterField(name: "media_server", sql: "(SELECT hostname FROM media_servers WHERE media_servers.id = tape_libraries.media_server_id)", type: .text),
        column("tape_libraries", "pool_id", .integer),
        FilterField(name: "pool", sql: "(SELECT name FROM pools WHERE pools.id = tape_libraries.pool_id)", type: .text),
        column("tape_libraries", "description", .text),
        column("tape_libraries", "last_sync", .timestamp),
        column("tape_libraries", "sync_state", values(LibrarySyncState.self)),
    ])

    static let libraryTapeDrives = ResourceSchema(resource: "library_tape_drives", table: "library_tape_drives", fields: [
        column("library_tape_drives", "id", .integer),
        column("library_tape_drives", "library_id", .integer),
        column("library_tape_drives", "device", .text),
        column("library_tape_drives", "scsi_path", .text),
        column("library_tape_drives", "sys_transfer_element", .integer),
        column("library_tape_drives", "serial", .text),
        column("library_tape_drives", "generation", .integer),
        column("library_tape_drives", "state", values(DriveState.self)),
        column("library_tape_drives", "last_cleaning", .timestamp),
    ])

    static let mediumChangers = ResourceSchema(resource: "medium_changers", table: "medium_changers", fields: [
        column("medium_changers", "id", .integer),
        column("medium_changers", "media_server_id", .integer),
        column("medium_changers", "scsi_path", .text),
        column("medium_changers", "device", .text),
        column("medium_changers", "vendor", .text),
        column("medium_changers", "product", .text),
        column("medium_changers", "serial", .text),
        column("medium_changers", "state", .text),
    ])

    static let mediaServers = ResourceSchema(resource: "media_servers", table: "media_servers",
                                             defaultSort: "hostname", fields: [
        column("media_servers", "id", .integer),
        column("media_servers", "hostname", .text),
        column("media_servers", "hwid", .text),
        column("media_servers", "description", .text),
        column("media_servers", "local_service_mode", .enumeration(["yes", "no"])),
        column("media_servers", "last_online", .timestamp),
    ])

    static let unauthorisedMediaServers = ResourceSchema(resource: "unauthorised_media_servers", table: "unauthorised_media_servers",
                                                         defaultSort: "hostname", fields: [
        column("unauthorised_media_servers", "id", .integer),
        column("unauthorised_media_servers", "hostname", .text),
        column("unauthorised_media_servers", "hwid", .text),
        column("unauthorised_media_servers", "first_seen_at", .timestamp),
        column("unauthorised_media_servers", "last_seen_at", .timestamp),
    ])

    static let pools = ResourceSchema(resource: "pool_list", table: "pools", defaultSort: "pool_name", fields: [
        column("pools", "id", .integer),
        FilterField(name: "pool_name", sql: "pools.name", type: .text),
        FilterField(name: "name", sql: "pools.name", type: .text),
        FilterField(name: "pool_type", sql: "pools.type", type: values(PoolType.self)),
        FilterField(name: "media_server", sql: "(SELECT hostname FROM media_servers WHERE media_servers.id = pools.media_server_id)", type: .text),
        column("pools", "media_server_id", .integer),
        column("pools", "retention_period", .text),
        column("pools", "compression_type", .text),
        column("pools", "description", .text),
        column("pools", "health_state", values(PoolHealth.self)),
        column("pools", "created_at", .timestamp),
        column("pools", "modified_at", .timestamp),
    ])

    private static func taskFields(_ table: String, types: FieldType) -> [FilterField] {
        [
            column(table, "id", .integer),
            column(table, "type", types),
            column(table, "status", values(TaskStatus.self)),
            column(table, "priority", .integer),
            column(table, "parent_task_id", .integer),
            column(table, "created_at", .timestamp),
            column(table, "started_at", .timestamp),
            column(table, "finished_at", .timestamp),
        ]
    }

    static let libraryTasks = ResourceSchema(resource: "tl_task_queue", table: "tl_task_queue",
        fields: taskFields("tl_task_queue", types: values(LibraryTaskType.self)) + [
            column("tl_task_queue", "library_id", .integer),
            column("tl_task_queue", "cartridge_id", .integer),
            column("tl_task_queue", "drive_id", .integer),
            column("tl_task_queue", "backup_task_id", .integer),
        ])

    static let backupTasks = ResourceSchema(resource: "task_queue", table: "task_queue",
        fields: taskFields("task_queue", types: values(BackupTaskType.self)) + [
            column("task_queue", "client", .text),
            column("task_queue", "resource", .text),
            column("task_queue", "resource_type", .text),
            column("task_queue", "pool_id", .integer),
            FilterField(name: "pool", sql: "(SELECT name FROM pools WHERE pools.id = task_queue.pool_id)", type: .text),
        ])

    static let taskLog = ResourceSchema(resource: "task_log", table: "task_log", fields: [
        column("task_log", "id", .integer),
        column("task_log", "task_id", .integer),
        column("task_log", "tl_task_id", .integer),
        column("task_log", "logged_at", .timestamp),
        column("task_log", "level", .enumeration(["debug", "info", "warning", "error"])),
        column("task_log", "message", .text),
    ])

    static let repository = ResourceSchema(resource: "repository", table: "repository", fields: [
        column("repository", "id", .integer),
        column("repository", "client", .text),
        column("repository", "resource", .text),
        column("repository", "resource_type", .text),
        column("repository", "backup_type", values(BackupType.self)),
        column("repository", "pool_id", .integer),
        FilterField(name: "pool", sql: "(SELECT name FROM pools WHERE pools.id = repository.pool_id)", type: .text),
        column("repository", "size_bytes", .integer),
        column("repository", "created_at", .timestamp),
        column("repository", "store_until", .timestamp),
        column("repository", "archive_media_server_id", .integer),
    ])

    static let tapeTypes = ResourceSchema(resource: "tape_types", table: "tape_types", fields: [
        column("tape_types", "id", .integer),
        column("tape_types", "name", .text),
        column("tape_types", "generation", .integer),
        column("tape_types", "barcode_suffix", .text),
        column("tape_types", "is_worm", .boolean),
        column("tape_types", "is_cleaning", .boolean),
    ])

    static let scheduledJobs = ResourceSchema(resource: "scheduled_jobs", table: "scheduled_jobs", fields: [
        column("scheduled_jobs", "id", .integer),
        column("scheduled_jobs", "name", .text),
        column("scheduled_jobs", "kind", values(ScheduledJobKind.self)),
        column("scheduled_jobs", "library_id", .integer),
        column("scheduled_jobs", "is_active", .boolean),
        column("scheduled_jobs", "is_periodic", .boolean),
        column("scheduled_jobs", "next_run_at", .timestamp),
        column("scheduled_jobs", "last_run_at", .timestamp),
    ])

    static let storageLocalCatalogs = ResourceSchema(resource: "storage_local_catalogs", table: "storage_local_catalogs", fields: [
        column("storage_local_catalogs", "id", .integer),
        column("storage_local_catalogs", "path", .text),
        column("storage_local_catalogs", "pool_id", .integer),
        column("storage_local_catalogs", "description", .text),
        column("storage_local_catalogs", "created_at", .timestamp),
    ])

    static let storageBlockDevices = ResourceSchema(resource: "storage_block_devices", table: "storage_block_devices", fields: [
        column("storage_block_devices", "id", .integer),
        column("storage_block_devices", "device", .text),
        column("storage_block_devices", "pool_id", .integer),
        column("storage_block_devices", "description", .text),
        column("storage_block_devices", "created_at", .timestamp),
    ])

    static let jobExecutions = ResourceSchema(resource: "job_executions", table: "job_executions", fields: [
        column("job_executions", "id", .integer),
        column("job_executions", "job_id", .integer),
        column("job_executions", "status", values(ExecutionStatus.self)),
        column("job_executions", "started_at", .timestamp),
        column("job_executions", "finished_at", .timestamp),
    ])
}
