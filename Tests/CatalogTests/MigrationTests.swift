import Foundation
import Testing
@testable import Catalog

@Suite struct MigrationTests {
    @Test func emptyFileGetsTheWholeSchemaInWALMode() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let catalog = try await CatalogDatabase.open(stateDirectory: directory + "/state")
        #expect(try await catalog.appliedMigrations() == CatalogDatabase.knownMigrations)
        #expect(try await catalog.journalMode() == "wal")
        #expect(FileManager.default.fileExists(atPath: directory + "/state/catalog.sqlite"))
        #expect(try await catalog.tapeTypes().types.count == SeedV1.tapeTypes.count)
        #expect(try await catalog.globalConfiguration()["tape_library_mount_point"] == "/opt/rubackup/mnt")
    }

    @Test func reopeningIsANoOp() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let catalog = try CatalogDatabase(stateDirectory: directory)
            _ = try await catalog.registerCartridge(volumeTag: "KEEP01L9")
        }
        let reopened = try CatalogDatabase(stateDirectory: directory)
        #expect(try await reopened.cartridge(volumeTag: "KEEP01L9") != nil)
        #expect(try await reopened.tapeTypes().types.count == SeedV1.tapeTypes.count)
    }

    /// Tests/CatalogTests/Fixtures/catalog-v1.sqlite was written by the v1 migrations
    /// (see `writeV1Fixture`); upgrading it must keep its rows and add v2.
    @Test func upgradesAFileMadeByV1() async throws {
        let fixture = try #require(Bundle.module.url(forResource: "catalog-v1", withExtension: "sqlite",
                                                     subdirectory: "Fixtures"))
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/catalog.sqlite"
        try FileManager.default.copyItem(atPath: fixture.path, toPath: path)

        let catalog = try CatalogDatabase(path: path)
        #expect(try await catalog.appliedMigrations()
                == [SchemaV1.identifier, SchemaV2.identifier, SchemaV3.identifier, SchemaV4.identifier,
                    SchemaV5.identifier, SchemaV6.identifier, SchemaV7.identifier, SchemaV8.identifier,
                    SchemaV9.identifier, SchemaV10.identifier, SchemaV11.identifier, SchemaV12.identifier,
                    SchemaV13.identifier, SchemaV14.identifier, SchemaV15.identifier])
        let cartridge = try #require(try await catalog.cartridge(volumeTag: "FIX001L9"))
        #expect(cartridge.location == .slot)
        let libraries = try await catalog.listLibraries(ListQuery())
        #expect(libraries.total == 1)
        let libraryID = try #require(libraries.items.first?.id)
        #expect(try await catalog.slots(library: libraryID).count == 4)
        // The v2 column exists and takes writes.
        let server = try #require(try await catalog.listMediaServers(ListQuery()).items.first?.id)
        let drive = try await catalog.insert(LibraryTapeDrive(libraryId: libraryID, mediaServerId: server,
                                                              device: "/dev/sg9", scsiPath: "[6:0:2:0]",
                                                              sysTransferElement: 1, firmwareRevision: "Q3D1"))
        #expect(drive.firmwareRevision == "Q3D1")
        // v3 rebuilt slots and cartridges: same ids, the block counts answer the totals, the
        // invariants still hold and foreign keys still point at the rebuilt tables.
        let slots = try await catalog.slots(library: libraryID)
        #expect(slots.map(\.elementAddress) == [1, 10, 1000, 1001])
        let full = try await catalog.listSlots(ListQuery(filter: "library_id=\"\(libraryID)\", full=\"true\""))
        #expect(full.total == 1 && full.items.first?.volumeTag == "FIX001L9")
        #expect(cartridge.slotId == slots.first { $0.elementAddress == 1000 }?.id)
        #expect(try await catalog.foreignKeyViolations() == [])
        await #expect(throws: CatalogError.self) {
            _ = try await catalog.placeCartridge(try #require(cartridge.id), inSlot: 424_242)
        }
        let other = try await catalog.registerCartridge(volumeTag: "FIX002L9")
        await #expect(throws: CatalogError.self) {
            _ = try await catalog.placeCartridge(try #require(other.id), inSlot: try #require(cartridge.slotId))
        }
        _ = try await catalog.reconcile(library: libraryID, snapshot: InventorySnapshot(elements: [
            InventoryElement(address: 1, kind: .drive, isFull: true, volumeTag: "FIX001L9"),
            InventoryElement(address: 10, kind: .importExport, isFull: false),
            InventoryElement(address: 1000, kind: .storage, isFull: false),
            InventoryElement(address: 1001, kind: .storage, isFull: true, volumeTag: "FIX002L9"),
        ]))
        #expect(try await catalog.cartridge(volumeTag: "FIX001L9")?.location == .drive)
        #expect(try await catalog.foreignKeyViolations() == [])
    }

    /// Regenerates the v1 fixture: `TAPELIB_WRITE_CATALOG_FIXTURE=/path/catalog-v1.sqlite swift test
    /// --filter writeV1Fixture`. Run once when v1 shipped; never needed again.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TAPELIB_WRITE_CATALOG_FIXTURE"] != nil))
    func writeV1Fixture() async throws {
        let output = try #require(ProcessInfo.processInfo.environment["TAPELIB_WRITE_CATALOG_FIXTURE"])
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let catalog = try CatalogDatabase(path: directory + "/v1.sqlite", migrateUpTo: SchemaV1.identifier)
        let server = try await catalog.insert(MediaServer(hostname: "fixture-media", hwid: "fixture-hwid"))
        let library = try await catalog.insert(TapeLibrary(mediaServerId: try #require(server.id)))
        _ = try await catalog.reconcile(library: try #require(library.id), snapshot: InventorySnapshot(elements: [
            InventoryElement(address: 1, kind: .drive, isFull: false),
            InventoryElement(address: 10, kind: .importExport, isFull: false),
            InventoryElement(address: 1000, kind: .storage, isFull: true, volumeTag: "FIX001L9"),
            InventoryElement(address: 1001, kind: .storage, isFull: false),
        ]))
        try? FileManager.default.removeItem(atPath: output)
        try await catalog.writeCopy(to: output)
    }

    @Test func stateDirectoryFollowsArchitecture() {
        #expect(StateDirectory.resolve(override: "/tmp/x", effectiveUserID: 0, environment: [:]) == "/tmp/x")
        #expect(StateDirectory.resolve(override: nil, effectiveUserID: 0, environment: ["XDG_STATE_HOME": "/s"])
                == "/var/lib/tapelib")
        #expect(StateDirectory.resolve(override: nil, effectiveUserID: 1000,
                                       environment: ["XDG_STATE_HOME": "/s", "HOME": "/home/op"]) == "/s/tapelib")
        #expect(StateDirectory.resolve(override: nil, effectiveUserID: 1000, environment: ["HOME": "/home/op"])
                == "/home/op/.local/state/tapelib")
        // A relative XDG_STATE_HOME is invalid per the XDG spec and ignored.
        #expect(StateDirectory.resolve(override: nil, effectiveUserID: 1000,
                                       environment: ["XDG_STATE_HOME": "rel", "HOME": "/home/op"])
                == "/home/op/.local/state/tapelib")
    }
}

