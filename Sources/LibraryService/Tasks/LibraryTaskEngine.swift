import Catalog
import Discovery
import Foundation
import Logging
import SCSI
import Synchronization
import TapeHardware

/// Runs library operations (tl_task_queue) against the hardware: one robot per library, so
/// tasks that need a changer run one at a time on it, while drives work in parallel.
///
/// - Every status change is committed before the hardware step it announces, so a crash leaves
///   a record of what may have happened; at start-up, tasks a crash interrupted end as
///   `broken`.
/// - A library whose catalog may be stale (at start-up, after a changer came back, after a
///   robot task lost a device) runs nothing but a sync until a sync has succeeded.
/// - The catalog follows the hardware: after a robot task (whether it worked or not) the
///   library's inventory is read back and reconciled, rather than assuming what moved.
/// - Devices are tracked by serial through the `DeviceTracker`: when a device a running task
///   uses disappears, the task fails at once with the reason (which device, where it was last
///   seen) and the drive is marked offline; when it comes back, under the same sg node or
///   another, it is re-bound and marked online.
public actor LibraryTaskEngine {
    public struct Settings: Sendable {
        /// How often a drive is polled during an IMMED operation (long erase).
        public var drivePollInterval: Duration
        /// How long to wait between NOT READY retries while a device becomes ready.
        public var retryInterval: Duration
        /// Priority of the syncs the engine queues itself (start-up, a changer back).
        public var recoverySyncPriority: Int
        /// How often the queue is read again without a wake-up (tasks another process queued).
        public var queuePollInterval: Duration
        /// How long a drive may stay in its cleaning cycle before the clean task gives up.
        public var cleaningTimeout: Duration
        /// Register every cartridge a sync finds (a simulated library, whose cartridges are the
        /// operator's by construction); otherwise a sync reports unregistered ones as an error.
        public var registerFoundCartridges: Bool
        /// How long an unload waits for a drive still busy with an operation nobody waits for
        /// (a long erase of an LTO-9 full-height drive takes about 20.6 h).
        public var busyDriveTimeout: Duration
        /// This media server's name, written in the log of every task the engine starts ("started
        /// on media server NAME"): on a shared catalog, which node ran a task.
        public var mediaServerName: String?

        public init(drivePollInterval: Duration = .seconds(1), retryInterval: Duration = .milliseconds(500),
                    recoverySyncPriority: Int = 1_000, queuePollInterval: Duration = .seconds(5),
                    cleaningTimeout: Duration = .seconds(900), registerFoundCartridges: Bool = false,
                    busyDriveTimeout: Duration = .seconds(24 * 3_600)) {
            self.registerFoundCartridges = registerFoundCartridges
            self.busyDriveTimeout = busyDriveTimeout
            self.drivePollInterval = drivePollInterval
            self.retryInterval = retryInterval
            self.recoverySyncPriority = recoverySyncPriority
            self.queuePollInterval = queuePollInterval
            self.cleaningTimeout = cleaningTimeout
        }
    }

    struct RunningTask {
        var task: LibraryTask
        /// Every device the task uses (a task fails when one goes away). The changer is among
        /// them for any task that moves cartridges; it is held only by robot tasks (sync, move,
        /// import, export), while drive tasks take the robot (`withRobot`) just for their moves.
        var devices: Set<RegisteredDevice>
        /// The devices no other task may use while this one runs.
        var held: Set<RegisteredDevice>
        var work: Task<Void, Never>?
        /// Set when a device of the task disappeared: the task has already been failed with it.
        var lostDevice: DeviceOfflineError?
        /// Set (before any await) by whichever path records the task's end, so it is recorded once.
        var endClaimed = false
        /// Set when shutdown stopped the task (a drive operation that would outlast the stop timeout).
        var stoppedForShutdown = false
    }

    public let catalog: TapeCatalog
    public let tracker: DeviceTracker
    let settings: Settings
    let logger: Logger

    private(set) var bindings: [Int64: LibraryBinding] = [:]
    private(set) var running: [Int64: RunningTask] = [:]
    private var changerActors: [String: TapeHardware.MediumChanger] = [:]
    /// One robot per library, taken only while it moves.
    private var robots: [Int64: RobotLock] = [:]
    private var driveActors: [String: TapeDrive] = [:]
    private var draining = false
    /// Set by the graceful-shutdown handler itself, before the actor gets to `stopDispatching`:
    /// once the handler has run, nothing new starts, however the actor's jobs interleave.
    private let shutdownRequested = Atomic<Bool>(false)
    /// Nothing new starts.
    private var isDraining: Bool { draining || shutdownRequested.load(ordering: .sequentiallyConsistent) }
    private var serving = false
    /// Libraries that run nothing but a sync until a sync has succeeded.
    private var syncRequired: Set<Int64> = []
    /// Libraries whose drives are emptied after the start-up sync, before any other task runs
    /// (policy `unload_tape_cartridges_whes_media_server_starts`).
    private var unloadAfterSync: Set<Int64> = []
    /// The start-up unload tasks of each library; until they end, nothing else runs there.
    private var startupUnloads: [Int64: Set<Int64>] = [:]
    /// Drives whose cartridge a finished task left for the next task on it (consolidation):
    /// drive id → the library and that task. Resolved at each dispatch.
    private var handOffs: [Int64: (library: Int64, successor: Int64)] = [:]
    /// The global configuration's policies, read at the start of `serve()`.
    private(set) var policies = LibraryPolicies()
    private var lastPrune: ContinuousClock.Instant?
    /// How many queue polls have run (tests wait for polls rather than for a guessed time).
    public private(set) var pollCount = 0
    /// Presence changes, subscribed once (at the first attach) for the engine's lifetime, so
    /// none is lost before or between `serve()` runs.
    private var presenceChanges: AsyncStream<PresenceChange>?
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let stops: AsyncStream<Void>
    private let stop: AsyncStream<Void>.Continuation

    public init(catalog: TapeCatalog, tracker: DeviceTracker, settings: Settings = Settings(),
                logger: Logger = Logger(label: "tapelib.tasks")) {
        self.catalog = catalog
        self.tracker = tracker
        self.settings = settings
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (stops, stop) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    // MARK: Libraries

    /// Starts serving a library: its changer and drives are tracked by serial, and the catalog's
    /// device nodes and drive states are brought up to date with what the host shows now.
    @discardableResult
    public func attach(library libraryID: Int64) async throws(LibraryServiceError) -> LibraryBinding {
        let library: TapeLibrary?
        do { library = try await catalog.library(id: libraryID) } catch { throw .catalog(error) }
        guard let library else { throw .libraryNotFound(libraryID) }
        guard let changerID = library.mediumChangerId else { throw .libraryWithoutChanger(libraryID) }
        let changerRow: Catalog.MediumChanger?
        let driveRows: [LibraryTapeDrive]
        do {
            changerRow = try await catalog.changer(id: changerID)
            driveRows = try await catalog.drives(library: libraryID)
        } catch {
            throw .catalog(error)
        }
        guard let changerRow else { throw .libraryWithoutChanger(libraryID) }
        guard !changerRow.serial.isEmpty else { throw .deviceWithoutSerial("medium changer \(changerID)") }
        var drives: [Int64: LibraryBinding.Drive] = [:]
        for row in driveRows {
            guard let id = row.id else { continue }
            guard !row.serial.isEmpty else { throw .deviceWithoutSerial("drive \(id)") }
            drives[id] = LibraryBinding.Drive(driveID: id, elementAddress: row.sysTransferElement,
                                              device: RegisteredDevice(serial: row.serial, kind: .drive))
        }
        let binding = LibraryBinding(libraryID: libraryID, changerID: changerID,
                                     changer: RegisteredDevice(serial: changerRow.serial, kind: .changer),
                                     drives: drives)
        if presenceChanges == nil { presenceChanges = await tracker.changes() }
        var presences: [(RegisteredDevice, DevicePresence)] = []
        for device in [binding.changer] + binding.drives.values.map(\.device) {
            do { presences.append((device, try await tracker.register(device))) } catch { throw .discovery(error) }
        }
        // Published only now that every device is registered: a dispatch in between would find
        // no presence for them.
        bindings[libraryID] = binding
        if robots[libraryID] == nil { robots[libraryID] = RobotLock() }
        for (device, presence) in presences { await record(presence, of: device) }
        if serving { await requireSync(libraryID, reason: "library attached") }
        await learnGenerations(of: binding)
        wake.yield()
        return binding
    }

    /// Stops serving a library deleted from the catalog (the caller made sure no task is left for
    /// it): its devices are no longer tracked.
    public func detach(library libraryID: Int64) async {
        guard let binding = bindings.removeValue(forKey: libraryID) else { return }
        for device in [binding.changer] + binding.drives.values.map(\.device) { await tracker.unregister(device) }
    }

    /// Whether this engine serves `libraryID` (jobs for other libraries are not its business).
    public func isAttached(_ libraryID: Int64) -> Bool { bindings[libraryID] != nil }

    /// The libraries this engine serves.
    public var attachedLibraries: Set<Int64> { Set(bindings.keys) }

    // MARK: Queue

    /// Validates and queues a library task; the engine runs it when its devices are free.
    /// On a shared catalog (PostgreSQL), a task for a library another media server serves is
    /// validated against the catalog and queued for that media server's engine, which the queuing
    /// wakes (`tapelib_tasks`); its progress is the catalog's, visible from every node.
    public func submit(_ task: LibraryTask) async throws(LibraryServiceError) -> LibraryTask {
        var task = task
        if catalog.isShared, let libraryID = task.libraryId, bindings[libraryID] == nil {
            // This media server's own library that is not attached (its changer missing) is
            // refused as on SQLite; another media server's is queued for it.
            let owner: MediaServer?
            do {
                guard let library = try await catalog.library(id: libraryID) else { throw LibraryServiceError.libraryNotFound(libraryID) }
                owner = try await catalog.mediaServer(id: library.mediaServerId)
            } catch let error as LibraryServiceError {
                throw error
            } catch let error as CatalogError {
                throw .catalog(error)
            } catch {
                throw .catalog(.storage("\(error)"))
            }
            guard let owner, owner.hostname != settings.mediaServerName else { throw .libraryNotAttached(libraryID) }
            return try await LibraryTaskValidation.enqueue(task, catalog: catalog)
        }
        try validate(&task)
        task.status = .new
        let queued: LibraryTask
        do { queued = try await catalog.enqueue(task) } catch { throw .catalog(error) }
        wake.yield()
        return queued
    }

    private func validate(_ task: inout LibraryTask) throws(LibraryServiceError) {
        guard let libraryID = task.libraryId else { throw .invalidTask("a library task needs library_id") }
        guard let binding = bindings[libraryID] else { throw .libraryNotAttached(libraryID) }
        try LibraryTaskValidation.validate(&task, drivesOfLibrary: Set(binding.drives.keys))
    }

    /// The devices a task uses, and those it holds (exclusively) while it runs.
    private func devices(for task: LibraryTask) throws(TaskRunFailure)
        -> (uses: Set<RegisteredDevice>, holds: Set<RegisteredDevice>) {
        guard let libraryID = task.libraryId, let binding = bindings[libraryID] else {
            throw TaskRunFailure(message: "tape library \(task.libraryId.map(String.init) ?? "?") is not attached")
        }
        var holds: Set<RegisteredDevice> = []
        // A move or export from or to a drive's element also holds that drive: the library may
        // unload it itself, which must not happen under an erase or a format.
        for address in [task.sourceElement, task.targetElement].compactMap({ $0 }) {
            for drive in binding.drives.values where drive.elementAddress == address { holds.insert(drive.device) }
        }
        var uses = holds
        switch task.type {
        case .sync, .move, .import, .export:
            holds.insert(binding.changer)
            uses.insert(binding.changer)
        case .load, .unload, .clean:
            uses.insert(binding.changer)
            if let drive = try self.drive(of: task, in: binding) { holds.insert(drive.device); uses.insert(drive.device) }
        case .erase, .format, .checkLTFS:
            // Addressed by cartridge: the engine loads it and returns it home (the robot).
            if task.cartridgeId != nil { uses.insert(binding.changer) }
            if let drive = try self.drive(of: task, in: binding) { holds.insert(drive.device); uses.insert(drive.device) }
        }
        return (uses, holds)
    }

    /// Runs `body` holding the library's robot (a move and the read-back of what it moved, so
    /// that no other move interleaves and the catalog sees each move's result).
    func withRobot<T: Sendable>(_ libraryID: Int64, _ kind: RobotRequest.Kind = .other, priority: Int = 100,
                                _ body: () async throws -> T) async throws -> T {
        guard let robot = robots[libraryID] else {
            throw TaskRunFailure(.libraryOffline, message: "tape library \(libraryID) is not attached")
        }
        await robot.acquire(kind, priority: priority)
        do {
            let value = try await body()
            await robot.release()
            return value
        } catch {
            await robot.release()
            throw error
        }
    }

    private func drive(of task: LibraryTask, in binding: LibraryBinding) throws(TaskRunFailure) -> LibraryBinding.Drive? {
        guard let driveID = task.driveId else { throw TaskRunFailure(message: "no drive_id") }
        guard let drive = binding.drives[driveID] else {
            throw TaskRunFailure(message: "drive \(driveID) is not a drive of tape library \(binding.libraryID)")
        }
        return drive
    }

    // MARK: Running

    /// The engine's loop: recovers from an interrupted run, then dispatches queued tasks and
    /// follows device presence until cancelled. On cancellation it starts nothing new and waits
    /// for running tasks to finish (a move in flight completes).
    public func serve() async {
        draining = false
        shutdownRequested.store(false, ordering: .sequentiallyConsistent)
        serving = true
        defer { serving = false }
        await recoverInterruptedTasks()
        await refreshPolicies()
        if policies.unloadAtStart { unloadAfterSync = Set(bindings.keys) }
        // Whatever happened while nothing served the libraries (a crash, an operator at the
        // front panel), the catalog is checked against the hardware before any task runs.
        for libraryID in bindings.keys.sorted() { await requireSync(libraryID, reason: "service start") }
        let changes: AsyncStream<PresenceChange>
        if let subscribed = presenceChanges {
            changes = subscribed
        } else {
            changes = await tracker.changes()
            presenceChanges = changes
        }
        let wakeups = self.wakeups
        let stops = self.stops
        let pollInterval = settings.queuePollInterval
        let wake = self.wake
        // On a shared catalog, tasks queued by other media servers' APIs and by `tapelib task`
        // are announced (LISTEN/NOTIFY); the poll stays as the fallback.
        let queuedElsewhere = catalog.taskQueued()
        wake.yield()
        await withTaskGroup(of: Void.self) { group in
            if let queuedElsewhere {
                group.addTask {
                    for await library in queuedElsewhere {
                        if let library, await !self.isAttached(library) { continue }
                        wake.yield()
                    }
                }
            }
            group.addTask {
                for await change in changes { await self.handle(change) }
            }
            group.addTask {
                for await _ in wakeups { await self.dispatch() }
            }
            group.addTask {
                // Tasks queued by another process, and a queue read that failed, are picked up.
                while (try? await Task.sleep(for: pollInterval)) != nil { await self.nudge() }
            }
            group.addTask {
                for await _ in stops { return }
            }
            await group.next()
            group.cancelAll()
        }
        // Cancelling its consumer terminated the subscription; a later serve() subscribes anew.
        presenceChanges = nil
        await drain()
    }

    /// The poll: the global configuration read again (an operator may have changed a policy),
    /// finished tasks past their retention removed (at most once a minute), and a dispatch.
    private func nudge() async {
        pollCount += 1
        await refreshPolicies()
        if lastPrune.map({ ContinuousClock.now - $0 > .seconds(60) }) ?? true {
            lastPrune = ContinuousClock.now
            await pruneFinishedTasks()
        }
        wake.yield()
    }

    func refreshPolicies() async {
        do {
            policies = try LibraryPolicies(configuration: try await catalog.globalConfiguration())
        } catch {
            logger.error("reading the global configuration failed; the policies in force stay: \(error)")
        }
    }

    /// Removes finished tasks older than their status's retention period, with their logs.
    func pruneFinishedTasks(now: Date = Date()) async {
        let cutoffs = policies.retentionMinutes.mapValues { now.addingTimeInterval(-Double($0) * 60) }
        do {
            let removed = try await catalog.pruneFinishedLibraryTasks(endedBefore: cutoffs)
            if removed > 0 { logger.info("removed \(removed) finished task(s) past their retention period") }
        } catch {
            logger.error("removing finished tasks failed: \(error)")
        }
    }

    /// Stops dispatching and waits for the tasks in flight.
    public func drain() async {
        draining = true
        while let work = running.values.first(where: { $0.work != nil })?.work {
            await work.value
        }
    }

    /// Ends `serve()`: nothing new starts; robot tasks in flight finish (a cartridge is never
    /// left in the picker), while drive operations that can take hours (erase, format, LTFS
    /// check) are stopped and end as `killed` with the reason — the drive carries an IMMED
    /// erase or format on by itself, and the catalog says so rather than guessing.
    /// For the graceful-shutdown handler, which runs outside the actor: from now on nothing new
    /// starts (`stopDispatching` then does the rest on the actor).
    nonisolated func requestShutdown() {
        shutdownRequested.store(true, ordering: .sequentiallyConsistent)
    }

    public func stopDispatching() {
        draining = true
        stop.yield()
        for (id, run) in running where [.erase, .format, .checkLTFS].contains(run.task.type) {
            running[id]?.stoppedForShutdown = true
            run.work?.cancel()
        }
    }

    /// Tasks that had started when the service last stopped end as `broken` (the start-up sync
    /// then checks the catalog against the hardware before anything queued runs).
    func recoverInterruptedTasks() async {
        do {
            let broken = try await catalog.breakInterruptedLibraryTasks(libraries: Set(bindings.keys),
                reason: "the service stopped while this task ran; what the hardware finished is unknown, "
                    + "so the library is synced before queued tasks run")
            for task in broken {
                logger.warning("task \(task.id ?? -1) (\(task.type.rawValue)) was interrupted and ends as broken")
            }
        } catch {
            logger.error("recovery after restart failed: \(error)")
        }
    }

    /// Holds every task of a library but syncs until a sync has succeeded, and queues that sync
    /// when the changer is online and none is queued yet.
    func requireSync(_ libraryID: Int64, reason: String) async {
        guard let binding = bindings[libraryID] else { return }
        syncRequired.insert(libraryID)
        guard case .online? = await tracker.presence(of: binding.changer) else { return }
        do {
            let pending = try await catalog.pendingLibraryTasks(library: libraryID)
            guard !pending.contains(where: { $0.type == .sync && $0.status == .new }) else { return }
            _ = try await catalog.enqueue(LibraryTask(type: .sync, priority: settings.recoverySyncPriority,
                                                      libraryId: libraryID))
            logger.info("library \(libraryID): sync queued (\(reason))")
        } catch {
            logger.error("library \(libraryID): queuing a sync failed: \(error)")
        }
        wake.yield()
    }

    /// A sync succeeded: the catalog matches the hardware again.
    func syncSucceeded(_ libraryID: Int64) async {
        syncRequired.remove(libraryID)
        guard unloadAfterSync.remove(libraryID) != nil, let binding = bindings[libraryID] else { return }
        // The gate is up before the first await: no dispatch in between starts another task.
        startupUnloads[libraryID] = []
        // Start-up policy: drives still holding a cartridge (a task a crash interrupted, an
        // operator's manual load) are emptied first, each by an unload task of its own.
        var queued: Set<Int64> = []
        for drive in binding.drives.values.sorted(by: { $0.driveID < $1.driveID }) {
            guard let address = drive.elementAddress,
                  let slot = try? await catalog.slot(library: libraryID, address: address), slot.full else { continue }
            if let id = await queueUnload(library: libraryID, drive: drive.driveID,
                                          "drive \(drive.driveID) holds \(slot.volumeTag ?? "a cartridge") at start") {
                queued.insert(id)
            }
        }
        startupUnloads[libraryID] = queued.isEmpty ? nil : queued
    }

    /// Records that `drive` keeps its cartridge for task `successor`.
    func handOff(drive driveID: Int64, library libraryID: Int64, to successor: Int64) {
        handOffs[driveID] = (libraryID, successor)
    }

    /// A cartridge left in a drive for a task that will not take it there — killed, paused,
    /// failed, or gone to another drive — would hold the drive for ever: once its successor has
    /// started (it took the cartridge) the hand-off is done; once it is no longer queued, an
    /// unload is queued for the drive.
    func resolveHandOffs(pending: [LibraryTask]) async {
        let queued = Set(pending.filter { $0.status == .new }.compactMap(\.id))
        for (driveID, handOff) in handOffs.sorted(by: { $0.key < $1.key }) {
            if running[handOff.successor] != nil {
                handOffs[driveID] = nil
                continue
            }
            guard !queued.contains(handOff.successor) else { continue }
            handOffs[driveID] = nil
            _ = await queueUnload(library: handOff.library, drive: driveID,
                                  "task \(handOff.successor) will not use the cartridge left for it in drive \(driveID)")
        }
    }

    /// A start-up unload ended (however): the library's other tasks may run once all have.
    private func startupUnloadEnded(_ id: Int64) {
        for (libraryID, var ids) in startupUnloads where ids.remove(id) != nil {
            startupUnloads[libraryID] = ids.isEmpty ? nil : ids
        }
    }

    /// Starts every queued task whose devices are free, in priority order; a task waiting for
    /// a device keeps later tasks off that device (no overtaking on one robot or drive).
    func dispatch() async {
        guard !isDraining else { return }
        let pending: [LibraryTask]
        do { pending = try await catalog.pendingLibraryTasks() } catch {
            if !Task.isCancelled { logger.error("reading the task queue failed: \(error)") }
            return
        }
        // A start-up unload that ended without this engine (killed or paused by an operator,
        // taken by another process) leaves the gate, or the library would wait for it for ever.
        let queuedIDs = Set(pending.filter { $0.status == .new }.compactMap(\.id))
        for (libraryID, gate) in startupUnloads where !gate.isEmpty {
            let open = gate.filter { queuedIDs.contains($0) || running[$0] != nil }
            startupUnloads[libraryID] = open.isEmpty ? nil : open
        }
        await resolveHandOffs(pending: pending)
        var waitedFor: Set<RegisteredDevice> = []
        // No cartridge is ever in two running tasks: a task on a cartridge another task uses
        // waits, and keeps later tasks on that cartridge behind it.
        var cartridgesWaitedFor: Set<Int64> = []
        for queued in pending where queued.status == .new {
            var task = queued
            // Shutdown may have begun during one of the awaits below.
            guard !isDraining else { return }
            guard let id = task.id, running[id] == nil,
                  let libraryID = task.libraryId, bindings[libraryID] != nil else { continue }
            if let cartridgeID = task.cartridgeId {
                guard !cartridgeInUse(cartridgeID), !cartridgesWaitedFor.contains(cartridgeID) else {
                    cartridgesWaitedFor.insert(cartridgeID)
                    continue
                }
            }
            if syncRequired.contains(libraryID) && task.type != .sync { continue }
            // A sync passes (the library may need one before its unloads can run).
            if let gate = startupUnloads[libraryID], !gate.contains(id), task.type != .sync { continue }
            // Service mode holds every hardware task; the service window holds those not urgent.
            guard policies.allowsHardwareWork(priority: task.priority, at: Date()) else { continue }
            if task.driveId == nil, task.cartridgeId != nil, [.erase, .format, .checkLTFS, .load].contains(task.type) {
                // Addressed by cartridge: the first free drive that can do the work, else wait.
                do {
                    guard let chosen = try await freeDrive(for: task, library: libraryID, excluding: waitedFor) else {
                        continue
                    }
                    task.driveId = chosen
                } catch let error as CatalogError {
                    logger.error("task \(id): choosing a drive failed, tried again later: \(error)")
                    continue
                } catch {
                    await failQueued(id, failure: TaskFailure(task: task, error: error))
                    continue
                }
                guard !isDraining, running[id] == nil else { continue }
            }
            let devices: Set<RegisteredDevice>
            let held: Set<RegisteredDevice>
            do { (devices, held) = try self.devices(for: task) } catch {
                await failQueued(id, failure: TaskFailure(task: task, error: error))
                continue
            }
            guard held.isDisjoint(with: heldDevices), held.isDisjoint(with: waitedFor) else {
                waitedFor.formUnion(held)
                continue
            }
            if let offline = await offlineDevice(among: devices) {
                await failQueued(id, failure: TaskFailure(task: task, error: offline))
                continue
            }
            if let refusal = await unusableDrive(of: task) {
                await failQueued(id, failure: TaskFailure(task: task, error: TaskRunFailure(message: refusal)))
                continue
            }
            // Checked again after the awaits above: shutdown, or a task started or ended meanwhile.
            guard !isDraining, running[id] == nil, held.isDisjoint(with: heldDevices),
                  !(task.cartridgeId.map(cartridgeInUse) ?? false) else { continue }
            waitedFor.formUnion(held)
            if let cartridgeID = task.cartridgeId { cartridgesWaitedFor.insert(cartridgeID) }
            running[id] = RunningTask(task: task, devices: devices, held: held)
            do {
                // Compare and set: a task another process cancelled or took meanwhile stays theirs.
                guard try await catalog.claimLibraryTask(id, phase: "starting", drive: task.driveId) else {
                    running[id] = nil
                    continue
                }
            } catch {
                running[id] = nil
                logger.error("task \(id) could not be started: \(error)")
                continue
            }
            running[id]?.work = Task { await self.execute(task) }
            // Shutdown began during the claim: a long drive operation is stopped as stopDispatching
            // stops those already running (robot work runs to its end).
            if draining && [.erase, .format, .checkLTFS].contains(task.type) {
                running[id]?.stoppedForShutdown = true
                running[id]?.work?.cancel()
            }
        }
    }

    var heldDevices: Set<RegisteredDevice> { Set(running.values.flatMap(\.held)) }

    private func cartridgeInUse(_ cartridgeID: Int64) -> Bool {
        running.values.contains { $0.task.cartridgeId == cartridgeID }
    }

    /// Queues an unload of `driveID` at the recovery priority (the engine's own work); nil when
    /// queuing failed (logged with `why`).
    private func queueUnload(library libraryID: Int64, drive driveID: Int64, _ why: String) async -> Int64? {
        do {
            let unload = try await catalog.enqueue(LibraryTask(type: .unload, priority: settings.recoverySyncPriority,
                                                               libraryId: libraryID, driveId: driveID))
            logger.info("library \(libraryID): \(why); unload \(unload.id ?? 0) of drive \(driveID) queued")
            return unload.id
        } catch {
            logger.error("library \(libraryID): \(why); queuing the unload of drive \(driveID) failed: \(error)")
            return nil
        }
    }

    /// Why the task's drive cannot take it: disabled (by an operator or a TapeAlert), or
    /// waiting for a cleaning (only a clean or an unload runs on it then).
    private func unusableDrive(of task: LibraryTask) async -> String? {
        guard let driveID = task.driveId, let drive = try? await catalog.drive(id: driveID) else { return nil }
        switch drive.state {
        case .disabled:
            return "drive \(driveID) is disabled; enable it to run tasks on it"
        case .needsCleaning where task.type != .clean && task.type != .unload:
            return "drive \(driveID) needs cleaning (TapeAlert 14h); clean it first"
        default:
            return nil
        }
    }

    private func offlineDevice(among devices: Set<RegisteredDevice>) async -> DeviceOfflineError? {
        for device in devices.sorted(by: { $0.serial < $1.serial }) {
            switch await tracker.presence(of: device) {
            case .offline(let error): return error
            case .online: continue
            case nil: return DeviceOfflineError(device: device, lastPath: nil)
            }
        }
        return nil
    }

    private func execute(_ task: LibraryTask) async {
        guard let id = task.id else { return }
        var failure: (any Error)?
        do {
            // Which media server runs it (on a shared catalog, the one serving its library).
            if let name = settings.mediaServerName {
                try await catalog.appendLog(TaskLogEntry(tlTaskId: id, loggedAt: Date(), level: "info",
                                                         message: "started on media server \(name) (process \(getpid()))"))
            }
            try await perform(task, id: id)
            // A kill that came while the drive ran an operation SSC cannot stop (an IMMED
            // erase or format): the operation finished and its outcome is recorded; the task
            // still ends as the operator asked.
            if try await catalog.libraryTask(id: id)?.controlRequest == .kill {
                throw TaskKilled(phase: "after its last step, which the drive could not be stopped from finishing "
                                    + "(SSC has no abort for it); its outcome is recorded")
            }
        } catch {
            failure = error
        }
        await finish(id, failure: failure)
    }

    // MARK: Controls

    /// Kill, pause, continue or restart a task (the seed's task controls). A queued task is
    /// changed at once; a running one is asked to stop and stops at its next safe point
    /// (between hardware steps), ending `killed` with the reason. Refusals are
    /// `LibraryServiceError.catalog(.conflict)` with the reason.
    public func control(_ id: Int64, _ action: TaskControlAction, by who: String = "operator")
        async throws(LibraryServiceError) -> TaskControlOutcome {
        let outcome: TaskControlOutcome
        do { outcome = try await catalog.controlLibraryTask(id, action, by: who) } catch { throw .catalog(error) }
        wake.yield()
        return outcome
    }

    /// Claims the right to record how task `id` ended; false when another path already has.
    private func claimEnd(_ id: Int64) -> Bool {
        guard let run = running[id], !run.endClaimed else { return false }
        running[id]?.endClaimed = true
        return true
    }

    /// A sync task that reconciled the catalog (it ended done, or found only unregistered
    /// cartridges) has had its end recorded: the library's other tasks may run, after it.
    private func liftSyncGate(after run: RunningTask) async {
        guard run.task.type == .sync, let libraryID = run.task.libraryId else { return }
        await syncSucceeded(libraryID)
    }

    private func finish(_ id: Int64, failure error: (any Error)?) async {
        guard let run = running[id] else { return }
        defer {
            running[id] = nil
            startupUnloadEnded(id)
            wake.yield()
        }
        guard let error else {
            guard claimEnd(id) else { return }
            do {
                try await catalog.updateLibraryTask(id, status: .done, phase: "done")
            } catch {
                logger.error("task \(id) finished but could not be recorded: \(error)")
            }
            await liftSyncGate(after: run)
            return
        }
        var reason: any Error = error
        if error.isDeviceGone {
            for device in run.devices { evictDeviceActors(device) }
            // The node vanished under the command before udev told the tracker: rescan now so
            // the task names the device that disappeared rather than an errno. The presence
            // change this causes may record the failure first (claimEnd below).
            _ = try? await tracker.refresh()
            if let offline = await offlineDevice(among: run.devices) { reason = offline }
        }
        guard claimEnd(id) else { return }
        if let killed = error as? TaskKilled {
            let message = "\(run.task.type.rawValue) killed by request, stopped \(killed.phase)"
            do {
                try await catalog.updateLibraryTask(id, status: .killed, failure: TaskFailure(message: message, code: ServiceErrorCode.killed.rawValue),
                                                    log: (level: "warning", message: message))
            } catch {
                logger.error("task \(id): \(message); could not be recorded: \(error)")
            }
            // Where the robot left things is read back, as after a failure.
            if let libraryID = run.task.libraryId, let binding = bindings[libraryID], run.devices.contains(binding.changer) {
                do { try await withRobot(libraryID) { try await syncCatalog(library: libraryID, taskID: nil) } } catch {
                    await requireSync(libraryID, reason: "read-back after a killed task")
                }
            }
            return
        }
        if running[id]?.stoppedForShutdown == true {
            let message = "\(run.task.type.rawValue) stopped: the service shut down while it ran; the drive may "
                + "still complete an erase or format it had started, so run the task again for a result"
            // This task was cancelled, and the catalog refuses work from a cancelled task: the
            // record is written from a task of its own.
            let catalog = self.catalog
            let record = Task {
                try await catalog.updateLibraryTask(id, status: .killed, failure: TaskFailure(message: message, code: ServiceErrorCode.killed.rawValue),
                                                    log: (level: "warning", message: message))
            }
            do {
                _ = try await record.value
            } catch {
                logger.error("task \(id): \(message); could not be recorded: \(error)")
            }
            return
        }
        await fail(id, failure: TaskFailure(task: run.task, error: reason))
        // A sync that only found unregistered cartridges has just read the library. (Any other
        // failure is followed by a read-back, which lifts the gate itself when it succeeds.)
        guard !(error is UnregisteredCartridges) else {
            await liftSyncGate(after: run)
            return
        }
        guard let libraryID = run.task.libraryId, let binding = bindings[libraryID],
              run.devices.contains(binding.changer) else { return }
        // A robot step may have failed part-way: read back where the cartridges really are
        // (holding the robot, so no other robot step interleaves).
        do {
            try await withRobot(libraryID) { try await syncCatalog(library: libraryID, taskID: nil) }
        } catch {
            logger.error("library \(libraryID): reading the inventory back after task \(id) failed: \(error)")
            await requireSync(libraryID, reason: "read-back after a failed task")
        }
    }

    /// Fails a task the dispatcher refused, only if it is still queued (compare and set): one an
    /// operator paused or killed meanwhile keeps what the operator made of it.
    private func failQueued(_ id: Int64, failure: TaskFailure) async {
        startupUnloadEnded(id)
        do {
            try await catalog.failQueuedLibraryTask(id, failure: failure)
        } catch {
            logger.error("task \(id) was refused (\(failure.message)) and could not be recorded: \(error)")
        }
    }

    private func fail(_ id: Int64, failure: TaskFailure) async {
        startupUnloadEnded(id)
        do {
            try await catalog.updateLibraryTask(id, status: .error, failure: failure,
                                                log: (level: "error", message: failure.message))
        } catch {
            logger.error("task \(id) failed (\(failure.message)) and could not be recorded: \(error)")
        }
    }

    // MARK: Presence

    func handle(_ change: PresenceChange) async {
        switch change {
        case .wentOffline(let offline):
            // Claim the affected tasks before any await, so their own ending does not record twice.
            let affected = running.filter { $0.value.devices.contains(offline.device) && claimEnd($0.key) }
            for id in affected.keys { running[id]?.lostDevice = offline }
            evictDeviceActors(offline.device)
            for (id, run) in affected.sorted(by: { $0.key < $1.key }) {
                await fail(id, failure: TaskFailure(task: run.task, error: offline))
                run.work?.cancel()
                logger.error("task \(id) failed: \(offline.description)")
                // A robot task stopped part-way: the catalog is checked against the hardware
                // before the library runs anything else.
                if let libraryID = run.task.libraryId, let binding = bindings[libraryID],
                   run.devices.contains(binding.changer) {
                    await requireSync(libraryID, reason: "a robot task lost a device")
                }
            }
            await record(.offline(offline), of: offline.device)
        case .cameBack(let device, let now), .rebound(let device, _, let now):
            // A reconnected device is a new device node: the old open file is dead.
            evictDeviceActors(device)
            await record(.online(now), of: device)
            if device.kind == .changer {
                // Cartridges may have moved while the changer was away.
                for binding in bindings.values where binding.changer == device {
                    await requireSync(binding.libraryID, reason: "the changer is back")
                }
            }
        case .inventoryChanged:
            break
        }
        wake.yield()
    }

    /// Writes a device's presence to the catalog rows bound to it: the node it is at now, and
    /// online/offline for drives.
    private func record(_ presence: DevicePresence?, of device: RegisteredDevice) async {
        let entities = bindings.values.flatMap { $0.entities(of: device) }
        for entity in entities {
            do {
                switch (entity, presence) {
                case (.drive(let id, _), .online(let found)?):
                    try await catalog.bindDrive(id, device: found.sgPath)
                    try await catalog.setDriveState(id, to: .online, onlyFrom: [.offline])
                case (.drive(let id, _), .offline?), (.drive(let id, _), nil):
                    try await catalog.setDriveState(id, to: .offline)
                case (.changer(let id, _), .online(let found)?):
                    try await catalog.bindChanger(id, device: found.sgPath)
                    try await catalog.setChangerState(id, to: .online)
                case (.changer(let id, _), .offline?), (.changer(let id, _), nil):
                    try await catalog.setChangerState(id, to: .offline)
                }
            } catch {
                logger.error("recording presence of \(device.kind.rawValue) \(device.serial) failed: \(error)")
            }
        }
    }

    // MARK: Devices

    func changer(of libraryID: Int64) async throws -> TapeHardware.MediumChanger {
        guard let binding = bindings[libraryID] else {
            throw TaskRunFailure(.libraryOffline, message: "tape library \(libraryID) is not attached")
        }
        let path = try await onlinePath(of: binding.changer)
        // Keyed by serial and node: a node number can be reused by another device later.
        let key = binding.changer.serial + "@" + path
        if let actor = changerActors[key] { return actor }
        let transport = try await tracker.source.transport(for: path)
        let actor = TapeHardware.MediumChanger(transport: transport, retryInterval: settings.retryInterval)
        changerActors[key] = actor
        return actor
    }

    /// The drive `driveID` of library `libraryID`, for a backup task that mounted a cartridge
    /// there through a load task of its own (the engine keeps the drive's actor, so commands of
    /// the backup task and of the engine never interleave within a sequence).
    public func mountedDrive(library libraryID: Int64, drive driveID: Int64) async throws -> TapeDrive {
        guard let drive = try binding(libraryID).drives[driveID] else {
            throw TaskRunFailure(.notFound, message: "drive \(driveID) is not a drive of tape library \(libraryID)")
        }
        return try await tapeDrive(drive)
    }

    func tapeDrive(_ drive: LibraryBinding.Drive) async throws -> TapeDrive {
        let path = try await onlinePath(of: drive.device)
        let key = drive.device.serial + "@" + path
        if let actor = driveActors[key] { return actor }
        let transport = try await tracker.source.transport(for: path)
        let actor = TapeDrive(transport: transport, pollInterval: settings.drivePollInterval,
                              retryInterval: settings.retryInterval)
        driveActors[key] = actor
        return actor
    }

    /// Forgets the device actors (and so the open device files) of a device that went away or
    /// came back: the next task opens the node afresh.
    private func evictDeviceActors(_ device: RegisteredDevice) {
        let prefix = device.serial + "@"
        switch device.kind {
        case .changer: changerActors = changerActors.filter { !$0.key.hasPrefix(prefix) }
        case .drive: driveActors = driveActors.filter { !$0.key.hasPrefix(prefix) }
        }
    }

    private func onlinePath(of device: RegisteredDevice) async throws -> String {
        switch await tracker.presence(of: device) {
        case .online(let found): return found.sgPath
        case .offline(let error): throw error
        case nil: throw DeviceOfflineError(device: device, lastPath: nil)
        }
    }

    // MARK: Progress

    /// Commits a task's phase (before the hardware step it names) and progress.
    /// Each announcement is a safe point: a task an operator asked to kill stops here, before
    /// the step it would have announced.
    /// `safePoint` false: the step must follow the one before it (a cartridge half-way home).
    func announce(_ id: Int64, phase: String, percent: Double? = nil, safePoint: Bool = true) async throws {
        guard let run = running[id], !run.endClaimed else { throw CancellationError() }
        if safePoint, let current = try await catalog.libraryTask(id: id), current.controlRequest == .kill {
            throw TaskKilled(phase: "before \"\(phase)\"" + (current.phase.isEmpty ? "" : " (after \"\(current.phase)\")"))
        }
        try await catalog.updateLibraryTask(id, status: .execution, progressPercent: percent, phase: phase)
    }

    func progress(_ id: Int64, percent: Double) async {
        guard let run = running[id], !run.endClaimed else { return }
        _ = try? await catalog.updateLibraryTask(id, status: .execution, progressPercent: percent)
    }

    func binding(_ libraryID: Int64) throws -> LibraryBinding {
        guard let binding = bindings[libraryID] else {
            throw TaskRunFailure(.libraryOffline, message: "tape library \(libraryID) is not attached")
        }
        return binding
    }
}
