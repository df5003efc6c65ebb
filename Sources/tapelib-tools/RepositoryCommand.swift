import ArgumentParser
import CLISupport
import Catalog
import Foundation
import LibraryService

/// `tapelib repository add|list|copy|verify`: backup records and their copies on tape. Records
/// are added from files (so the whole path can be used without a backup client); copies and
/// verifications are queued in task_queue for the running service (`tapelib serve`), which
/// mounts the cartridges through its library tasks.
struct RepositoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repository", abstract: "Backup records: add files as records, copy them onto tape pools, verify and restore the copies.",
        subcommands: [Add.self, List.self, Copy.self, Move.self, Verify.self, Restore.self, Kill.self, Pause.self, Continue.self, Restart.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register files as backup records of a (non-tape) pool.")
        @OptionGroup var catalog: TaskCommand.Catalog
        @Option(name: .long, help: "The pool (name) the records belong to; not a tape pool.") var pool: String
        @Option(name: .long, help: "The client the records are of (default: this host).") var client: String?
        @Option(name: .customLong("media-server"),
                help: ArgumentHelp("The media server (host name) whose host holds the files: its service copies them "
                                   + "(default: this host's name, when it is a media server of the catalog).", valueName: "name"))
        var mediaServer: String?
        @Argument(help: "Archive files.") var files: [String]

        func run() async throws {
            try await reportingFailures {
                let database = try await catalog.open()
                guard let target = try await database.pool(named: pool), let poolID = target.id else {
                    throw CommandFailure("no pool \(pool)")
                }
                guard target.type != .tapeLibrary else {
                    throw CommandFailure("pool \(pool) is a tape pool: records are added to a disk pool and copied onto tape")
                }
                // The archive's host, so that on a shared catalog the media server that can read
                // the files is the one that copies them.
                let host = try await database.mediaServer(hostname: mediaServer ?? ServiceHost.name())?.id
                if let mediaServer, host == nil {
                    throw CommandFailure("no media server \(mediaServer) in the catalog")
                }
                if host == nil && database.isShared {
                    FileHandle.standardError.write(Data(("\(ServiceHost.name()) is no media server of this catalog: the records' archive host is "
                                                         + "not recorded, and their copies go to the media server holding the target pool's "
                                                         + "tapes (give --media-server)\n").utf8))
                }
                for file in files {
                    let path = URL(fileURLWithPath: file).standardizedFileURL.resolvingSymlinksInPath().path
                    var isDirectory: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                        throw CommandFailure("\(file) is not a file")
                    }
                    let archive = try RecordFile(path: path)
                    let bar = ProgressBar("hashing \(path)")
                    let sha = try await archive.sha256()
                    bar.finish()
                    let record = try await database.insert(BackupRecord(
                        client: client ?? ServiceHost.name(), resource: path, resourceType: "File", backupType: .full,
                        poolId: poolID, sizeBytes: archive.size, sha256: sha, path: path, archiveMediaServerId: host))
                    print("record \(record.id ?? 0): \(path), \(archive.size) bytes, SHA-256 \(sha)")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List backup records and their copies.")
        @OptionGroup var catalog: TaskCommand.Catalog
        @Flag(name: .long, help: "JSON.") var json = false

        func run() async throws {
            try await reportingFailures {
                let database = try await catalog.open()
                var records: [BackupRecord] = []
                var page = 1
                while true {
                    let items = try await database.listRepository(ListQuery(page: page, limit: 1_000)).items
                    records += items
                    guard items.count == 1_000 else { break }
                    page += 1
                }
                var rows: [[String]] = []
                var objects: [[String: Any]] = []
                for record in records {
                    let copies = try await database.copies(of: record.id ?? 0)
                    let text = copies.map { "pool \($0.poolId) \($0.state.rawValue)\($0.verified ? " verified" : "")" }
                    rows.append([String(record.id ?? 0), String(record.poolId), String(record.sizeBytes), record.path ?? record.resource,
                                 text.joined(separator: "; ")])
                    objects.append(["id": record.id ?? 0, "pool_id": record.poolId, "size_bytes": record.sizeBytes,
                                    "path": record.path.map { $0 as Any } ?? NSNull(), "sha256": record.sha256.map { $0 as Any } ?? NSNull(),
                                    "archive_media_server_id": record.archiveMediaServerId.map { $0 as Any } ?? NSNull(),
                                    "copies": copies.map { ["pool_id": $0.poolId, "state": $0.state.rawValue, "verified": $0.verified] }])
                }
                if json {
                    let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print(Output.table(["ID", "POOL", "BYTES", "ARCHIVE", "COPIES"], rows))
                }
            }
        }
    }

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a copy of a record onto a tape pool (run by `tapelib serve`).")
        @OptionGroup var catalog: TaskCommand.Catalog
        @Option(name: .long, help: "Record id.") var record: Int64
        @Option(name: .long, help: "The tape pool (name).") var pool: String
        @Flag(name: .long, help: "Follow the task until it ends, with a progress bar.") var wait = false

        func run() async throws {
            try await reportingFailures {
                let database = try await catalog.open()
                guard let source = try await database.record(id: record) else { throw CommandFailure("no record \(record)") }
                guard let target = try await database.pool(named: pool), target.type == .tapeLibrary else {
                    throw CommandFailure("no tape pool \(pool)")
                }
                let task = try await database.enqueue(BackupTask(
                    type: .copy, client: source.client, resource: source.resource, resourceType: source.resourceType,
                    backupType: source.backupType, poolId: source.poolId, targetPoolId: target.id, repositoryId: record))
                print("task \(task.id ?? 0): copy of record \(record) onto pool \(pool) queued")
                if wait { try await followBackupTask(task.id ?? 0, in: database) }
            }
        }
    }

    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a move of a record onto a tape pool: copied, every part read back, then its archive removed (run by `tapelib serve`).",
            discussion: "Only an archive inside a local catalog of the record's pool (storage_local_catalogs) is removed; "
                + "a record registered from a file elsewhere can be copied, not moved.")
        @OptionGroup var catalog: TaskCommand.Catalog
        @Option(name: .long, help: "Record id.") var record: Int64
        @Option(name: .long, help: "The tape pool (name).") var pool: String
        @Flag(name: .long, help: "Follow the task until it ends, with a progress bar.") var wait = false

        func run() async throws {
            try await reportingFailures {
                let database = try await catalog.open()
                guard let source = try await database.record(id: record) else { throw CommandFailure("no record \(record)") }
                guard let target = try await database.pool(named: pool), target.type == .tapeLibrary else {
                    throw CommandFailure("no tape pool \(pool)")
                }
                _ = try await ArchivePlacement.removableArchive(of: source, catalog: database)
                let task = try await database.enqueue(BackupTask(
                    type: .move, client: source.client, resource: source.resource, resourceType: source.resourceType,
                    backupType: source.backupType, poolId: source.poolId, targetPoolId: target.id, repositoryId: record))
                print("task \(task.id ?? 0): move of record \(record) onto pool \(pool) queued")
                if wait { try await followBackupTask(task.id ?? 0, in: database) }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a verification of a record's copy on tape: every part read back, SHA-256 compared.")
        @OptionGroup var catalog: TaskCommand.Catalog
        @Option(name: .long, help: "Record id.") var record: Int64
        @Option(name: .long, help: "The tape pool (name) whose copy to read; default: the first complete copy.") var pool: String?
        @Flag(name: .long, help: "Follow the task until it ends, with a progress bar.") var wait = false

        func run() async throws {
            try await reportingFailures {
                let database = try await catalog.open()
                guard let source = try await database.record(id: record) else { throw CommandFailure("no record \(record)") }
                var poolID: Int64?
                if let pool {
                    guard let found = try await database.pool(named: pool) else { throw CommandFailure("no pool \(pool)") }
                    poolID = found.id
                }
                let copies = try await database.completeCopies(of: record)
                guard let copy = copies.first(where: { poolID == nil || $0.0.poolId == poolID })?.0 else {
                    throw CommandFailure("record \(record) has no complete copy on tape\(pool.map { " in pool \($0)" } ?? "")")
                }
                let task = try await database.enqueue(BackupTask(
                    type: .verify, client: source.client, resource: source.resource, resourceType: source.resourceType,
                    backupType: source.backupType, poolId: source.poolId, targetPoolId: copy.poolId, repositoryId: record))
                print("task \(task.id ?? 0): verification of record \(record) in pool \(copy.poolId) queued")
                if wait { try await followBackupTask(task.id ?? 0, in: database) }
            }
        }
    }
}

