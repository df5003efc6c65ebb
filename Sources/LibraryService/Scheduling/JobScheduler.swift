import Catalog
import Foundation
import Logging
import ServiceLifecycle

/// Runs the catalog's scheduled jobs for the libraries this engine serves: library syncs and
/// drive cleaning, and copies to tape (a copy task per record without a copy in the tape pool,
/// run by `BackupTaskRunner`). A job runs every
/// `interval_hours` (counted from when it was due, so runs do not drift), or on its `crontab`;
/// each run is a job execution (RUNNING, then SUCCESS or FAILED with the tasks' outcome) naming
/// the task it started. A failed run is retried after `retry_wait_seconds`, up to `max_retries`
/// times in a row (counted from the catalog, so a restart does not reset it). A one-off job
/// (`is_periodic` false) runs once and is deactivated; so is a job whose crontab does not parse
/// or never matches. After a restart, executions whose tasks are still queued or running are
/// followed again; the others end as FAILED.
public actor JobScheduler {
    struct Execution {
        var id: Int64
        var job: ScheduledJob
        var taskIDs: [Int64]
        /// The tasks are backup tasks (task_queue: a copy-to-tape job's copies), not library tasks.
        var backup = false
    }

    let catalog: TapeCatalog
    let engine: LibraryTaskEngine
    let tick: Duration
    let calendar: Calendar
    let logger: Logger
    private var running: [Int64: Execution] = [:]   // by job id
    /// Execution ends that could not be written yet: retried each pass.
    private var unrecorded: [(id: Int64, status: ExecutionStatus, message: String)] = []
    private var recovered = false

    /// `calendar`: crontab times are read in it; by default the Gregorian calendar in the host's
    /// time zone (not the locale's calendar, which may be another).
    public init(catalog: TapeCatalog, engine: LibraryTaskEngine, tick: Duration = .seconds(30),
                calendar: Calendar? = nil, logger: Logger = Logger(label: "tapelib.scheduler")) {
        self.catalog = catalog
        self.engine = engine
        self.tick = tick
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = TimeZone.current
        self.calendar = calendar ?? gregorian
        self.logger = logger
    }

    /// When `job` runs next after `now`: its crontab's next minute; else the first whole
    /// interval after `now` counted from when it was last due (`due`), or one interval from now.
    public static func nextRun(of job: ScheduledJob, due: Date?, after now: Date, calendar: Calendar) throws(CronError) -> Date? {
        if let crontab = job.crontab, !crontab.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return try CronSchedule(crontab).next(after: now, calendar: calendar)
        }
        let interval = TimeInterval(max(1, job.intervalHours)) * 3_600
        guard let due, due <= now else { return (due ?? now).addingTimeInterval(due == nil ? interval : 0) }
        let periods = (now.timeIntervalSince(due) / interval).rounded(.down) + 1
        return due.addingTimeInterval(periods * interval)
    }

    public func serve() async {
        while !Task.isCancelled {
            await pass(now: Date())
            do { try await Task.sleep(for: tick) } catch { break }
        }
    }

    /// Runs job `jobID` now (POST scheduled_jobs/{id}/executions), as a due run would: an
    /// execution is recorded and the job's tasks are queued. Returns their ids (none when there
    /// was nothing to do, e.g. no drive needs cleaning).
    public func runNow(_ jobID: Int64, now: Date = Date()) async throws(ServiceError) -> [Int64] {
        let job: ScheduledJob?
        do { job = try await catalog.scheduledJob(id: jobID) } catch { throw ServiceError(error) }
        guard let job else { throw ServiceError(.notFound, "scheduled job \(jobID) not found") }
        guard running[jobID] == nil else {
            throw ServiceError(.conflict, "job \(job.name) is running; its current execution has not ended")
        }
        if let libraryID = job.libraryId, !(await engine.isAttached(libraryID)) {
            throw ServiceError(.libraryOffline, "tape library \(libraryID) of job \(job.name) is not served by this media server")
        }
        await start(job, due: now, now: now, onDemand: true)
        if let execution = running[jobID] { return execution.taskIDs }
        let last = try? await catalog.listJobExecutions(ListQuery(filter: "job_id=\"\(jobID)\"", limit: 1, sort: "id",
                                                                  direction: .descending)).items.first
        if let last, last.status == .failed { throw ServiceError(.refused, "job \(job.name) could not run: \(last.message)") }
        return []
    }

    /// One round: (once) take over executions a previous run left RUNNING, follow running
    /// executions, then start the jobs that are due.
    public func pass(now: Date) async {
        if !recovered {
            recovered = await recoverExecutions(now: now)
            lastOrphanCheck = now
        } else if catalog.isShared, now.timeIntervalSince(lastOrphanCheck) >= Self.orphanCheckInterval {
            // Nodes stop while this one runs: what they left of jobs without a library is
            // looked at again now and then, not only when a node starts.
            if await recoverExecutions(now: now, withoutLibraryOnly: true) { lastOrphanCheck = now }
        }
        await recordUnrecorded()
        await followRunning(now: now)
        let jobs: [ScheduledJob]
        do { jobs = try await catalog.activeScheduledJobs() } catch {
            logger.error("reading scheduled jobs failed: \(error)")
            return
        }
        for job in jobs {
            guard let id = job.id, running[id] == nil else { continue }
            if let libraryID = job.libraryId, !(await engine.isAttached(libraryID)) { continue }
            guard let due = job.nextRunAt else {
                // Never scheduled: its first run is one period away (or its crontab's next minute).
                await reschedule(job, due: nil, now: now)
                continue
            }
            if due <= now { await start(job, due: due, now: now) }
        }
    }

    /// Seconds after which an execution of a job without a library that has no task yet is taken
    /// for abandoned on a shared catalog: a node records an execution and queues its tasks in
    /// one pass, in well under a second.
    public static let abandonedAfter: TimeInterval = 600

    /// How often a running node on a shared catalog looks again for executions of jobs without
    /// a library that no node follows (their node stopped): it follows those with tasks, so that
    /// their end is recorded, and fails those without one once `abandonedAfter` old.
    public static let orphanCheckInterval: TimeInterval = 300
    private var lastOrphanCheck = Date.distantPast

    /// Executions left RUNNING: followed again when their task is still in the queue (the outcome
    /// of the task decides them), else ended as FAILED. Returns false when the catalog could not
    /// be read (tried again next pass). `withoutLibraryOnly`: the later checks, which leave alone
    /// the jobs of libraries (this node's own it follows already, others' are their nodes') and
    /// the executions this node follows.
    private func recoverExecutions(now: Date, withoutLibraryOnly: Bool = false) async -> Bool {
        do {
            for execution in try await catalog.runningExecutions() {
                guard let executionID = execution.id else { continue }
                if withoutLibraryOnly, running.values.contains(where: { $0.id == executionID }) { continue }
                let job = try await catalog.scheduledJob(id: execution.jobId)
                if withoutLibraryOnly, job?.libraryId != nil { continue }
                // On a shared catalog a job of a library is the node's that serves the library:
                // another node's execution is that node's to follow or to end. An execution of a
                // job without a library (a copy job) may have been started by any node, which
                // may have stopped since: every node that starts follows it once it has a task,
                // and the first to see its tasks end records the end (`finishExecution` keeps
                // the first). One without a task yet is being started by a live node, or was
                // left by a node that stopped before queuing anything: it is failed only once it
                // is older than a start takes by far (`abandonedAfter`).
                var anyNodes = false
                if catalog.isShared {
                    if let libraryID = job?.libraryId, !(await engine.isAttached(libraryID)) { continue }
                    anyNodes = job?.libraryId == nil
                }
                // Its task's outcome decides it, whether the task is still queued or ended meanwhile.
                if let taskID = execution.tlTaskId, try await catalog.libraryTask(id: taskID) != nil, let job {
                    running[execution.jobId] = Execution(id: executionID, job: job, taskIDs: [taskID])
                } else if let taskID = execution.taskId, try await catalog.backupTask(id: taskID) != nil, let job {
                    // A copy job's copies: that first one and the copies into the job's pool queued with it.
                    let later = try await catalog.listBackupTasks(ListQuery(filter: "type=\"copy\"", limit: ListQuery.maximumLimit))
                        .items.filter { ($0.id ?? 0) >= taskID && $0.targetPoolId == job.poolId && $0.createdAt >= execution.startedAt }
                        .compactMap(\.id)
                    running[execution.jobId] = Execution(id: executionID, job: job, taskIDs: later.isEmpty ? [taskID] : later, backup: true)
                } else if !anyNodes || now.timeIntervalSince(execution.startedAt) > Self.abandonedAfter {
                    unrecorded.append((executionID, .failed, "the service stopped while this execution ran"))
                }
            }
            return true
        } catch {
            logger.error("job executions could not be checked: \(error)")
            return false
        }
    }

    private func recordUnrecorded() async {
        var still: [(id: Int64, status: ExecutionStatus, message: String)] = []
        for end in unrecorded {
            do { try await catalog.finishExecution(end.id, status: end.status, message: end.message) } catch {
                still.append(end)
            }
        }
        unrecorded = still
    }

    /// Records an execution's end; false when another node had recorded one first (that node
    /// then also rescheduled the job). An end that cannot be written now is written later.
    @discardableResult
    private func finish(_ executionID: Int64, _ status: ExecutionStatus, _ message: String, now: Date) async -> Bool {
        do { return try await catalog.finishExecution(executionID, status: status, message: message, now: now) } catch {
            logger.error("execution \(executionID) could not be recorded yet: \(error)")
            unrecorded.append((executionID, status, message))
            return true
        }
    }

    /// Stores the next run. A crontab that does not parse or never matches deactivates the job;
    /// a catalog error leaves it for the next pass.
    private func reschedule(_ job: ScheduledJob, due: Date?, now: Date) async {
        guard let id = job.id else { return }
        let next: Date?
        do {
            next = try Self.nextRun(of: job, due: due, after: now, calendar: calendar)
        } catch {
            logger.error("job \(job.name): crontab \(job.crontab ?? ""): \(error); job deactivated")
            try? await catalog.scheduleJob(id, nextRunAt: nil, deactivate: true)
            return
        }
        guard let next else {
            logger.error("job \(job.name): crontab \(job.crontab ?? "") never matches a date; job deactivated")
            try? await catalog.scheduleJob(id, nextRunAt: nil, deactivate: true)
            return
        }
        do { try await catalog.scheduleJob(id, nextRunAt: next) } catch {
            logger.error("job \(job.name): next run could not be stored (tried again): \(error)")
        }
    }

    /// `onDemand`: an operator's run now, recorded as it is asked; otherwise the run due at `due`,
    /// which is claimed so that media servers sharing a catalog run it once.
    private func start(_ job: ScheduledJob, due: Date, now: Date, onDemand: Bool = false) async {
        guard let id = job.id else { return }
        // The execution is recorded first, so whatever happens next is recorded against it.
        let executionID: Int64
        do {
            let execution = onDemand ? try await catalog.startExecution(job: id, now: now)
                : try await catalog.claimJobRun(id, due: due, now: now)
            guard let execution else {
                logger.debug("job \(job.name): its run due at \(due) was claimed elsewhere or rescheduled")
                return
            }
            guard let recorded = execution.id else { return }
            executionID = recorded
        } catch {
            logger.error("job \(job.name): execution could not be recorded (tried again): \(error)")
            return
        }
        // The next regular run is stored as the run starts, so a restart in between does not run
        // the job again at once; a failure may still bring a retry forward.
        if job.isPeriodic { await reschedule(job, due: due, now: now) }
        do {
            let tasks = try await tasks(for: job)
            let backup = job.kind == .copyToTape
            if let first = tasks.first {
                if backup { try? await catalog.setExecutionBackupTask(executionID, taskID: first) } else {
                    try? await catalog.setExecutionTask(executionID, tlTaskID: first)
                }
            }
            if tasks.isEmpty {
                let message = job.kind == .driveCleaning ? "no drive needs cleaning"
                    : backup ? "every record has a copy in the pool" : "nothing to do"
                await finish(executionID, .success, message, now: now)
                await ranToEnd(job, due: due, succeeded: true, now: now)
                return
            }
            running[id] = Execution(id: executionID, job: job, taskIDs: tasks, backup: backup)
            logger.info("job \(job.name): started task(s) \(tasks)")
        } catch {
            await finish(executionID, .failed, "\(error)", now: now)
            await ranToEnd(job, due: due, succeeded: false, now: now)
        }
    }

    /// The tasks a job's run queues through the engine.
    private func tasks(for job: ScheduledJob) async throws -> [Int64] {
        switch job.kind {
        case .librarySync:
            guard let libraryID = job.libraryId else { throw TaskRunFailure(message: "a library sync job needs library_id") }
            let task = try await engine.submit(LibraryTask(type: .sync, priority: job.priority, libraryId: libraryID))
            return task.id.map { [$0] } ?? []
        case .driveCleaning:
            guard let libraryID = job.libraryId else { throw TaskRunFailure(message: "a drive cleaning job needs library_id") }
            // A drive with a clean task already queued or running is not cleaned twice.
            let pending = Set(try await catalog.pendingLibraryTasks(library: libraryID)
                .filter { $0.type == .clean }.compactMap(\.driveId))
            var queued: [Int64] = []
            for drive in try await catalog.drives(library: libraryID)
            where drive.state == .needsCleaning && !pending.contains(drive.id ?? -1) {
                let task = try await engine.submit(LibraryTask(type: .clean, priority: job.priority,
                                                               libraryId: libraryID, driveId: drive.id))
                if let id = task.id { queued.append(id) }
            }
            return queued
        case .copyToTape:
            // Every record of the source pool(s) without a copy in the tape pool: a copy task
            // each, run by the media server's copy runner.
            guard let target = job.poolId else { throw TaskRunFailure(message: "a copy-to-tape job needs pool_id (the tape pool)") }
            var queued: [Int64] = []
            for record in try await catalog.recordsToCopy(into: target, from: job.sourcePoolId) {
                let task = try await catalog.enqueue(BackupTask(
                    type: .copy, priority: job.priority, client: record.client, resource: record.resource,
                    resourceType: record.resourceType, backupType: record.backupType, poolId: record.poolId,
                    targetPoolId: target, repositoryId: record.id))
                if let id = task.id { queued.append(id) }
            }
            return queued
        }
    }

    private func followRunning(now: Date) async {
        for (jobID, execution) in running {
            var failures: [String] = []
            var finished = true
            for taskID in execution.taskIDs {
                let ended: (status: TaskStatus, error: String?)?
                do {
                    if execution.backup {
                        ended = try await catalog.backupTask(id: taskID).map { ($0.status, $0.errorMessage) }
                    } else {
                        ended = try await catalog.libraryTask(id: taskID).map { ($0.status, $0.errorMessage) }
                    }
                } catch {
                    finished = false   // read again next pass
                    break
                }
                guard let ended else {
                    failures.append("task \(taskID) vanished from the queue")
                    continue
                }
                if !ended.status.isFinal { finished = false; break }
                if ended.status != .done {
                    failures.append("task \(taskID) \(ended.status.rawValue): \(ended.error ?? "no reason recorded")")
                }
            }
            guard finished else { continue }
            running[jobID] = nil
            let succeeded = failures.isEmpty
            let message = succeeded ? "task(s) \(execution.taskIDs.map(String.init).joined(separator: ", ")) done"
                : failures.joined(separator: "; ")
            // Rescheduled (a retry, the next run) by the node whose end stands.
            if await finish(execution.id, succeeded ? .success : .failed, message, now: now) {
                await ranToEnd(execution.job, due: execution.job.nextRunAt, succeeded: succeeded, now: now)
            }
        }
    }

    /// After a run: a retry when it failed and retries are left, else the next regular run.
    private func ranToEnd(_ job: ScheduledJob, due: Date?, succeeded: Bool, now: Date) async {
        guard let id = job.id else { return }
        if !succeeded {
            let failures = (try? await catalog.consecutiveFailures(job: id)) ?? Int.max
            if failures <= job.maxRetries {
                do {
                    try await catalog.scheduleJob(id, nextRunAt: now.addingTimeInterval(TimeInterval(job.retryWaitSeconds)))
                    logger.warning("job \(job.name): run failed; retry \(failures) of \(job.maxRetries) in \(job.retryWaitSeconds) s")
                } catch {
                    logger.error("job \(job.name): retry could not be scheduled: \(error)")
                }
                return
            }
        }
        if succeeded, !job.isPeriodic {
            try? await catalog.scheduleJob(id, nextRunAt: nil, deactivate: true)
        } else if !succeeded {
            // Out of retries: back to the regular schedule (stored when the run started), or
            // done for a one-off job.
            if job.isPeriodic { await reschedule(job, due: due, now: now) } else {
                try? await catalog.scheduleJob(id, nextRunAt: nil, deactivate: true)
            }
        }
    }
}

extension JobScheduler: Service {
    public nonisolated func run() async throws {
        await cancelWhenGracefulShutdown { await self.serve() }
    }
}
