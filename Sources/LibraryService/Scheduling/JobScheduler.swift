import Catalog
import Foundation
import Logging
import ServiceLifecycle

/// Runs the catalog's scheduled jobs: library syncs and drive cleaning (copies to tape are not
/// built yet and fail with that reason). A job runs every `interval_hours`, or on its
/// `crontab` when it has one; each run is a job execution (RUNNING, then SUCCESS or FAILED with
/// the tasks' outcome) that names the task it started. A failed run is retried after
/// `retry_wait_seconds`, up to `max_retries` times. A one-off job (`is_periodic` false) runs
/// once and is deactivated.
public actor JobScheduler {
    struct Execution {
        var id: Int64
        var job: ScheduledJob
        var taskIDs: [Int64]
        var attempt: Int
    }

    let catalog: CatalogDatabase
    let engine: LibraryTaskEngine
    let tick: Duration
    let calendar: Calendar
    let logger: Logger
    private var running: [Int64: Execution] = [:]   // by job id
    private var attempts: [Int64: Int] = [:]         // failed attempts of a job's current run

    public init(catalog: CatalogDatabase, engine: LibraryTaskEngine, tick: Duration = .seconds(30),
                calendar: Calendar = .current, logger: Logger = Logger(label: "tapelib.scheduler")) {
        self.catalog = catalog
        self.engine = engine
        self.tick = tick
        self.calendar = calendar
        self.logger = logger
    }

    /// When `job` runs next after `date`: its crontab's next minute, else `interval_hours` on.
    public static func nextRun(of job: ScheduledJob, after date: Date, calendar: Calendar) throws(CronError) -> Date? {
        if let crontab = job.crontab, !crontab.trimmingCharacters(in: .whitespaces).isEmpty {
            return try CronSchedule(crontab).next(after: date, calendar: calendar)
        }
        return date.addingTimeInterval(TimeInterval(max(1, job.intervalHours)) * 3_600)
    }

    /// Executions left RUNNING by a stopped service end as FAILED; then jobs run until cancelled.
    public func serve() async {
        do {
            let ended = try await catalog.failRunningExecutions(
                reason: "the service stopped while this execution ran")
            if ended > 0 { logger.warning("\(ended) job execution(s) interrupted by a restart end as FAILED") }
        } catch {
            logger.error("job executions could not be checked: \(error)")
        }
        while !Task.isCancelled {
            await pass(now: Date())
            do { try await Task.sleep(for: tick) } catch { break }
        }
    }

    /// One round: follow running executions, then start the jobs that are due.
    public func pass(now: Date) async {
        await followRunning(now: now)
        let jobs: [ScheduledJob]
        do { jobs = try await catalog.activeScheduledJobs() } catch {
            logger.error("reading scheduled jobs failed: \(error)")
            return
        }
        for job in jobs {
            guard let id = job.id, running[id] == nil else { continue }
            guard let due = job.nextRunAt else {
                // A job that was never scheduled: its first run is one period from now (from its
                // crontab's next minute), not at once.
                await schedule(job, after: now)
                continue
            }
            if due <= now { await start(job, now: now) }
        }
    }

    private func schedule(_ job: ScheduledJob, after date: Date) async {
        guard let id = job.id else { return }
        do {
            let next = try Self.nextRun(of: job, after: date, calendar: calendar)
            try await catalog.scheduleJob(id, nextRunAt: next)
        } catch {
            logger.error("job \(job.name): cannot be scheduled: \(error)")
            try? await catalog.scheduleJob(id, nextRunAt: nil, deactivate: true)
        }
    }

    private func start(_ job: ScheduledJob, now: Date) async {
        guard let id = job.id else { return }
        do {
            let tasks = try await tasks(for: job)
            let execution = try await catalog.startExecution(job: id, tlTaskID: tasks.first, now: now)
            guard let executionID = execution.id else { return }
            if tasks.isEmpty {
                let message = job.kind == .driveCleaning ? "no drive needs cleaning" : "nothing to do"
                try await catalog.finishExecution(executionID, status: .success, message: message, now: now)
                await ranToEnd(job, succeeded: true, now: now)
                return
            }
            running[id] = Execution(id: executionID, job: job, taskIDs: tasks, attempt: attempts[id, default: 0])
            logger.info("job \(job.name): started task(s) \(tasks)")
        } catch {
            // Nothing could be queued (a library not served here, copies to tape): a failed run.
            do {
                let execution = try await catalog.startExecution(job: id, now: now)
                if let executionID = execution.id {
                    try await catalog.finishExecution(executionID, status: .failed, message: "\(error)", now: now)
                }
            } catch {
                logger.error("job \(job.name): execution could not be recorded: \(error)")
            }
            await ranToEnd(job, succeeded: false, now: now)
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
            var queued: [Int64] = []
            for drive in try await catalog.drives(library: libraryID) where drive.state == .needsCleaning {
                let task = try await engine.submit(LibraryTask(type: .clean, priority: job.priority,
                                                               libraryId: libraryID, driveId: drive.id))
                if let id = task.id { queued.append(id) }
            }
            return queued
        case .copyToTape:
            throw TaskRunFailure(message: "copies to tape are not built yet: this job cannot run")
        }
    }

    private func followRunning(now: Date) async {
        for (jobID, execution) in running {
            var failures: [String] = []
            var finished = true
            for taskID in execution.taskIDs {
                guard let task = try? await catalog.libraryTask(id: taskID) else { continue }
                if !task.status.isFinal { finished = false; break }
                if task.status != .done {
                    failures.append("task \(taskID) \(task.status.rawValue): \(task.errorMessage ?? "no reason recorded")")
                }
            }
            guard finished else { continue }
            running[jobID] = nil
            let succeeded = failures.isEmpty
            let message = succeeded ? "task(s) \(execution.taskIDs.map(String.init).joined(separator: ", ")) done"
                : failures.joined(separator: "; ")
            do {
                try await catalog.finishExecution(execution.id, status: succeeded ? .success : .failed,
                                                  message: message, now: now)
            } catch {
                logger.error("job \(execution.job.name): execution \(execution.id) could not be recorded: \(error)")
            }
            await ranToEnd(execution.job, succeeded: succeeded, now: now)
        }
    }

    /// After a run: a retry when it failed and retries are left, else the next regular run.
    private func ranToEnd(_ job: ScheduledJob, succeeded: Bool, now: Date) async {
        guard let id = job.id else { return }
        if !succeeded, attempts[id, default: 0] < job.maxRetries {
            attempts[id, default: 0] += 1
            try? await catalog.scheduleJob(id, nextRunAt: now.addingTimeInterval(TimeInterval(job.retryWaitSeconds)))
            logger.warning("job \(job.name): run failed; retry \(attempts[id, default: 0]) of \(job.maxRetries) in \(job.retryWaitSeconds) s")
            return
        }
        attempts[id] = nil
        if job.isPeriodic {
            await schedule(job, after: now)
        } else {
            try? await catalog.scheduleJob(id, nextRunAt: nil, deactivate: true)
        }
    }
}

extension JobScheduler: Service {
    public nonisolated func run() async throws {
        try await cancelWhenGracefulShutdown { await self.serve() }
    }
}