extension RepositoryCommand {
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a restore of a record from its copy on tape, as a new file record-ID-NAME in a directory or in a local-catalog pool.",
            discussion: "--pool restores a record whose archive was moved onto tape into the pool's first local catalog; "
                + "the record is that pool's again, with the restored archive.")
        @OptionGroup var catalog: TaskCommand.Catalog
        @Option(name: .long, help: "Record id.") var record: Int64
        @Option(name: .long, help: "The directory to restore into (an existing one; the file must not exist).") var to: String?
        @Option(name: .long, help: "A local-catalog pool (name) to restore into, instead of --to.") var pool: String?
        @Flag(name: .long, help: "Follow the task until it ends, with a progress bar.") var wait = false

        func validate() throws {
            guard (to == nil) != (pool == nil) else { throw ValidationError("give one of --to DIRECTORY and --pool POOL") }
        }

        func run() async throws {
            try await reportingFailures {
                let database = try await catalog.open()
                guard let source = try await database.record(id: record) else { throw CommandFailure("no record \(record)") }
                guard let copy = try await database.completeCopies(of: record).first?.0 else {
                    throw CommandFailure("record \(record) has no complete copy on tape")
                }
                let file: String
                var into = source.poolId
                if let pool {
                    guard let target = try await database.pool(named: pool), let poolID = target.id else { throw CommandFailure("no pool \(pool)") }
                    file = try await ArchivePlacement.restoreFile(of: source, into: target, catalog: database)
                    into = poolID
                } else {
                    let directory = URL(fileURLWithPath: to ?? "").standardizedFileURL.resolvingSymlinksInPath().path
                    var isDirectory: ObjCBool = false
                    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                        throw CommandFailure("\(to ?? "") is not a directory")
                    }
                    file = directory + (directory.hasSuffix("/") ? "" : "/") + RecordCopier.restoreFileName(source)
                    guard !FileManager.default.fileExists(atPath: file) else { throw CommandFailure("\(file) exists; a restore never overwrites") }
                }
                let task = try await database.enqueue(BackupTask(
                    type: .restore, client: source.client, resource: source.resource, resourceType: source.resourceType,
                    backupType: source.backupType, poolId: into, targetPoolId: copy.poolId, repositoryId: record,
                    targetPath: file))
                print("task \(task.id ?? 0): restore of record \(record) to \(file) queued")
                if wait { try await followBackupTask(task.id ?? 0, in: database) }
            }
        }
    }
}

