import Foundation
import SCSI
import Testing
@testable import HWSim

/// Helpers shared by the hwsim tests: CDBs are written as literal bytes in each test.
enum Sim {
    /// A built-in profile with power-on unit attentions off unless asked for.
    static func library(_ name: String = "autoloader", unitAttention: Bool = false,
                        edit: (inout LibraryProfile) -> Void = { _ in }) throws -> SimulatedLibrary {
        var p = try LibraryProfile.named(name)
        p.powerOnUnitAttention = unitAttention
        edit(&p)
        return try SimulatedLibrary(profile: p)
    }

    static func run(_ t: SCSITransport, _ cdb: [UInt8], in length: Int = 0) async throws -> SCSIResult {
        try await t.execute(SCSICommand(cdb: cdb, transfer: length > 0 ? .fromDevice(allocationLength: length) : .none))
    }

    static func send(_ t: SCSITransport, _ cdb: [UInt8], _ data: [UInt8]) async throws -> SCSIResult {
        try await t.execute(SCSICommand(cdb: cdb, transfer: .toDevice(data)))
    }

    static func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) << 8 | Int(b[at + 1]) }
    static func u24(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) << 16 | u16(b, at + 1) }
    static func u32(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) << 24 | u24(b, at + 1) }

    /// MOVE MEDIUM (SMC-3 table 34).
    static func move(_ lib: SimulatedLibrary, from: UInt16, to: UInt16) async throws -> SCSIResult {
        try await run(lib.changerTransport, [0xA5, 0, 0, 0, UInt8(from >> 8), UInt8(from & 0xFF),
                                             UInt8(to >> 8), UInt8(to & 0xFF), 0, 0, 0, 0])
    }

    /// Loads slot `slot` into drive `drive` and returns the drive's transport.
    static func load(_ lib: SimulatedLibrary, slot: Int, drive: Int = 0) async throws -> SCSITransport {
        let r = try await move(lib, from: lib.elementAddress(.slot(slot)), to: lib.elementAddress(.drive(drive)))
        #expect(r.status == .good)
        let t = lib.driveTransport(drive)
        // The medium change is reported once (SPC-4 UNIT ATTENTION 6/28/00).
        let ua = try await run(t, [0x00, 0, 0, 0, 0, 0])
        #expect(ua.senseTriple == [0x06, 0x28, 0x00])
        return t
    }
}

extension SCSIResult {
    /// Sense key, ASC, ASCQ from fixed-format sense (SPC-4 table 48).
    var senseTriple: [UInt8] { sense.count >= 14 ? [sense[2] & 0x0F, sense[12], sense[13]] : [] }
    var information: Int32 { sense.count >= 7 ? Int32(bitPattern: UInt32(sense[3]) << 24 | UInt32(sense[4]) << 16 | UInt32(sense[5]) << 8 | UInt32(sense[6])) : 0 }
}