/// `tapelib task` opens a catalog the service owns without migrating it: an older (or newer)
/// schema is refused with what to do, not upgraded under a running service.
@Suite struct NonMigratingOpenTests {
    @Test func anOlderSchemaIsRefusedAndLeftAsItIs() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tapelib-nomigrate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try CatalogDatabase(path: StateDirectory.catalogPath(in: directory), migrateUpTo: SchemaV3.identifier)
        do {
            _ = try await CatalogDatabase.open(stateDirectory: directory, migrate: false)
            Issue.record("an older schema was accepted")
        } catch {
            #expect("\(error)".contains("run `tapelib catalog init`"))
        }
        let current = try await CatalogDatabase.open(stateDirectory: directory)   // migrating open
        #expect(try await current.appliedMigrations() == CatalogMigrations.identifiers)
        _ = try await CatalogDatabase.open(stateDirectory: directory, migrate: false)   // now accepted
    }
}

/// The service and a CLI command may open a new state directory at the same moment: each must
/// find the catalog migrated, none may fail half-way ("table already exists").
@Suite struct ConcurrentOpenTests {
    @Test func openersRacingOnANewFileAllSucceed() async throws {
        for round in 0..<5 {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("tapelib-open-race-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            // `open` runs on dispatch threads, as every production caller does: the lock waits
            // there, not on the cooperative pool.
            let results = await withTaskGroup(of: Result<[String], any Error>.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        do {
                            let catalog = try await CatalogDatabase.open(stateDirectory: directory)
                            return .success(try await catalog.appliedMigrations())
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for result in results {
                switch result {
                case .success(let applied): #expect(applied == CatalogMigrations.identifiers, "round \(round)")
                case .failure(let error): Issue.record("round \(round): \(error)")
                }
            }
        }
    }
}
