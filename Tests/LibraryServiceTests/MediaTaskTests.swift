import Catalog
import Foundation
import HWSim
import LibraryService
import Testing

@Suite("Erase, format and LTFS check tasks against hwsim")
struct MediaTaskTests {
    /// Syncs and loads the cartridge in storage slot `slot` into drive `drive`.
    private func loaded(_ rig: TestRig, drive: Int, slot: Int) async throws -> TapeCartridge {
        try await rig.waitForTask(try await rig.submit(.sync).id)
        let load = try await rig.waitForTask(try await rig.submit(.load, drive: drive, source: rig.slotAddress(slot)).id)
        #expect(load.status == .done, "\(load.errorMessage ?? "")")
        let element = try #require(try await rig.catalog.slot(library: rig.libraryID, address: rig.driveAddress(drive)))
        let tag = try #require(element.volumeTag)
        return try #require(try await rig.catalog.cartridge(volumeTag: tag))
    }

    @Test func ltfsFormatThenCheckIsConsistentAndTheCatalogKnows() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            let cartridge = try await loaded(rig, drive: 0, slot: 1)
            #expect(cartridge.volumeTag == "E00001L9")
            let format = try await rig.waitForTask(try await rig.engine.submit(LibraryTask(
                type: .format, libraryId: rig.libraryID, driveId: rig.driveIDs[0], formatKind: .ltfs,
                volumeName: "weekly")).id)
            #expect(format.status == .done, "\(format.errorMessage ?? "")")
            #expect(try await rig.catalog.cartridge(volumeTag: "E00001L9")?.ltfsState == .consistent)

            let check = try await rig.waitForTask(try await rig.submit(.checkLTFS, drive: 0).id)
            #expect(check.status == .done, "\(check.errorMessage ?? "")")
            let after = try #require(try await rig.catalog.cartridge(volumeTag: "E00001L9"))
            #expect(after.ltfsCheckVerdict == "consistent")
            #expect(after.ltfsState == .consistent)
            let log = try await rig.catalog.log(ofLibraryTask: try #require(check.id))
            #expect(log.contains { $0.message == "LTFS check: consistent" })
        }
    }

    @Test func checkingABlankCartridgeSaysSoAndWritesNothing() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            _ = try await loaded(rig, drive: 1, slot: 2)
            let check = try await rig.waitForTask(try await rig.submit(.checkLTFS, drive: 1).id)
            #expect(check.status == .done)
            let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: "E00002L9"))
            #expect(cartridge.ltfsCheckVerdict == "blank")
            #expect(cartridge.ltfsState == .notFormatted)
            #expect(rig.simulated.withCartridge("E00002L9") { $0.partitions.allSatisfy { $0.objects.isEmpty } } == true)
        }
    }

    @Test func plainFormatOfACartridgeWithDataNeedsForce() async throws {
        let rig = try await TestRig.make()
        try await rig.serving {
            let cartridge = try await loaded(rig, drive: 0, slot: 5)
            try await rig.catalog.setCartridgeStatus(try #require(cartridge.id), to: .append)
            let refused = try await rig.waitForTask(try await rig.submit(.format, drive: 0).id)
            #expect(refused.status == .error)
            #expect(refused.errorMessage == "format failed: cartridge E00003L9 holds data (append); set force to format it")
            #expect(try await rig.catalog.cartridge(volumeTag: "E00003L9")?.status == .append)

            let forced = try await rig.waitForTask(try await rig.engine.submit(LibraryTask(
                type: .format, libraryId: rig.libraryID, driveId: rig.driveIDs[0], force: true)).id)
            #expect(forced.status == .done, "\(forced.errorMessage ?? "")")
            #expect(forced.progressPercent == 100)
            let after = try #require(try await rig.catalog.cartridge(volumeTag: "E00003L9"))
            #expect(after.status == .scratch)
            #expect(after.ltfsState == .notFormatted)
        }
    }

    @Test func aFormatTaskIsValidated() async throws {
        let rig = try await TestRig.make()
        await #expect(throws: LibraryServiceError.self) {
            try await rig.engine.submit(LibraryTask(type: .format, libraryId: rig.libraryID, driveId: rig.driveIDs[0],
                                                    formatKind: .plain, volumeName: "x"))
        }
        await #expect(throws: LibraryServiceError.self) {
            try await rig.engine.submit(LibraryTask(type: .format, libraryId: rig.libraryID, driveId: rig.driveIDs[0],
                                                    formatKind: .ltfs, volumeName: ""))
        }
        let queued = try await rig.engine.submit(LibraryTask(type: .format, libraryId: rig.libraryID, driveId: rig.driveIDs[0]))
        #expect(queued.formatKind == .plain)
    }
}
