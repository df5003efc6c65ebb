import Testing
@testable import LTFS

@Suite struct ModePageTests {
    // SSC-4 table 137 (Medium Partition page), as an LTO-6 drive returns it for one partition.
    let sensed: [UInt8] = [0x91, 0x0A, 0x01, 0x00, 0x18, 0x03, 0x09, 0x00, 0x0A, 0x1C, 0x00, 0x00]

    @Test func twoPartitionsIndexPartitionMinimal() throws {
        let page = try LTFSModePages.twoPartitionPage(from: sensed)
        #expect(page.count == 12)
        #expect(page[0] == 0x11)            // PS cleared for MODE SELECT
        #expect(page[1] == 0x0A)
        #expect(page[3] == 1)               // one additional partition
        #expect(page[4] == 0x38)            // IDP (bit 5), PSUM = 11b (bits 4–3), FDP/SDP/POFM/CLEAR/ADDP 0
        #expect(page[5] == 0x03)            // medium format recognition kept
        #expect(page[6] & 0x0F == 9)        // partition units 10^9 bytes
        #expect(Array(page[8..<12]) == [0x00, 0x01, 0xFF, 0xFF])
    }

    @Test func refusesADriveWithoutPartitions() {
        var lto4 = sensed
        lto4[2] = 0
        #expect(throws: LTFSFormatError.self) { try LTFSModePages.twoPartitionPage(from: lto4) }
        #expect(throws: LTFSFormatError.self) { try LTFSModePages.twoPartitionPage(from: [0x11, 0x06, 1, 0, 0, 0, 0, 0]) }
        #expect(throws: LTFSFormatError.self) { try LTFSModePages.twoPartitionPage(from: [0x0F]) }
    }

    // SSC-4 table 129: DCE is byte 2 bit 7.
    @Test(arguments: [true, false])
    func compressionBit(_ enabled: Bool) throws {
        let sensed: [UInt8] = [0x8F, 0x0E, 0x40, 0x80, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]
        let page = try LTFSModePages.compressionPage(from: sensed, enabled: enabled)
        #expect(page[0] == 0x0F)
        #expect(page[2] == (enabled ? 0xC0 : 0x40))
        #expect(Array(page[3...]) == Array(sensed[3...]))
    }
}
