import Testing
@testable import SCSI

@Suite struct LogPageTests {
    @Test func supportedPages() throws {  // SPC-4 table 382
        let p = try SupportedLogPages(parsing: bytes("00 00 00 07 00 0C 11 12 17 2E 31"))
        #expect(p.pages == [0x00, 0x0C, 0x11, 0x12, 0x17, 0x2E, 0x31])
    }

    @Test func genericParametersAndEncoding() throws {  // SPC-4 tables 344 and 345
        let data = bytes("0C 00 00 14 00 00 40 08 00 00 00 00 3B 9A CA 00 01 00 40 04 00 00 00 01")
        let page = try LogPage(parsing: data, expectedPage: 0x0C)
        let params = try page.parameters()
        #expect(params.map(\.code) == [0x0000, 0x0100])
        #expect(params[0].integer == 1_000_000_000)
        #expect(params[0].control == 0x40)
        #expect(LogPage.encoded(code: 0x0C, parameters: params) == data)
        #expect(throws: SCSIParseError.self) { try LogPage(parsing: data, expectedPage: 0x17) }
        // A parameter whose length runs past the page.
        #expect(throws: SCSIParseError.self) { try LogPage(parsing: bytes("0C 00 00 05 00 00 40 08 01")).parameters() }
    }

    @Test func sequentialAccess() throws {  // SSC-4 table 121
        let data = LogPage.encoded(code: 0x0C, parameters: [
            LogParameter(code: 0x0000, value: BigEndian.bytes(2_000_000, count: 8)),
            LogParameter(code: 0x0001, value: BigEndian.bytes(1_000_000, count: 8)),
            LogParameter(code: 0x0004, value: BigEndian.bytes(12_000, count: 4)),
            LogParameter(code: 0x0100, value: [0x01]),
        ])
        let log = try SequentialAccessLog(parsing: data)
        #expect(log.bytesReceivedFromHost == 2_000_000 && log.bytesWrittenToMedium == 1_000_000)
        #expect(log.writeCompressionRatio == 2.0)
        #expect(log.nativeCapacityToEOD == 12_000)
        #expect(log.cleaningRequired)
    }

    @Test func dtDeviceStatus() throws {  // SSC-4 tables 125 and 127
        // WRTP, CRQRD; MPRSNT, MTHRD, MOUNTED; activity 6 (writing); TAFC.
        let data = bytes("11 00 00 08 00 00 03 04 0A 13 06 01")
        let s = try DTDeviceStatusLog(parsing: data)
        #expect(s.writeProtected && s.cleaningRequired && !s.cleaningRequested)
        #expect(s.mediumPresent && s.mediumThreaded && s.mounted)
        #expect(s.activity == 6)
        #expect(s.tapeAlertStateChanged)
        #expect(throws: SCSIParseError.self) { try DTDeviceStatusLog(parsing: bytes("11 00 00 04 00 01 03 00")) }
    }

    static let volumeStatistics: [UInt8] = LogPage.encoded(code: 0x17, parameters: [
        LogParameter(code: 0x0000, value: [0x01]),
        LogParameter(code: 0x0001, value: BigEndian.bytes(42, count: 4)),
        LogParameter(code: 0x000E, value: BigEndian.bytes(1_234, count: 4)),
        LogParameter(code: 0x000F, value: BigEndian.bytes(56, count: 4)),
        LogParameter(code: 0x0010, value: BigEndian.bytes(9_876_543, count: 8)),
        LogParameter(code: 0x0011, value: BigEndian.bytes(123_456, count: 8)),
        LogParameter(code: 0x0016, value: BigEndian.bytes(12_000_000, count: 4)),
        LogParameter(code: 0x0017, value: BigEndian.bytes(3_000_000, count: 4)),
        LogParameter(code: 0x0040, control: 0x01, value: ascii("HA1234567", 32)),
        LogParameter(code: 0x0080, value: [0x00]),
        LogParameter(code: 0x0081, value: [0x01]),
        LogParameter(code: 0x0101, value: BigEndian.bytes(900, count: 4)),
        LogParameter(code: 0x0102, value: BigEndian.bytes(1_800, count: 4)),
    ])

    @Test func volumeStatistics() throws {  // SSC-4 table 139
        let v = try VolumeStatisticsLog(parsing: Self.volumeStatistics)
        #expect(v.mounts == 42)
        #expect(v.lastMountMBWritten == 1_234 && v.lastMountMBRead == 56)
        #expect(v.lifetimeMBWritten == 9_876_543 && v.lifetimeMBRead == 123_456)
        #expect(v.nativeCapacityMB == 12_000_000 && v.usedCapacityMB == 3_000_000)
        #expect(v.volumeSerial == "HA1234567")
        #expect(v.writeProtected == false && v.worm == true)
        #expect(v.beginningOfMediumPasses == 900 && v.middleOfTapePasses == 1_800)
    }

    @Test func tapeCapacity() throws {
        let data = LogPage.encoded(code: 0x31, parameters: [
            LogParameter(code: 1, value: BigEndian.bytes(11_000_000, count: 4)),
            LogParameter(code: 2, value: BigEndian.bytes(1_000, count: 4)),
            LogParameter(code: 3, value: BigEndian.bytes(11_400_000, count: 4)),
            LogParameter(code: 4, value: BigEndian.bytes(1_200, count: 4)),
        ])
        let c = try TapeCapacityLog(parsing: data)
        #expect(c.remainingMiB == [11_000_000, 1_000])
        #expect(c.maximumMiB == [11_400_000, 1_200])
    }

