import Foundation
import Testing
@testable import Catalog

/// The copy ledger and the backup task queue as the copy runner works them, written once for
/// both stores: each step checked on SQLite and on PostgreSQL against answers written here.
@Suite("Copies onto tape, on SQLite and on PostgreSQL")
struct CopyLedgerStoreTests {
    @Test("a copy: queued task claimed, parts written with the cartridge's bytes, completed, verified; a move ends it",
          arguments: QueueStore.allCases)
    func copyAndMove(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let catalog = fixture.catalog
        let disk = try #require(try await catalog.insert(Pool(name: "disk", type: .fileSystem)).id)
        let tape = try #require(try await catalog.insert(Pool(name: "tape", type: .tapeLibrary)).id)
        _ = try await catalog.insertStorage(StorageLocalCatalog(path: "/srv/b", poolId: disk))
        _ = try await catalog.insertStorage(StorageLocalCatalog(path: "/srv/a", poolId: disk))
        #expect(try await catalog.localCatalogDirectories(pool: disk) == ["/srv/b", "/srv/a"])
        let record = try await catalog.insert(BackupRecord(client: "c", resource: "/home", resourceType: "File system",
                                                           backupType: .full, poolId: disk, sizeBytes: 3_000,
                                                           path: "/srv/b/archive-1.tar"))
        let recordID = try #require(record.id)
        _ = try await catalog.insert(BackupRecord(client: "c", resource: "/etc", resourceType: "File system",
                                                  backupType: .full, poolId: disk))
        #expect(try await catalog.recordsToCopy(into: tape, from: nil).map(\.id) == [recordID])
        #expect(try await catalog.recordsToCopy(into: tape, from: disk).map(\.id) == [recordID])

        _ = try await catalog.reconcile(library: fixture.libraryID, snapshot: InventorySnapshot(elements: [
            InventoryElement(address: 1000, kind: .storage, isFull: true, volumeTag: "AAA001L9"),
            InventoryElement(address: 1001, kind: .storage, isFull: true, volumeTag: "AAA002L9"),
        ]), now: Date())
        try await catalog.registerCartridges(["AAA001L9", "AAA002L9"], pool: tape)
        let a = try #require(try await catalog.cartridge(volumeTag: "AAA001L9")?.id)
        let b = try #require(try await catalog.cartridge(volumeTag: "AAA002L9")?.id)
        #expect(try await catalog.writableCartridge(pool: tape)?.cartridge.id == a)

        let task = try await catalog.enqueue(BackupTask(type: .copy, poolId: disk, targetPoolId: tape, repositoryId: recordID))
        #expect(try await catalog.recordsToCopy(into: tape, from: nil).isEmpty)   // one is queued already
        #expect(try await catalog.claimNextBackupTask(types: [.verify]) == nil)
        let claimed = try #require(try await catalog.claimNextBackupTask(types: [.copy, .verify]))
        #expect(claimed.id == task.id && claimed.status == .start)
        #expect(try await catalog.claimNextBackupTask(types: [.copy]) == nil)
        try await catalog.updateBackupTask(try #require(task.id), status: .execution, phase: "writing", percent: 140, log: "writing")

        let copy = try await catalog.beginCopy(of: recordID, inPool: tape)
        let copyID = try #require(copy.id)
        _ = try await catalog.recordPartWritten(RepositoryCopyExtent(copyId: copyID, partIndex: 0, cartridgeId: a, tapeFileNumber: 0,
                                                                     firstBlock: 0, lastBlock: 9, byteOffset: 0, byteCount: 2_000),
                                                bytesOnTape: 2_048, cartridgeFull: true)
        #expect(try await catalog.cartridge(id: a)?.status == .full)
        #expect(try await catalog.writableCartridge(pool: tape)?.cartridge.id == b)
        #expect(try await catalog.writableCartridge(pool: tape, excluding: [b]) == nil)
        _ = try await catalog.recordPartWritten(RepositoryCopyExtent(copyId: copyID, partIndex: 1, cartridgeId: b, tapeFileNumber: 0,
                                                                     firstBlock: 0, lastBlock: 4, byteOffset: 2_000, byteCount: 1_000),
                                                bytesOnTape: 1_024, cartridgeFull: false)
        #expect(try await catalog.endOfRecordedParts(cartridge: b) == 6)
        #expect(try await catalog.endOfRecordedParts(cartridge: 4242) == 0)
        #expect(try await catalog.completeCopies(of: recordID).isEmpty)
        let done = try await catalog.finishCopy(copyID, state: .complete, verified: false)
        #expect(done.state == .complete && !done.verified)
        await #expect(throws: CatalogError.self) { _ = try await catalog.finishCopy(copyID, state: .failed) }
        await #expect(throws: CatalogError.self) { _ = try await catalog.beginCopy(of: recordID, inPool: tape) }
        #expect(try await catalog.recordsToCopy(into: tape, from: nil).isEmpty)
        // A move needs the copy verified first.
        await #expect(throws: CatalogError.self) {
            _ = try await catalog.completeMove(record: recordID, into: tape, copy: copyID, expectedPath: "/srv/b/archive-1.tar")
        }
        try await catalog.markCopyVerified(copyID)
        let complete = try await catalog.completeCopies(of: recordID)
        #expect(complete.map(\.0.verified) == [true] && complete.first?.1.map(\.cartridgeId) == [a, b])
        let moved = try await catalog.completeMove(record: recordID, into: tape, copy: copyID, expectedPath: "/srv/b/archive-1.tar")
        #expect(moved.poolId == tape && moved.path == nil)
        try await catalog.updateBackupTask(try #require(task.id), status: .done)
        #expect(try await catalog.backupTask(id: try #require(task.id))?.progressPercent == 100)
        let restored = try await catalog.adoptRestoredArchive(record: recordID, pool: disk, path: "/srv/a/archive-1.tar",
                                                              mediaServer: fixture.serverID)
        #expect(restored.poolId == disk && restored.path == "/srv/a/archive-1.tar")
        #expect(try await catalog.record(id: recordID)?.archiveMediaServerId == fixture.serverID)
        await #expect(throws: CatalogError.self) {
            _ = try await catalog.adoptRestoredArchive(record: recordID, pool: disk, path: "/srv/a/again.tar", mediaServer: nil)
        }
    }

