import Foundation
import GRDB
import Testing
@testable import Catalog
import PostgresTestSupport

/// Reconcile on PostgreSQL runs the same `Reconciler` as SQLite over a store that prefetches its
/// reads and sends its writes set-based. SQLite's reconcile is the reference (its own tests check
/// it against answers written in them): on random snapshot sequences over two libraries sharing
/// cartridges, PostgreSQL must report the same summaries and leave the same catalog — slots,
/// cartridges and where they sit, drives, and the count cache the slot lists read.
@Suite("Reconcile on PostgreSQL, against SQLite's")
struct ReconcileStoreTests {
    /// The catalog as rows of text, ids replaced by what they point at (the stores hand out
    /// different ids once rows are deleted).
    static let stateQueries: [(name: String, sql: String, columns: [String])] = [
        ("slots", """
            SELECT l.description AS library, s.element_address, s.kind, s."full", s.volume_tag, s.source_element,
                   s.accessible, s.exception, s."asc", s.ascq, c.volume_tag AS occupant
            FROM library_slots s JOIN tape_libraries l ON l.id = s.library_id
            LEFT JOIN tape_cartridges c ON c.slot_id = s.id
            """, ["library", "element_address", "kind", "full", "volume_tag", "source_element", "accessible",
                  "exception", "asc", "ascq", "occupant"]),
        ("cartridges", """
            SELECT c.volume_tag, c.location, l.description AS library, s.element_address, c.status, t.name AS type,
                   c.native_capacity, c.cleaning_uses_left, c.is_worm, c.is_registered, c.created_at
            FROM tape_cartridges c LEFT JOIN library_slots s ON s.id = c.slot_id
            LEFT JOIN tape_libraries l ON l.id = s.library_id LEFT JOIN tape_types t ON t.id = c.tape_type_id
            """, ["volume_tag", "location", "library", "element_address", "status", "type", "native_capacity",
                  "cleaning_uses_left", "is_worm", "is_registered", "created_at"]),
        ("drives", """
            SELECT d.sys_transfer_element, d.serial, c.volume_tag AS loaded, l.description AS library
            FROM library_tape_drives d JOIN tape_libraries l ON l.id = d.library_id
            LEFT JOIN tape_cartridges c ON c.id = d.loaded_cartridge_id
            """, ["library", "sys_transfer_element", "serial", "loaded"]),
        ("libraries", "SELECT description, last_sync, sync_state FROM tape_libraries", ["description", "last_sync", "sync_state"]),
        // The cache against what it caches: a block whose count is off shows as a line in one only.
        ("counts", """
            SELECT l.description AS library, b.kind, b."full", b.block, b.slot_count
            FROM library_slot_block_counts b JOIN tape_libraries l ON l.id = b.library_id WHERE b.slot_count > 0
            """, ["library", "kind", "full", "block", "slot_count"]),
        ("counted", """
            SELECT l.description AS library, s.kind, s."full", s.element_address / \(SchemaV3.addressesPerBlock) AS block,
                   COUNT(*) AS slot_count
            FROM library_slots s JOIN tape_libraries l ON l.id = s.library_id
            GROUP BY l.description, s.kind, s."full", s.element_address / \(SchemaV3.addressesPerBlock)
            """, ["library", "kind", "full", "block", "slot_count"]),
    ]

    static func lines(_ rows: [Row], _ columns: [String]) -> [String] {
        rows.map { row in columns.map { "\($0)=\(row[$0] as DatabaseValue)" }.joined(separator: " ") }.sorted()
    }

    static func state(_ catalog: CatalogDatabase) async throws -> [String: [String]] {
        var state: [String: [String]] = [:]
        for query in stateQueries {
            let (sql, columns) = (query.sql, query.columns)
            state[query.name] = try await catalog.read { db in lines(try Row.fetchAll(db, sql: sql), columns) }
        }
        return state
    }

    static func state(_ catalog: PostgresCatalog) async throws -> [String: [String]] {
        var state: [String: [String]] = [:]
        for query in stateQueries { state[query.name] = lines(try await catalog.rows(query.sql), query.columns) }
        return state
    }

    /// Two libraries with a drive each (transfer elements 1 and 2), in both stores.
    struct Pair {
        let sqlite: CatalogDatabase
        let postgres: PostgresCatalog
        /// Library ids, SQLite's and PostgreSQL's, by library.
        let libraries: [(sqlite: Int64, postgres: Int64)]

