import ArgumentParser
import CLISupport
import Catalog
import Foundation
import LibraryService

extension LibraryTaskType: ExpressibleByArgument {}
extension FormatKind: ExpressibleByArgument {}
extension TaskStatus: ExpressibleByArgument {}

/// `tapelib task …`: queue library operations for the running service (`tapelib serve`) and
/// follow them. The queue is the catalog's tl_task_queue, so this works from any process on
/// the media server; tasks are validated before they are queued.
struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Queue library tasks for the service and follow them.",
        subcommands: [Submit.self, List.self, Show.self, Wait.self, Cancel.self, Kill.self, Pause.self,
                      Continue.self, Restart.self])

    struct Catalog: ParsableArguments {
        @Option(name: .customLong("state-dir"),
                help: "State directory (default: /var/lib/tapelib as root, $XDG_STATE_HOME/tapelib otherwise).")
        var stateDirectory: String?

        @Option(name: .customLong("catalog"),
                help: ArgumentHelp("The catalog: postgres://USER@HOST:PORT/DB[?sslmode=…] or sqlite:DIR "
                                   + "(default: --state-dir's SQLite file when given, else $TAPELIB_CATALOG_URL, "
                                   + "else the default state directory's).", valueName: "url"))
        var catalog: String?

        var location: CatalogLocation {
            get throws {
                try CatalogLocation.resolve(flag: catalog, stateDirectory: StateDirectory.resolve(override: stateDirectory),
                                            stateDirectoryGiven: stateDirectory != nil, poolSize: 2)
            }
        }

        /// The catalog named, which must exist: a mistyped --state-dir is an error, not a new
        /// empty catalog, and a PostgreSQL catalog must have this build's schema.
        func open() async throws -> TapeCatalog {
            let location = try self.location
            if case .sqlite(let directory) = location {
                let path = StateDirectory.catalogPath(in: directory)
                guard FileManager.default.fileExists(atPath: path) else {
                    throw CommandFailure("no catalog at \(path): start `tapelib serve` or run `tapelib catalog init` "
                                         + "for that state directory first")
                }
            }
            return try await TapeCatalog.open(location, migrate: false)
        }
    }

    /// `tapelib task submit TYPE --library ID …`
    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "submit",
            abstract: "Queue a library task: \(LibraryTaskType.allCases.map(\.rawValue).joined(separator: ", ")).")

        @Argument(help: "The task type.") var type: LibraryTaskType
        @Option(name: .long, help: "Tape library id.") var library: Int64
        @Option(name: .long, help: "Drive id (load, unload, erase, format, check_ltfs, clean).") var drive: Int64?
        @Option(name: .long, help: "Source element address (move, load, export, import).") var source: Int?
        @Option(name: .long, help: "Target element address (move, unload, import, export).") var target: Int?
        @Option(name: .long, help: "Cartridge volume tag (load, export: instead of --source; erase, format, check_ltfs: instead of --drive, loaded into a free drive and returned home).")
        var cartridge: String?
        @Flag(name: .long, help: "Long erase (the whole tape) instead of a short one.") var long = false
        @Option(name: .long, help: "Format kind: plain or ltfs.") var format: FormatKind?
        @Option(name: .customLong("volume-name"), help: "LTFS volume name (format --format ltfs).") var volumeName: String?
        @Flag(name: .long, help: "Format a cartridge that holds data.") var force = false
        @Flag(name: .long, help: "Sync: have the changer re-inventory every element first (INITIALIZE ELEMENT STATUS).")
        var initialize = false
        @Option(name: .long, help: "Import: the pool (id) the imported cartridges join.") var pool: Int64?
        @Option(name: .long, help: "Priority (higher runs first).") var priority = 100
        @Flag(name: .long, help: "Follow the task until it ends (as `task wait`).") var wait = false
        @Option(name: .long, help: "With --wait: give up after this many seconds (exit 3).") var timeout: Double?
        @Flag(name: .long, help: "Print the queued task as JSON.") var json = false
        @OptionGroup var catalog: Catalog

        func validate() throws { try validateTimeout(timeout) }

        func run() async throws {
            try await reportingFailures {
                let database = try await catalog.open()
                var cartridgeID: Int64?
                if let cartridge {
                    guard let found = try await database.cartridge(volumeTag: cartridge) else {
                        throw CommandFailure("no cartridge with volume tag \(cartridge) in the catalog")
                    }
                    cartridgeID = found.id
                }
                var request = LibraryTask(
                    type: type, priority: priority, libraryId: library, driveId: drive, cartridgeId: cartridgeID,
                    sourceElement: source, targetElement: target, poolId: pool, longErase: long, formatKind: format,
                    volumeName: volumeName, force: force)
                request.initializeElements = initialize
                let task = try await LibraryTaskValidation.enqueue(request, catalog: database)
                // Unbuffered, so it comes before the progress bar on standard error.
                let text = json ? try Output.json(TaskView(task))
                    : "Task \(type.rawValue) was added to the queue. TASK WAS ADDED TO QUEUE:\(task.id ?? 0)"
                FileHandle.standardOutput.write(Data((text + "\n").utf8))
                if wait, let id = task.id { try await follow(id, in: database, timeout: timeout) }
            }
        }
    }

    /// `tapelib task list`
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List library tasks, newest first.")

        @Option(name: .long, help: "Only tasks with this status (new, execution, done, error, broken, …).")
        var status: TaskStatus?
        @Option(name: .long, help: "At most this many.") var limit = 50
        @Flag(name: .long, help: "Print JSON.") var json = false
        @OptionGroup var catalog: Catalog

        func validate() throws {
            guard (1...1_000).contains(limit) else { throw ValidationError("--limit must be 1…1000") }
        }

        func run() async throws {
            try await reportingFailures {
                let filter = status.map { "status=\"\($0.rawValue)\"" }
                let page = try await catalog.open().listLibraryTasks(
                    ListQuery(filter: filter, page: 1, limit: limit, sort: "id", direction: .descending))
                if json { try Output.printJSON(page.items.map(TaskView.init)); return }
                print(Output.table(["ID", "TYPE", "STATUS", "%", "PHASE", "ERROR"], page.items.map { task in
                    [String(task.id ?? 0), task.type.rawValue, task.status.rawValue,
                     String(Int(task.progressPercent)), task.phase, task.errorMessage ?? ""]
                }))
            }
        }
    }

    /// `tapelib task show ID`
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a task and its log.")

        @Argument(help: "Task id (the queue number).") var id: Int64
        @Flag(name: .long, help: "Print JSON.") var json = false
        @OptionGroup var catalog: Catalog

        func run() async throws {
            try await reportingFailures {
                let database = try await catalog.open()
                guard let task = try await database.libraryTask(id: id) else {
                    throw CommandFailure("no library task \(id)")
                }
                let log = try await database.log(ofLibraryTask: id)
                if json {
                    try Output.printJSON(TaskDetail(task: TaskView(task), log: log.map(LogLine.init)))
                    return
                }
                let view = TaskView(task)
                print("task \(id): \(view.type) \(view.status) \(Int(view.progressPercent))% \(view.phase)")
                if let error = view.errorMessage { print("error: \(error)") }
                if let sense = view.senseDescription { print("sense: \(sense)") }
                for line in log { print("\(ISO8601DateFormatter().string(from: line.loggedAt)) \(line.level): \(line.message)") }
            }
        }
    }

    /// `tapelib task wait ID`: a progress bar until the task ends; exit 0 when done.
    struct Wait: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "wait", abstract: "Follow a task until it ends.")

        @Argument(help: "Task id (the queue number).") var id: Int64
        @Option(name: .long, help: "Give up after this many seconds (exit 3).") var timeout: Double?
        @OptionGroup var catalog: Catalog

        func validate() throws { try validateTimeout(timeout) }

        func run() async throws {
            try await reportingFailures { try await follow(id, in: try await catalog.open(), timeout: timeout) }
        }
    }
}

