import SCSI
import Testing
@testable import HWSim

/// MODE SENSE on the changer (SMC-3 7.3: pages 1Dh, 1Eh, 1Fh).
@Suite struct ChangerModeSenseTests {
    /// The Element Address Assignment page of the autoloader (SMC-3 table 102).
    static let autoloaderPage1D: [UInt8] = [
        0x1D, 0x12,
        0x00, 0x01, 0x00, 0x01,   // transport 0001h, 1
        0x10, 0x00, 0x00, 0x08,   // storage 1000h, 8
        0x00, 0x00, 0x00, 0x00,   // import/export: none
        0x01, 0x00, 0x00, 0x01,   // data transfer 0100h, 1
        0x00, 0x00,
    ]

    @Test func mtxStyleModeSense6WithDBD() async throws {
        let lib = try Sim.library()
        // mtx: MODE SENSE(6) (SPC-4 table 198) DBD set, page 1Dh, allocation length 88h.
        let r = try await Sim.run(lib.changerTransport, [0x1A, 0x08, 0x1D, 0x00, 0x88, 0x00], in: 0x88)
        #expect(r.status == .good)
        // Mode parameter header(6) (SPC-4 table 453): mode data length 23, no block descriptor.
        #expect(r.data == [0x17, 0x00, 0x00, 0x00] + Self.autoloaderPage1D)
        #expect(r.residual == 0x88 - 24)
    }

    @Test func linuxChDriverModeSense6WithoutDBD() async throws {
        let lib = try Sim.library()
        let r = try await Sim.run(lib.changerTransport, [0x1A, 0x00, 0x1D, 0x00, 0xFF, 0x00], in: 255)
        #expect(r.data == [0x17, 0x00, 0x00, 0x00] + Self.autoloaderPage1D)
    }

    @Test func modeSense10AllPages() async throws {
        let lib = try Sim.library("midsize")
        // MODE SENSE(10) (SPC-4 table 200): page 3Fh, allocation length bytes 7–8.
        let r = try await Sim.run(lib.changerTransport, [0x5A, 0x08, 0x3F, 0x00, 0, 0, 0, 0x01, 0x00, 0x00], in: 256)
        #expect(r.status == .good)
        // Header(10) (SPC-4 table 454): length = 6 + 20 + 4 + 20.
        #expect(Array(r.data[0..<8]) == [0x00, 0x32, 0, 0, 0, 0, 0x00, 0x00])
        #expect(Array(r.data[8..<28]) == [0x1D, 0x12, 0x00, 0x01, 0x00, 0x01, 0x10, 0x00, 0x00, 0x50,
                                          0x00, 0x10, 0x00, 0x05, 0x01, 0x00, 0x00, 0x04, 0x00, 0x00])
        // Transport Geometry (SMC-3 table 110): one transport, no rotation.
        #expect(Array(r.data[28..<32]) == [0x1E, 0x02, 0x00, 0x00])
        // Device Capabilities (SMC-3 table 104): ST, I/E and DT store and move everywhere.
        #expect(Array(r.data[32..<52]) == [0x1F, 0x12, 0x0E, 0x00, 0x0E, 0x0E, 0x0E, 0x0E, 0, 0, 0, 0,
                                           0x0E, 0x0E, 0x0E, 0x0E, 0, 0, 0, 0])
        #expect(r.data.count == 52)
    }

    @Test func unsupportedPageAndSavedValues() async throws {
        let lib = try Sim.library()
        let bad = try await Sim.run(lib.changerTransport, [0x1A, 0x08, 0x0F, 0x00, 0xFF, 0x00], in: 255)
        #expect(bad.senseTriple == [0x05, 0x24, 0x00])
        // PC = 11b (saved values): SAVING PARAMETERS NOT SUPPORTED (SPC-4 39h/00h).
        let saved = try await Sim.run(lib.changerTransport, [0x1A, 0x08, 0xDD, 0x00, 0xFF, 0x00], in: 255)
        #expect(saved.senseTriple == [0x05, 0x39, 0x00])
    }

    @Test func modeSense10RefusedQuirk() async throws {
        let lib = try Sim.library { $0.quirks.modeSense10Refused = true }
        let r = try await Sim.run(lib.changerTransport, [0x5A, 0x08, 0x1D, 0, 0, 0, 0, 0, 0xFF, 0], in: 255)
        #expect(r.senseTriple == [0x05, 0x20, 0x00])
        #expect(try await Sim.run(lib.changerTransport, [0x1A, 0x08, 0x1D, 0, 0xFF, 0], in: 255).status == .good)
    }
}
