import Testing
@testable import SCSI

@Suite struct SenseDataTests {
    // Fixed format, SPC-4 table 48: NOT READY 04h/01h with a progress indication
    // (SKSV, bytes 15–17; SPC-4 table 36). 0x8000 / 65536 = 50 %.
    let notReadyProgress = bytes("70 00 02 00 00 00 00 0A 00 00 00 00 04 01 00 80 80 00")

    @Test func fixedNotReadyBecomingReadyWithProgress() throws {
        let s = try SenseData(parsing: notReadyProgress)
        #expect(s.format == .fixed)
        #expect(!s.isDeferred)
        #expect(s.senseKey == .notReady)
        #expect(s.additionalSense == .becomingReady)
        #expect(s.text == "NOT READY: Logical unit is in process of becoming ready")
        #expect(s.senseKeySpecific?.percent == 50)
        #expect(s.progress == 0.5)
        #expect(s.information == nil)
    }

    @Test func summaryLineNamesKeyAndCodesInHex() throws {
        let s = try SenseData(parsing: notReadyProgress)
        #expect(s.summaryLine == "sense: key 2h (NOT READY), ASC/ASCQ 04h/01h")
        let medium = try SenseData(parsing: bytes("70 00 03 00 00 00 00 0A 00 00 00 00 11 00 00 00 00 00"))
        #expect(medium.summaryLine == "sense: key 3h (MEDIUM ERROR), ASC/ASCQ 11h/00h")
    }

    @Test func fixedFilemarkWithInformation() throws {
        // VALID=1, FILEMARK (byte 2 bit 7), NO SENSE, INFORMATION = 1 (residue), 00h/01h.
        let s = try SenseData(parsing: bytes("F0 00 80 00 00 00 01 0A 00 00 00 00 00 01 00 00 00 00"))
        #expect(s.filemark)
        #expect(!s.endOfMedium)
        #expect(s.information == 1)
        #expect(s.additionalSense == .filemarkDetected)
        #expect(s.text == "NO SENSE: Filemark detected")
    }

    @Test func fixedILIWithNegativeResidue() throws {
        // Read of a 0x1000-byte record into a 0x800 buffer: ILI, INFORMATION = -0x800
        // (two's complement, SSC-4 4.2.x on READ with ILI).
        let s = try SenseData(parsing: bytes("F0 00 20 FF FF F8 00 0A 00 00 00 00 00 00 00 00 00 00"))
        #expect(s.incorrectLength)
        #expect(s.information == 0xFFFF_F800)
        #expect(Int32(bitPattern: UInt32(s.information ?? 0)) == -2048)
    }

    @Test func fixedEarlyWarningEOM() throws {
        let s = try SenseData(parsing: bytes("70 00 40 00 00 00 00 0A 00 00 00 00 00 02 00 00 00 00"))
        #expect(s.endOfMedium)
        #expect(s.senseKey == .noSense)
        #expect(s.additionalSense == .endOfPartitionDetected)
    }

    @Test func fixedIllegalRequestFieldPointer() throws {
        // ILLEGAL REQUEST 24h/00h, SKSV, C/D=1, BPV=1 bit 4, field byte 1 (SPC-4 table 34).
        let s = try SenseData(parsing: bytes("70 00 05 00 00 00 00 0A 00 00 00 00 24 00 00 CC 00 01"))
        #expect(s.senseKeySpecific == .fieldPointer(inCDB: true, bitPointer: 4, field: 1))
        #expect(s.description.contains("Invalid field in CDB"))
        #expect(s.description.contains("CDB byte 1 bit 4"))
    }

    @Test func deferredFixed() throws {
        let s = try SenseData(parsing: bytes("71 00 03 00 00 00 00 0A 00 00 00 00 0C 00 00 00 00 00"))
        #expect(s.isDeferred)
        #expect(s.text == "MEDIUM ERROR: Write error")
    }

    @Test func additionalSenseLengthLimitsFields() throws {
        // Additional length 6 covers bytes 8–13 only: SKS bytes beyond it are ignored.
        let s = try SenseData(parsing: bytes("70 00 02 00 00 00 00 06 00 00 00 00 04 01 00 80 80 00"))
        #expect(s.senseKeySpecific == nil)
        #expect(s.additionalSense == .becomingReady)
    }

    @Test func shortFixedSenseStillYieldsKey() throws {
        let s = try SenseData(parsing: [0x70, 0x00, 0x06])
        #expect(s.senseKey == .unitAttention)
        #expect(s.additionalSense == .noAdditionalSense)
    }

    // Descriptor format, SPC-4 table 27, with an information descriptor (table 30),
    // a sense key specific descriptor (table 32) and a stream commands descriptor
    // (SSC-4 table 57) carrying FILEMARK and ILI.
    let descriptorSense = bytes("""
        72 00 00 01 00 00 00 1C
        00 0A 80 00 00 00 00 00 00 00 00 2A
        02 06 00 00 80 40 00 00
        04 02 00 A0
        03 02 00 07
        """)

