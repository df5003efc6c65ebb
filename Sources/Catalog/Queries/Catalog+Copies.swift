import Foundation
import GRDB

/// A copy of a record being written to a tape pool, as the catalog keeps it: it starts
/// `in_progress`, gains one extent per part as each part is written (with the cartridge's bytes
/// and fullness in the same transaction), and becomes `complete` only when every part was
/// written — verified when it was read back — or `failed`. Nothing is recorded as copied that
/// was not written.
extension CatalogStore {
    /// Starts a copy of `recordID` into `poolID`. An earlier copy of the record in that pool that
    /// failed or was interrupted is replaced (its tape files stay on the cartridges, unreferenced);
    /// a complete one is a conflict.
    public func beginCopy(of recordID: Int64, inPool poolID: Int64, now: Date = Date()) async throws(CatalogError) -> RepositoryCopy {
        try await writeSQL { sql in
            if let earlier = try sql.fetchOne(RepositoryCopy.self, "SELECT * FROM repository_copies WHERE repository_id = ? AND pool_id = ?",
                                              [recordID.databaseValue, poolID.databaseValue]) {
                guard earlier.state != .complete else {
                    throw CatalogError.conflict("record \(recordID) already has a complete copy in pool \(poolID) (copy \(earlier.id ?? 0))")
                }
                try sql.execute("DELETE FROM repository_copies WHERE id = ?", [earlier.id.databaseValue])
            }
            return try sql.insertRecord(RepositoryCopy(repositoryId: recordID, poolId: poolID, state: .inProgress, createdAt: now))
        }
    }

