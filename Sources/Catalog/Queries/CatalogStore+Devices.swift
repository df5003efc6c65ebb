import Foundation
import GRDB

/// What the library service writes about devices as hardware comes and goes, and task controls
/// that are the same on both stores. Written once for both (`CatalogStore`, `CatalogSQL`).
extension CatalogStore {
    /// Log lines of one library task, oldest first.
    public func log(ofLibraryTask taskID: Int64) async throws(CatalogError) -> [TaskLogEntry] {
        try await readSQL { sql in
            try sql.fetchAll(TaskLogEntry.self, "SELECT * FROM task_log WHERE tl_task_id = ? ORDER BY id", [taskID.databaseValue])
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
        try await writeSQL { sql in
            guard var drive = try sql.record(LibraryTapeDrive.self, id: driveID) else {
                throw CatalogError.notFound(resource: "library_tape_drives", identifier: String(driveID))
            }
            guard var cartridge = try sql.record(TapeCartridge.self, id: cartridgeID) else {
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: String(cartridgeID))
            }
            if !expired {
                drive.lastCleaning = time
                drive.mountsSinceCleaning = 0
                drive.bytesSinceCleaning = 0
                if drive.state == .needsCleaning { drive.state = .online }
                try sql.updateRecord(drive)
            }
            let usesLeft = expired ? 0 : max(0, (cartridge.cleaningUsesLeft ?? 1) - 1)
            cartridge.cleaningUsesLeft = usesLeft
            if usesLeft == 0 && cartridge.status != .retired {
                try CartridgeLifecycle.check(from: cartridge.status, to: .retired, isWORM: cartridge.isWorm,
                                             isCleaning: true)
                cartridge.status = .retired
            }
            try sql.updateRecord(cartridge)
        }
    }

    /// Cancels a task that has not started (compare and set): it ends `killed` with `reason` and
    /// a log line. Returns the task as it is now, nil when it does not exist; a task that has
    /// started or ended is returned unchanged.
    public func cancelQueuedLibraryTask(_ id: Int64, reason: String, now: Date = Date())
        async throws(CatalogError) -> LibraryTask? {
        try await writeSQL { sql in
            let changed = try sql.execute("""
                UPDATE tl_task_queue SET status = 'killed', finished_at = ?, error_message = ?
                WHERE id = ? AND status = 'new'
                """, [now.databaseValue, reason.databaseValue, id.databaseValue])
            if changed == 1 {
                _ = try sql.insertRecord(TaskLogEntry(tlTaskId: id, loggedAt: now, level: "warning", message: reason))
            }
            return try sql.record(LibraryTask.self, id: id)
        }
    }

    /// Cleaning cartridges in service (status cleaning) that the catalog has in a slot of the library.
    public func cleaningCartridges(library libraryID: Int64) async throws(CatalogError) -> [TapeCartridge] {
        try await readSQL { sql in
            try sql.fetchAll(TapeCartridge.self, """
                SELECT tape_cartridges.* FROM tape_cartridges
                JOIN library_slots ON library_slots.id = tape_cartridges.slot_id
                WHERE library_slots.library_id = ? AND tape_cartridges.status = 'cleaning'
                ORDER BY tape_cartridges.id
                """, [libraryID.databaseValue])
        }
    }

    /// Records that a cartridge was erased or formatted: it is scratch again (never for WORM,
    /// the state machine refuses), empty, and an LTFS volume or none.
    @discardableResult
    public func recordMediumRewritten(_ cartridgeID: Int64, ltfs: Bool, at time: Date = Date())
        async throws(CatalogError) -> TapeCartridge {
        try await writeSQL { sql in
            guard var cartridge = try sql.record(TapeCartridge.self, id: cartridgeID) else {
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: String(cartridgeID))
            }
            try CartridgeLifecycle.check(from: cartridge.status, to: .scratch, isWORM: cartridge.isWorm,
                                         isCleaning: cartridge.status == .cleaning)
            cartridge.status = .scratch
            cartridge.bytesWritten = 0
            cartridge.ltfsState = ltfs ? .consistent : .notFormatted
            cartridge.ltfsCheckedAt = ltfs ? time : nil
            cartridge.ltfsCheckVerdict = ltfs ? "consistent" : nil
            try sql.updateRecord(cartridge)
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
        try await writeSQL { sql in
            guard var row = try sql.record(Record.self, id: id) else {
                throw CatalogError.notFound(resource: Record.databaseTableName, identifier: String(id))
            }
            change(&row)
            try sql.updateRecord(row)
            return row
        }
    }
}
