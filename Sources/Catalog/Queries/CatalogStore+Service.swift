import Foundation
import GRDB

/// What the library service, the scheduler and admission read and write, written once for both
/// stores (`CatalogStore`, `CatalogSQL`).
extension CatalogStore {
    // MARK: Drives in use

    /// Records a drive's LTO generation (1…10) as the drive reported it.
    @discardableResult
    public func setDriveGeneration(_ driveID: Int64, generation: Int) async throws(CatalogError) -> LibraryTapeDrive {
        guard (1...10).contains(generation) else { throw .invalidArgument("drive generation \(generation) outside 1…10") }
        return try await updateRow(LibraryTapeDrive.self, driveID) { $0.generation = generation }
    }

    /// Whether a drive of `driveGeneration` reads and writes the cartridge labelled `volumeTag`
    /// (its catalog type when the catalog knows the cartridge, else the type its barcode names),
    /// from the tape_type_compatibility matrix. A type the matrix has no row for is neither.
    public func mediumAccess(driveGeneration: Int, volumeTag: String) async throws(CatalogError) -> MediumAccess {
        try await readSQL { sql in
            let table = try TapeTypeTable.load(sql)
            var type = table.type(forVolumeTag: volumeTag)
            if let typeID = try sql.value(Int64.self, "SELECT tape_type_id FROM tape_cartridges WHERE volume_tag = ?",
                                          [volumeTag.databaseValue]) {
                type = table.types.first { $0.id == typeID } ?? type
            }
            guard let type else { return MediumAccess(type: nil, canRead: false, canWrite: false) }
            let row = try sql.fetchOne(TapeCompatibility.self, """
                SELECT * FROM tape_type_compatibility WHERE drive_generation = ? AND tape_type_id = ?
                """, [driveGeneration.databaseValue, type.id.databaseValue])
            return MediumAccess(type: type, canRead: row?.canRead ?? false, canWrite: row?.canWrite ?? false)
        }
    }

    /// Records that a cartridge was mounted in a drive: the drive holds it, and both count the
    /// mount (the drive's count restarts at its next cleaning).
    public func recordMount(drive driveID: Int64, cartridge cartridgeID: Int64?) async throws(CatalogError) {
        try await writeSQL { sql in
            guard var drive = try sql.record(LibraryTapeDrive.self, id: driveID) else {
                throw CatalogError.notFound(resource: "library_tape_drives", identifier: String(driveID))
            }
            drive.loadedCartridgeId = cartridgeID
            drive.mountsSinceCleaning += 1
            try sql.updateRecord(drive)
            if let cartridgeID, var cartridge = try sql.record(TapeCartridge.self, id: cartridgeID) {
                cartridge.mounts += 1
                try sql.updateRecord(cartridge)
            }
        }
    }

    /// Records what a mount did to a drive, read from the drive as the cartridge left it:
    /// bytes read and written in the mount add to `bytes_since_cleaning`, TapeAlert flags seen
    /// (flag n is bit n−1) join `tape_alert_flags_seen`, and the drive holds no cartridge.
    public func recordUnmount(drive driveID: Int64, bytesTransferred: Int64, tapeAlertFlags: Int64)
        async throws(CatalogError) {
        guard bytesTransferred >= 0 else { throw .invalidArgument("bytes transferred \(bytesTransferred) < 0") }
        try await updateRow(LibraryTapeDrive.self, driveID) { drive in
            drive.loadedCartridgeId = nil
            let (sum, overflow) = drive.bytesSinceCleaning.addingReportingOverflow(bytesTransferred)
            drive.bytesSinceCleaning = overflow ? Int64.max : sum
            drive.tapeAlertFlagsSeen |= tapeAlertFlags
        }
    }

    /// Adds TapeAlert flags a drive reported to those it has ever shown.
    public func recordTapeAlerts(drive driveID: Int64, flags: Int64) async throws(CatalogError) {
        guard flags != 0 else { return }
        try await updateRow(LibraryTapeDrive.self, driveID) { $0.tapeAlertFlagsSeen |= flags }
    }

