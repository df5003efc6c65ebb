import Catalog
import Foundation
import Logging
import ServiceLifecycle

/// Runs the backup-core queue's copy, move, verification and restore tasks (task_queue), one at a time, with
/// `RecordCopier`; a task left started by a service that stopped is `broken` at start, and its
/// copy `failed`. Joins the media server's service group.
public struct BackupTaskRunner: Service {
    let copier: RecordCopier
    let pollInterval: Duration
    let logger: Logger

    /// This media server's name in the catalog: its claims are recorded as its, and on a shared
    /// catalog it breaks only its own interrupted tasks and claims nothing until it is a member.
    let mediaServerName: String?

    public init(copier: RecordCopier, pollInterval: Duration = .seconds(2), mediaServerName: String? = nil, logger: Logger) {
        self.copier = copier; self.pollInterval = pollInterval; self.mediaServerName = mediaServerName; self.logger = logger
    }

    public func run() async throws {
        let catalog = copier.catalog
        // Stops when the service shuts down (the sleep is cancelled); a catalog error while
        // reading the queue is logged and tried again, never the end of the service.
        try? await cancelWhenGracefulShutdown {
            var ownID: Int64?
            var recovered = false
            while !Task.isCancelled {
                do {
                    if ownID == nil, let name = mediaServerName { ownID = try await catalog.mediaServer(hostname: name)?.id }
                    // On a shared catalog nothing is touched before this node is a media server
                    // of it (it may be waiting for authorisation).
                    if catalog.isShared && ownID == nil {
                        try await Task.sleep(for: pollInterval)
                        continue
                    }
                    if !recovered {
                        let broken = try await catalog.breakInterruptedBackupTasks(mediaServer: catalog.isShared ? ownID : nil)
                        if broken > 0 { logger.warning("\(broken) copy or verification task(s) interrupted by the last stop are broken") }
                        recovered = true
                    }
                    if let task = try await catalog.claimNextBackupTask(types: [.copy, .move, .verify, .restore], mediaServer: ownID,
                                                                        shared: catalog.isShared) {
                        await runOne(task, mediaServer: ownID)
                        continue
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.error("reading the backup task queue failed (tried again): \(error)")
                }
                try await Task.sleep(for: pollInterval)
            }
        }
    }

    /// Runs one claimed task to its end and records the end. `mediaServer`: this node's (an
    /// archive a restore makes is recorded on its host).
    public func runOne(_ task: BackupTask, mediaServer: Int64? = nil) async {
        guard let id = task.id else { return }
        let catalog = copier.catalog
        do {
            guard let recordID = task.repositoryId else { throw TaskRunFailure(.invalidRequest, message: "the task names no record") }
            switch task.type {
            case .copy:
                guard let poolID = task.targetPoolId else { throw TaskRunFailure(.invalidRequest, message: "the copy names no target pool") }
                let copy = try await copier.copy(record: recordID, toPool: poolID, taskID: id)
                try await catalog.updateBackupTask(id, status: .done, log: "copy \(copy.id ?? 0) of record \(recordID) is complete"
                                                       + (copy.verified ? " and verified" : " (unverified)"))
            case .move:
                guard let poolID = task.targetPoolId else { throw TaskRunFailure(.invalidRequest, message: "the move names no target pool") }
                let (copy, removed) = try await copier.move(record: recordID, toPool: poolID, taskID: id)
                try await catalog.updateBackupTask(id, status: .done, log: "record \(recordID) moved into pool \(poolID) (copy \(copy.id ?? 0), "
                                                       + "verified); its archive \(removed) was removed")
            case .verify:
                guard let poolID = task.targetPoolId ?? task.poolId else { throw TaskRunFailure(.invalidRequest, message: "the verification names no pool") }
                try await copier.verify(record: recordID, pool: poolID, taskID: id)
                try await catalog.updateBackupTask(id, status: .done, log: "record \(recordID) read back from pool \(poolID): verified")
            case .restore:
                guard let path = task.targetPath else { throw TaskRunFailure(.invalidRequest, message: "the restore names no target path") }
                guard let poolID = task.targetPoolId else { throw TaskRunFailure(.invalidRequest, message: "the restore names no pool") }
                try await copier.restore(record: recordID, pool: poolID, to: path, taskID: id)
                var line = "record \(recordID) restored to \(path) and its SHA-256 verified"
                // Restored into a local catalog of the task's pool, for a record whose archive
                // was moved away: the record is that pool's again, with this archive.
                if let record = try await catalog.record(id: recordID), record.path == nil, let into = task.poolId,
                   let pool = try await catalog.pool(id: into), pool.type != .tapeLibrary,
                   case let directories = try await catalog.localCatalogDirectories(pool: into),
                   try await offPool({ directories.contains(where: { ArchivePlacement.contains($0, path) }) }) {
                    try await catalog.adoptRestoredArchive(record: recordID, pool: into, path: path, mediaServer: mediaServer)
                    line += "; the record is pool \(pool.name)'s again with this archive"
                }
                try await catalog.updateBackupTask(id, status: .done, log: line)
            default:
                throw TaskRunFailure(.notBuilt, message: "\(task.type.rawValue) tasks are not run by this service")
            }
        } catch {
            if Task.isCancelled {
                // The service is stopping: the task is broken, as the next start would find it.
                try? await catalog.updateBackupTask(id, status: .broken, failure: TaskFailure(message: "the service stopped while the task ran"),
                                                    log: "the service stopped while the task ran")
                return
            }
            let failure = ServiceError(error)
            logger.error("backup task \(id) failed: \(failure.message)")
            let sense = failure.sense
            try? await catalog.updateBackupTask(id, status: failure.code == .killed ? .killed : .error, failure: TaskFailure(
                message: failure.message, code: failure.code.rawValue, senseKey: sense?.senseKey, asc: sense?.asc,
                ascq: sense?.ascq, senseDescription: sense?.description), log: failure.message)
        }
    }
}
