import Foundation
import GRDB
import Testing
@testable import Catalog

/// Reconcile turns SQLite's automatic checkpoint off for its own commit and leaves the copy of
/// the WAL to WALCheckpointer: the setting must come back and the WAL must get checkpointed.
@Suite struct CheckpointTests {
    @Test func reconcileLeavesTheCheckpointToTheCheckpointer() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let catalog = try CatalogDatabase(stateDirectory: directory)
        #expect(catalog.checkpointer != nil)
        let server = try await catalog.insert(MediaServer(hostname: "media", hwid: "hwid"))
        let library = try await catalog.insert(TapeLibrary(mediaServerId: try #require(server.id)))
        let elements = (0..<3_000).map { index in
            InventoryElement(address: 1000 + index, kind: .storage, isFull: index % 2 == 0,
                             volumeTag: index % 2 == 0 ? String(format: "C%05dL9", index) : nil)
        }
        let summary = try await catalog.reconcile(library: try #require(library.id),
                                                  snapshot: InventorySnapshot(elements: elements))
        #expect(summary.slotsAdded == 3_000)
        #expect(try await catalog.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") } == 1000)

        // Every page reaches the database file without another write: the file grows to the
        // database's size (the sync's ~100 WAL pages are far below SQLite's own 1,000-page threshold).
        let path = StateDirectory.catalogPath(in: directory)
        let expectedSize = try await catalog.write { db in
            (try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0) * (try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0)
        }
        var fileSize = 0
        for _ in 0..<100 where fileSize < expectedSize {
            try await Task.sleep(for: .milliseconds(50))
            fileSize = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        }
        #expect(expectedSize > 100 * 4096)
        #expect(fileSize >= expectedSize)
        let reopened = try CatalogDatabase(stateDirectory: directory)
        #expect(try await reopened.slots(library: try #require(library.id)).count == 3_000)
    }
}
