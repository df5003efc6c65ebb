import Catalog

/// What a library task needs before it is queued, checked the same way whoever queues it (the
/// engine's `submit`, the CLI writing to the catalog of a running service, later the API).
public enum LibraryTaskValidation {
    /// Checks `task` against the drives of its library; fills in defaults (plain format).
    public static func validate(_ task: inout LibraryTask, drivesOfLibrary drives: Set<Int64>)
        throws(LibraryServiceError) {
        guard let libraryID = task.libraryId else { throw .invalidTask("a library task needs library_id") }
        func checkDrive() throws(LibraryServiceError) {
            guard let driveID = task.driveId else { throw .invalidTask("\(task.type.rawValue) needs drive_id") }
            guard drives.contains(driveID) else { throw .driveNotInLibrary(drive: driveID, library: libraryID) }
        }
        for (name, value) in [("source_element", task.sourceElement), ("target_element", task.targetElement)] {
            if let value, !(0...0xFFFF).contains(value) {
                throw .invalidTask("\(name) \(value) is not an element address (0…65535)")
            }
        }
        guard (0...10_000).contains(task.priority) else {
            throw .invalidTask("priority \(task.priority) is outside 0…10000")
        }
        // Fields that do not apply to the type are refused rather than silently ignored.
        let usesDrive: Set<LibraryTaskType> = [.load, .unload, .erase, .format, .checkLTFS, .clean]
        if task.driveId != nil && !usesDrive.contains(task.type) {
            throw .invalidTask("drive_id does not apply to \(task.type.rawValue)")
        }
        if task.longErase && task.type != .erase { throw .invalidTask("long_erase applies to erase only") }
        if task.type != .format && (task.formatKind != nil || task.volumeName != nil || task.force) {
            throw .invalidTask("format_kind, volume_name and force apply to format only")
        }
        if task.initializeElements && task.type != .sync {
            throw .invalidTask("initialize_elements applies to sync only")
        }
        if task.poolId != nil && task.type != .import {
            throw .invalidTask("pool_id applies to import only (the pool the imported cartridges join)")
        }
        if task.cartridgeId != nil && task.sourceElement != nil {
            throw .invalidTask("give cartridge_id or source_element, not both")
        }
        let usesCartridge: Set<LibraryTaskType> = [.load, .export, .erase, .format, .checkLTFS]
        if task.cartridgeId != nil && !usesCartridge.contains(task.type) {
            throw .invalidTask("cartridge_id applies to load, export, erase, format and check_ltfs only")
        }
        /// Erase, format and check_ltfs take a drive holding the cartridge, or a cartridge the
        /// engine loads into a free drive that can do the work (and returns home afterwards).
        func checkDriveOrCartridge() throws(LibraryServiceError) {
            if task.driveId == nil && task.cartridgeId != nil { return }
            guard task.driveId != nil else {
                throw .invalidTask("\(task.type.rawValue) needs drive_id (the cartridge in that drive) or cartridge_id")
            }
            try checkDrive()
        }
        switch task.type {
        case .sync:
            break
        case .move:
            guard task.sourceElement != nil, task.targetElement != nil else {
                throw .invalidTask("move needs source_element and target_element")
            }
        case .load:
            // A backup task's mount names the cartridge; the engine chooses a free drive for it.
            if task.backupTaskId != nil && task.driveId == nil && task.cartridgeId != nil { break }
            try checkDrive()
            guard task.sourceElement != nil || task.cartridgeId != nil else {
                throw .invalidTask("load needs source_element or cartridge_id")
            }
        case .unload, .clean:
            try checkDrive()
        case .erase, .checkLTFS:
            try checkDriveOrCartridge()
        case .format:
            try checkDriveOrCartridge()
            if task.formatKind == nil { task.formatKind = .plain }
            if task.formatKind == .plain, task.volumeName != nil {
                throw .invalidTask("volume_name applies to an LTFS format (format_kind ltfs)")
            }
            if let name = task.volumeName, name.isEmpty || name.utf8.count > 1_024 {
                throw .invalidTask("volume_name must be 1…1024 bytes")
            }
        case .import:
            break
        case .export:
            guard task.sourceElement != nil || task.cartridgeId != nil else {
                throw .invalidTask("export needs source_element or cartridge_id")
            }
        }
    }

    /// Validates `task` against the catalog and queues it, for a process that does not run the
    /// engine itself (the running service picks it up from the queue).
    public static func enqueue(_ task: LibraryTask, catalog: TapeCatalog) async throws(LibraryServiceError)
        -> LibraryTask {
        var task = task
        guard let libraryID = task.libraryId else { throw .invalidTask("a library task needs library_id") }
        let library = try await LibraryServiceError.catalog { () async throws(CatalogError) in
            try await catalog.library(id: libraryID)
        }
        guard library != nil else { throw .libraryNotFound(libraryID) }
        let drives = try await LibraryServiceError.catalog { () async throws(CatalogError) in
            try await catalog.drives(library: libraryID)
        }
        try validate(&task, drivesOfLibrary: Set(drives.compactMap(\.id)))
        task.status = .new
        do { return try await catalog.enqueue(task) } catch { throw .catalog(error) }
    }
}
