import Foundation
import GRDB

/// The backup-core resources the API serves beside the tape ones: pools, repository records,
/// the backup task queue, scheduled jobs. Deletes refuse what other rows still need. Written
/// once for both stores (`CatalogStore`); `PoolChange` stays here (a protocol extension holds
/// no types).
extension CatalogDatabase {
    // MARK: Pools

    public struct PoolChange: Sendable {
        public var name: String?
        public var compressionType: String?
        public var description: String?
        public var retentionPeriod: String?
        public init(name: String? = nil, compressionType: String? = nil, description: String? = nil, retentionPeriod: String? = nil) {
            self.name = name; self.compressionType = compressionType; self.description = description
            self.retentionPeriod = retentionPeriod
        }
    }
}

extension CatalogStore {
    @discardableResult
    public func updatePool(_ id: Int64, _ change: CatalogDatabase.PoolChange, now: Date = Date()) async throws(CatalogError) -> Pool {
        try await updateRow(Pool.self, id: id, resource: "pool_list") { pool in
            if let name = change.name { pool.name = name }
            if let value = change.compressionType { pool.compressionType = value }
            if let value = change.description { pool.description = value }
            if let value = change.retentionPeriod { pool.retentionPeriod = value }
            pool.modifiedAt = now
        }
    }

    /// Deletes a pool that holds nothing: no repository record or copy, no library, no cartridge.
    public func deletePool(_ id: Int64) async throws(CatalogError) {
        try await writeSQL { sql in
            guard let pool = try sql.record(Pool.self, id: id) else {
                throw CatalogError.notFound(resource: "pool_list", identifier: String(id))
            }
            for (table, what) in [("repository", "backup records"), ("repository_copies", "copies"),
                                  ("tape_libraries", "tape libraries"), ("tape_cartridges", "cartridges")] {
                if try sql.value(Int.self, "SELECT COUNT(*) FROM \(table) WHERE pool_id = ?", [id.databaseValue]) ?? 0 > 0 {
                    throw CatalogError.conflict("pool \(pool.name) still has \(what); move or delete them first")
                }
            }
            try sql.execute("DELETE FROM pools WHERE id = ?", [id.databaseValue])
        }
    }

    /// What a pool's storage reports (seed 004's health): a tape pool is healthy when it has a
    /// cartridge it can write and a library that was synced; otherwise degraded (no writable
    /// cartridge) or faulty (its library is offline). Other pools report their stored state.
    public func poolHealth(_ pool: Pool) async throws(CatalogError) -> PoolHealth {
        guard pool.type == .tapeLibrary, let id = pool.id else { return pool.healthState }
        return try await readSQL { sql in
            let writable = try sql.value(Int.self, """
                SELECT COUNT(*) FROM tape_cartridges
                WHERE pool_id = ? AND status IN ('scratch', 'append') AND is_worm = 0 AND write_protected = 0
                """, [id.databaseValue]) ?? 0
            let offline = try sql.value(Int.self, """
                SELECT COUNT(*) FROM tape_libraries l JOIN medium_changers c ON c.id = l.medium_changer_id
                WHERE l.pool_id = ? AND c.state = 'offline'
                """, [id.databaseValue]) ?? 0
            if offline > 0 { return .faulty }
            return writable > 0 ? .healthy : .degraded
        }
    }

    // MARK: Repository

    public func record(id: Int64) async throws(CatalogError) -> BackupRecord? {
        try await readSQL { sql in try sql.record(BackupRecord.self, id: id) }
    }

    @discardableResult
    public func setStoreUntil(_ id: Int64, _ date: Date?) async throws(CatalogError) -> BackupRecord {
        try await updateRow(BackupRecord.self, id: id, resource: "repository") { $0.storeUntil = date }
    }

    /// Deletes a backup record; refused while a copy of it is on tape (delete the copies first:
    /// their cartridges' space is the operator's decision) or a task uses it.
    public func deleteRecord(_ id: Int64) async throws(CatalogError) {
        try await writeSQL { sql in
            guard try sql.record(BackupRecord.self, id: id) != nil else {
                throw CatalogError.notFound(resource: "repository", identifier: String(id))
            }
            if try sql.value(Int.self, "SELECT COUNT(*) FROM repository_copies WHERE repository_id = ?", [id.databaseValue]) ?? 0 > 0 {
                throw CatalogError.conflict("backup record \(id) has copies in tape pools")
            }
            if try sql.value(Int.self, "SELECT COUNT(*) FROM task_queue WHERE repository_id = ? AND "
                             + TaskStatus.unfinishedCondition, [id.databaseValue]) ?? 0 > 0 {
                throw CatalogError.conflict("backup record \(id) is used by an unfinished task")
            }
            try sql.execute("DELETE FROM repository WHERE id = ?", [id.databaseValue])
        }
    }