private func validateTimeout(_ timeout: Double?) throws {
    if let timeout, !(timeout.isFinite && timeout > 0 && timeout <= 7 * 86_400) {
        throw ValidationError("--timeout must be between 0 and 604800 seconds")
    }
}

extension TaskCommand {
    /// `tapelib task cancel ID`: a task still in the queue ends `killed`; one that has started
    /// is left to finish (the hardware step it is in cannot be taken back).
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a task that has not started.")

        @Argument(help: "Task id (the queue number).") var id: Int64
        @OptionGroup var catalog: Catalog

        func run() async throws {
            try await reportingFailures {
                let database = try await catalog.open()
                guard let task = try await database.cancelQueuedLibraryTask(id, reason: "cancelled by an operator") else {
                    throw CommandFailure("no library task \(id)")
                }
                switch task.status {
                case .killed where task.errorMessage == "cancelled by an operator":
                    print("task \(id) cancelled")
                case let status where status.isFinal:
                    throw CommandFailure("task \(id) has already ended (\(status.rawValue))")
                default:
                    throw CommandFailure("task \(id) has started (\(task.phase)); it cannot be cancelled, only waited for")
                }
            }
        }
    }
}

extension TaskCommand {
    /// `tapelib task kill ID`: a queued or paused task ends killed; a running one is asked to
    /// stop and stops at its next safe point (the service records how it ended).
    struct Kill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kill", abstract: "Kill a task: at once when queued, at its next safe point when running.")
        @Argument(help: "Task id (the queue number).") var id: Int64
        @OptionGroup var catalog: Catalog
        func run() async throws { try await control(id, .kill, catalog) }
    }

    /// `tapelib task pause ID`: a queued task is held until `continue`.
    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pause", abstract: "Hold a queued task.")
        @Argument(help: "Task id (the queue number).") var id: Int64
        @OptionGroup var catalog: Catalog
        func run() async throws { try await control(id, .pause, catalog) }
    }

    /// `tapelib task continue ID`: a paused task is queued again.
    struct Continue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "continue", abstract: "Release a paused task.")
        @Argument(help: "Task id (the queue number).") var id: Int64
        @OptionGroup var catalog: Catalog
        func run() async throws { try await control(id, .continue, catalog) }
    }

    /// `tapelib task restart ID`: a task that ended error, killed or broken runs again as its
    /// next attempt.
    struct Restart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restart", abstract: "Queue a task that ended error, killed or broken again as a new attempt.")
        @Argument(help: "Task id (the queue number).") var id: Int64
        @OptionGroup var catalog: Catalog
        func run() async throws { try await control(id, .restart, catalog) }
    }
}

