import Catalog
import Discovery
import Foundation
import HWSim
import LibraryService
import SCSI
import Testing

/// A simulated device node that can be pulled: once unplugged, every command fails the way
/// SG_IO fails on a removed device (ENODEV). While `advancePerNotReady` is zero, an IMMED
/// operation in progress stays in progress (the simulator's clock is virtual and does not move
/// by itself); otherwise each NOT READY answer lets that much virtual time pass.
final class PluggableDevice: SCSITransport, @unchecked Sendable {
    let library: SimulatedLibrary
    let device: Int
    private let lock = NSLock()
    private var unplugged = false
    private var advance: Duration

    init(library: SimulatedLibrary, device: Int, advancePerNotReady: Duration = .seconds(60)) {
        self.library = library
        self.device = device
        self.advance = advancePerNotReady
    }

    /// Lets `step` of virtual time pass just before the next command reaches the device (as if
    /// the poll came late).
    /// With `opcode`, before the next command with that operation code (the first TEST UNIT
    /// READY after a move, not a log page read before it).
    func advanceBeforeNextCommand(by step: Duration, opcode: UInt8? = nil) {
        lock.withLock { pendingAdvance = step; pendingOpcode = opcode }
    }
    private var pendingAdvance: Duration = .zero
    private var pendingOpcode: UInt8?

    func unplug() { lock.withLock { unplugged = true } }
    /// While frozen, every command is answered NOT READY, operation in progress (04h/07h)
    /// without reaching the simulator: an IMMED operation stays in progress whatever the other
    /// devices do to the shared virtual clock (each poll of a busy simulated drive moves it on).
    func freeze() { lock.withLock { frozen = true } }
    /// Whether a command with `opcode` has reached the simulator and been answered.
    func hasPassed(_ opcode: UInt8) -> Bool { lock.withLock { passed.contains(opcode) } }
    private var passed: Set<UInt8> = []
    func thaw() { lock.withLock { frozen = false } }
    private var frozen = false
    func plugBackIn() { lock.withLock { unplugged = false } }
    func setAdvancePerNotReady(_ step: Duration) { lock.withLock { advance = step } }

    func execute(_ command: SCSICommand) async throws(TransportError) -> SCSIResult {
        let (gone, step, before) = lock.withLock {
            guard pendingOpcode == nil || pendingOpcode == command.operationCode else {
                return (unplugged, advance, Duration.zero)
            }
            defer { pendingAdvance = .zero; pendingOpcode = nil }
            return (unplugged, advance, pendingAdvance)
        }
        if gone { throw TransportError(.deviceGone, "SG_IO: No such device (ENODEV)", errno: 19) }
        if lock.withLock({ frozen }) {
            let sense = SenseData(senseKey: .notReady, additionalSense: .operationInProgress)
            return SCSIResult(status: .checkCondition, sense: sense.encodedFixed)
        }
        if before > .zero { library.advanceClock(by: before) }
        let result = try await library.execute(device: device, command)
        lock.withLock { _ = passed.insert(command.operationCode) }
        if step > .zero, result.status == .checkCondition, result.senseData?.senseKey == .notReady {
            library.advanceClock(by: step)
        }
        return result
    }
}

/// A catalog, a simulated library registered with a hwsim discovery source under sg-style
/// nodes, a device tracker and a task engine serving the library.
struct TestRig {
    static let changerSerial = "78A0ENGINE1"
    static let driveSerials = ["1097ENG001", "1097ENG002"]

    let simulated: SimulatedLibrary
    let source: TransportDiscoverySource
    let tracker: DeviceTracker
    let catalog: TapeCatalog
    let engine: LibraryTaskEngine
    let libraryID: Int64
    let driveIDs: [Int64]
    let changerDevice: PluggableDevice
    let driveDevices: [PluggableDevice]

