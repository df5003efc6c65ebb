import Foundation
import GRDB
import Testing
@testable import Catalog

/// `ReconcileCache`: a sync that follows a sync of the same library uses what the first committed
/// instead of reading the catalog, and must end exactly where the full-read path ends; any other
/// write in between (this process, another connection, a rolled-back sync) must be noticed.
@Suite struct ReconcileCacheTests {
    typealias Random = ReconcileDigestTests.Random
    static let date = Date(timeIntervalSince1970: 1_800_000_000)

    /// A snapshot sequence like real syncs: often the previous one with one element changed.
    static func nextSnapshot(after previous: InventorySnapshot?, step: Int, _ random: inout Random) -> InventorySnapshot {
        guard var snapshot = previous, step % 4 != 0 else { return ReconcileDigestTests.randomSnapshot(&random) }
        for _ in 0..<Int.random(in: 0...3, using: &random) where !snapshot.elements.isEmpty {
            let index = Int.random(in: snapshot.elements.indices, using: &random)
            snapshot.elements[index].isFull.toggle()
            snapshot.elements[index].volumeTag = snapshot.elements[index].isFull
                ? String(format: "T%03dL9", Int.random(in: 0..<40, using: &random)) : nil
        }
        if Int.random(in: 0..<5, using: &random) == 0, !snapshot.elements.isEmpty {
            snapshot.elements.remove(at: Int.random(in: snapshot.elements.indices, using: &random))
        }
        return snapshot
    }

    static func withDrive(_ fixture: CatalogFixture) async throws {
        _ = try await fixture.catalog.insert(LibraryTapeDrive(
            libraryId: fixture.libraryID, mediaServerId: fixture.serverID, device: "/dev/sg3",
            scsiPath: "[6:0:1:0]", sysTransferElement: 1))
    }