    /// Applies what a drive's TapeAlert flags say (Bacula's policy, scsi-reference.md), in one
    /// transaction: `driveState` (disabled, or needs_cleaning) unless an operator already
    /// disabled it; the cartridge that was in the drive gets `cartridgeError` as its last error
    /// and, with `cartridgeStatus`, that status when its lifecycle allows it (a cleaning
    /// cartridge keeps its own).
    public func recordDriveHealth(drive driveID: Int64, driveState: DriveState?, cartridge cartridgeID: Int64?,
                                  cartridgeStatus: CartridgeStatus?, cartridgeError: String?)
        async throws(CatalogError) {
        try await writeSQL { sql in
            if let driveState, var drive = try sql.record(LibraryTapeDrive.self, id: driveID), drive.state != .disabled {
                drive.state = driveState
                try sql.updateRecord(drive)
            }
            guard let cartridgeID, var cartridge = try sql.record(TapeCartridge.self, id: cartridgeID) else { return }
            if let cartridgeError { cartridge.lastError = cartridgeError }
            if let cartridgeStatus, cartridge.status != .cleaning,
               (try? CartridgeLifecycle.check(from: cartridge.status, to: cartridgeStatus, isWORM: cartridge.isWorm,
                                              isCleaning: false)) != nil {
                cartridge.status = cartridgeStatus
            }
            try sql.updateRecord(cartridge)
        }
    }

    /// Removes library tasks that ended with a status of `cutoffs` before its cutoff, with their
    /// task_log lines (ON DELETE CASCADE). Returns how many tasks were removed.
    @discardableResult
    public func pruneFinishedLibraryTasks(endedBefore cutoffs: [TaskStatus: Date]) async throws(CatalogError) -> Int {
        try await writeSQL { sql in
            var removed = 0
            for (status, cutoff) in cutoffs.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where status.isFinal {
                removed += try sql.execute("DELETE FROM tl_task_queue WHERE status = ? AND finished_at < ?",
                                           [status.rawValue.databaseValue, cutoff.databaseValue])
            }
            return removed
        }
    }

    public func appendLog(_ entry: TaskLogEntry) async throws(CatalogError) {
        _ = try await writeSQL { sql in try sql.insertRecord(entry) }
    }

    // MARK: Registration

    /// Barcodes of the cartridges in `library` (as its last sync saw it) that nobody registered,
    /// in element address order.
    public func unregisteredCartridges(library libraryID: Int64) async throws(CatalogError) -> [String] {
        try await readSQL { sql in
            try sql.rows("""
                SELECT tape_cartridges.volume_tag FROM tape_cartridges
                JOIN library_slots ON library_slots.id = tape_cartridges.slot_id
                WHERE library_slots.library_id = ? AND tape_cartridges.is_registered = 0
                ORDER BY library_slots.element_address
                """, [libraryID.databaseValue]).compactMap { $0["volume_tag"] as String? }
        }
    }

