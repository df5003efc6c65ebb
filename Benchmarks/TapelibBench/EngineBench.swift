import Catalog
import Discovery
import Foundation
import HWSim
import LibraryService
import Logging
import SCSI
import SGTransport
import TapeHardware

/// Issue 10's sync figures: a sync task run by `LibraryTaskEngine` — the service's own path:
/// the library registered as `library add` does (CandidateFinder + LibraryRegistration), the
/// engine attached and serving, a sync task submitted and waited for in the catalog — timed in
/// its phases: inventory (the changer's commands: MODE SENSE 1Dh and READ ELEMENT STATUS of
/// every element, `MediumChanger.inventory()`), reconcile (from the last READ ELEMENT STATUS
/// reply to the task's "sync:" log line, written once the catalog is committed; to the task's
/// end when nothing changed), registration of the cartridges the sync found (a simulated
/// library's service registers them, `registerFoundCartridges`), and the task's run
/// (started_at → finished_at). The changer's commands are timed by a wrapper transport; the
/// catalog's timestamps have millisecond resolution.
///
/// - `engine`: a generated 50,000-slot library in process (hwsim), synced into an empty catalog
///   (target ≤ 1.5 s) and re-synced unchanged (target ≤ 0.1 s).
/// - `engine-shim` (scripts/bench-shim.sh runs it with LD_PRELOAD of the sg shim): `large`
///   served by `tapelib-hwsim serve`, reached through SGTransport (SG_IO on /dev/hwsim/sgN), as
///   mtx reaches it; with TAPELIB_BENCH_MTX_MS (mtx status's median from the same server),
///   the ratio inventory / mtx (target ≤ 1.0).
func runEngineBenchmarks() async {
    do {
        try await EngineBenchmark.generated50k()
    } catch {
        print("engine benchmarks failed: \(error)")
    }
}

func runEngineShimBenchmarks() async {
    do {
        try await EngineBenchmark.largeThroughShim()
    } catch {
        print("engine benchmarks through the sg shim failed: \(error)")
    }
}

/// Records when each command started and ended (wall clock, as the catalog's timestamps).
final class TimedTransport: SCSITransport, @unchecked Sendable {
    struct Command {
        var opcode: UInt8
        var start: Date
        var end: Date
    }

    let inner: any SCSITransport
    private let lock = NSLock()
    private var commands: [Command] = []

    init(_ inner: any SCSITransport) { self.inner = inner }

    func execute(_ command: SCSICommand) async throws(TransportError) -> SCSIResult {
        let start = Date()
        do {
            let result = try await inner.execute(command)
            let end = Date()
            lock.withLock { commands.append(Command(opcode: command.operationCode, start: start, end: end)) }
            return result
        } catch {
            let end = Date()
            lock.withLock { commands.append(Command(opcode: command.operationCode, start: start, end: end)) }
            throw error
        }
    }

    /// The commands recorded since the last call.
    func take() -> [Command] {
        lock.withLock {
            defer { commands = [] }
            return commands
        }
    }
}

struct SyncTiming {
    var inventory: Double
    var reconcile: Double
    var registration: Double
    var total: Double
    var commands: Int
}

/// A file catalog in a temporary directory with the library registered, and an engine serving it.
final class EngineSyncRig {
    let directory: String
    let catalog: TapeCatalog
    let engine: LibraryTaskEngine
    let libraryID: Int64
    let changer: TimedTransport
    private var loop: Task<Void, Never>?

