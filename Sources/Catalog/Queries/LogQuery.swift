import Foundation
import GRDB

/// The seed 003 job-log filter: SUCCESS / FAILED / ALL.
public enum LogStatusFilter: String, Sendable, CaseIterable {
    case success = "SUCCESS"
    case failed = "FAILED"
    case all = "ALL"
}

/// Seed-style log query: status, start-time window, `pageNo` (1-based) and `pageSize`.
public struct LogQuery: Sendable, Equatable {
    public var status: LogStatusFilter
    public var startedFrom: Date?
    public var startedUntil: Date?
    public var pageNo: Int
    public var pageSize: Int

    public init(status: LogStatusFilter = .all, startedFrom: Date? = nil, startedUntil: Date? = nil,
                pageNo: Int = 1, pageSize: Int = 20) {
        self.status = status; self.startedFrom = startedFrom; self.startedUntil = startedUntil
        self.pageNo = pageNo; self.pageSize = pageSize
    }
}

/// `{"total", "list"}` as seed 003 answers log queries.
public struct LogPage<Item: Sendable>: Sendable {
    public var total: Int
    public var list: [Item]
}

/// The log endpoints, written once for both stores.
extension CatalogStore {
    /// Executions of scheduled jobs, newest first.
    public func jobExecutions(_ query: LogQuery, job jobID: Int64? = nil) async throws(CatalogError)
        -> LogPage<JobExecution> {
        let statuses: [String]? = switch query.status {
        case .success: [ExecutionStatus.success.rawValue]
        case .failed: [ExecutionStatus.failed.rawValue]
        case .all: nil
        }
        var conditions: [(String, DatabaseValue)] = []
        if let jobID { conditions.append(("job_id = ?", jobID.databaseValue)) }
        return try await logPage(query, table: "job_executions", startColumn: "started_at",
                                 statuses: statuses, extra: conditions, as: JobExecution.self)
    }

    /// Library tasks as a log: SUCCESS is done; FAILED is error, killed or broken.
    public func libraryTaskLog(_ query: LogQuery) async throws(CatalogError) -> LogPage<LibraryTask> {
        let statuses: [String]? = switch query.status {
        case .success: [TaskStatus.done.rawValue]
        case .failed: [TaskStatus.error.rawValue, TaskStatus.killed.rawValue, TaskStatus.broken.rawValue]
        case .all: nil
        }
        return try await logPage(query, table: "tl_task_queue", startColumn: "started_at",
                                 statuses: statuses, extra: [], as: LibraryTask.self)
    }

    /// Backup-core tasks as a log, with the same status mapping as `libraryTaskLog`.
    public func backupTaskLog(_ query: LogQuery) async throws(CatalogError) -> LogPage<BackupTask> {
        let statuses: [String]? = switch query.status {
        case .success: [TaskStatus.done.rawValue]
        case .failed: [TaskStatus.error.rawValue, TaskStatus.killed.rawValue, TaskStatus.broken.rawValue]
        case .all: nil
        }
        return try await logPage(query, table: "task_queue", startColumn: "started_at",
                                 statuses: statuses, extra: [], as: BackupTask.self)
    }

    private func logPage<Record: FetchableRecord & Sendable>(
        _ query: LogQuery, table: String, startColumn: String, statuses: [String]?,
        extra: [(String, DatabaseValue)], as type: Record.Type
    ) async throws(CatalogError) -> LogPage<Record> {
        guard query.pageNo >= 1, query.pageNo <= ListQuery.maximumPage,
              query.pageSize >= 1, query.pageSize <= ListQuery.maximumLimit else {
            throw .filter(.invalidPaging("pageNo must be ≥ 1 and pageSize within 1...\(ListQuery.maximumLimit)"))
        }
        let limit = query.pageSize
        let offset = (query.pageNo - 1) * query.pageSize
        return try await readSQL { sql in
            // Times are text in both stores: compared and sorted byte by byte (PostgreSQL's
            // COLLATE "C", SQLite's BINARY).
            let time = sql.dialect == .postgres ? "\(startColumn) COLLATE \"C\"" : startColumn
            var clauses: [String] = []
            var values: [DatabaseValue] = []
            if let statuses {
                clauses.append("status IN (" + statuses.map { _ in "?" }.joined(separator: ", ") + ")")
                values += statuses.map(\.databaseValue)
            }
            if let from = query.startedFrom { clauses.append("\(time) >= ?"); values.append(from.databaseValue) }
            if let until = query.startedUntil { clauses.append("\(time) < ?"); values.append(until.databaseValue) }
            for (condition, value) in extra { clauses.append(condition); values.append(value) }
            let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            let total = try sql.value(Int.self, "SELECT COUNT(*) FROM \(table) \(whereClause)", values) ?? 0
            let list = try sql.fetchAll(Record.self, """
                SELECT * FROM \(table) \(whereClause) ORDER BY \(time) DESC, id DESC LIMIT ? OFFSET ?
                """, values + [limit.databaseValue, offset.databaseValue])
            return LogPage(total: total, list: list)
        }
    }
}
