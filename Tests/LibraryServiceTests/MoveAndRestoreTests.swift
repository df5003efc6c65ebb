import Catalog
import Foundation
import LibraryService
import Testing

/// Moves (copy, read back, then the archive removed) and restores into a local-catalog pool,
/// through the copy runner as `tapelib serve` runs them.
@Suite(.timeLimit(.minutes(5))) struct MoveAndRestoreTests {
    struct Local {
        let directory: String
        let path: String
        let sha: String
        let bytes: Data
    }

    /// A local catalog (a temporary directory) of the setup's disk pool holding one archive.
    static func localArchive(_ setup: CopyTests.Setup, size: Int, seed: UInt64) async throws -> Local {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapelib-catalog-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try await setup.rig.catalog.insertStorage(StorageLocalCatalog(path: directory, poolId: try #require(setup.disk.id)))
        let (source, sha) = try CopyTests.archive(size: size, seed: seed)
        let path = directory + "/archive-\(seed).tar"
        try FileManager.default.moveItem(atPath: source, toPath: path)
        return Local(directory: directory, path: path, sha: sha, bytes: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func run(_ runner: BackupTaskRunner, _ catalog: TapeCatalog, _ task: BackupTask) async throws -> BackupTask {
        let queued = try await catalog.enqueue(task)
        let claimed = try #require(try await catalog.claimNextBackupTask(types: [.copy, .move, .verify, .restore]))
        #expect(claimed.id == queued.id)
        await runner.runOne(claimed)
        let id = try #require(queued.id)
        return try #require(try await catalog.backupTask(id: id))
    }

    @Test(arguments: [TapeFormat.native, .ltfs])
    func aMoveReadsEveryPartBackThenRemovesTheArchiveAndARestoreIntoThePoolBringsItBack(_ format: TapeFormat) async throws {
        // The pool writes without reading back; a move reads back all the same.
        let setup = try await CopyTests.setup(verifyAfterWrite: false, format: format)
        let rig = setup.rig
        let runner = BackupTaskRunner(copier: setup.copier, pollInterval: .milliseconds(5), logger: .init(label: "test"))
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            // Spans two cartridges: 18 MB each in the native format, an 8.9 MB data partition each with LTFS.
            let local = try await Self.localArchive(setup, size: format == .native ? 20_000_000 : 12_000_000, seed: 21)
            defer { try? FileManager.default.removeItem(atPath: local.directory) }
            let diskID = try #require(setup.disk.id)
            let tapeID = try #require(setup.pool.id)
            let record = try await rig.catalog.insert(BackupRecord(
                client: "c", resource: "/srv", resourceType: "File", backupType: .full, poolId: diskID,
                sizeBytes: Int64(local.bytes.count), sha256: local.sha, path: local.path))
            let recordID = try #require(record.id)

            let tags = ["E00001L9", "E00002L9", "E00003L9"]
            @Sendable func tapeBytes() -> (read: Int64, written: Int64) {
                tags.reduce((Int64(0), Int64(0))) { sum, tag in
                    let (r, w) = rig.simulated.withCartridge(tag) { ($0.lifetimeBytesRead, $0.lifetimeBytesWritten) } ?? (0, 0)
                    return (sum.0 + r, sum.1 + w)
                }
            }
            let size = Int64(local.bytes.count)
            let beforeMove = tapeBytes()
            let moved = try await Self.run(runner, rig.catalog, BackupTask(type: .move, poolId: diskID, targetPoolId: tapeID, repositoryId: recordID))
            #expect(moved.status == .done, "\(moved.errorMessage ?? "")")
            let copy = try #require(try await rig.catalog.copies(of: recordID).first)
            #expect(copy.state == .complete && copy.verified)
            let copyID = try #require(copy.id)
            #expect(try await rig.catalog.extents(ofCopy: copyID).count == 2)
            let after = try #require(try await rig.catalog.record(id: recordID))
            #expect(after.poolId == tapeID && after.path == nil)
            #expect(!FileManager.default.fileExists(atPath: local.path))
            // Every part was read back from the drives (the pool writes without reading back).
            let afterMove = tapeBytes()
            #expect(afterMove.written - beforeMove.written >= size && afterMove.read - beforeMove.read >= size, "\(beforeMove) → \(afterMove)")
            let movedID = try #require(moved.id)
            let mounts = try await rig.catalog.listLibraryTasks(ListQuery(filter: "backup_task_id=\"\(movedID)\"", limit: 100)).items
            #expect(mounts.count == 4 && mounts.allSatisfy { $0.status == .done })
            #expect(try await rig.catalog.listTaskLog(ListQuery(filter: "task_id=\"\(movedID)\"", limit: 100)).items.contains { $0.message.contains("archive \(local.path) was removed") })

            // Restored into the disk pool: a new archive in its local catalog, and the record is the pool's again.
            let target = try await ArchivePlacement.restoreFile(of: after, into: setup.disk, catalog: rig.catalog)
            #expect(target.hasPrefix(local.directory + "/record-\(recordID)-"))
            let restored = try await Self.run(runner, rig.catalog, BackupTask(type: .restore, poolId: diskID, targetPoolId: tapeID,
                                                                               repositoryId: recordID, targetPath: target))
            #expect(restored.status == .done, "\(restored.errorMessage ?? "")")
            #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == local.bytes)
            let back = try #require(try await rig.catalog.record(id: recordID))
            #expect(back.poolId == diskID && back.path == target)
            // With its archive back, the record can be moved again: the complete copy already on
            // tape is read back, not written twice.
            let beforeAgain = tapeBytes()
            let again = try await Self.run(runner, rig.catalog, BackupTask(type: .move, poolId: diskID, targetPoolId: tapeID, repositoryId: recordID))
            #expect(again.status == .done, "\(again.errorMessage ?? "")")
            let afterAgain = tapeBytes()
            #expect(afterAgain.written == beforeAgain.written && afterAgain.read - beforeAgain.read >= size, "\(beforeAgain) → \(afterAgain)")
            #expect(try await rig.catalog.copies(of: recordID).count == 1)
            #expect(!FileManager.default.fileExists(atPath: target))
            #expect(try await rig.catalog.record(id: recordID)?.path == nil)
        }
    }

    @Test func aMoveOfAnArchiveOutsideTheLocalCatalogsIsRefusedBeforeAnythingIsWritten() async throws {
        let setup = try await CopyTests.setup()
        let rig = setup.rig
        let runner = BackupTaskRunner(copier: setup.copier, pollInterval: .milliseconds(5), logger: .init(label: "test"))
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            _ = try await Self.localArchive(setup, size: 10, seed: 22)   // the pool has a local catalog, elsewhere
            let (path, sha) = try CopyTests.archive(size: 500_000, seed: 23)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let record = try await rig.catalog.insert(BackupRecord(
                client: "c", resource: path, resourceType: "File", backupType: .full, poolId: try #require(setup.disk.id),
                sizeBytes: 500_000, sha256: sha, path: path))
            let recordID = try #require(record.id)
            let moved = try await Self.run(runner, rig.catalog, BackupTask(type: .move, targetPoolId: setup.pool.id, repositoryId: recordID))
            #expect(moved.status == .error)
            #expect(moved.errorMessage?.contains("not inside a local catalog") == true, "\(moved.errorMessage ?? "")")
            #expect(try await rig.catalog.copies(of: recordID).isEmpty)
            #expect(FileManager.default.fileExists(atPath: path))
            let unchanged = try #require(try await rig.catalog.record(id: recordID))
            #expect(unchanged.poolId == record.poolId && unchanged.path == record.path)
            let movedID = try #require(moved.id)
            #expect(try await rig.catalog.listLibraryTasks(ListQuery(filter: "backup_task_id=\"\(movedID)\"")).items.isEmpty)
            // A restore into the pool is refused while the record has its archive.
            await #expect(throws: ServiceError.self) { try await ArchivePlacement.restoreFile(of: record, into: setup.disk, catalog: rig.catalog) }
            await #expect(throws: ServiceError.self) { try await ArchivePlacement.restoreFile(of: record, into: setup.pool, catalog: rig.catalog) }
        }
    }

    /// An archive changed since it was registered is not the record: the move is refused before
    /// anything is written, and the archive stays.
    @Test func aMoveOfAChangedArchiveIsRefusedAndTheArchiveStays() async throws {
        let setup = try await CopyTests.setup()
        let rig = setup.rig
        let runner = BackupTaskRunner(copier: setup.copier, pollInterval: .milliseconds(5), logger: .init(label: "test"))
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let local = try await Self.localArchive(setup, size: 300_000, seed: 25)
            defer { try? FileManager.default.removeItem(atPath: local.directory) }
            let record = try await rig.catalog.insert(BackupRecord(
                client: "c", resource: "/srv", resourceType: "File", backupType: .full, poolId: try #require(setup.disk.id),
                sizeBytes: Int64(local.bytes.count), sha256: local.sha, path: local.path))
            var changed = local.bytes
            changed[0] ^= 0xFF
            try changed.write(to: URL(fileURLWithPath: local.path))
            let moved = try await Self.run(runner, rig.catalog, BackupTask(type: .move, targetPoolId: setup.pool.id, repositoryId: try #require(record.id)))
            #expect(moved.status == .error)
            #expect(moved.errorMessage?.contains("is not the record any more") == true, "\(moved.errorMessage ?? "")")
            #expect(try await rig.catalog.copies(of: try #require(record.id)).isEmpty)
            #expect(try Data(contentsOf: URL(fileURLWithPath: local.path)) == changed)
        }
    }

    @Test func aMoveThatFailsOnTapeKeepsTheArchiveAndTheRecordWhereTheyWere() async throws {
        let setup = try await CopyTests.setup()
        let rig = setup.rig
        rig.simulated.injectMediaError(barcode: "E00001L9", block: 3)
        let runner = BackupTaskRunner(copier: setup.copier, pollInterval: .milliseconds(5), logger: .init(label: "test"))
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let local = try await Self.localArchive(setup, size: 2_000_000, seed: 24)
            defer { try? FileManager.default.removeItem(atPath: local.directory) }
            let record = try await rig.catalog.insert(BackupRecord(
                client: "c", resource: "/srv", resourceType: "File", backupType: .full, poolId: try #require(setup.disk.id),
                sizeBytes: Int64(local.bytes.count), sha256: local.sha, path: local.path))
            let recordID = try #require(record.id)
            let moved = try await Self.run(runner, rig.catalog, BackupTask(type: .move, targetPoolId: setup.pool.id, repositoryId: recordID))
            #expect(moved.status == .error)
            #expect(moved.senseKey == 3 && moved.asc == 0x0C, "\(moved)")
            #expect(try await rig.catalog.copies(of: recordID).map(\.state) == [.failed])
            let unchanged = try #require(try await rig.catalog.record(id: recordID))
            #expect(unchanged.poolId == record.poolId && unchanged.path == record.path)
            #expect(try Data(contentsOf: URL(fileURLWithPath: local.path)) == local.bytes)
            for drive in rig.driveIDs { #expect(try await rig.catalog.drive(id: drive)?.loadedCartridgeId == nil) }
        }
    }
}
