import Catalog
import Discovery
import Foundation
import HWSim
import LibraryService
import SCSI
import Testing

@Suite("Library task engine against hwsim")
struct TaskEngineTests {
    /// Element address of the slot the catalog places a cartridge in, nil when not in a slot.
    private func catalogAddress(_ rig: TestRig, _ tag: String) async throws -> Int? {
        guard let cartridge = try await rig.catalog.cartridge(volumeTag: tag), let slotID = cartridge.slotId else { return nil }
        return try await rig.catalog.slot(id: slotID)?.elementAddress
    }

    @Test func syncThenMoveLeavesTheCatalogWhereTheRobotPutTheCartridge() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            let sync = try await rig.waitForTask(try await rig.submit(.sync).id)
            #expect(sync.status == .done)
            #expect(try await catalogAddress(rig, "E00002L9") == rig.slotAddress(2))
            #expect(try await rig.catalog.library(id: rig.libraryID)?.syncState == .synced)

            let move = try await rig.waitForTask(
                try await rig.submit(.move, source: rig.slotAddress(2), target: rig.slotAddress(7)).id)
            #expect(move.status == .done)
            #expect(move.progressPercent == 100)
            // The simulator (the hardware) and the catalog agree on the new place.
            #expect(rig.simulated.location(of: "E00002L9") == .slot(7))
            #expect(try await catalogAddress(rig, "E00002L9") == rig.slotAddress(7))
        }
    }

    @Test func aRefusedMoveFailsWithDecodedSenseAndChangesNothing() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            // Slot 5 is full: SMC answers ILLEGAL REQUEST, MEDIUM DESTINATION ELEMENT FULL (3Bh/0Dh).
            let move = try await rig.waitForTask(
                try await rig.submit(.move, source: rig.slotAddress(1), target: rig.slotAddress(5)).id)
            #expect(move.status == .error)
            #expect(move.senseKey == Int(SenseKey.illegalRequest.rawValue))
            #expect(move.asc == 0x3B && move.ascq == 0x0D)
            #expect(move.errorMessage?.hasPrefix("move failed:") == true)
            #expect(rig.simulated.location(of: "E00001L9") == .slot(1))
            #expect(try await catalogAddress(rig, "E00001L9") == rig.slotAddress(1))
        }
    }

    @Test func loadEraseUnloadWithProgress() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: "E00003L9"))
            let load = try await rig.waitForTask(try await rig.submit(.load, drive: 1, cartridge: cartridge.id).id)
            #expect(load.status == .done, "\(load.errorMessage ?? "")")
            #expect(rig.simulated.location(of: "E00003L9") == .drive(1))

            let erase = try await rig.waitForTask(try await rig.submit(.erase, drive: 1, longErase: true).id)
            #expect(erase.status == .done, "\(erase.errorMessage ?? "")")
            #expect(erase.progressPercent == 100)

            let unload = try await rig.waitForTask(try await rig.submit(.unload, drive: 1).id)
            #expect(unload.status == .done, "\(unload.errorMessage ?? "")")
            // Back to the slot it came from.
            #expect(rig.simulated.location(of: "E00003L9") == .slot(5))
            #expect(try await catalogAddress(rig, "E00003L9") == rig.slotAddress(5))
        }
    }

    /// Issue 6: a registered drive that disappears is marked offline and its running task fails
    /// with a clear reason; other drives keep working.
    @Test func aDriveThatDisappearsFailsItsRunningTaskWithTheReason() async throws {
        let rig = try await TestRig.make(advancePerNotReady: .zero, drivePollInterval: .milliseconds(500))
        try await rig.serving {
            let erase = try await rig.startLongErase(drive: 0, fromSlot: 1)

            rig.driveDevices[0].unplug()
            rig.source.remove(path: TestRig.drivePath(0))
            try await rig.tracker.refresh()   // what the udev monitor does on the remove event

            let failed = try await rig.waitForTask(erase.id)
            #expect(failed.status == .error)
            let message = try #require(failed.errorMessage)
            #expect(message.contains("erase failed"))
            #expect(message.contains("drive with serial \(TestRig.driveSerials[0])"))
            #expect(message.contains("(\(TestRig.drivePath(0)))"))
            #expect(message.contains("disappeared"))
            try await rig.eventually("the drive is marked offline") {
                try await rig.catalog.drive(id: rig.driveIDs[0])?.state == .offline
            }
            let log = try await rig.catalog.log(ofLibraryTask: try #require(erase.id))
            #expect(log.contains { $0.level == "error" && $0.message == message })

            // The other drive is untouched and still runs tasks.
            #expect(try await rig.catalog.drive(id: rig.driveIDs[1])?.state == .online)
            try await rig.waitForTask(try await rig.submit(.load, drive: 1, source: rig.slotAddress(2)).id)
            let other = try await rig.waitForTask(try await rig.submit(.erase, drive: 1).id)
            #expect(other.status == .done, "\(other.errorMessage ?? "")")
        }
    }

    /// The sg node can vanish under a command before udev's remove event reaches the tracker:
    /// the task still names the device, not just ENODEV.
    @Test func deviceGoneUnderACommandStillNamesTheDevice() async throws {
        let rig = try await TestRig.make(advancePerNotReady: .zero, drivePollInterval: .milliseconds(500))
        try await rig.serving {
            let erase = try await rig.startLongErase(drive: 1, fromSlot: 1)
            rig.driveDevices[1].unplug()
            rig.source.remove(path: TestRig.drivePath(1))   // no tracker refresh: the monitor is not running
            let failed = try await rig.waitForTask(erase.id)
            #expect(failed.status == .error)
            #expect(failed.errorMessage?.contains("drive with serial \(TestRig.driveSerials[1])") == true,
                    "\(failed.errorMessage ?? "")")
            try await rig.eventually("the drive is marked offline") {
                try await rig.catalog.drive(id: rig.driveIDs[1])?.state == .offline
            }
        }
    }

    @Test func aTaskForAnOfflineChangerFailsAtOnceAndTheLibraryResyncsWhenItReturns() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            rig.source.remove(path: TestRig.changerPath)
            try await rig.tracker.refresh()
            let changerID = try #require(try await rig.catalog.library(id: rig.libraryID)?.mediumChangerId)
            try await rig.eventually("the changer is marked offline") {
                try await rig.catalog.changer(id: changerID)?.state == .offline
            }
            let move = try await rig.waitForTask(
                try await rig.submit(.move, source: rig.slotAddress(1), target: rig.slotAddress(8)).id)
            #expect(move.status == .error)
            #expect(move.errorMessage?.contains("changer with serial \(TestRig.changerSerial)") == true)
            #expect(rig.simulated.location(of: "E00001L9") == .slot(1))

            // Meanwhile an operator moved a cartridge by hand (the front panel).
            try await frontPanelMove(rig.simulated, from: rig.slotAddress(2), to: rig.slotAddress(8))
            // The changer comes back under another node: re-bound by serial, and a sync follows.
            rig.source.add(path: "/dev/sg9", address: SCSIAddress(host: 5, channel: 0, target: 1, lun: 0),
                           transport: rig.changerDevice)
            try await rig.tracker.refresh()
            try await rig.eventually("the catalog shows the front-panel move") {
                try await catalogAddress(rig, "E00002L9") == rig.slotAddress(8)
            }
            let changer = try #require(try await rig.catalog.changer(id: changerID))
            #expect(changer.device == "/dev/sg9")
            #expect(changer.state == .online)
        }
    }

    @Test func aDriveBackUnderAnotherNodeIsReboundAndWorks() async throws {
        let rig = try await TestRig.make()
        #expect(try await rig.catalog.drive(id: rig.driveIDs[0])?.device == TestRig.drivePath(0))
        try await rig.serving {
            rig.source.remove(path: TestRig.drivePath(0))
            try await rig.tracker.refresh()
            try await rig.eventually("the drive is marked offline") {
                try await rig.catalog.drive(id: rig.driveIDs[0])?.state == .offline
            }
            rig.source.add(path: "/dev/sg12", address: SCSIAddress(host: 6, channel: 0, target: 2, lun: 0),
                           transport: rig.driveDevices[0])
            try await rig.tracker.refresh()
            try await rig.eventually("the drive is re-bound and online") {
                let drive = try await rig.catalog.drive(id: rig.driveIDs[0])
                return drive?.device == "/dev/sg12" && drive?.state == .online
            }
            let drive = try #require(try await rig.catalog.drive(id: rig.driveIDs[0]))
            #expect(drive.state == .online)
            #expect(drive.device == "/dev/sg12")
            try await rig.waitForTask(try await rig.submit(.sync).id)
            try await rig.waitForTask(try await rig.submit(.load, drive: 0, source: rig.slotAddress(1)).id)
            let erase = try await rig.waitForTask(try await rig.submit(.erase, drive: 0).id)
            #expect(erase.status == .done, "\(erase.errorMessage ?? "")")
        }
    }

    /// After a crash, a task that had started ends as broken and a sync runs before the queue.
    @Test func tasksInterruptedByACrashEndBrokenAndASyncRunsFirst() async throws {
        let rig = try await TestRig.make()
        let interrupted = try await rig.catalog.enqueue(LibraryTask(type: .move, libraryId: rig.libraryID,
                                                                     sourceElement: rig.slotAddress(1),
                                                                     targetElement: rig.slotAddress(6)))
        try await rig.catalog.updateLibraryTask(try #require(interrupted.id), status: .execution, phase: "moving")
        let queued = try await rig.submit(.move, source: rig.slotAddress(1), target: rig.slotAddress(6))
        try await rig.serving {
            let broken = try await rig.waitForTask(interrupted.id)
            #expect(broken.status == .broken)
            #expect(broken.errorMessage?.contains("service stopped while this task ran") == true)
            let moved = try await rig.waitForTask(queued.id)
            #expect(moved.status == .done)
            let tasks = try await rig.catalog.listLibraryTasks(ListQuery(limit: 100, sort: "id"))
            let sync = try #require(tasks.items.first { $0.type == .sync })
            #expect(sync.status == .done)
            // The recovery sync started before the queued move.
            let syncStarted = try #require(sync.startedAt)
            let moveStarted = try #require(moved.startedAt)
            #expect(syncStarted <= moveStarted)
        }
    }

    @Test func invalidTasksAreRefusedAndNothingIsQueued() async throws {
        let rig = try await TestRig.make()
        await #expect(throws: LibraryServiceError.self) {
            try await rig.engine.submit(LibraryTask(type: .move, libraryId: rig.libraryID, sourceElement: 1))
        }
        await #expect(throws: LibraryServiceError.self) {
            try await rig.engine.submit(LibraryTask(type: .erase, libraryId: rig.libraryID, driveId: 9_999))
        }
        await #expect(throws: LibraryServiceError.self) {
            try await rig.engine.submit(LibraryTask(type: .load, libraryId: rig.libraryID, driveId: rig.driveIDs[0]))
        }
        await #expect(throws: LibraryServiceError.self) {
            try await rig.engine.submit(LibraryTask(type: .sync, libraryId: 4_242))
        }
        await #expect(throws: LibraryServiceError.self) {
            try await rig.engine.submit(LibraryTask(type: .clean, libraryId: rig.libraryID))
        }
        await #expect(throws: LibraryServiceError.self) {
            try await rig.engine.submit(LibraryTask(type: .export, libraryId: rig.libraryID))
        }
        await #expect(throws: LibraryServiceError.self) {
            try await rig.engine.submit(LibraryTask(type: .checkLTFS, libraryId: rig.libraryID))
        }
        #expect(try await rig.catalog.pendingLibraryTasks().isEmpty)
    }

    @Test func attachBindsDrivesToWhereTheyAreNow() async throws {
        let rig = try await TestRig.make()
        for (index, id) in rig.driveIDs.enumerated() {
            let drive = try #require(try await rig.catalog.drive(id: id))
            #expect(drive.device == TestRig.drivePath(index))
            #expect(drive.state == .online)
        }
    }

    /// A drive unplugged and plugged back in at the same node is a new device file: the engine
    /// opens it afresh instead of reusing the dead one.
    @Test func aDriveBackAtTheSameNodeIsOpenedAfresh() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.load, drive: 0, source: rig.slotAddress(1)).id)
            let first = try await rig.waitForTask(try await rig.submit(.erase, drive: 0).id)
            #expect(first.status == .done, "\(first.errorMessage ?? "")")

            rig.driveDevices[0].unplug()   // the old file descriptor stays dead
            rig.source.remove(path: TestRig.drivePath(0))
            try await rig.tracker.refresh()
            try await rig.eventually("the drive is marked offline") {
                try await rig.catalog.drive(id: rig.driveIDs[0])?.state == .offline
            }
            let reopened = PluggableDevice(library: rig.simulated, device: 1)
            rig.source.add(path: TestRig.drivePath(0), address: SCSIAddress(host: 4, channel: 0, target: 2, lun: 0),
                           transport: reopened)
            try await rig.tracker.refresh()
            try await rig.eventually("the drive is back online") {
                try await rig.catalog.drive(id: rig.driveIDs[0])?.state == .online
            }
            let second = try await rig.waitForTask(try await rig.submit(.erase, drive: 0).id)
            #expect(second.status == .done, "\(second.errorMessage ?? "")")
        }
    }

    /// A load by cartridge id checks the changer first: a catalog that is out of date (an
    /// operator moved the cartridge at the front panel) never sends the robot for the wrong one.
    @Test func aLoadFromAStaleCatalogIsRefusedBeforeTheRobotMoves() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: "E00001L9"))
            try await frontPanelMove(rig.simulated, from: rig.slotAddress(1), to: rig.slotAddress(9))
            try await frontPanelMove(rig.simulated, from: rig.slotAddress(2), to: rig.slotAddress(1))
            let load = try await rig.waitForTask(try await rig.submit(.load, drive: 0, cartridge: cartridge.id).id)
            #expect(load.status == .error)
            #expect(load.errorMessage == "load failed: the catalog is stale: element \(rig.slotAddress(1)) holds E00002L9, "
                    + "not E00001L9; sync the library")
            #expect(rig.simulated.location(of: "E00002L9") == .slot(1))
            #expect(rig.simulated.location(of: "E00001L9") == .slot(9))
        }
    }

    /// At start-up every library runs a sync before anything else, drive-only tasks included.
    /// (With the start-up unload policy off: the erase works on what the drive holds.)
    @Test func tasksQueuedBeforeStartWaitForTheStartUpSync() async throws {
        let rig = try await TestRig.make()
        try await rig.catalog.setConfiguration(["unload_tape_cartridges_whes_media_server_starts": "no"])
        try await frontPanelMove(rig.simulated, from: rig.slotAddress(5), to: rig.driveAddress(1))
        let erase = try await rig.submit(.erase, drive: 1, priority: 5_000)
        try await rig.serving {
            let done = try await rig.waitForTask(erase.id)
            #expect(done.status == .done, "\(done.errorMessage ?? "")")
            let tasks = try await rig.catalog.listLibraryTasks(ListQuery(limit: 100, sort: "id"))
            let sync = try #require(tasks.items.first { $0.type == .sync })
            let syncFinished = try #require(sync.finishedAt)
            let eraseStarted = try #require(done.startedAt)
            #expect(syncFinished <= eraseStarted)
            // The catalog knew what was in the drive when the erase ran, and recorded it.
            #expect(try await rig.catalog.cartridge(volumeTag: "E00003L9")?.status == .scratch)
        }
    }

    @Test func aTaskOnADisabledDriveFailsWithTheReason() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            try await rig.catalog.setDriveState(rig.driveIDs[1], to: .disabled)
            let erase = try await rig.waitForTask(try await rig.submit(.erase, drive: 1).id)
            #expect(erase.status == .error)
            #expect(erase.errorMessage == "erase failed: drive \(rig.driveIDs[1]) is disabled; "
                    + "enable it to run tasks on it")
        }
    }

    @Test func aDriveWaitingForCleaningKeepsSayingSoWhenItIsSeenAgain() async throws {
        let rig = try await TestRig.make()
        try await rig.catalog.setDriveState(rig.driveIDs[0], to: .needsCleaning)
        try await rig.engine.attach(library: rig.libraryID)
        #expect(try await rig.catalog.drive(id: rig.driveIDs[0])?.state == .needsCleaning)
    }

    /// A queued task can be cancelled (from any process, through the catalog) and never runs; one
    /// that has ended is not changed.
    /// After a robot jam the changer needs its elements scanned again (INITIALIZE ELEMENT
    /// STATUS) before it moves; a sync can send it first.
    @Test func aSyncCanInitializeElementStatusFirst() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            rig.simulated.jamRobot()
            let jammed = try await rig.waitForTask(try await rig.submit(.move, source: rig.slotAddress(1),
                                                                         target: rig.slotAddress(7)).id)
            #expect(jammed.status == .error)
            var sync = LibraryTask(type: .sync, libraryId: rig.libraryID)
            sync.initializeElements = true
            let initialized = try await rig.waitForTask(try await rig.engine.submit(sync).id)
            #expect(initialized.status == .done, "\(initialized.errorMessage ?? "")")
            let moved = try await rig.waitForTask(try await rig.submit(.move, source: rig.slotAddress(1),
                                                                       target: rig.slotAddress(7)).id)
            #expect(moved.status == .done, "\(moved.errorMessage ?? "")")
            #expect(rig.simulated.location(of: "E00001L9") == .slot(7))
            var wrong = LibraryTask(type: .move, libraryId: rig.libraryID, sourceElement: rig.slotAddress(7),
                                    targetElement: rig.slotAddress(1))
            wrong.initializeElements = true
            await #expect(throws: LibraryServiceError.self) { _ = try await rig.engine.submit(wrong) }
        }
    }

    @Test func aCancelledQueuedTaskNeverRuns() async throws {
        let rig = try await TestRig.make()
        let move = try await rig.submit(.move, source: rig.slotAddress(1), target: rig.slotAddress(9))
        let moveID = try #require(move.id)
        let cancelled = try #require(try await rig.catalog.cancelQueuedLibraryTask(moveID, reason: "cancelled by an operator"))
        #expect(cancelled.status == .killed)
        try await rig.serving {
            let sync = try await rig.waitForTask(try await rig.submit(.sync).id)
            #expect(sync.status == .done)
            #expect(try await rig.catalog.libraryTask(id: moveID)?.status == .killed)
            #expect(rig.simulated.location(of: "E00001L9") == .slot(1))
            let syncID = try #require(sync.id)
            let again = try #require(try await rig.catalog.cancelQueuedLibraryTask(syncID, reason: "late"))
            #expect(again.status == .done)
        }
        let log = try await rig.catalog.log(ofLibraryTask: moveID)
        #expect(log.map(\.message) == ["cancelled by an operator"])
    }
}

/// A move made outside tapelib (an operator at the front panel), straight to the simulator.
private func frontPanelMove(_ library: SimulatedLibrary, from source: Int, to target: Int) async throws {
    let s = UInt16(source), t = UInt16(target)
    let cdb: [UInt8] = [0xA5, 0, 0, 0, UInt8(s >> 8), UInt8(s & 0xFF),
                        UInt8(t >> 8), UInt8(t & 0xFF), 0, 0, 0, 0]   // MOVE MEDIUM (SMC-3 6.6)
    var result = try await library.execute(device: 0, SCSICommand(cdb: cdb))
    if result.status != .good {   // the first command after power-on sees UNIT ATTENTION
        result = try await library.execute(device: 0, SCSICommand(cdb: cdb))
    }
    #expect(result.status == .good)
}
