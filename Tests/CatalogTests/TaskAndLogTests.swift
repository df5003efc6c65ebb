import Foundation
import Testing
@testable import Catalog

@Suite struct TaskAndLogTests {
    @Test func libraryTaskLifecycleStampsTimes() async throws {
        let fixture = try await CatalogFixture()
        let task = try await fixture.catalog.enqueue(LibraryTask(type: .erase, libraryId: fixture.libraryID, longErase: true))
        let id = try #require(task.id)
        let running = try await fixture.catalog.updateLibraryTask(id, status: .execution, progressPercent: 12.5, phase: "erasing")
        #expect(running.startedAt != nil && running.finishedAt == nil)
        let failed = try await fixture.catalog.updateLibraryTask(
            id, status: .error, failure: TaskFailure(message: "erase failed", senseKey: 3, asc: 0x51, ascq: 0x00,
                                                      senseDescription: "ERASE FAILURE"))
        #expect(failed.finishedAt != nil && failed.asc == 0x51 && failed.senseKey == 3)
        await #expect(throws: CatalogError.self) {
            try await fixture.catalog.updateLibraryTask(id, status: .execution)
        }
        await #expect(throws: CatalogError.self) {
            try await fixture.catalog.updateLibraryTask(id, status: .error, progressPercent: 150)
        }
    }

    @Test func pendingTasksComeByPriority() async throws {
        let fixture = try await CatalogFixture()
        _ = try await fixture.catalog.enqueue(LibraryTask(type: .sync, priority: 10, libraryId: fixture.libraryID))
        let urgent = try await fixture.catalog.enqueue(LibraryTask(type: .load, priority: 500, libraryId: fixture.libraryID))
        let done = try await fixture.catalog.enqueue(LibraryTask(type: .unload, libraryId: fixture.libraryID))
        try await fixture.catalog.updateLibraryTask(try #require(done.id), status: .done)
        let pending = try await fixture.catalog.pendingLibraryTasks(library: fixture.libraryID)
        #expect(pending.map(\.type) == [.load, .sync])
        #expect(pending.first?.id == urgent.id)
    }

    @Test(arguments: QueueStore.allCases) func jobExecutionLogFiltersByStatusAndStartTime(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let job = try await fixture.catalog.insert(ScheduledJob(name: "nightly sync", kind: .librarySync,
                                                                libraryId: fixture.libraryID))
        let jobID = try #require(job.id)
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        for hour in 0..<30 {
            let execution = try await fixture.catalog.startExecution(job: jobID, now: base.addingTimeInterval(Double(hour) * 3600))
            try await fixture.catalog.finishExecution(try #require(execution.id), status: hour % 3 == 0 ? .failed : .success)
        }
        let failed = try await fixture.catalog.jobExecutions(LogQuery(status: .failed, pageNo: 1, pageSize: 4))
        #expect(failed.total == 10 && failed.list.count == 4)
        #expect(failed.list.allSatisfy { $0.status == .failed })
        #expect(failed.list.first?.startedAt == base.addingTimeInterval(27 * 3600))
        let lastPage = try await fixture.catalog.jobExecutions(LogQuery(status: .failed, pageNo: 3, pageSize: 4))
        #expect(lastPage.list.count == 2)
        let recent = try await fixture.catalog.jobExecutions(
            LogQuery(status: .all, startedFrom: base.addingTimeInterval(20 * 3600)))
        #expect(recent.total == 10)
        let success = try await fixture.catalog.jobExecutions(LogQuery(status: .success, pageSize: 100))
        #expect(success.total == 20)
        await #expect(throws: CatalogError.self) {
            _ = try await fixture.catalog.jobExecutions(LogQuery(pageNo: 0))
        }
    }

    @Test func libraryTaskLogMapsStatuses() async throws {
        let fixture = try await CatalogFixture()
        for status in [TaskStatus.done, .error, .killed, .done, .execution] {
            let task = try await fixture.catalog.enqueue(LibraryTask(type: .move, libraryId: fixture.libraryID))
            try await fixture.catalog.updateLibraryTask(try #require(task.id), status: status)
        }
        #expect(try await fixture.catalog.libraryTaskLog(LogQuery(status: .success)).total == 2)
        #expect(try await fixture.catalog.libraryTaskLog(LogQuery(status: .failed)).total == 2)
        #expect(try await fixture.catalog.libraryTaskLog(LogQuery(status: .all)).total == 5)
    }

    @Test(arguments: QueueStore.allCases) func copiesRecordTapeExtents(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let disk = try #require(try await fixture.catalog.insert(Pool(name: "disk", type: .fileSystem)).id)
        let tape = try #require(try await fixture.catalog.insert(Pool(name: "tape", type: .tapeLibrary)).id)
        let record = try await fixture.catalog.insert(BackupRecord(client: "client", resource: "/home",
                                                                   resourceType: "File system", backupType: .incremental,
                                                                   poolId: disk, sizeBytes: 3_000))
        let a = try #require(try await fixture.catalog.registerCartridge(volumeTag: "AAA001L9").id)
        let b = try #require(try await fixture.catalog.registerCartridge(volumeTag: "AAA002L9").id)
        let copy = try await fixture.catalog.recordCopy(of: try #require(record.id), inPool: tape, state: .complete, extents: [
            RepositoryCopyExtent(copyId: 0, partIndex: 0, cartridgeId: a, tapeFileNumber: 7, firstBlock: 100,
                                 lastBlock: 199, byteOffset: 0, byteCount: 2_000),
            RepositoryCopyExtent(copyId: 0, partIndex: 1, cartridgeId: b, tapeFileNumber: 0, firstBlock: 0,
                                 lastBlock: 49, byteOffset: 2_000, byteCount: 1_000),
        ])
        let extents = try await fixture.catalog.extents(ofCopy: try #require(copy.id))
        #expect(extents.map(\.cartridgeId) == [a, b])
        // A reversed block range is rejected and nothing of that copy is kept.
        await #expect(throws: CatalogError.self) {
            _ = try await fixture.catalog.recordCopy(of: try #require(record.id), inPool: disk, state: .complete, extents: [
                RepositoryCopyExtent(copyId: 0, partIndex: 0, cartridgeId: a, tapeFileNumber: 1, firstBlock: 10,
                                     lastBlock: 9, byteOffset: 0, byteCount: 1)])
        }
        #expect(try await fixture.catalog.copies(of: try #require(record.id)).count == 1)
        let onA = try await fixture.catalog.extents(onCartridge: a)
        #expect(onA.map(\.0.id) == [copy.id] && onA.map(\.1.tapeFileNumber) == [7])
    }

    @Test(arguments: QueueStore.allCases) func failedLoginsLockTheAccount(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let user = try await fixture.catalog.insert(User(name: "operator", passwordHash: "$argon2id$..."),
                                                    roles: ["administrator"])
        let id = try #require(user.id)
        #expect(try await fixture.catalog.roles(ofUser: id) == ["administrator"])
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        for _ in 0..<4 { #expect(try await fixture.catalog.recordFailedLogin(userID: id, now: now).lockedUntil == nil) }
        let locked = try await fixture.catalog.recordFailedLogin(userID: id, now: now)
        #expect(locked.lockedUntil == now.addingTimeInterval(30 * 60))
        let cleared = try await fixture.catalog.recordSuccessfulLogin(userID: id, now: now)
        #expect(cleared.lockedUntil == nil && cleared.failedLoginCount == 0)
        let second = try await fixture.catalog.insert(User(name: "boss", passwordHash: "h"), roles: ["superuser", "maintainer"])
        let secondID = try #require(second.id)
        #expect(try await fixture.catalog.roles(ofUser: secondID) == ["maintainer", "superuser"])
        #expect(try await fixture.catalog.userCount() == 2)
        #expect(try await fixture.catalog.users().map(\.1) == [["administrator"], ["maintainer", "superuser"]])
        await #expect(throws: CatalogError.self) { try await fixture.catalog.deleteUser(secondID) }
        try await fixture.catalog.updateUser(id, roles: ["superuser"])
        try await fixture.catalog.deleteUser(secondID)
        #expect(try await fixture.catalog.user(named: "boss") == nil)
        await #expect(throws: CatalogError.self) {
            _ = try await fixture.catalog.insert(User(name: "x", passwordHash: "h"), roles: ["emperor"])
        }
    }

    @Test(arguments: QueueStore.allCases) func revokedTokensAndConfiguration(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        try await fixture.catalog.revokeToken("jti-1", expiresAt: Date(timeIntervalSince1970: 50))
        // Revoked again: the later expiry wins (an upsert on both stores).
        try await fixture.catalog.revokeToken("jti-1", expiresAt: Date(timeIntervalSince1970: 100))
        #expect(try await fixture.catalog.isTokenRevoked("jti-1"))
        #expect(try await fixture.catalog.isAnyTokenRevoked(["jti-0", "jti-1"]))
        #expect(try await fixture.catalog.isAnyTokenRevoked(["jti-0", "session:x"]) == false)
        #expect(try await fixture.catalog.isAnyTokenRevoked([]) == false)
        try await fixture.catalog.purgeRevokedTokens(now: Date(timeIntervalSince1970: 60))
        #expect(try await fixture.catalog.isTokenRevoked("jti-1"))
        try await fixture.catalog.purgeRevokedTokens(now: Date(timeIntervalSince1970: 200))
        #expect(try await fixture.catalog.isTokenRevoked("jti-1") == false)
        try await fixture.catalog.setConfiguration(["auto_clean_tape_drives": "yes"])
        #expect(try await fixture.catalog.globalConfiguration()["auto_clean_tape_drives"] == "yes")
        await #expect(throws: CatalogError.self) { try await fixture.catalog.setConfiguration(["no_such_key": "1"]) }
    }

    @Test(arguments: QueueStore.allCases) func apiSecretsAreMadeOnce(_ store: QueueStore) async throws {
        let fixture = try await StoreFixture.make(store)
        let first = String(repeating: "a1", count: 64), second = String(repeating: "b2", count: 64)
        // Asked at once by many (two nodes starting together): one proposal is stored, all get it.
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<8 {
                group.addTask { try await fixture.catalog.apiSecret("jwt_signing_key", proposed: index % 2 == 0 ? first : second) }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(answers.count == 1)
        let stored = try #require(answers.first)
        #expect(stored == first || stored == second)
        #expect(try await fixture.catalog.apiSecret("jwt_signing_key", proposed: String(repeating: "c3", count: 64)) == stored)
        #expect(try await fixture.catalog.apiSecret("other", proposed: second) == second)
        // The table refuses a secret too short to be one.
        await #expect(throws: CatalogError.self) { _ = try await fixture.catalog.apiSecret("short", proposed: "abc") }
    }
}
