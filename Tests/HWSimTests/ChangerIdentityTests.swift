import SCSI
import Testing
@testable import HWSim

/// INQUIRY, VPD, REPORT LUNS, REQUEST SENSE and unit attentions on the changer (SPC-4, SMC-3).
@Suite struct ChangerIdentityTests {
    @Test func standardInquiryLayout() async throws {
        let lib = try Sim.library()
        let r = try await Sim.run(lib.changerTransport, [0x12, 0x00, 0x00, 0x00, 0x60, 0x00], in: 96)
        #expect(r.status == .good)
        #expect(r.data.count == 96)
        // SPC-4 table 142: type 08h (medium changer), VERSION 06h, format 2, additional length 91.
        #expect(Array(r.data[0..<5]) == [0x08, 0x00, 0x06, 0x12, 0x5B])
        #expect(Array(r.data[8..<16]) == Array("IBM     ".utf8))
        #expect(Array(r.data[16..<32]) == Array("3572-TL         ".utf8))
        #expect(Array(r.data[32..<36]) == Array("C.20".utf8))
        #expect(r.residual == 0)
    }

    @Test func inquiryIsTruncatedToAllocationLength() async throws {
        let lib = try Sim.library()
        // Allocation length 36 in CDB bytes 3–4 (SPC-4 table 176); the buffer offers 96.
        let r = try await lib.changerTransport.execute(SCSICommand(cdb: [0x12, 0, 0, 0, 36, 0], transfer: .fromDevice(allocationLength: 96)))
        #expect(r.data.count == 36)
        #expect(r.residual == 60)
    }

    @Test func vitalProductDataPages() async throws {
        let lib = try Sim.library()
        let t = lib.changerTransport
        // Page 00h (SPC-4 table 608): supported pages 00h, 80h, 83h.
        let p0 = try await Sim.run(t, [0x12, 0x01, 0x00, 0x00, 0xFF, 0x00], in: 255)
        #expect(p0.data == [0x08, 0x00, 0x00, 0x03, 0x00, 0x80, 0x83])
        // Page 80h (SPC-4 table 610): serial number.
        let p80 = try await Sim.run(t, [0x12, 0x01, 0x80, 0x00, 0xFF, 0x00], in: 255)
        #expect(p80.data == [0x08, 0x80, 0x00, 0x0A] + Array("78A0123456".utf8))
        // Page 83h (SPC-4 table 589/594): one T10 vendor ID designator, code set 2, type 1.
        let p83 = try await Sim.run(t, [0x12, 0x01, 0x83, 0x00, 0xFF, 0x00], in: 255)
        let designator = Array("IBM     3572-TL         78A0123456".utf8)
        #expect(p83.data == [0x08, 0x83, 0x00, UInt8(4 + designator.count), 0x02, 0x01, 0x00, UInt8(designator.count)] + designator)
        // An unsupported page: ILLEGAL REQUEST, INVALID FIELD IN CDB.
        let bad = try await Sim.run(t, [0x12, 0x01, 0xB0, 0x00, 0xFF, 0x00], in: 255)
        #expect(bad.status == .checkCondition)
        #expect(bad.senseTriple == [0x05, 0x24, 0x00])
        // Page code without EVPD is invalid.
        let bad2 = try await Sim.run(t, [0x12, 0x00, 0x80, 0x00, 0xFF, 0x00], in: 255)
        #expect(bad2.senseTriple == [0x05, 0x24, 0x00])
    }

    @Test func reportLUNs() async throws {
        let lib = try Sim.library()
        // REPORT LUNS (SPC-4 table 283): allocation length in bytes 6–9.
        let r = try await Sim.run(lib.changerTransport, [0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0], in: 16)
        #expect(r.data == [0, 0, 0, 8, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 8))
        let short = try await Sim.run(lib.changerTransport, [0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0], in: 8)
        #expect(short.senseTriple == [0x05, 0x24, 0x00])
    }

    @Test func unknownOpcodeIsInvalid() async throws {
        let lib = try Sim.library()
        let r = try await Sim.run(lib.changerTransport, [0x0A, 0, 0, 0, 0, 0])
        #expect(r.status == .checkCondition)
        #expect(r.senseTriple == [0x05, 0x20, 0x00])
        // Fixed format sense, 18 bytes (SPC-4 table 48): response code 70h, additional length 10.
        #expect(r.sense.count == 18)
        #expect(r.sense[0] == 0x70)
        #expect(r.sense[7] == 10)
    }

