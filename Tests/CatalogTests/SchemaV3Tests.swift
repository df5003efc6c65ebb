import Foundation
import GRDB
import Testing
@testable import Catalog

/// v3 rewrote the enumeration CHECKs of slots and cartridges as OR chains: they must still
/// accept every value of the Swift enumerations and reject anything else.
@Suite struct SchemaV3CheckTests {
    static let rejected: [(String, String)] = [
        ("UPDATE tape_cartridges SET status = 'lost'", "status"),
        ("UPDATE tape_cartridges SET status = NULL", "status"),
        ("UPDATE tape_cartridges SET location = 'moon'", "location"),
        ("UPDATE tape_cartridges SET ltfs_state = 'fine'", "ltfs_state"),
        ("UPDATE tape_cartridges SET write_protected = 2", "write_protected"),
        ("UPDATE tape_cartridges SET is_worm = -1", "is_worm"),
        ("UPDATE tape_cartridges SET volume_tag = ''", "volume_tag"),
        ("UPDATE library_slots SET kind = 'shelf'", "kind"),
        ("UPDATE library_slots SET full = 2", "full"),
        ("UPDATE library_slots SET accessible = 3", "accessible"),
        ("UPDATE library_slots SET exception = 7", "exception"),
        ("UPDATE library_slots SET asc = 256", "asc"),
        ("UPDATE library_slots SET element_address = 65536", "element_address"),
    ]

    @Test(arguments: rejected)
    func valuesOutsideTheSetAreRejected(_ sql: String, _ column: String) async throws {
        let fixture = try await CatalogFixture()
        _ = try await fixture.catalog.reconcile(library: fixture.libraryID,
                                                snapshot: ReconcileTests.snapshot(storage: [1000: "AAA001L9"]))
        await #expect(throws: CatalogError.self, "\(column)") {
            try await fixture.catalog.write { db in try db.execute(sql: sql) }
        }
    }

    @Test func everyEnumerationValueIsAccepted() async throws {
        let fixture = try await CatalogFixture()
        let id = try #require(try await fixture.catalog.registerCartridge(volumeTag: "AAA001L9").id)
        try await fixture.catalog.write { db in
            for status in CartridgeStatus.allCases where status != .cleaning {
                try db.execute(sql: "UPDATE tape_cartridges SET status = ? WHERE id = ?", arguments: [status.rawValue, id])
            }
            for state in LTFSState.allCases {
                try db.execute(sql: "UPDATE tape_cartridges SET ltfs_state = ? WHERE id = ?", arguments: [state.rawValue, id])
            }
            for location in CartridgeLocation.allCases where !location.isInLibrary {
                try db.execute(sql: "UPDATE tape_cartridges SET location = ? WHERE id = ?", arguments: [location.rawValue, id])
            }
        }
        for (address, kind) in SlotKind.allCases.enumerated() {
            let slot = try await fixture.addSlot(address, kind)
            let placed = try await fixture.catalog.placeCartridge(id, inSlot: slot)
            #expect(placed.location == kind.cartridgeLocation)
        }
    }
}

/// Slot pages sorted by element address start with a seek through the block counts; they must
/// equal what plain LIMIT/OFFSET returns, for every page, in both directions.
@Suite struct SlotPageSeekTests {
    @Test(arguments: [SortDirection.ascending, .descending])
    func seekPagesEqualOffsetPages(_ direction: SortDirection) async throws {
        let fixture = try await CatalogFixture()
        // A second library whose addresses overlap the first's: a filter without a library
        // (SchemaV8) pages through both, ordered by address and then id.
        let second = try #require(try await fixture.catalog.insert(
            TapeLibrary(mediaServerId: fixture.serverID, description: "second library")).id)
        var generator = SystemRandomNumberGenerator()
        for (library, prefix, count) in [(fixture.libraryID, "S", 1_500), (second, "T", 600)] {
            var elements: [InventoryElement] = []
            // Addresses spread over many 256-address blocks, some blocks empty, mixed kinds.
            var address = 0
            for index in 0..<count {
                address += Int.random(in: 1...(index % 100 == 0 ? 900 : 20), using: &generator)
                let kind: SlotKind = index % 50 == 0 ? .importExport : .storage
                let full = Bool.random(using: &generator)
                elements.append(InventoryElement(address: address, kind: kind, isFull: full,
                                                 volumeTag: full ? String(format: "\(prefix)%05dL9", index) : nil))
            }
            _ = try await fixture.catalog.reconcile(library: library, snapshot: InventorySnapshot(elements: elements))
        }
        let library = "library_id=\"\(fixture.libraryID)\""
        let filters = [library, library + ", kind=\"storage\", full=\"true\"", library + ", full=\"false\"",
                       library + ", kind=\"import_export\"", "", "full=\"true\"", "kind=\"storage\", full=\"false\""]
        for filter in filters {
            for limit in [7, 100] {
                var page = 1
                while true {
                    let fast = try await fixture.catalog.listSlots(
                        ListQuery(filter: filter.isEmpty ? nil : filter, page: page, limit: limit,
                                  sort: "element_address", direction: direction))
                    // A range condition disables the count cache, hence the seek.
                    let slow = try await fixture.catalog.listSlots(
                        ListQuery(filter: (filter.isEmpty ? "" : filter + ", ") + "element_address>\"-1\"", page: page,
                                  limit: limit, sort: "element_address", direction: direction))
                    #expect(fast == slow, "\(filter) page \(page) limit \(limit)")
                    if slow.items.isEmpty { break }
                    page += 1
                }
            }
        }
        // Both libraries' slots are counted without a library in the filter.
        #expect(try await fixture.catalog.listSlots(ListQuery(limit: 1)).total == 2_100)
    }
}
