import SCSI
import Testing
@testable import HWSim

/// SPACE, LOCATE, READ POSITION, REWIND (SSC-4 tables 45/46, 18/19, 36–39, 41).
@Suite struct DrivePositioningTests {
    /// A tape with R0 R1 FM R3 R4 FM R6 (logical objects 0…6), end of data at 7.
    static func prepared() async throws -> (SimulatedLibrary, SCSITransport) {
        let lib = try Sim.library()
        let t = try await Sim.load(lib, slot: 1)
        for step in ["R", "R", "F", "R", "R", "F", "R"] {
            let r = step == "R" ? try await Sim.send(t, [0x0A, 0, 0, 0, 1, 0], [0x55])
                                : try await Sim.run(t, [0x10, 0, 0, 0, 1, 0])
            #expect(r.status == .good)
        }
        #expect(try await Sim.run(t, [0x01, 0, 0, 0, 0, 0]).status == .good)
        return (lib, t)
    }

    static func space6(_ code: UInt8, _ count: Int) -> [UInt8] {
        let v = UInt32(bitPattern: Int32(count)) & 0xFF_FFFF
        return [0x11, code, UInt8(v >> 16), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF), 0]
    }

    static func position(_ t: SCSITransport) async throws -> (partition: Int, block: Int) {
        // READ POSITION short form (SSC-4 table 37): partition byte 1, first object 4–7.
        let r = try await Sim.run(t, [0x34, 0x00, 0, 0, 0, 0, 0, 0, 0, 0], in: 20)
        return (Int(r.data[1]), Sim.u32(r.data, 4))
    }

    @Test func spaceBlocksStopsAtFilemark() async throws {
        let (_, t) = try await Self.prepared()
        // Forward 5 blocks from 0: two records, then the filemark stops it (position 3).
        let r = try await Sim.run(t, Self.space6(0, 5))
        #expect(r.sense[2] == 0x80)
        #expect(r.senseTriple == [0x00, 0x00, 0x01])
        #expect(r.information == 3)
        #expect(try await Self.position(t).block == 3)
        // Backward 2 from 3: over the filemark at 2 stops on its BOP side (position 2).
        let back = try await Sim.run(t, Self.space6(0, -2))
        #expect(back.senseTriple == [0x00, 0x00, 0x01])
        #expect(back.information == 2)
        #expect(try await Self.position(t).block == 2)
        // Backward past BOP: EOM with 00h/04h.
        let bop = try await Sim.run(t, Self.space6(0, -5))
        #expect(bop.sense[2] == 0x40)
        #expect(bop.senseTriple == [0x00, 0x00, 0x04])
        #expect(bop.information == 3)
        #expect(try await Self.position(t).block == 0)
    }

    @Test func spaceFilemarksAndEndOfData() async throws {
        let (_, t) = try await Self.prepared()
        #expect(try await Sim.run(t, Self.space6(1, 2)).status == .good)
        #expect(try await Self.position(t).block == 6)
        #expect(try await Sim.run(t, Self.space6(1, -1)).status == .good)
        #expect(try await Self.position(t).block == 5)
        // Three more filemarks do not exist: BLANK CHECK at end of data, residue 2.
        let eod = try await Sim.run(t, Self.space6(1, 3))
        #expect(eod.senseTriple == [0x08, 0x00, 0x05])
        #expect(eod.information == 2)
        #expect(try await Self.position(t).block == 7)
        // SPACE to end of data (code 3), then SPACE(16) back 4 blocks: R6, then the filemark.
        #expect(try await Sim.run(t, [0x01, 0, 0, 0, 0, 0]).status == .good)
        #expect(try await Sim.run(t, Self.space6(3, 0)).status == .good)
        #expect(try await Self.position(t).block == 7)
        let minus4 = UInt64(bitPattern: -4)
        let cdb16: [UInt8] = [0x91, 0x00, 0, 0] + (0..<8).map { UInt8((minus4 >> UInt64(56 - 8 * $0)) & 0xFF) } + [0, 0, 0, 0]
        let s16 = try await Sim.run(t, cdb16)
        #expect(s16.senseTriple == [0x00, 0x00, 0x01])
        #expect(s16.information == 3)
        #expect(try await Self.position(t).block == 5)
    }

    @Test func locateAndReadPositionForms() async throws {
        let (_, t) = try await Self.prepared()
        // LOCATE(10) to object 4.
        #expect(try await Sim.run(t, [0x2B, 0, 0, 0, 0, 0, 4, 0, 0, 0]).status == .good)
        // Short form (SSC-4 table 37), service action 00h and 01h (Linux st).
        for sa: UInt8 in [0x00, 0x01] {
            let r = try await Sim.run(t, [0x34, sa, 0, 0, 0, 0, 0, 0, 0, 0], in: 20)
            #expect(r.data == [0x00, 0x00, 0, 0, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0])
        }
        // Long form (SSC-4 table 38): partition 4–7, object 8–15, logical file 16–23 (one filemark before).
        let long = try await Sim.run(t, [0x34, 0x06, 0, 0, 0, 0, 0, 0, 0, 0], in: 32)
        #expect(long.data == [0x00, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 4] + [0, 0, 0, 0, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 8))
        // Extended form (SSC-4 table 39): additional length 1Ch, first and last object.
        let ext = try await Sim.run(t, [0x34, 0x08, 0, 0, 0, 0, 0, 0, 32, 0], in: 32)
        #expect(ext.data == [0x00, 0x00, 0x00, 0x1C, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 4] + [0, 0, 0, 0, 0, 0, 0, 4] + [UInt8](repeating: 0, count: 8))
        // At BOP the BOP bit is set.
        #expect(try await Sim.run(t, [0x01, 0, 0, 0, 0, 0]).status == .good)
        let bop = try await Sim.run(t, [0x34, 0x00, 0, 0, 0, 0, 0, 0, 0, 0], in: 20)
        #expect(bop.data[0] == 0x80)
        // LOCATE past end of data: BLANK CHECK, positioned at end of data.
        #expect(try await Sim.run(t, [0x2B, 0, 0, 0, 0, 0, 50, 0, 0, 0]).senseTriple == [0x08, 0x00, 0x05])
        #expect(try await Self.position(t).block == 7)
        // Service action 02h is not defined.
        #expect(try await Sim.run(t, [0x34, 0x02, 0, 0, 0, 0, 0, 0, 0, 0], in: 20).senseTriple == [0x05, 0x24, 0x00])
    }

    @Test func locate16ByFileAndPartitionChecks() async throws {
        let (_, t) = try await Self.prepared()
        // LOCATE(16) DEST_TYPE 01b (logical file 2): first object after the second filemark.
        #expect(try await Sim.run(t, [0x92, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]).status == .good)
        #expect(try await Self.position(t).block == 6)
        // CP with a partition the medium lacks: 5/24/00.
        #expect(try await Sim.run(t, [0x92, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).senseTriple == [0x05, 0x24, 0x00])
    }

    @Test func writeInTheMiddleTruncates() async throws {
        let (lib, t) = try await Self.prepared()
        #expect(try await Sim.run(t, [0x2B, 0, 0, 0, 0, 0, 3, 0, 0, 0]).status == .good)
        #expect(try await Sim.send(t, [0x0A, 0, 0, 0, 2, 0], [7, 7]).status == .good)
        #expect(lib.withCartridge("A00001L8") { $0.partitions[0].objects.count } == 4)
        let eod = try await Sim.run(t, [0x08, 0, 0, 0, 1, 0], in: 1)
        #expect(eod.senseTriple == [0x08, 0x00, 0x05])
    }
}
