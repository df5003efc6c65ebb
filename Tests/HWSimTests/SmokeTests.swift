import SCSI
import Testing
@testable import HWSim

@Suite struct SmokeTests {
    @Test func changerAndDriveRoundTrip() async throws {
        let lib = try Sim.library()
        // INQUIRY (SPC-4 table 176), 96 bytes: device type 08h for the changer.
        let inq = try await Sim.run(lib.changerTransport, [0x12, 0, 0, 0, 96, 0], in: 96)
        #expect(inq.status == .good)
        #expect(inq.data[0] == 0x08)
        let drive = try await Sim.load(lib, slot: 1)
        // WRITE(6) variable, 4 bytes (SSC-4 table 47).
        let w = try await Sim.send(drive, [0x0A, 0, 0, 0, 4, 0], [1, 2, 3, 4])
        #expect(w.status == .good)
        // REWIND then READ(6) variable 4 bytes.
        #expect(try await Sim.run(drive, [0x01, 0, 0, 0, 0, 0]).status == .good)
        let r = try await Sim.run(drive, [0x08, 0, 0, 0, 4, 0], in: 4)
        #expect(r.status == .good)
        #expect(r.data == [1, 2, 3, 4])
    }
}
