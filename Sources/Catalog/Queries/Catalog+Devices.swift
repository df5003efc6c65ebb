import Foundation
import GRDB

/// What the library service writes about devices and tasks as hardware comes and goes.
extension CatalogDatabase {
    public func libraryTask(id: Int64) async throws(CatalogError) -> LibraryTask? {
        try await read { db in try LibraryTask.fetchOne(db, key: id) }
    }

    /// Starts a queued task if it is still queued (compare and set): false when another
    /// process took it or it was cancelled meanwhile.
    /// `drive`: the drive the engine chose for a task addressed by cartridge, recorded with the start.
    public func claimLibraryTask(_ id: Int64, phase: String, drive: Int64? = nil, now: Date = Date())
        async throws(CatalogError) -> Bool {
        try await write { db in
            try Row.fetchOne(db, sql: TaskQueueSQL.claim { _ in "?" }, arguments: [phase, now, drive, id]) != nil
        }
    }

    /// After a crash or a kill, library tasks of `libraries` that had started cannot be trusted
    /// to have finished: they end as `broken` with `reason`, in one transaction, and are returned
    /// so the service can sync their libraries before anything resumes. Tasks not started stay
    /// queued; other libraries' tasks (another media server's) are not touched.
    public func breakInterruptedLibraryTasks(libraries: Set<Int64>, reason: String, now: Date = Date())
        async throws(CatalogError) -> [LibraryTask] {
        try await write { db in
            // A task an operator paused before it started (suspended, never started) stays held.
            var tasks = try LibraryTask.filter(TaskQueueSQL.interruptedStatuses.map(\.rawValue).contains(Column("status")))
                .filter(Column("status") != TaskStatus.suspended.rawValue || Column("started_at") != nil)
                .filter(Array(libraries).contains(Column("library_id")))
                .order(Column("id")).fetchAll(db)
            for index in tasks.indices {
                tasks[index] = tasks[index].interrupted(reason: reason, now: now)
                try tasks[index].update(db)
                var line = TaskLogEntry(tlTaskId: tasks[index].id, loggedAt: now, level: "error", message: reason)
                try line.insert(db)
            }
            return tasks
        }
    }
}