    @Test("a service that stopped: started backup tasks end broken and copies in progress fail",
          arguments: QueueStore.allCases)
    func interrupted(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let catalog = fixture.catalog
        let disk = try #require(try await catalog.insert(Pool(name: "disk", type: .fileSystem)).id)
        let tape = try #require(try await catalog.insert(Pool(name: "tape", type: .tapeLibrary)).id)
        let record = try #require(try await catalog.insert(BackupRecord(client: "c", resource: "/", resourceType: "File system",
                                                                        backupType: .full, poolId: disk)).id)
        let running = try await catalog.enqueue(BackupTask(type: .copy, poolId: disk, targetPoolId: tape, repositoryId: record))
        let waiting = try await catalog.enqueue(BackupTask(type: .copy, poolId: disk, targetPoolId: tape, repositoryId: record))
        _ = try await catalog.claimNextBackupTask(types: [.copy])
        let copy = try await catalog.beginCopy(of: record, inPool: tape)
        #expect(try await catalog.breakInterruptedBackupTasks() == 1)
        #expect(try await catalog.backupTask(id: try #require(running.id))?.status == .broken)
        #expect(try await catalog.backupTask(id: try #require(waiting.id))?.status == .new)
        #expect(try await catalog.copies(of: record).map(\.state) == [.failed])
        // A failed copy is replaced by the next attempt.
        // (SQLite may give it the id the failed one had; PostgreSQL's sequence never does.)
        let again = try await catalog.beginCopy(of: record, inPool: tape)
        #expect(again.state == .inProgress && copy.state == .inProgress)
        #expect(try await catalog.copies(of: record).map(\.state) == [.inProgress])
    }

    @Test("on a shared catalog a media server that restarts breaks only the backup tasks it claimed, and fails only their copies",
          arguments: QueueStore.allCases)
    func interruptedOnOneNode(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let catalog = fixture.catalog
        let other = try #require(try await catalog.insert(MediaServer(hostname: "media-2", hwid: "h2")).id)
        let disk = try #require(try await catalog.insert(Pool(name: "disk", type: .fileSystem)).id)
        let tape = try #require(try await catalog.insert(Pool(name: "tape", type: .tapeLibrary)).id)
        var records: [Int64] = []
        for index in 0..<2 {
            records.append(try #require(try await catalog.insert(BackupRecord(client: "c\(index)", resource: "/", resourceType: "File system",
                                                                              backupType: .full, poolId: disk)).id))
        }
        let mine = try await catalog.enqueue(BackupTask(type: .copy, poolId: disk, targetPoolId: tape, repositoryId: records[0]))
        let theirs = try await catalog.enqueue(BackupTask(type: .copy, poolId: disk, targetPoolId: tape, repositoryId: records[1]))
        #expect(try await catalog.claimNextBackupTask(types: [.copy], mediaServer: fixture.serverID)?.id == mine.id)
        #expect(try await catalog.claimNextBackupTask(types: [.copy], mediaServer: other)?.id == theirs.id)
        _ = try await catalog.beginCopy(of: records[0], inPool: tape)
        _ = try await catalog.beginCopy(of: records[1], inPool: tape)
        // This media server starts again: its task and its copy end; the other's run on.
        #expect(try await catalog.breakInterruptedBackupTasks(mediaServer: fixture.serverID) == 1)
        #expect(try await catalog.backupTask(id: try #require(mine.id))?.status == .broken)
        #expect(try await catalog.backupTask(id: try #require(theirs.id))?.status == .start)
        #expect(try await catalog.copies(of: records[0]).map(\.state) == [.failed])
        #expect(try await catalog.copies(of: records[1]).map(\.state) == [.inProgress])
        // The catalog's only service (no media server named) breaks every started task.
        #expect(try await catalog.breakInterruptedBackupTasks() == 1)
        #expect(try await catalog.copies(of: records[1]).map(\.state) == [.failed])
    }

    @Test("on a shared catalog a media server claims the copies, verifications and restores whose tapes are in its libraries",
          arguments: QueueStore.allCases)
    func claimsFollowTheTapes(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let catalog = fixture.catalog
        let mine = fixture.serverID
        let other = try #require(try await catalog.insert(MediaServer(hostname: "media-2", hwid: "h2")).id)
        let otherLibrary = try #require(try await catalog.insert(TapeLibrary(mediaServerId: other)).id)
        let disk = try #require(try await catalog.insert(Pool(name: "disk", type: .fileSystem)).id)
        let tape = try #require(try await catalog.insert(Pool(name: "tape", type: .tapeLibrary)).id)
        let empty = try #require(try await catalog.insert(Pool(name: "empty", type: .tapeLibrary)).id)
        _ = try await catalog.reconcile(library: otherLibrary, snapshot: InventorySnapshot(elements: [
            InventoryElement(address: 1000, kind: .storage, isFull: true, volumeTag: "BBB001L9"),
            InventoryElement(address: 1001, kind: .storage, isFull: true, volumeTag: "BBB002L9"),
        ]), now: Date())
        try await catalog.registerCartridges(["BBB001L9", "BBB002L9"], pool: tape)
        let onOthers = try #require(try await catalog.cartridge(volumeTag: "BBB001L9")?.id)
        let record = try #require(try await catalog.insert(BackupRecord(client: "c", resource: "/", resourceType: "File system",
                                                                        backupType: .full, poolId: disk, sizeBytes: 100)).id)

        // A copy onto `tape`: its writable cartridges are all in the other media server's library.
        let copyTask = try await catalog.enqueue(BackupTask(type: .copy, poolId: disk, targetPoolId: tape, repositoryId: record))
        #expect(try await catalog.claimNextBackupTask(types: [.copy, .move], mediaServer: mine, shared: true) == nil)
        #expect(try await catalog.claimNextBackupTask(types: [.copy, .move], mediaServer: other, shared: true)?.id == copyTask.id)
        // A copy onto a pool with no cartridge in any library is anyone's (it fails saying so).
        let nowhere = try await catalog.enqueue(BackupTask(type: .copy, poolId: disk, targetPoolId: empty, repositoryId: record))
        #expect(try await catalog.claimNextBackupTask(types: [.copy], mediaServer: mine, shared: true)?.id == nowhere.id)

        // The copy written on the other's cartridge: its verification and a restore from it are the other's.
        let copy = try #require(try await catalog.beginCopy(of: record, inPool: tape).id)
        _ = try await catalog.recordPartWritten(RepositoryCopyExtent(copyId: copy, partIndex: 0, cartridgeId: onOthers, tapeFileNumber: 0,
                                                                     firstBlock: 0, lastBlock: 1, byteOffset: 0, byteCount: 100),
                                                bytesOnTape: 1_024, cartridgeFull: false)
        let verify = try await catalog.enqueue(BackupTask(type: .verify, poolId: disk, targetPoolId: tape, repositoryId: record))
        let restore = try await catalog.enqueue(BackupTask(type: .restore, targetPoolId: tape, repositoryId: record,
                                                           targetPath: "/srv/restore/archive.tar"))
        // Until the copy is complete it holds nothing to read: anyone's.
        let early = try #require(try await catalog.claimNextBackupTask(types: [.verify], mediaServer: mine, shared: true))
        #expect(early.id == verify.id)
        _ = try await catalog.finishCopy(copy, state: .complete, verified: false)
        #expect(try await catalog.claimNextBackupTask(types: [.verify, .restore], mediaServer: mine, shared: true) == nil)
        #expect(try await catalog.claimNextBackupTask(types: [.verify, .restore], mediaServer: other, shared: true)?.id == restore.id)

        // The catalog's only service claims whatever waits first.
        let second = try await catalog.enqueue(BackupTask(type: .verify, poolId: disk, targetPoolId: tape, repositoryId: record))
        #expect(try await catalog.claimNextBackupTask(types: [.verify], mediaServer: mine, shared: true) == nil)
        #expect(try await catalog.claimNextBackupTask(types: [.verify], mediaServer: mine)?.id == second.id)

        // A record whose archive is on this media server's host: its copies and moves are this
        // one's, even onto a pool whose tapes are all the other's (and fail here saying so); the
        // other leaves them. Verifications still follow the tapes.
        let here = try #require(try await catalog.insert(BackupRecord(client: "c", resource: "/a", resourceType: "File", backupType: .full,
                                                                      poolId: disk, sizeBytes: 10, path: "/srv/a.tar",
                                                                      archiveMediaServerId: mine)).id)
        let copyHere = try await catalog.enqueue(BackupTask(type: .copy, poolId: disk, targetPoolId: tape, repositoryId: here))
        let moveHere = try await catalog.enqueue(BackupTask(type: .move, poolId: disk, targetPoolId: empty, repositoryId: here))
        #expect(try await catalog.claimNextBackupTask(types: [.copy, .move], mediaServer: other, shared: true) == nil)
        #expect(try await catalog.claimNextBackupTask(types: [.copy, .move], mediaServer: mine, shared: true)?.id == copyHere.id)
        #expect(try await catalog.claimNextBackupTask(types: [.copy, .move], mediaServer: mine, shared: true)?.id == moveHere.id)
        // One on the other's host is the other's, even onto a pool with no tape anywhere.
        let there = try #require(try await catalog.insert(BackupRecord(client: "c", resource: "/b", resourceType: "File", backupType: .full,
                                                                       poolId: disk, sizeBytes: 10, path: "/srv/b.tar",
                                                                       archiveMediaServerId: other)).id)
        let copyThere = try await catalog.enqueue(BackupTask(type: .copy, poolId: disk, targetPoolId: empty, repositoryId: there))
        #expect(try await catalog.claimNextBackupTask(types: [.copy], mediaServer: mine, shared: true) == nil)
        #expect(try await catalog.claimNextBackupTask(types: [.copy], mediaServer: other, shared: true)?.id == copyThere.id)
    }
}
