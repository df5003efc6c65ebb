import Foundation

/// The library task queue as both stores implement it: the first part of the catalog that runs
/// on PostgreSQL as well as SQLite. Tests run the same assertions against each
/// (`TaskQueueStoreTests`). The state machine is `LibraryTask.recording`; the claim's SQL is
/// `TaskQueueSQL`'s, which each store completes with its placeholders and row locking.
public protocol LibraryTaskQueue: Sendable {
    /// Queues a task; the id is its queue number.
    func enqueue(_ task: LibraryTask) async throws(CatalogError) -> LibraryTask
    func libraryTask(id: Int64) async throws(CatalogError) -> LibraryTask?
    /// Tasks not yet final, by priority (higher first), then age.
    func pendingLibraryTasks(library: Int64?) async throws(CatalogError) -> [LibraryTask]
    /// Compare and set: starts task `id` when it is still new; false when another engine took it,
    /// or an operator cancelled it, first.
    func claimLibraryTask(_ id: Int64, phase: String, drive: Int64?, now: Date) async throws(CatalogError) -> Bool
    /// Starts the first new task (priority, then age) of a library media server `mediaServer`
    /// owns, and returns it. Engines of different media servers never take each other's tasks,
    /// and two engines never start the same task. Nil when no task is free to claim: on
    /// PostgreSQL a new task whose row another transaction holds at that moment is passed over
    /// (SKIP LOCKED), so an engine keeps its poll beside the wake-ups.
    func claimNextLibraryTask(mediaServer: Int64, phase: String, now: Date) async throws(CatalogError) -> LibraryTask?
    /// Records a task's new status (`LibraryTask.recording`), with an optional log line.
    func updateLibraryTask(_ id: Int64, status: TaskStatus, progressPercent: Double?, phase: String?,
                           failure: TaskFailure?, log: (level: String, message: String)?, now: Date)
        async throws(CatalogError) -> LibraryTask
    /// Started tasks of `libraries` end `broken` (after a crash of the engine that ran them).
    func breakInterruptedLibraryTasks(libraries: Set<Int64>, reason: String, now: Date) async throws(CatalogError) -> [LibraryTask]
}

/// Task-queue SQL written once; `placeholder(n)` gives a store's n-th parameter (`?` or `$n`).
enum TaskQueueSQL {
    /// Started statuses a crash leaves unfinished; a task paused before it started stays held.
    static let interruptedStatuses: [TaskStatus] = [.start, .execution, .transmission, .suspended]

    /// Parameters: phase, started_at, media server id. `locking` is what the store adds to keep
    /// two claimers off one row (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite has one writer).
    static func claimNext(locking: String, placeholder: (Int) -> String) -> String {
        """
        UPDATE tl_task_queue SET status = 'start', phase = \(placeholder(1)), started_at = \(placeholder(2))
        WHERE status = 'new' AND id = (
            SELECT queued.id FROM tl_task_queue AS queued
            WHERE queued.status = 'new' AND queued.library_id IN (
                SELECT libraries.id FROM tape_libraries AS libraries WHERE libraries.media_server_id = \(placeholder(3)))
            ORDER BY queued.priority DESC, queued.created_at, queued.id
            LIMIT 1 \(locking))
        RETURNING *
        """
    }

    /// Parameters: phase, started_at, drive (may be null), id.
    static func claim(placeholder: (Int) -> String) -> String {
        """
        UPDATE tl_task_queue SET status = 'start', phase = \(placeholder(1)), started_at = \(placeholder(2)),
            drive_id = COALESCE(\(placeholder(3)), drive_id)
        WHERE id = \(placeholder(4)) AND status = 'new'
        RETURNING id
        """
    }
}

extension LibraryTask {
    /// The task ended `broken` by a crash: what both stores record.
    func interrupted(reason: String, now: Date) -> LibraryTask {
        var task = self
        task.status = .broken
        task.finishedAt = now
        task.errorMessage = reason
        task.errorCode = "interrupted"
        return task
    }
}