    init(source: TransportDiscoverySource, changer: TimedTransport) async throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tapelib-engine-bench-\(UUID().uuidString)").path
        catalog = TapeCatalog(try await CatalogDatabase.open(stateDirectory: directory))
        self.changer = changer
        let server = try await catalog.insert(MediaServer(hostname: "bench-media", hwid: "bench-hwid"))
        guard let serverID = server.id else { throw BenchFailure("no media server id") }
        let candidates = try await CandidateFinder(source: source).candidates(mode: .automatic)
        guard let candidate = candidates.changers.first else { throw BenchFailure("no changer candidate") }
        let registered = try await LibraryRegistration.register(candidate, mediaServer: serverID, catalog: catalog)
        guard let libraryID = registered.library.id else { throw BenchFailure("no library id") }
        self.libraryID = libraryID
        var logger = Logger(label: "tapelib.bench")
        logger.logLevel = .error
        let tracker = DeviceTracker(source: source, pollInterval: .seconds(3_600))
        engine = LibraryTaskEngine(catalog: catalog, tracker: tracker,
                                   settings: .init(drivePollInterval: .milliseconds(2), retryInterval: .milliseconds(5),
                                                   queuePollInterval: .seconds(3_600), registerFoundCartridges: true),
                                   logger: logger)
        try await engine.attach(library: libraryID)
    }

    /// Submits a sync task, waits for its end and times its phases. The first call starts the
    /// engine's loop after submitting, so the sync it queues at start is this one.
    func sync() async throws -> SyncTiming {
        _ = changer.take()
        let submitted = try await engine.submit(LibraryTask(type: .sync, libraryId: libraryID))
        guard let id = submitted.id else { throw BenchFailure("no task id") }
        if loop == nil {
            let engine = self.engine
            loop = Task { await engine.serve() }
        }
        var task = submitted
        let deadline = ContinuousClock.now + .seconds(120)
        while !task.status.isFinal {
            guard ContinuousClock.now < deadline else { throw BenchFailure("sync task \(id) did not end") }
            try await Task.sleep(for: .milliseconds(1))
            guard let current = try await catalog.libraryTask(id: id) else { throw BenchFailure("task \(id) gone") }
            task = current
        }
        guard task.status == .done else {
            throw BenchFailure("sync task \(id) ended \(task.status): \(task.errorMessage ?? "")")
        }
        let commands = changer.take()
        guard let first = commands.first, let lastRead = commands.last(where: { $0.opcode == 0xB8 }),
              let started = task.startedAt, let finished = task.finishedAt else {
            throw BenchFailure("sync task \(id): no READ ELEMENT STATUS or no start/end time")
        }
        let log = try await catalog.log(ofLibraryTask: id)
        let reconciled = log.first { $0.message.hasPrefix("sync: ") }?.loggedAt ?? finished
        let registered = log.first { $0.message.hasPrefix("registered the cartridges found") }?.loggedAt ?? reconciled
        return SyncTiming(inventory: lastRead.end.timeIntervalSince(first.start) * 1000,
                          reconcile: reconciled.timeIntervalSince(lastRead.end) * 1000,
                          registration: registered.timeIntervalSince(reconciled) * 1000,
                          total: finished.timeIntervalSince(started) * 1000,
                          commands: commands.count)
    }

    func close() async {
        await engine.stopDispatching()
        await loop?.value
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// An in-process simulated library's devices under sg-style nodes (the changer /dev/sg0 timed
/// per command, drives /dev/sg1…), as udev would offer a real one.
func hwsimDiscovery(_ library: SimulatedLibrary) -> (TransportDiscoverySource, TimedTransport) {
    let source = TransportDiscoverySource(name: "hwsim")
    let changer = TimedTransport(library.changerTransport)
    source.add(path: "/dev/sg0", address: SCSIAddress(host: 0, channel: 0, target: 0, lun: 0), transport: changer)
    for drive in 0..<library.driveCount {
        source.add(path: "/dev/sg\(drive + 1)", address: SCSIAddress(host: 0, channel: 0, target: drive + 1, lun: 0),
                   transport: library.driveTransport(drive))
    }
    return (source, changer)
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum EngineBenchmark {
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    static func ms(_ value: Double) -> String {
        value < 10 ? String(format: "%.2f ms", value) : String(format: "%.1f ms", value)
    }

    static func verdict(_ value: Double, _ target: Double) -> String { value <= target ? "met" : "MISSED" }

    /// One line per kind of sync: medians of each phase over `runs`.
    static func describe(_ runs: [SyncTiming], registration: Bool) -> String {
        var parts = ["inventory " + ms(median(runs.map(\.inventory))),
                     "reconcile " + ms(median(runs.map(\.reconcile)))]
        if registration { parts.append("registering found cartridges " + ms(median(runs.map(\.registration)))) }
        parts.append("\(runs.first?.commands ?? 0) changer commands")
        return parts.joined(separator: ", ")
    }

    // MARK: 50,000 slots, in process

    static func generated50k() async throws {
        var profile = LibraryProfile.large(slots: 50_000, mailSlots: 40, drives: 24, dataCartridges: 40_000,
                                           cleaningCartridges: 20)
        profile.name = "generated-50k"
        profile.powerOnUnitAttention = false
        let library = try SimulatedLibrary(profile: profile)
        let (source, changer) = hwsimDiscovery(library)
        var empty: [SyncTiming] = []
        var unchanged: [SyncTiming] = []
        for _ in 0..<5 {
            let rig = try await EngineSyncRig(source: source, changer: changer)
            do {
                empty.append(try await rig.sync())
                for _ in 0..<3 { unchanged.append(try await rig.sync()) }
            } catch {
                await rig.close()
                throw error
            }
            await rig.close()
        }
        let elements = 1 + 40 + 24 + 50_000
        // The sync proper (the task's run less the registration step, which only a simulated
        // library's service does), and the task's run with it.
        let emptyTotal = median(empty.map(\.total))
        let emptySync = median(empty.map { $0.total - $0.registration })
        print("engine.sync.generated_50k.empty: \(ms(emptySync)) median of 5 (sync task into an empty catalog, "
              + "target ≤ 1500 ms: \(verdict(emptySync, 1500))) [\(elements) elements, in-process hwsim, file catalog; "
              + describe(empty, registration: true) + "]")
        print("engine.sync.generated_50k.empty_registering: \(ms(emptyTotal)) median of 5 (the same task registering "
              + "the 40,020 cartridges it found, as serve --sim/--hwsim does; against the same target: "
              + "\(verdict(emptyTotal, 1500)))")
        let unchangedTotal = median(unchanged.map(\.total))
        print("engine.sync.generated_50k.unchanged: \(ms(unchangedTotal)) task median of \(unchanged.count) "
              + "(target ≤ 100 ms: \(verdict(unchangedTotal, 100))) [" + describe(unchanged, registration: false) + "]")
    }

    // MARK: `large` through the sg shim

    static func largeThroughShim() async throws {
        let environment = ProcessInfo.processInfo.environment
        let changerPath = environment["TAPELIB_BENCH_SG_CHANGER"] ?? "/dev/hwsim/sg0"
        let prefix = String(changerPath.reversed().drop { $0.isNumber }.reversed())
        let sgChanger = try await SGTransport.open(path: changerPath)
        let direct = MediumChanger(transport: sgChanger, retryInterval: .milliseconds(10))
        guard let driveCount = try await direct.elementAssignment().range(of: .dataTransfer)?.count else {
            throw BenchFailure("\(changerPath) reports no drives")
        }
        // The changer as the service reaches a real one: its own SG_IO node (the shim maps
        // /dev/hwsim/sgN onto the server's device N: 0 the changer, then the drives).
        let source = TransportDiscoverySource(name: "sg")
        let changer = TimedTransport(try await SGTransport.open(path: changerPath))
        source.add(path: changerPath, address: SCSIAddress(host: 9, channel: 0, target: 0, lun: 0), transport: changer)
        for drive in 1...driveCount {
            source.add(path: prefix + String(drive), address: SCSIAddress(host: 9, channel: 0, target: drive, lun: 0),
                       transport: try await SGTransport.open(path: prefix + String(drive)))
        }
        var first: [SyncTiming] = []
        var unchanged: [SyncTiming] = []
        for run in 0..<5 {
            let rig = try await EngineSyncRig(source: source, changer: changer)
            do {
                first.append(try await rig.sync())
                for _ in 0..<(run == 0 ? 5 : 1) { unchanged.append(try await rig.sync()) }
            } catch {
                await rig.close()
                throw error
            }
            await rig.close()
        }
        // The inventory phase alone, as the engine calls it (element assignment known), on the
        // same node, parsing and merging included.
        var inventories: [Double] = []
        var elements = 0
        let timedDirect = TimedTransport(sgChanger)
        let reused = MediumChanger(transport: timedDirect, retryInterval: .milliseconds(10))
        _ = try await reused.elementAssignment()
        _ = timedDirect.take()
        for _ in 0..<9 {
            let start = ContinuousClock.now
            elements = try await reused.inventory().allElements.count
            let elapsed = ContinuousClock.now - start
            inventories.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
        }
        let directCommands = timedDirect.take().count / 9
        await sgChanger.close()

        print("engine.sync.large.sg_shim.first: \(ms(median(first.map(\.total)))) task median of 5 "
              + "(into an empty catalog, SGTransport on \(changerPath) via the sg shim) ["
              + describe(first, registration: true) + "]")
        print("engine.sync.large.sg_shim.unchanged: \(ms(median(unchanged.map(\.total)))) task median of "
              + "\(unchanged.count) [" + describe(unchanged, registration: false) + "]")
        print("engine.inventory.large.sg_shim.direct: \(ms(median(inventories))) median of 9 "
              + "(MediumChanger.inventory() alone on the same node, \(directCommands) commands, \(elements) elements)")
        let inventory = median((first + unchanged).map(\.inventory))
        if let mtx = environment["TAPELIB_BENCH_MTX_MS"].flatMap(Double.init), mtx > 0 {
            let ratio = inventory / mtx
            print(String(format: "engine.sync.large.ratio_inventory_over_mtx: %.2f (the sync's inventory phase %@, "
                         + "median of %d / mtx status %@ whole process; target ≤ 1.0: %@)",
                         ratio, ms(inventory), first.count + unchanged.count, ms(mtx), verdict(ratio, 1.0)))
        }
    }
}
