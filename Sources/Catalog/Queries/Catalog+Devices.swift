import Foundation
import GRDB

/// What the library service writes about devices and tasks as hardware comes and goes.
extension CatalogDatabase {
    /// Registers a library in one transaction: its changer, the library row pointing at it, and
    /// its drives (POST tape_libraries). Nothing is written when any row is refused.
    public func registerLibrary(_ library: TapeLibrary, changer: MediumChanger, drives: [LibraryTapeDrive])
        async throws(CatalogError) -> (library: TapeLibrary, changer: MediumChanger, drives: [LibraryTapeDrive]) {
        for path in [changer.scsiPath] + drives.map(\.scsiPath) where SCSIPath(path) == nil {
            throw .invalidArgument("scsi_path must look like [H:C:T:L], not \(path)")
        }
        return try await write { db in
            var changer = changer
            try changer.insert(db)
            var library = library
            library.mediumChangerId = changer.id
            try library.insert(db)
            var inserted: [LibraryTapeDrive] = []
            for var drive in drives {
                drive.libraryId = library.id
                try drive.insert(db)
                inserted.append(drive)
            }
            return (library, changer, inserted)
        }
    }

    /// The media server with `hostname`, if registered.
    public func mediaServer(hostname: String) async throws(CatalogError) -> MediaServer? {
        try await read { db in try MediaServer.filter(MediaServer.Columns.hostname == hostname).fetchOne(db) }
    }

    /// The media server with hardware id `hwid` (the machine id), if registered.
    public func mediaServer(hwid: String) async throws(CatalogError) -> MediaServer? {
        try await read { db in try MediaServer.filter(MediaServer.Columns.hwid == hwid).fetchOne(db) }
    }

    /// Libraries of one media server, by id.
    public func libraries(mediaServer serverID: Int64) async throws(CatalogError) -> [TapeLibrary] {
        try await read { db in
            try TapeLibrary.filter(Column("media_server_id") == serverID).order(Column("id")).fetchAll(db)
        }
    }

    public func library(id: Int64) async throws(CatalogError) -> TapeLibrary? {
        try await read { db in try TapeLibrary.fetchOne(db, key: id) }
    }

    public func changer(id: Int64) async throws(CatalogError) -> MediumChanger? {
        try await read { db in try MediumChanger.fetchOne(db, key: id) }
    }

    public func drive(id: Int64) async throws(CatalogError) -> LibraryTapeDrive? {
        try await read { db in try LibraryTapeDrive.fetchOne(db, key: id) }
    }

    public func slot(id: Int64) async throws(CatalogError) -> LibrarySlot? {
        try await read { db in try LibrarySlot.fetchOne(db, key: id) }
    }

    public func libraryTask(id: Int64) async throws(CatalogError) -> LibraryTask? {
        try await read { db in try LibraryTask.fetchOne(db, key: id) }
    }

    /// Log lines of one library task, oldest first.
    public func log(ofLibraryTask taskID: Int64) async throws(CatalogError) -> [TaskLogEntry] {
        try await read { db in
            try TaskLogEntry.filter(Column("tl_task_id") == taskID).order(Column("id")).fetchAll(db)
        }
    }

    /// Marks a drive online, offline, busy, … A drive an operator disabled stays disabled when
    /// the hardware comes and goes (only `enable` clears it, which is the API's business).
    /// `onlyFrom`: change the state only when it is one of these (a drive that comes back goes
    /// from offline to online, but one waiting for cleaning keeps saying so).
    @discardableResult
    public func setDriveState(_ driveID: Int64, to state: DriveState, onlyFrom: Set<DriveState>? = nil)
        async throws(CatalogError) -> LibraryTapeDrive {
        try await updateRow(LibraryTapeDrive.self, driveID) { drive in
            guard drive.state != .disabled, onlyFrom?.contains(drive.state) ?? true else { return }
            drive.state = state
        }
    }

