import Testing
@testable import SCSI

@Suite struct AttributeTests {
    /// READ ATTRIBUTE (service action 00h) data as an LTO cartridge answers it (SPC-4
    /// tables 329–339): remaining/maximum capacity (8-byte binary, MiB), load count,
    /// volume change reference, manufacturer (ASCII 8), density code, barcode (ASCII 32),
    /// volume coherency information (LTFS layout).
    static let mam: [UInt8] = AttributeList(attributes: [
        MediumAttribute(id: .remainingCapacity, format: .binary, readOnly: true, value: BigEndian.bytes(11_000_000, count: 8)),
        MediumAttribute(id: .maximumCapacity, format: .binary, readOnly: true, value: BigEndian.bytes(11_444_224, count: 8)),
        MediumAttribute(id: .loadCount, format: .binary, readOnly: true, value: BigEndian.bytes(17, count: 8)),
        MediumAttribute(id: .volumeChangeReference, format: .binary, readOnly: true, value: BigEndian.bytes(0x1234, count: 4)),
        MediumAttribute(id: .manufacturer, format: .ascii, readOnly: true, value: ascii("FUJIFILM", 8)),
        MediumAttribute(id: .density, format: .binary, readOnly: true, value: [0x5E]),
        MediumAttribute(id: .mediumType, format: .binary, readOnly: true, value: [0x00]),
        .ascii(.barcode, "ABC123L8", length: 32),
        MediumAttribute(id: .volumeCoherencyInformation, format: .binary, value: VolumeCoherencyInformation(
            volumeChangeReference: 0x1234, coherencyCount: 3, setIdentifier: 0, applicationClientSpecific:
                Array("LTFS".utf8) + [0] + Array("0123456789abcdef0123456789abcdef0123".utf8) + [0]).encoded),
    ]).encoded

    @Test func attributeHeaderLayout() {
        // First attribute: id 0000h, READ ONLY | binary, length 0008h (SPC-4 table 330).
        #expect(Array(Self.mam[4..<9]) == [0x00, 0x00, 0x80, 0x00, 0x08])
        #expect(Int(Self.mam[0]) << 24 | Int(Self.mam[1]) << 16 | Int(Self.mam[2]) << 8 | Int(Self.mam[3]) == Self.mam.count - 4)
    }

    @Test func typedAccess() throws {
        let list = try AttributeList(parsing: Self.mam)
        #expect(!list.isTruncated)
        #expect(list.remainingCapacityMiB == 11_000_000)
        #expect(list.maximumCapacityMiB == 11_444_224)
        #expect(list.loadCount == 17)
        #expect(list.volumeChangeReference == 0x1234)
        #expect(list.manufacturer == "FUJIFILM")
        #expect(list.densityCode == 0x5E)
        #expect(list.mediumType == 0)
        #expect(list.barcode == "ABC123L8")
        let vci = try #require(list.volumeCoherency)
        #expect(vci.volumeChangeReference == 0x1234 && vci.coherencyCount == 3)
        #expect(vci.applicationClientSpecific.prefix(4) == Array("LTFS".utf8)[...])
        #expect(list[.barcode]?.format == .ascii)
        #expect(list[.barcode]?.readOnly == false)
        #expect(AttributeIdentifier.barcode.description == "barcode (0806h)")
    }

    @Test func truncatedByAllocationLength() throws {
        let cut = Array(Self.mam.prefix(40))
        let list = try AttributeList(parsing: cut)
        #expect(list.isTruncated)
        #expect(list.attributes.map(\.id) == [.remainingCapacity, .maximumCapacity])
    }