        static func make() async throws -> Pair {
            let sqlite = try CatalogDatabase.inMemory()
            let postgres = try await PostgresTestServer.makeCatalog()
            var libraries: [(Int64, Int64)] = []
            let sqliteServer = try #require(try await sqlite.insert(MediaServer(hostname: "media-1", hwid: "h1")).id)
            let postgresServer = try #require(try await postgres.insert(MediaServer(hostname: "media-1", hwid: "h1")).id)
            for (index, name) in ["library A", "library B"].enumerated() {
                let a = try #require(try await sqlite.insert(TapeLibrary(mediaServerId: sqliteServer, description: name)).id)
                let b = try #require(try await postgres.insert(TapeLibrary(mediaServerId: postgresServer, description: name)).id)
                for element in 1...2 {
                    _ = try await sqlite.insert(LibraryTapeDrive(
                        libraryId: a, mediaServerId: sqliteServer, device: "/dev/sg\(element)",
                        scsiPath: "[6:\(index):\(element):0]", sysTransferElement: element))
                    _ = try await postgres.insert(LibraryTapeDrive(
                        libraryId: b, mediaServerId: postgresServer, device: "/dev/sg\(element)",
                        scsiPath: "[6:\(index):\(element):0]", sysTransferElement: element))
                }
                libraries.append((a, b))
            }
            return Pair(sqlite: sqlite, postgres: postgres, libraries: libraries)
        }
    }

    @Test("random sync sequences over two libraries leave the same catalog in both stores",
          arguments: [11, 12, 13, 14] as [UInt64])
    func sameCatalogAsSQLite(seed: UInt64) async throws {
        let pair = try await Pair.make()
        defer { Task { [postgres = pair.postgres] in await postgres.close() } }
        var random = ReconcileDigestTests.Random(state: seed)
        var previous: [InventorySnapshot?] = [nil, nil]
        var moved = 0
        for step in 0..<24 {
            let library = Int.random(in: 0...1, using: &random)
            // Often the library's previous snapshot again or with one element changed, as real syncs are.
            var snapshot: InventorySnapshot
            if let last = previous[library], step % 3 != 0 {
                snapshot = last
                if !snapshot.elements.isEmpty {
                    let index = Int.random(in: snapshot.elements.indices, using: &random)
                    snapshot.elements[index].isFull.toggle()
                    snapshot.elements[index].volumeTag = snapshot.elements[index].isFull
                        ? String(format: "T%03dL9", Int.random(in: 0..<40, using: &random)) : nil
                }
                if step % 5 == 1, let drop = snapshot.elements.indices.randomElement(using: &random) {
                    snapshot.elements.remove(at: drop)
                }
            } else {
                snapshot = ReconcileDigestTests.randomSnapshot(&random)
            }
            snapshot.drives = [InventoryDrive(address: 1, serialNumber: "SER\(library)"),
                               InventoryDrive(address: 2, serialNumber: "")]
            previous[library] = snapshot
            let now = Date(timeIntervalSince1970: 1_800_000_000 + Double(step))
            let ids = pair.libraries[library]
            let expected = try await pair.sqlite.reconcile(library: ids.sqlite, snapshot: snapshot, now: now)
            let summary = try await pair.postgres.reconcile(library: ids.postgres, snapshot: snapshot, now: now)
            #expect(summary == expected, "seed \(seed) step \(step)")
            moved += expected.cartridgesMoved.count
            let sqliteState = try await Self.state(pair.sqlite)
            let postgresState = try await Self.state(pair.postgres)
            for query in Self.stateQueries {
                #expect(postgresState[query.name] == sqliteState[query.name], "seed \(seed) step \(step): \(query.name)")
            }
            #expect(postgresState["counts"] == postgresState["counted"], "seed \(seed) step \(step): count cache")
        }
        #expect(moved > 0, "seed \(seed): no cartridge ever moved, so placements were never compared")
    }

