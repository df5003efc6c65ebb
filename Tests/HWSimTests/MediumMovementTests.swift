import SCSI
import Testing
@testable import HWSim

/// MOVE MEDIUM (SMC-3 table 34), EXCHANGE MEDIUM (table 16) and the element commands.
@Suite struct MediumMovementTests {
    static func moveCDB(_ src: UInt16, _ dst: UInt16, transport: UInt16 = 0, byte10: UInt8 = 0, byte11: UInt8 = 0) -> [UInt8] {
        [0xA5, 0x00, UInt8(transport >> 8), UInt8(transport & 0xFF), UInt8(src >> 8), UInt8(src & 0xFF),
         UInt8(dst >> 8), UInt8(dst & 0xFF), 0, 0, byte10, byte11]
    }

    @Test func loadIntoDriveAndBack() async throws {
        let lib = try Sim.library()
        let slot1: UInt16 = 0x1000, drive: UInt16 = 0x100
        #expect(try await Sim.run(lib.changerTransport, Self.moveCDB(slot1, drive, transport: 1)).status == .good)
        #expect(lib.barcode(at: .drive(0)) == "A00001L8")
        #expect(lib.barcode(at: .slot(1)) == nil)
        // The data transfer element is FULL with SVALID and source 1000h (SMC-3 table 64).
        let r = try await Sim.run(lib.changerTransport, ElementStatusTests.res(type: 4, voltag: true), in: 0xFFFF)
        #expect(Array(r.data[16..<28]) == [0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x81, 0x10, 0x00])
        #expect(Array(r.data[28..<36]) == Array("A00001L8".utf8))
        // The drive reports the medium change once, then is ready.
        let t = lib.driveTransport(0)
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x06, 0x28, 0x00])
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).status == .good)
        // Back to its slot: the robot takes it without an UNLOAD (the drive ejects it).
        #expect(try await Sim.run(lib.changerTransport, Self.moveCDB(drive, slot1)).status == .good)
        #expect(lib.barcode(at: .slot(1)) == "A00001L8")
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x02, 0x3A, 0x00])
    }

    @Test func errorsLeaveStateUnchanged() async throws {
        let lib = try Sim.library()
        let t = lib.changerTransport
        let before = try await Sim.run(t, ElementStatusTests.res(type: 0, voltag: true), in: 0xFFFF).data
        // Source empty: 5/3B/0E.
        #expect(try await Sim.run(t, Self.moveCDB(0x1006, 0x100)).senseTriple == [0x05, 0x3B, 0x0E])
        // Destination full: 5/3B/0D.
        #expect(try await Sim.run(t, Self.moveCDB(0x1000, 0x1001)).senseTriple == [0x05, 0x3B, 0x0D])
        // No such element: 5/21/01; wrong transport address too.
        #expect(try await Sim.run(t, Self.moveCDB(0x1000, 0x2000)).senseTriple == [0x05, 0x21, 0x01])
        #expect(try await Sim.run(t, Self.moveCDB(0x1000, 0x100, transport: 7)).senseTriple == [0x05, 0x21, 0x01])
        // INVERT is not supported (no rotation in page 1Eh): 5/24/00.
        #expect(try await Sim.run(t, Self.moveCDB(0x1000, 0x100, byte10: 0x01)).senseTriple == [0x05, 0x24, 0x00])
        let after = try await Sim.run(t, ElementStatusTests.res(type: 0, voltag: true), in: 0xFFFF).data
        #expect(before == after)
    }

    @Test func driveRemovalPrevented() async throws {
        let lib = try Sim.library()
        let t = try await Sim.load(lib, slot: 2)
        // PREVENT ALLOW MEDIUM REMOVAL (SPC-4 table 160): PREVENT = 01b.
        #expect(try await Sim.run(t, [0x1E, 0, 0, 0, 0x01, 0]).status == .good)
        #expect(try await Sim.run(lib.changerTransport, Self.moveCDB(0x100, 0x1001)).senseTriple == [0x05, 0x53, 0x02])
        #expect(lib.barcode(at: .drive(0)) == "A00002L8")
        #expect(try await Sim.run(t, [0x1E, 0, 0, 0, 0x00, 0]).status == .good)
        #expect(try await Sim.run(lib.changerTransport, Self.moveCDB(0x100, 0x1001)).status == .good)
    }

    @Test func unloadThenMove() async throws {
        let lib = try Sim.library()
        let t = try await Sim.load(lib, slot: 3)
        // LOAD/UNLOAD (SSC-4 table 22) with LOAD = 0.
        #expect(try await Sim.run(t, [0x1B, 0, 0, 0, 0x00, 0]).status == .good)
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x02, 0x3A, 0x00])
        #expect(try await Sim.run(lib.changerTransport, Self.moveCDB(0x100, 0x1002)).status == .good)
        #expect(lib.barcode(at: .slot(3)) == "A00003L8")
    }

    @Test func exchangeMedium() async throws {
        let lib = try Sim.library()
        _ = try await Sim.load(lib, slot: 1)
        // EXCHANGE MEDIUM: drive → slot 7 (empty) while slot 2 → drive, i.e. source slot 2,
        // first destination the drive, second destination slot 7.
        let cdb: [UInt8] = [0xA6, 0, 0, 0, 0x10, 0x01, 0x01, 0x00, 0x10, 0x06, 0, 0]
        #expect(try await Sim.run(lib.changerTransport, cdb).status == .good)
        #expect(lib.barcode(at: .drive(0)) == "A00002L8")
        #expect(lib.barcode(at: .slot(7)) == "A00001L8")
        #expect(lib.barcode(at: .slot(2)) == nil)
        // Second destination full: 5/3B/0D.
        let full: [UInt8] = [0xA6, 0, 0, 0, 0x10, 0x02, 0x01, 0x00, 0x10, 0x03, 0, 0]
        #expect(try await Sim.run(lib.changerTransport, full).senseTriple == [0x05, 0x3B, 0x0D])
    }

    @Test func mailSlotImportExport() async throws {
        let lib = try Sim.library("midsize")
        let t = lib.changerTransport
        // Import: mail slot 1 (0010h) to empty slot 61 (1000h + 60).
        #expect(try await Sim.run(t, Self.moveCDB(0x0010, 0x103C)).status == .good)
        #expect(lib.barcode(at: .slot(61)) == "E00001L9")
        // Export slot 1 to mail slot 3 and extend the mail slot (EEPOS 10b, byte 10 bits 2–1).
        #expect(try await Sim.run(t, Self.moveCDB(0x1000, 0x0012, byte10: 0x04)).status == .good)
        #expect(lib.mailSlotIsOpen)
        // Exported: IMPEXP clear (placed by the robot), ACCESS clear while open.
        let r = try await Sim.run(t, ElementStatusTests.res(type: 3, voltag: true, start: 0x12, count: 1), in: 0xFFFF)
        #expect(r.data[18] == 0x31)
        #expect(Array(r.data[25..<28]) == [0x80 | 0x01, 0x10, 0x00])
        // The robot cannot reach an open mail slot.
        #expect(try await Sim.run(t, Self.moveCDB(0x0012, 0x1000)).senseTriple == [0x02, 0x3B, 0x11])
        // The operator takes it; the changer reports 6/28/01.
        #expect(try lib.operatorRemove(mailSlot: 3) == "B00001L8")
        #expect(try await Sim.run(t, [0x00, 0, 0, 0, 0, 0]).senseTriple == [0x06, 0x28, 0x01])
        // CLOSE IMPORT EXPORT ELEMENT.
        #expect(try await Sim.run(t, [0x1B, 0, 0x00, 0x12, 0x01, 0]).status == .good)
        // OPEN on a storage address is invalid.
        #expect(try await Sim.run(t, [0x1B, 0, 0x10, 0x00, 0x00, 0]).senseTriple == [0x05, 0x21, 0x01])
    }

    @Test func preventBlocksMailSlotOpening() async throws {
        let lib = try Sim.library("midsize")
        let t = lib.changerTransport
        #expect(try await Sim.run(t, [0x1E, 0, 0, 0, 0x01, 0]).status == .good)
        #expect(try await Sim.run(t, [0x1B, 0, 0x00, 0x10, 0x00, 0]).senseTriple == [0x05, 0x53, 0x02])
        #expect(try await Sim.run(t, [0x1E, 0, 0, 0, 0x00, 0]).status == .good)
        #expect(try await Sim.run(t, [0x1B, 0, 0x00, 0x10, 0x00, 0]).status == .good)
    }

    @Test func positionAndInitializeElementStatus() async throws {
        let lib = try Sim.library()
        let t = lib.changerTransport
        // POSITION TO ELEMENT (SMC-3 table 40).
        #expect(try await Sim.run(t, [0x2B, 0, 0, 1, 0x10, 0x00, 0, 0, 0, 0]).status == .good)
        #expect(try await Sim.run(t, [0x2B, 0, 0, 1, 0x20, 0x00, 0, 0, 0, 0]).senseTriple == [0x05, 0x21, 0x01])
        // INITIALIZE ELEMENT STATUS (SMC-3 table 20) and WITH RANGE (table 18).
        #expect(try await Sim.run(t, [0x07, 0, 0, 0, 0, 0]).status == .good)
        #expect(try await Sim.run(t, [0x37, 0x01, 0x10, 0x00, 0, 0, 0x00, 0x08, 0, 0]).status == .good)
    }

    @Test func cartridgeFromOperatorNeedsFreeMailSlot() async throws {
        let lib = try Sim.library("midsize")
        #expect(throws: (any Error).self) {
            try lib.operatorInsert(CartridgeProfile(barcode: "X00001L9", generation: .lto9, location: .mailSlot(1)), mailSlot: 1)
        }
        try lib.operatorInsert(CartridgeProfile(barcode: "X00001L9", generation: .lto9, location: .mailSlot(5)), mailSlot: 5)
        #expect(lib.barcode(at: .mailSlot(5)) == "X00001L9")
    }
}
