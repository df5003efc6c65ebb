import Catalog
import Foundation
import HWSim
import LibraryService
import SCSI
import TapeHardware
import Testing

/// Issue 10, the review's findings on loads, media protection, erase and cleaning.
@Suite("Loads, media protection, erase and cleaning accounting")
struct DriveUseTests {
    /// An LTO-9 cartridge cannot go into an LTO-8 drive (LTO-8 reads LTO-7, M8 and LTO-8):
    /// refused from the catalog's matrix before the robot moves, with the reason.
    @Test func aCartridgeTheDriveCannotReadIsRefusedBeforeTheRobotMoves() async throws {
        let rig = try await TestRig.make(driveGenerations: [.lto8, .lto9],
                                         extra: [CartridgeProfile(barcode: "E00008L8", generation: .lto8,
                                                                  location: .slot(3))])
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let load = try await rig.waitForTask(try await rig.submit(.load, drive: 0, source: rig.slotAddress(1)).id)
            #expect(load.status == .error)
            let message = try #require(load.errorMessage)
            #expect(message.contains("drive \(rig.driveIDs[0]) is LTO-8 and cannot read or write E00001L9"), "\(message)")
            #expect(load.senseKey == nil)   // refused by tapelib, not by the drive after a trip of the robot
            #expect(rig.simulated.location(of: "E00001L9") == .slot(1))
            // The drive's generation was asked of the drive and kept.
            #expect(try await rig.catalog.drive(id: rig.driveIDs[0])?.generation == 8)
            // A cartridge of its own generation loads, and an LTO-8 cartridge also goes into the LTO-9 drive.
            let own = try await rig.waitForTask(try await rig.submit(.load, drive: 0, source: rig.slotAddress(3)).id)
            #expect(own.status == .done, "\(own.errorMessage ?? "")")
            let unload = try await rig.waitForTask(try await rig.submit(.unload, drive: 0).id)
            #expect(unload.status == .done, "\(unload.errorMessage ?? "")")
            let older = try await rig.waitForTask(try await rig.submit(.load, drive: 1, source: rig.slotAddress(3)).id)
            #expect(older.status == .done, "\(older.errorMessage ?? "")")
        }
    }

    /// A load ends when the drive is ready, not when the robot lets go: the drive answers
    /// NOT READY, becoming ready, for 10 minutes of simulated time after the move (the
    /// simulator's clock moves only when the test's transport sees NOT READY, so without the
    /// wait the drive would still be becoming ready when the task ended).
    @Test func aLoadWaitsUntilTheDriveIsReady() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            rig.simulated.makeNotReady(device: 1, for: .seconds(600))
            let load = try await rig.waitForTask(try await rig.submit(.load, drive: 0, source: rig.slotAddress(1)).id)
            #expect(load.status == .done, "\(load.errorMessage ?? "")")
            let probe = TapeDrive(transport: rig.simulated.driveTransport(0), retryInterval: .zero)
            #expect(try await probe.readiness() == .ready)
            // The mount is counted for the drive and the cartridge.
            let drive = try #require(try await rig.catalog.drive(id: rig.driveIDs[0]))
            let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: "E00001L9"))
            #expect(drive.mountsSinceCleaning == 1)
            #expect(drive.loadedCartridgeId == cartridge.id)
            #expect(cartridge.mounts == 1)
        }
    }

    /// A drive that never becomes ready within the budget fails the wait with the decoded
    /// NOT READY sense. The simulator's clock does not move here, so the budget is the sum of
    /// the backoff pauses the polls would have taken (retry interval zero: from 500 ms).
    @Test func aDriveThatStaysNotReadyFailsTheWaitWithTheSense() async throws {
        let simulated = try SimulatedLibrary(profile: TestRig.profile())
        try await TapeHardware.MediumChanger(transport: simulated.changerTransport, retryInterval: .zero)
            .move(from: simulated.elementAddress(.slot(1)), to: simulated.elementAddress(.drive(0)))
        simulated.makeNotReady(device: 1, for: .seconds(3_600))
        let recorder = RecordingTransport(simulated.driveTransport(0))
        let drive = TapeDrive(transport: recorder, pollInterval: .zero, retryInterval: .zero)
        _ = try await drive.readiness()   // the power-on UNIT ATTENTION, consumed before counting
        recorder.reset()
        do {
            try await drive.waitUntilReady(budget: .seconds(10))
            Issue.record("the wait ended although the drive never became ready")
        } catch {
            #expect(error.sense?.senseKey == .notReady)
            #expect(error.sense?.additionalSense == .becomingReady)
        }
        // Backoff from 500 ms, capped at 2 s: 0.5 + 1 + 2 + 2 + 2 + 2 + 2 s passes the 10 s
        // budget after 7 retries.
        #expect(recorder.commands.count == 8)
        // Once the simulated hour has passed, the same wait ends at the first poll.
        simulated.advanceClock(by: .seconds(3_600))
        try await drive.waitUntilReady(budget: .seconds(10))
    }

    /// Erase and format of a write-protected cartridge are refused before the drive is asked
    /// to erase, with a message that says why.
    @Test func writeProtectedMediaAreRefusedBeforeTheDriveIsAsked() async throws {
        let rig = try await TestRig.make(extra: [CartridgeProfile(barcode: "E00004L9", generation: .lto9,
                                                                  location: .slot(4), writeProtected: true)])
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let load = try await rig.waitForTask(try await rig.submit(.load, drive: 1, source: rig.slotAddress(4)).id)
            #expect(load.status == .done, "\(load.errorMessage ?? "")")
            let erase = try await rig.waitForTask(try await rig.submit(.erase, drive: 1).id)
            #expect(erase.status == .error)
            #expect(erase.errorMessage == "erase failed: cartridge E00004L9 is write-protected (the drive reports it so); "
                        + "it cannot be erased")
            #expect(erase.senseKey == nil)
            let format = try await rig.waitForTask(try await rig.engine.submit(LibraryTask(
                type: .format, libraryId: rig.libraryID, driveId: rig.driveIDs[1], formatKind: .ltfs)).id)
            #expect(format.status == .error)
            #expect(format.errorMessage?.contains("E00004L9 is write-protected") == true, "\(format.errorMessage ?? "")")
        }
    }

    /// A WORM cartridge the catalog does not know as WORM (no WORM barcode) is refused from
    /// what the drive reports (volume statistics 0081h).
    @Test func wormMediaAreRefusedFromWhatTheDriveReports() async throws {
        let rig = try await TestRig.make(extra: [CartridgeProfile(barcode: "E00006L9", kind: .worm, generation: .lto9,
                                                                  location: .slot(6))])
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            #expect(try await rig.catalog.cartridge(volumeTag: "E00006L9")?.isWorm == false)
            try await rig.waitForTask(try await rig.submit(.load, drive: 0, source: rig.slotAddress(6)).id)
            let erase = try await rig.waitForTask(try await rig.submit(.erase, drive: 0, longErase: true).id)
            #expect(erase.status == .error)
            #expect(erase.errorMessage == "erase failed: cartridge E00006L9 is a WORM cartridge; it cannot be erased")
        }
    }

    /// A short erase is sent with IMMED and polled like a long one (its progress reaches the task).
    @Test func aShortEraseIsSentWithImmedAndPolled() async throws {
        let simulated = try SimulatedLibrary(profile: TestRig.profile())
        try await TapeHardware.MediumChanger(transport: simulated.changerTransport, retryInterval: .zero)
            .move(from: simulated.elementAddress(.slot(1)), to: simulated.elementAddress(.drive(0)))
        let recorder = RecordingTransport(simulated.driveTransport(0))
        let drive = TapeDrive(transport: recorder, pollInterval: .zero, retryInterval: .zero)
        let fractions = FractionLog()
        try await drive.erase(long: false) { fractions.append($0) }
        let erase = try #require(recorder.commands.first { $0.first == 0x19 })
        #expect(erase[1] & 0x02 != 0, "IMMED")
        #expect(erase[1] & 0x01 == 0, "not LONG")
        #expect(recorder.commands.contains { $0.first == 0x00 }, "polled with TEST UNIT READY")
        #expect(fractions.values.last == 1)
    }

    /// A drive that gives the cleaner back before the first poll, having raised no cleaning
    /// request, cannot be told apart from one that ejected it at once: nothing is counted.
    @Test func aCleaningNotSeenIsNotCounted() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            // The cycle ends before the first TEST UNIT READY after the move.
            rig.driveDevices[0].advanceBeforeNextCommand(by: .seconds(3_600), opcode: OperationCode.testUnitReady)
            let clean = try await rig.waitForTask(try await rig.submit(.clean, drive: 0).id)
            #expect(clean.status == .error)
            #expect(clean.errorMessage?.contains("without being seen cleaning") == true, "\(clean.errorMessage ?? "")")
            #expect(try await rig.catalog.drive(id: rig.driveIDs[0])?.lastCleaning == nil)
            #expect(rig.simulated.location(of: "CLN001L1") == .slot(10))
        }
    }

    /// An unload records what the mount did: TapeAlert flags the drive raised join the
    /// drive's `tape_alert_flags_seen`, and the drive holds no cartridge any more.
    @Test func anUnloadRecordsTheMountsFlagsAndBytes() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            try await rig.waitForTask(try await rig.submit(.load, drive: 1, source: rig.slotAddress(2)).id)
            let device = TapeDrive(transport: rig.simulated.driveTransport(1), retryInterval: .zero)
            try await device.write(record: Array(repeating: 0xA5, count: 3_000_000))
            rig.simulated.raiseTapeAlerts([0x07], drive: 1)   // media life
            let unload = try await rig.waitForTask(try await rig.submit(.unload, drive: 1).id)
            #expect(unload.status == .done, "\(unload.errorMessage ?? "")")
            let drive = try #require(try await rig.catalog.drive(id: rig.driveIDs[1]))
            #expect(drive.tapeAlertFlagsSeen & (1 << 6) != 0)
            #expect(drive.loadedCartridgeId == nil)
            #expect(drive.bytesSinceCleaning >= 3_000_000)
            #expect(drive.mountsSinceCleaning == 1)
        }
    }
}

/// A transport that keeps every CDB it passes on.
final class RecordingTransport: SCSITransport, @unchecked Sendable {
    private let inner: any SCSITransport
    private let lock = NSLock()
    private var sent: [[UInt8]] = []
    init(_ inner: any SCSITransport) { self.inner = inner }
    var commands: [[UInt8]] { lock.withLock { sent } }
    func reset() { lock.withLock { sent.removeAll() } }
    func execute(_ command: SCSICommand) async throws(TransportError) -> SCSIResult {
        lock.withLock { sent.append(command.cdb) }
        return try await inner.execute(command)
    }
}

final class FractionLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Double] = []
    func append(_ value: Double) { lock.withLock { list.append(value) } }
    var values: [Double] { lock.withLock { list } }
}
