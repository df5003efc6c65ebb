import Foundation
import GRDB

/// Scheduled jobs run once across media servers sharing a catalog: a run is claimed per due
/// time. Both stores implement it with the same statement (`JobRunSQL.claim`), and tests run the
/// same assertions against each.
public protocol JobRunClaims: Sendable {
    /// Records the start of job `jobID`'s run due at `due` and returns its execution, or nil when
    /// that run is not this caller's: another media server claimed it, or the job was deactivated
    /// or rescheduled meanwhile. The run due at `due` is claimable while the job is active, its
    /// `next_run_at` is still `due`, and it has not run since `due` (`last_run_at`); claiming sets
    /// `last_run_at` to `now` (≥ due, since a scheduler claims only runs that are due).
    func claimJobRun(_ jobID: Int64, due: Date, now: Date) async throws(CatalogError) -> JobExecution?
}

enum JobRunSQL {
    /// Parameters: now, job id, due. `textOrder` makes the dates (text) compare byte by byte in
    /// stores whose text comparison follows a locale (PostgreSQL: `COLLATE "C"`).
    static func claim(textOrder: String, placeholder: (Int) -> String) -> String {
        """
        UPDATE scheduled_jobs SET last_run_at = \(placeholder(1))
        WHERE id = \(placeholder(2)) AND is_active = 1 AND next_run_at = \(placeholder(3))
            AND (last_run_at IS NULL OR last_run_at\(textOrder) < \(placeholder(3)))
        RETURNING id
        """
    }
}

extension CatalogDatabase: JobRunClaims {
    public func claimJobRun(_ jobID: Int64, due: Date, now: Date = Date()) async throws(CatalogError) -> JobExecution? {
        guard now >= due else { throw .invalidArgument("a run due at \(due) cannot be claimed before it is due (\(now))") }
        return try await write { db in
            guard try ScheduledJob.exists(db, key: jobID) else {
                throw CatalogError.notFound(resource: "scheduled_jobs", identifier: String(jobID))
            }
            // SQLite's numbered parameters (?NNN) let the due time be used twice.
            let claimed = try Row.fetchOne(db, sql: JobRunSQL.claim(textOrder: "", placeholder: { "?\($0)" }),
                                           arguments: [now, jobID, due])
            guard claimed != nil else { return nil }
            var execution = JobExecution(jobId: jobID, startedAt: now)
            try execution.insert(db)
            return execution
        }
    }
}

extension PostgresCatalog: JobRunClaims {
    public func claimJobRun(_ jobID: Int64, due: Date, now: Date = Date()) async throws(CatalogError) -> JobExecution? {
        guard now >= due else { throw .invalidArgument("a run due at \(due) cannot be claimed before it is due (\(now))") }
        return try await transaction { session in
            guard try await !session.rows("SELECT 1 AS present FROM scheduled_jobs WHERE id = $1", [jobID.databaseValue]).isEmpty else {
                throw CatalogError.notFound(resource: "scheduled_jobs", identifier: String(jobID))
            }
            let claimed = try await session.rows(JobRunSQL.claim(textOrder: " COLLATE \"C\"", placeholder: Self.placeholder),
                                                 [now.databaseValue, jobID.databaseValue, due.databaseValue])
            guard !claimed.isEmpty else { return nil }
            return try await session.insert(JobExecution(jobId: jobID, startedAt: now))
        }
    }
}
