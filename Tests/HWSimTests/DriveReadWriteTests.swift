import SCSI
import Testing
@testable import HWSim

/// READ(6)/WRITE(6)/WRITE FILEMARKS and end-of-medium handling (SSC-4 6.x, 4.2.5, 4.2.9).
@Suite struct DriveReadWriteTests {
    static let tur: [UInt8] = [0x00, 0, 0, 0, 0, 0]
    static let rewind: [UInt8] = [0x01, 0, 0, 0, 0, 0]
    static func write(_ n: Int, fixed: Bool = false) -> [UInt8] { [0x0A, fixed ? 1 : 0, UInt8(n >> 16), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF), 0] }
    static func read(_ n: Int, fixed: Bool = false, sili: Bool = false) -> [UInt8] {
        [0x08, (fixed ? 1 : 0) | (sili ? 2 : 0), UInt8(n >> 16), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF), 0]
    }
    static func filemarks(_ n: Int) -> [UInt8] { [0x10, 0, 0, 0, UInt8(n), 0] }

    @Test func driveInquiryAndBlockLimits() async throws {
        let lib = try Sim.library()
        let t = lib.driveTransport(0)
        let inq = try await Sim.run(t, [0x12, 0, 0, 0, 96, 0], in: 96)
        // SPC-4 table 142: sequential-access device type 01h, removable.
        #expect(Array(inq.data[0..<2]) == [0x01, 0x80])
        #expect(Array(inq.data[16..<32]) == Array("ULT3580-HH8     ".utf8))
        let serial = try await Sim.run(t, [0x12, 1, 0x80, 0, 255, 0], in: 255)
        #expect(serial.data == [0x01, 0x80, 0x00, 0x0A] + Array("1097000001".utf8))
        // READ BLOCK LIMITS (SSC-4 table 35): granularity, maximum 800000h, minimum 1.
        let limits = try await Sim.run(t, [0x05, 0, 0, 0, 0, 0], in: 6)
        #expect(limits.data == [0x00, 0x80, 0x00, 0x00, 0x00, 0x01])
        // No medium: NOT READY 3Ah/00h.
        #expect(try await Sim.run(t, Self.tur).senseTriple == [0x02, 0x3A, 0x00])
    }

    @Test func variableRecordsWithIncorrectLength() async throws {
        let lib = try Sim.library()
        let t = try await Sim.load(lib, slot: 1)
        let record = Array(UInt8(0)..<10)
        #expect(try await Sim.send(t, Self.write(10), record).status == .good)
        #expect(try await Sim.run(t, Self.rewind).status == .good)
        // Shorter buffer than the record: ILI, INFORMATION = 4 − 10 = −6, the head returned.
        let short = try await Sim.run(t, Self.read(4), in: 4)
        #expect(short.status == .checkCondition)
        #expect(short.sense[0] == 0xF0)          // VALID | 70h
        #expect(short.sense[2] == 0x20)          // ILI, NO SENSE
        #expect(short.information == -6)
        #expect(short.data == [0, 1, 2, 3])
        // Longer buffer, SILI: not an error; the residual shows the difference.
        #expect(try await Sim.run(t, Self.rewind).status == .good)
        let sili = try await Sim.run(t, Self.read(20, sili: true), in: 20)
        #expect(sili.status == .good)
        #expect(sili.data == record)
        #expect(sili.residual == 10)
        // Longer buffer without SILI: ILI with INFORMATION = +10.
        #expect(try await Sim.run(t, Self.rewind).status == .good)
        let long = try await Sim.run(t, Self.read(20), in: 20)
        #expect(long.sense[2] == 0x20)
        #expect(long.information == 10)
        #expect(long.data == record)
    }

    @Test func filemarkAndEndOfData() async throws {
        let lib = try Sim.library()
        let t = try await Sim.load(lib, slot: 1)
        #expect(try await Sim.send(t, Self.write(3), [1, 2, 3]).status == .good)
        #expect(try await Sim.run(t, Self.filemarks(1)).status == .good)
        #expect(try await Sim.send(t, Self.write(2), [4, 5]).status == .good)
        #expect(try await Sim.run(t, Self.rewind).status == .good)
        #expect(try await Sim.run(t, Self.read(3), in: 3).data == [1, 2, 3])
        // Filemark: NO SENSE with FILEMARK bit, 00h/01h, INFORMATION = transfer length.
        let fm = try await Sim.run(t, Self.read(100), in: 100)
        #expect(fm.sense[2] == 0x80)
        #expect(fm.senseTriple == [0x00, 0x00, 0x01])
        #expect(fm.information == 100)
        #expect(fm.data.isEmpty)
        #expect(try await Sim.run(t, Self.read(2), in: 2).data == [4, 5])
        // End of data: BLANK CHECK 8/00/05.
        let eod = try await Sim.run(t, Self.read(2), in: 2)
        #expect(eod.senseTriple == [0x08, 0x00, 0x05])
        #expect(eod.information == 2)
    }

    @Test func fixedBlockMode() async throws {
        let lib = try Sim.library()
        let t = try await Sim.load(lib, slot: 1)
        // MODE SELECT(6) (SPC-4 table 192), PF; header (table 453) + block descriptor with
        // block length 512 (SSC-4 table 73).
        let select = try await Sim.send(t, [0x15, 0x10, 0, 0, 12, 0], [0, 0, 0x10, 8, 0, 0, 0, 0, 0, 0x00, 0x02, 0x00])
        #expect(select.status == .good)
        let data = (0..<1024).map { UInt8($0 & 0xFF) }
        #expect(try await Sim.send(t, Self.write(2, fixed: true), data).status == .good)
        #expect(try await Sim.run(t, Self.rewind).status == .good)
        // Three blocks asked, two present: BLANK CHECK with INFORMATION = 1 block, 1024 bytes read.
        let r = try await Sim.run(t, Self.read(3, fixed: true), in: 1536)
        #expect(r.senseTriple == [0x08, 0x00, 0x05])
        #expect(r.information == 1)
        #expect(r.data == data)
        #expect(r.residual == 512)
        // Fixed mode with block length 0 is invalid.
        _ = try await Sim.send(t, [0x15, 0x10, 0, 0, 12, 0], [0, 0, 0x10, 8, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(try await Sim.send(t, Self.write(1, fixed: true), [0]).senseTriple == [0x05, 0x24, 0x00])
    }

    @Test func earlyWarningThenVolumeOverflow() async throws {
        // LTO-8 scaled to 12,000,000 bytes; early warning 2 % before the end.
        let lib = try Sim.library { $0.capacityScale = 1e-6 }
        let t = try await Sim.load(lib, slot: 1)
        let record = [UInt8](repeating: 0xAB, count: 100_000)
        for _ in 0..<117 { #expect(try await Sim.send(t, Self.write(100_000), record).status == .good) }
        // 11.8 MB is past 11.76 MB: NO SENSE, EOM, 00h/02h — and the record is written.
        let warn = try await Sim.send(t, Self.write(100_000), record)
        #expect(warn.status == .checkCondition)
        #expect(warn.sense[2] == 0x40)
        #expect(warn.senseTriple == [0x00, 0x00, 0x02])
        #expect(try await Sim.send(t, Self.write(100_000), record).senseTriple == [0x00, 0x00, 0x02])
        #expect(try await Sim.send(t, Self.write(100_000), record).senseTriple == [0x00, 0x00, 0x02])
        // 12.1 MB does not fit: VOLUME OVERFLOW 0Dh/00h/02h, nothing written.
        let full = try await Sim.send(t, Self.write(100_000), record)
        #expect(full.senseTriple == [0x0D, 0x00, 0x02])
        #expect(full.sense[2] & 0x40 != 0)
        #expect(lib.withCartridge("A00001L8") { $0.partitions[0].objects.count } == 120)
    }

    @Test func writeProtectedCartridge() async throws {
        let lib = try Sim.library { $0.cartridges[0].writeProtected = true }
        let t = try await Sim.load(lib, slot: 1)
        #expect(try await Sim.send(t, Self.write(1), [1]).senseTriple == [0x07, 0x27, 0x00])
        #expect(try await Sim.run(t, Self.filemarks(1)).senseTriple == [0x07, 0x27, 0x00])
        // Mode parameter header: WP bit 7 of the device-specific parameter (SSC-4 table 72).
        let mode = try await Sim.run(t, [0x1A, 0x08, 0x00, 0, 255, 0], in: 255)
        #expect(mode.data[2] & 0x80 != 0)
        #expect(lib.withCartridge("A00001L8") { $0.partitions[0].objects.count } == 0)
        // TapeAlert 09h (write protect) in log page 2Eh: parameter 0009h.
        let ta = try await Sim.run(t, [0x4D, 0, 0x40 | 0x2E, 0, 0, 0, 0, 0x10, 0, 0], in: 4096)
        #expect(Array(ta.data[(4 + 8 * 5)..<(4 + 9 * 5)]) == [0x00, 0x09, 0x03, 0x01, 0x01])
    }

    @Test func wormRefusesOverwrite() async throws {
        let lib = try Sim.library("midsize")
        // W00001LY (LTO-8 WORM) in slot 58 into drive 0 (LTO-8).
        let t = try await Sim.load(lib, slot: 58)
        #expect(try await Sim.send(t, Self.write(2), [1, 2]).status == .good)
        #expect(try await Sim.run(t, Self.filemarks(1)).status == .good)
        #expect(try await Sim.send(t, Self.write(2), [3, 4]).status == .good)  // appending is fine
        #expect(try await Sim.run(t, Self.rewind).status == .good)
        #expect(try await Sim.send(t, Self.write(2), [9, 9]).senseTriple == [0x07, 0x30, 0x0C])
        // Medium Configuration page (SSC-4 table 102): WORMM.
        let page = try await Sim.run(t, [0x1A, 0x08, 0x1D, 0, 255, 0], in: 255)
        #expect(Array(page.data[4..<8]) == [0x1D, 0x1E, 0x01, 0x00])
        #expect(lib.withCartridge("W00001LY") { $0.partitions[0].objects.count } == 3)
    }

    @Test(arguments: [
        (60, 0, false),       // D00001L6 (LTO-6) in an LTO-8 drive: incompatible
        (30, 0, false),       // C00001L9 (LTO-9) in an LTO-8 drive: incompatible
        (1, 2, true),         // B00001L8 in an LTO-9 drive: fine
    ])
    func compatibilityOnLoad(slot: Int, drive: Int, compatible: Bool) async throws {
        let lib = try Sim.library("midsize")
        let r = try await Sim.move(lib, from: lib.elementAddress(.slot(slot)), to: lib.elementAddress(.drive(drive)))
        #expect(r.status == .good)
        let t = lib.driveTransport(drive)
        #expect(try await Sim.run(t, Self.tur).senseTriple == [0x06, 0x28, 0x00])
        if compatible {
            #expect(try await Sim.run(t, Self.tur).status == .good)
        } else {
            // MEDIUM ERROR 30h/00h, then the cartridge sits ejected: NOT READY 3Ah/00h.
            #expect(try await Sim.run(t, Self.tur).senseTriple == [0x03, 0x30, 0x00])
            #expect(try await Sim.run(t, Self.tur).senseTriple == [0x02, 0x3A, 0x00])
            // LOAD retried: refused again.
            #expect(try await Sim.run(t, [0x1B, 0, 0, 0, 0x01, 0]).senseTriple == [0x03, 0x30, 0x00])
        }
    }

    @Test func readOnlyGenerationIsWriteProtected() async throws {
        let lib = try Sim.library { p in
            p.drives[0].generation = .lto7
            p.cartridges[0] = CartridgeProfile(barcode: "R00001L5", generation: .lto5, location: .slot(1))
        }
        let t = try await Sim.load(lib, slot: 1)
        #expect(try await Sim.run(t, Self.tur).status == .good)
        #expect(try await Sim.send(t, Self.write(1), [1]).senseTriple == [0x07, 0x27, 0x00])
    }

    @Test func mediaErrorsAtABlock() async throws {
        let lib = try Sim.library()
        let t = try await Sim.load(lib, slot: 1)
        for i in 0..<3 { #expect(try await Sim.send(t, Self.write(1), [UInt8(i)]).status == .good) }
        lib.injectMediaError(barcode: "A00001L8", block: 1)
        #expect(try await Sim.run(t, Self.rewind).status == .good)
        #expect(try await Sim.run(t, Self.read(1), in: 1).data == [0])
        #expect(try await Sim.run(t, Self.read(1), in: 1).senseTriple == [0x03, 0x11, 0x00])
        // Writing at the bad block: 3/0C/00, nothing changed.
        #expect(try await Sim.send(t, Self.write(1), [7]).senseTriple == [0x03, 0x0C, 0x00])
        #expect(lib.withCartridge("A00001L8") { $0.partitions[0].objects.count } == 3)
    }
}

/// A library that keeps only record lengths (for throughput benchmarks): positions, filemarks
/// and end of data are as with the bytes kept; reading a record whose bytes were dropped is a
/// MEDIUM ERROR, never other bytes.
@Suite struct LengthOnlyRecordTests {
    @Test func positionsStayAndReadingADroppedRecordIsAMediumError() async throws {
        let lib = try Sim.library()
        let t = try await Sim.load(lib, slot: 1)
        #expect(try await Sim.send(t, DriveReadWriteTests.write(10), Array(repeating: 1, count: 10)).status == .good)
        lib.keepOnlyRecordLengths()
        #expect(try await Sim.send(t, DriveReadWriteTests.write(20), Array(repeating: 2, count: 20)).status == .good)
        #expect(try await Sim.run(t, DriveReadWriteTests.filemarks(1)).status == .good)
        #expect(try await Sim.run(t, DriveReadWriteTests.rewind).status == .good)
        // The record written before keeps its bytes.
        let kept = try await Sim.run(t, DriveReadWriteTests.read(10), in: 10)
        #expect(kept.status == .good && kept.data == Array(repeating: 1, count: 10))
        // The next one: MEDIUM ERROR, unrecovered read error 11h/00h, and the position moves past it.
        let dropped = try await Sim.run(t, DriveReadWriteTests.read(20), in: 20)
        #expect(dropped.senseTriple == [0x03, 0x11, 0x00])
        #expect(dropped.data.isEmpty)
        // Then the filemark and end of data, where they were.
        #expect(try await Sim.run(t, DriveReadWriteTests.read(20), in: 20).senseTriple == [0x00, 0x00, 0x01])
        #expect(try await Sim.run(t, DriveReadWriteTests.read(20), in: 20).senseTriple == [0x08, 0x00, 0x05])
    }
}