    @Test func descriptorFormatDecodesAllDescriptors() throws {
        let s = try SenseData(parsing: descriptorSense)
        #expect(s.format == .descriptor)
        #expect(s.senseKey == .noSense)
        #expect(s.additionalSense == .filemarkDetected)
        #expect(s.information == 0x2A)
        #expect(s.filemark)
        #expect(s.incorrectLength)
        #expect(!s.endOfMedium)
        #expect(s.senseKeySpecific?.percent == 25)
        #expect(s.fieldReplaceableUnit == 7)
    }

    @Test func deferredDescriptor() throws {
        let s = try SenseData(parsing: bytes("73 04 44 00 00 00 00 00"))
        #expect(s.isDeferred)
        #expect(s.format == .descriptor)
        #expect(s.text == "HARDWARE ERROR: Internal target failure")
    }

    @Test(arguments: [
        (SenseKey.blankCheck, AdditionalSense.endOfDataDetected, "BLANK CHECK: End-of-data detected"),
        (.notReady, .mediumNotPresent, "NOT READY: Medium not present"),
        (.notReady, .cleaningCartridgeInstalled, "NOT READY: Cleaning cartridge installed"),
        (.notReady, .operationInProgress, "NOT READY: Logical unit not ready, operation in progress"),
        (.unitAttention, .mediumMayHaveChanged, "UNIT ATTENTION: Not ready to ready change, medium may have changed"),
        (.unitAttention, .powerOnOrReset, "UNIT ATTENTION: Power on, reset, or bus device reset occurred"),
        (.dataProtect, .writeProtected, "DATA PROTECT: Write protected"),
        (.dataProtect, .wormOverwriteAttempted, "DATA PROTECT: WORM medium - overwrite attempted"),
        (.dataProtect, .writeAppendError, "DATA PROTECT: Write append error"),
        (.illegalRequest, .invalidOperationCode, "ILLEGAL REQUEST: Invalid command operation code"),
        (.illegalRequest, .invalidFieldInParameterList, "ILLEGAL REQUEST: Invalid field in parameter list"),
        (.illegalRequest, .mediumRemovalPrevented, "ILLEGAL REQUEST: Medium removal prevented"),
        (.illegalRequest, .destinationElementFull, "ILLEGAL REQUEST: Medium destination element full"),
        (.illegalRequest, .sourceElementEmpty, "ILLEGAL REQUEST: Medium source element empty"),
        (.mediumError, .unrecoveredReadError, "MEDIUM ERROR: Unrecovered read error"),
        (.mediumError, .incompatibleMedium, "MEDIUM ERROR: Incompatible medium installed"),
        (.mediumError, .formatCorrupted, "MEDIUM ERROR: Medium format corrupted"),
        (.volumeOverflow, .endOfPartitionDetected, "VOLUME OVERFLOW: End-of-partition/medium detected"),
        (.noSense, .beginningOfPartitionDetected, "NO SENSE: Beginning-of-partition/medium detected"),
        (.hardwareError, AdditionalSense(0x04, 0x03), "HARDWARE ERROR: Logical unit not ready, manual intervention required"),
    ])
    func readableTexts(key: SenseKey, asc: AdditionalSense, expected: String) throws {
        let raw: [UInt8] = [0x70, 0, key.rawValue, 0, 0, 0, 0, 10, 0, 0, 0, 0, asc.asc, asc.ascq, 0, 0, 0, 0]
        #expect(try SenseData(parsing: raw).text == expected)
    }

    @Test func unknownAndVendorCodesStillReadable() {
        #expect(AdditionalSense(0x3B, 0x99).text.contains("Sequential positioning error"))
        #expect(AdditionalSense(0x82, 0x01).text == "Vendor specific ASC 82h ASCQ 01h")
        #expect(AdditionalSense(0x7E, 0x01).text == "ASC 7Eh ASCQ 01h")
    }

    @Test func rejectsUnknownResponseCodeAndEmpty() {
        #expect(throws: SCSIParseError.self) { try SenseData(parsing: []) }
        #expect(throws: SCSIParseError.self) { try SenseData(parsing: [0x7F, 0, 0, 0]) }
        #expect(throws: SCSIParseError.self) { try SenseData(parsing: [0x70, 0]) }
    }

    @Test func signedInformationIsTheResidue() throws {
        let fixed = try SenseData(parsing: bytes("F0 00 20 FF FF F8 00 0A 00 00 00 00 00 00 00 00 00 00"))
        #expect(fixed.signedInformation == -2048)
        let descriptor = try SenseData(parsing: bytes("72 00 00 00 00 00 00 0C 00 0A 80 00 00 00 00 00 00 00 00 10"))
        #expect(descriptor.signedInformation == 16)
    }

