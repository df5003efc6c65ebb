import Catalog
import Foundation
import LTFS
import LibraryService
import TapeHardware
import Testing

/// Records copied into an LTFS tape pool: each part a file of the cartridge's LTFS volume (the
/// scratch cartridges formatted for the pool first; their data partitions hold about 8.9 MB
/// at this scale), spanning at early warning, the volume
/// checked consistent by tapelib's check after every copy, read back, verified, restored.
@Suite(.timeLimit(.minutes(5))) struct LTFSCopyTests {
    /// The setup of CopyTests with an LTFS pool (256 KiB blocks).
    static func setup() async throws -> CopyTests.Setup {
        let rig = try await TestRig.make(registerCartridges: false, capacityScale: 1e-6)
        let pool = try await rig.catalog.insert(Pool(name: "ltfs-tapes", type: .tapeLibrary, tapeFormat: .ltfs, tapeBlockSize: 262_144))
        let disk = try await rig.catalog.insert(Pool(name: "disk", type: .fileSystem))
        for tag in ["E00001L9", "E00002L9", "E00003L9"] {
            _ = try await rig.catalog.registerCartridge(volumeTag: tag, poolName: "ltfs-tapes")
        }
        return CopyTests.Setup(rig: rig, copier: RecordCopier(catalog: rig.catalog, engine: rig.engine, pollInterval: .milliseconds(2)),
                               pool: pool, disk: disk)
    }

    /// Loads `volumeTag` into drive 0, checks its volume and reads its newest index; unloads it.
    static func inspect(_ rig: TestRig, _ volumeTag: String) async throws -> (LTFSCheckReport, [LTFSFile]) {
        let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: volumeTag))
        let load = try await rig.waitForTask(try await rig.submit(.load, drive: 0, cartridge: cartridge.id).id)
        #expect(load.status == .done, "\(load.errorMessage ?? "")")
        let drive = try await rig.engine.mountedDrive(library: rig.libraryID, drive: rig.driveIDs[0])
        let device = TapeDriveDevice(drive: drive, barcode: volumeTag)
        let report = await LTFSChecker().check(device)
        let files = try await LTFSVolumeAppender.open(device).index.rootFiles()
        let unload = try await rig.waitForTask(try await rig.submit(.unload, drive: 0).id)
        #expect(unload.status == .done, "\(unload.errorMessage ?? "")")
        return (report, files)
    }

    @Test func aRecordSpansTwoLTFSVolumesEachConsistentAndReadsBack() async throws {
        let setup = try await Self.setup()
        let rig = setup.rig
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let (bigPath, bigSHA) = try CopyTests.archive(size: 16 * 1_000_000 + 777, seed: 41)
            let (smallPath, smallSHA) = try CopyTests.archive(size: 300_001, seed: 42)
            defer { try? FileManager.default.removeItem(atPath: bigPath); try? FileManager.default.removeItem(atPath: smallPath) }
            let diskID = try #require(setup.disk.id)
            let big = try await rig.catalog.insert(BackupRecord(client: "c", resource: "/srv/big", resourceType: "File", backupType: .full,
                                                                poolId: diskID, sizeBytes: 16_000_777, sha256: bigSHA, path: bigPath))
            let small = try await rig.catalog.insert(BackupRecord(client: "c", resource: "/srv/small", resourceType: "File", backupType: .full,
                                                                  poolId: diskID, sizeBytes: 300_001, sha256: smallSHA, path: smallPath))
            let poolID = try #require(setup.pool.id)
            let bigID = try #require(big.id)
            let smallID = try #require(small.id)

            let copy = try await setup.copier.copy(record: bigID, toPool: poolID,
                                                   taskID: try await CopyTests().backupTask(setup, .copy, record: big))
            #expect(copy.state == .complete && copy.verified)
            let extents = try await rig.catalog.extents(ofCopy: try #require(copy.id))
            let base = RecordCopier.restoreFileName(big)
            #expect(extents.map(\.ltfsPath) == ["/\(base).part0", "/\(base).part1"])
            #expect(extents.reduce(0) { $0 + $1.byteCount } == 16_000_777)
            #expect(extents.map(\.byteOffset) == [0, extents[0].byteCount])
            let first = try #require(try await rig.catalog.cartridge(id: extents[0].cartridgeId))
            let second = try #require(try await rig.catalog.cartridge(id: extents[1].cartridgeId))
            #expect(first.status == .full && second.status == .append)
            #expect(first.ltfsState == .consistent && second.ltfsState == .consistent)

            // A second record is a whole file on the volume with room.
            let smallCopy = try await setup.copier.copy(record: smallID, toPool: poolID,
                                                        taskID: try await CopyTests().backupTask(setup, .copy, record: small))
            let smallExtents = try await rig.catalog.extents(ofCopy: try #require(smallCopy.id))
            #expect(smallExtents.map(\.cartridgeId) == [second.id].compactMap { $0 })
            #expect(smallExtents.map(\.ltfsPath) == ["/\(RecordCopier.restoreFileName(small))"])

            // Each volume, as tapelib's check and an LTFS reader's index see it.
            let (firstReport, firstFiles) = try await Self.inspect(rig, first.volumeTag)
            #expect(firstReport.verdict == .consistent, "\(firstReport.lines)")
            #expect(firstFiles.map(\.name) == ["\(base).part0"])
            #expect(firstFiles.first?.length == UInt64(extents[0].byteCount))
            #expect(firstFiles.first?.extents.first?.startBlock == UInt64(extents[0].firstBlock))
            let (secondReport, secondFiles) = try await Self.inspect(rig, second.volumeTag)
            #expect(secondReport.verdict == .consistent, "\(secondReport.lines)")
            #expect(secondFiles.map(\.name) == ["\(base).part1", RecordCopier.restoreFileName(small)])
            // Format, part, part: generation 3 on the second volume, on both partitions.
            #expect(secondReport.volume?.indexes.map(\.generation) == [3, 3], "\(secondReport.lines)")

            // Verification and restore read the files' extents back.
            try await setup.copier.verify(record: bigID, pool: poolID, taskID: try await CopyTests().backupTask(setup, .verify, record: big))
            let restored = FileManager.default.temporaryDirectory.appendingPathComponent("tapelib-ltfs-restored-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: restored) }
            try await setup.copier.restore(record: bigID, pool: poolID, to: restored,
                                           taskID: try await CopyTests().backupTask(setup, .restore, record: big))
            #expect(FileManager.default.contentsEqual(atPath: restored, andPath: bigPath))
            for drive in rig.driveIDs { #expect(try await rig.catalog.drive(id: drive)?.loadedCartridgeId == nil) }
        }
    }

    /// An appendable cartridge of the pool whose volume is not LTFS (written over behind
    /// tapelib's back): the copy fails saying so, the cartridge is kept out of use, and a retry
    /// completes on a scratch cartridge, formatted for the pool.
    @Test func aDamagedVolumeIsTakenOutOfUseAndTheRetryFormatsAScratchCartridge() async throws {
        let setup = try await Self.setup()
        let rig = setup.rig
        let runner = BackupTaskRunner(copier: setup.copier, pollInterval: .milliseconds(5), logger: .init(label: "test"))
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let (path, sha) = try CopyTests.archive(size: 100_000, seed: 43)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let record = try await rig.catalog.insert(BackupRecord(client: "c", resource: path, resourceType: "File", backupType: .full,
                                                                   poolId: try #require(setup.disk.id), sizeBytes: 100_000, sha256: sha, path: path))
            let recordID = try #require(record.id)
            // E00001L9 is appendable in the catalog but holds a plain record, no LTFS volume.
            let damaged = try #require(try await rig.catalog.cartridge(volumeTag: "E00001L9"))
            let load = try await rig.waitForTask(try await rig.submit(.load, drive: 0, cartridge: damaged.id).id)
            #expect(load.status == .done)
            let drive = try await rig.engine.mountedDrive(library: rig.libraryID, drive: rig.driveIDs[0])
            try await drive.rewind()
            _ = try await drive.write(record: [UInt8](repeating: 0x55, count: 4_096))
            _ = try await drive.writeFilemarks(1)
            #expect(try await rig.waitForTask(try await rig.submit(.unload, drive: 0).id).status == .done)
            let poolID = try #require(setup.pool.id)
            let earlier = try await rig.catalog.beginCopy(of: recordID, inPool: poolID)
            let earlierID = try #require(earlier.id)
            let damagedID = try #require(damaged.id)
            _ = try await rig.catalog.recordPartWritten(RepositoryCopyExtent(
                copyId: earlierID, partIndex: 0, cartridgeId: damagedID, tapeFileNumber: 0, firstBlock: 0, lastBlock: 0,
                byteOffset: 0, byteCount: 4_096), bytesOnTape: 4_096, cartridgeFull: false)

            let failed = try await MoveAndRestoreTests.run(runner, rig.catalog, BackupTask(type: .copy, targetPoolId: setup.pool.id, repositoryId: recordID))
            #expect(failed.status == .error)
            #expect(failed.errorMessage?.contains("damaged LTFS volume") == true, "\(failed.errorMessage ?? "")")
            #expect(try await rig.catalog.cartridge(volumeTag: "E00001L9")?.status == .error)
            let done = try await MoveAndRestoreTests.run(runner, rig.catalog, BackupTask(type: .copy, targetPoolId: setup.pool.id, repositoryId: recordID))
            #expect(done.status == .done, "\(done.errorMessage ?? "")")
            let copy = try #require(try await rig.catalog.completeCopies(of: recordID).first)
            let extent = try #require(copy.1.first)
            #expect(try await rig.catalog.cartridge(id: extent.cartridgeId)?.volumeTag == "E00002L9")
            let (report, files) = try await Self.inspect(rig, "E00002L9")
            #expect(report.verdict == .consistent, "\(report.lines)")
            #expect(files.map(\.name) == [RecordCopier.restoreFileName(record)])
        }
    }
}
