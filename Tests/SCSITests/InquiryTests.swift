import Testing
@testable import SCSI

@Suite struct InquiryTests {
    /// Standard INQUIRY of an IBM LTO-8 drive (SPC-4 table 143 layout; identification
    /// strings as IBM's LTO SCSI reference documents them): sequential-access, RMB,
    /// SPC-4 (06h), response format 2, additional length 33h (56 bytes in all).
    static let ibmDrive: [UInt8] = bytes("01 80 06 02 33 00 00 02") + ascii("IBM", 8) + ascii("ULT3580-TD8", 16)
        + ascii("KAJ1", 4) + ascii("10WT123456", 20)

    /// A changer answering with MCHNGR clear, device type 08h, not removable.
    static let changer: [UInt8] = bytes("08 00 05 02 1F 00 00 00") + ascii("QUANTUM", 8)
        + ascii("Scalar i3-i6", 16) + ascii("200G", 4)

    @Test func standardInquiryOfDrive() throws {
        let inq = try StandardInquiry(parsing: Self.ibmDrive)
        #expect(inq.deviceType == .sequentialAccess)
        #expect(inq.peripheralQualifier == 0)
        #expect(inq.removable)
        #expect(inq.version == 6)
        #expect(inq.responseDataFormat == 2)
        #expect(inq.commandQueueing)
        #expect(inq.vendor == "IBM")
        #expect(inq.product == "ULT3580-TD8")
        #expect(inq.revision == "KAJ1")
        #expect(inq.vendorSpecific.count == 20)
    }

    @Test func standardInquiryOfChanger() throws {
        let inq = try StandardInquiry(parsing: Self.changer)
        #expect(inq.deviceType == .mediumChanger)
        #expect(inq.deviceType.description == "medium changer")
        #expect(!inq.removable)
        #expect(inq.product == "Scalar i3-i6")
        #expect(inq.vendorSpecific.isEmpty)
    }

    @Test func shortInquiryIsTruncation() {
        #expect(throws: SCSIParseError.self) { try StandardInquiry(parsing: Array(Self.ibmDrive.prefix(35))) }
    }

    @Test func supportedVPDPages() throws {  // SPC-4 table 483
        let p = try SupportedVPDPages(parsing: bytes("01 00 00 04 00 80 83 B0"))
        #expect(p.pages == [0x00, 0x80, 0x83, 0xB0])
        #expect(throws: SCSIParseError.self) { try SupportedVPDPages(parsing: bytes("01 80 00 01 00")) }
    }

    @Test func unitSerialNumber() throws {  // SPC-4 table 484
        let s = try UnitSerialNumber(parsing: bytes("01 80 00 0C") + ascii("  1013000123", 12))
        #expect(s.serial == "1013000123")
    }

    /// Device Identification as an LTO drive reports it (SPC-4 tables 459–470): a T10
    /// vendor id designator (ASCII), an NAA 5 designator (binary, 8 bytes) for the
    /// logical unit, and a relative target port designator.
    static let deviceID: [UInt8] = {
        let t10 = bytes("02 01 00 22") + ascii("IBM", 8) + ascii("ULT3580-TD8", 16) + ascii("1013000123", 10)
        let naa = bytes("01 03 00 08 50 05 07 63 12 34 56 78")
        let port = bytes("61 94 00 04 00 00 00 01")
        let body = t10 + naa + port
        return bytes("01 83") + BigEndian.bytes(UInt64(body.count), count: 2) + body
    }()

    @Test func deviceIdentification() throws {
        let id = try DeviceIdentification(parsing: Self.deviceID)
        #expect(id.descriptors.count == 3)
        let t10 = id.descriptors[0]
        #expect(t10.type == .t10VendorID && t10.codeSet == .ascii)
        #expect(t10.t10Vendor == "IBM")
        #expect(t10.t10VendorSpecific == "ULT3580-TD8     1013000123")
        let naa = id.descriptors[1]
        #expect(naa.type == .naa && naa.naaType == 5)
        #expect(naa.description == "naa.5005076312345678")
        let port = id.descriptors[2]
        #expect(port.association == .targetPort && port.piv && port.protocolIdentifier == 6)
        #expect(id.preferredName == naa)
        let eui = try DeviceIdentification(parsing: bytes("01 83 00 0C 01 02 00 08 00 11 22 33 44 55 66 77"))
        #expect(eui.preferredName?.description == "eui.0011223344556677")
    }

    @Test func reportLUNs() throws {  // SPC-4 table 164
        let data = bytes("00 00 00 10 00 00 00 00 00 00 00 00 00 00 00 00 40 01 00 00 00 00 00 00")
        let list = try LUNList(parsing: data)
        #expect(list.luns.count == 2)
        #expect(list.simpleNumbers == [0, 1])
        #expect(!list.isTruncated)
        #expect(try LUNList(parsing: Array(data.prefix(16))).isTruncated)
        #expect(throws: SCSIParseError.self) { try LUNList(parsing: bytes("00 00 00 07 00 00 00 00")) }
    }

    @Test func parsersAreTotal() {
        Fuzz.assertTotal(valid: [Self.ibmDrive, Self.changer]) { _ = try StandardInquiry(parsing: $0) }
        Fuzz.assertTotal(valid: [Self.deviceID]) { _ = try DeviceIdentification(parsing: $0) }
        Fuzz.assertTotal(valid: [bytes("01 80 00 04 41 42 43 44")]) { _ = try UnitSerialNumber(parsing: $0) }
        Fuzz.assertTotal(valid: [bytes("01 00 00 03 00 80 83")]) { _ = try SupportedVPDPages(parsing: $0) }
        Fuzz.assertTotal(valid: [bytes("00 00 00 08 00 00 00 00 00 01 00 00 00 00 00 00")]) { _ = try LUNList(parsing: $0) }
    }
}

@Suite struct SupportedOperationCodesTests {
    // SPC-4 tables 257–261: MODE SENSE(6) without timeouts; READ POSITION service action 06h
    // with a timeouts descriptor (nominal 30 s, recommended 60 s).
    static let data: [UInt8] = bytes("""
        00 00 00 1C
        1A 00 00 00 00 00 00 06
        34 00 00 06 00 03 00 0A 00 0A 00 00 00 00 00 1E 00 00 00 3C
        """)

    @Test func parsesDescriptorsAndTimeouts() throws {
        let s = try SupportedOperationCodes(parsing: Self.data)
        #expect(s.commands.count == 2)
        #expect(s.commands[0] == SupportedCommand(operationCode: 0x1A, serviceAction: nil, cdbLength: 6,
                                                  nominalTimeout: nil, recommendedTimeout: nil))
        #expect(s.commands[1].serviceAction == 6 && s.commands[1].recommendedTimeout == 60)
        #expect(s.supports(0x34, serviceAction: 6) && !s.supports(0x5A))
    }

    @Test func parserIsTotal() {
        Fuzz.assertTotal(valid: [Self.data]) { _ = try SupportedOperationCodes(parsing: $0) }
    }
}