    @Test("PostgreSQL keeps a library's last sync while no element changed, and notices any change, by anyone",
          arguments: [31, 32, 33] as [UInt64])
    func postgresReconcileCache(seed: UInt64) async throws {
        let pair = try await Pair.make()
        defer { Task { [postgres = pair.postgres] in await postgres.close() } }
        var random = ReconcileDigestTests.Random(state: seed)
        let (sqliteLibrary, postgresLibrary) = pair.libraries[0]
        var previous: InventorySnapshot?
        func syncBoth(_ snapshot: InventorySnapshot, step: Int, _ note: String) async throws -> ReconcileSummary {
            let now = Date(timeIntervalSince1970: 1_800_000_000 + Double(step))
            let expected = try await pair.sqlite.reconcile(library: sqliteLibrary, snapshot: snapshot, now: now)
            let summary = try await pair.postgres.reconcile(library: postgresLibrary, snapshot: snapshot, now: now)
            #expect(summary == expected, "seed \(seed) step \(step) \(note)")
            let sqliteState = try await Self.state(pair.sqlite)
            let postgresState = try await Self.state(pair.postgres)
            for query in Self.stateQueries {
                #expect(postgresState[query.name] == sqliteState[query.name], "seed \(seed) step \(step) \(note): \(query.name)")
            }
            return summary
        }
        // Consecutive syncs of one library, nothing else written: each after the first uses the cache.
        for step in 0..<12 {
            let snapshot = ReconcileCacheTests.nextSnapshot(after: previous, step: step, &random)
            previous = snapshot
            let hits = pair.postgres.reconcileCache.hits
            _ = try await syncBoth(snapshot, step: step, "consecutive")
            #expect(pair.postgres.reconcileCache.hits == hits + (step == 0 ? 0 : 1), "seed \(seed) step \(step)")
        }
        let snapshot = try #require(previous)
        // A write through the catalog (the same on both stores), then one outside it (psql on
        // PostgreSQL, undone on SQLite's side the same way): neither sync may use the cache, and
        // both put the catalog back as the changer reports it.
        let cartridges = try await pair.postgres.listCartridges(ListQuery(limit: 1_000)).items
        let placed = cartridges.first { $0.location == .slot }
        #expect(placed != nil, "seed \(seed): no cartridge in a slot to move")
        if let placed, case let tag = placed.volumeTag,
           let sqliteCartridge = try await pair.sqlite.cartridge(volumeTag: tag) {
            _ = try await pair.postgres.removeCartridgeFromLibrary(try #require(placed.id))
            _ = try await pair.sqlite.removeCartridgeFromLibrary(try #require(sqliteCartridge.id))
            let hits = pair.postgres.reconcileCache.hits
            let repaired = try await syncBoth(snapshot, step: 100, "after an API write")
            #expect(repaired.cartridgesMoved.map(\.volumeTag) == [tag])
            #expect(pair.postgres.reconcileCache.hits == hits)

            _ = try await PostgresTestServer.psql(pair.postgres.configuration.database,
                                                  "UPDATE tape_cartridges SET slot_id = NULL, location = 'offline' WHERE volume_tag = '\(tag)'")
            _ = try await pair.sqlite.removeCartridgeFromLibrary(try #require(sqliteCartridge.id))
            let again = try await syncBoth(snapshot, step: 101, "after psql")
            #expect(again.cartridgesMoved.map(\.volumeTag) == [tag])
            #expect(pair.postgres.reconcileCache.hits == hits)
        }
        // The other library's sync changes elements too: the first library's entry no longer serves.
        let hits = pair.postgres.reconcileCache.hits
        let other = ReconcileDigestTests.randomSnapshot(&random)
        _ = try await pair.postgres.reconcile(library: pair.libraries[1].postgres, snapshot: other)
        _ = try await pair.sqlite.reconcile(library: pair.libraries[1].sqlite, snapshot: other)
        #expect(pair.postgres.reconcileCache.hits == hits)
        let hitsBefore = pair.postgres.reconcileCache.hits
        _ = try await pair.postgres.reconcile(library: postgresLibrary, snapshot: snapshot)
        #expect(pair.postgres.reconcileCache.hits == hitsBefore)
    }

    @Test("chains of moves and swaps, placed by one statement on PostgreSQL, end as on SQLite")
    func chainsAndSwaps() async throws {
        let pair = try await Pair.make()
        defer { Task { [postgres = pair.postgres] in await postgres.close() } }
        let (sqliteLibrary, postgresLibrary) = pair.libraries[0]
        let first = ReconcileTests.snapshot(storage: [1000: "AAA001L9", 1001: "AAA002L9", 1002: nil, 1003: "AAA003L9",
                                                      1004: "AAA004L9", 1005: "AAA005L9", 1006: nil])
        // A chain (001 into 002's slot, 002 into the empty one), a swap (003 and 004), and a
        // chain into the slot a swap frees (005 into 1003 would not be free yet without it).
        let second = ReconcileTests.snapshot(storage: [1000: nil, 1001: "AAA001L9", 1002: "AAA002L9", 1003: "AAA004L9",
                                                       1004: "AAA005L9", 1005: "AAA003L9", 1006: nil])
        let third = ReconcileTests.snapshot(storage: [1000: "AAA002L9", 1001: "AAA003L9", 1002: "AAA004L9", 1003: "AAA005L9",
                                                      1004: nil, 1005: "AAA001L9", 1006: nil])
        for (step, snapshot) in [first, second, third, first].enumerated() {
            let now = Date(timeIntervalSince1970: 1_800_000_000 + Double(step))
            let expected = try await pair.sqlite.reconcile(library: sqliteLibrary, snapshot: snapshot, now: now)
            let summary = try await pair.postgres.reconcile(library: postgresLibrary, snapshot: snapshot, now: now)
            #expect(summary == expected, "step \(step)")
            #expect(step == 0 || !summary.cartridgesMoved.isEmpty, "step \(step)")
            let sqliteState = try await Self.state(pair.sqlite)
            let postgresState = try await Self.state(pair.postgres)
            for query in Self.stateQueries {
                #expect(postgresState[query.name] == sqliteState[query.name], "step \(step): \(query.name)")
            }
        }
    }

    @Test("slot pages from PostgreSQL's count cache and seek match SQLite's")
    func slotPagesMatch() async throws {
        let pair = try await Pair.make()
        defer { Task { [postgres = pair.postgres] in await postgres.close() } }
        // 2,000 storage elements over eight 256-address blocks, two of three full, then a resync with some moved.
        func snapshot(_ shift: Int) -> InventorySnapshot {
            InventorySnapshot(elements: (0..<2_000).map { index in
                let full = (index + shift) % 3 != 0
                return InventoryElement(address: 100 + index, kind: index < 10 ? .importExport : .storage, isFull: full,
                                        volumeTag: full ? String(format: "P%05dL8", (index * 7 + shift) % 2_000) : nil)
            })
        }
        for shift in [0, 1] {
            for (index, ids) in pair.libraries.enumerated() where index == 0 || shift == 0 {
                _ = try await pair.sqlite.reconcile(library: ids.sqlite, snapshot: snapshot(shift + index))
                _ = try await pair.postgres.reconcile(library: ids.postgres, snapshot: snapshot(shift + index))
            }
        }
        let (sqliteLibrary, postgresLibrary) = pair.libraries[0]
        for filter in ["kind=\"storage\", full=\"true\"", "full=\"false\"", "kind=\"import_export\"", ""] {
            for direction in [SortDirection.ascending, .descending] {
                for page in [1, 2, 7, 13, 14, 40] {
                    let conditions = ["library_id=\"LIB\"", filter].filter { !$0.isEmpty }.joined(separator: ", ")
                    func query(_ library: Int64) -> ListQuery {
                        ListQuery(filter: conditions.replacingOccurrences(of: "LIB", with: String(library)), page: page,
                                  limit: 100, sort: "element_address", direction: direction)
                    }
                    let expected = try await pair.sqlite.listSlots(query(sqliteLibrary))
                    let answer = try await pair.postgres.listSlots(query(postgresLibrary))
                    let context = "\(conditions) \(direction) page \(page)"
                    #expect(answer.total == expected.total, "\(context)")
                    #expect(answer.items.map(\.elementAddress) == expected.items.map(\.elementAddress), "\(context)")
                    #expect(answer.items.map(\.volumeTag) == expected.items.map(\.volumeTag), "\(context)")
                }
            }
        }
        // Without a library condition the cache sums every library's blocks.
        let all = ListQuery(filter: "full=\"true\"", page: 3, limit: 50, sort: "element_address")
        let expected = try await pair.sqlite.listSlots(all)
        let answer = try await pair.postgres.listSlots(all)
        #expect(answer.total == expected.total && answer.total > 2_000)
        #expect(answer.items.map(\.elementAddress) == expected.items.map(\.elementAddress))
    }

    @Test("an impossible snapshot or an unknown library writes nothing on PostgreSQL")
    func refusalsWriteNothing() async throws {
        let pair = try await Pair.make()
        defer { Task { [postgres = pair.postgres] in await postgres.close() } }
        let library = pair.libraries[0].postgres
        let good = InventorySnapshot(elements: [InventoryElement(address: 1000, kind: .storage, isFull: true, volumeTag: "AAA001L9")])
        _ = try await pair.postgres.reconcile(library: library, snapshot: good)
        let before = try await Self.state(pair.postgres)
        let refused = [
            InventorySnapshot(elements: [InventoryElement(address: 5, kind: .storage, isFull: false),
                                         InventoryElement(address: 5, kind: .storage, isFull: false)]),
            InventorySnapshot(elements: [InventoryElement(address: 70_000, kind: .storage, isFull: false)]),
            // A 33-byte tag after a valid new element: found by the first pass, before any write.
            InventorySnapshot(elements: [
                InventoryElement(address: 1, kind: .storage, isFull: true, volumeTag: "BBB001L9"),
                InventoryElement(address: 2, kind: .storage, isFull: true, volumeTag: String(repeating: "X", count: 33)),
            ]),
        ]
        for snapshot in refused {
            await #expect(throws: CatalogError.self) { _ = try await pair.postgres.reconcile(library: library, snapshot: snapshot) }
        }
        await #expect(throws: CatalogError.notFound(resource: "tape_libraries", identifier: "4242")) {
            _ = try await pair.postgres.reconcile(library: 4242, snapshot: good)
        }
        #expect(try await Self.state(pair.postgres) == before)
    }

    @Test("tags with COPY's special characters arrive intact")
    func copyEscapes() async throws {
        let pair = try await Pair.make()
        defer { Task { [postgres = pair.postgres] in await postgres.close() } }
        let tags = ["A\\B001L9", "TAB\tX", "NL\nX", "CR\rX", "\\N", "Ünï"]
        let snapshot = InventorySnapshot(elements: tags.enumerated().map { index, tag in
            InventoryElement(address: 1000 + index, kind: .storage, isFull: true, volumeTag: tag)
        })
        let summary = try await pair.postgres.reconcile(library: pair.libraries[0].postgres, snapshot: snapshot)
        #expect(Set(summary.cartridgesCreated) == Set(tags))
        let stored = try await pair.postgres.rows("SELECT volume_tag FROM tape_cartridges").map { $0["volume_tag"] as String }
        #expect(Set(stored) == Set(tags))
        let slots = try await pair.postgres.rows("SELECT volume_tag FROM library_slots").map { $0["volume_tag"] as String }
        #expect(Set(slots) == Set(tags))
    }

    @Test("syncs of two libraries at once on two connections both land, each cartridge in one place")
    func concurrentSyncs() async throws {
        let configuration = try await PostgresTestServer.makeDatabase()
        let first = try await PostgresCatalog.connect(configuration)
        let second = try await PostgresCatalog.connect(configuration, migrate: false)
        let server = try #require(try await first.insert(MediaServer(hostname: "media-1", hwid: "h1")).id)
        let a = try #require(try await first.insert(TapeLibrary(mediaServerId: server, description: "A")).id)
        let b = try #require(try await first.insert(TapeLibrary(mediaServerId: server, description: "B")).id)
        // The same 300 tags in both libraries' snapshots: whichever sync commits last holds them.
        let snapshot = InventorySnapshot(elements: (0..<300).map {
            InventoryElement(address: 1000 + $0, kind: .storage, isFull: true, volumeTag: String(format: "C%05dL9", $0))
        })
        async let one = first.reconcile(library: a, snapshot: snapshot)
        async let two = second.reconcile(library: b, snapshot: snapshot)
        let summaries = try await [one, two]
        #expect(summaries.map(\.cartridgesCreated.count).sorted() == [0, 300])
        let placed = try await first.rows("""
            SELECT COUNT(*) AS n, COUNT(DISTINCT c.slot_id) AS slots, COUNT(DISTINCT s.library_id) AS libraries
            FROM tape_cartridges c JOIN library_slots s ON s.id = c.slot_id
            """)
        let row = try #require(placed.first)
        let (count, slots, libraries): (Int, Int, Int) = (row["n"], row["slots"], row["libraries"])
        #expect(count == 300 && slots == 300 && libraries == 1)
        await first.close()
        await second.close()
    }
}
