import Foundation
import SCSI
import Testing
@testable import HWSim

/// READ ELEMENT STATUS (SMC-3 6.11; CDB table 53, header table 55, page header table 56,
/// descriptors tables 58–64, volume tag table 67).
@Suite struct ElementStatusTests {
    /// READ ELEMENT STATUS CDB.
    static func res(type: UInt8, voltag: Bool, start: UInt16 = 0, count: UInt16 = 0xFFFF,
                    dvcid: Bool = false, curdata: Bool = true, allocation: Int = 0xFFFF, lunBits: UInt8 = 0) -> [UInt8] {
        [0xB8, lunBits | (voltag ? 0x10 : 0) | type, UInt8(start >> 8), UInt8(start & 0xFF),
         UInt8(count >> 8), UInt8(count & 0xFF), (curdata ? 0x02 : 0) | (dvcid ? 0x01 : 0),
         UInt8((allocation >> 16) & 0xFF), UInt8((allocation >> 8) & 0xFF), UInt8(allocation & 0xFF), 0, 0]
    }

    static func barcodeTag(_ s: String) -> [UInt8] {
        Array(s.utf8) + [UInt8](repeating: 0x20, count: 32 - s.utf8.count) + [0, 0, 0, 0]
    }

    @Test func allElementsWithVolumeTags() async throws {
        let lib = try Sim.library()
        let r = try await Sim.run(lib.changerTransport, Self.res(type: 0, voltag: true), in: 0xFFFF)
        #expect(r.status == .good)
        let d = r.data
        // Header: first address 0001h, 10 elements, byte count 3 pages: (8+52) + (8+52) + (8+8·52).
        #expect(Array(d[0..<8]) == [0x00, 0x01, 0x00, 0x0A, 0x00, 0x00, 0x02, 0x20])
        #expect(d.count == 8 + 544)
        // Page 1: medium transport, PVOLTAG, descriptor length 52, 52 bytes.
        #expect(Array(d[8..<16]) == [0x01, 0x80, 0x00, 0x34, 0x00, 0x00, 0x00, 0x34])
        #expect(Array(d[16..<28]) == [0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])
        #expect(Array(d[28..<68]) == [UInt8](repeating: 0, count: 40))
        // Page 2: data transfer, empty drive: ACCESS only.
        #expect(Array(d[68..<76]) == [0x04, 0x80, 0x00, 0x34, 0x00, 0x00, 0x00, 0x34])
        #expect(Array(d[76..<80]) == [0x01, 0x00, 0x08, 0x00])
        // Page 3: storage, 8 descriptors.
        #expect(Array(d[128..<136]) == [0x02, 0x80, 0x00, 0x34, 0x00, 0x00, 0x01, 0xA0] as [UInt8])
        // Slot 1: address 1000h, ACCESS|FULL, medium type 1 (data), tag A00001L8.
        let slot1 = Array(d[136..<188])
        #expect(Array(slot1[0..<12]) == [0x10, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00])
        #expect(Array(slot1[12..<48]) == Self.barcodeTag("A00001L8"))
        #expect(Array(slot1[48..<52]) == [0, 0, 0, 0])
        // Slot 7 is empty: ACCESS only, zero tag.
        let slot7 = Array(d[(136 + 6 * 52)..<(136 + 7 * 52)])
        #expect(Array(slot7[0..<4]) == [0x10, 0x06, 0x08, 0x00])
        #expect(Array(slot7[12..<48]) == [UInt8](repeating: 0, count: 36))
        // Slot 8: the cleaning cartridge, medium type 2.
        let slot8 = Array(d[(136 + 7 * 52)..<(136 + 8 * 52)])
        #expect(slot8[9] == 0x02)
        #expect(Array(slot8[12..<48]) == Self.barcodeTag("CLN001L1"))
    }

    @Test func mtxLunBitsAreIgnored() async throws {
        let lib = try Sim.library()
        let plain = try await Sim.run(lib.changerTransport, Self.res(type: 0, voltag: true), in: 0xFFFF)
        let withLun = try await Sim.run(lib.changerTransport, Self.res(type: 0, voltag: true, lunBits: 0x20), in: 0xFFFF)
        #expect(plain.data == withLun.data)
    }

    @Test func dataTransferWithT10Identifier() async throws {
        let lib = try Sim.library()
        let r = try await Sim.run(lib.changerTransport, Self.res(type: 4, voltag: false, dvcid: true), in: 0xFFFF)
        // One page, descriptor length 12 + 4 + 34 = 50.
        #expect(Array(r.data[0..<8]) == [0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 58])
        #expect(Array(r.data[8..<16]) == [0x04, 0x00, 0x00, 50, 0x00, 0x00, 0x00, 50])
        let desc = Array(r.data[16...])
        // Code set 2, identifier type 1, length 34: vendor (8), product (16), serial (10).
        #expect(Array(desc[12..<16]) == [0x02, 0x01, 0x00, 34])
        #expect(Array(desc[16..<50]) == Array("IBM     ULT3580-HH8     1097000001".utf8))
    }