    @Test func contradictoryLength() {
        // AVAILABLE DATA 9 covers one attribute header claiming 16 value bytes.
        #expect(throws: SCSIParseError.self) {
            try AttributeList(parsing: bytes("00 00 00 09 08 06 01 00 10 41 42 43 44"))
        }
    }

    @Test func writeAttributeParameterList() {
        // SPC-4 table 187: PARAMETER LIST LENGTH excludes its own 4 bytes; READ ONLY cleared.
        let list = AttributeList.parameterList([
            .ascii(.applicationVendor, "TAPELIB", length: 8),
            MediumAttribute(id: .barcode, format: .ascii, readOnly: true, value: ascii("ABC123L8", 32)),
        ])
        #expect(Array(list.prefix(4)) == [0, 0, 0, 13 + 37])
        #expect(Array(list[4..<9]) == [0x08, 0x00, 0x01, 0x00, 0x08])
        #expect(Array(list[17..<22]) == [0x08, 0x06, 0x01, 0x00, 0x20])
        let command = SCSICommand.writeAttribute(parameters: list)
        #expect(command.cdb[10...13] == [0, 0, 0, 54])
    }

    @Test func identifierList() throws {  // SPC-4 table 340
        let l = try AttributeIdentifierList(parsing: bytes("00 00 00 06 00 00 00 01 08 06"))
        #expect(l.identifiers == [.remainingCapacity, .maximumCapacity, .barcode])
    }

    @Test func parsersAreTotal() {
        Fuzz.assertTotal(valid: [Self.mam]) { b in
            let l = try AttributeList(parsing: b)
            _ = (l.barcode, l.volumeCoherency, l.loadCount)
        }
        Fuzz.assertTotal(valid: [bytes("00 00 00 04 00 00 08 06")]) { _ = try AttributeIdentifierList(parsing: $0) }
        let vci = VolumeCoherencyInformation(volumeChangeReference: 9, coherencyCount: 1, setIdentifier: 2,
                                             applicationClientSpecific: Array("LTFS".utf8)).encoded
        Fuzz.assertTotal(valid: [vci], randomCount: 500) {
            _ = try VolumeCoherencyInformation(parsing: $0)
        }
    }
}

@Suite struct LTOGenerationTests {
    @Test(arguments: LTOGeneration.allCases)
    func densityAndSuffixRoundTrip(g: LTOGeneration) {
        #expect(LTOGeneration(densityCode: g.densityCode) == g)
        #expect(LTOGeneration(barcodeSuffix: g.barcodeSuffix) == g)
        if let worm = g.wormBarcodeSuffix { #expect(LTOGeneration(barcodeSuffix: worm) == g) }
    }

    @Test func table() {
        #expect(LTOGeneration.lto8.nativeCapacity == 12_000_000_000_000)
        #expect(LTOGeneration.lto7TypeM.nativeCapacity == 9_000_000_000_000)
        #expect(LTOGeneration.lto9.nativeSpeedMBps == 400)
        #expect(LTOGeneration.lto5.densityCode == 0x58)
        #expect(LTOGeneration.lto10HighCapacity.densityCode == 0x63)
        #expect(!LTOGeneration.lto4.supportsPartitions && LTOGeneration.lto5.supportsPartitions)
        #expect(LTOGeneration.lto7TypeM.description == "LTO-7 M8")
    }

    @Test func compatibility() {
        // Up to LTO-7: write own and previous, read two back.
        #expect(LTOGeneration.lto6.canRead(.lto4) && !LTOGeneration.lto6.canWrite(.lto4))
        #expect(LTOGeneration.lto6.canWrite(.lto5) && !LTOGeneration.lto6.canRead(.lto3))
        #expect(!LTOGeneration.lto6.canRead(.lto7))
        #expect(LTOGeneration.lto1.canWrite(.lto1) && !LTOGeneration.lto1.canRead(.lto2))
        // LTO-7 drives cannot read M8.
        #expect(!LTOGeneration.lto7.canRead(.lto7TypeM))
        // LTO-8: LTO-7, M8, LTO-8 only.
        #expect(LTOGeneration.lto8.canWrite(.lto7) && LTOGeneration.lto8.canWrite(.lto7TypeM))
        #expect(!LTOGeneration.lto8.canRead(.lto6))
        // LTO-9: LTO-8 and LTO-9; LTO-10: LTO-10 media only.
        #expect(LTOGeneration.lto9.canWrite(.lto8) && !LTOGeneration.lto9.canRead(.lto7))
        #expect(LTOGeneration.lto10.canRead(.lto10HighCapacity) && !LTOGeneration.lto10.canRead(.lto9))
    }

    @Test func labels() throws {
        let data = try #require(LTOCartridgeLabel(barcode: "ABC123L8"))
        #expect(data.generation == .lto8 && !data.isWORM && !data.isCleaning && data.volumeSerial == "ABC123")
        let worm = try #require(LTOCartridgeLabel(barcode: "WRM001LY"))
        #expect(worm.generation == .lto8 && worm.isWORM)
        let cleaning = try #require(LTOCartridgeLabel(barcode: "CLN001CU"))
        #expect(cleaning.isCleaning && cleaning.generation == nil)
        #expect(LTOCartridgeLabel(barcode: "CLN002L6")?.isCleaning == true)
        #expect(LTOCartridgeLabel(barcode: "ABC123") == nil)
        #expect(LTOCartridgeLabel(barcode: "ABC123M8")?.generation == .lto7TypeM)
    }
}