    /// Registers cartridges the catalog knows by barcode into `pool` (an import into a pool):
    /// unregistered ones become registered; every one joins the pool (none: they stay in the
    /// pool they are in; a cleaning cartridge serves every pool's drives and stays out of pools).
    /// Returns the barcodes registered now (those that were not before). Unknown barcodes are
    /// `.notFound`, and nothing is changed. Set-based (a statement per 500 barcodes), so
    /// registering the 40,000 cartridges a large library's first sync found takes a fraction
    /// of a second.
    @discardableResult
    public func registerCartridges(_ volumeTags: [String], pool poolID: Int64?) async throws(CatalogError) -> [String] {
        try await writeSQL { sql in
            if let poolID, try sql.value(Int64.self, "SELECT id FROM pools WHERE id = ?", [poolID.databaseValue]) == nil {
                throw CatalogError.notFound(resource: "pool_list", identifier: String(poolID))
            }
            let tags = Array(Set(volumeTags))
            var registered: [String] = []
            var found = 0
            for start in stride(from: 0, to: tags.count, by: 500) {
                let chunk = Array(tags[start..<min(start + 500, tags.count)])
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let values = chunk.map(\.databaseValue)
                let rows = try sql.rows("SELECT volume_tag, is_registered FROM tape_cartridges WHERE volume_tag IN (\(marks))",
                                        values)
                found += rows.count
                registered += rows.filter { ($0["is_registered"] as Bool?) == false }.compactMap { $0["volume_tag"] as String? }
                // The pool twice: "? IS NULL" needs its type on PostgreSQL, hence the CAST.
                try sql.execute("""
                    UPDATE tape_cartridges SET is_registered = 1,
                        pool_id = CASE WHEN CAST(? AS BIGINT) IS NULL OR status = 'cleaning' THEN pool_id ELSE ? END
                    WHERE volume_tag IN (\(marks))
                    """, [poolID.databaseValue, poolID.databaseValue] + values)
            }
            guard found == tags.count else {
                // Rolled back with the transaction: nothing is half-applied.
                var known = Set<String>()
                for start in stride(from: 0, to: tags.count, by: 500) {
                    let chunk = Array(tags[start..<min(start + 500, tags.count)])
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                    for row in try sql.rows("SELECT volume_tag FROM tape_cartridges WHERE volume_tag IN (\(marks))",
                                            chunk.map(\.databaseValue)) {
                        if let tag = row["volume_tag"] as String? { known.insert(tag) }
                    }
                }
                let missing = tags.filter { !known.contains($0) }.sorted()
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: missing.prefix(20).joined(separator: ", "))
            }
            let order = Dictionary(volumeTags.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            return registered.sorted { (order[$0] ?? 0) < (order[$1] ?? 0) }
        }
    }

    // MARK: Admission

    /// Admits media server `hostname` (hardware id `hwid`) in one transaction: the row it already
    /// has, else a new row when the catalog has no media server yet, else a request for
    /// authorisation (kept, its last sighting updated, when it asked before).
    public func admitMediaServer(hostname: String, hwid: String, now: Date = Date()) async throws(CatalogError) -> MediaServerAdmission {
        try await writeSQL { sql in
            if let id = try sql.value(Int64.self, "SELECT id FROM media_servers WHERE hostname = ?", [hostname.databaseValue]) {
                return .admitted(id: id, first: false)
            }
            if try sql.value(Int64.self, "SELECT COUNT(*) FROM media_servers") == 0 {
                let server = try sql.insertRecord(MediaServer(hostname: hostname, hwid: hwid))
                guard let id = server.id else { throw CatalogError.storage("media server \(hostname) was not given an id") }
                return .admitted(id: id, first: true)
            }
            if var request = try sql.fetchOne(UnauthorisedMediaServer.self,
                                              "SELECT * FROM unauthorised_media_servers WHERE hostname = ?",
                                              [hostname.databaseValue]) {
                request.hwid = hwid
                request.lastSeenAt = now
                try sql.updateRecord(request)
                return .waiting(request)
            }
            return .waiting(try sql.insertRecord(UnauthorisedMediaServer(hostname: hostname, hwid: hwid,
                                                                         firstSeenAt: now, lastSeenAt: now)))
        }
    }

    /// Authorises the media server waiting under `hostname`: its request becomes a media_servers
    /// row, in one transaction. Not found when no such request waits; a conflict when a media
    /// server of that name exists already.
    public func authoriseMediaServer(hostname: String) async throws(CatalogError) -> MediaServer {
        try await writeSQL { sql in
            guard let request = try sql.fetchOne(UnauthorisedMediaServer.self,
                                                 "SELECT * FROM unauthorised_media_servers WHERE hostname = ?",
                                                 [hostname.databaseValue]),
                  let requestID = request.id else {
                throw CatalogError.notFound(resource: "unauthorised media server", identifier: hostname)
            }
            if try sql.value(Int64.self, "SELECT COUNT(*) FROM media_servers WHERE hostname = ?", [hostname.databaseValue]) ?? 0 > 0 {
                throw CatalogError.conflict("media server \(hostname) is authorised already")
            }
            let server = try sql.insertRecord(MediaServer(hostname: hostname, hwid: request.hwid))
            try sql.execute("DELETE FROM unauthorised_media_servers WHERE id = ?", [requestID.databaseValue])
            return server
        }
    }