    /// Records one part written: its extent, and the cartridge's bytes written and status
    /// (`append`, or `full` when the drive reported early warning) in one transaction.
    public func recordPartWritten(_ extent: RepositoryCopyExtent, bytesOnTape: Int64, cartridgeFull: Bool)
        async throws(CatalogError) -> RepositoryCopyExtent {
        try await writeSQL { sql in
            var row = extent
            row.id = nil
            row = try sql.insertRecord(row)
            guard var cartridge = try sql.record(TapeCartridge.self, id: extent.cartridgeId) else {
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: String(extent.cartridgeId))
            }
            cartridge.bytesWritten = max(cartridge.bytesWritten, bytesOnTape)
            let target: CartridgeStatus = cartridgeFull ? .full : .append
            if cartridge.status != target {
                try CartridgeLifecycle.check(from: cartridge.status, to: target, isWORM: cartridge.isWorm, isCleaning: false)
                cartridge.status = target
            }
            try sql.updateRecord(cartridge)
            return row
        }
    }

    /// Marks a cartridge full without a part on it (early warning before a part could start).
    public func markCartridgeFull(_ cartridgeID: Int64) async throws(CatalogError) {
        try await writeSQL { sql in
            guard var cartridge = try sql.record(TapeCartridge.self, id: cartridgeID) else {
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: String(cartridgeID))
            }
            guard cartridge.status != .full else { return }
            try CartridgeLifecycle.check(from: cartridge.status, to: .full, isWORM: cartridge.isWorm, isCleaning: false)
            cartridge.status = .full
            try sql.updateRecord(cartridge)
        }
    }

    /// Ends a copy: complete (verified when it was read back) or failed.
    public func finishCopy(_ copyID: Int64, state: CopyState, verified: Bool = false) async throws(CatalogError) -> RepositoryCopy {
        try await writeSQL { sql in
            guard var copy = try sql.record(RepositoryCopy.self, id: copyID) else {
                throw CatalogError.notFound(resource: "repository_copies", identifier: String(copyID))
            }
            guard copy.state == .inProgress else {
                throw CatalogError.conflict("copy \(copyID) has ended already (\(copy.state.rawValue))")
            }
            copy.state = state
            copy.verified = state == .complete && verified
            try sql.updateRecord(copy)
            return copy
        }
    }

    /// Marks a copy verified after a verification read it all back and matched.
    public func markCopyVerified(_ copyID: Int64) async throws(CatalogError) {
        try await writeSQL { sql in
            try sql.execute("UPDATE repository_copies SET verified = 1 WHERE id = ? AND state = 'complete'", [copyID.databaseValue])
        }
    }

    /// The cartridges (`c`) a copy may write, in storage slots (`s`) of libraries (`l`): the one
    /// definition, for `writableCartridge` and for the claims (`leftToOthers`); conditions
    /// follow with AND.
    static var writableCartridges: String {
        """
        FROM tape_cartridges c JOIN library_slots s ON s.id = c.slot_id JOIN tape_libraries l ON l.id = s.library_id
        WHERE s.kind = 'storage' AND c.status IN ('append', 'scratch') AND c.write_protected = 0 AND c.is_worm = 0
        """
    }

    /// The cartridge a copy into tape pool `poolID` continues on: the pool's appendable
    /// cartridge, else one of its scratch cartridges, among those in a storage slot of a library
    /// (not in a drive or a mail slot), not in `excluding`; with its library.
    /// `libraries`: only cartridges in these (the libraries the asking media server serves; nil: any).
    public func writableCartridge(pool poolID: Int64, excluding: Set<Int64> = [], libraries: Set<Int64>? = nil)
        async throws(CatalogError) -> (cartridge: TapeCartridge, libraryID: Int64)? {
        if let libraries, libraries.isEmpty { return nil }
        let inLibraries = libraries.map { " AND s.library_id IN (\($0.map { _ in "?" }.joined(separator: ", ")))" } ?? ""
        let arguments = [poolID.databaseValue] + (libraries?.sorted().map(\.databaseValue) ?? [])
        return try await readSQL { sql in
            let rows = try sql.rows("""
                SELECT c.id AS cartridge_id, s.library_id AS library_id \(Self.writableCartridges) AND c.pool_id = ?\(inLibraries)
                ORDER BY CASE WHEN c.status = 'scratch' THEN 1 ELSE 0 END, c.id
                """, arguments)
            for row in rows {
                let id: Int64 = row["cartridge_id"]
                guard !excluding.contains(id), let cartridge = try sql.record(TapeCartridge.self, id: id) else { continue }
                return (cartridge, row["library_id"])
            }
            return nil
        }
    }

    /// Where end of data is on a cartridge after the native-format parts the catalog knows on it
    /// (each part: header … trailer at `last_block`, then a filemark): the block after the last
    /// one's filemark; 0 when it holds none.
    public func endOfRecordedParts(cartridge cartridgeID: Int64) async throws(CatalogError) -> Int64 {
        try await readSQL { sql in
            let last = try sql.value(Int64.self, """
                SELECT MAX(last_block) FROM repository_copy_extents WHERE cartridge_id = ? AND ltfs_path IS NULL
                """, [cartridgeID.databaseValue])
            return last.map { $0 + 2 } ?? 0
        }
    }

    /// Copies of records that `recordID` has, with their extents, complete ones only.
    public func completeCopies(of recordID: Int64) async throws(CatalogError) -> [(RepositoryCopy, [RepositoryCopyExtent])] {
        try await readSQL { sql in
            let copies = try sql.fetchAll(RepositoryCopy.self, "SELECT * FROM repository_copies WHERE repository_id = ? AND state = ? ORDER BY id",
                                          [recordID.databaseValue, CopyState.complete.rawValue.databaseValue])
            return try copies.map { copy in
                (copy, try sql.fetchAll(RepositoryCopyExtent.self, "SELECT * FROM repository_copy_extents WHERE copy_id = ? ORDER BY part_index",
                                        [copy.id.databaseValue]))
            }
        }
    }
}

/// The backup-core queue (task_queue) as the copy runner works it.
extension CatalogStore {
    /// Takes the oldest queued task of `types` (highest priority first), compare and set
    /// `new` → `start`; nil when none waits.
    /// `mediaServer`: the claiming node, recorded on the task (`task_queue.media_server_id`).
    /// `shared`: the catalog has other nodes, and this one leaves them the tasks whose archive is
    /// on another's host or whose tapes are all in their libraries (`Self.leftToOthers`).
    public func claimNextBackupTask(types: [BackupTaskType], mediaServer: Int64? = nil, shared: Bool = false, now: Date = Date())
        async throws(CatalogError) -> BackupTask? {
        let leaving = shared ? mediaServer : nil
        return try await writeSQL { sql in
            let placeholders = types.map { _ in "?" }.joined(separator: ", ")
            guard var task = try sql.fetchOne(BackupTask.self, """
                SELECT * FROM task_queue t WHERE status = 'new' AND type IN (\(placeholders))
                    \(leaving == nil ? "" : "AND NOT \(Self.leftToOthers)")
                ORDER BY priority DESC, id LIMIT 1
                """, types.map(\.rawValue.databaseValue) + (leaving.map { Array(repeating: $0.databaseValue, count: 3) } ?? []))
            else { return nil }
            task.status = .start
            task.startedAt = now
            task.phase = "starting"
            try sql.updateRecord(task)
            if let mediaServer {
                try sql.execute("UPDATE task_queue SET media_server_id = ? WHERE id = ?", [mediaServer.databaseValue, task.id.databaseValue])
            }
            return task
        }
    }

