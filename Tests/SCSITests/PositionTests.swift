import Testing
@testable import SCSI

@Suite struct ReadPositionTests {
    // SSC-4 table 34 (short form): BOP, partition 1, first/last block 0, buffer empty.
    static let shortBOP = bytes("80 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00")
    // Short form at block 0x1234 with 2 blocks / 0x20000 bytes still buffered, BPEW set.
    static let shortMid = bytes("01 00 00 00 00 00 12 34 00 00 12 30 00 00 00 02 00 02 00 00")
    // SSC-4 table 35 (long form): partition 1, object 0x10000, file 3, set 0.
    static let long = bytes("00 00 00 00 00 00 00 01 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 03 00 00 00 00 00 00 00 00")
    // SSC-4 table 36 (extended form): partition 0, additional length 1Ch, 3 objects in
    // buffer, first 0x1_0000_0000, last 0xFFFF_FFFF, bytes in buffer 0x30000.
    static let extended = bytes("00 00 00 1C 00 00 00 03 00 00 00 01 00 00 00 00 00 00 00 00 FF FF FF FF 00 00 00 00 00 03 00 00")

    @Test func shortFormAtBOP() throws {
        let p = try TapePosition(parsing: Self.shortBOP, serviceAction: .shortForm)
        #expect(p.beginningOfPartition && !p.endOfPartition)
        #expect(p.partition == 1 && p.blockNumber == 0)
        #expect(p.blocksInBuffer == 0 && p.bytesInBuffer == 0)
    }

    @Test func shortFormMidTape() throws {
        let p = try TapePosition(parsing: Self.shortMid, serviceAction: .shortFormVendorSpecific)
        #expect(!p.beginningOfPartition && p.beyondEarlyWarning)
        #expect(p.blockNumber == 0x1234 && p.lastBlockNumber == 0x1230)
        #expect(p.blocksInBuffer == 2 && p.bytesInBuffer == 0x20000)
        #expect(p.description == "partition 0 block 4660 BPEW")
    }

    @Test func shortFormPositionUnknown() throws {
        // BPU (bit 2), LOCU (bit 5), BYCU (bit 4): nothing is known.
        var raw = Self.shortMid
        raw[0] = 0x34
        let p = try TapePosition(parsing: raw, serviceAction: .shortForm)
        #expect(p.positionUnknown)
        #expect(p.blockNumber == nil && p.partition == nil)
        #expect(p.blocksInBuffer == nil && p.bytesInBuffer == nil)
        #expect(p.description == "position unknown")
    }

    @Test func longForm() throws {
        let p = try TapePosition(parsing: Self.long, serviceAction: .longForm)
        #expect(p.partition == 1 && p.blockNumber == 0x10000 && p.fileNumber == 3 && p.setNumber == 0)
        var unknown = Self.long
        unknown[0] = 0x04  // LONU
        #expect(try TapePosition(parsing: unknown, serviceAction: .longForm).blockNumber == nil)
    }

    @Test func extendedForm() throws {
        let p = try TapePosition(parsing: Self.extended, serviceAction: .extendedForm)
        #expect(p.blockNumber == 0x1_0000_0000)
        #expect(p.lastBlockNumber == 0xFFFF_FFFF)
        #expect(p.blocksInBuffer == 3 && p.bytesInBuffer == 0x30000)
        var bad = Self.extended
        bad[3] = 0x10
        #expect(throws: SCSIParseError.self) { try TapePosition(parsing: bad, serviceAction: .extendedForm) }
    }

    @Test(arguments: [ReadPositionServiceAction.shortForm, .longForm, .extendedForm])
    func encodeRoundTrip(form: ReadPositionServiceAction) throws {
        let p = TapePosition(partition: 1, blockNumber: 77, endOfPartition: true, lastBlockNumber: form == .longForm ? nil : 70,
                             fileNumber: form == .longForm ? 2 : nil, setNumber: form == .longForm ? 0 : nil,
                             blocksInBuffer: form == .longForm ? nil : 1, bytesInBuffer: form == .longForm ? nil : 512)
        let data = p.encoded(form)
        #expect(data.count == form.responseLength)
        #expect(try TapePosition(parsing: data, serviceAction: form) == p)
    }

