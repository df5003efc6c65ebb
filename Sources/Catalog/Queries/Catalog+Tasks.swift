import Foundation
import GRDB

extension LibraryTask {
    /// The task after recording a new status: the task state machine, for both stores. Start and
    /// finish times follow the status; a final status cannot change again; done is 100 %.
    func recording(status: TaskStatus, progressPercent: Double?, phase: String?, failure: TaskFailure?,
                   now: Date) throws(CatalogError) -> LibraryTask {
        guard let id else { throw .invalidArgument("a task without an id has no status to record") }
        if self.status.isFinal && self.status != status {
            throw .invalidArgument("task \(id) already ended as \(self.status.rawValue)")
        }
        var task = self
        task.status = status
        if let progressPercent { task.progressPercent = progressPercent }
        if let phase { task.phase = phase }
        if task.startedAt == nil && status != .new && status != .assigned { task.startedAt = now }
        if status.isFinal && task.finishedAt == nil { task.finishedAt = now }
        if status == .done { task.progressPercent = 100 }
        if let failure {
            task.errorMessage = failure.message; task.errorCode = failure.code; task.senseKey = failure.senseKey
            task.asc = failure.asc; task.ascq = failure.ascq; task.senseDescription = failure.senseDescription
        }
        return task
    }

    static func validateProgress(_ progressPercent: Double?) throws(CatalogError) {
        if let progressPercent, !(0...100).contains(progressPercent) {
            throw .invalidArgument("progress \(progressPercent) outside 0...100")
        }
    }
}

extension CatalogDatabase {
    /// Queues a library operation; the id is the queue number the API reports.
    public func enqueue(_ task: LibraryTask) async throws(CatalogError) -> LibraryTask {
        try await write { db in var row = task; try row.insert(db); return row }
    }

    /// Records a library task's new status (committed before the hardware step it announces).
    /// Start and finish times follow the status; a final status cannot change again. `log`, when
    /// given, is a task_log line written in the same transaction.
    @discardableResult
    public func updateLibraryTask(_ id: Int64, status: TaskStatus, progressPercent: Double? = nil,
                                  phase: String? = nil, failure: TaskFailure? = nil,
                                  log: (level: String, message: String)? = nil,
                                  now: Date = Date()) async throws(CatalogError) -> LibraryTask {
        try LibraryTask.validateProgress(progressPercent)
        return try await write { db in
            guard let stored = try LibraryTask.fetchOne(db, key: id) else {
                throw CatalogError.notFound(resource: "tl_task_queue", identifier: String(id))
            }
            let task = try stored.recording(status: status, progressPercent: progressPercent, phase: phase,
                                            failure: failure, now: now)
            try task.update(db)
            if let log {
                var line = TaskLogEntry(tlTaskId: id, loggedAt: now, level: log.level, message: log.message)
                try line.insert(db)
            }
            return task
        }
    }

    /// Library tasks not yet final, oldest first within priority (higher priority first).
    public func pendingLibraryTasks(library libraryID: Int64? = nil) async throws(CatalogError) -> [LibraryTask] {
        try await read { db in
            var request = LibraryTask.filter(!TaskStatus.allCases.filter(\.isFinal).map(\.rawValue)
                .contains(Column("status")))
            if let libraryID { request = request.filter(Column("library_id") == libraryID) }
            return try request.order(Column("priority").desc, Column("created_at"), Column("id")).fetchAll(db)
        }
    }

    /// See `LibraryTaskQueue.claimNextLibraryTask`. SQLite has one writer at a time: the
    /// claim's select and update are one statement in one write transaction.
    public func claimNextLibraryTask(mediaServer: Int64, phase: String, now: Date = Date())
        async throws(CatalogError) -> LibraryTask? {
        try await write { db in
            try LibraryTask.fetchOne(db, sql: TaskQueueSQL.claimNext(locking: "") { _ in "?" },
                                     arguments: [phase, now, mediaServer])
        }
    }
}

/// Backup tasks queued and job executions, written once for both stores.
extension CatalogStore {
    public func enqueue(_ task: BackupTask) async throws(CatalogError) -> BackupTask {
        try await writeSQL { sql in try sql.insertRecord(task) }
    }

    /// Starts an execution of a job and stamps the job's last run.
    public func startExecution(job jobID: Int64, tlTaskID: Int64? = nil, taskID: Int64? = nil,
                               now: Date = Date()) async throws(CatalogError) -> JobExecution {
        try await writeSQL { sql in
            guard try sql.record(ScheduledJob.self, id: jobID) != nil else {
                throw CatalogError.notFound(resource: "scheduled_jobs", identifier: String(jobID))
            }
            let execution = try sql.insertRecord(JobExecution(jobId: jobID, startedAt: now, tlTaskId: tlTaskID, taskId: taskID))
            try sql.execute("UPDATE scheduled_jobs SET last_run_at = ? WHERE id = ?", [now.databaseValue, jobID.databaseValue])
            return execution
        }
    }

    /// Records an execution's end; true when this call recorded it. The first end recorded
    /// stands (false: the execution had ended already): on a shared catalog every node that
    /// starts follows the executions of jobs without a library, and each records the end it sees.
    @discardableResult
    public func finishExecution(_ id: Int64, status: ExecutionStatus, message: String = "",
                                now: Date = Date()) async throws(CatalogError) -> Bool {
        guard status != .running else { throw .invalidArgument("an execution cannot finish as RUNNING") }
        return try await writeSQL { sql in
            guard var execution = try sql.record(JobExecution.self, id: id) else {
                throw CatalogError.notFound(resource: "job_executions", identifier: String(id))
            }
            guard execution.status == .running else { return false }
            execution.status = status
            execution.finishedAt = now
            execution.message = message
            try sql.updateRecord(execution)
            return true
        }
    }
}

extension CatalogDatabase: LibraryTaskQueue {}
