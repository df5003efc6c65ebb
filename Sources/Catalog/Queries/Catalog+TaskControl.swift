import Foundation
import GRDB

/// The seed's task controls (api.md: kill, pause, continue, restart).
public enum TaskControlAction: String, Sendable, CaseIterable {
    case kill, pause
    case `continue` = "continue"
    case restart
}

/// What a task control did.
public enum TaskControlOutcome: Sendable, Equatable {
    /// Done in the catalog: a queued task killed, held or released; a finished one queued again.
    case applied(LibraryTask)
    /// A running task was asked to stop: its engine stops it at its next safe point and records
    /// how it ended.
    case requested(LibraryTask)

    public var task: LibraryTask {
        switch self {
        case .applied(let task), .requested(let task): return task
        }
    }
}

extension CatalogStore {
    /// Applies a task control in one transaction (compare and set against the task's status as
    /// it is now), with a task_log line. Refusals are `.conflict` with the reason, never a
    /// silent no-op:
    /// - kill: a queued or held task ends `killed`; a running one gets `control_request = kill`.
    /// - pause: a queued task is held (`suspended`, never started). A running library task has
    ///   no resumable point (SSC cannot resume an ERASE or FORMAT where it stopped): refused.
    /// - continue: a held task is queued again.
    /// - restart: a task that ended error, killed or broken is queued again as the next
    ///   attempt; its earlier error stays in task_log.
    public func controlLibraryTask(_ id: Int64, _ action: TaskControlAction, by who: String = "operator",
                                   now: Date = Date()) async throws(CatalogError) -> TaskControlOutcome {
        try await writeSQL { sql in
            guard var task = try sql.record(LibraryTask.self, id: id) else {
                throw CatalogError.notFound(resource: "tl_task_queue", identifier: String(id))
            }
            let held = task.status == .suspended && task.startedAt == nil
            let running = !task.status.isFinal && task.status != .new && !held
            func log(_ level: String, _ message: String) throws {
                _ = try sql.insertRecord(TaskLogEntry(tlTaskId: id, loggedAt: now, level: level, message: message))
            }
            switch action {
            case .kill:
                if task.status == .new || held {
                    task.status = .killed
                    task.finishedAt = now
                    task.errorMessage = "killed by \(who) before it started"
                    task.errorCode = "killed"
                    try sql.updateRecord(task)
                    try log("warning", task.errorMessage ?? "")
                    return .applied(task)
                }
                guard running else {
                    throw CatalogError.conflict("task \(id) already ended as \(task.status.rawValue); nothing to kill")
                }
                guard task.controlRequest != .kill else { return .requested(task) }
                task.controlRequest = .kill
                try sql.updateRecord(task)
                try log("warning", "kill requested by \(who); the task stops at its next safe point")
                return .requested(task)
            case .pause:
                if task.status == .new {
                    task.status = .suspended
                    try sql.updateRecord(task)
                    try log("info", "paused by \(who) before it started; continue releases it")
                    return .applied(task)
                }
                if held { throw CatalogError.conflict("task \(id) is already paused") }
                if running {
                    throw CatalogError.conflict("task \(id) (\(task.type.rawValue)) is running and has no point to "
                        + "resume from (a drive cannot resume an erase, format or robot move where it stopped); "
                        + "kill it, or let it finish")
                }
                throw CatalogError.conflict("task \(id) already ended as \(task.status.rawValue); only a queued task can be paused")
            case .continue:
                guard held else {
                    if task.status == .new { throw CatalogError.conflict("task \(id) is queued, not paused") }
                    if running { throw CatalogError.conflict("task \(id) is running, not paused") }
                    throw CatalogError.conflict("task \(id) already ended as \(task.status.rawValue); "
                        + "restart it to run it again")
                }
                task.status = .new
                try sql.updateRecord(task)
                try log("info", "continued by \(who)")
                try Self.announceQueued(task, sql)
                return .applied(task)
            case .restart:
                guard [.error, .killed, .broken].contains(task.status) else {
                    if task.status == .done { throw CatalogError.conflict("task \(id) ended done; there is nothing to restart") }
                    throw CatalogError.conflict("task \(id) has not ended (\(task.status.rawValue)); only a task that "
                        + "ended error, killed or broken can be restarted")
                }
                let previous = task.errorMessage.map { ": \($0)" } ?? ""
                try log("info", "attempt \(task.attempt) ended \(task.status.rawValue)\(previous); restarted by \(who) "
                    + "as attempt \(task.attempt + 1)")
                task.attempt += 1
                task.status = .new
                // A task addressed by cartridge chooses its drive again (the one it had may be
                // disabled or busy now).
                if task.cartridgeId != nil && [.erase, .format, .checkLTFS].contains(task.type) { task.driveId = nil }
                task.controlRequest = nil
                task.progressPercent = 0
                task.phase = ""
                task.startedAt = nil
                task.finishedAt = nil
                task.errorMessage = nil
                task.errorCode = nil
                task.senseKey = nil; task.asc = nil; task.ascq = nil; task.senseDescription = nil
                try sql.updateRecord(task)
                try Self.announceQueued(task, sql)
                return .applied(task)
            }
        }
    }
}

