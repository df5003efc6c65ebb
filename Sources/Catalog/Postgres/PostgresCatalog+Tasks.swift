import Foundation
import GRDB
import PostgresNIO

extension PostgresCatalog: LibraryTaskQueue {
    static func placeholder(_ index: Int) -> String { "$\(index)" }

    /// Queues a task and announces it on `tapelib_tasks` (delivered when the insert commits), so
    /// the owning node's engine wakes without polling.
    public func enqueue(_ task: LibraryTask) async throws(CatalogError) -> LibraryTask {
        try await transaction { session in
            let stored = try await session.insert(task)
            try await session.execute("SELECT pg_notify($1, $2)",
                                      [Self.taskChannel.databaseValue, (stored.libraryId.map(String.init) ?? "").databaseValue])
            return stored
        }
    }

    public func libraryTask(id: Int64) async throws(CatalogError) -> LibraryTask? {
        try await autocommit { session in
            try await session.fetchOne(LibraryTask.self, "SELECT * FROM tl_task_queue WHERE id = $1", [id.databaseValue])
        }
    }

    public func pendingLibraryTasks(library: Int64? = nil) async throws(CatalogError) -> [LibraryTask] {
        let final = TaskStatus.allCases.filter(\.isFinal).map(\.rawValue)
        var sql = "SELECT * FROM tl_task_queue WHERE NOT (status = ANY($1::text[]))"
        var arguments: [DatabaseValue] = [Self.textArray(final)]
        if let library {
            sql += " AND library_id = $2"
            arguments.append(library.databaseValue)
        }
        sql += " ORDER BY priority DESC, created_at, id"
        let query = sql
        let values = arguments
        return try await autocommit { session in try await session.fetchAll(LibraryTask.self, query, values) }
    }

    public func claimLibraryTask(_ id: Int64, phase: String, drive: Int64? = nil, now: Date = Date())
        async throws(CatalogError) -> Bool {
        defer { changes.bump() }
        return try await autocommit { session in
            try await !session.rows(TaskQueueSQL.claim(placeholder: Self.placeholder),
                                    [phase.databaseValue, now.databaseValue, drive.databaseValue, id.databaseValue]).isEmpty
        }
    }

    /// SKIP LOCKED: a claimer passes over the row another claimer holds instead of waiting for
    /// it, so engines competing for one queue each take a different task at once. One statement,
    /// its own transaction: the row lock lasts only while the UPDATE runs.
    public func claimNextLibraryTask(mediaServer: Int64, phase: String, now: Date = Date())
        async throws(CatalogError) -> LibraryTask? {
        defer { changes.bump() }
        return try await autocommit { session in
            try await session.fetchOne(LibraryTask.self,
                                       TaskQueueSQL.claimNext(locking: "FOR UPDATE SKIP LOCKED", placeholder: Self.placeholder),
                                       [phase.databaseValue, now.databaseValue, mediaServer.databaseValue])
        }
    }

    @discardableResult
    public func updateLibraryTask(_ id: Int64, status: TaskStatus, progressPercent: Double? = nil, phase: String? = nil,
                                  failure: TaskFailure? = nil, log: (level: String, message: String)? = nil,
                                  now: Date = Date()) async throws(CatalogError) -> LibraryTask {
        try LibraryTask.validateProgress(progressPercent)
        let logLine = log.map { TaskLogEntry(tlTaskId: id, loggedAt: now, level: $0.level, message: $0.message) }
        return try await transaction { session in
            guard let stored = try await session.fetchOne(LibraryTask.self, "SELECT * FROM tl_task_queue WHERE id = $1 FOR UPDATE",
                                                          [id.databaseValue]) else {
                throw CatalogError.notFound(resource: "tl_task_queue", identifier: String(id))
            }
            let task = try stored.recording(status: status, progressPercent: progressPercent, phase: phase,
                                            failure: failure, now: now)
            try await session.update(task)
            if let logLine { _ = try await session.insert(logLine) }
            return task
        }
    }

    public func breakInterruptedLibraryTasks(libraries: Set<Int64>, reason: String, now: Date = Date())
        async throws(CatalogError) -> [LibraryTask] {
        let statuses = Self.textArray(TaskQueueSQL.interruptedStatuses.map(\.rawValue))
        let libraryIDs = Self.integerArray(libraries.sorted())
        return try await transaction { session in
            let tasks = try await session.fetchAll(LibraryTask.self, """
                SELECT * FROM tl_task_queue
                WHERE status = ANY($1::text[]) AND (status <> 'suspended' OR started_at IS NOT NULL) AND library_id = ANY($2::bigint[])
                ORDER BY id FOR UPDATE
                """, [statuses, libraryIDs])
            var ended: [LibraryTask] = []
            for task in tasks {
                let broken = task.interrupted(reason: reason, now: now)
                try await session.update(broken)
                _ = try await session.insert(TaskLogEntry(tlTaskId: task.id, loggedAt: now, level: "error", message: reason))
                ended.append(broken)
            }
            return ended
        }
    }

    static func textArray(_ values: [String]) -> DatabaseValue {
        ("{" + values.map { "\"\($0)\"" }.joined(separator: ",") + "}").databaseValue
    }

    static func integerArray(_ values: [Int64]) -> DatabaseValue {
        ("{" + values.map(String.init).joined(separator: ",") + "}").databaseValue
    }
}
