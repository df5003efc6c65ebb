import SCSI
import Testing
@testable import HWSim

/// Drive MODE SENSE/SELECT (SPC-4 tables 198/200/192/194, SSC-4 8.3) and FORMAT MEDIUM with
/// the Medium Partition page, as LTFS issues them (ltfs.md, "SCSI sequence of a format").
@Suite struct DriveModeAndFormatTests {
    @Test func blockDescriptorAndPages() async throws {
        let lib = try Sim.library()
        let t = try await Sim.load(lib, slot: 1)
        // MODE SENSE(6) without DBD, page 0Fh: header, 8-byte block descriptor, page.
        let r = try await Sim.run(t, [0x1A, 0x00, 0x0F, 0, 255, 0], in: 255)
        #expect(Array(r.data[0..<4]) == [UInt8(3 + 8 + 16), 0x00, 0x10, 0x08])
        // Block descriptor (SSC-4 table 73): density 5Eh (LTO-8), variable block length.
        #expect(Array(r.data[4..<12]) == [0x5E, 0, 0, 0, 0, 0, 0, 0])
        // Data Compression page (SSC-4 table 96): DCE|DCC, DDE.
        #expect(Array(r.data[12..<16]) == [0x0F, 0x0E, 0xC0, 0x80])
        // MODE SENSE(10), DBD, page 3Fh: 0Fh, 10h, 11h, 1Dh.
        let all = try await Sim.run(t, [0x5A, 0x08, 0x3F, 0, 0, 0, 0, 0x01, 0x00, 0], in: 256)
        #expect(Sim.u16(all.data, 0) == 6 + 16 + 16 + 12 + 32)
        #expect(Sim.u16(all.data, 6) == 0)
        #expect(all.data[8] == 0x0F)
        #expect(all.data[24] == 0x10)
        #expect(all.data[40] == 0x11)
        #expect(all.data[52] == 0x1D)
        // Compression off via MODE SELECT(6) with page 0Fh; DCE reads back clear.
        let page: [UInt8] = [0x0F, 0x0E, 0x40, 0x80, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]
        #expect(try await Sim.send(t, [0x15, 0x10, 0, 0, 20, 0], [0, 0, 0, 0] + page).status == .good)
        let after = try await Sim.run(t, [0x1A, 0x08, 0x0F, 0, 255, 0], in: 255)
        #expect(after.data[6] == 0x40)
        // An unknown page in MODE SELECT: 5/26/00 and nothing changes.
        let bad = try await Sim.send(t, [0x15, 0x10, 0, 0, 8, 0], [0, 0, 0, 0, 0x2A, 0x02, 0, 0])
        #expect(bad.senseTriple == [0x05, 0x26, 0x00])
        // Parameter list shorter than the CDB says: 5/1A/00.
        #expect(try await Sim.send(t, [0x15, 0x10, 0, 0, 40, 0], [0, 0, 0, 0]).senseTriple == [0x05, 0x1A, 0x00])
    }

    /// LTFS: MODE SENSE(10) page 11h, one additional partition, IDP, PSUM 11b, units 10^9,
    /// sizes 1 and FFFFh; MODE SELECT(10) with PF; FORMAT MEDIUM format 01h.
    @Test func ltfsStylePartitioning() async throws {
        let lib = try Sim.library { $0.capacityScale = 1e-3 }  // LTO-8: 12 GB
        let t = try await Sim.load(lib, slot: 1)
        let sensed = try await Sim.run(t, [0x5A, 0x08, 0x11, 0, 0, 0, 0, 0, 0xFF, 0], in: 255)
        var list = sensed.data
        // Medium Partition page (SSC-4 table 103) after the 8-byte header: one partition now.
        #expect(Array(list[8..<18]) == [0x11, 0x0A, 0x01, 0x00, 0x1C, 0x03, 0x06, 0x00, 0x2E, 0xE0])  // 12,000 × 10^6
        list[0] = 0; list[1] = 0
        list[8 + 3] = 1
        list[8 + 4] = 0x20 | 0x18           // IDP, PSUM 11b
        list[8 + 6] = 9                     // units 10^9
        list[8 + 8] = 0x00; list[8 + 9] = 0x01
        list[8 + 10] = 0xFF; list[8 + 11] = 0xFF
        let select = try await Sim.send(t, [0x55, 0x10, 0, 0, 0, 0, 0, 0, UInt8(list.count), 0], list)
        #expect(select.status == .good)
        // FORMAT MEDIUM (SSC-4 table 10): `04 00 01 00 00 00`.
        #expect(try await Sim.run(t, [0x04, 0x00, 0x01, 0x00, 0x00, 0x00]).status == .good)
        let partitions = lib.withCartridge("A00001L8") { $0.partitions.map { $0.capacity } } ?? []
        #expect(partitions == [1_000_000_000, 11_000_000_000])
        // Page 11h now shows one additional partition, IDP set.
        let now = try await Sim.run(t, [0x5A, 0x08, 0x11, 0, 0, 0, 0, 0, 0xFF, 0], in: 255)
        #expect(Array(now.data[10..<13]) == [0x01, 0x01, 0x3C])
        // LOCATE(16) to partition 1 and write there; log page 31h shows both partitions.
        #expect(try await Sim.run(t, [0x92, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).status == .good)
        #expect(try await Sim.send(t, [0x0A, 0, 0, 0, 80, 0], [UInt8](repeating: 0x20, count: 80)).status == .good)
        let pos = try await Sim.run(t, [0x34, 0x00, 0, 0, 0, 0, 0, 0, 0, 0], in: 20)
        #expect(pos.data[1] == 1)
        #expect(Sim.u32(pos.data, 4) == 1)
        let cap = try await Sim.run(t, [0x4D, 0x00, 0x40 | 0x31, 0, 0, 0, 0, 0, 0xFF, 0], in: 255)
        // Tape Capacity page: four 4-byte parameters in MB (10^6 bytes).
        #expect(Array(cap.data[0..<4]) == [0x31, 0x00, 0x00, 0x20])
        #expect(Sim.u32(cap.data, 4 + 4) == 1_000)
        #expect(Sim.u32(cap.data, 4 + 8 + 4) == 10_999)
        #expect(Sim.u32(cap.data, 4 + 16 + 4) == 1_000)
        #expect(Sim.u32(cap.data, 4 + 24 + 4) == 11_000)
        // FORMAT MEDIUM format 00h returns to one partition.
        #expect(try await Sim.run(t, [0x04, 0x00, 0x00, 0x00, 0x00, 0x00]).status == .good)
        #expect(lib.withCartridge("A00001L8") { $0.partitions.count } == 1)
    }

