import Catalog
import Crypto
import Foundation
import HWSim
import LibraryService
import SCSI
import TapeHardware
import Testing

/// Records copied onto a native tape pool through the engine (mounts as load/unload tasks),
/// spanning cartridges at early warning, read back, verified and restored; the tape layout read
/// with nothing but docs/tape-format.md's tables.
@Suite(.timeLimit(.minutes(5))) struct CopyTests {
    /// A file of `size` deterministic pseudo-random bytes; its path and SHA-256 (hex).
    static func archive(size: Int, seed: UInt64) throws -> (String, String) {
        var state = seed
        var bytes = [UInt8](repeating: 0, count: size)
        for index in bytes.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tapelib-record-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return (path, SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
    }

    struct Setup {
        let rig: TestRig
        let copier: RecordCopier
        let pool: Pool
        let disk: Pool
    }

    /// A library whose LTO-9 cartridges hold 18 MB (early warning at 98%), the three data
    /// cartridges registered into tape pool "tapes" (256 KiB blocks), synced.
    static func setup(verifyAfterWrite: Bool = true, format: TapeFormat = .native) async throws -> Setup {
        let rig = try await TestRig.make(registerCartridges: false, capacityScale: 1e-6)
        let pool = try await rig.catalog.insert(Pool(name: "tapes", type: .tapeLibrary, tapeFormat: format, tapeBlockSize: 262_144,
                                                     verifyAfterWrite: verifyAfterWrite))
        let disk = try await rig.catalog.insert(Pool(name: "disk", type: .fileSystem))
        for tag in ["E00001L9", "E00002L9", "E00003L9"] {
            _ = try await rig.catalog.registerCartridge(volumeTag: tag, poolName: "tapes")
        }
        return Setup(rig: rig, copier: RecordCopier(catalog: rig.catalog, engine: rig.engine, pollInterval: .milliseconds(2)),
                     pool: pool, disk: disk)
    }

    func addRecord(_ setup: Setup, size: Int, seed: UInt64) async throws -> (BackupRecord, String) {
        let (path, sha) = try Self.archive(size: size, seed: seed)
        let record = try await setup.rig.catalog.insert(BackupRecord(
            client: "client-1", resource: "/srv/data", resourceType: "File system", backupType: .full,
            poolId: try #require(setup.disk.id), sizeBytes: Int64(size), sha256: sha, path: path))
        return (record, path)
    }

    /// Copies `record` into the pool as a new task, which must fail; the failure's text.
    func refusedCopy(_ setup: Setup, _ record: BackupRecord) async throws -> String {
        let task = try await backupTask(setup, .copy, record: record)
        do {
            try await setup.copier.copy(record: try #require(record.id), toPool: try #require(setup.pool.id), taskID: task)
        } catch {
            return "\(error)"
        }
        Issue.record("a copy of record \(record.id ?? 0) was recorded")
        return ""
    }

    func backupTask(_ setup: Setup, _ type: BackupTaskType, record: BackupRecord) async throws -> Int64 {
        try #require(try await setup.rig.catalog.enqueue(BackupTask(type: type, status: .start, targetPoolId: setup.pool.id,
                                                                    repositoryId: record.id)).id)
    }

    @Test func aRecordSpansTwoCartridgesAtEarlyWarningIsVerifiedAndRestored() async throws {
        let setup = try await Self.setup()
        let rig = setup.rig
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let (big, bigPath) = try await addRecord(setup, size: 24 * 1_000_000 + 12_345, seed: 1)
            let (small, smallPath) = try await addRecord(setup, size: 1_000_001, seed: 2)
            defer { try? FileManager.default.removeItem(atPath: bigPath); try? FileManager.default.removeItem(atPath: smallPath) }
            let poolID = try #require(setup.pool.id)

            let task = try await backupTask(setup, .copy, record: big)
            let copy = try await setup.copier.copy(record: try #require(big.id), toPool: poolID, taskID: task)
            #expect(copy.state == .complete && copy.verified)
            let extents = try await rig.catalog.extents(ofCopy: try #require(copy.id))
            #expect(extents.count == 2)
            #expect(extents.map(\.byteOffset) == [0, extents[0].byteCount])
            #expect(extents.reduce(0) { $0 + $1.byteCount } == big.sizeBytes)
            // The first cartridge took ~98% of its 18 MB, in whole blocks, and is full.
            #expect(extents[0].byteCount % 262_144 == 0 && extents[0].byteCount > 17_000_000, "\(extents[0])")
            let first = try #require(try await rig.catalog.cartridge(id: extents[0].cartridgeId))
            let second = try #require(try await rig.catalog.cartridge(id: extents[1].cartridgeId))
            #expect(first.status == .full)
            #expect(second.status == .append)
            #expect(extents.map(\.tapeFileNumber) == [0, 0])
            // Every mount and unmount was a library task of this backup task, and each ended done.
            let mounts = try await rig.catalog.listLibraryTasks(ListQuery(filter: "backup_task_id=\"\(task)\"", limit: 100)).items
            #expect(mounts.map(\.type) == [.load, .unload, .load, .unload])
            #expect(mounts.allSatisfy { $0.status == .done })

            // A second record is appended to the cartridge with room: tape file 1 there.
            let smallTask = try await backupTask(setup, .copy, record: small)
            let smallCopy = try await setup.copier.copy(record: try #require(small.id), toPool: poolID, taskID: smallTask)
            let smallExtents = try await rig.catalog.extents(ofCopy: try #require(smallCopy.id))
            #expect(smallExtents.map(\.cartridgeId) == [second.id].compactMap { $0 })
            #expect(smallExtents.map(\.tapeFileNumber) == [1])

            // Verification reads both parts back from both cartridges.
            try await setup.copier.verify(record: try #require(big.id), pool: poolID, taskID: try await backupTask(setup, .verify, record: big))
            // Restore gives the same bytes.
            let restored = FileManager.default.temporaryDirectory.appendingPathComponent("tapelib-restored-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: restored) }
            try await setup.copier.restore(record: try #require(big.id), pool: poolID, to: restored,
                                           taskID: try await backupTask(setup, .restore, record: big))
            #expect(FileManager.default.contentsEqual(atPath: restored, andPath: bigPath))
            // Nothing is left in a drive.
            for drive in rig.driveIDs {
                #expect(try await rig.catalog.drive(id: drive)?.loadedCartridgeId == nil)
            }
            // A copy that exists already is not made twice.
            await #expect(throws: (any Error).self) {
                try await setup.copier.copy(record: try #require(big.id), toPool: poolID, taskID: try await backupTask(setup, .copy, record: big))
            }
        }
    }

    /// A restore whose copy needs a cartridge that was exported and taken away fails before
    /// any cartridge is loaded, naming it (and its part), and leaves no file behind.
    @Test func aRestoreNeedingACartridgeOutsideTheLibraryNamesItAndLoadsNothing() async throws {
        let setup = try await Self.setup()
        let rig = setup.rig
        let runner = BackupTaskRunner(copier: setup.copier, pollInterval: .milliseconds(5), logger: .init(label: "test"))
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let (record, path) = try await addRecord(setup, size: 20_000_000, seed: 51)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let recordID = try #require(record.id)
            let copied = try await MoveAndRestoreTests.run(runner, rig.catalog, BackupTask(type: .copy, targetPoolId: setup.pool.id, repositoryId: recordID))
            #expect(copied.status == .done, "\(copied.errorMessage ?? "")")
            let extents = try #require(try await rig.catalog.completeCopies(of: recordID).first?.1)
            #expect(extents.count == 2)
            let second = try #require(try await rig.catalog.cartridge(id: extents[1].cartridgeId))
            // Exported through the mail slot and taken out by an operator; a sync finds it gone.
            let exported = try await rig.waitForTask(try await rig.submit(.export, cartridge: second.id).id)
            #expect(exported.status == .done, "\(exported.errorMessage ?? "")")
            _ = try rig.simulated.operatorRemove(mailSlot: 1)
            try await rig.waitForTask(try await rig.submit(.sync).id)
            #expect(try await rig.catalog.cartridge(volumeTag: second.volumeTag)?.location == .offline)

            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapelib-restore-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let target = directory + "/" + RecordCopier.restoreFileName(record)
            let loadsBefore = try await rig.catalog.listLibraryTasks(ListQuery(filter: "type=\"load\"", limit: 1_000)).total
            let refused = try await MoveAndRestoreTests.run(runner, rig.catalog, BackupTask(
                type: .restore, poolId: setup.disk.id, targetPoolId: setup.pool.id, repositoryId: recordID, targetPath: target))
            #expect(refused.status == .error)
            #expect(refused.errorMessage?.contains("\(second.volumeTag) (part 1, offline)") == true, "\(refused.errorMessage ?? "")")
            #expect(try await rig.catalog.listLibraryTasks(ListQuery(filter: "type=\"load\"", limit: 1_000)).total == loadsBefore)
            #expect(!FileManager.default.fileExists(atPath: target))
        }
    }

    /// Reads the second cartridge of a copy with plain READ(6)s, as `dd` would, and decodes
    /// the labels with docs/tape-format.md's offsets (not NativeTapeFormat's decoder).
    @Test func theLayoutOnTapeIsTheDocumentedOne() async throws {
        let setup = try await Self.setup(verifyAfterWrite: false)
        let rig = setup.rig
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let (record, path) = try await addRecord(setup, size: 700_000, seed: 3)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let copy = try await setup.copier.copy(record: try #require(record.id), toPool: try #require(setup.pool.id),
                                                   taskID: try await backupTask(setup, .copy, record: record))
            // The pool writes without reading back: recorded complete, unverified.
            #expect(copy.state == .complete && !copy.verified)
            let copyID = try #require(copy.id)
            let extent = try #require(try await rig.catalog.extents(ofCopy: copyID).first)
            let cartridge = try #require(try await rig.catalog.cartridge(id: extent.cartridgeId))
            let load = try await rig.waitForTask(try await rig.submit(.load, drive: 0, cartridge: cartridge.id).id)
            #expect(load.status == .done, "\(load.errorMessage ?? "")")
            let drive = try await rig.engine.mountedDrive(library: rig.libraryID, drive: rig.driveIDs[0])
            try await drive.rewind()
            var records: [[UInt8]] = []
            readLoop: while true {
                switch try await drive.readRecord(maxLength: 1 << 20) {
                case .record(let bytes, _): records.append(bytes)
                case .filemark, .endOfData: break readLoop
                }
            }
            func be(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> UInt64 {
                bytes[offset..<offset + count].reduce(0) { $0 << 8 | UInt64($1) }
            }
            let header = try #require(records.first)
            let trailer = try #require(records.last)
            let data = records.dropFirst().dropLast()
            #expect(header.count == 512 && trailer.count == 512)
            #expect(Array(header[0..<8]) == Array("TLBKHDR1".utf8))
            #expect(be(header, 8, 2) == 1)
            #expect(be(header, 10, 8) == UInt64(record.id ?? 0))
            #expect(be(header, 18, 4) == 0 && be(header, 22, 4) == 0 && be(header, 26, 8) == 0)
            #expect(be(header, 34, 8) == 700_000)
            #expect(be(header, 42, 4) == 262_144)
            #expect(Array(header[46..<78]).map { String(format: "%02x", $0) }.joined() == record.sha256)
            #expect(Array(header[480..<512]) == Array(SHA256.hash(data: header[0..<480])))
            #expect(data.map(\.count) == [262_144, 262_144, 700_000 - 2 * 262_144])
            #expect(Array(trailer[0..<8]) == Array("TLBKEND1".utf8))
            #expect(be(trailer, 22, 8) == 700_000)
            #expect(trailer[30] == 1)
            #expect(Array(trailer[31..<63]) == Array(SHA256.hash(data: Array(data.joined()))))
            #expect(Array(trailer[480..<512]) == Array(SHA256.hash(data: trailer[0..<480])))
            #expect(extent.firstBlock == 0 && extent.lastBlock == 4)
        }
    }

    @Test func aPoolWithoutAWritableCartridgeRefusesAndTheCopyIsFailed() async throws {
        let setup = try await Self.setup()
        let rig = setup.rig
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            // 60 MB: more than the three 18 MB cartridges hold.
            let (record, path) = try await addRecord(setup, size: 60_000_000, seed: 4)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let refusal = try await refusedCopy(setup, record)
            #expect(refusal.contains("no writable cartridge"), "\(refusal)")
            let copies = try await rig.catalog.copies(of: try #require(record.id))
            #expect(copies.map(\.state) == [.failed])
            // The parts that were written are recorded with their cartridges, which are full.
            let extents = try await rig.catalog.extents(ofCopy: try #require(copies.first?.id))
            #expect(extents.count == 3)
            for extent in extents {
                #expect(try await rig.catalog.cartridge(id: extent.cartridgeId)?.status == .full)
            }

            // A scratch cartridge of the pool in another media server's library is not this
            // one's to load: the copy fails saying where the pool's tapes are.
            let other = try #require(try await rig.catalog.insert(MediaServer(hostname: "media-2", hwid: "h2")).id)
            let otherLibrary = try #require(try await rig.catalog.insert(TapeLibrary(mediaServerId: other)).id)
            _ = try await rig.catalog.reconcile(library: otherLibrary, snapshot: InventorySnapshot(elements: [
                InventoryElement(address: 1000, kind: .storage, isFull: true, volumeTag: "F00001L9"),
            ]), now: Date())
            _ = try await rig.catalog.registerCartridge(volumeTag: "F00001L9", poolName: "tapes")
            let (small, smallPath) = try await addRecord(setup, size: 1_000, seed: 5)
            defer { try? FileManager.default.removeItem(atPath: smallPath) }
            let elsewhere = try await refusedCopy(setup, small)
            #expect(elsewhere.contains("F00001L9") && elsewhere.contains("of media server media-2"), "\(elsewhere)")
            #expect(try await rig.catalog.cartridge(volumeTag: "F00001L9")?.status == .scratch)
        }
    }
}

/// Scheduled copy-to-tape jobs: a copy task for every record of the source pool without a copy
/// in the tape pool; the execution follows them and succeeds when they are done.
@Suite(.timeLimit(.minutes(5))) struct CopyJobTests {
    @Test func aCopyJobCopiesEveryRecordWithoutACopyOnce() async throws {
        let setup = try await CopyTests.setup()
        let rig = setup.rig
        let runner = BackupTaskRunner(copier: setup.copier, pollInterval: .milliseconds(5), logger: .init(label: "test"))
        let scheduler = JobScheduler(catalog: rig.catalog, engine: rig.engine)
        let poolID = try #require(setup.pool.id)
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            var paths: [String] = []
            defer { for path in paths { try? FileManager.default.removeItem(atPath: path) } }
            var records: [BackupRecord] = []
            for seed in [11, 12, 13] as [UInt64] {
                let (path, sha) = try CopyTests.archive(size: 400_000 + Int(seed), seed: seed)
                paths.append(path)
                records.append(try await rig.catalog.insert(BackupRecord(
                    client: "c", resource: path, resourceType: "File", backupType: .full, poolId: try #require(setup.disk.id),
                    sizeBytes: Int64(400_000 + Int(seed)), sha256: sha, path: path)))
            }
            // The second record has a copy in the tape pool already.
            _ = try await rig.catalog.recordCopy(of: try #require(records[1].id), inPool: poolID, state: .complete)
            let job = try await rig.catalog.insert(ScheduledJob(name: "to tape", kind: .copyToTape, poolId: poolID,
                                                                sourcePoolId: setup.disk.id))
            let jobID = try #require(job.id)
            let queued = try await scheduler.runNow(jobID)
            #expect(queued.count == 2)
            // A second run while those are queued queues nothing more.
            await scheduler.pass(now: Date())
            #expect(try await rig.catalog.recordsToCopy(into: poolID, from: setup.disk.id).isEmpty)
            while let claimed = try await rig.catalog.claimNextBackupTask(types: [.copy]) { await runner.runOne(claimed) }
            await scheduler.pass(now: Date())
            let runs = try await rig.catalog.listJobExecutions(ListQuery(filter: "job_id=\"\(jobID)\"")).items
            #expect(runs.map(\.status) == [.success], "\(runs.map(\.message))")
            for record in [records[0], records[2]] {
                #expect(try await rig.catalog.copies(of: try #require(record.id)).map(\.state) == [.complete])
            }
            // Run again: every record has its copy.
            #expect(try await scheduler.runNow(jobID).isEmpty)
        }
    }
}

/// Operators' controls on running copies: a pause holds the copy between two blocks with its
/// cartridge in the drive until continued; a kill ends it, its copy failed and its cartridge home.
@Suite(.timeLimit(.minutes(5))) struct CopyControlTests {
    func claimedCopy(_ setup: CopyTests.Setup, size: Int, seed: UInt64) async throws -> (BackupTask, String) {
        let (path, sha) = try CopyTests.archive(size: size, seed: seed)
        let record = try await setup.rig.catalog.insert(BackupRecord(
            client: "c", resource: path, resourceType: "File", backupType: .full, poolId: try #require(setup.disk.id),
            sizeBytes: Int64(size), sha256: sha, path: path))
        _ = try await setup.rig.catalog.enqueue(BackupTask(type: .copy, targetPoolId: setup.pool.id, repositoryId: record.id))
        return (try #require(try await setup.rig.catalog.claimNextBackupTask(types: [.copy])), path)
    }

    @Test func aPausedCopyHoldsItsDriveUntilContinuedAndCompletes() async throws {
        let setup = try await CopyTests.setup()
        let rig = setup.rig
        let runner = BackupTaskRunner(copier: setup.copier, pollInterval: .milliseconds(5), logger: .init(label: "test"))
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let (task, path) = try await claimedCopy(setup, size: 5_000_000, seed: 21)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let id = try #require(task.id)
            _ = try await rig.catalog.controlBackupTask(id, .pause)
            let running = Task { await runner.runOne(task) }
            // It holds at its first block: suspended, the cartridge in a drive.
            try await rig.eventually("the copy is paused") { try await rig.catalog.backupTask(id: id)?.status == .suspended }
            var loaded = false
            for drive in rig.driveIDs where try await rig.catalog.drive(id: drive)?.loadedCartridgeId != nil { loaded = true }
            #expect(loaded)
            await #expect(throws: CatalogError.self) { _ = try await rig.catalog.controlBackupTask(id, .pause) }
            _ = try await rig.catalog.controlBackupTask(id, .continue)
            await running.value
            #expect(try await rig.catalog.backupTask(id: id)?.status == .done)
            let recordID = try #require(task.repositoryId)
            #expect(try await rig.catalog.copies(of: recordID).map(\.state) == [.complete])
        }
    }

    @Test func aKilledCopyEndsKilledItsCopyFailedAndItsCartridgeHome() async throws {
        let setup = try await CopyTests.setup()
        let rig = setup.rig
        let runner = BackupTaskRunner(copier: setup.copier, pollInterval: .milliseconds(5), logger: .init(label: "test"))
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let (task, path) = try await claimedCopy(setup, size: 5_000_000, seed: 22)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let id = try #require(task.id)
            _ = try await rig.catalog.controlBackupTask(id, .kill)
            await runner.runOne(task)
            let ended = try #require(try await rig.catalog.backupTask(id: id))
            #expect(ended.status == .killed, "\(ended)")
            let recordID = try #require(task.repositoryId)
            #expect(try await rig.catalog.copies(of: recordID).map(\.state) == [.failed])
            for drive in rig.driveIDs { #expect(try await rig.catalog.drive(id: drive)?.loadedCartridgeId == nil) }
            // Restarted, it runs again from the start and completes.
            _ = try await rig.catalog.controlBackupTask(id, .restart)
            let again = try #require(try await rig.catalog.claimNextBackupTask(types: [.copy]))
            await runner.runOne(again)
            #expect(try await rig.catalog.backupTask(id: id)?.status == .done)
            #expect(try await rig.catalog.copies(of: recordID).map(\.state) == [.complete])
        }
    }

    /// A copy killed after its first block leaves a tape file the catalog does not know after
    /// the cartridge's last recorded part. The next copy onto that cartridge finds end of data
    /// elsewhere than the catalog's parts end: it closes the orphan with a filemark, starts its
    /// own tape file, and re-derives the cartridge's bytes from the drive.
    @Test func aCopyAfterAnUnrecordedTapeFileStartsItsOwnFileAndReDerivesTheBytes() async throws {
        let setup = try await CopyTests.setup()
        let rig = setup.rig
        let runner = BackupTaskRunner(copier: setup.copier, pollInterval: .milliseconds(5), logger: .init(label: "test"))
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let (first, firstPath) = try await claimedCopy(setup, size: 1_000_000, seed: 61)
            defer { try? FileManager.default.removeItem(atPath: firstPath) }
            await runner.runOne(first)
            let (killed, killedPath) = try await claimedCopy(setup, size: 3_000_000, seed: 62)
            defer { try? FileManager.default.removeItem(atPath: killedPath) }
            let killedID = try #require(killed.id)
            _ = try await rig.catalog.controlBackupTask(killedID, .kill)
            await runner.runOne(killed)
            #expect(try await rig.catalog.backupTask(id: killedID)?.status == .killed)
            let before = try #require(try await rig.catalog.cartridge(volumeTag: "E00001L9"))
            #expect(before.status == .append && before.bytesWritten == 1_000_000 + 1_024, "\(before)")

            let (third, thirdPath) = try await claimedCopy(setup, size: 500_000, seed: 63)
            defer { try? FileManager.default.removeItem(atPath: thirdPath) }
            let thirdID = try #require(third.id)
            await runner.runOne(third)
            #expect(try await rig.catalog.backupTask(id: thirdID)?.status == .done)
            let thirdRecord = try #require(third.repositoryId)
            let extent = try #require(try await rig.catalog.completeCopies(of: thirdRecord).first?.1.first)
            #expect(extent.cartridgeId == before.id)
            // Tape files: the first record's part (0), the closed orphan (1), this part (2).
            #expect(extent.tapeFileNumber == 2, "\(extent)")
            let log = try await rig.catalog.listTaskLog(ListQuery(filter: "task_id=\"\(thirdID)\"", limit: 100)).items.map(\.message)
            #expect(log.contains { $0.contains("re-derived from the drive") }, "\(log)")
            // The orphan's bytes count: more than the two recorded parts and their labels.
            let after = try #require(try await rig.catalog.cartridge(volumeTag: "E00001L9"))
            #expect(after.bytesWritten >= 1_048_576 + 500_000 + 1_024, "\(after.bytesWritten)")
            // Both recorded parts read back.
            let firstRecord = try #require(first.repositoryId)
            try await setup.copier.verify(record: firstRecord, pool: try #require(setup.pool.id), taskID: thirdID)
            try await setup.copier.verify(record: thirdRecord, pool: try #require(setup.pool.id), taskID: thirdID)
        }
    }
}

/// Faults during copies: the task fails with the decoded sense, the copy is failed, nothing is
/// recorded that was not written, the cartridge goes home, and a retry starts over.
@Suite(.timeLimit(.minutes(5))) struct CopyFaultTests {
    @Test(arguments: [TapeFormat.native, .ltfs])
    func aMediaErrorMidCopyFailsTheTaskWithTheSenseAndARetryCompletesOnAnotherCartridge(_ format: TapeFormat) async throws {
        let setup = try await CopyTests.setup(format: format)
        let rig = setup.rig
        // Writing the 5th data record of the first cartridge gives MEDIUM ERROR 3/0C/00: native,
        // logical object 5 of partition 0; LTFS, object 9 of the data partition (its data
        // starts at b/7, after the format's label and index).
        if format == .native {
            rig.simulated.injectMediaError(barcode: "E00001L9", block: 5)
        } else {
            rig.simulated.injectMediaError(barcode: "E00001L9", partition: 1, block: 9)
        }
        let runner = BackupTaskRunner(copier: setup.copier, pollInterval: .milliseconds(5), logger: .init(label: "test"))
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let (path, sha) = try CopyTests.archive(size: 3_000_000, seed: 9)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let record = try await rig.catalog.insert(BackupRecord(
                client: "c", resource: path, resourceType: "File", backupType: .full, poolId: try #require(setup.disk.id),
                sizeBytes: 3_000_000, sha256: sha, path: path))
            let recordID = try #require(record.id)
            let queued = try await rig.catalog.enqueue(BackupTask(type: .copy, targetPoolId: setup.pool.id, repositoryId: recordID))
            let claimed = try #require(try await rig.catalog.claimNextBackupTask(types: [.copy, .verify]))
            #expect(claimed.id == queued.id)
            await runner.runOne(claimed)
            let queuedID = try #require(queued.id)
            let failed = try #require(try await rig.catalog.backupTask(id: queuedID))
            #expect(failed.status == .error)
            #expect(failed.senseKey == 3 && failed.asc == 0x0C, "\(failed)")
            let copies = try await rig.catalog.copies(of: recordID)
            #expect(copies.map(\.state) == [.failed])
            let failedCopy = try #require(copies.first?.id)
            #expect(try await rig.catalog.extents(ofCopy: failedCopy).isEmpty)
            // The cartridge went home; no drive holds anything.
            #expect(try await rig.catalog.cartridge(volumeTag: "E00001L9")?.location == .slot)
            for drive in rig.driveIDs { #expect(try await rig.catalog.drive(id: drive)?.loadedCartridgeId == nil) }

            // The cartridge with the bad spot is kept out of use; a retry starts over on the next one.
            #expect(try await rig.catalog.cartridge(volumeTag: "E00001L9")?.status == .error)
            let retry = try await rig.catalog.enqueue(BackupTask(type: .copy, targetPoolId: setup.pool.id, repositoryId: recordID))
            let next = try #require(try await rig.catalog.claimNextBackupTask(types: [.copy]))
            await runner.runOne(next)
            let retryID = try #require(retry.id)
            let done = try #require(try await rig.catalog.backupTask(id: retryID))
            #expect(done.status == .done, "\(done.errorMessage ?? "")")
            let copy = try #require(try await rig.catalog.copies(of: recordID).first)
            #expect(copy.state == .complete)
            let copyID = try #require(copy.id)
            let extents = try await rig.catalog.extents(ofCopy: copyID)
            let second = try await rig.catalog.cartridge(volumeTag: "E00002L9")
            #expect(extents.map(\.cartridgeId) == [second?.id].compactMap { $0 })
        }
    }

    /// The robot jams moving the copy's cartridge into a drive: the task fails with the changer's
    /// decoded sense, the copy is failed with nothing recorded, the catalog keeps the cartridge
    /// where the robot left it, and once an operator has cleared the jam a retry completes.
    @Test func aRobotJamWhileMountingFailsTheCopyWithTheSenseAndARetryCompletes() async throws {
        let setup = try await CopyTests.setup()
        let rig = setup.rig
        let runner = BackupTaskRunner(copier: setup.copier, pollInterval: .milliseconds(5), logger: .init(label: "test"))
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let (path, sha) = try CopyTests.archive(size: 1_500_000, seed: 31)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let record = try await rig.catalog.insert(BackupRecord(
                client: "c", resource: path, resourceType: "File", backupType: .full, poolId: try #require(setup.disk.id),
                sizeBytes: 1_500_000, sha256: sha, path: path))
            let recordID = try #require(record.id)
            rig.simulated.jamRobot()
            let queued = try await rig.catalog.enqueue(BackupTask(type: .copy, targetPoolId: setup.pool.id, repositoryId: recordID))
            await runner.runOne(try #require(try await rig.catalog.claimNextBackupTask(types: [.copy])))
            let queuedID = try #require(queued.id)
            let failed = try #require(try await rig.catalog.backupTask(id: queuedID))
            #expect(failed.status == .error)
            #expect(failed.errorMessage?.contains("loading E00001L9 failed") == true, "\(failed.errorMessage ?? "")")
            #expect(failed.senseKey == 4 && failed.asc == 0x15 && failed.ascq == 0x01, "\(failed)")
            let copies = try await rig.catalog.copies(of: recordID)
            #expect(copies.map(\.state) == [.failed])
            let failedCopy = try #require(copies.first?.id)
            #expect(try await rig.catalog.extents(ofCopy: failedCopy).isEmpty)
            // The load task of the copy carries the changer's sense: HARDWARE ERROR 15h/01h.
            let loads = try await rig.catalog.listLibraryTasks(ListQuery(filter: "backup_task_id=\"\(queuedID)\"")).items
            #expect(loads.map(\.type) == [.load] && loads.first?.status == .error)
            #expect(loads.first?.senseKey == 4 && loads.first?.asc == 0x15, "\(loads)")
            // Nothing was loaded: the cartridge is home in the catalog, as in the library.
            for drive in rig.driveIDs { #expect(try await rig.catalog.drive(id: drive)?.loadedCartridgeId == nil) }
            #expect(try await rig.catalog.cartridge(volumeTag: "E00001L9")?.location == .slot)

            // The operator clears the jam (INITIALIZE ELEMENT STATUS at the front panel); the retry completes.
            var cleared = try await rig.simulated.execute(device: 0, SCSICommand(cdb: [0x07, 0, 0, 0, 0, 0]))
            for _ in 0..<4 where cleared.status != .good { cleared = try await rig.simulated.execute(device: 0, SCSICommand(cdb: [0x07, 0, 0, 0, 0, 0])) }
            #expect(cleared.status == .good)
            let retry = try await rig.catalog.enqueue(BackupTask(type: .copy, targetPoolId: setup.pool.id, repositoryId: recordID))
            await runner.runOne(try #require(try await rig.catalog.claimNextBackupTask(types: [.copy])))
            let retryID = try #require(retry.id)
            let done = try #require(try await rig.catalog.backupTask(id: retryID))
            #expect(done.status == .done, "\(done.errorMessage ?? "")")
            #expect(try await rig.catalog.completeCopies(of: recordID).first?.0.verified == true)
        }
    }

    /// The drive vanishes mid-copy (paused at a block, unplugged, continued): the task fails with
    /// the transport's error, the copy is failed, and the catalog still shows the cartridge in
    /// the drive it could not be taken from.
    @Test(arguments: [TapeFormat.native, .ltfs])
    func aDriveThatVanishesMidCopyFailsTheCopyAndTheCatalogKeepsTheCartridgeInIt(_ format: TapeFormat) async throws {
        let setup = try await CopyTests.setup(format: format)
        let rig = setup.rig
        let runner = BackupTaskRunner(copier: setup.copier, pollInterval: .milliseconds(5), logger: .init(label: "test"))
        try await rig.serving {
            try await rig.waitForTask(try await rig.submit(.sync).id)
            let (path, sha) = try CopyTests.archive(size: 3_000_000, seed: 31)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let record = try await rig.catalog.insert(BackupRecord(
                client: "c", resource: path, resourceType: "File", backupType: .full, poolId: try #require(setup.disk.id),
                sizeBytes: 3_000_000, sha256: sha, path: path))
            let recordID = try #require(record.id)
            _ = try await rig.catalog.enqueue(BackupTask(type: .copy, targetPoolId: setup.pool.id, repositoryId: recordID))
            let task = try #require(try await rig.catalog.claimNextBackupTask(types: [.copy]))
            let id = try #require(task.id)
            _ = try await rig.catalog.controlBackupTask(id, .pause)
            let running = Task { await runner.runOne(task) }
            try await rig.eventually("the copy is paused") { try await rig.catalog.backupTask(id: id)?.status == .suspended }
            // The drive that holds the cartridge goes away.
            var used: Int?
            for (index, drive) in rig.driveIDs.enumerated() where try await rig.catalog.drive(id: drive)?.loadedCartridgeId != nil {
                used = index
            }
            let index = try #require(used)
            rig.driveDevices[index].unplug()
            _ = try await rig.catalog.controlBackupTask(id, .continue)
            await running.value
            let ended = try #require(try await rig.catalog.backupTask(id: id))
            #expect(ended.status == .error)
            #expect(ended.errorMessage?.isEmpty == false)
            #expect(try await rig.catalog.copies(of: recordID).map(\.state) == [.failed])
            let cartridge = try #require(try await rig.catalog.cartridge(volumeTag: "E00001L9"))
            #expect(cartridge.location == .drive, "\(cartridge)")
        }
    }

    @Test func tasksAndCopiesInterruptedByAStopAreBrokenAndFailedAtTheNextStart() async throws {
        let setup = try await CopyTests.setup()
        let catalog = setup.rig.catalog
        let record = try await catalog.insert(BackupRecord(client: "c", resource: "/r", resourceType: "File", backupType: .full,
                                                           poolId: try #require(setup.disk.id), sizeBytes: 1))
        let recordID = try #require(record.id)
        let task = try await catalog.enqueue(BackupTask(type: .copy, status: .execution, targetPoolId: setup.pool.id, repositoryId: recordID))
        let copy = try await catalog.beginCopy(of: recordID, inPool: try #require(setup.pool.id))
        #expect(try await catalog.breakInterruptedBackupTasks() == 1)
        let taskID = try #require(task.id)
        #expect(try await catalog.backupTask(id: taskID)?.status == .broken)
        #expect(try await catalog.copies(of: recordID).map(\.state) == [.failed])
        _ = copy
    }
}

@Suite struct NativeTapeFormatTests {
    @Test func labelsRoundTripAndBadBytesAreTypedErrors() throws {
        let header = NativeTapeFormat.Header(recordID: 42, partNumber: 3, cartridgeSequence: 2, byteOffset: 1 << 33,
                                             recordSize: 1 << 34, recordSHA256: Array(repeating: 0xAB, count: 32), blockSize: 524_288)
        let bytes = NativeTapeFormat.encode(header)
        #expect(bytes.count == 512)
        #expect(try NativeTapeFormat.decodeHeader(bytes) == header)
        let trailer = NativeTapeFormat.Trailer(recordID: 42, partNumber: 3, partSize: 99, partSHA256: Array(repeating: 7, count: 32), lastPart: true)
        #expect(try NativeTapeFormat.decodeTrailer(NativeTapeFormat.encode(trailer)) == trailer)
        // A header is not a trailer.
        #expect(throws: NativeTapeFormat.LabelError.wrongMagic) { try NativeTapeFormat.decodeTrailer(bytes) }
        #expect(throws: NativeTapeFormat.LabelError.wrongLength(511)) { try NativeTapeFormat.decodeHeader(Array(bytes.prefix(511))) }
        var flipped = bytes
        flipped[20] ^= 1
        #expect(throws: NativeTapeFormat.LabelError.checksumMismatch) { try NativeTapeFormat.decodeHeader(flipped) }
        // Random and oversized bytes: a typed error, never a crash.
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 8, 10, 480, 512, 513, 4096] {
            let random = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(throws: NativeTapeFormat.LabelError.self) { try NativeTapeFormat.decodeHeader(random) }
            #expect(throws: NativeTapeFormat.LabelError.self) { try NativeTapeFormat.decodeTrailer(random) }
        }
    }
}