    // MARK: Backup task queue

    public func backupTask(id: Int64) async throws(CatalogError) -> BackupTask? {
        try await readSQL { sql in try sql.record(BackupTask.self, id: id) }
    }

    /// Deletes an ended backup task (an unfinished one is killed first, not deleted).
    public func deleteBackupTask(_ id: Int64) async throws(CatalogError) {
        try await writeSQL { sql in
            guard let task = try sql.record(BackupTask.self, id: id) else {
                throw CatalogError.notFound(resource: "task_queue", identifier: String(id))
            }
            guard task.status.isFinal else {
                throw CatalogError.conflict("task \(id) is \(task.status.rawValue); kill it before deleting it")
            }
            try sql.execute("DELETE FROM task_queue WHERE id = ?", [id.databaseValue])
        }
    }

    /// Deletes every backup task that ended with `status` (error, killed or obsoleted); returns how many.
    public func deleteBackupTasks(status: TaskStatus) async throws(CatalogError) -> Int {
        guard [.error, .killed, .obsoleted].contains(status) else {
            throw .invalidArgument("only error, killed and obsoleted tasks are deleted by status")
        }
        return try await writeSQL { sql in
            try sql.execute("DELETE FROM task_queue WHERE status = ?", [status.rawValue.databaseValue])
        }
    }

    /// Records a backup task that could not run, ended at once with its reason (never queued as if it could).
    public func recordRefusedBackupTask(_ task: BackupTask, reason: String, now: Date = Date()) async throws(CatalogError)
        -> BackupTask {
        try await writeSQL { sql in
            var row = task
            row.status = .error
            row.startedAt = now
            row.finishedAt = now
            row.errorMessage = reason
            row = try sql.insertRecord(row)
            _ = try sql.insertRecord(TaskLogEntry(taskId: row.id, loggedAt: now, level: "error", message: reason))
            return row
        }
    }

    // MARK: Scheduled jobs

    @discardableResult
    public func replaceScheduledJob(_ job: ScheduledJob) async throws(CatalogError) -> ScheduledJob {
        guard let id = job.id else { throw .invalidArgument("a scheduled job without id") }
        return try await updateRow(ScheduledJob.self, id: id, resource: "scheduled_jobs") { row in
            let createdAt = row.createdAt, author = row.author, lastRunAt = row.lastRunAt
            row = job
            row.createdAt = createdAt; row.author = author; row.lastRunAt = lastRunAt
        }
    }

    public func deleteScheduledJob(_ id: Int64) async throws(CatalogError) {
        try await writeSQL { sql in
            guard try sql.execute("DELETE FROM scheduled_jobs WHERE id = ?", [id.databaseValue]) == 1 else {
                throw CatalogError.notFound(resource: "scheduled_jobs", identifier: String(id))
            }
        }
    }

    // MARK: Pool storage

    /// Adds a directory or block device to a pool; a path or device already used is a conflict.
    public func insertStorage<Record: MutablePersistableRecord & FetchableRecord & Sendable>(_ row: Record)
        async throws(CatalogError) -> Record {
        try await writeSQL { sql in
            do {
                return try sql.insertRecord(row)
            } catch where CatalogError.isUniqueViolation(error) {
                throw CatalogError.conflict("that storage is already registered")
            }
        }
    }

    public func storageLocalCatalog(id: Int64) async throws(CatalogError) -> StorageLocalCatalog? {
        try await readSQL { sql in try sql.record(StorageLocalCatalog.self, id: id) }
    }

    public func storageBlockDevice(id: Int64) async throws(CatalogError) -> StorageBlockDevice? {
        try await readSQL { sql in try sql.record(StorageBlockDevice.self, id: id) }
    }

    /// Removes a storage row (the backups on it stay where they are; the pool no longer uses it).
    public func deleteStorage<Record: MutablePersistableRecord & FetchableRecord>(_ type: Record.Type, id: Int64, resource: String)
        async throws(CatalogError) {
        try await writeSQL { sql in
            guard try sql.execute("DELETE FROM \(Record.databaseTableName) WHERE id = ?", [id.databaseValue]) == 1 else {
                throw CatalogError.notFound(resource: resource, identifier: String(id))
            }
        }
    }
}