extension CatalogStore {
    /// A task queued again (continued, restarted) wakes the engine that serves its library, as a
    /// new one does: on PostgreSQL a notification on `tapelib_tasks`, delivered at commit (on
    /// SQLite the engine is in the process that writes, and polls for others).
    static func announceQueued(_ task: LibraryTask, _ sql: any CatalogSQL) throws {
        guard sql.dialect == .postgres else { return }
        _ = try sql.rows("SELECT pg_notify(?, ?)::text AS sent",
                         [PostgresCatalog.taskChannel.databaseValue, (task.libraryId.map(String.init) ?? "").databaseValue])
    }
}

extension CatalogStore {
    /// Ends a task the engine refused before starting it as `error`, with a log line — only if it
    /// is still queued (compare and set): a task an operator paused or killed meanwhile is left as
    /// the operator made it. Returns whether the task was failed.
    @discardableResult
    public func failQueuedLibraryTask(_ id: Int64, failure: TaskFailure, now: Date = Date())
        async throws(CatalogError) -> Bool {
        try await writeSQL { sql in
            guard var task = try sql.record(LibraryTask.self, id: id), task.status == .new else { return false }
            task.status = .error
            task.finishedAt = now
            task.errorMessage = failure.message
            task.errorCode = failure.code
            task.senseKey = failure.senseKey; task.asc = failure.asc; task.ascq = failure.ascq
            task.senseDescription = failure.senseDescription
            try sql.updateRecord(task)
            _ = try sql.insertRecord(TaskLogEntry(tlTaskId: id, loggedAt: now, level: "error", message: failure.message))
            return true
        }
    }
}

extension CatalogStore {
    /// The task controls for backup tasks (task_queue: copies, verifications, restores), in one
    /// transaction with a task_log line; refusals are `.conflict` with the reason.
    /// - kill: a queued or held task ends `killed`; a running one gets `control_request = kill`
    ///   and stops at its next block (the copy is failed, its cartridge goes home).
    /// - pause: a queued task is held (`suspended`); a running one gets `control_request = pause`
    ///   and holds between two blocks, its cartridge in the drive, `suspended` until continued.
    /// - continue: a held task is queued again; a paused running one resumes.
    /// - restart: a task that ended error, killed or broken is queued again.
    public func controlBackupTask(_ id: Int64, _ action: TaskControlAction, by who: String = "operator",
                                  now: Date = Date()) async throws(CatalogError) -> BackupTask {
        try await writeSQL { sql in
            guard var task = try sql.record(BackupTask.self, id: id) else {
                throw CatalogError.notFound(resource: "task_queue", identifier: String(id))
            }
            let held = task.status == .suspended && task.startedAt == nil
            let pausedRunning = task.startedAt != nil && task.controlRequest == .pause
            let running = !task.status.isFinal && task.status != .new && !held
            func log(_ level: String, _ message: String) throws {
                _ = try sql.insertRecord(TaskLogEntry(taskId: id, loggedAt: now, level: level, message: message))
            }
            switch action {
            case .kill:
                if task.status == .new || held {
                    task.status = .killed
                    task.finishedAt = now
                    task.errorMessage = "killed by \(who) before it started"
                    try sql.updateRecord(task)
                    try log("warning", task.errorMessage ?? "")
                    return task
                }
                guard running else { throw CatalogError.conflict("task \(id) already ended as \(task.status.rawValue); nothing to kill") }
                task.controlRequest = .kill
                try sql.updateRecord(task)
                try log("warning", "kill requested by \(who); the task stops after its current block")
                return task
            case .pause:
                if task.status == .new {
                    task.status = .suspended
                    try sql.updateRecord(task)
                    try log("info", "paused by \(who) before it started; continue releases it")
                    return task
                }
                if held || pausedRunning { throw CatalogError.conflict("task \(id) is already paused") }
                guard running else {
                    throw CatalogError.conflict("task \(id) already ended as \(task.status.rawValue); only a queued or running task can be paused")
                }
                guard task.controlRequest != .kill else { throw CatalogError.conflict("task \(id) is being killed") }
                task.controlRequest = .pause
                try sql.updateRecord(task)
                try log("info", "pause requested by \(who); the task holds after its current block")
                return task
            case .continue:
                if held {
                    task.status = .new
                    try sql.updateRecord(task)
                    try log("info", "continued by \(who)")
                    return task
                }
                guard pausedRunning else {
                    if task.status == .new { throw CatalogError.conflict("task \(id) is queued, not paused") }
                    if running { throw CatalogError.conflict("task \(id) is running, not paused") }
                    throw CatalogError.conflict("task \(id) already ended as \(task.status.rawValue); restart it to run it again")
                }
                task.controlRequest = nil
                try sql.updateRecord(task)
                try log("info", "continued by \(who)")
                return task
            case .restart:
                guard [.error, .killed, .broken].contains(task.status) else {
                    if task.status == .done { throw CatalogError.conflict("task \(id) ended done; there is nothing to restart") }
                    throw CatalogError.conflict("task \(id) has not ended (\(task.status.rawValue)); only a task that "
                        + "ended error, killed or broken can be restarted")
                }
                try log("info", "ended \(task.status.rawValue)\(task.errorMessage.map { ": \($0)" } ?? ""); restarted by \(who)")
                task.status = .new
                task.controlRequest = nil
                task.progressPercent = 0
                task.phase = ""
                task.startedAt = nil
                task.finishedAt = nil
                task.errorMessage = nil
                task.senseKey = nil; task.asc = nil; task.ascq = nil; task.senseDescription = nil
                try sql.updateRecord(task)
                return task
            }
        }
    }
}
