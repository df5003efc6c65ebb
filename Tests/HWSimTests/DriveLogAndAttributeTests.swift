import SCSI
import Testing
@testable import HWSim

/// LOG SENSE pages, MAM attributes, long operations with progress, cleaning (SSC-4, SPC-4).
@Suite struct DriveLogAndAttributeTests {
    static func logSense(_ page: UInt8, pc: UInt8 = 1) -> [UInt8] { [0x4D, 0, (pc << 6) | page, 0, 0, 0, 0, 0x10, 0x00, 0] }

    @Test func supportedLogPages() async throws {
        let lib = try Sim.library()
        let r = try await Sim.run(lib.driveTransport(0), Self.logSense(0x00), in: 4096)
        #expect(r.data == [0x00, 0x00, 0x00, 0x07, 0x00, 0x0C, 0x11, 0x12, 0x17, 0x2E, 0x31])
    }

    @Test func tapeAlertPagesClearOnlyOn2Eh() async throws {
        let lib = try Sim.library()
        let t = lib.driveTransport(0)
        lib.requireCleaning(drive: 0)
        // TapeAlert Response page 12h (SSC-4 table 129): flag 14h is bit 64 − 20 of the map.
        for _ in 0..<2 {
            let r = try await Sim.run(t, Self.logSense(0x12), in: 4096)
            #expect(Array(r.data[0..<8]) == [0x12, 0x00, 0x00, 0x0C, 0x00, 0x00, 0x02, 0x08])
            let map = r.data[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(map == 1 << 44)
        }
        // TapeAlert page 2Eh: parameter 0014h set; reading clears.
        let first = try await Sim.run(t, Self.logSense(0x2E), in: 4096)
        #expect(Sim.u16(first.data, 2) == 64 * 5)
        let p14 = Array(first.data[(4 + 19 * 5)..<(4 + 20 * 5)])
        #expect(p14 == [0x00, 0x14, 0x03, 0x01, 0x01])
        let second = try await Sim.run(t, Self.logSense(0x2E), in: 4096)
        #expect(second.data[4 + 19 * 5 + 4] == 0x00)
        // The parameter pointer skips lower parameters (SPC-4 LOG SENSE bytes 5–6).
        let from40 = try await Sim.run(t, [0x4D, 0, 0x40 | 0x2E, 0, 0, 0x00, 0x40, 0x10, 0x00, 0], in: 4096)
        #expect(Array(from40.data[0..<6]) == [0x2E, 0x00, 0x00, 0x05, 0x00, 0x40])
        // Sequential-access device page 0Ch: cleaning required cleared? still set (14h flag read
        // is not cleaning).
        let seq = try await Sim.run(t, Self.logSense(0x0C), in: 4096)
        #expect(Array(seq.data.suffix(5)) == [0x01, 0x00, 0x02, 0x01, 0x01])
    }

    @Test func volumeStatisticsAndDeviceStatus() async throws {
        let lib = try Sim.library()
        let t = try await Sim.load(lib, slot: 1)
        let r = try await Sim.run(t, Self.logSense(0x17), in: 4096)
        #expect(r.data[0] == 0x17)
        // Parameter 0001h: volume mounts, 4 bytes: first load.
        #expect(Array(r.data[9..<17]) == [0x00, 0x01, 0x02, 0x04, 0x00, 0x00, 0x00, 0x01])
        // DT Device Status 11h (SSC-4 table 128): MPRSNT, MTHRD, MOUNTED.
        let s = try await Sim.run(t, Self.logSense(0x11), in: 4096)
        #expect(Array(s.data[4..<12]) == [0x00, 0x00, 0x03, 0x04, 0x00, 0x13, 0x00, 0x00])
    }

    @Test func attributesReadAndWrite() async throws {
        let lib = try Sim.library { $0.capacityScale = 1e-3 }
        let t = try await Sim.load(lib, slot: 1)
        // WRITE ATTRIBUTE (SPC-4 table 247): 0800h application vendor, ASCII, 8 bytes.
        let attr: [UInt8] = [0x08, 0x00, 0x01, 0x00, 0x08] + Array("TAPELIB ".utf8)
        let list = [0, 0, 0, UInt8(attr.count)] + attr
        #expect(try await Sim.send(t, [0x8D, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, UInt8(list.count), 0, 0], list).status == .good)
        // READ ATTRIBUTE values (SPC-4 table 146) from 0800h.
        let r = try await Sim.run(t, [0x8C, 0x00, 0, 0, 0, 0, 0, 0, 0x08, 0x00, 0, 0, 0x10, 0x00, 0, 0], in: 4096)
        #expect(r.data == [0, 0, 0, 13] + attr)
        // Remaining and maximum capacity (0000h, 0001h) in MiB, read-only (format byte 80h).
        let cap = try await Sim.run(t, [0x8C, 0x00, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0, 0, 0x10, 0x00, 0, 0], in: 4096)
        #expect(Array(cap.data[4..<9]) == [0x00, 0x00, 0x80, 0x00, 0x08])
        #expect(cap.data[9..<17].reduce(0) { $0 << 8 | Int($1) } == 12_000_000_000 >> 20)
        // ATTRIBUTE LIST (service action 01h) includes 0800h.
        let ids = try await Sim.run(t, [0x8C, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x00, 0, 0], in: 4096)
        let idList = stride(from: 4, to: ids.data.count, by: 2).map { Sim.u16(ids.data, $0) }
        #expect(idList.contains(0x0800) && idList.contains(0x0001) && idList.contains(0x0009))
        // PARTITION LIST (03h): one partition.
        let parts = try await Sim.run(t, [0x8C, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x00, 0, 0], in: 4096)
        #expect(parts.data == [0x00, 0x02, 0x00, 0x01])
        // A device attribute is read-only: 5/26/00, nothing stored.
        let ro: [UInt8] = [0, 0, 0, 13, 0x00, 0x01, 0x00, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 1]
        #expect(try await Sim.send(t, [0x8D, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0], ro).senseTriple == [0x05, 0x26, 0x00])
        #expect(lib.withCartridge("A00001L8") { $0.attributes.count } == 1)
        // Partition 1 does not exist yet.
        #expect(try await Sim.run(t, [0x8C, 0x00, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x10, 0x00, 0, 0], in: 4096).senseTriple == [0x05, 0x24, 0x00])
    }

    @Test func volumeChangeReferenceMovesOnWrite() async throws {
        let lib = try Sim.library()
        let t = try await Sim.load(lib, slot: 1)
        func vcr() async throws -> Int {
            let r = try await Sim.run(t, [0x8C, 0x00, 0, 0, 0, 0, 0, 0, 0x00, 0x09, 0, 0, 0x00, 0x10, 0, 0], in: 16)
            #expect(Sim.u16(r.data, 4) == 0x0009)
            return Sim.u32(r.data, 9)
        }
        let before = try await vcr()
        #expect(try await Sim.send(t, [0x0A, 0, 0, 0, 1, 0], [1]).status == .good)
        #expect(try await vcr() == before + 1)
        #expect(try await Sim.send(t, [0x0A, 0, 0, 0, 1, 0], [2]).status == .good)
        #expect(try await vcr() == before + 1)  // once per mount
    }

    @Test func longEraseWithImmediateReportsProgress() async throws {
        let lib = try Sim.library { $0.capacityScale = 1e-3 }
        let t = try await Sim.load(lib, slot: 1)
        #expect(try await Sim.send(t, [0x0A, 0, 0, 0, 1, 0], [1]).status == .good)
        #expect(try await Sim.run(t, [0x01, 0, 0, 0, 0, 0]).status == .good)
        // ERASE(6) (SSC-4 table 13): LONG | IMMED.
        #expect(try await Sim.run(t, [0x19, 0x03, 0, 0, 0, 0]).status == .good)
        // NOT READY 04h/07h with SKSV and the progress indication in bytes 16–17; in instant
        // mode each poll moves virtual time a quarter of the way.
        var seen: [Int] = []
        for _ in 0..<4 {
            let r = try await Sim.run(t, [0x00, 0, 0, 0, 0, 0])
            #expect(r.senseTriple == [0x02, 0x04, 0x07])
            #expect(r.sense[15] == 0x80)
            seen.append(Sim.u16(r.sense, 16))
        }
        #expect(seen == [0, 0x4000, 0x8000, 0xC000])
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).status == .good)
        #expect(lib.withCartridge("A00001L8") { $0.partitions[0].objects.count } == 0)
    }

    @Test func requestSenseShowsProgressDuringFormat() async throws {
        let lib = try Sim.library()
        let t = try await Sim.load(lib, slot: 1)
        #expect(try await Sim.run(t, [0x04, 0x01, 0x00, 0, 0, 0]).status == .good)
        let rs = try await Sim.run(t, [0x03, 0, 0, 0, 18, 0], in: 18)
        #expect(rs.status == .good)
        #expect([rs.data[2] & 0x0F, rs.data[12], rs.data[13], rs.data[15]] == [0x02, 0x04, 0x07, 0x80])
        lib.advanceClock(by: .seconds(3_600))
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).status == .good)
    }

    @Test func cleaningCycle() async throws {
        let lib = try Sim.library()
        lib.requireCleaning(drive: 0)
        #expect(try await Sim.move(lib, from: lib.elementAddress(.slot(8)), to: lib.elementAddress(.drive(0))).status == .good)
        let t = lib.driveTransport(0)
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x06, 0x28, 0x00])
        // While cleaning: NOT READY 30h/03h.
        var polls = 0
        while try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x02, 0x30, 0x03] { polls += 1 }
        #expect(polls == 4)
        // Done: the cleaner is ejected, one use spent, TapeAlert 14h gone.
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x02, 0x3A, 0x00])
        #expect(lib.withCartridge("CLN001L1") { $0.cleaningUsesLeft } == 49)
        let ta = try await Sim.run(t, Self.logSense(0x12), in: 4096)
        #expect(ta.data[8...].allSatisfy { $0 == 0 })
        #expect(try await Sim.move(lib, from: lib.elementAddress(.drive(0)), to: lib.elementAddress(.slot(8))).status == .good)
    }

    @Test func cleaningFinishedWhileNobodyPolled() async throws {
        let lib = try Sim.library()
        #expect(try await Sim.move(lib, from: lib.elementAddress(.slot(8)), to: lib.elementAddress(.drive(0))).status == .good)
        // Moving the cleaner out mid-cycle is refused: the drive is NOT READY, cleaning.
        #expect(try await Sim.move(lib, from: lib.elementAddress(.drive(0)), to: lib.elementAddress(.slot(8))).senseTriple == [0x02, 0x30, 0x03])
        lib.advanceClock(by: .seconds(120))
        #expect(try await Sim.move(lib, from: lib.elementAddress(.drive(0)), to: lib.elementAddress(.slot(8))).status == .good)
        #expect(lib.withCartridge("CLN001L1") { $0.cleaningUsesLeft } == 49)
    }

    @Test func expiredCleanerIsEjectedWithTapeAlert16h() async throws {
        let lib = try Sim.library { $0.cartridges[6].cleaningUsesLeft = 0 }
        #expect(try await Sim.move(lib, from: lib.elementAddress(.slot(8)), to: lib.elementAddress(.drive(0))).status == .good)
        let t = lib.driveTransport(0)
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x06, 0x28, 0x00])
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x03, 0x30, 0x07])
        let ta = try await Sim.run(t, Self.logSense(0x2E), in: 4096)
        #expect(ta.data[4 + 21 * 5 + 4] == 0x01)  // parameter 0016h
    }
}