    @Test(arguments: [
        SenseData(senseKey: .notReady, additionalSense: .becomingReady, senseKeySpecific: .progress(0.25)),
        SenseData(senseKey: .noSense, additionalSense: .filemarkDetected, filemark: true, information: 3),
        SenseData(responseCode: 0x71, senseKey: .mediumError, additionalSense: .writeError),
        SenseData(senseKey: .illegalRequest, additionalSense: .invalidFieldInCDB,
                  senseKeySpecific: .fieldPointer(inCDB: true, bitPointer: 2, field: 4)),
        SenseData(senseKey: .noSense, additionalSense: .endOfPartitionDetected, endOfMedium: true, incorrectLength: true),
    ])
    func encodersRoundTrip(sense: SenseData) throws {
        func same(_ a: SenseData, _ b: SenseData) -> Bool {
            a.senseKey == b.senseKey && a.additionalSense == b.additionalSense && a.filemark == b.filemark
                && a.endOfMedium == b.endOfMedium && a.incorrectLength == b.incorrectLength
                && a.information == b.information && a.senseKeySpecific == b.senseKeySpecific
                && a.isDeferred == b.isDeferred
        }
        let fixed = sense.encodedFixed
        #expect(fixed.count == 18 && fixed[7] == 10)
        #expect(same(try SenseData(parsing: fixed), sense))
        let descriptor = try SenseData(parsing: sense.encodedDescriptor)
        #expect(descriptor.format == .descriptor)
        #expect(same(descriptor, sense))
    }

    @Test func senseParsingIsTotal() {
        let parsed = Fuzz.assertTotal(valid: [notReadyProgress, descriptorSense]) { b in
            _ = try SenseData(parsing: b)
        }
        #expect(parsed > 0)
    }
}

@Suite struct SCSIErrorTests {
    @Test func goodStatusPassesThrough() throws {
        let r = SCSIResult(status: .good, data: [1, 2, 3])
        #expect(try r.checked(opcode: OperationCode.inquiry).data == [1, 2, 3])
    }

    @Test func checkConditionBecomesTypedError() {
        let r = SCSIResult(status: .checkCondition,
                           sense: bytes("70 00 02 00 00 00 00 0A 00 00 00 00 3A 00 00 00 00 00"))
        do {
            try r.checked(opcode: OperationCode.moveMedium)
            Issue.record("expected a throw")
        } catch {
            #expect(error.matches(.notReady, .mediumNotPresent))
            #expect(error.opcode == 0xA5)
            #expect(error.description == "MOVE MEDIUM failed: NOT READY: Medium not present, ASC/ASCQ 3Ah/00h")
        }
    }

    @Test func checkConditionWithoutSense() {
        let r = SCSIResult(status: .checkCondition, sense: [])
        #expect(throws: SCSIError.checkConditionWithoutSense(raw: [], opcode: 0x12)) {
            try r.checked(opcode: 0x12)
        }
    }

    @Test func otherStatusBecomesStatusError() {
        let r = SCSIResult(status: .reservationConflict)
        do {
            try r.checked(opcode: OperationCode.readElementStatus)
            Issue.record("expected a throw")
        } catch {
            #expect(error == .status(.reservationConflict, opcode: 0xB8))
            #expect(error.description == "READ ELEMENT STATUS failed: status RESERVATION CONFLICT")
        }
    }
}

/// `SCSITransport.run` maps transport errors and status to `SCSIError`.
@Suite struct TransportRunTests {
    struct Canned: SCSITransport {
        let result: Result<SCSIResult, TransportError>
        func execute(_ command: SCSICommand) async throws(TransportError) -> SCSIResult { try result.get() }
    }

    @Test func transportErrorIsWrapped() async {
        let t = Canned(result: .failure(TransportError(.deviceGone, "gone")))
        await #expect(throws: SCSIError.transport(TransportError(.deviceGone, "gone"))) {
            try await t.run(.testUnitReady())
        }
    }

    @Test func busyIsStatusError() async {
        let t = Canned(result: .success(SCSIResult(status: .busy)))
        await #expect(throws: SCSIError.status(.busy, opcode: 0x00)) { try await t.run(.testUnitReady()) }
    }

    @Test func goodReturnsData() async throws {
        let t = Canned(result: .success(SCSIResult(status: .good, data: [0, 0x80, 0, 0, 0, 1])))
        let r = try await t.run(.readBlockLimits())
        let limits = try SCSIError.parsing { () throws(SCSIParseError) in try BlockLimits(parsing: r.data) }
        #expect(limits.maximumBlockLength == 0x800000)
        #expect(throws: SCSIError.self) {
            try SCSIError.parsing { () throws(SCSIParseError) in try BlockLimits(parsing: [0]) }
        }
    }
}
