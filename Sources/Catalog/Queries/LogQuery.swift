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

extension CatalogDatabase {
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
        var clauses: [String] = []
        var values: [DatabaseValue] = []
        if let statuses {
            clauses.append("status IN (" + statuses.map { _ in "?" }.joined(separator: ", ") + ")")
            values += statuses.map(\.databaseValue)
        }
        if let from = query.startedFrom { clauses.append("\(startColumn) >= ?"); values.append(from.databaseValue) }
        if let until = query.startedUntil { clauses.append("\(startColumn) < ?"); values.append(until.databaseValue) }
        for (sql, value) in extra { clauses.append(sql); values.append(value) }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let arguments = StatementArguments(values)
        let limit = query.pageSize
        let offset = (query.pageNo - 1) * query.pageSize
        return try await read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) \(whereClause)",
                                         arguments: arguments) ?? 0
            let list = try Record.fetchAll(db, sql: """
                SELECT * FROM \(table) \(whereClause) ORDER BY \(startColumn) DESC, id DESC LIMIT ? OFFSET ?
                """, arguments: arguments + [limit, offset])
            return LogPage(total: total, list: list)
        }
    }
}
