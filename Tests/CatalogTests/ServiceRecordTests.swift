import Foundation
import Testing
@testable import Catalog

/// The scheduler's, the engine's and registration's records, written once for both stores: each
/// test runs on SQLite and on PostgreSQL against answers written here.
@Suite("Scheduler, drive use and registration records, on SQLite and on PostgreSQL")
struct ServiceRecordTests {
    @Test("scheduled jobs: active ones by priority, next run and deactivation, failures since the last success",
          arguments: QueueStore.allCases)
    func scheduledJobs(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let catalog = fixture.catalog
        let low = try await catalog.insert(ScheduledJob(name: "low", kind: .librarySync, libraryId: fixture.libraryID,
                                                        priority: 10))
        let high = try await catalog.insert(ScheduledJob(name: "high", kind: .librarySync, libraryId: fixture.libraryID,
                                                         priority: 500))
        let off = try await catalog.insert(ScheduledJob(name: "off", kind: .librarySync, libraryId: fixture.libraryID,
                                                        isActive: false))
        #expect(try await catalog.activeScheduledJobs().map(\.name) == ["high", "low"])
        let next = Date(timeIntervalSince1970: 1_800_003_600)
        try await catalog.scheduleJob(try #require(low.id), nextRunAt: next)
        #expect(try await catalog.scheduledJob(id: try #require(low.id))?.nextRunAt == next)
        try await catalog.scheduleJob(try #require(high.id), nextRunAt: nil, deactivate: true)
        #expect(try await catalog.activeScheduledJobs().map(\.name) == ["low"])
        #expect(off.isActive == false)
        await #expect(throws: CatalogError.notFound(resource: "scheduled_jobs", identifier: "4242")) {
            try await catalog.scheduleJob(4242, nextRunAt: nil)
        }

        let jobID = try #require(low.id)
        let claims = try #require(catalog as? any JobRunClaims)
        var started: [JobExecution] = []
        for (index, status) in [ExecutionStatus.failed, .success, .failed, .failed].enumerated() {
            let due = Date(timeIntervalSince1970: 1_800_000_000 + Double(index) * 3600)
            // A run is claimed for the due time the job is scheduled at.
            try await catalog.scheduleJob(jobID, nextRunAt: due)
            let execution = try #require(try await claims.claimJobRun(jobID, due: due, now: due))
            started.append(execution)
            try await catalog.writeSQL { sql in
                try sql.execute("UPDATE job_executions SET status = ? WHERE id = ?",
                                [status.rawValue.databaseValue, (execution.id ?? -1).databaseValue])
            }
        }
        #expect(try await catalog.consecutiveFailures(job: jobID) == 2)
        #expect(try await catalog.executions(ofJob: jobID).map(\.id) == started.map(\.id))
        #expect(try await catalog.runningExecutions().isEmpty)
        let executionID = try #require(started.last?.id)
        let queue = try #require(catalog as? any LibraryTaskQueue)
        let task = try #require(try await queue.enqueue(LibraryTask(type: .sync, libraryId: fixture.libraryID)).id)
        try await catalog.setExecutionTask(executionID, tlTaskID: task)
        #expect(try await catalog.executions(ofJob: jobID).last?.tlTaskId == task)
    }

    @Test("drive use: mounts counted on both, bytes and TapeAlert flags added, health applied, generation checked",
          arguments: QueueStore.allCases)
    func driveUse(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let catalog = fixture.catalog
        let driveID = try #require(try await catalog.insert(LibraryTapeDrive(
            libraryId: fixture.libraryID, mediaServerId: fixture.serverID, device: "/dev/sg3", scsiPath: "[6:0:1:0]",
            sysTransferElement: 1)).id)
        let cartridgeID = try #require(try await catalog.registerCartridge(volumeTag: "AAA001L8").id)
        try await catalog.recordMount(drive: driveID, cartridge: cartridgeID)
        var drive = try #require(try await catalog.drive(id: driveID))
        #expect(drive.loadedCartridgeId == cartridgeID && drive.mountsSinceCleaning == 1)
        #expect(try await catalog.cartridge(id: cartridgeID)?.mounts == 1)
        try await catalog.recordUnmount(drive: driveID, bytesTransferred: 5_000, tapeAlertFlags: 1 << 3)
        try await catalog.recordUnmount(drive: driveID, bytesTransferred: Int64.max, tapeAlertFlags: 1 << 19)
        try await catalog.recordTapeAlerts(drive: driveID, flags: 1)
        drive = try #require(try await catalog.drive(id: driveID))
        #expect(drive.loadedCartridgeId == nil && drive.bytesSinceCleaning == Int64.max)
        #expect(drive.tapeAlertFlagsSeen == (1 << 3) | (1 << 19) | 1)

        try await catalog.recordDriveHealth(drive: driveID, driveState: .needsCleaning, cartridge: cartridgeID,
                                            cartridgeStatus: .error, cartridgeError: "media error")
        #expect(try await catalog.drive(id: driveID)?.state == .needsCleaning)
        let damaged = try #require(try await catalog.cartridge(id: cartridgeID))
        #expect(damaged.status == .error && damaged.lastError == "media error")

        await #expect(throws: CatalogError.self) { _ = try await catalog.setDriveGeneration(driveID, generation: 11) }
        #expect(try await catalog.setDriveGeneration(driveID, generation: 9).generation == 9)
        // LTO-9 drives read and write LTO-8 (L8) and LTO-9 media, not LTO-7 (scsi-reference.md).
        let l8 = try await catalog.mediumAccess(driveGeneration: 9, volumeTag: "AAA001L8")
        #expect(l8.type?.name == "LTO-8" && l8.canRead && l8.canWrite)
        let l7 = try await catalog.mediumAccess(driveGeneration: 9, volumeTag: "BBB001L7")
        #expect(l7.type?.name == "LTO-7" && !l7.canRead && !l7.canWrite)
        #expect(try await catalog.mediumAccess(driveGeneration: 9, volumeTag: "ODDTAG").type == nil)
    }

    @Test("registration into a pool: unregistered ones become registered, cleaning ones stay out of pools, unknown ones change nothing",
          arguments: QueueStore.allCases)
    func registration(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let catalog = fixture.catalog
        _ = try await catalog.reconcile(library: fixture.libraryID, snapshot: InventorySnapshot(elements: [
            InventoryElement(address: 1000, kind: .storage, isFull: true, volumeTag: "AAA002L9"),
            InventoryElement(address: 1001, kind: .storage, isFull: true, volumeTag: "AAA001L9"),
            InventoryElement(address: 1002, kind: .storage, isFull: true, volumeTag: "CLN001CU"),
        ]), now: Date())
        #expect(try await catalog.unregisteredCartridges(library: fixture.libraryID) == ["AAA002L9", "AAA001L9"])
        let pool = try #require(try await catalog.insert(Pool(name: "tape_pool", type: .tapeLibrary)).id)
        await #expect(throws: CatalogError.self) {
            _ = try await catalog.registerCartridges(["AAA001L9", "NOPE01L9"], pool: pool)
        }
        #expect(try await catalog.unregisteredCartridges(library: fixture.libraryID) == ["AAA002L9", "AAA001L9"])
        #expect(try await catalog.registerCartridges(["AAA001L9", "CLN001CU", "AAA002L9"], pool: pool) == ["AAA001L9", "AAA002L9"])
        #expect(try await catalog.unregisteredCartridges(library: fixture.libraryID).isEmpty)
        #expect(try await catalog.cartridge(volumeTag: "AAA001L9")?.poolId == pool)
        #expect(try await catalog.cartridge(volumeTag: "CLN001CU")?.poolId == nil)
        // Again without a pool: nothing newly registered, pools kept.
        #expect(try await catalog.registerCartridges(["AAA001L9"], pool: nil).isEmpty)
        #expect(try await catalog.cartridge(volumeTag: "AAA001L9")?.poolId == pool)
    }
}