    /// Slots 1, 2 and 5 hold data cartridges, slot 10 the cleaning cartridge CLN001L1.
    /// `driveGenerations`: one per drive (LTO-9 both by default); `extra`: more cartridges
    /// (slots 3, 4 and 6–9 are free).
    static func profile(cleaningUses: Int = 3, driveGenerations: [HWSim.LTOGeneration] = [.lto9, .lto9],
                        extra: [CartridgeProfile] = [], capacityScale: Double = 1) -> LibraryProfile {
        LibraryProfile(
            name: "engine-test",
            changer: DeviceIdentity(vendor: "IBM", product: "3573-TL", revision: "F.10", serial: changerSerial),
            storageSlots: 10, importExportSlots: 2,
            drives: zip(driveSerials, driveGenerations).map { serial, generation in
                DriveProfile(identity: DeviceIdentity(vendor: "IBM", product: "ULT3580-TD\(generation.number)",
                                                      revision: "Q3A0", serial: serial),
                             generation: generation)
            },
            cartridges: [
                CartridgeProfile(barcode: "E00001L9", generation: .lto9, location: .slot(1)),
                CartridgeProfile(barcode: "E00002L9", generation: .lto9, location: .slot(2)),
                CartridgeProfile(barcode: "E00003L9", generation: .lto9, location: .slot(5)),
                CartridgeProfile(barcode: "CLN001L1", kind: .cleaning, generation: .lto9, location: .slot(10),
                                 cleaningUsesLeft: cleaningUses),
            ] + extra, capacityScale: capacityScale)
    }

    static func drivePath(_ index: Int) -> String { "/dev/sg\(index + 2)" }
    static let changerPath = "/dev/sg1"

    /// `drivePollInterval`: the simulator (at instant speed) moves an IMMED operation a quarter
    /// on at each poll, so a long erase runs for three intervals; tests that act while one is
    /// under way use a long interval.
    static func make(advancePerNotReady: Duration = .seconds(60), drivePollInterval: Duration = .milliseconds(2),
                     cleaningUses: Int = 3, driveGenerations: [HWSim.LTOGeneration] = [.lto9, .lto9],
                     extra: [CartridgeProfile] = [], registerCartridges: Bool = true,
                     queuePollInterval: Duration = .seconds(5), capacityScale: Double = 1,
                     catalog given: TapeCatalog? = nil) async throws -> TestRig {
        let simulated = try SimulatedLibrary(profile: profile(cleaningUses: cleaningUses,
                                                              driveGenerations: driveGenerations, extra: extra,
                                                              capacityScale: capacityScale))
        let source = TransportDiscoverySource()
        let changerDevice = PluggableDevice(library: simulated, device: 0)
        source.add(path: changerPath, address: SCSIAddress(host: 4, channel: 0, target: 1, lun: 0),
                   transport: changerDevice)
        var driveDevices: [PluggableDevice] = []
        for index in driveSerials.indices {
            let device = PluggableDevice(library: simulated, device: index + 1, advancePerNotReady: advancePerNotReady)
            driveDevices.append(device)
            source.add(path: drivePath(index), address: SCSIAddress(host: 4, channel: 0, target: 2 + index, lun: 0),
                       transport: device)
        }
        let catalog = try given ?? TapeCatalog(try CatalogDatabase.inMemory())
        let server = try await catalog.insert(MediaServer(hostname: "media-1", hwid: "hw-1"))
        let serverID = try #require(server.id)
        let changer = try await catalog.insert(Catalog.MediumChanger(
            mediaServerId: serverID, scsiPath: "[4:0:1:0]", device: changerPath, serial: changerSerial))
        let library = try await catalog.insert(TapeLibrary(mediaServerId: serverID, mediumChangerId: changer.id))
        let libraryID = try #require(library.id)
        var driveIDs: [Int64] = []
        for (index, serial) in driveSerials.enumerated() {
            let address = Int(simulated.elementAddress(.drive(index)))
            let drive = try await catalog.insert(LibraryTapeDrive(
                libraryId: libraryID, mediaServerId: serverID, device: "/dev/sg-stale\(index)",
                scsiPath: "[4:0:\(2 + index):0]", sysTransferElement: address, serial: serial))
            driveIDs.append(try #require(drive.id))
        }
        // The operator registered the library's data cartridges (a sync reports unregistered ones).
        if registerCartridges {
            for cartridge in simulated.profile.cartridges where cartridge.kind != .cleaning {
                _ = try await catalog.registerCartridge(volumeTag: cartridge.barcode)
            }
        }
        let tracker = DeviceTracker(source: source, pollInterval: .seconds(3_600))
        let engine = LibraryTaskEngine(catalog: catalog, tracker: tracker,
                                       settings: .init(drivePollInterval: drivePollInterval, retryInterval: .milliseconds(1),
                                                       queuePollInterval: queuePollInterval))
        try await engine.attach(library: libraryID)
        return TestRig(simulated: simulated, source: source, tracker: tracker, catalog: catalog, engine: engine,
                       libraryID: libraryID, driveIDs: driveIDs, changerDevice: changerDevice, driveDevices: driveDevices)
    }

    /// Polls the catalog until `condition` holds for the task (120 s at most; it returns as soon
    /// as it holds, the margin is for a loaded machine: a fresh-clone CI run beside other builds
    /// once took more than 30 s for three loads).
    @discardableResult
    func waitForTask(_ id: Int64?, _ what: String = "to end",
                     until condition: (LibraryTask) -> Bool = { $0.status.isFinal }) async throws -> LibraryTask {
        let id = try #require(id)
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let task = try await catalog.libraryTask(id: id), condition(task) { return task }
            try await Task.sleep(for: .milliseconds(2))
        }
        let last = try await catalog.libraryTask(id: id)
        Issue.record("task \(id) did not come \(what); last: \(String(describing: last))")
        throw CancellationError()
    }