    @Test func partitionPageRejectsTooManyPartitions() async throws {
        let lib = try Sim.library()
        let t = try await Sim.load(lib, slot: 1)
        let page: [UInt8] = [0x11, 0x0A, 0x01, 0x03, 0x38, 0x03, 0x09, 0x00, 0, 1, 0xFF, 0xFF]
        let r = try await Sim.send(t, [0x55, 0x10, 0, 0, 0, 0, 0, 0, 20, 0], [0, 0, 0, 0, 0, 0, 0, 0] + page)
        #expect(r.senseTriple == [0x05, 0x26, 0x00])
    }

    @Test func setCapacityAndDensitySupport() async throws {
        let lib = try Sim.library { $0.capacityScale = 1e-3 }
        let t = try await Sim.load(lib, slot: 1)
        // SET CAPACITY (SSC-4 table 31): proportion 8000h of 65535.
        #expect(try await Sim.run(t, [0x0B, 0, 0, 0x80, 0x00, 0]).status == .good)
        let capacity = lib.withCartridge("A00001L8") { $0.capacity } ?? 0
        #expect(capacity == 12_000_000_000 * 0x8000 / 0xFFFF)
        // REPORT DENSITY SUPPORT (SSC-4 table 27): an LTO-8 drive supports 5Eh, 5Dh, 5Ch.
        let r = try await Sim.run(t, [0x44, 0, 0, 0, 0, 0, 0, 0x10, 0x00, 0], in: 4096)
        #expect(Sim.u16(r.data, 0) == 2 + 3 * 52)
        #expect([r.data[4], r.data[56], r.data[108]] == [0x5E, 0x5D, 0x5C])
        #expect(r.data[6] == 0xA0)  // WRTOK, DEFLT
        // MEDIA = 1: the mounted medium only.
        let media = try await Sim.run(t, [0x44, 1, 0, 0, 0, 0, 0, 0x10, 0x00, 0], in: 4096)
        #expect(Sim.u16(media.data, 0) == 54)
        #expect(media.data[4] == 0x5E)
    }

    @Test func securityProtocolInReportsNoEncryption() async throws {
        let lib = try Sim.library()
        let t = lib.driveTransport(0)
        // SECURITY PROTOCOL IN (SPC-4 table 267): protocol 00h, specific 0000h.
        let r = try await Sim.run(t, [0xA2, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0x01, 0x00, 0, 0], in: 256)
        // Supported protocol list (SPC-4 table 270): length 2, protocols 00h and 20h.
        #expect(r.data == [0, 0, 0, 0, 0, 0, 0x00, 0x02, 0x00, 0x20])
        // Protocol 20h, Data Encryption Status page 0020h (SSC-4 table 205): page code, page
        // length 20, encryption and decryption modes DISABLE (bytes 5 and 6 zero).
        let status = try await Sim.run(t, [0xA2, 0x20, 0x00, 0x20, 0, 0, 0, 0, 0x01, 0x00, 0, 0], in: 256)
        #expect(status.status == .good)
        #expect(Array(status.data.prefix(4)) == [0x00, 0x20, 0x00, 20])
        #expect(status.data.count == 24 && status.data[5] == 0 && status.data[6] == 0)
        // Next Block Encryption Status 0021h (SSC-4 table 208): no medium → status 0h.
        let next = try await Sim.run(t, [0xA2, 0x20, 0x00, 0x21, 0, 0, 0, 0, 0x01, 0x00, 0, 0], in: 256)
        #expect(Array(next.data.prefix(4)) == [0x00, 0x21, 0x00, 12])
        #expect(next.data[12] & 0x0F == 0)
        // An unknown page of protocol 20h is refused.
        let bad = try await Sim.run(t, [0xA2, 0x20, 0x01, 0x00, 0, 0, 0, 0, 0x01, 0x00, 0, 0], in: 256)
        #expect(bad.senseTriple == [0x05, 0x24, 0x00])
    }
}
