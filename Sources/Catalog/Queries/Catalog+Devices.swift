import Foundation
import GRDB

/// What the library service writes about devices and tasks as hardware comes and goes.
extension CatalogDatabase {
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
    @discardableResult
    public func setDriveState(_ driveID: Int64, to state: DriveState) async throws(CatalogError) -> LibraryTapeDrive {
        try await write { db in
            guard var drive = try LibraryTapeDrive.fetchOne(db, key: driveID) else {
                throw CatalogError.notFound(resource: "library_tape_drives", identifier: String(driveID))
            }
            if drive.state == .disabled { return drive }
            drive.state = state
            try drive.update(db)
            return drive
        }
    }

    /// Re-binds a drive to the node it is reachable at now (the sg number changed after a
    /// reconnect; the serial did not).
    public func bindDrive(_ driveID: Int64, device: String, scsiPath: String? = nil) async throws(CatalogError) {
        if let scsiPath, SCSIPath(scsiPath) == nil {
            throw .invalidArgument("scsi_path must look like [H:C:T:L], not \(scsiPath)")
        }
        try await write { db in
            guard var drive = try LibraryTapeDrive.fetchOne(db, key: driveID) else {
                throw CatalogError.notFound(resource: "library_tape_drives", identifier: String(driveID))
            }
            drive.device = device
            if let scsiPath { drive.scsiPath = scsiPath }
            try drive.update(db)
        }
    }

    @discardableResult
    public func setChangerState(_ changerID: Int64, to state: ChangerState) async throws(CatalogError) -> MediumChanger {
        try await write { db in
            guard var changer = try MediumChanger.fetchOne(db, key: changerID) else {
                throw CatalogError.notFound(resource: "medium_changers", identifier: String(changerID))
            }
            changer.state = state
            try changer.update(db)
            return changer
        }
    }

    public func bindChanger(_ changerID: Int64, device: String, scsiPath: String? = nil) async throws(CatalogError) {
        if let scsiPath, SCSIPath(scsiPath) == nil {
            throw .invalidArgument("scsi_path must look like [H:C:T:L], not \(scsiPath)")
        }
        try await write { db in
            guard var changer = try MediumChanger.fetchOne(db, key: changerID) else {
                throw CatalogError.notFound(resource: "medium_changers", identifier: String(changerID))
            }
            changer.device = device
            if let scsiPath { changer.scsiPath = scsiPath }
            try changer.update(db)
        }
    }

    /// Records the outcome of a library sync.
    public func recordSync(library libraryID: Int64, state: LibrarySyncState, at time: Date = Date())
        async throws(CatalogError) {
        try await write { db in
            guard var library = try TapeLibrary.fetchOne(db, key: libraryID) else {
                throw CatalogError.notFound(resource: "tape_libraries", identifier: String(libraryID))
            }
            library.syncState = state
            if state == .synced { library.lastSync = time }
            try library.update(db)
        }
    }

    /// After a crash or a kill, library tasks that had started cannot be trusted to have
    /// finished: they end as `broken` with `reason`, in one transaction, and are returned so the
    /// service can sync their libraries before anything resumes. Tasks not started stay queued.
    public func breakInterruptedLibraryTasks(reason: String, now: Date = Date())
        async throws(CatalogError) -> [LibraryTask] {
        try await write { db in
            let started: [TaskStatus] = [.start, .execution, .transmission, .suspended]
            var tasks = try LibraryTask.filter(started.map(\.rawValue).contains(Column("status")))
                .order(Column("id")).fetchAll(db)
            for index in tasks.indices {
                tasks[index].status = .broken
                tasks[index].finishedAt = now
                tasks[index].errorMessage = reason
                try tasks[index].update(db)
                var line = TaskLogEntry(tlTaskId: tasks[index].id, loggedAt: now, level: "error", message: reason)
                try line.insert(db)
            }
            return tasks
        }
    }
}
