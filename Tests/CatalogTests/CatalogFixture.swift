import Foundation
import PostgresTestSupport
@testable import Catalog

/// A fresh in-memory catalog with one media server and one library.
struct CatalogFixture {
    let catalog: CatalogDatabase
    let serverID: Int64
    let libraryID: Int64

    init() async throws {
        catalog = try CatalogDatabase.inMemory()
        let server = try await catalog.insert(MediaServer(hostname: "media-1", hwid: "525a99154f3505a2"))
        serverID = try #require(server.id)
        let library = try await catalog.insert(TapeLibrary(mediaServerId: serverID, description: "test library"))
        libraryID = try #require(library.id)
    }

    func addSlot(_ address: Int, _ kind: SlotKind = .storage) async throws -> Int64 {
        let slot = try await catalog.insert(LibrarySlot(libraryId: libraryID, elementAddress: address, kind: kind))
        return try #require(slot.id)
    }
}

func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

import Testing

/// A fresh catalog in one store with a media server and a library, for tests that run against
/// both (`QueueStore.allCases`).
struct StoreFixture: Sendable {
    let catalog: any CatalogStore
    let serverID: Int64
    let libraryID: Int64

    /// A fresh, migrated, empty catalog in `store`.
    static func empty(_ store: QueueStore) async throws -> any CatalogStore {
        switch store {
        case .sqlite: try CatalogDatabase.inMemory()
        case .postgres: try await PostgresTestServer.makeCatalog()
        }
    }

    static func make(_ store: QueueStore) async throws -> StoreFixture {
        let catalog = try await empty(store)
        let server = try await catalog.insert(MediaServer(hostname: "media-1", hwid: "525a99154f3505a2"))
        let serverID = try #require(server.id)
        let library = try await catalog.insert(TapeLibrary(mediaServerId: serverID, description: "test library"))
        return StoreFixture(catalog: catalog, serverID: serverID, libraryID: try #require(library.id))
    }

    func addSlot(_ address: Int, _ kind: SlotKind = .storage) async throws -> Int64 {
        let slot = try await catalog.insert(LibrarySlot(libraryId: libraryID, elementAddress: address, kind: kind))
        return try #require(slot.id)
    }

    /// Reconciles a snapshot of this fixture's library now.
    func sync(_ snapshot: InventorySnapshot, library: Int64? = nil) async throws -> ReconcileSummary {
        try await catalog.reconcile(library: library ?? libraryID, snapshot: snapshot, now: Date())
    }
}
