import SCSI
import Testing
@testable import TapeHardware

/// The numbering operators know from mtx (scsi-reference.md, "Slot numbering that operators
/// expect"): storage 1…n by element address, then import/export n+1…; drives 0… by address.
@Suite struct LibraryInventoryTests {
    @Test func mtxStyleNumbersFollowElementAddressesNotResponseOrder() {
        let report = ElementStatusReport(elements: [
            ElementStatus(type: .dataTransfer, address: 0x101), ElementStatus(type: .dataTransfer, address: 0x100),
            ElementStatus(type: .importExport, address: 0x10),
            ElementStatus(type: .storage, address: 0x1001, full: true,
                          primaryVolumeTag: VolumeTag(identifier: "B00002L8")),
            ElementStatus(type: .storage, address: 0x1000),
            ElementStatus(type: .mediumTransport, address: 0),
        ])
        let inventory = LibraryInventory(merging: ElementStatusReport.merged([report]))
        #expect(inventory.slot(number: 1)?.address == 0x1000)
        #expect(inventory.slot(number: 2)?.address == 0x1001)
        #expect(inventory.slot(number: 2)?.volumeTag == "B00002L8")
        #expect(inventory.slot(number: 3)?.address == 0x10)
        #expect(inventory.slot(number: 3)?.kind == .importExport)
        #expect(inventory.slot(number: 0) == nil && inventory.slot(number: 4) == nil)
        #expect(inventory.drive(number: 0)?.address == 0x100)
        #expect(inventory.drive(number: 1)?.address == 0x101)
        #expect(inventory.transports.map(\.address) == [0])
        #expect(inventory.location(ofVolumeTag: "B00002L8")?.number == 2)
    }

    /// Per-type responses read in place give the inventory of their merged report, both when
    /// they are already in merge order and when pages repeat or come out of order.
    @Test(arguments: [false, true])
    func inventoryOfSeveralResponsesEqualsThatOfTheirMergedReport(_ shuffled: Bool) {
        func storage(_ address: UInt16, _ tag: String?) -> ElementStatus {
            ElementStatus(type: .storage, address: address, full: tag != nil,
                          primaryVolumeTag: tag.map { VolumeTag(identifier: $0) })
        }
        var reports = [
            ElementStatusReport(elements: [ElementStatus(type: .mediumTransport, address: 1)]),
            ElementStatusReport(elements: [storage(0x1000, "A00001L8"), storage(0x1001, nil)]),
            ElementStatusReport(elements: [storage(0x1002, "A00003L8")]),
            ElementStatusReport(elements: [ElementStatus(type: .importExport, address: 0x10, full: true,
                                                         primaryVolumeTag: VolumeTag(identifier: "E00001L8"))]),
            ElementStatusReport(elements: [ElementStatus(type: .dataTransfer, address: 0x100)]),
        ]
        if shuffled {
            // A repeated page (the first copy wins) and pages out of address order.
            reports = [reports[2], reports[1], ElementStatusReport(elements: [storage(0x1000, "STALE1L8")]),
                       reports[4], reports[0], reports[3]]
        }
        #expect(ElementStatusReport.areInMergeOrder(reports) == !shuffled)
        let direct = LibraryInventory(merging: reports)
        #expect(direct == LibraryInventory(merging: ElementStatusReport.merged(reports)))
        #expect(direct.storage.map(\.number) == [1, 2, 3])
        #expect(direct.storage.map(\.volumeTag) == ["A00001L8", nil, "A00003L8"])
        #expect(direct.importExport.map(\.number) == [4])
    }

    /// Allocation lengths for READ ELEMENT STATUS keep FFFFh in their low 16 bits, so a
    /// changer that reads only those gets a full 64 KiB page, never 0.
    @Test(arguments: [(0, 0x00FFFF), (0xFFFF, 0x00FFFF), (0x10000, 0x01FFFF), (0x1FFFF, 0x01FFFF),
                      (524_236, 0x07FFFF), (100_000_000, 0xFFFFFF)] as [(Int, UInt32)])
    func allocationLengthsCoverTheReportAndSurviveSixteenBitChangers(_ bytes: Int, _ expected: UInt32) {
        let length = MediumChanger.allocationLength(forBytes: bytes)
        #expect(length == expected)
        #expect(length & 0xFFFF == 0xFFFF)
        #expect(Int(length) >= min(bytes, 0xFFFFFF))
    }
}