    /// Re-binds a drive to the node it is reachable at now (the sg number changed after a
    /// reconnect; the serial did not).
    @discardableResult
    public func bindDrive(_ driveID: Int64, device: String) async throws(CatalogError) -> LibraryTapeDrive {
        try await updateRow(LibraryTapeDrive.self, driveID) { $0.device = device }
    }

    @discardableResult
    public func setChangerState(_ changerID: Int64, to state: ChangerState) async throws(CatalogError) -> MediumChanger {
        try await updateRow(MediumChanger.self, changerID) { $0.state = state }
    }

    @discardableResult
    public func bindChanger(_ changerID: Int64, device: String) async throws(CatalogError) -> MediumChanger {
        try await updateRow(MediumChanger.self, changerID) { $0.device = device }
    }

    /// Records a finished cleaning: the drive's counters restart and a drive that asked for
    /// cleaning is online again; the cleaning cartridge has one use fewer and retires when none
    /// is left or when the drive reported it expired (TapeAlert 16h, cleaning failure 30h/07h).
    public func recordCleaning(drive driveID: Int64, cartridge cartridgeID: Int64, expired: Bool,
                               at time: Date = Date()) async throws(CatalogError) {
        try await write { db in
            guard var drive = try LibraryTapeDrive.fetchOne(db, key: driveID) else {
                throw CatalogError.notFound(resource: "library_tape_drives", identifier: String(driveID))
            }
            guard var cartridge = try TapeCartridge.fetchOne(db, key: cartridgeID) else {
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: String(cartridgeID))
            }
            if !expired {
                drive.lastCleaning = time
                drive.mountsSinceCleaning = 0
                drive.bytesSinceCleaning = 0
                if drive.state == .needsCleaning { drive.state = .online }
                try drive.update(db)
            }
            let usesLeft = expired ? 0 : max(0, (cartridge.cleaningUsesLeft ?? 1) - 1)
            cartridge.cleaningUsesLeft = usesLeft
            if usesLeft == 0 && cartridge.status != .retired {
                try CartridgeLifecycle.check(from: cartridge.status, to: .retired, isWORM: cartridge.isWorm,
                                             isCleaning: true)
                cartridge.status = .retired
            }
            try cartridge.update(db)
        }
    }

    /// The element of a library at `address`, as the last sync saw it.
    public func slot(library libraryID: Int64, address: Int) async throws(CatalogError) -> LibrarySlot? {
        try await read { db in
            try LibrarySlot.filter(Column("library_id") == libraryID && Column("element_address") == address).fetchOne(db)
        }
    }

    /// Starts a queued task if it is still queued (compare and set): false when another
    /// process took it or it was cancelled meanwhile.
    /// `drive`: the drive the engine chose for a task addressed by cartridge, recorded with the start.
    public func claimLibraryTask(_ id: Int64, phase: String, drive: Int64? = nil, now: Date = Date())
        async throws(CatalogError) -> Bool {
        try await write { db in
            try Row.fetchOne(db, sql: TaskQueueSQL.claim { _ in "?" }, arguments: [phase, now, drive, id]) != nil
        }
    }

    /// Cancels a task that has not started (compare and set): it ends `killed` with `reason` and
    /// a log line. Returns the task as it is now, nil when it does not exist; a task that has
    /// started or ended is returned unchanged.
    public func cancelQueuedLibraryTask(_ id: Int64, reason: String, now: Date = Date())
        async throws(CatalogError) -> LibraryTask? {
        try await write { db in
            try db.execute(sql: """
                UPDATE tl_task_queue SET status = 'killed', finished_at = ?, error_message = ?
                WHERE id = ? AND status = 'new'
                """, arguments: [now, reason, id])
            if db.changesCount == 1 {
                var line = TaskLogEntry(tlTaskId: id, loggedAt: now, level: "warning", message: reason)
                try line.insert(db)
            }
            return try LibraryTask.fetchOne(db, key: id)
        }
    }

    /// Cleaning cartridges in service (status cleaning) that the catalog has in a slot of the library.
    public func cleaningCartridges(library libraryID: Int64) async throws(CatalogError) -> [TapeCartridge] {
        try await read { db in
            try TapeCartridge.fetchAll(db, sql: """
                SELECT tape_cartridges.* FROM tape_cartridges
                JOIN library_slots ON library_slots.id = tape_cartridges.slot_id
                WHERE library_slots.library_id = ? AND tape_cartridges.status = 'cleaning'
                ORDER BY tape_cartridges.id
                """, arguments: [libraryID])
        }
    }

    /// Records that a cartridge was erased or formatted: it is scratch again (never for WORM,
    /// the state machine refuses), empty, and an LTFS volume or none.
    @discardableResult
    public func recordMediumRewritten(_ cartridgeID: Int64, ltfs: Bool, at time: Date = Date())
        async throws(CatalogError) -> TapeCartridge {
        try await write { db in
            guard var cartridge = try TapeCartridge.fetchOne(db, key: cartridgeID) else {
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: String(cartridgeID))
            }
            try CartridgeLifecycle.check(from: cartridge.status, to: .scratch, isWORM: cartridge.isWorm,
                                         isCleaning: cartridge.status == .cleaning)
            cartridge.status = .scratch
            cartridge.bytesWritten = 0
            cartridge.ltfsState = ltfs ? .consistent : .notFormatted
            cartridge.ltfsCheckedAt = ltfs ? time : nil
            cartridge.ltfsCheckVerdict = ltfs ? "consistent" : nil
            try cartridge.update(db)
            return cartridge
        }
    }

    /// Records an LTFS check's verdict on a cartridge.
    @discardableResult
    public func recordLTFSCheck(_ cartridgeID: Int64, state: LTFSState, verdict: String, at time: Date = Date())
        async throws(CatalogError) -> TapeCartridge {
        try await updateRow(TapeCartridge.self, cartridgeID) { cartridge in
            cartridge.ltfsState = state
            cartridge.ltfsCheckVerdict = verdict
            cartridge.ltfsCheckedAt = time
        }
    }

    /// Records the outcome of a library sync.
    public func recordSync(library libraryID: Int64, state: LibrarySyncState, at time: Date = Date())
        async throws(CatalogError) {
        try await updateRow(TapeLibrary.self, libraryID) { library in
            library.syncState = state
            if state == .synced { library.lastSync = time }
        }
    }

    /// Reads, changes and writes back one row in one transaction; a missing row is `notFound`.
    @discardableResult
    func updateRow<Record>(_ type: Record.Type, _ id: Int64,
                                   _ change: @escaping @Sendable (inout Record) -> Void) async throws(CatalogError) -> Record
        where Record: FetchableRecord & MutablePersistableRecord & Sendable {
        try await write { db in
            guard var row = try Record.fetchOne(db, key: id) else {
                throw CatalogError.notFound(resource: Record.databaseTableName, identifier: String(id))
            }
            change(&row)
            try row.update(db)
            return row
        }
    }

    /// After a crash or a kill, library tasks of `libraries` that had started cannot be trusted
    /// to have finished: they end as `broken` with `reason`, in one transaction, and are returned
    /// so the service can sync their libraries before anything resumes. Tasks not started stay
    /// queued; other libraries' tasks (another media server's) are not touched.
    public func breakInterruptedLibraryTasks(libraries: Set<Int64>, reason: String, now: Date = Date())
        async throws(CatalogError) -> [LibraryTask] {
        try await write { db in
            // A task an operator paused before it started (suspended, never started) stays held.
            var tasks = try LibraryTask.filter(TaskQueueSQL.interruptedStatuses.map(\.rawValue).contains(Column("status")))
                .filter(Column("status") != TaskStatus.suspended.rawValue || Column("started_at") != nil)
                .filter(Array(libraries).contains(Column("library_id")))
                .order(Column("id")).fetchAll(db)
            for index in tasks.indices {
                tasks[index] = tasks[index].interrupted(reason: reason, now: now)
                try tasks[index].update(db)
                var line = TaskLogEntry(tlTaskId: tasks[index].id, loggedAt: now, level: "error", message: reason)
                try line.insert(db)
            }
            return tasks
        }
    }
}