/// `tapelib repository kill|pause|continue|restart TASK`: the task controls of a copy,
/// verification or restore (task_queue), as the API's with `"queue": "task_queue"`.
protocol BackupTaskControlCommand: AsyncParsableCommand {
    static var action: TaskControlAction { get }
    var task: Int64 { get }
    var catalog: TaskCommand.Catalog { get }
}

extension BackupTaskControlCommand {
    func run() async throws {
        try await reportingFailures {
            let database = try await catalog.open()
            let row = try await database.controlBackupTask(task, Self.action, by: "tapelib repository (uid \(getuid()))")
            print("task \(task): \(row.type.rawValue) \(row.status.rawValue)"
                  + (row.controlRequest.map { ", \($0.rawValue) requested (at its next block)" } ?? ""))
        }
    }
}

extension RepositoryCommand {
    struct Kill: BackupTaskControlCommand {
        static let configuration = CommandConfiguration(abstract: "Kill a queued or running copy, verification or restore.")
        static let action = TaskControlAction.kill
        @Argument(help: "task_queue id.") var task: Int64
        @OptionGroup var catalog: TaskCommand.Catalog
    }

    struct Pause: BackupTaskControlCommand {
        static let configuration = CommandConfiguration(abstract: "Hold a queued task, or a running one between two blocks (its cartridge stays in the drive).")
        static let action = TaskControlAction.pause
        @Argument(help: "task_queue id.") var task: Int64
        @OptionGroup var catalog: TaskCommand.Catalog
    }

    struct Continue: BackupTaskControlCommand {
        static let configuration = CommandConfiguration(abstract: "Release a paused task.")
        static let action = TaskControlAction.continue
        @Argument(help: "task_queue id.") var task: Int64
        @OptionGroup var catalog: TaskCommand.Catalog
    }

    struct Restart: BackupTaskControlCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a task that ended error, killed or broken again.")
        static let action = TaskControlAction.restart
        @Argument(help: "task_queue id.") var task: Int64
        @OptionGroup var catalog: TaskCommand.Catalog
    }
}

/// Follows a backup task: a progress bar per step (its phase up to the first colon), the phase
/// line with MB/s while it runs, exit 0 when done.
func followBackupTask(_ id: Int64, in catalog: TapeCatalog) async throws {
    var bar: ProgressBar?
    var step = ""
    let start = ContinuousClock.now
    var hinted = false
    while true {
        guard let task = try await catalog.backupTask(id: id) else { throw CommandFailure("no task \(id)") }
        let current = String(task.phase.split(separator: ":", maxSplits: 1).first ?? "")
        if current != step, !current.isEmpty {
            bar?.finish()
            step = current
            bar = ProgressBar("task \(id) \(task.type.rawValue): \(step)")
        }
        bar?.update(task.progressPercent / 100)
        if task.status.isFinal {
            if task.status == .done {
                bar?.finish()
                FileHandle.standardError.write(Data("task \(id) done: \(task.phase)\n".utf8))
                return
            }
            Output.error("task \(id) ended \(task.status.rawValue): \(task.errorMessage ?? "no reason recorded")")
            throw ExitCode(1)
        }
        if task.status == .new, !hinted, ContinuousClock.now - start > .seconds(10) {
            hinted = true
            Output.error("task \(id) is still queued after 10 s: is `tapelib serve` running for this state directory?")
        }
        try await Task.sleep(for: .milliseconds(200))
    }
}