    @Test func dataTransferIdentifierStyles() async throws {
        let lib = try Sim.library("midsize")
        // Drive 1 of midsize reports its serial only (code set 2, type 0); page descriptors are
        // padded to the longest identifier.
        let r = try await Sim.run(lib.changerTransport, Self.res(type: 4, voltag: true, dvcid: true), in: 0xFFFF)
        let length = Sim.u16(r.data, 10)
        #expect(length == 12 + 36 + 4 + 34)
        let second = Array(r.data[(16 + length)..<(16 + 2 * length)])
        #expect(Array(second[48..<52]) == [0x02, 0x00, 0x00, 10])
        #expect(Array(second[52..<62]) == Array("HU1820A002".utf8))
        #expect(Array(second[62..<86]) == [UInt8](repeating: 0, count: 24))
    }

    @Test func noIdentifierStyle() async throws {
        let lib = try Sim.library { p in p.drives[0].identifierStyle = .none }
        let r = try await Sim.run(lib.changerTransport, Self.res(type: 4, voltag: false, dvcid: true), in: 0xFFFF)
        #expect(Sim.u16(r.data, 10) == 16)
        #expect(Array(r.data[28..<32]) == [0, 0, 0, 0])
    }

    @Test func startingAddressAndCount() async throws {
        let lib = try Sim.library()
        // Storage elements from 1002h, 3 of them.
        let r = try await Sim.run(lib.changerTransport, Self.res(type: 2, voltag: true, start: 0x1002, count: 3), in: 0xFFFF)
        #expect(Array(r.data[0..<8]) == [0x10, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, UInt8(8 + 3 * 52)])
        #expect(Array(r.data[16..<18]) == [0x10, 0x02])
        #expect(Array(r.data[(16 + 2 * 52)..<(18 + 2 * 52)]) == [0x10, 0x04])
        // A starting address past every element: INVALID ELEMENT ADDRESS 21h/01h.
        let past = try await Sim.run(lib.changerTransport, Self.res(type: 2, voltag: true, start: 0x2000, count: 3), in: 0xFFFF)
        #expect(past.senseTriple == [0x05, 0x21, 0x01])
        // Element type code 5 is reserved.
        let bad = try await Sim.run(lib.changerTransport, Self.res(type: 5, voltag: true), in: 0xFFFF)
        #expect(bad.senseTriple == [0x05, 0x24, 0x00])
    }

    @Test func allocationLengthTruncatesButCountsStay() async throws {
        let lib = try Sim.library()
        // Header only: the byte count still tells the full size.
        let r = try await Sim.run(lib.changerTransport, Self.res(type: 0, voltag: true, allocation: 8), in: 8)
        #expect(r.data == [0x00, 0x01, 0x00, 0x0A, 0x00, 0x00, 0x02, 0x20])
        let partial = try await Sim.run(lib.changerTransport, Self.res(type: 0, voltag: true, allocation: 100), in: 0xFFFF)
        #expect(partial.data.count == 100)
        #expect(partial.residual == 0xFFFF - 100)
    }

    @Test func sixteenBitAllocationQuirk() async throws {
        let lib = try Sim.library { $0.quirks.sixteenBitAllocationLength = true }
        // 0x010000 has low 2 bytes of zero: such a changer returns nothing.
        let r = try await Sim.run(lib.changerTransport, Self.res(type: 0, voltag: true, allocation: 0x10000), in: 0x10000)
        #expect(r.status == .good)
        #expect(r.data.isEmpty)
        let ok = try await Sim.run(lib.changerTransport, Self.res(type: 0, voltag: true, allocation: 0xFFFF), in: 0xFFFF)
        #expect(ok.data.count == 552)
    }

    @Test func dvcidWithVoltagRefusedQuirk() async throws {
        let lib = try Sim.library { $0.quirks.dvcidWithVoltagRefused = true }
        let both = try await Sim.run(lib.changerTransport, Self.res(type: 4, voltag: true, dvcid: true), in: 0xFFFF)
        #expect(both.senseTriple == [0x05, 0x24, 0x00])
        let alone = try await Sim.run(lib.changerTransport, Self.res(type: 4, voltag: false, dvcid: true), in: 0xFFFF)
        #expect(alone.status == .good)
    }

