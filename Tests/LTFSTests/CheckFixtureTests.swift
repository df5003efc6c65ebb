import Testing
@testable import LTFS

/// Every reference image gets the verdict in ltfs.md's table, with details from its files,
/// and the check never writes.
@Suite struct CheckFixtureTests {
    func check(_ name: String) async throws -> (LTFSCheckReport, SimulatedLTFSDrive, SimulatedCartridge) {
        let cartridge = try SimulatedCartridge.fixture(name)
        let drive = SimulatedLTFSDrive(cartridge)
        let report = await LTFSChecker().check(drive)
        #expect(await drive.mutations.isEmpty, "a check must not write")
        #expect(await drive.cartridge == cartridge)
        return (report, drive, cartridge)
    }

    struct Fresh: Sendable, CustomStringConvertible {
        var image: String, uuid: String, name: String?, serial: String, barcode: String?
        var blockSize: Int, compression: Bool, formatTime: String
        var description: String { image }
    }

    static let fresh = [
        Fresh(image: "fresh_ABC123_named", uuid: "e9d3ab8c-24d2-4b1c-9a00-116a53370f26", name: "TestVol",
              serial: "ABC123", barcode: "ABC123", blockSize: 524_288, compression: true,
              formatTime: "2026-11-23T00:26:14.952572907Z"),
        Fresh(image: "fresh_nobarcode", uuid: "e509a025-dae5-4efe-aa70-14bb6a99cfd5", name: nil,
              serial: "", barcode: nil, blockSize: 524_288, compression: true,
              formatTime: "2026-11-23T00:26:14.960095483Z"),
        Fresh(image: "fresh_nocompress_256k", uuid: "3951b4d1-4b61-425e-ab25-daaf6b5bef74", name: nil,
              serial: "XYZ789", barcode: "XYZ789", blockSize: 262_144, compression: false,
              formatTime: "2026-11-23T00:26:14.968825984Z"),
        Fresh(image: "fresh_rules", uuid: "146768ec-3993-4220-95c2-01bad0df630f", name: nil,
              serial: "RUL001", barcode: "RUL001", blockSize: 524_288, compression: true,
              formatTime: "2026-11-23T00:26:14.977944793Z"),
    ]

    @Test(arguments: fresh)
    func freshVolumesAreConsistent(_ expected: Fresh) async throws {
        let (report, _, _) = try await check(expected.image)
        #expect(report.verdict == .consistent, "\(report.lines)")
        #expect(report.problems.isEmpty && report.repairs.isEmpty)
        let volume = try #require(report.volume)
        #expect(volume.volumeUUID == expected.uuid)
        #expect(volume.volumeName == expected.name)
        #expect(volume.volumeSerial == expected.serial)
        #expect(volume.barcode == expected.barcode)
        #expect(volume.blockSize == expected.blockSize)
        #expect(volume.compression == expected.compression)
        #expect(volume.formatTime == expected.formatTime)
        #expect(volume.formatVersion == "2.4.0")
        #expect(volume.indexes.map(\.location) == ["a/5", "b/5"])
        #expect(volume.indexes.map(\.generation) == [1, 1])
        #expect(volume.indexes.map(\.previousGenerationLocation) == ["b/5", nil])
        #expect(volume.currentIndex?.location == "a/5")
        #expect(volume.coherency.map(\.generation) == [1, 1])
        #expect(volume.coherency.map(\.indexStartBlock) == [5, 5])
        #expect(volume.volumeChangeReference == 1)
        #expect(report.verdict.exitCode == 0)
    }

    @Test func unflushedDataIsRecoverable() async throws {
        let (report, _, _) = try await check("bad_dp_unflushed_data")
        #expect(report.verdict == .recoverable, "\(report.lines)")
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.contains("unflushed data: 1 block(s) on the data partition") == true)
        // The reference repair: new generation 2 at b/9 and a/5.
        #expect(report.repairs.first == "write a filemark at b/8, a new generation 2 index at b/9 and on the index partition at a/5")
        #expect(report.volume?.currentIndex?.generation == 1)
        #expect(report.verdict.exitCode == 1)
    }

    @Test func missingIndexPartitionIndexIsRecoverable() async throws {
        let (report, _, _) = try await check("bad_ip_index_missing")
        #expect(report.verdict == .recoverable, "\(report.lines)")
        #expect(report.problems.first == "the index is missing on the index partition")
        #expect(report.repairs.first == "write the data partition's generation 1 index to the index partition at a/5")
        #expect(report.volume?.indexes.map(\.location) == ["b/5"])
        #expect(report.volume?.currentIndex?.location == "b/5")
    }

    @Test func labelUUIDMismatchIsInconsistent() async throws {
        let (report, _, _) = try await check("bad_label_uuid_mismatch")
        #expect(report.verdict == .inconsistent)
        #expect(report.problems == ["labels disagree: volume UUID is e9d3ab8c-24d2-4b1c-9a00-116a53370f26 on partition 0 and 09d3ab8c-24d2-4b1c-9a00-116a53370f26 on partition 1"])
        #expect(report.verdict.exitCode == 2)
    }

    @Test func vol1WithoutLTFSIsInconsistent() async throws {
        let (report, _, _) = try await check("bad_no_vol1_ltfs")
        #expect(report.verdict == .inconsistent)
        #expect(report.problems == ["partition 0: VOL1 lacks the LTFS implementation identifier (it says \"XXXX\")"])
    }

    @Test func missingEndOfDataIsInconsistent() async throws {
        let (report, _, _) = try await check("bad_dp_eod_missing")
        #expect(report.verdict == .inconsistent)
        #expect(report.problems == ["the data partition's (b) end of data is missing; recovering it needs a deep recovery"])
        #expect(report.volume?.volumeUUID == "e9d3ab8c-24d2-4b1c-9a00-116a53370f26")
        #expect(report.volume?.volumeName == "TestVol")
        #expect(report.volume?.blockSize == 524_288)
    }

    @Test func blankUnpartitioned() async throws {
        let (report, _, _) = try await check("blank_unpartitioned")
        #expect(report.verdict == .blank)
        #expect(report.problems == ["the cartridge is blank and not partitioned"])
        #expect(report.volume == nil)
        #expect(report.verdict.exitCode == 2)
    }
}
