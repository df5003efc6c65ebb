import Foundation
import GRDB

/// Reads and writes the REST API needs beyond the engine's: single rows by id, the PATCH
/// endpoints' field updates, and deletes that refuse while tasks still use the row.
extension CatalogDatabase {
    public func mediaServer(id: Int64) async throws(CatalogError) -> MediaServer? {
        try await read { db in try MediaServer.fetchOne(db, key: id) }
    }

    public func pool(named name: String) async throws(CatalogError) -> Pool? {
        try await read { db in try Pool.filter(Column("name") == name).fetchOne(db) }
    }

    public func pool(id: Int64) async throws(CatalogError) -> Pool? {
        try await read { db in try Pool.fetchOne(db, key: id) }
    }

    /// Reads row `id` of `Record`, lets `change` edit it (and refuse, by throwing), and writes it
    /// back, in one transaction; `.notFound(resource)` when there is no such row.
    func updateRow<Record: MutablePersistableRecord & FetchableRecord & Sendable>(
        _ type: Record.Type, id: Int64, resource: String, _ change: @escaping @Sendable (inout Record) throws -> Void
    ) async throws(CatalogError) -> Record {
        try await write { db in
            guard var row = try Record.fetchOne(db, key: id) else {
                throw CatalogError.notFound(resource: resource, identifier: String(id))
            }
            try change(&row)
            try row.update(db)
            return row
        }
    }

    @discardableResult
    public func updateMediaServer(_ id: Int64, description: String?, localServiceMode: String?) async throws(CatalogError) -> MediaServer {
        try await updateRow(MediaServer.self, id: id, resource: "media_servers") { server in
            if let description { server.description = description }
            if let localServiceMode { server.localServiceMode = localServiceMode }
        }
    }

    @discardableResult
    public func updateChanger(_ id: Int64, scsiPath: String?, device: String?) async throws(CatalogError) -> MediumChanger {
        try await updateRow(MediumChanger.self, id: id, resource: "medium_changers") { changer in
            if let scsiPath { changer.scsiPath = scsiPath }
            if let device { changer.device = device }
        }
    }

    @discardableResult
    public func updateDrive(_ id: Int64, scsiPath: String?, device: String?, sysTransferElement: Int?) async throws(CatalogError)
        -> LibraryTapeDrive {
        try await updateRow(LibraryTapeDrive.self, id: id, resource: "library_tape_drives") { drive in
            if let scsiPath { drive.scsiPath = scsiPath }
            if let device { drive.device = device }
            if let sysTransferElement { drive.sysTransferElement = sysTransferElement }
        }
    }

    /// Unfinished library tasks that name `library` (or, when given, `cartridge` or `drive`).
    public func unfinishedLibraryTasks(library: Int64? = nil, cartridge: Int64? = nil, drive: Int64? = nil)
        async throws(CatalogError) -> [LibraryTask] {
        try await read { db in
            var request = LibraryTask.filter(!TaskStatus.allCases.filter(\.isFinal).map(\.rawValue).contains(Column("status")))
            if let library { request = request.filter(Column("library_id") == library) }
            if let cartridge { request = request.filter(Column("cartridge_id") == cartridge) }
            if let drive { request = request.filter(Column("drive_id") == drive) }
            return try request.order(Column("id")).fetchAll(db)
        }
    }

    /// Deletes a library (its slots, drives and changer with it); refused while tasks are queued or running for it.
    public func deleteLibrary(_ id: Int64) async throws(CatalogError) {
        try await write { db in
            guard let library = try TapeLibrary.fetchOne(db, key: id) else {
                throw CatalogError.notFound(resource: "tape_libraries", identifier: String(id))
            }
            let finals = TaskStatus.allCases.filter(\.isFinal).map(\.rawValue)
            let running = try LibraryTask.filter(Column("library_id") == id && !finals.contains(Column("status"))).fetchCount(db)
            if running > 0 {
                throw CatalogError.conflict("tape library \(id) has \(running) unfinished task(s); kill them or let them end first")
            }
            // Cartridges of the library leave it (they are not deleted: their data and history stay).
            try db.execute(sql: """
                UPDATE tape_cartridges SET slot_id = NULL, location = 'offline'
                WHERE slot_id IN (SELECT id FROM library_slots WHERE library_id = ?)
                """, arguments: [id])
            try db.execute(sql: "UPDATE library_tape_drives SET library_id = NULL, loaded_cartridge_id = NULL WHERE library_id = ?",
                           arguments: [id])
            try db.execute(sql: "UPDATE tl_task_queue SET library_id = NULL WHERE library_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM library_slots WHERE library_id = ?", arguments: [id])
            _ = try TapeLibrary.deleteOne(db, key: id)
            if let changerID = library.mediumChangerId { _ = try MediumChanger.deleteOne(db, key: changerID) }
        }
    }