    @Test func overlappingPagesQuirk() async throws {
        let lib = try Sim.library { $0.quirks.overlappingElementPages = true }
        let r = try await Sim.run(lib.changerTransport, Self.res(type: 0, voltag: true), in: 0xFFFF)
        // tgt: each page starts 8 bytes early, so 3 pages lose 16 bytes.
        #expect(r.data.count == 536)  // 8 + 544 − 16
        // The second page header sits where the first page's last 8 descriptor bytes were.
        #expect(Array(r.data[60..<64]) == [0x04, 0x80, 0x00, 0x34])
        // Per-type requests are correct.
        let storage = try await Sim.run(lib.changerTransport, Self.res(type: 2, voltag: true), in: 0xFFFF)
        #expect(storage.data.count == 432)  // 8 + 8 + 8 · 52
    }

    @Test func importExportFlags() async throws {
        let lib = try Sim.library("midsize")
        let r = try await Sim.run(lib.changerTransport, Self.res(type: 3, voltag: true), in: 0xFFFF)
        #expect(Array(r.data[0..<4]) == [0x00, 0x10, 0x00, 0x05])
        // Mail slot 1 holds E00001L9 placed by the operator: INENAB, EXENAB, ACCESS, IMPEXP, FULL.
        #expect(Array(r.data[16..<19]) == [0x00, 0x10, 0x3B])
        #expect(Array(r.data[28..<36]) == Array("E00001L9".utf8))
        // Mail slot 3 is empty: INENAB, EXENAB, ACCESS.
        #expect(r.data[16 + 2 * 52 + 2] == 0x38)
        // OPEN IMPORT EXPORT ELEMENT (SMC-3 table 30): ACCESS drops while it is open.
        #expect(try await Sim.run(lib.changerTransport, [0x1B, 0, 0x00, 0x10, 0x00, 0]).status == .good)
        let open = try await Sim.run(lib.changerTransport, Self.res(type: 3, voltag: true), in: 0xFFFF)
        #expect(open.data[18] == 0x33)
        #expect(try await Sim.run(lib.changerTransport, [0x1B, 0, 0x00, 0x10, 0x01, 0]).status == .good)
        #expect(!lib.mailSlotIsOpen)
    }

    @Test func largeLibraryFullReportIsFast() async throws {
        let lib = try SimulatedLibrary(profile: .large())
        _ = try await Sim.run(lib.changerTransport, [0x00, 0, 0, 0, 0, 0])
        let clock = ContinuousClock()
        var elements = 0
        let elapsed = try await clock.measure {
            let r = try await Sim.run(lib.changerTransport, Self.res(type: 0, voltag: true, allocation: 0xFF_FFFF), in: 0xFF_FFFF)
            // Walk pages and descriptors as a parser would.
            var at = 8
            while at + 8 <= r.data.count {
                let length = Sim.u16(r.data, at + 2)
                let bytes = Sim.u24(r.data, at + 5)
                elements += bytes / length
                at += 8 + bytes
            }
        }
        #expect(elements == 1 + 10_000 + 40 + 24)
        // The bench target (release) is 20 ms, measured ≈ 1 ms; an unoptimised build on a
        // shared machine gets room.
        #expect(elapsed < .seconds(2))
    }
}

/// Paging through a large library as PBS does (1,000 elements per request).
@Suite struct ElementStatusPagingTests {
    @Test func pagingVisitsEveryElementOnce() async throws {
        var profile = LibraryProfile.large()
        profile.powerOnUnitAttention = false
        let lib = try SimulatedLibrary(profile: profile)
        var next = 0
        var seen: [Int] = []
        var barcodes = 0
        while true {
            let cdb = ElementStatusTests.res(type: 0, voltag: true, start: UInt16(next), count: 1_000, allocation: 0xFF_FFFF)
            let r = try await Sim.run(lib.changerTransport, cdb, in: 0xFF_FFFF)
            if r.senseTriple == [0x05, 0x21, 0x01] { break }  // past the last element
            #expect(r.status == .good)
            let count = Sim.u16(r.data, 2)
            #expect(count <= 1_000)
            var at = 8
            while at + 8 <= r.data.count {
                let length = Sim.u16(r.data, at + 2)
                let bytes = Sim.u24(r.data, at + 5)
                var d = at + 8
                while d < at + 8 + bytes {
                    seen.append(Sim.u16(r.data, d))
                    if r.data[d + 2] & 0x01 != 0 && r.data[d + 12] != 0x20 { barcodes += 1 }
                    d += length
                }
                at += 8 + bytes
            }
            guard let last = seen.last else { break }
            next = last + 1
        }
        // Transport 1, mail slots 10h…37h, drives 100h…117h, storage 1000h…370Fh, in order.
        let expected = [1] + Array(0x10..<0x38) + Array(0x100..<0x118) + Array(0x1000..<(0x1000 + 10_000))
        #expect(seen == expected)
        #expect(barcodes == 9_520)
    }
}
