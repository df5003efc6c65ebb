import Foundation
import SCSI
import Testing
@testable import HWSim

/// The SCSI sequence of an LTFS format (ltfs.md, "SCSI sequence of a format") run against a
/// simulated drive leaves a cartridge whose saved directory has the reference layout.
@Suite struct LTFSFormatSequenceTests {
    @Test func formatLikeMkltfs() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hwsim-ltfs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let lib = try SimulatedLibrary(profile: {
            var p = try LibraryProfile.named("autoloader")
            p.powerOnUnitAttention = false
            p.capacityScale = 1e-3
            return p
        }(), stateDirectory: dir)
        let t = try await Sim.load(lib, slot: 1)
        // 1. LOAD, SET CAPACITY to full.
        #expect(try await Sim.run(t, [0x1B, 0, 0, 0, 0x01, 0]).status == .good)
        #expect(try await Sim.run(t, [0x0B, 0, 0, 0xFF, 0xFF, 0]).status == .good)
        // 2. MODE SENSE(10) page 11h, MODE SELECT(10) PF: one additional partition, IDP,
        //    PSUM 11b, units 10^9, sizes 1 and FFFFh.
        var page = try await Sim.run(t, [0x5A, 0x08, 0x11, 0, 0, 0, 0, 0, 0xFF, 0], in: 255).data
        page[0] = 0; page[1] = 0
        page[11] = 1; page[12] = 0x38; page[14] = 9
        page[16] = 0; page[17] = 1; page[18] = 0xFF; page[19] = 0xFF
        #expect(try await Sim.send(t, [0x55, 0x10, 0, 0, 0, 0, 0, 0, UInt8(page.count), 0], page).status == .good)
        // 3. FORMAT MEDIUM, F = 01h.
        #expect(try await Sim.run(t, [0x04, 0x00, 0x01, 0x00, 0x00, 0x00]).status == .good)
        // 5. Partition b (1) then a (0): VOL1, FM, label, FM, FM, index, FM.
        for p: UInt8 in [1, 0] {
            #expect(try await Sim.run(t, [0x92, 0x02, 0, p, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).status == .good)
            for step in ["VOL1", "F", "label", "F", "F", "index", "F"] {
                let r: SCSIResult
                switch step {
                case "F": r = try await Sim.run(t, [0x10, 0x01, 0, 0, 1, 0])
                case "VOL1": r = try await Sim.send(t, [0x0A, 0, 0, 0, 80, 0], [UInt8](repeating: 0x20, count: 80))
                default: r = try await Sim.send(t, [0x0A, 0, 0, 0x01, 0x00, 0], [UInt8](repeating: 0x3C, count: 256))
                }
                #expect(r.status == .good)
            }
        }
        // 6. MAM attributes on partition 0, then 080Ch on each partition.
        func attribute(_ id: UInt16, _ format: UInt8, _ value: [UInt8], partition: UInt8 = 0) async throws {
            let a = [UInt8(id >> 8), UInt8(id & 0xFF), format, UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
            let list = [0, 0, UInt8(a.count >> 8), UInt8(a.count & 0xFF)] + a
            let cdb: [UInt8] = [0x8D, 0x01, 0, 0, 0, 0, 0, partition, 0, 0, 0, 0, UInt8(list.count >> 8), UInt8(list.count & 0xFF), 0, 0]
            #expect(try await Sim.send(t, cdb, list).status == .good)
        }
        try await attribute(0x0800, 1, Array("TAPELIB ".utf8))
        try await attribute(0x0801, 1, ResponseBuffer.ascii("LTFS", width: 32))
        try await attribute(0x0802, 1, ResponseBuffer.ascii("1.0", width: 8))
        try await attribute(0x0803, 2, [UInt8](repeating: 0, count: 160))
        try await attribute(0x0805, 0, [0x81])
        try await attribute(0x0806, 1, ResponseBuffer.ascii("A00001", width: 32))
        try await attribute(0x0808, 2, [UInt8](repeating: 0, count: 160))
        try await attribute(0x080B, 1, ResponseBuffer.ascii("2.4.0", width: 16))
        try await attribute(0x080C, 0, [UInt8](repeating: 1, count: 70), partition: 0)
        try await attribute(0x080C, 0, [UInt8](repeating: 1, count: 70), partition: 1)
        // Log page 31h: both partitions have capacity.
        let cap = try await Sim.run(t, [0x4D, 0, 0x40 | 0x31, 0, 0, 0, 0, 0, 0xFF, 0], in: 255)
        #expect(Sim.u32(cap.data, 16) > 0 && Sim.u32(cap.data, 24) > 0)
        // Unload: the cartridge is saved in the reference layout; same files as a fresh
        // reference volume except IBM's vendor attribute 1623h.
        #expect(try await Sim.run(t, [0x1B, 0, 0, 0, 0x00, 0]).status == .good)
        let saved = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("cartridges/A00001L8").path).sorted()
        let reference = try #require(FixtureRoundTripTests.fixtures).appendingPathComponent("fresh_ABC123_named")
        let expected = try FileManager.default.contentsOfDirectory(atPath: reference.path).filter { $0 != "attr_0_1623" }.sorted()
        #expect(saved == expected)
    }
}
