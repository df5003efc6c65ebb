import Catalog
import Foundation
import HWSim
import LibraryService
import SCSI
import Testing

/// Issue 10: tasks addressed by cartridge (as the API's erase_cartridge, format_cartridge and
/// check_ltfs name them), and a robot held only while it moves.
@Suite("Tasks addressed by cartridge; the robot held only for moves")
struct CartridgeTaskTests {
    private func address(_ rig: TestRig, _ tag: String) async throws -> Int? {
        guard let cartridge = try await rig.catalog.cartridge(volumeTag: tag), let slotID = cartridge.slotId else { return nil }
        return try await rig.catalog.slot(id: slotID)?.elementAddress
    }

    /// One task: a drive that can write the cartridge is chosen (the LTO-8 drive cannot write
    /// LTO-9), the cartridge is loaded, erased with progress, and returned to its slot.
    @Test func anEraseByCartridgeLoadsErasesAndReturnsItHome() async throws {
        let rig = try await TestRig.make(driveGenerations: [.lto8, .lto9])
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: "E00002L9"))
            let erase = try await rig.waitForTask(try await rig.submit(.erase, cartridge: cartridge.id, longErase: true).id)
            #expect(erase.status == .done, "\(erase.errorMessage ?? "")")
            #expect(erase.driveId == rig.driveIDs[1])
            #expect(erase.progressPercent == 100)
            #expect(rig.simulated.location(of: "E00002L9") == .slot(2))
            #expect(try await address(rig, "E00002L9") == rig.slotAddress(2))
            #expect(try await rig.catalog.cartridge(volumeTag: "E00002L9")?.status == .scratch)
            #expect(try await rig.catalog.cartridge(volumeTag: "E00002L9")?.mounts == 1)
            let drive = try #require(try await rig.catalog.drive(id: rig.driveIDs[1]))
            #expect(drive.loadedCartridgeId == nil && drive.mountsSinceCleaning == 1)
        }
    }

    /// A failed operation still returns the cartridge home, and the task says why it failed.
    @Test func aFailedOperationStillReturnsTheCartridgeHome() async throws {
        let rig = try await TestRig.make(extra: [CartridgeProfile(barcode: "E00004L9", generation: .lto9,
                                                                  location: .slot(4), writeProtected: true)])
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: "E00004L9"))
            let format = try await rig.waitForTask(try await rig.engine.submit(LibraryTask(
                type: .format, libraryId: rig.libraryID, cartridgeId: cartridge.id, formatKind: .ltfs)).id)
            #expect(format.status == .error)
            #expect(format.errorMessage?.contains("E00004L9 is write-protected") == true, "\(format.errorMessage ?? "")")
            #expect(rig.simulated.location(of: "E00004L9") == .slot(4))
            #expect(try await address(rig, "E00004L9") == rig.slotAddress(4))
        }
    }

    /// LTFS format then check, each by cartridge: the check's verdict is kept.
    @Test func formatThenCheckByCartridge() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: "E00003L9"))
            let format = try await rig.waitForTask(try await rig.engine.submit(LibraryTask(
                type: .format, libraryId: rig.libraryID, cartridgeId: cartridge.id, formatKind: .ltfs)).id)
            #expect(format.status == .done, "\(format.errorMessage ?? "")")
            let check = try await rig.waitForTask(try await rig.engine.submit(LibraryTask(
                type: .checkLTFS, libraryId: rig.libraryID, cartridgeId: cartridge.id)).id)
            #expect(check.status == .done, "\(check.errorMessage ?? "")")
            #expect(try await rig.catalog.cartridge(volumeTag: "E00003L9")?.ltfsState == .consistent)
            #expect(rig.simulated.location(of: "E00003L9") == .slot(5))
        }
    }

    /// While a drive cleans (its cycle kept going: the simulator's clock does not move), the
    /// robot moves cartridges for other tasks; before, the clean task held the changer for
    /// its whole cycle.
    @Test func theRobotServesOthersWhileADriveCleans() async throws {
        let rig = try await TestRig.make(advancePerNotReady: .zero, drivePollInterval: .milliseconds(20))
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let clean = try await rig.submit(.clean, drive: 0)
            try await rig.waitForTask(clean.id, "to clean") { $0.phase == "cleaning" }
            let move = try await rig.waitForTask(
                try await rig.submit(.move, source: rig.slotAddress(1), target: rig.slotAddress(7)).id)
            #expect(move.status == .done, "\(move.errorMessage ?? "")")
            // The move started while the clean task still ran (before, it could only start once
            // the clean had ended and let go of the changer).
            let cleanID = try #require(clean.id)
            let cleaning = try #require(try await rig.catalog.libraryTask(id: cleanID))
            let moveStarted = try #require(move.startedAt)
            #expect(!cleaning.status.isFinal || moveStarted < (cleaning.finishedAt ?? .distantPast))
            rig.driveDevices[0].setAdvancePerNotReady(.seconds(3_600))
            #expect(try await rig.waitForTask(clean.id).status == .done)
            #expect(rig.simulated.location(of: "CLN001L1") == .slot(10))
        }
    }

    /// With no drive that can write the cartridge, the task fails at once with the reason.
    @Test func noCapableDriveIsAnError() async throws {
        let rig = try await TestRig.make(driveGenerations: [.lto8, .lto8])
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: "E00001L9"))
            let erase = try await rig.waitForTask(try await rig.submit(.erase, cartridge: cartridge.id).id)
            #expect(erase.status == .error)
            #expect(erase.errorMessage == "erase failed: no drive of tape library \(rig.libraryID) can write cartridge E00001L9")
            #expect(rig.simulated.location(of: "E00001L9") == .slot(1))
        }
    }

    /// consolidating_tape_library_tasks (the seed's default): erase, then format, then check of
    /// one cartridge share one load and one unload; with it off, each loads and unloads.
    @Test(arguments: [true, false])
    func consecutiveTasksOnOneCartridgeShareOneLoad(consolidate: Bool) async throws {
        let rig = try await TestRig.make()
        try await rig.catalog.setConfiguration(["consolidating_tape_library_tasks": consolidate ? "yes" : "no"])
        let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: "E00002L9"))
        // Queued before the service starts, so all three are waiting when the first ends.
        let erase = try await rig.submit(.erase, cartridge: cartridge.id)
        let format = try await rig.engine.submit(LibraryTask(type: .format, libraryId: rig.libraryID,
                                                             cartridgeId: cartridge.id, formatKind: .ltfs))
        let check = try await rig.engine.submit(LibraryTask(type: .checkLTFS, libraryId: rig.libraryID,
                                                            cartridgeId: cartridge.id))
        try await rig.serving {
            for task in [erase, format, check] {
                let ended = try await rig.waitForTask(task.id)
                #expect(ended.status == .done, "\(ended.type.rawValue): \(ended.errorMessage ?? "")")
            }
            #expect(rig.simulated.location(of: "E00002L9") == .slot(2))
            let after = try #require(try await rig.catalog.cartridge(volumeTag: "E00002L9"))
            #expect(after.mounts == (consolidate ? 1 : 3))
            #expect(after.ltfsState == .consistent)
            #expect(try await address(rig, "E00002L9") == rig.slotAddress(2))
            #expect(rig.simulated.withCartridge("E00002L9") { $0.loadCount } == (consolidate ? 1 : 3))
        }
    }

    /// While a drive erased, another task filled the cartridge's home slot: the cartridge goes
    /// to another empty slot (chosen when the robot is free again), and the catalog follows.
    @Test func aCartridgeWhoseHomeWasFilledGoesToAnotherSlot() async throws {
        let rig = try await TestRig.make(advancePerNotReady: .zero, drivePollInterval: .milliseconds(20))
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: "E00002L9"))
            let erase = try await rig.submit(.erase, cartridge: cartridge.id, longErase: true)
            try await rig.waitForTask(erase.id, "to erase") { $0.phase == "long erase" }
            let eraseID = try #require(erase.id)
            let running = try #require(try await rig.catalog.libraryTask(id: eraseID))
            let chosen = try #require(running.driveId)
            let driveIndex = try #require(rig.driveIDs.firstIndex(of: chosen))
            try await rig.freezeOnceErasing(drive: driveIndex)
            let fill = try await rig.waitForTask(try await rig.submit(.move, source: rig.slotAddress(1),
                                                                      target: rig.slotAddress(2)).id)
            #expect(fill.status == .done, "\(fill.errorMessage ?? "")")
            rig.driveDevices[driveIndex].thaw()
            rig.driveDevices[driveIndex].setAdvancePerNotReady(.seconds(86_400))
            let erased = try await rig.waitForTask(erase.id)
            #expect(erased.status == .done, "\(erased.errorMessage ?? "")")
            guard case .slot(let slot)? = rig.simulated.location(of: "E00002L9") else {
                Issue.record("E00002L9 is not in a slot: \(String(describing: rig.simulated.location(of: "E00002L9")))")
                return
            }
            #expect(slot != 2)
            #expect(try await address(rig, "E00002L9") == rig.slotAddress(slot))
            #expect(try await address(rig, "E00001L9") == rig.slotAddress(2))
        }
    }

    /// A restarted task addressed by cartridge chooses its drive again (the engine recorded
    /// the drive it chose when it claimed the task).
    @Test func aRestartedCartridgeTaskChoosesItsDriveAgain() async throws {
        let rig = try await TestRig.make()
        let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: "E00001L9"))
        let erase = try await rig.submit(.erase, cartridge: cartridge.id)
        let eraseID = try #require(erase.id)
        #expect(try await rig.catalog.claimLibraryTask(eraseID, phase: "starting", drive: rig.driveIDs[0]))
        #expect(try await rig.catalog.libraryTask(id: eraseID)?.driveId == rig.driveIDs[0])
        try await rig.catalog.updateLibraryTask(eraseID, status: .error, failure: TaskFailure(message: "drive disabled"))
        let restarted = try await rig.engine.control(eraseID, .restart)
        #expect(restarted.task.driveId == nil && restarted.task.cartridgeId == cartridge.id)
    }
}