/// The REST API's own reads and writes, on both stores.
@Suite("API records, on SQLite and on PostgreSQL")
struct APIRecordTests {
    @Test("deletes refuse while tasks or libraries still use the row; drives move between libraries of one media server",
          arguments: QueueStore.allCases)
    func deletesAndDrives(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let catalog = fixture.catalog
        let queue = try #require(catalog as? any LibraryTaskQueue)
        _ = try await catalog.reconcile(library: fixture.libraryID, snapshot: InventorySnapshot(elements: [
            InventoryElement(address: 1000, kind: .storage, isFull: true, volumeTag: "AAA001L9"),
        ]), now: Date())
        let inLibrary = try #require(try await catalog.cartridge(volumeTag: "AAA001L9")?.id)
        let loose = try #require(try await catalog.registerCartridge(volumeTag: "AAA002L9").id)
        let driveID = try #require(try await catalog.insert(LibraryTapeDrive(
            libraryId: fixture.libraryID, mediaServerId: fixture.serverID, device: "/dev/sg3", scsiPath: "[6:0:1:0]")).id)
        let task = try await queue.enqueue(LibraryTask(type: .erase, libraryId: fixture.libraryID, driveId: driveID, cartridgeId: loose))
        let taskID = try #require(task.id)

        #expect(try await catalog.unfinishedLibraryTasks(library: fixture.libraryID).map(\.id) == [taskID])
        #expect(try await catalog.unfinishedLibraryTasks(cartridge: inLibrary).isEmpty)
        #expect(try await catalog.libraryTaskStatusCounts().map(\.status) == ["new"])
        for refused in [{ try await catalog.deleteLibrary(fixture.libraryID) },
                        { try await catalog.deleteCartridge(inLibrary) },
                        { try await catalog.deleteCartridge(loose) },
                        { _ = try await catalog.unassignDrive(driveID) }] as [@Sendable () async throws -> Void] {
            do {
                try await refused()
                Issue.record("a delete that tasks or the library still need went through")
            } catch {
                guard case .conflict = error as? CatalogError else { Issue.record("unexpected \(error)"); continue }
            }
        }
        await #expect(throws: CatalogError.self) { _ = try await catalog.updateCartridge(inLibrary, volumeTag: "NEW001L9", description: nil) }
        #expect(try await catalog.updateCartridge(loose, volumeTag: "NEW002L9", description: "relabelled").volumeTag == "NEW002L9")

        _ = try await catalog.cancelQueuedLibraryTask(taskID, reason: "test")
        #expect(try await catalog.unassignDrive(driveID) == fixture.libraryID)
        #expect(try await catalog.unassignedDrives(mediaServer: fixture.serverID).map(\.id) == [driveID])
        #expect(try await catalog.assignDrive(driveID, toLibrary: fixture.libraryID).libraryId == fixture.libraryID)
        try await catalog.deleteCartridge(loose)
        #expect(try await catalog.cartridge(id: loose) == nil)
        try await catalog.deleteLibrary(fixture.libraryID)
        #expect(try await catalog.library(id: fixture.libraryID) == nil)
        let left = try #require(try await catalog.cartridge(id: inLibrary))
        #expect(left.location == .offline && left.slotId == nil)
        #expect(try await catalog.drive(id: driveID)?.libraryId == nil)
    }

    @Test("metrics: table sizes, tasks per type and status with their mean duration, drive states",
          arguments: QueueStore.allCases)
    func metrics(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let catalog = fixture.catalog
        let queue = try #require(catalog as? any LibraryTaskQueue)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for duration in [60.0, 120.0] {
            let id = try #require(try await queue.enqueue(LibraryTask(type: .erase, libraryId: fixture.libraryID)).id)
            _ = try await queue.updateLibraryTask(id, status: .execution, progressPercent: nil, phase: nil, failure: nil,
                                                  log: nil, now: start)
            _ = try await queue.updateLibraryTask(id, status: .done, progressPercent: nil, phase: nil, failure: nil,
                                                  log: nil, now: start.addingTimeInterval(duration))
        }
        _ = try await queue.enqueue(LibraryTask(type: .sync, libraryId: fixture.libraryID))
        _ = try await catalog.insert(LibraryTapeDrive(libraryId: fixture.libraryID, mediaServerId: fixture.serverID,
                                                      device: "/dev/sg3", scsiPath: "[6:0:1:0]"))
        let snapshot = try await catalog.metricsSnapshot()
        #expect(snapshot.tableSizes.first { $0.0 == "tl_task_queue" }?.1 == 3)
        #expect(snapshot.tasks.map { "\($0.type) \($0.status) \($0.count)" } == ["erase done 2", "sync new 1"])
        #expect(snapshot.tasks.first?.averageSeconds.map { abs($0 - 90) < 0.01 } == true)
        #expect(snapshot.tasks.last?.averageSeconds == nil)
        #expect(snapshot.driveStates.map(\.0) == ["online"] && snapshot.driveStates.map(\.1) == [1])
    }

    @Test("pools, storage, records and backup tasks: updates, refusals while in use, unique storage, refused tasks",
          arguments: QueueStore.allCases)
    func backupCore(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let catalog = fixture.catalog
        let disk = try #require(try await catalog.insert(Pool(name: "disk", type: .fileSystem)).id)
        let tape = try await catalog.insert(Pool(name: "tape", type: .tapeLibrary))
        let tapeID = try #require(tape.id)
        #expect(try await catalog.updatePool(disk, .init(description: "primary")).description == "primary")
        #expect(try await catalog.poolHealth(tape) == .degraded)
        let cartridge = try #require(try await catalog.registerCartridge(volumeTag: "AAA001L9", poolName: "tape").id)
        #expect(try await catalog.cartridge(id: cartridge)?.poolId == tapeID)
        #expect(try await catalog.poolHealth(tape) == .healthy)

        _ = try await catalog.insertStorage(StorageLocalCatalog(path: "/srv/backups", poolId: disk))
        do {
            _ = try await catalog.insertStorage(StorageLocalCatalog(path: "/srv/backups", poolId: disk))
            Issue.record("the same directory was registered twice")
        } catch {
            guard case .conflict = error else { Issue.record("unexpected \(error)"); return }
        }
        let record = try await catalog.insert(BackupRecord(client: "c", resource: "/home", resourceType: "File system",
                                                           backupType: .full, poolId: disk))
        let recordID = try #require(record.id)
        let copyTask = try await catalog.recordRefusedBackupTask(BackupTask(type: .copy, poolId: disk, targetPoolId: tapeID,
                                                                            repositoryId: recordID), reason: "no drive")
        #expect(copyTask.status == .error && copyTask.errorMessage == "no drive")
        _ = try await catalog.recordCopy(of: recordID, inPool: tapeID, state: .complete)
        do {
            try await catalog.deleteRecord(recordID)
            Issue.record("a record with a copy on tape was deleted")
        } catch {
            guard case .conflict = error else { Issue.record("unexpected \(error)"); return }
        }
        do {
            try await catalog.deletePool(disk)
            Issue.record("a pool holding a record was deleted")
        } catch {
            guard case .conflict = error else { Issue.record("unexpected \(error)"); return }
        }
        #expect(try await catalog.deleteBackupTasks(status: .error) == 1)
        #expect(try await catalog.backupTask(id: try #require(copyTask.id)) == nil)
        let until = Date(timeIntervalSince1970: 1_900_000_000)
        #expect(try await catalog.setStoreUntil(recordID, until).storeUntil == until)
        #expect(try await catalog.record(id: recordID)?.storeUntil == until)
    }
}