    @Test func parsersAreTotal() {
        Fuzz.assertTotal(valid: [Self.shortBOP, Self.shortMid], maxLength: 40) {
            _ = try TapePosition(parsing: $0, serviceAction: .shortForm)
        }
        Fuzz.assertTotal(valid: [Self.long], maxLength: 40) { _ = try TapePosition(parsing: $0, serviceAction: .longForm) }
        Fuzz.assertTotal(valid: [Self.extended], maxLength: 40) {
            _ = try TapePosition(parsing: $0, serviceAction: .extendedForm)
        }
    }
}

@Suite struct DriveDataTests {
    @Test func blockLimits() throws {  // SSC-4 table 36: LTO drives: granularity 0, max 8 MiB, min 1
        let b = try BlockLimits(parsing: bytes("00 80 00 00 00 01"))
        #expect(b.granularity == 0 && b.maximumBlockLength == 0x800000 && b.minimumBlockLength == 1)
        #expect(b.encoded == bytes("00 80 00 00 00 01"))
        let mloi = bytes("00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 FF FF FF FE")
        #expect(try BlockLimits.maximumLogicalObjectIdentifier(parsing: mloi) == 0xFFFF_FFFE)
        #expect(throws: SCSIParseError.self) { try BlockLimits(parsing: bytes("00 80 00 00 00")) }
    }

    /// REPORT DENSITY SUPPORT of an LTO-8 drive (SSC-4 tables 39 and 40): LTO-8 default
    /// and writable, LTO-7 writable, M8 writable.
    static let densities: [UInt8] = DensitySupportReport(descriptors: [
        DensityDescriptor(primaryDensityCode: 0x5C, secondaryDensityCode: 0x5C, writable: true, bitsPerMM: 19_107,
                          tracks: 3_584, capacityMB: 6_000_000, name: "U-732", descriptionText: "Ultrium 7/16T"),
        DensityDescriptor(primaryDensityCode: 0x5D, secondaryDensityCode: 0x5D, writable: true, bitsPerMM: 20_668,
                          tracks: 5_376, capacityMB: 9_000_000, name: "U-732M", descriptionText: "Ultrium 7M8"),
        DensityDescriptor(primaryDensityCode: 0x5E, secondaryDensityCode: 0x5E, writable: true, isDefault: true,
                          bitsPerMM: 20_668, tracks: 6_656, capacityMB: 12_000_000, name: "U-832",
                          descriptionText: "Ultrium 8/32T"),
    ]).encoded

    @Test func densitySupport() throws {
        #expect(Array(Self.densities.prefix(4)) == [0x00, 0x9E, 0, 0])  // 3 × 52 + 2
        #expect(Array(Self.densities[4...8]) == [0x5C, 0x5C, 0x81, 0x00, 0x2D])  // WRTOK, DLV; length 2Dh
        let r = try DensitySupportReport(parsing: Self.densities)
        #expect(r.descriptors.map(\.primaryDensityCode) == [0x5C, 0x5D, 0x5E])
        let d = r.descriptors[2]
        #expect(d.isDefault && d.writable && d.capacityMB == 12_000_000)
        #expect(d.organization == "LTO-CVE" && d.name == "U-832" && d.descriptionText == "Ultrium 8/32T")
        #expect(d.ltoGeneration == .lto8)
        var bad = Self.densities
        bad[8] = 0x2C
        #expect(throws: SCSIParseError.self) { try DensitySupportReport(parsing: bad) }
    }

    /// Before SSC-4 the descriptor length (bytes 3–4) was reserved and drives send 0000h with
    /// DLV clear: still 52-byte descriptors (found with hwsim, which answers this way).
    @Test func densitySupportWithoutDescriptorLengthValid() throws {
        var old = Self.densities
        for offset in stride(from: 4, to: old.count, by: 52) {
            old[offset + 2] &= 0xFE            // DLV clear
            old[offset + 3] = 0; old[offset + 4] = 0
        }
        let r = try DensitySupportReport(parsing: old)
        #expect(r.descriptors.map(\.primaryDensityCode) == [0x5C, 0x5D, 0x5E])
        #expect(r.descriptors.map(\.writable) == [true, true, true])
        #expect(r.descriptors.compactMap(\.ltoGeneration).max() == .lto8)
    }

    @Test func parsersAreTotal() {
        Fuzz.assertTotal(valid: [bytes("00 80 00 00 00 01")], maxLength: 24) { _ = try BlockLimits(parsing: $0) }
        Fuzz.assertTotal(valid: [Self.densities]) { _ = try DensitySupportReport(parsing: $0) }
    }
}
