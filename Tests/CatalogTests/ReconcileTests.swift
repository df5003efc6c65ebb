import Foundation
import Testing
@testable import Catalog

@Suite struct ReconcileTests {
    /// A small library: transport 0, drives 1–2, mail slot 10, storage 1000–1005.
    static func snapshot(storage: [Int: String?], drives: [Int: String] = [:], mail: String? = nil) -> InventorySnapshot {
        var elements = [InventoryElement(address: 0, kind: .transport, isFull: false)]
        for address in 1...2 {
            elements.append(InventoryElement(address: address, kind: .drive, isFull: drives[address] != nil,
                                             volumeTag: drives[address]))
        }
        elements.append(InventoryElement(address: 10, kind: .importExport, isFull: mail != nil, volumeTag: mail))
        for address in 1000...1005 {
            let content = storage[address]
            elements.append(InventoryElement(address: address, kind: .storage, isFull: content != nil,
                                             volumeTag: content ?? nil))
        }
        return InventorySnapshot(elements: elements)
    }

    @Test(arguments: QueueStore.allCases) func firstSyncCreatesSlotsAndCartridges(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let summary = try await fixture.sync(Self.snapshot(storage: [1000: "AAA001L9", 1001: "WRM001LZ", 1002: "CLN001CU", 1003: "ODDTAG"],
                                    drives: [1: "AAA002L8"], mail: "AAA003L7"))
        #expect(summary.slotsAdded == 10)
        #expect(Set(summary.cartridgesCreated) == ["AAA001L9", "WRM001LZ", "CLN001CU", "ODDTAG", "AAA002L8", "AAA003L7"])
        let types = try await fixture.catalog.tapeTypes()
        let lto9 = try #require(try await fixture.catalog.cartridge(volumeTag: "AAA001L9"))
        #expect(lto9.tapeTypeId == types.types.first { $0.name == "LTO-9" }?.id)
        #expect(lto9.nativeCapacity == 18_000_000_000_000)
        #expect(lto9.location == .slot && lto9.status == .scratch)
        #expect(try await fixture.catalog.cartridge(volumeTag: "WRM001LZ")?.isWorm == true)
        #expect(try await fixture.catalog.cartridge(volumeTag: "CLN001CU")?.status == .cleaning)
        #expect(try await fixture.catalog.cartridge(volumeTag: "ODDTAG")?.tapeTypeId == nil)
        #expect(try await fixture.catalog.cartridge(volumeTag: "AAA002L8")?.location == .drive)
        #expect(try await fixture.catalog.cartridge(volumeTag: "AAA003L7")?.location == .importExport)
    }

    @Test(arguments: QueueStore.allCases) func movesKnownCartridgesAndSwaps(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let catalog = fixture.catalog
        _ = try await fixture.sync(Self.snapshot(storage: [1000: "AAA001L9", 1001: "AAA002L9"]))
        let before = try #require(try await catalog.cartridge(volumeTag: "AAA001L9"))
        // The two cartridges trade places and a third moves into the drive.
        let summary = try await fixture.sync(Self.snapshot(storage: [1000: "AAA002L9"], drives: [2: "AAA001L9"]))
        #expect(summary.cartridgesCreated.isEmpty)
        #expect(Set(summary.cartridgesMoved.map(\.volumeTag)) == ["AAA001L9", "AAA002L9"])
        #expect(summary.cartridgesMoved.first { $0.volumeTag == "AAA001L9" } == .init(volumeTag: "AAA001L9", fromAddress: 1000, toAddress: 2))
        let after = try #require(try await catalog.cartridge(volumeTag: "AAA001L9"))
        #expect(after.id == before.id && after.location == .drive)
        let slots = try await catalog.slots(library: fixture.libraryID)
        #expect(slots.first { $0.elementAddress == 1001 }?.full == false)
        #expect(slots.first { $0.elementAddress == 1000 }?.volumeTag == "AAA002L9")
    }

    @Test(arguments: QueueStore.allCases) func vanishedCartridgesGoOffline(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        _ = try await fixture.sync(Self.snapshot(storage: [1000: "AAA001L9", 1001: "AAA002L9"]))
        let summary = try await fixture.sync(Self.snapshot(storage: [1001: "AAA002L9"]))
        #expect(summary.cartridgesMarkedOffline == ["AAA001L9"])
        #expect(summary.cartridgesMoved.isEmpty)
        let gone = try #require(try await fixture.catalog.cartridge(volumeTag: "AAA001L9"))
        #expect(gone.location == .offline && gone.slotId == nil)
        // Put back later: it is the same cartridge again, not a new one.
        let back = try await fixture.sync(Self.snapshot(storage: [1003: "AAA001L9", 1001: "AAA002L9"]))
        #expect(back.cartridgesCreated.isEmpty)
        #expect(back.cartridgesMoved == [.init(volumeTag: "AAA001L9", fromAddress: nil, toAddress: 1003)])
    }

