import Testing
@testable import SCSI

/// The tape sense conditions of scsi-reference.md, from fixed-format sense (SPC-4 table 48).
@Suite struct TapeConditionTests {
    static func sense(_ key: SenseKey, _ asc: UInt8, _ ascq: UInt8, flags: UInt8 = 0, info: UInt32? = nil) -> SenseData {
        var raw: [UInt8] = [info == nil ? 0x70 : 0xF0, 0, key.rawValue | flags, 0, 0, 0, 0, 10,
                            0, 0, 0, 0, asc, ascq, 0, 0, 0, 0]
        if let info { raw.replaceSubrange(3..<7, with: BigEndian.bytes(UInt64(info), count: 4)) }
        return (try? SenseData(parsing: raw)) ?? SenseData(senseKey: .vendorSpecific)
    }

    @Test func conditions() {
        #expect(Self.sense(.noSense, 0x00, 0x01, flags: 0x80).tapeCondition == .filemark)
        #expect(Self.sense(.noSense, 0x00, 0x02, flags: 0x40).tapeCondition == .earlyWarning)
        #expect(Self.sense(.noSense, 0x00, 0x04, flags: 0x40).tapeCondition == .beginningOfPartition)
        #expect(Self.sense(.blankCheck, 0x00, 0x05).tapeCondition == .endOfData)
        #expect(Self.sense(.volumeOverflow, 0x00, 0x02, flags: 0x40).tapeCondition == .endOfMedium)
        #expect(Self.sense(.mediumError, 0x00, 0x02, flags: 0x40).tapeCondition == .endOfMedium)
        #expect(Self.sense(.noSense, 0x00, 0x00, flags: 0x20, info: 0xFFFF_FC00).tapeCondition
                == .incorrectLength(residue: -1024))
        #expect(Self.sense(.noSense, 0x00, 0x00, flags: 0x20, info: 100).tapeCondition == .incorrectLength(residue: 100))
        #expect(Self.sense(.mediumError, 0x11, 0x00).tapeCondition == .error)
        #expect(Self.sense(.dataProtect, 0x27, 0x00).tapeCondition == .error)
        #expect(Self.sense(.noSense, 0x00, 0x00).tapeCondition == .error)
    }
}

/// Encoders used by simulators produce what the parsers accept.
@Suite struct EncoderRoundTripTests {
    @Test func inquiry() throws {
        var inq = StandardInquiry(deviceType: .mediumChanger, removable: true, vendor: "HWSIM", product: "LIB-24",
                                  revision: "0100")
        inq.vendorSpecific = Array("SERIAL0001".utf8)
        let data = inq.encoded
        #expect(data.count == 96)
        #expect(data[0] == 0x08 && data[1] == 0x80 && data[4] == 91)
        let parsed = try StandardInquiry(parsing: data)
        #expect(parsed.vendor == "HWSIM" && parsed.product == "LIB-24" && parsed.revision == "0100")
        #expect(parsed.vendorSpecific.prefix(10) == inq.vendorSpecific[...])
    }

    @Test func vpdPages() throws {
        let serial = UnitSerialNumber(serial: "10WT000001").encoded(deviceType: .sequentialAccess)
        #expect(try UnitSerialNumber(parsing: serial).serial == "10WT000001")
        let id = DeviceIdentification(descriptors: [
            DesignationDescriptor(codeSet: .ascii, type: .t10VendorID, designator: Array("IBM     ULT3580-TD9     10WT000001".utf8)),
            DesignationDescriptor(codeSet: .binary, type: .naa, designator: [0x50, 0, 0, 0, 0, 0, 0, 1]),
        ])
        #expect(try DeviceIdentification(parsing: id.encoded(deviceType: .sequentialAccess)) == id)
    }

    @Test func lunList() throws {
        let list = LUNList(luns: [LUNList.lun(0), LUNList.lun(1), LUNList.lun(300)])
        let parsed = try LUNList(parsing: list.encoded)
        #expect(parsed.simpleNumbers == [0, 1, 300])
    }

    @Test func modeSense() throws {
        let m = ModeParameters(deviceSpecific: 0x90, blockDescriptors: [BlockDescriptor(densityCode: 0x60)],
                               pages: [DataCompressionPage(compressionEnabled: true).page])
        let six = try ModeParameters(parsing6: m.encodedSense6())
        #expect(six == m && six.writeProtected)
        let ten = try ModeParameters(parsing10: m.encodedSense10())
        #expect(ten == m)
    }
}