    /// Syncs, loads the cartridge in storage slot `slot` into drive `drive` and starts a long
    /// erase there; returns once the erase is under way.
    func startLongErase(drive: Int, fromSlot slot: Int) async throws -> LibraryTask {
        try await waitForTask(try await submit(.sync).id)
        let load = try await waitForTask(try await submit(.load, drive: drive, source: slotAddress(slot)).id)
        #expect(load.status == .done, "\(load.errorMessage ?? "")")
        let erase = try await submit(.erase, drive: drive, longErase: true)
        try await waitForTask(erase.id, "to run its long erase") { $0.phase == "long erase" }
        return erase
    }

    /// Freezes drive `index` once its long erase is under way: the engine announces the phase
    /// just before it sends the ERASE (6), and a drive frozen before the command reached it
    /// would refuse the command itself (NOT READY, in progress) rather than a poll of it.
    func freezeOnceErasing(drive index: Int) async throws {
        try await eventually("drive \(index) has taken the ERASE") { driveDevices[index].hasPassed(0x19) }
        driveDevices[index].freeze()
    }

    /// Polls `condition` until it holds (120 s at most, for a loaded machine).
    func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(2))
        }
        Issue.record("timed out waiting until \(what)")
    }

    func submit(_ type: LibraryTaskType, drive: Int? = nil, source: Int? = nil, target: Int? = nil,
                cartridge: Int64? = nil, longErase: Bool = false, priority: Int = 100) async throws -> LibraryTask {
        try await engine.submit(LibraryTask(type: type, priority: priority, libraryId: libraryID,
                                            driveId: drive.map { driveIDs[$0] }, cartridgeId: cartridge,
                                            sourceElement: source, targetElement: target, longErase: longErase))
    }

    /// Runs the engine for the duration of `body`.
    func serving(_ body: () async throws -> Void) async throws {
        let loop = Task { await engine.serve() }
        do {
            try await body()
        } catch {
            await engine.stopDispatching()
            await loop.value
            throw error
        }
        await engine.stopDispatching()
        await loop.value
    }

    func slotAddress(_ number: Int) -> Int { Int(simulated.elementAddress(.slot(number))) }
    func driveAddress(_ index: Int) -> Int { Int(simulated.elementAddress(.drive(index))) }
}