    @Test(arguments: QueueStore.allCases) func unchangedSnapshotChangesNothing(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let snapshot = Self.snapshot(storage: [1000: "AAA001L9"], drives: [1: "AAA002L9"])
        _ = try await fixture.sync(snapshot)
        let again = try await fixture.sync(snapshot)
        #expect(!again.changedAnything)
    }

    @Test(arguments: QueueStore.allCases) func unlabeledAndDuplicateTagsAreReported(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let summary = try await fixture.sync(Self.snapshot(storage: [1000: "AAA001L9", 1001: "AAA001L9", 1002: String?.none, 1003: "  "]))
        #expect(summary.duplicateVolumeTags == ["AAA001L9"])
        #expect(summary.unlabeledElements == [1002, 1003])
        #expect(summary.cartridgesCreated == ["AAA001L9"])
        #expect(try await fixture.catalog.cartridge(volumeTag: "AAA001L9")?.slotId != nil)
    }

    @Test(arguments: QueueStore.allCases) func removedElementsAreDeletedAndTheirCartridgesGoOffline(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        _ = try await fixture.sync(Self.snapshot(storage: [1005: "AAA001L9"]))
        var shrunk = Self.snapshot(storage: [:])
        shrunk.elements.removeAll { $0.address == 1005 }
        let summary = try await fixture.sync(shrunk)
        #expect(summary.slotsRemoved == 1)
        #expect(summary.cartridgesMarkedOffline == ["AAA001L9"])
        #expect(try await fixture.catalog.slots(library: fixture.libraryID).count == 9)
    }

    @Test(arguments: QueueStore.allCases) func cartridgeFromAnotherLibraryMovesHere(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let other = try await fixture.catalog.insert(TapeLibrary(mediaServerId: fixture.serverID))
        let otherID = try #require(other.id)
        _ = try await fixture.sync(Self.snapshot(storage: [1000: "AAA001L9"]), library: otherID)
        let summary = try await fixture.sync(Self.snapshot(storage: [1002: "AAA001L9"]))
        #expect(summary.cartridgesMoved == [.init(volumeTag: "AAA001L9", fromAddress: nil, toAddress: 1002)])
        let moved = try #require(try await fixture.catalog.cartridge(volumeTag: "AAA001L9"))
        let otherSlots = Set(try await fixture.catalog.slots(library: otherID).compactMap(\.id))
        let hereSlots = Set(try await fixture.catalog.slots(library: fixture.libraryID).compactMap(\.id))
        #expect(moved.slotId.map { hereSlots.contains($0) && !otherSlots.contains($0) } == true)
    }

    @Test(arguments: QueueStore.allCases) func drivesPointAtLoadedCartridge(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let drive = try await fixture.catalog.insert(LibraryTapeDrive(
            libraryId: fixture.libraryID, mediaServerId: fixture.serverID, device: "/dev/sg3",
            scsiPath: "[6:0:1:0]", sysTransferElement: 1))
        var snapshot = Self.snapshot(storage: [1000: "AAA001L9"], drives: [1: "AAA002L9"])
        snapshot.drives = [InventoryDrive(address: 1, serialNumber: "HU1234567")]
        _ = try await fixture.sync(snapshot)
        let loaded = try await fixture.catalog.drives(library: fixture.libraryID)
        let cartridge = try await fixture.catalog.cartridge(volumeTag: "AAA002L9")
        #expect(loaded.first?.id == drive.id)
        #expect(loaded.first?.loadedCartridgeId == cartridge?.id)
        #expect(loaded.first?.serial == "HU1234567")
        _ = try await fixture.sync(Self.snapshot(storage: [1000: "AAA001L9", 1001: "AAA002L9"]))
        #expect(try await fixture.catalog.drives(library: fixture.libraryID).first?.loadedCartridgeId == nil)
    }

