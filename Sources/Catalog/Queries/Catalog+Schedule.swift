import Foundation
import GRDB

/// What the job scheduler reads and writes.
extension CatalogDatabase {
    public func activeScheduledJobs() async throws(CatalogError) -> [ScheduledJob] {
        try await read { db in
            try ScheduledJob.filter(Column("is_active") == true).order(Column("priority").desc, Column("id")).fetchAll(db)
        }
    }

    /// Sets when a job runs next (nil: not scheduled); a one-off job that ran is deactivated.
    public func scheduleJob(_ jobID: Int64, nextRunAt: Date?, deactivate: Bool = false,
                            now: Date = Date()) async throws(CatalogError) {
        try await write { db in
            guard var job = try ScheduledJob.fetchOne(db, key: jobID) else {
                throw CatalogError.notFound(resource: "scheduled_jobs", identifier: String(jobID))
            }
            job.nextRunAt = nextRunAt
            if deactivate { job.isActive = false }
            try job.update(db)
        }
    }

    public func scheduledJob(id: Int64) async throws(CatalogError) -> ScheduledJob? {
        try await read { db in try ScheduledJob.fetchOne(db, key: id) }
    }

    public func runningExecutions() async throws(CatalogError) -> [JobExecution] {
        try await read { db in
            try JobExecution.filter(Column("status") == ExecutionStatus.running.rawValue).order(Column("id")).fetchAll(db)
        }
    }

    /// Records the backup task (task_queue) an execution started first.
    public func setExecutionBackupTask(_ executionID: Int64, taskID: Int64) async throws(CatalogError) {
        try await write { db in
            try db.execute(sql: "UPDATE job_executions SET task_id = ? WHERE id = ?", arguments: [taskID, executionID])
        }
    }

    /// Records the task an execution started.
    public func setExecutionTask(_ executionID: Int64, tlTaskID: Int64) async throws(CatalogError) {
        try await write { db in
            try db.execute(sql: "UPDATE job_executions SET tl_task_id = ? WHERE id = ?", arguments: [tlTaskID, executionID])
        }
    }

    /// Failed runs of a job since its last successful one (the retry count, across restarts).
    public func consecutiveFailures(job jobID: Int64) async throws(CatalogError) -> Int {
        try await read { db in
            let statuses = try String.fetchAll(db, sql: """
                SELECT status FROM job_executions WHERE job_id = ? AND status <> 'RUNNING' ORDER BY id DESC
                """, arguments: [jobID])
            return statuses.prefix { $0 == ExecutionStatus.failed.rawValue }.count
        }
    }
}
