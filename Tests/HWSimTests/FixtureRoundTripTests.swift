import Foundation
import SCSI
import Testing
@testable import HWSim

/// Every LTFS reference image (shared/fixtures/ltfs-reference, file-backend layout) loads as a
/// cartridge, and its records, filemarks, end of data and MAM attributes read back through
/// SCSI byte-identical to the files.
@Suite struct FixtureRoundTripTests {
    /// The fixtures directory, found from this file upwards (the package root and its parents).
    static let fixtures: URL? = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("shared/fixtures/ltfs-reference")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    static let images = ["bad_dp_eod_missing", "bad_dp_unflushed_data", "bad_ip_index_missing",
                         "bad_label_uuid_mismatch", "bad_no_vol1_ltfs", "blank_unpartitioned",
                         "fresh_ABC123_named", "fresh_nobarcode", "fresh_nocompress_256k", "fresh_rules"]

    @Test func fixturesArePresent() throws {
        let dir = try #require(Self.fixtures)
        let found = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasSuffix(".txt") }.sorted()
        #expect(found == Self.images)
    }

    @Test(arguments: images)
    func imageReadsBackIdentically(_ name: String) async throws {
        let image = try #require(Self.fixtures).appendingPathComponent(name)
        let files = try FileManager.default.contentsOfDirectory(atPath: image.path)
        // An LTO-6 drive reads and writes LTO-5 media (the images are L5 cartridges).
        let lib = try Sim.library { p in
            p.drives[0].generation = .lto6
            p.cartridges[0] = CartridgeProfile(barcode: "FIX001L5", generation: FileBackendImage.generation(ofImage: image) ?? .lto5,
                                               location: .slot(1), image: image.path)
        }
        let t = try await Sim.load(lib, slot: 1)
        let partitions = Set(files.compactMap { f -> Int? in
            let parts = f.split(separator: "_")
            return parts.count == 3 && Int(parts[1]) != nil ? Int(parts[0]) : nil
        })
        for p in partitions.sorted() {
            // LOCATE(16) with CP to block 0 of the partition.
            #expect(try await Sim.run(t, [0x92, 0x02, 0, UInt8(p), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).status == .good)
            var block = 0
            while true {
                let base = image.appendingPathComponent("\(p)_\(block)")
                let fm = FileManager.default
                // READ(6) variable, SILI, up to 1 MiB.
                let r = try await Sim.run(t, [0x08, 0x02, 0x10, 0x00, 0x00, 0], in: 0x10_0000)
                if fm.fileExists(atPath: base.path + "_R") {
                    #expect(r.status == .good, "\(name) \(p)_\(block)_R")
                    #expect(r.data == [UInt8](try Data(contentsOf: URL(fileURLWithPath: base.path + "_R"))), "\(name) \(p)_\(block)")
                } else if fm.fileExists(atPath: base.path + "_F") {
                    #expect(r.sense[2] == 0x80 && r.senseTriple == [0x00, 0x00, 0x01], "\(name) \(p)_\(block)_F")
                } else if fm.fileExists(atPath: base.path + "_E") {
                    #expect(r.senseTriple == [0x08, 0x00, 0x05], "\(name) \(p)_\(block)_E")
                    break
                } else {
                    // No end-of-data file: MEDIUM ERROR, end-of-data not found (14h/03h).
                    #expect(r.senseTriple == [0x03, 0x14, 0x03], "\(name) \(p)_\(block) missing EOD")
                    break
                }
                block += 1
            }
        }
        // Every attribute file reads back as the first attribute of READ ATTRIBUTE (SPC-4
        // table 146) from its identifier: the 5-byte header and value are the file's bytes.
        for f in files where f.hasPrefix("attr_") {
            let parts = f.split(separator: "_")
            let p = try #require(UInt8(parts[1]))
            let id = try #require(UInt16(parts[2], radix: 16))
            let expected = [UInt8](try Data(contentsOf: image.appendingPathComponent(f)))
            let r = try await Sim.run(t, [0x8C, 0x00, 0, 0, 0, 0, 0, p, UInt8(id >> 8), UInt8(id & 0xFF), 0, 0, 0x10, 0x00, 0, 0], in: 4096)
            #expect(r.status == .good)
            #expect(Array(r.data.dropFirst(4).prefix(expected.count)) == expected, "\(name) \(f)")
        }
    }

    @Test func savedImageMatchesTheReferenceLayout() throws {
        let image = try #require(Self.fixtures).appendingPathComponent("fresh_ABC123_named")
        let c = Cartridge(barcode: "ABC123L5", kind: .data, generation: .lto5, capacity: 1 << 30)
        try FileBackendImage.load(into: c, from: image)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("hwsim-image-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        try FileBackendImage.save(c, to: out)
        let fm = FileManager.default
        let original = try fm.contentsOfDirectory(atPath: image.path).sorted()
        let written = try fm.contentsOfDirectory(atPath: out.path).sorted()
        #expect(written == original)
        for f in original where f != "filedebug_tc_conf.xml" {
            let a = try Data(contentsOf: image.appendingPathComponent(f))
            let b = try Data(contentsOf: out.appendingPathComponent(f))
            #expect(a == b, "\(f)")
        }
    }
}
