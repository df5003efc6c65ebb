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

    /// Executions a stopped service left RUNNING end as FAILED with `reason`.
    @discardableResult
    public func failRunningExecutions(reason: String, now: Date = Date()) async throws(CatalogError) -> Int {
        try await write { db in
            try db.execute(sql: """
                UPDATE job_executions SET status = 'FAILED', finished_at = ?, message = ?
                WHERE status = 'RUNNING'
                """, arguments: [now, reason])
            return db.changesCount
        }
    }
}
