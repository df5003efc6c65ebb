import Catalog
import Foundation
import LibraryService
import PostgresTestSupport
import Testing

@Suite("Scheduled jobs run through the task engine")
struct JobSchedulerTests {
    private func executions(_ rig: TestRig, job: Int64) async throws -> [JobExecution] {
        try await rig.catalog.jobExecutions(LogQuery(status: .all, pageNo: 1, pageSize: 100), job: job).list.sorted { ($0.id ?? 0) < ($1.id ?? 0) }
    }

    @Test func aDueLibrarySyncRunsAndTheNextRunIsScheduled() async throws {
        let rig = try await TestRig.make()
        let now = Date()
        let job = try await rig.catalog.insert(ScheduledJob(name: "nightly sync", kind: .librarySync,
                                                            libraryId: rig.libraryID, intervalHours: 24,
                                                            nextRunAt: now.addingTimeInterval(-60)))
        let jobID = try #require(job.id)
        let scheduler = JobScheduler(catalog: rig.catalog, engine: rig.engine, tick: .milliseconds(20))
        try await rig.serving {
            await scheduler.pass(now: now)
            let started = try await executions(rig, job: jobID)
            #expect(started.map(\.status) == [.running])
            let taskID = try #require(started.first?.tlTaskId)
            try await rig.waitForTask(taskID)
            await scheduler.pass(now: now.addingTimeInterval(1))
            let finished = try await executions(rig, job: jobID)
            #expect(finished.map(\.status) == [.success])
            // Counted from when the run was due, not from when it ended: runs do not drift.
            let next = try #require(try await rig.catalog.listScheduledJobs(ListQuery()).items.first?.nextRunAt)
            #expect(abs(next.timeIntervalSince(now.addingTimeInterval(-60 + 24 * 3_600))) < 0.01)
            #expect(try await rig.catalog.library(id: rig.libraryID)?.syncState == .synced)
        }
    }