    public func unauthorisedMediaServer(id: Int64) async throws(CatalogError) -> UnauthorisedMediaServer? {
        try await readSQL { sql in try sql.record(UnauthorisedMediaServer.self, id: id) }
    }

    /// Removes a request for authorisation (the media server keeps waiting until it restarts and asks again).
    public func deleteUnauthorisedMediaServer(id: Int64) async throws(CatalogError) {
        try await writeSQL { sql in
            guard try sql.execute("DELETE FROM unauthorised_media_servers WHERE id = ?", [id.databaseValue]) == 1 else {
                throw CatalogError.notFound(resource: "unauthorised media server", identifier: String(id))
            }
        }
    }

    // MARK: Scheduled jobs

    public func insert(_ job: ScheduledJob) async throws(CatalogError) -> ScheduledJob {
        try await writeSQL { sql in try sql.insertRecord(job) }
    }

    public func activeScheduledJobs() async throws(CatalogError) -> [ScheduledJob] {
        try await readSQL { sql in
            try sql.fetchAll(ScheduledJob.self, "SELECT * FROM scheduled_jobs WHERE is_active = 1 ORDER BY priority DESC, id")
        }
    }

    /// Sets when a job runs next (nil: not scheduled); a one-off job that ran is deactivated.
    public func scheduleJob(_ jobID: Int64, nextRunAt: Date?, deactivate: Bool = false,
                            now: Date = Date()) async throws(CatalogError) {
        try await writeSQL { sql in
            guard var job = try sql.record(ScheduledJob.self, id: jobID) else {
                throw CatalogError.notFound(resource: "scheduled_jobs", identifier: String(jobID))
            }
            job.nextRunAt = nextRunAt
            if deactivate { job.isActive = false }
            try sql.updateRecord(job)
        }
    }

    public func scheduledJob(id: Int64) async throws(CatalogError) -> ScheduledJob? {
        try await readSQL { sql in try sql.record(ScheduledJob.self, id: id) }
    }

    /// A job's executions, oldest first.
    public func executions(ofJob jobID: Int64) async throws(CatalogError) -> [JobExecution] {
        try await readSQL { sql in
            try sql.fetchAll(JobExecution.self, "SELECT * FROM job_executions WHERE job_id = ? ORDER BY id", [jobID.databaseValue])
        }
    }

    public func runningExecutions() async throws(CatalogError) -> [JobExecution] {
        try await readSQL { sql in
            try sql.fetchAll(JobExecution.self, "SELECT * FROM job_executions WHERE status = ? ORDER BY id",
                             [ExecutionStatus.running.rawValue.databaseValue])
        }
    }

    /// Records the backup task (task_queue) an execution started first.
    public func setExecutionBackupTask(_ executionID: Int64, taskID: Int64) async throws(CatalogError) {
        _ = try await writeSQL { sql in
            try sql.execute("UPDATE job_executions SET task_id = ? WHERE id = ?", [taskID.databaseValue, executionID.databaseValue])
        }
    }

    /// Records the task an execution started.
    public func setExecutionTask(_ executionID: Int64, tlTaskID: Int64) async throws(CatalogError) {
        _ = try await writeSQL { sql in
            try sql.execute("UPDATE job_executions SET tl_task_id = ? WHERE id = ?", [tlTaskID.databaseValue, executionID.databaseValue])
        }
    }

    /// Failed runs of a job since its last successful one (the retry count, across restarts).
    public func consecutiveFailures(job jobID: Int64) async throws(CatalogError) -> Int {
        try await readSQL { sql in
            let statuses = try sql.rows("""
                SELECT status FROM job_executions WHERE job_id = ? AND status <> 'RUNNING' ORDER BY id DESC
                """, [jobID.databaseValue]).compactMap { $0["status"] as String? }
            return statuses.prefix { $0 == ExecutionStatus.failed.rawValue }.count
        }
    }
}