    /// A queued task (`t`) another media server should run (the condition takes media server
    /// `?`'s id three times):
    /// - a copy or a move of a record whose archive is known to be on another media server's host
    ///   (`archive_media_server_id`): only that one can read the file;
    /// - otherwise, when the tapes it needs — for a copy or a move the target pool's writable
    ///   cartridges (`writableCartridge`), for a verification or a restore those holding the
    ///   record's complete copies in its pool — are in libraries, and none in one of `?`'s: a node
    ///   drives only its own robots, so the owner of the tapes claims the task.
    /// A task whose tapes are in no library is anyone's, and one whose archive is on one media
    /// server and tapes with another is the archive's: either fails saying what is missing.
    static var leftToOthers: String {
        let writable = "\(writableCartridges) AND t.type IN ('copy', 'move') AND c.pool_id = t.target_pool_id"
        let holding = """
            FROM repository_copies rc JOIN repository_copy_extents e ON e.copy_id = rc.id
                JOIN tape_cartridges c ON c.id = e.cartridge_id JOIN library_slots s ON s.id = c.slot_id
                JOIN tape_libraries l ON l.id = s.library_id
            WHERE t.type IN ('verify', 'restore') AND rc.repository_id = t.repository_id
              AND rc.pool_id = COALESCE(t.target_pool_id, t.pool_id) AND rc.state = 'complete'
            """
        let archiveHost = "(SELECT r.archive_media_server_id FROM repository r WHERE r.id = t.repository_id)"
        return """
            (CASE WHEN t.type IN ('copy', 'move') AND \(archiveHost) IS NOT NULL THEN \(archiveHost) <> ?
             ELSE ((EXISTS (SELECT 1 \(writable)) AND NOT EXISTS (SELECT 1 \(writable) AND l.media_server_id = ?))
                   OR (EXISTS (SELECT 1 \(holding)) AND NOT EXISTS (SELECT 1 \(holding) AND l.media_server_id = ?))) END)
            """
    }

    /// Updates a running backup task's phase and percent (0…100), with a log line when given.
    public func updateBackupTask(_ id: Int64, status: TaskStatus? = nil, phase: String? = nil, percent: Double? = nil,
                                 failure: TaskFailure? = nil, log: String? = nil, now: Date = Date()) async throws(CatalogError) {
        try await writeSQL { sql in
            guard var task = try sql.record(BackupTask.self, id: id) else {
                throw CatalogError.notFound(resource: "task_queue", identifier: String(id))
            }
            if let status {
                task.status = status
                if status.isFinal && task.finishedAt == nil { task.finishedAt = now }
                if status == .done { task.progressPercent = 100 }
            }
            if let phase { task.phase = phase }
            if let percent { task.progressPercent = min(100, max(0, percent)) }
            if let failure {
                task.errorMessage = failure.message; task.senseKey = failure.senseKey; task.asc = failure.asc
                task.ascq = failure.ascq; task.senseDescription = failure.senseDescription
            }
            try sql.updateRecord(task)
            if let log {
                _ = try sql.insertRecord(TaskLogEntry(taskId: id, loggedAt: now, level: failure == nil ? "info" : "error", message: log))
            }
        }
    }

    /// Backup tasks left started by a service that stopped without ending them: `broken`.
    /// `mediaServer`: only the tasks that media server claimed (a node starting on a shared
    /// catalog); nil: every started task (the catalog's only service). A copy left
    /// `in_progress` by no running copy or move is failed.
    public func breakInterruptedBackupTasks(mediaServer: Int64? = nil, now: Date = Date()) async throws(CatalogError) -> Int {
        try await writeSQL { sql in
            let count = try sql.execute("""
                UPDATE task_queue SET status = 'broken', finished_at = ?,
                    error_message = COALESCE(error_message, 'the service stopped while the task ran')
                WHERE (status IN ('start', 'execution', 'transmission') OR (status = 'suspended' AND started_at IS NOT NULL))
                  AND type IN ('copy', 'verify', 'restore', 'move')
                  AND (CAST(? AS BIGINT) IS NULL OR media_server_id = ?)
                """, [now.databaseValue, mediaServer.databaseValue, mediaServer.databaseValue])
            try sql.execute("""
                UPDATE repository_copies SET state = 'failed'
                WHERE state = 'in_progress' AND NOT EXISTS (
                    SELECT 1 FROM task_queue AS t
                    WHERE t.repository_id = repository_copies.repository_id AND t.target_pool_id = repository_copies.pool_id
                      AND t.type IN ('copy', 'move') AND t.status IN ('start', 'execution', 'transmission', 'suspended'))
                """, [])
            return count
        }
    }
}

