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

/// Written once for both stores (`CatalogStore.writeSQL`).
extension CatalogStore {
    public func claimJobRun(_ jobID: Int64, due: Date, now: Date = Date()) async throws(CatalogError) -> JobExecution? {
        guard now >= due else { throw .invalidArgument("a run due at \(due) cannot be claimed before it is due (\(now))") }
        return try await writeSQL { sql in
            guard try sql.record(ScheduledJob.self, id: jobID) != nil else {
                throw CatalogError.notFound(resource: "scheduled_jobs", identifier: String(jobID))
            }
            // Dates are text in both stores: compared byte by byte (PostgreSQL's text order
            // follows the locale unless told otherwise).
            let textOrder = sql.dialect == .postgres ? " COLLATE \"C\"" : ""
            let claimed = try sql.rows("""
                UPDATE scheduled_jobs SET last_run_at = ?
                WHERE id = ? AND is_active = 1 AND next_run_at = ?
                    AND (last_run_at IS NULL OR last_run_at\(textOrder) < ?)
                RETURNING id
                """, [now.databaseValue, jobID.databaseValue, due.databaseValue, due.databaseValue])
            guard !claimed.isEmpty else { return nil }
            return try sql.insertRecord(JobExecution(jobId: jobID, startedAt: now))
        }
    }
}

extension CatalogDatabase: JobRunClaims {}

extension PostgresCatalog: JobRunClaims {}