    @Test func aFailedRunIsRetriedThenTheRegularScheduleResumes() async throws {
        let rig = try await TestRig.make(cleaningUses: 0)   // the only cleaning cartridge has expired
        try await rig.catalog.setDriveState(rig.driveIDs[0], to: .needsCleaning)
        let now = Date()
        let job = try await rig.catalog.insert(ScheduledJob(name: "cleaning", kind: .driveCleaning,
                                                            libraryId: rig.libraryID, intervalHours: 168,
                                                            maxRetries: 1, retryWaitSeconds: 600,
                                                            nextRunAt: now.addingTimeInterval(-1)))
        let jobID = try #require(job.id)
        let scheduler = JobScheduler(catalog: rig.catalog, engine: rig.engine)
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            await scheduler.pass(now: now)
            let first = try #require(try await executions(rig, job: jobID).first?.tlTaskId)
            try await rig.waitForTask(first)
            await scheduler.pass(now: now)
            var runs = try await executions(rig, job: jobID)
            #expect(runs.map(\.status) == [.failed])
            #expect(runs.first?.message.contains("has expired") == true, "\(runs.first?.message ?? "")")
            var next = try #require(try await rig.catalog.listScheduledJobs(ListQuery()).items.first?.nextRunAt)
            #expect(abs(next.timeIntervalSince(now.addingTimeInterval(600))) < 2)   // the retry

            // The retry: no cleaning cartridge is left in service, so it fails at once; then the
            // weekly schedule takes over.
            let later = now.addingTimeInterval(601)
            await scheduler.pass(now: later)
            if let second = try await executions(rig, job: jobID).first(where: { $0.status == .running })?.tlTaskId {
                try await rig.waitForTask(second)
                await scheduler.pass(now: later)
            }
            runs = try await executions(rig, job: jobID)
            #expect(runs.map(\.status) == [.failed, .failed])
            next = try #require(try await rig.catalog.listScheduledJobs(ListQuery()).items.first?.nextRunAt)
            #expect(abs(next.timeIntervalSince(later.addingTimeInterval(168 * 3_600))) < 2)
        }
    }

    /// After a restart, an execution whose task is still queued is followed again (not failed
    /// and run a second time); one whose task is gone ends as FAILED.
    @Test func aRestartFollowsExecutionsWhoseTasksAreStillQueued() async throws {
        let rig = try await TestRig.make()
        let now = Date()
        let job = try await rig.catalog.insert(ScheduledJob(name: "sync", kind: .librarySync, libraryId: rig.libraryID,
                                                            nextRunAt: now.addingTimeInterval(-1)))
        let jobID = try #require(job.id)
        // The first service queues the sync and stops before the engine ran it.
        await JobScheduler(catalog: rig.catalog, engine: rig.engine).pass(now: now)
        let orphan = try await rig.catalog.insert(ScheduledJob(name: "other", kind: .librarySync, libraryId: rig.libraryID))
        let stale = try await rig.catalog.startExecution(job: #require(orphan.id), now: now)
        // The next service takes over.
        let scheduler = JobScheduler(catalog: rig.catalog, engine: rig.engine)
        try await rig.serving {
            let taskID = try #require(try await executions(rig, job: jobID).first?.tlTaskId)
            try await rig.waitForTask(taskID)
            await scheduler.pass(now: now.addingTimeInterval(1))
            let runs = try await executions(rig, job: jobID)
            #expect(runs.map(\.status) == [.success], "\(runs)")
            #expect(try await executions(rig, job: #require(orphan.id)).first { $0.id == stale.id }?.status == .failed)
        }
    }

    /// On a shared catalog an execution of a job without a library may have been started by a
    /// node that stopped since: a node that starts follows it once it has a task, and the first
    /// end recorded stands. One without a task yet is left as it is (a live node may be
    /// queuing), unless it is far older than a start takes.
    @Test func onASharedCatalogANodeThatStartsFollowsExecutionsOfJobsWithoutALibrary() async throws {
        let catalog = TapeCatalog(try await PostgresTestServer.makeCatalog())
        #expect(catalog.isShared)
        let rig = try await TestRig.make(catalog: catalog)
        let disk = try #require(try await catalog.insert(Pool(name: "disk", type: .fileSystem)).id)
        let tape = try #require(try await catalog.insert(Pool(name: "tape", type: .tapeLibrary)).id)
        let record = try #require(try await catalog.insert(BackupRecord(client: "c", resource: "/", resourceType: "File system",
                                                                        backupType: .full, poolId: disk)).id)
        let copyJob = try #require(try await catalog.insert(ScheduledJob(name: "copy", kind: .copyToTape, poolId: tape,
                                                                         sourcePoolId: disk)).id)
        let otherJob = try #require(try await catalog.insert(ScheduledJob(name: "copy 2", kind: .copyToTape, poolId: tape,
                                                                          sourcePoolId: disk)).id)
        // Another node started an execution, queued its copy and stopped; the copy ended since.
        let start = Date().addingTimeInterval(-60)
        let copy = try await catalog.enqueue(BackupTask(type: .copy, poolId: disk, targetPoolId: tape, repositoryId: record,
                                                        createdAt: start))
        let copyID = try #require(copy.id)
        let followed = try #require(try await catalog.startExecution(job: copyJob, taskID: copyID, now: start).id)
        try await catalog.updateBackupTask(copyID, status: .done)
        // Another started one and has queued nothing yet; one was left without a task an hour ago.
        let bare = try #require(try await catalog.startExecution(job: otherJob, now: start).id)
        let abandoned = try #require(try await catalog.startExecution(job: otherJob, now: start.addingTimeInterval(-3_600)).id)

        let scheduler = JobScheduler(catalog: catalog, engine: rig.engine)
        let now = Date()
        await scheduler.pass(now: now)
        #expect(try await executions(rig, job: copyJob).map(\.status) == [.success])
        #expect(try await executions(rig, job: otherJob).first { $0.id == bare }?.status == .running)
        #expect(try await executions(rig, job: otherJob).first { $0.id == abandoned }?.status == .failed)
        // A later end (the node that started it, still following it) does not change the first.
        #expect(try await !catalog.finishExecution(followed, status: .failed, message: "late"))
        #expect(try await executions(rig, job: copyJob).map(\.status) == [.success])

        // This node runs on, and other nodes stop meanwhile: one left an execution whose copy
        // ended since. It is followed at the next check (not at every pass), and `bare`, which
        // never got a task, is failed once it is old enough.
        let thirdJob = try #require(try await catalog.insert(ScheduledJob(name: "copy 3", kind: .copyToTape, poolId: tape,
                                                                          sourcePoolId: disk)).id)
        let later = try #require(try await catalog.enqueue(BackupTask(type: .copy, poolId: disk, targetPoolId: tape,
                                                                       repositoryId: record, createdAt: now)).id)
        let leftBehind = try #require(try await catalog.startExecution(job: thirdJob, taskID: later, now: now).id)
        try await catalog.updateBackupTask(later, status: .done)
        await scheduler.pass(now: now.addingTimeInterval(60))
        #expect(try await executions(rig, job: thirdJob).first { $0.id == leftBehind }?.status == .running)
        await scheduler.pass(now: now.addingTimeInterval(JobScheduler.abandonedAfter))
        #expect(try await executions(rig, job: thirdJob).first { $0.id == leftBehind }?.status == .success)
        #expect(try await executions(rig, job: otherJob).first { $0.id == bare }?.status == .failed)
        await catalog.close()
    }

    @Test func aCrontabThatNeverMatchesDeactivatesItsJob() async throws {
        let rig = try await TestRig.make()
        _ = try await rig.catalog.insert(ScheduledJob(name: "feb30", kind: .librarySync, libraryId: rig.libraryID,
                                                      crontab: "0 0 30 2 *"))
        await JobScheduler(catalog: rig.catalog, engine: rig.engine).pass(now: Date())
        #expect(try await rig.catalog.listScheduledJobs(ListQuery()).items.first?.isActive == false)
    }

    @Test func newJobsWaitAPeriodOneOffsRunOnceAndUnrunnableJobsSaySo() async throws {
        let rig = try await TestRig.make()
        let now = Date()
        let fresh = try await rig.catalog.insert(ScheduledJob(name: "fresh", kind: .librarySync, libraryId: rig.libraryID,
                                                              crontab: "30 2 * * *"))
        let once = try await rig.catalog.insert(ScheduledJob(name: "once", kind: .driveCleaning, libraryId: rig.libraryID,
                                                             isPeriodic: false, nextRunAt: now.addingTimeInterval(-1)))
        let copy = try await rig.catalog.insert(ScheduledJob(name: "copy", kind: .copyToTape,
                                                             nextRunAt: now.addingTimeInterval(-1)))
        let broken = try await rig.catalog.insert(ScheduledJob(name: "broken", kind: .librarySync,
                                                               libraryId: rig.libraryID, crontab: "61 * * * *"))
        let scheduler = JobScheduler(catalog: rig.catalog, engine: rig.engine)
        await scheduler.pass(now: now)
        let jobs = Dictionary(uniqueKeysWithValues: try await rig.catalog.listScheduledJobs(ListQuery(limit: 10)).items
            .map { ($0.name, $0) })
        // Scheduled on its crontab, not run at once.
        let freshNext = try #require(jobs["fresh"]?.nextRunAt)
        #expect(freshNext > now && freshNext <= now.addingTimeInterval(24 * 3_600))
        #expect(try await executions(rig, job: #require(fresh.id)).isEmpty)
        // No drive needs cleaning: a successful run with nothing to do, and the one-off is done.
        let onceRuns = try await executions(rig, job: #require(once.id))
        #expect(onceRuns.map(\.status) == [.success])
        #expect(onceRuns.first?.message == "no drive needs cleaning")
        #expect(jobs["once"]?.isActive == false)
        // A copy job without its tape pool cannot run: the run fails saying so.
        let copyRuns = try await executions(rig, job: #require(copy.id))
        #expect(copyRuns.map(\.status) == [.failed])
        #expect(copyRuns.first?.message.contains("needs pool_id") == true, "\(copyRuns.first?.message ?? "")")
        // A crontab that does not parse deactivates its job rather than running it.
        #expect(jobs["broken"]?.isActive == false)
        #expect(try await executions(rig, job: #require(broken.id)).isEmpty)
    }
}
