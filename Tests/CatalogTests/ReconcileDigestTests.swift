import Foundation
import Testing
@testable import Catalog

/// Reconcile skips elements whose stored digest still matches. The reference path
/// (`skipUnchanged: false`) reads and diffs every element in full; on random snapshot sequences,
/// with API moves in between, both must report the same summaries and leave the same catalog.
@Suite struct ReconcileDigestTests {
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func randomSnapshot(_ random: inout Random) -> InventorySnapshot {
        var elements: [InventoryElement] = []
        for address in 0..<48 where Int.random(in: 0..<20, using: &random) != 0 {
            let kind: SlotKind = switch address {
            case 0: .transport
            case 1...3: Int.random(in: 0..<10, using: &random) == 0 ? .storage : .drive
            case 4...5: .importExport
            default: Int.random(in: 0..<30, using: &random) == 0 ? .importExport : .storage
            }
            let full = Bool.random(using: &random)
            var tag: String?
            if full {
                switch Int.random(in: 0..<20, using: &random) {
                case 0: tag = nil
                case 1: tag = "  "
                default: tag = String(format: "T%03dL9", Int.random(in: 0..<40, using: &random))
                }
            }
            let exception = Int.random(in: 0..<15, using: &random) == 0
                ? ElementException(asc: UInt8.random(in: 0...255, using: &random), ascq: 1) : nil
            elements.append(InventoryElement(
                address: address, kind: kind, isFull: full, volumeTag: tag,
                sourceElement: full && Bool.random(using: &random) ? Int.random(in: 0..<48, using: &random) : nil,
                isAccessible: Int.random(in: 0..<10, using: &random) != 0, exception: exception))
        }
        return InventorySnapshot(elements: elements.shuffled(using: &random),
                                 drives: [InventoryDrive(address: 1, serialNumber: "SER1")])
    }

    struct State: Equatable {
        var slots: [LibrarySlot]
        var cartridges: [String]
        var drives: [Int64?]
    }

