import Foundation
import GRDB
import PostgresNIO

/// Reads and writes the REST API needs beyond the engine's: single rows by id, the PATCH
/// endpoints' field updates, and deletes that refuse while tasks still use the row. Written once
/// for both stores (`CatalogStore`, `CatalogSQL`).
extension CatalogStore {
    public func mediaServer(id: Int64) async throws(CatalogError) -> MediaServer? {
        try await readSQL { sql in try sql.record(MediaServer.self, id: id) }
    }

    public func pool(named name: String) async throws(CatalogError) -> Pool? {
        try await readSQL { sql in try sql.fetchOne(Pool.self, "SELECT * FROM pools WHERE name = ?", [name.databaseValue]) }
    }

    public func pool(id: Int64) async throws(CatalogError) -> Pool? {
        try await readSQL { sql in try sql.record(Pool.self, id: id) }
    }

    /// Reads row `id` of `Record`, lets `change` edit it (and refuse, by throwing), and writes it
    /// back, in one transaction; `.notFound(resource)` when there is no such row.
    func updateRow<Record: MutablePersistableRecord & FetchableRecord & Sendable>(
        _ type: Record.Type, id: Int64, resource: String, _ change: @escaping @Sendable (inout Record) throws -> Void
    ) async throws(CatalogError) -> Record {
        try await writeSQL { sql in
            guard var row = try sql.record(Record.self, id: id) else {
                throw CatalogError.notFound(resource: resource, identifier: String(id))
            }
            try change(&row)
            try sql.updateRecord(row)
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
        try await readSQL { sql in
            var conditions = [TaskStatus.unfinishedCondition]
            var arguments: [DatabaseValue] = []
            for (column, value) in [("library_id", library), ("cartridge_id", cartridge), ("drive_id", drive)] {
                guard let value else { continue }
                conditions.append("\(column) = ?")
                arguments.append(value.databaseValue)
            }
            return try sql.fetchAll(LibraryTask.self, "SELECT * FROM tl_task_queue WHERE "
                                    + conditions.joined(separator: " AND ") + " ORDER BY id", arguments)
        }
    }

    /// Deletes a library (its slots, drives and changer with it); refused while tasks are queued or running for it.
    public func deleteLibrary(_ id: Int64) async throws(CatalogError) {
        try await writeSQL { sql in
            guard let library = try sql.record(TapeLibrary.self, id: id) else {
                throw CatalogError.notFound(resource: "tape_libraries", identifier: String(id))
            }
            let running = try sql.value(Int.self, "SELECT COUNT(*) FROM tl_task_queue WHERE library_id = ? AND "
                                        + TaskStatus.unfinishedCondition, [id.databaseValue]) ?? 0
            if running > 0 {
                throw CatalogError.conflict("tape library \(id) has \(running) unfinished task(s); kill them or let them end first")
            }
            let key = [id.databaseValue]
            // Cartridges of the library leave it (they are not deleted: their data and history stay).
            try sql.execute("""
                UPDATE tape_cartridges SET slot_id = NULL, location = 'offline'
                WHERE slot_id IN (SELECT id FROM library_slots WHERE library_id = ?)
                """, key)
            try sql.execute("UPDATE library_tape_drives SET library_id = NULL, loaded_cartridge_id = NULL WHERE library_id = ?", key)
            try sql.execute("UPDATE tl_task_queue SET library_id = NULL WHERE library_id = ?", key)
            try sql.execute("DELETE FROM library_slots WHERE library_id = ?", key)
            try sql.execute("DELETE FROM tape_libraries WHERE id = ?", key)
            if let changerID = library.mediumChangerId {
                try sql.execute("DELETE FROM medium_changers WHERE id = ?", [changerID.databaseValue])
            }
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
        try await writeSQL { sql in
            guard let cartridge = try sql.record(TapeCartridge.self, id: id) else {
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: String(id))
            }
            if cartridge.slotId != nil || cartridge.location.isInLibrary {
                throw CatalogError.conflict("cartridge \(cartridge.volumeTag) is in a library; export it first")
            }
            if try sql.value(Int.self, "SELECT COUNT(*) FROM tl_task_queue WHERE cartridge_id = ? AND "
                             + TaskStatus.unfinishedCondition, [id.databaseValue]) ?? 0 > 0 {
                throw CatalogError.conflict("cartridge \(cartridge.volumeTag) is used by an unfinished task")
            }
            do {
                try sql.execute("DELETE FROM tape_cartridges WHERE id = ?", [id.databaseValue])
            } catch where CatalogError(postgres: error).isConstraintViolation {
                throw CatalogError.conflict("cartridge \(cartridge.volumeTag) holds copies of backup records; it cannot be deleted")
            }
        }
    }

    /// Library tasks per status (task_status).
    public func libraryTaskStatusCounts() async throws(CatalogError) -> [(status: String, count: Int)] {
        let rows: [StatusCount] = try await readSQL { sql in
            try sql.rows("SELECT status, COUNT(*) AS n FROM tl_task_queue GROUP BY status", [])
                .map { StatusCount(status: $0["status"], count: $0["n"]) }
        }
        // Byte order, whatever the database's collation.
        return rows.sorted { $0.status.utf8.lexicographicallyPrecedes($1.status.utf8) }.map { (status: $0.status, count: $0.count) }
    }

    // MARK: Drives of a library

    /// Drives the catalog knows on `mediaServer` that no library has (a library deleted, a drive
    /// taken out): what POST library_tape_drives can add.
    public func unassignedDrives(mediaServer: Int64?) async throws(CatalogError) -> [LibraryTapeDrive] {
        try await readSQL { sql in
            if let mediaServer {
                return try sql.fetchAll(LibraryTapeDrive.self, """
                    SELECT * FROM library_tape_drives WHERE library_id IS NULL AND media_server_id = ? ORDER BY id
                    """, [mediaServer.databaseValue])
            }
            return try sql.fetchAll(LibraryTapeDrive.self, "SELECT * FROM library_tape_drives WHERE library_id IS NULL ORDER BY id")
        }
    }

    /// Puts drive `id` into library `libraryID` (same media server, not in another library).
    @discardableResult
    public func assignDrive(_ id: Int64, toLibrary libraryID: Int64) async throws(CatalogError) -> LibraryTapeDrive {
        try await writeSQL { sql in
            guard let library = try sql.record(TapeLibrary.self, id: libraryID) else {
                throw CatalogError.notFound(resource: "tape_libraries", identifier: String(libraryID))
            }
            guard var drive = try sql.record(LibraryTapeDrive.self, id: id) else {
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
            try sql.updateRecord(drive)
            return drive
        }
    }

    /// Takes drive `id` out of its library; refused while it holds a cartridge or a task uses it.
    public func unassignDrive(_ id: Int64) async throws(CatalogError) -> Int64? {
        try await writeSQL { sql in
            guard var drive = try sql.record(LibraryTapeDrive.self, id: id) else {
                throw CatalogError.notFound(resource: "library_tape_drives", identifier: String(id))
            }
            guard let libraryID = drive.libraryId else { return nil }
            if drive.loadedCartridgeId != nil { throw CatalogError.conflict("drive \(id) holds a cartridge; unload it first") }
            if try sql.value(Int.self, "SELECT COUNT(*) FROM tl_task_queue WHERE drive_id = ? AND "
                             + TaskStatus.unfinishedCondition, [id.databaseValue]) ?? 0 > 0 {
                throw CatalogError.conflict("drive \(id) is used by an unfinished task")
            }
            drive.libraryId = nil
            try sql.updateRecord(drive)
            return libraryID
        }
    }
}

/// A status and how many tasks have it (a tuple is not Sendable across the store's queue).
private struct StatusCount: Sendable {
    let status: String
    let count: Int
}

extension TaskStatus {
    /// `status NOT IN (…the final statuses…)`, with the statuses as literals (they are this
    /// enumeration's raw values, not input).
    static var unfinishedCondition: String {
        "status NOT IN (" + allCases.filter(\.isFinal).map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
    }
}

extension CatalogError {
    /// Whether `error` (as a store threw it) is a UNIQUE violation: SQLite's
    /// SQLITE_CONSTRAINT_UNIQUE, PostgreSQL's SQLSTATE 23505.
    static func isUniqueViolation(_ error: any Error) -> Bool {
        if let error = error as? DatabaseError { return error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE }
        if let error = error as? PSQLError { return error.serverInfo?[.sqlState] == "23505" }
        return false
    }

    /// Whether the catalog refused a write for a constraint (SQLite's SQLITE_CONSTRAINT,
    /// PostgreSQL's SQLSTATE class 23).
    var isConstraintViolation: Bool {
        if case .constraintViolation = self { return true }
        return false
    }
}
