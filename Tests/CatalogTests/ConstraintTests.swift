import Foundation
import Testing
@testable import Catalog

@Suite struct ConstraintTests {
    @Test(arguments: QueueStore.allCases) func volumeTagIsUniquePerInstallation(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        _ = try await fixture.catalog.registerCartridge(volumeTag: "RB1001L9")
        await #expect(throws: CatalogError.self) {
            _ = try await fixture.catalog.registerCartridge(volumeTag: "RB1001L9")
        }
    }

    @Test(arguments: QueueStore.allCases) func slotHoldsAtMostOneCartridge(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let slot = try await fixture.addSlot(1000)
        let first = try await fixture.catalog.registerCartridge(volumeTag: "AAA001L9")
        let second = try await fixture.catalog.registerCartridge(volumeTag: "AAA002L9")
        try await fixture.catalog.placeCartridge(try #require(first.id), inSlot: slot)
        do {
            try await fixture.catalog.placeCartridge(try #require(second.id), inSlot: slot)
            Issue.record("a second cartridge was placed in an occupied slot")
        } catch {
            guard case CatalogError.constraintViolation = error else { Issue.record("unexpected \(error)"); return }
        }
        let stillOffline = try await fixture.catalog.cartridge(volumeTag: "AAA002L9")
        #expect(stillOffline?.location == .offline)
        #expect(stillOffline?.slotId == nil)
    }

    @Test(arguments: QueueStore.allCases) func cartridgeIsInOnePlaceAtATime(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let a = try await fixture.addSlot(1000)
        let b = try await fixture.addSlot(1001)
        let cartridge = try await fixture.catalog.registerCartridge(volumeTag: "AAA001L9")
        let id = try #require(cartridge.id)
        try await fixture.catalog.placeCartridge(id, inSlot: a)
        let moved = try await fixture.catalog.placeCartridge(id, inSlot: b)
        #expect(moved.slotId == b)
        // Slot a is free again: another cartridge can go there.
        let other = try await fixture.catalog.registerCartridge(volumeTag: "AAA002L9")
        try await fixture.catalog.placeCartridge(try #require(other.id), inSlot: a)
    }

    @Test(arguments: QueueStore.allCases) func locationFollowsElementKind(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let drive = try await fixture.addSlot(1, .drive)
        let mail = try await fixture.addSlot(10, .importExport)
        let id = try #require(try await fixture.catalog.registerCartridge(volumeTag: "AAA001L9").id)
        #expect(try await fixture.catalog.placeCartridge(id, inSlot: drive).location == .drive)
        #expect(try await fixture.catalog.placeCartridge(id, inSlot: mail).location == .importExport)
        #expect(try await fixture.catalog.removeCartridgeFromLibrary(id, to: .vault).location == .vault)
    }

    @Test(arguments: QueueStore.allCases) func storedLocationMustMatchSlot(_ store: QueueStore) async throws {
        // Bypasses the API to show the schema itself rejects an inconsistent row.
        let fixture = try await StoreFixture.make(store)
        let storage = try await fixture.addSlot(1000)
        await #expect(throws: CatalogError.self) {
            try await fixture.catalog.writeSQL { sql in
                _ = try sql.insertRecord(TapeCartridge(volumeTag: "BAD002L9", location: .offline, slotId: storage))
            }
        }
        await #expect(throws: CatalogError.self) {
            try await fixture.catalog.writeSQL { sql in
                _ = try sql.insertRecord(TapeCartridge(volumeTag: "BAD003L9", location: .slot, slotId: nil))
            }
        }
    }

    @Test(arguments: QueueStore.allCases) func slotAddressIsUniqueWithinLibrary(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        _ = try await fixture.addSlot(1000)
        await #expect(throws: CatalogError.self) { _ = try await fixture.addSlot(1000) }
    }

    @Test(arguments: QueueStore.allCases) func occupiedSlotCannotBeDeleted(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let slot = try await fixture.addSlot(1000)
        let id = try #require(try await fixture.catalog.registerCartridge(volumeTag: "AAA001L9").id)
        try await fixture.catalog.placeCartridge(id, inSlot: slot)
        await #expect(throws: CatalogError.self) {
            try await fixture.catalog.writeSQL { sql in
                try sql.execute("DELETE FROM library_slots WHERE id = ?", [slot.databaseValue])
            }
        }
    }

    @Test func sha256MustBeLowercaseHex() async throws {
        let fixture = try await CatalogFixture()
        let pool = try await fixture.catalog.insert(Pool(name: "tape_pool", type: .tapeLibrary))
        let poolID = try #require(pool.id)
        let good = String(repeating: "ab", count: 32)
        _ = try await fixture.catalog.insert(BackupRecord(client: "c", resource: "/home", resourceType: "File system",
                                                          backupType: .full, poolId: poolID, sha256: good))
        await #expect(throws: CatalogError.self) {
            _ = try await fixture.catalog.insert(BackupRecord(client: "c", resource: "/home", resourceType: "File system",
                                                              backupType: .full, poolId: poolID, sha256: "XYZ"))
        }
    }

    @Test(arguments: QueueStore.allCases) func foreignKeysAreEnforced(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        await #expect(throws: CatalogError.self) {
            _ = try await fixture.catalog.insert(LibrarySlot(libraryId: 999, elementAddress: 1, kind: .storage))
        }
    }

    @Test(arguments: QueueStore.allCases) func scsiPathIsValidated(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        #expect(SCSIPath("[8:0:0:0]") != nil)
        #expect(SCSIPath("8:0:0:0") == nil)
        #expect(SCSIPath("[8:0:0]") == nil)
        #expect(SCSIPath("[a:0:0:0]") == nil)
        await #expect(throws: CatalogError.self) {
            _ = try await fixture.catalog.insert(MediumChanger(mediaServerId: fixture.serverID, scsiPath: "/dev/sg2",
                                                               device: "/dev/sg2"))
        }
    }
}