    @Test(arguments: QueueStore.allCases) func rejectsImpossibleSnapshotsWithoutWriting(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let duplicated = InventorySnapshot(elements: [
            InventoryElement(address: 5, kind: .storage, isFull: true, volumeTag: "AAA001L9"),
            InventoryElement(address: 5, kind: .storage, isFull: false),
        ])
        await #expect(throws: CatalogError.self) {
            _ = try await fixture.sync(duplicated)
        }
        let outOfRange = InventorySnapshot(elements: [InventoryElement(address: 70_000, kind: .storage, isFull: false)])
        await #expect(throws: CatalogError.self) {
            _ = try await fixture.sync(outOfRange)
        }
        // A 33-byte tag after a valid element: rejected before the valid one is written.
        let longTag = InventorySnapshot(elements: [
            InventoryElement(address: 1, kind: .storage, isFull: true, volumeTag: "AAA001L9"),
            InventoryElement(address: 2, kind: .storage, isFull: true, volumeTag: String(repeating: "X", count: 33)),
        ])
        await #expect(throws: CatalogError.self) {
            _ = try await fixture.sync(longTag)
        }
        #expect(try await fixture.catalog.slots(library: fixture.libraryID).isEmpty)
        await #expect(throws: CatalogError.notFound(resource: "tape_libraries", identifier: "42")) {
            _ = try await fixture.sync(InventorySnapshot(elements: []), library: 42)
        }
    }

    @Test(arguments: QueueStore.allCases) func exceptionsAreStored(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let snapshot = InventorySnapshot(elements: [
            InventoryElement(address: 1000, kind: .storage, isFull: false, isAccessible: false,
                             exception: ElementException(asc: 0x83, ascq: 0x02)),
        ])
        _ = try await fixture.sync(snapshot)
        let slot = try #require(try await fixture.catalog.slots(library: fixture.libraryID).first)
        #expect(slot.exception && !slot.accessible && slot.asc == 0x83 && slot.ascq == 0x02)
    }
}

@Suite struct SlotCountTests {
    /// Totals answered from library_slot_block_counts must equal a real COUNT(*) after any sync.
    @Test func cachedTotalsMatchCounting() async throws {
        let fixture = try await CatalogFixture()
        let snapshots = [
            ReconcileTests.snapshot(storage: [1000: "AAA001L9", 1001: "AAA002L9"], drives: [1: "AAA003L9"]),
            ReconcileTests.snapshot(storage: [1002: "AAA001L9", 1001: "AAA002L9", 1005: "AAA004L9"]),
            InventorySnapshot(elements: [InventoryElement(address: 1000, kind: .importExport, isFull: true, volumeTag: "AAA001L9")]),
        ]
        for snapshot in snapshots {
            _ = try await fixture.catalog.reconcile(library: fixture.libraryID, snapshot: snapshot)
            _ = try await fixture.addSlot(2000 + snapshot.elements.count)
            for kind in SlotKind.allCases {
                for full in ["true", "false"] {
                    let cached = "library_id=\"\(fixture.libraryID)\", kind=\"\(kind.rawValue)\", full=\"\(full)\""
                    // The range condition forces a real COUNT(*).
                    let counted = cached + ", element_address>\"-1\""
                    let fast = try await fixture.catalog.listSlots(ListQuery(filter: cached))
                    let slow = try await fixture.catalog.listSlots(ListQuery(filter: counted))
                    #expect(fast.total == slow.total, "\(kind) full=\(full)")
                }
            }
            let all = try await fixture.catalog.listSlots(ListQuery(filter: "library_id=\"\(fixture.libraryID)\""))
            #expect(all.total == (try await fixture.catalog.slots(library: fixture.libraryID)).count)
        }
    }
}

@Suite struct ReconcileIntegrityTests {
    /// Reconcile skips SQLite's per-row foreign-key look-ups; the result must still be consistent
    /// and enforcement must be back on afterwards, also after a failed reconciliation.
    @Test func foreignKeysHoldAndEnforcementReturns() async throws {
        let fixture = try await CatalogFixture()
        let catalog = fixture.catalog
        _ = try await catalog.insert(LibraryTapeDrive(libraryId: fixture.libraryID, mediaServerId: fixture.serverID,
                                                      device: "/dev/sg3", scsiPath: "[6:0:1:0]", sysTransferElement: 1))
        let sequence = [
            ReconcileTests.snapshot(storage: [1000: "AAA001L9", 1001: "AAA002L9", 1002: "CLN001CU"], drives: [1: "AAA003L9"]),
            ReconcileTests.snapshot(storage: [1001: "AAA001L9", 1000: "AAA002L9"], drives: [2: "AAA003L9"], mail: "AAA004L9"),
            InventorySnapshot(elements: [InventoryElement(address: 1, kind: .drive, isFull: true, volumeTag: "AAA002L9")]),
        ]
        for snapshot in sequence {
            _ = try await catalog.reconcile(library: fixture.libraryID, snapshot: snapshot)
            #expect(try await catalog.foreignKeyViolations() == [])
        }
        await #expect(throws: CatalogError.self) {
            _ = try await catalog.reconcile(library: fixture.libraryID, snapshot: InventorySnapshot(elements: [
                InventoryElement(address: 1, kind: .drive, isFull: false),
                InventoryElement(address: 1, kind: .drive, isFull: false)]))
        }
        await #expect(throws: CatalogError.self) {
            _ = try await catalog.insert(LibrarySlot(libraryId: 999, elementAddress: 1, kind: .storage))
        }
    }
}