/// Applies a task control through the catalog (the running service acts on a kill of a running
/// task at its next safe point); a refusal exits 1 with the reason.
private func control(_ id: Int64, _ action: TaskControlAction, _ options: TaskCommand.Catalog) async throws {
    try await reportingFailures {
        let database = try await options.open()
        let outcome: TaskControlOutcome
        do {
            outcome = try await database.controlLibraryTask(id, action, by: "tapelib task \(action.rawValue)")
        } catch let error as CatalogError {
            switch error {
            case .notFound: throw CommandFailure("no library task \(id)")
            case .conflict(let why): throw CommandFailure(why)
            default: throw error
            }
        }
        switch (action, outcome) {
        case (.kill, .requested(let task)):
            print("task \(id) is running (\(task.phase)); it stops at its next safe point")
        case (.kill, .applied): print("task \(id) killed")
        case (.pause, _): print("task \(id) paused")
        case (.continue, _): print("task \(id) queued again")
        case (.restart, let outcome): print("task \(id) queued again as attempt \(outcome.task.attempt)")
        }
    }
}

/// Polls a task, drawing its progress on standard error, until it ends; throws exit code 1
/// unless it is done, 3 when `timeout` passes first. A task nobody starts gets a hint.
private func follow(_ id: Int64, in catalog: TapeCatalog, timeout: Double?) async throws {
    var bar: ProgressBar?
    var phase = ""
    let clock = ContinuousClock()
    let start = clock.now
    var hinted = false
    while true {
        guard let task = try await catalog.libraryTask(id: id) else { throw CommandFailure("no library task \(id)") }
        if task.phase != phase, !task.phase.isEmpty {
            phase = task.phase
            bar = ProgressBar("task \(id) \(task.type.rawValue): \(phase)")
        }
        bar?.update(task.progressPercent / 100)
        if task.status.isFinal {
            if task.status == .done {
                bar?.finish()
                FileHandle.standardError.write(Data("task \(id) done\n".utf8))
                return
            }
            Output.error("task \(id) ended \(task.status.rawValue): \(task.errorMessage ?? "no reason recorded")")
            throw ExitCode(1)
        }
        let waited = clock.now - start
        if task.status == .new, !hinted, waited > .seconds(10) {
            hinted = true
            Output.error("task \(id) is still queued after 10 s: is `tapelib serve` running for this state directory?")
        }
        if let timeout, waited > .milliseconds(Int64(timeout * 1_000)) {
            Output.error("task \(id) has not ended after \(timeout) s (\(task.status.rawValue), \(task.phase))")
            throw ExitCode(3)
        }
        try await Task.sleep(for: .milliseconds(200))
    }
}

/// A task as the CLI prints it (snake_case keys, as the API will).
struct TaskView: Encodable {
    var id: Int64
    var type: String
    var status: String
    var priority: Int
    var progressPercent: Double
    var phase: String
    var libraryId: Int64?
    var driveId: Int64?
    var cartridgeId: Int64?
    var sourceElement: Int?
    var targetElement: Int?
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?
    var errorMessage: String?
    var senseKey: Int?
    var asc: Int?
    var ascq: Int?
    var senseDescription: String?
    var attempt: Int

    init(_ task: LibraryTask) {
        id = task.id ?? 0; type = task.type.rawValue; status = task.status.rawValue; priority = task.priority
        progressPercent = task.progressPercent; phase = task.phase; libraryId = task.libraryId
        driveId = task.driveId; cartridgeId = task.cartridgeId; sourceElement = task.sourceElement
        targetElement = task.targetElement; createdAt = task.createdAt; startedAt = task.startedAt
        finishedAt = task.finishedAt; errorMessage = task.errorMessage; senseKey = task.senseKey
        asc = task.asc; ascq = task.ascq; senseDescription = task.senseDescription; attempt = task.attempt
    }
}

struct LogLine: Encodable {
    var loggedAt: Date
    var level: String
    var message: String

    init(_ entry: TaskLogEntry) { loggedAt = entry.loggedAt; level = entry.level; message = entry.message }
}

struct TaskDetail: Encodable {
    var task: TaskView
    var log: [LogLine]
}

/// A command that cannot be carried out for a reason found in the catalog (exit status 1).
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
