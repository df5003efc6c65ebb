import Catalog
import Foundation
import HWSim
import LibraryService
import SCSI
import Testing

/// Issue 10: a sync that finds cartridges nobody registered records them as unregistered,
/// keeps its summary, and ends with an error listing them; an import registers into a pool.
@Suite("Unregistered cartridges, the sync's summary and import into a pool")
struct RegistrationStateTests {
    @Test func aSyncListsUnregisteredCartridgesAndAnImportRegistersThemIntoAPool() async throws {
        let rig = try await TestRig.make(registerCartridges: false)
        let pool = try await rig.catalog.insert(Pool(name: "tape_pool", type: .tapeLibrary))
        let poolID = try #require(pool.id)
        try await rig.serving {
            let sync = try await rig.waitForTask(try await rig.submit(.sync).id)
            #expect(sync.status == .error)
            let message = try #require(sync.errorMessage)
            #expect(message.hasPrefix("sync failed: the library holds 3 unregistered cartridges: E00001L9, E00002L9, E00003L9;"),
                    "\(message)")
            // The catalog is synced all the same: the cartridges are where the library has them,
            // recorded as unregistered and in no pool; the cleaning cartridge is registered.
            let first = try #require(try await rig.catalog.cartridge(volumeTag: "E00001L9"))
            #expect(!first.isRegistered && first.poolId == nil && first.slotId != nil)
            #expect(try await rig.catalog.cartridge(volumeTag: "CLN001L1")?.isRegistered == true)
            #expect(try await rig.catalog.library(id: rig.libraryID)?.syncState == .synced)
            // The sync's summary is kept in its log.
            let log = try await rig.catalog.log(ofLibraryTask: try #require(sync.id)).map(\.message)
            #expect(log.contains { $0.hasPrefix("sync: ") && $0.contains("new cartridges: E00001L9, E00002L9, E00003L9, CLN001L1") },
                    "\(log)")
            // Other tasks are not held back by it (the catalog is true to the library).
            let move = try await rig.waitForTask(try await rig.submit(.move, source: rig.slotAddress(5),
                                                                       target: rig.slotAddress(6)).id)
            #expect(move.status == .done, "\(move.errorMessage ?? "")")

            // Registering one by hand (POST tape_cartridges) registers the row the sync made.
            let registered = try await rig.catalog.registerCartridge(volumeTag: "E00003L9", poolName: "tape_pool")
            let stored = try await rig.catalog.cartridge(volumeTag: "E00003L9")
            #expect(registered.isRegistered && registered.id == stored?.id)

            // An operator puts a new cartridge in a mail slot and imports it into the pool.
            try rig.simulated.operatorInsert(CartridgeProfile(barcode: "N00001L9", generation: .lto9, location: .slot(1)),
                                             mailSlot: 1)
            let sync2 = try await rig.waitForTask(try await rig.submit(.sync).id)
            // Element address order: the mail slots come before the storage slots here.
            #expect(sync2.errorMessage?.contains("holds 3 unregistered cartridges: N00001L9, E00001L9, E00002L9") == true,
                    "\(sync2.errorMessage ?? "")")
            let importTask = try await rig.engine.submit(LibraryTask(type: .import, libraryId: rig.libraryID, poolId: poolID))
            let imported = try await rig.waitForTask(importTask.id)
            #expect(imported.status == .done, "\(imported.errorMessage ?? "")")
            let new = try #require(try await rig.catalog.cartridge(volumeTag: "N00001L9"))
            #expect(new.isRegistered && new.poolId == poolID)
            #expect(try await rig.catalog.unregisteredCartridges(library: rig.libraryID) == ["E00001L9", "E00002L9"])
        }
    }

    /// Registration in bulk: all or nothing, cleaning cartridges stay out of pools, and the
    /// answer names the cartridges registered now.
    @Test func registeringIntoAPoolIsAllOrNothing() async throws {
        let rig = try await TestRig.make(registerCartridges: false)
        let pool = try await rig.catalog.insert(Pool(name: "tape_pool", type: .tapeLibrary))
        let poolID = try #require(pool.id)
        try await rig.serving {
            _ = try await rig.waitForTask(try await rig.submit(.sync).id)
        }
        await #expect(throws: CatalogError.self) {
            try await rig.catalog.registerCartridges(["E00001L9", "NOSUCH01"], pool: poolID)
        }
        #expect(try await rig.catalog.cartridge(volumeTag: "E00001L9")?.isRegistered == false)
        let now = try await rig.catalog.registerCartridges(["E00002L9", "CLN001L1", "E00001L9"], pool: poolID)
        #expect(now == ["E00002L9", "E00001L9"])
        #expect(try await rig.catalog.cartridge(volumeTag: "E00001L9")?.poolId == poolID)
        #expect(try await rig.catalog.cartridge(volumeTag: "CLN001L1")?.poolId == nil)
        #expect(try await rig.catalog.unregisteredCartridges(library: rig.libraryID) == ["E00003L9"])
        #expect(try await rig.catalog.registerCartridges(["E00001L9"], pool: nil).isEmpty)
        #expect(try await rig.catalog.cartridge(volumeTag: "E00001L9")?.poolId == poolID)
    }

    @Test func aPoolAppliesToImportOnly() async throws {
        let rig = try await TestRig.make()
        await #expect(throws: LibraryServiceError.self) {
            _ = try await rig.engine.submit(LibraryTask(type: .sync, libraryId: rig.libraryID, poolId: 1))
        }
    }
}