    @discardableResult
    public func updateCartridge(_ id: Int64, volumeTag: String?, description: String?) async throws(CatalogError) -> TapeCartridge {
        try await updateRow(TapeCartridge.self, id: id, resource: "tape_cartridges") { cartridge in
            if let volumeTag, volumeTag != cartridge.volumeTag {
                if cartridge.slotId != nil || cartridge.location.isInLibrary {
                    throw CatalogError.conflict("cartridge \(cartridge.volumeTag) is in a library; its barcode is what the library reads")
                }
                cartridge.volumeTag = volumeTag
            }
            if let description { cartridge.description = description }
        }
    }

    /// Deletes a cartridge record; refused while it is in a library or named by an unfinished task.
    public func deleteCartridge(_ id: Int64) async throws(CatalogError) {
        try await write { db in
            guard let cartridge = try TapeCartridge.fetchOne(db, key: id) else {
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: String(id))
            }
            if cartridge.slotId != nil || cartridge.location.isInLibrary {
                throw CatalogError.conflict("cartridge \(cartridge.volumeTag) is in a library; export it first")
            }
            let finals = TaskStatus.allCases.filter(\.isFinal).map(\.rawValue)
            if try LibraryTask.filter(Column("cartridge_id") == id && !finals.contains(Column("status"))).fetchCount(db) > 0 {
                throw CatalogError.conflict("cartridge \(cartridge.volumeTag) is used by an unfinished task")
            }
            do {
                _ = try TapeCartridge.deleteOne(db, key: id)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                throw CatalogError.conflict("cartridge \(cartridge.volumeTag) holds copies of backup records; it cannot be deleted")
            }
        }
    }

    /// Library tasks per status (task_status).
    public func libraryTaskStatusCounts() async throws(CatalogError) -> [(status: String, count: Int)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM tl_task_queue GROUP BY status ORDER BY status")
                .map { (status: $0["status"], count: $0["n"]) }
        }
    }

    // MARK: Drives of a library

    /// Drives the catalog knows on `mediaServer` that no library has (a library deleted, a drive
    /// taken out): what POST library_tape_drives can add.
    public func unassignedDrives(mediaServer: Int64?) async throws(CatalogError) -> [LibraryTapeDrive] {
        try await read { db in
            var request = LibraryTapeDrive.filter(Column("library_id") == nil)
            if let mediaServer { request = request.filter(Column("media_server_id") == mediaServer) }
            return try request.order(Column("id")).fetchAll(db)
        }
    }

    /// Puts drive `id` into library `libraryID` (same media server, not in another library).
    @discardableResult
    public func assignDrive(_ id: Int64, toLibrary libraryID: Int64) async throws(CatalogError) -> LibraryTapeDrive {
        try await write { db in
            guard let library = try TapeLibrary.fetchOne(db, key: libraryID) else {
                throw CatalogError.notFound(resource: "tape_libraries", identifier: String(libraryID))
            }
            guard var drive = try LibraryTapeDrive.fetchOne(db, key: id) else {
                throw CatalogError.notFound(resource: "library_tape_drives", identifier: String(id))
            }
            if let current = drive.libraryId {
                guard current == libraryID else { throw CatalogError.conflict("drive \(id) is in tape library \(current)") }
                return drive
            }
            guard drive.mediaServerId == library.mediaServerId else {
                throw CatalogError.conflict("drive \(id) is on another media server than tape library \(libraryID)")
            }
            drive.libraryId = libraryID
            try drive.update(db)
            return drive
        }
    }

    /// Takes drive `id` out of its library; refused while it holds a cartridge or a task uses it.
    public func unassignDrive(_ id: Int64) async throws(CatalogError) -> Int64? {
        try await write { db in
            guard var drive = try LibraryTapeDrive.fetchOne(db, key: id) else {
                throw CatalogError.notFound(resource: "library_tape_drives", identifier: String(id))
            }
            guard let libraryID = drive.libraryId else { return nil }
            if drive.loadedCartridgeId != nil { throw CatalogError.conflict("drive \(id) holds a cartridge; unload it first") }
            let finals = TaskStatus.allCases.filter(\.isFinal).map(\.rawValue)
            if try LibraryTask.filter(Column("drive_id") == id && !finals.contains(Column("status"))).fetchCount(db) > 0 {
                throw CatalogError.conflict("drive \(id) is used by an unfinished task")
            }
            drive.libraryId = nil
            try drive.update(db)
            return libraryID
        }
    }
}