    @Test(arguments: [11, 12, 13, 14, 15, 16, 17, 18] as [UInt64])
    func cacheHitsMatchFullRead(seed: UInt64) async throws {
        var random = Random(state: seed)
        let cached = try await CatalogFixture()
        let reference = try await CatalogFixture()
        try await Self.withDrive(cached)
        try await Self.withDrive(reference)
        var previous: InventorySnapshot?
        let steps = 30
        for step in 0..<steps {
            let snapshot = Self.nextSnapshot(after: previous, step: step, &random)
            previous = snapshot
            let hitsBefore = cached.catalog.reconcileCache.hits
            let summary = try await cached.catalog.reconcile(library: cached.libraryID, snapshot: snapshot,
                                                             now: Self.date, skipUnchanged: true)
            let expected = try await reference.catalog.reconcile(library: reference.libraryID, snapshot: snapshot,
                                                                 now: Self.date, skipUnchanged: false)
            #expect(summary == expected, "seed \(seed) step \(step)")
            #expect(try await ReconcileDigestTests.state(cached) == (try await ReconcileDigestTests.state(reference)),
                    "seed \(seed) step \(step)")
            #expect(try await cached.catalog.foreignKeyViolations() == [])
            // Every sync after the first used the previous one's cache (nothing else wrote).
            #expect(cached.catalog.reconcileCache.hits == hitsBefore + (step == 0 ? 0 : 1), "seed \(seed) step \(step)")
            #expect(cached.catalog.reconcileCache.isCached(library: cached.libraryID))
            #expect(!reference.catalog.reconcileCache.isCached(library: reference.libraryID))
        }
    }

    /// Writes through the catalog API between two syncs, each applied to both catalogs.
    enum Intervention: CaseIterable, Sendable {
        case removeCartridge, placeCartridge, setStatus, insertSlot, insertDrive
    }

    @Test(arguments: Intervention.allCases)
    func apiWriteInvalidatesCache(intervention: Intervention) async throws {
        var random = Random(state: 77)
        let cached = try await CatalogFixture()
        let reference = try await CatalogFixture()
        let snapshot = ReconcileDigestTests.randomSnapshot(&random)
        for (fixture, useDigests) in [(cached, true), (reference, false)] {
            _ = try await fixture.catalog.reconcile(library: fixture.libraryID, snapshot: snapshot, now: Self.date,
                                                    skipUnchanged: useDigests)
        }
        #expect(cached.catalog.reconcileCache.isCached(library: cached.libraryID))
        let slots = try await cached.catalog.slots(library: cached.libraryID)
        let cartridges = try await cached.catalog.listCartridges(ListQuery(limit: 1000)).items
        let inSlot = try #require(cartridges.first { $0.location == .slot })
        let emptySlot = try #require(slots.first { slot in slot.kind == .storage && !cartridges.contains { $0.slotId == slot.id } })
        for fixture in [cached, reference] {
            switch intervention {
            case .removeCartridge:
                _ = try await fixture.catalog.removeCartridgeFromLibrary(try #require(inSlot.id))
            case .placeCartridge:
                _ = try await fixture.catalog.placeCartridge(try #require(inSlot.id), inSlot: try #require(emptySlot.id))
            case .setStatus:
                _ = try await fixture.catalog.setCartridgeStatus(try #require(inSlot.id), to: .full)
            case .insertSlot:
                _ = try await fixture.addSlot(60_000)
            case .insertDrive:
                try await Self.withDrive(fixture)
            }
        }
        #expect(!cached.catalog.reconcileCache.isCached(library: cached.libraryID))
        let hits = cached.catalog.reconcileCache.hits
        let summary = try await cached.catalog.reconcile(library: cached.libraryID, snapshot: snapshot,
                                                         now: Self.date, skipUnchanged: true)
        let expected = try await reference.catalog.reconcile(library: reference.libraryID, snapshot: snapshot,
                                                             now: Self.date, skipUnchanged: false)
        #expect(summary == expected)
        #expect(cached.catalog.reconcileCache.hits == hits)
        #expect(try await ReconcileDigestTests.state(cached) == (try await ReconcileDigestTests.state(reference)))
        if intervention == .removeCartridge || intervention == .placeCartridge {
            // The physical library is the truth: the cartridge goes back where the changer sees it.
            #expect(summary.cartridgesMoved.map(\.volumeTag) == [inSlot.volumeTag])
            #expect(try await cached.catalog.cartridge(id: try #require(inSlot.id))?.slotId == inSlot.slotId)
        }
        if intervention == .insertSlot { #expect(summary.slotsRemoved == 1) }
    }

    /// Another connection on the same file commits a move the writer's observer cannot see:
    /// `PRAGMA data_version` must send the next sync back to reading the catalog.
    @Test(arguments: [false, true])
    func otherConnectionInvalidatesCache(rawConnection: Bool) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/catalog.sqlite"
        let catalog = try CatalogDatabase(path: path)
        let server = try await catalog.insert(MediaServer(hostname: "media-1", hwid: "525a99154f3505a2"))
        let library = try await catalog.insert(TapeLibrary(mediaServerId: try #require(server.id)))
        let libraryID = try #require(library.id)
        let snapshot = ReconcileTests.snapshot(storage: [1000: "AAA001L9", 1001: "AAA002L9", 1003: nil])
        _ = try await catalog.reconcile(library: libraryID, snapshot: snapshot)
        let unchanged = try await catalog.reconcile(library: libraryID, snapshot: snapshot)
        #expect(!unchanged.changedAnything)
        #expect(catalog.reconcileCache.hits == 1)
        let cartridge = try #require(try await catalog.cartridge(volumeTag: "AAA002L9"))
        let cartridgeID = try #require(cartridge.id)

        if rawConnection {
            let other = try DatabaseQueue(path: path)
            try await other.write { db in
                try db.execute(sql: "UPDATE tape_cartridges SET slot_id = NULL, location = 'offline' WHERE id = ?",
                               arguments: [cartridgeID])
            }
            try other.close()
        } else {
            let other = try CatalogDatabase(path: path)
            _ = try await other.removeCartridgeFromLibrary(cartridgeID)
        }
        // The writer's own observer saw nothing.
        #expect(catalog.reconcileCache.isCached(library: libraryID))
        let repaired = try await catalog.reconcile(library: libraryID, snapshot: snapshot)
        #expect(repaired.cartridgesMoved.map(\.volumeTag) == ["AAA002L9"])
        #expect(try await catalog.cartridge(id: cartridgeID)?.slotId == cartridge.slotId)
        #expect(catalog.reconcileCache.hits == 1)
        #expect(try await catalog.foreignKeyViolations() == [])
        // And the sync after that may use the cache again.
        _ = try await catalog.reconcile(library: libraryID, snapshot: snapshot)
        #expect(catalog.reconcileCache.hits == 2)
    }

    /// The background checkpointer's PASSIVE checkpoint is no commit: it leaves `PRAGMA
    /// data_version` alone, so the sync after a checkpointed one still uses the cache.
    @Test func backgroundCheckpointKeepsCache() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let catalog = try CatalogDatabase(stateDirectory: directory)
        let server = try await catalog.insert(MediaServer(hostname: "media", hwid: "hwid"))
        let serverID = try #require(server.id)
        let library = try await catalog.insert(TapeLibrary(mediaServerId: serverID))
        let libraryID = try #require(library.id)
        var elements = (0..<3_000).map { index in
            InventoryElement(address: 1000 + index, kind: .storage, isFull: index % 2 == 0,
                             volumeTag: index % 2 == 0 ? String(format: "K%05dL9", index) : nil)
        }
        _ = try await catalog.reconcile(library: libraryID, snapshot: InventorySnapshot(elements: elements))
        // Wait until the checkpointer has copied the sync's pages into the database file.
        let path = StateDirectory.catalogPath(in: directory)
        let expectedSize = try await catalog.write { db in
            (try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0) * (try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0)
        }
        var fileSize = 0
        for _ in 0..<100 where fileSize < expectedSize {
            try await Task.sleep(for: .milliseconds(50))
            fileSize = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        }
        #expect(fileSize >= expectedSize)
        // A move: element 1000's cartridge to the empty element 1001.
        elements[1].isFull = true
        elements[1].volumeTag = elements[0].volumeTag
        elements[0].isFull = false
        elements[0].volumeTag = nil
        let moved = try await catalog.reconcile(library: libraryID, snapshot: InventorySnapshot(elements: elements))
        #expect(moved.cartridgesMoved.map(\.toAddress) == [1001])
        #expect(catalog.reconcileCache.hits == 1)
        #expect(try await catalog.foreignKeyViolations() == [])
    }

    /// A reconcile that fails after all its writes rolls back and must not leave what it computed.
    @Test(arguments: [21, 22, 23, 24] as [UInt64])
    func rolledBackReconcileLeavesNoCache(seed: UInt64) async throws {
        var random = Random(state: seed)
        let cached = try await CatalogFixture()
        let reference = try await CatalogFixture()
        let first = ReconcileDigestTests.randomSnapshot(&random)
        var second = first
        for index in second.elements.indices where Int.random(in: 0..<3, using: &random) == 0 {
            second.elements[index].isFull.toggle()
            second.elements[index].volumeTag = second.elements[index].isFull ? "R\(index)L9" : nil
        }
        _ = try await cached.catalog.reconcile(library: cached.libraryID, snapshot: first)
        _ = try await reference.catalog.reconcile(library: reference.libraryID, snapshot: first, now: Self.date,
                                                  skipUnchanged: false)
        let before = try await ReconcileDigestTests.state(cached)
        #expect(cached.catalog.reconcileCache.isCached(library: cached.libraryID))
        await #expect(throws: CatalogError.self) {
            _ = try await cached.catalog.reconcile(library: cached.libraryID, snapshot: second, now: Self.date,
                                                   skipUnchanged: true, failBeforeCommit: true)
        }
        #expect(!cached.catalog.reconcileCache.isCached(library: cached.libraryID))
        #expect(try await ReconcileDigestTests.state(cached) == before)
        let summary = try await cached.catalog.reconcile(library: cached.libraryID, snapshot: second, now: Self.date,
                                                         skipUnchanged: true)
        let expected = try await reference.catalog.reconcile(library: reference.libraryID, snapshot: second,
                                                             now: Self.date, skipUnchanged: false)
        #expect(summary == expected)
        #expect(summary.changedAnything)
        #expect(try await ReconcileDigestTests.state(cached) == (try await ReconcileDigestTests.state(reference)))
    }

    /// A sync of another library that takes one of this library's cartridges drops this library's
    /// entry: the next sync here must notice the cartridge is gone from its slot.
    @Test func syncOfAnotherLibraryInvalidatesCache() async throws {
        let fixture = try await CatalogFixture()
        let other = try await fixture.catalog.insert(TapeLibrary(mediaServerId: fixture.serverID))
        let otherID = try #require(other.id)
        let here = ReconcileTests.snapshot(storage: [1000: "AAA001L9", 1001: "AAA002L9"])
        _ = try await fixture.catalog.reconcile(library: fixture.libraryID, snapshot: here)
        #expect(fixture.catalog.reconcileCache.isCached(library: fixture.libraryID))
        let there = try await fixture.catalog.reconcile(
            library: otherID, snapshot: ReconcileTests.snapshot(storage: [1004: "AAA001L9"]))
        #expect(there.cartridgesMoved.map(\.volumeTag) == ["AAA001L9"])
        #expect(!fixture.catalog.reconcileCache.isCached(library: fixture.libraryID))
        #expect(fixture.catalog.reconcileCache.isCached(library: otherID))
        let back = try await fixture.catalog.reconcile(library: fixture.libraryID, snapshot: here)
        #expect(back.cartridgesMoved.map(\.volumeTag) == ["AAA001L9"])
        #expect(try await fixture.catalog.foreignKeyViolations() == [])
    }

    /// The cache's own bookkeeping when SQLite ends a reconcile's transaction by itself (a COMMIT
    /// that fails on a full disk rolls back without telling any observer): the staged entry must
    /// never be installed, not even by a later unrelated commit.
    @Test func aReconcileThatFailedWithoutARollbackCallbackInstallsNothing() throws {
        let cache = ReconcileCache()
        let queue = try DatabaseQueue()
        let slots = Reconciler.StoredSlots(addressCapacity: 16)
        _ = cache.beginReconcile(library: 1, dataVersion: 7)
        cache.stage(library: 1, slots: slots, dataVersion: 7)
        cache.finishReconcile(succeeded: false)          // no databaseDidCommit, no databaseDidRollback
        try queue.inDatabase { db in cache.databaseDidCommit(db) }   // an unrelated commit later
        #expect(!cache.isCached(library: 1))
        #expect(cache.beginReconcile(library: 1, dataVersion: 7) == nil)
        cache.finishReconcile(succeeded: false)

        // A transaction that returned but was never seen committing installs nothing either.
        _ = cache.beginReconcile(library: 2, dataVersion: 7)
        cache.stage(library: 2, slots: slots, dataVersion: 7)
        cache.finishReconcile(succeeded: true)
        #expect(!cache.isCached(library: 2))

        // The normal path: committed, then finished.
        _ = cache.beginReconcile(library: 3, dataVersion: 7)
        cache.stage(library: 3, slots: slots, dataVersion: 7)
        try queue.inDatabase { db in cache.databaseDidCommit(db) }
        cache.finishReconcile(succeeded: true)
        #expect(cache.isCached(library: 3))
    }

    /// A cancelled reconcile must not leave the writer connection without foreign keys.
    @Test func foreignKeysAreOnAfterAFailedReconcile() async throws {
        let fixture = try await CatalogFixture()
        await #expect(throws: CatalogError.self) {
            _ = try await fixture.catalog.reconcile(library: fixture.libraryID,
                                                    snapshot: ReconcileTests.snapshot(storage: [1000: "FK0001L9"]),
                                                    now: Self.date, skipUnchanged: true, failBeforeCommit: true)
        }
        let enabled = try await fixture.catalog.write { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") }
        #expect(enabled == 1)
    }
}