    static func state(_ fixture: CatalogFixture) async throws -> State {
        let slots = try await fixture.catalog.slots(library: fixture.libraryID)
        let addressByID = Dictionary(uniqueKeysWithValues: slots.compactMap { slot in slot.id.map { ($0, slot.elementAddress) } })
        let cartridges = try await fixture.catalog.listCartridges(ListQuery(limit: 1000)).items.map { cartridge in
            "\(cartridge.id ?? -1) \(cartridge.volumeTag) \(cartridge.location.rawValue) "
                + "\(cartridge.slotId.flatMap { addressByID[$0] }.map(String.init) ?? "-") \(cartridge.status.rawValue)"
        }
        let drives = try await fixture.catalog.drives(library: fixture.libraryID).map(\.loadedCartridgeId)
        return State(slots: slots, cartridges: cartridges.sorted(), drives: drives)
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func digestPathMatchesFullDiff(seed: UInt64) async throws {
        var random = Random(state: seed)
        let fast = try await CatalogFixture()
        let reference = try await CatalogFixture()
        for fixture in [fast, reference] {
            _ = try await fixture.catalog.insert(LibraryTapeDrive(
                libraryId: fixture.libraryID, mediaServerId: fixture.serverID, device: "/dev/sg3",
                scsiPath: "[6:0:1:0]", sysTransferElement: 1))
        }
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        var previous: InventorySnapshot?
        var movesMade = 0
        for step in 0..<25 {
            // Sometimes the same snapshot again, or with one element changed, as real syncs are.
            var snapshot: InventorySnapshot
            if let previous, step % 3 != 0 {
                snapshot = previous
                if Bool.random(using: &random), !snapshot.elements.isEmpty {
                    let index = Int.random(in: snapshot.elements.indices, using: &random)
                    snapshot.elements[index].isFull.toggle()
                    snapshot.elements[index].volumeTag = snapshot.elements[index].isFull
                        ? String(format: "T%03dL9", Int.random(in: 0..<40, using: &random)) : nil
                }
            } else {
                snapshot = Self.randomSnapshot(&random)
            }
            previous = snapshot
            let fastSummary = try await fast.catalog.reconcile(library: fast.libraryID, snapshot: snapshot,
                                                                now: date, skipUnchanged: true)
            let referenceSummary = try await reference.catalog.reconcile(
                library: reference.libraryID, snapshot: snapshot, now: date, skipUnchanged: false)
            #expect(fastSummary == referenceSummary, "seed \(seed) step \(step)")
            let fastState = try await Self.state(fast)
            #expect(fastState == (try await Self.state(reference)), "seed \(seed) step \(step)")
            #expect(try await fast.catalog.foreignKeyViolations() == [])

            // Moves the library service recorded through the API, behind reconcile's back.
            // Every fourth step makes one: no slot or cartridge to move is a failure, not a
            // skipped move, and both catalogs must accept or refuse the move alike.
            if step % 4 == 1 {
                let slot = try #require(fastState.slots.randomElement(using: &random),
                                        "seed \(seed) step \(step): no slot to move a cartridge into")
                let line = try #require(fastState.cartridges.randomElement(using: &random),
                                        "seed \(seed) step \(step): no cartridge to move")
                let id = try #require(Int64(line.split(separator: " ")[0]), "cartridge line \(line)")
                let slotID = try #require(slot.id, "slot \(slot.elementAddress) has no id")
                let place = Bool.random(using: &random)
                var outcomes: [String] = []
                for fixture in [fast, reference] {
                    do {
                        if place {
                            _ = try await fixture.catalog.placeCartridge(id, inSlot: slotID)
                        } else {
                            _ = try await fixture.catalog.removeCartridgeFromLibrary(id)
                        }
                        outcomes.append("moved")
                    } catch {
                        outcomes.append("refused: \(error)")
                    }
                }
                #expect(outcomes[0] == outcomes[1], "seed \(seed) step \(step)")
                if outcomes[0] == "moved" { movesMade += 1 }
                #expect(try await Self.state(fast) == (try await Self.state(reference)))
            }
        }
        #expect(movesMade > 0, "seed \(seed): no API move was accepted, so the digest was never bypassed")
    }

    /// Duplicate detection keys tags by a 64-bit hash (a bucket keeps its upper 32 bits); different
    /// tags whose hashes collide, wholly or in those bits, must stay distinct.
    @Test func volumeTagSetIsExactUnderCollisions() {
        var set = VolumeTagSet(capacity: 4)
        let tags = ["AAA001L9", "BBB001L9", "BBB001L9", "AAA001L9", "CCC001L9", "DDD001L9", "EEE001L9", "EEE001L9"]
        let hashes: [UInt64] = [7, 7, 7, 7, 7, 8, 7 | 1 << 40, 7 | 1 << 40]
        var results: [Bool] = []
        for index in tags.indices {
            results.append(set.insert(tags[index], hash: hashes[index], index: index, tagAt: { tags[$0] }))
        }
        #expect(results == [true, true, false, false, true, true, true, false])
        #expect(ElementDigest.tagHash("AAA001L9") != ElementDigest.tagHash("AAA001L8"))
        #expect(ElementDigest.tagHash("") != ElementDigest.tagHash(nil))
    }

    /// The open-addressing table grows past its initial capacity and still finds every tag.
    @Test func volumeTagSetGrowsBeyondCapacity() {
        var set = VolumeTagSet(capacity: 1)
        let tags = (0..<500).map { "T\($0)L9" }
        let firstPass = tags.indices.map { set.insert(tags[$0], hash: ElementDigest.tagHash(tags[$0]), index: $0,
                                                      tagAt: { tags[$0] }) }
        #expect(firstPass.allSatisfy { $0 })
        let secondPass = tags.indices.map { set.insert(tags[$0], hash: ElementDigest.tagHash(tags[$0]),
                                                       index: $0 + tags.count, tagAt: { tags[$0] }) }
        #expect(secondPass.allSatisfy { !$0 })
    }

    @Test func unchangedSnapshotWritesNoSlot() async throws {
        let fixture = try await CatalogFixture()
        var random = Random(state: 99)
        let snapshot = Self.randomSnapshot(&random)
        _ = try await fixture.catalog.reconcile(library: fixture.libraryID, snapshot: snapshot)
        let again = try await fixture.catalog.reconcile(library: fixture.libraryID, snapshot: snapshot)
        #expect(!again.changedAnything)
        // A slot whose cartridge was moved through the API is compared in full and corrected.
        let slots = try await fixture.catalog.slots(library: fixture.libraryID)
        let cartridges = try await fixture.catalog.listCartridges(ListQuery(limit: 1000)).items
        let cartridge = try #require(cartridges.first(where: { $0.location == .slot }),
                                     "the snapshot put no cartridge in a slot")
        let id = try #require(cartridge.id)
        _ = try await fixture.catalog.removeCartridgeFromLibrary(id)
        let repaired = try await fixture.catalog.reconcile(library: fixture.libraryID, snapshot: snapshot)
        #expect(repaired.cartridgesMoved.map(\.volumeTag) == [cartridge.volumeTag])
        #expect(try await fixture.catalog.cartridge(id: id)?.slotId == cartridge.slotId)
        #expect(slots.count == (try await fixture.catalog.slots(library: fixture.libraryID)).count)
    }
}
