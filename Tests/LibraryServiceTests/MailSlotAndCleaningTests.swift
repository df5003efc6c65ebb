import Catalog
import Foundation
import HWSim
import LibraryService
import SCSI
import TapeHardware
import Testing

@Suite("Import, export and cleaning tasks against hwsim")
struct MailSlotAndCleaningTests {
    private func location(_ rig: TestRig, _ tag: String) async throws -> (CartridgeLocation, Int?)? {
        guard let cartridge = try await rig.catalog.cartridge(volumeTag: tag) else { return nil }
        let address = try await cartridge.slotId.asyncMap { try await rig.catalog.slot(id: $0)?.elementAddress } ?? nil
        return (cartridge.location, address)
    }

    @Test func importMovesWhatTheOperatorPutInTheMailSlotsIntoStorage() async throws {
        let rig = try await TestRig.make()
        try rig.simulated.operatorInsert(CartridgeProfile(barcode: "N00001L9", generation: .lto9, location: .mailSlot(1)),
                                         mailSlot: 1)
        try rig.simulated.operatorInsert(CartridgeProfile(barcode: "N00002L9", generation: .lto9, location: .mailSlot(2)),
                                         mailSlot: 2)
        try await rig.serving {
            let task = try await rig.waitForTask(try await rig.submit(.import).id)
            #expect(task.status == .done, "\(task.errorMessage ?? "")")
            for tag in ["N00001L9", "N00002L9"] {
                guard case .slot(let number)? = rig.simulated.location(of: tag) else {
                    Issue.record("\(tag) is not in a storage slot: \(String(describing: rig.simulated.location(of: tag)))")
                    continue
                }
                let seen = try await location(rig, tag)
                #expect(seen?.0 == .slot)
                #expect(seen?.1 == rig.slotAddress(number))
            }
            // An empty set of mail slots is a clear failure, not a silent success.
            let again = try await rig.waitForTask(try await rig.submit(.import).id)
            #expect(again.status == .error)
            #expect(again.errorMessage == "import failed: no cartridge placed by an operator is waiting in the import/export slots")
        }
    }

    @Test func exportPutsTheCartridgeInAMailSlotAndItGoesOfflineWhenTakenOut() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: "E00002L9"))
            let export = try await rig.waitForTask(try await rig.submit(.export, cartridge: cartridge.id).id)
            #expect(export.status == .done, "\(export.errorMessage ?? "")")
            #expect(rig.simulated.location(of: "E00002L9") == .mailSlot(1))
            #expect(try await location(rig, "E00002L9")?.0 == .importExport)

            // Import takes only what an operator placed (IMPEXP), never a cartridge waiting to go out.
            let importing = try await rig.waitForTask(try await rig.submit(.import).id)
            #expect(importing.status == .error)
            #expect(rig.simulated.location(of: "E00002L9") == .mailSlot(1))

            #expect(try rig.simulated.operatorRemove(mailSlot: 1) == "E00002L9")
            try await rig.waitForTask(try await rig.submit(.sync).id)
            #expect(try await location(rig, "E00002L9")?.0 == .offline)
        }
    }

    @Test func cleaningCleansTheDriveAndReturnsTheCartridge() async throws {
        let rig = try await TestRig.make()
        rig.simulated.requireCleaning(drive: 0)
        let probe = TapeDrive(transport: rig.simulated.driveTransport(0), retryInterval: .milliseconds(1))
        #expect(try await probe.tapeAlerts().contains(.cleanNow))
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let before = try #require(try await rig.catalog.cartridge(volumeTag: "CLN001L1"))
            #expect(before.status == .cleaning)
            let clean = try await rig.waitForTask(try await rig.submit(.clean, drive: 0).id)
            #expect(clean.status == .done, "\(clean.errorMessage ?? "")")
            #expect(rig.simulated.location(of: "CLN001L1") == .slot(10))
            #expect(rig.simulated.withCartridge("CLN001L1") { $0.cleaningUsesLeft } == 2)
            #expect(!(try await probe.tapeAlerts().contains(.cleanNow)))
            let drive = try #require(try await rig.catalog.drive(id: rig.driveIDs[0]))
            #expect(drive.lastCleaning != nil)
            #expect(drive.mountsSinceCleaning == 0)
            let after = try #require(try await rig.catalog.cartridge(volumeTag: "CLN001L1"))
            #expect(after.cleaningUsesLeft == (before.cleaningUsesLeft ?? 0) - 1)
        }
    }

    /// A drive that finished its cleaning cycle before the first poll (and unthreaded the
    /// cleaner) has cleaned when the cleaning request it had raised (TapeAlert 14h) is gone:
    /// the task records it rather than saying it never started.
    @Test func aCleaningFinishedBeforeTheFirstPollCounts() async throws {
        let rig = try await TestRig.make()
        rig.simulated.requireCleaning(drive: 0)
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            rig.driveDevices[0].advanceBeforeNextCommand(by: .seconds(3_600), opcode: OperationCode.testUnitReady)
            let clean = try await rig.waitForTask(try await rig.submit(.clean, drive: 0).id)
            #expect(clean.status == .done, "\(clean.errorMessage ?? "")")
            #expect(rig.simulated.withCartridge("CLN001L1") { $0.cleaningUsesLeft } == 2)
            #expect(try await rig.catalog.drive(id: rig.driveIDs[0])?.lastCleaning != nil)
        }
    }

    @Test func anExpiredCleaningCartridgeIsRetiredAndTheTaskSaysSo() async throws {
        let rig = try await TestRig.make(cleaningUses: 0)
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let clean = try await rig.waitForTask(try await rig.submit(.clean, drive: 1).id)
            #expect(clean.status == .error)
            #expect(clean.errorMessage?.contains("CLN001L1 has expired") == true, "\(clean.errorMessage ?? "")")
            #expect(rig.simulated.location(of: "CLN001L1") == .slot(10))
            let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: "CLN001L1"))
            #expect(cartridge.status == .retired)
            #expect(try await rig.catalog.drive(id: rig.driveIDs[1])?.lastCleaning == nil)
            // With no usable cleaning cartridge left, the next request fails before any move.
            let next = try await rig.waitForTask(try await rig.submit(.clean, drive: 1).id)
            #expect(next.errorMessage == "clean failed: no cleaning cartridge with uses left in the library's storage slots")
        }
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