extension CatalogStore {
    /// Records a copy-to-tape job copies into tape pool `targetPoolID`: those of `sourcePoolID`
    /// (every pool that is not a tape pool when nil) that have an archive on this host, no
    /// complete copy in the target and no copy into it queued or running.
    public func recordsToCopy(into targetPoolID: Int64, from sourcePoolID: Int64?) async throws(CatalogError) -> [BackupRecord] {
        try await readSQL { sql in
            try sql.fetchAll(BackupRecord.self, """
                SELECT repository.* FROM repository JOIN pools ON pools.id = repository.pool_id
                WHERE repository.path IS NOT NULL AND pools.type <> 'Tape library'
                  AND (CAST(? AS BIGINT) IS NULL OR repository.pool_id = ?)
                  AND NOT EXISTS (SELECT 1 FROM repository_copies c WHERE c.repository_id = repository.id
                                  AND c.pool_id = ? AND c.state = 'complete')
                  AND NOT EXISTS (SELECT 1 FROM task_queue t WHERE t.repository_id = repository.id AND t.type = 'copy'
                                  AND t.target_pool_id = ? AND t.status IN ('new', 'assigned', 'start', 'execution', 'transmission'))
                ORDER BY repository.id
                """, [sourcePoolID.databaseValue, sourcePoolID.databaseValue, targetPoolID.databaseValue, targetPoolID.databaseValue])
        }
    }
}

/// Moves and restores into a pool: where a record's archive lives on this host.
extension CatalogStore {
    /// The directories of a pool's local catalogs (storage_local_catalogs), in the order they
    /// were added.
    public func localCatalogDirectories(pool poolID: Int64) async throws(CatalogError) -> [String] {
        try await readSQL { sql in
            try sql.rows("SELECT path FROM storage_local_catalogs WHERE pool_id = ? ORDER BY id", [poolID.databaseValue])
                .compactMap { $0["path"] as String? }
        }
    }

    /// Ends a move: record `recordID` now lives in tape pool `poolID`, held by its complete,
    /// verified copy `copyID` there; it has no archive on this host any more (the caller removes
    /// the file after this commits). Refused unless that copy is complete and verified and the
    /// record still has the archive `expectedPath` in another pool.
    @discardableResult
    public func completeMove(record recordID: Int64, into poolID: Int64, copy copyID: Int64, expectedPath: String)
        async throws(CatalogError) -> BackupRecord {
        try await writeSQL { sql in
            guard var record = try sql.record(BackupRecord.self, id: recordID) else {
                throw CatalogError.notFound(resource: "repository", identifier: String(recordID))
            }
            guard let copy = try sql.record(RepositoryCopy.self, id: copyID), copy.repositoryId == recordID, copy.poolId == poolID,
                  copy.state == .complete, copy.verified else {
                throw CatalogError.conflict("record \(recordID) has no complete, verified copy \(copyID) in pool \(poolID) to move onto")
            }
            guard record.path == expectedPath, record.poolId != poolID else {
                throw CatalogError.conflict("record \(recordID) changed while it was moved (its archive or pool is not what the move started from)")
            }
            record.poolId = poolID
            record.path = nil
            record.archiveMediaServerId = nil
            try sql.updateRecord(record)
            return record
        }
    }

    /// Gives record `recordID`, which has no archive on this host, the archive a restore wrote to
    /// `path` inside a local catalog of pool `poolID` on media server `mediaServer`'s host: the
    /// record is that pool's again.
    @discardableResult
    public func adoptRestoredArchive(record recordID: Int64, pool poolID: Int64, path: String, mediaServer: Int64?)
        async throws(CatalogError) -> BackupRecord {
        try await writeSQL { sql in
            guard var record = try sql.record(BackupRecord.self, id: recordID) else {
                throw CatalogError.notFound(resource: "repository", identifier: String(recordID))
            }
            guard record.path == nil else {
                throw CatalogError.conflict("record \(recordID) has an archive on this host already (\(record.path ?? ""))")
            }
            record.poolId = poolID
            record.path = path
            record.archiveMediaServerId = mediaServer
            try sql.updateRecord(record)
            return record
        }
    }
}