    @Test func powerOnUnitAttentionThenReady() async throws {
        let lib = try Sim.library(unitAttention: true)
        let t = lib.changerTransport
        // INQUIRY does not consume the unit attention (SPC-4 5.14).
        #expect(try await Sim.run(t, [0x12, 0, 0, 0, 36, 0], in: 36).status == .good)
        let first = try await Sim.run(t, [0x00, 0, 0, 0, 0, 0])
        #expect(first.senseTriple == [0x06, 0x29, 0x00])
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).status == .good)
    }

    @Test func requestSenseReportsPendingUnitAttention() async throws {
        let lib = try Sim.library(unitAttention: true)
        let t = lib.changerTransport
        // REQUEST SENSE (SPC-4 table 290), allocation length byte 4.
        let rs = try await Sim.run(t, [0x03, 0, 0, 0, 18, 0], in: 18)
        #expect(rs.status == .good)
        #expect(rs.data.count == 18)
        #expect([rs.data[2] & 0x0F, rs.data[12], rs.data[13]] == [0x06, 0x29, 0x00])
        let rs2 = try await Sim.run(t, [0x03, 0, 0, 0, 18, 0], in: 18)
        #expect([rs2.data[2] & 0x0F, rs2.data[12], rs2.data[13]] == [0x00, 0x00, 0x00])
        // Descriptor format (DESC=1) is not supported.
        let desc = try await Sim.run(t, [0x03, 0x01, 0, 0, 18, 0], in: 18)
        #expect(desc.senseTriple == [0x05, 0x24, 0x00])
    }

    @Test func becomingReadyQuirkAfterPowerOn() async throws {
        let lib = try Sim.library { $0.quirks.becomingReadySeconds = 120 }
        let t = lib.changerTransport
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x02, 0x04, 0x01])
        // INQUIRY still answers while the library inventories.
        #expect(try await Sim.run(t, [0x12, 0, 0, 0, 36, 0], in: 36).status == .good)
        lib.advanceClock(by: .seconds(121))
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).status == .good)
    }

    @Test func logSenseSupportedPages() async throws {
        let lib = try Sim.library()
        // LOG SENSE (SPC-4 table 157), page 00h, allocation length 7–8.
        let r = try await Sim.run(lib.changerTransport, [0x4D, 0, 0x40, 0, 0, 0, 0, 0, 0xFF, 0], in: 255)
        #expect(r.data == [0x00, 0x00, 0x00, 0x01, 0x00])
        let other = try await Sim.run(lib.changerTransport, [0x4D, 0, 0x40 | 0x2E, 0, 0, 0, 0, 0, 0xFF, 0], in: 255)
        #expect(other.senseTriple == [0x05, 0x24, 0x00])
    }
}

/// REPORT SUPPORTED OPERATION CODES (SPC-4 table 250) on both device kinds.
@Suite struct SupportedOperationCodesTests {
    @Test func allCommandsAndOneCommand() async throws {
        let lib = try Sim.library()
        // Reporting options 000b: 4-byte length, 8-byte descriptors (SPC-4 table 252).
        let all = try await Sim.run(lib.driveTransport(0), [0xA3, 0x0C, 0x00, 0, 0, 0, 0, 0, 0x10, 0x00, 0, 0], in: 4096)
        #expect(all.status == .good)
        let length = Sim.u32(all.data, 0)
        #expect(length == all.data.count - 4 && length % 8 == 0)
        // READ POSITION appears with SERVACTV for service action 01h.
        let descriptors = stride(from: 4, to: all.data.count, by: 8).map { Array(all.data[$0..<($0 + 8)]) }
        #expect(descriptors.contains([0x34, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x0A]))
        #expect(descriptors.contains([0x0A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06]))
        // Reporting options 001b for MOVE MEDIUM on the changer: supported, 12-byte CDB.
        let one = try await Sim.run(lib.changerTransport, [0xA3, 0x0C, 0x01, 0xA5, 0, 0, 0, 0, 0x01, 0x00, 0, 0], in: 256)
        #expect(Array(one.data[0..<5]) == [0x00, 0x03, 0x00, 0x0C, 0xA5])
        #expect(one.data.count == 16)
        // WRITE(6) is not a changer command: SUPPORT 001b.
        let no = try await Sim.run(lib.changerTransport, [0xA3, 0x0C, 0x01, 0x0A, 0, 0, 0, 0, 0x01, 0x00, 0, 0], in: 256)
        #expect(no.data == [0x00, 0x01, 0x00, 0x00])
    }
}