    @Test func tapeAlertLog2E() throws {  // SSC-4 table 140: one parameter per flag
        let set = TapeAlertFlags([.cleanNow, .hardError, TapeAlertFlag(rawValue: 0x40)].compactMap { $0 })
        let data = set.encodedTapeAlertLog()
        #expect(data.count == 4 + 64 * 5)
        #expect(Array(data[4 + 19 * 5..<4 + 20 * 5]) == [0x00, 0x14, 0x00, 0x01, 0x01])  // flag 14h set
        let parsed = try TapeAlertFlags(parsingTapeAlertLog: data)
        #expect(parsed == set)
        #expect(parsed.flags.map(\.rawValue) == [0x03, 0x14, 0x40])
        #expect(parsed.contains(.cleanNow))
        #expect(parsed.policy == [.disableDrive, .disableVolume])
    }

    @Test func tapeAlertResponse12() throws {  // SSC-4 table 133: flag 1 = byte 0 bit 7
        // Flags 01h, 14h (byte 2 bit 4), 15h (byte 2 bit 3) and 40h (byte 7 bit 0).
        let data = bytes("12 00 00 0C 00 00 00 08 80 00 18 00 00 00 00 01")
        let flags = try TapeAlertFlags(parsingTapeAlertResponseLog: data)
        #expect(flags.flags.map(\.rawValue) == [0x01, 0x14, 0x15, 0x40])
        #expect(flags.policy == [.disableDrive, .disableVolume, .scheduleCleaning])
        #expect(throws: SCSIParseError.self) { try TapeAlertFlags(parsingTapeAlertResponseLog: bytes("12 00 00 04 00 00 00 00")) }
    }

    static let policyTable: [(UInt8, String, TapeAlertPolicy)] = [
        (0x14, "Clean now", [.disableDrive, .disableVolume]),
        (0x0E, "Unrecoverable mechanical cartridge failure (snapped tape)", [.disableDrive, .disableVolume]),
        (0x07, "Media life", .disableVolume), (0x08, "Not data grade", .disableVolume),
        (0x0D, "Recoverable mechanical cartridge failure (snapped tape)", .disableVolume),
        (0x16, "Expired cleaning media", .disableVolume),
        (0x34, "Tape system area write failure", .disableVolume),
        (0x35, "Tape system area read failure", .disableVolume), (0x36, "No start of data", .disableVolume),
        (0x1D, "Drive maintenance", .disableDrive), (0x1E, "Hardware A", .disableDrive),
        (0x1F, "Hardware B", .disableDrive), (0x26, "Predictive failure", .disableDrive),
        (0x27, "Diagnostics required", .disableDrive), (0x15, "Clean periodic", .scheduleCleaning),
        (0x03, "Hard error", []), (0x17, "Invalid cleaning tape", []), (0x3A, "Firmware failure", []),
    ]

    @Test(arguments: policyTable)
    func tapeAlertNamesAndPolicies(code: UInt8, name: String, policy: TapeAlertPolicy) throws {
        let flag = try #require(TapeAlertFlag(rawValue: code))
        #expect(flag.name == name)
        #expect(flag.policy == policy)
    }

    @Test func tapeAlertFlagRange() {
        #expect(TapeAlertFlag(rawValue: 0) == nil)
        #expect(TapeAlertFlag(rawValue: 0x41) == nil)
        #expect(TapeAlertFlag(rawValue: 0x2A)?.name == "Flag 2Ah")
    }

    @Test func parsersAreTotal() {
        let alerts = TapeAlertFlags(rawValue: 0x8000_0000_0008_0004).encodedTapeAlertLog()
        Fuzz.assertTotal(valid: [Self.volumeStatistics]) { _ = try VolumeStatisticsLog(parsing: $0) }
        Fuzz.assertTotal(valid: [alerts], randomCount: 1_000) { _ = try TapeAlertFlags(parsingTapeAlertLog: $0) }
        Fuzz.assertTotal(valid: [bytes("12 00 00 0C 00 00 00 08 80 00 18 00 00 00 00 01")]) {
            _ = try TapeAlertFlags(parsingTapeAlertResponseLog: $0)
        }
        Fuzz.assertTotal(valid: [bytes("11 00 00 08 00 00 03 04 0A 13 06 01")]) { b in
            let s = try DTDeviceStatusLog(parsing: b)
            _ = (s.activity, s.mounted, s.tapeAlertStateChanged)
        }
        Fuzz.assertTotal(valid: [bytes("0C 00 00 0C 00 00 40 08 00 00 00 00 3B 9A CA 00")]) {
            _ = try SequentialAccessLog(parsing: $0)
        }
        Fuzz.assertTotal(valid: [bytes("31 00 00 08 00 01 00 04 00 00 10 00")]) { _ = try TapeCapacityLog(parsing: $0) }
        Fuzz.assertTotal(valid: [bytes("00 00 00 03 00 0C 2E")]) { _ = try SupportedLogPages(parsing: $0) }
    }
}
