import Foundation
import Synchronization
import GRDB
import NIOCore
import PostgresNIO

/// Reconcile on PostgreSQL: the same `Reconciler` (one definition of what a sync means), over a
/// store that reads in bulk and writes set-based. A round trip to the server costs what SQLite
/// spends on a hundred rows, so the reads the second pass will make are fetched before it, in a
/// handful of statements (`Reconciler.reads(of:)` names them), and its writes are gathered and sent
/// after it: new rows by COPY, changes as `UPDATE … FROM unnest(…)` of arrays.
extension PostgresCatalog {
    /// Applies a physical inventory of `library`, as `CatalogDatabase.reconcile` does, in one
    /// transaction. It holds the writers' advisory lock (`writeSQL`), so syncs and the catalog's
    /// other writes run one at a time, as SQLite's single writer runs them: two libraries' syncs
    /// may move the same cartridge.
    public func reconcile(library libraryID: Int64, snapshot: InventorySnapshot,
                          now: Date = Date()) async throws(CatalogError) -> ReconcileSummary {
        let elements: [InventoryElement]
        do {
            elements = try Reconciler.validated(snapshot.elements)
        } catch {
            throw CatalogError(error)
        }
        let (summary, staged) = try await transaction { session in
            var trace = PhaseTrace()
            // The sync's statements look rows up by id, by library and by arrays of ids, whose
            // best plan does not depend on the values: planned generically (for this
            // transaction only), they are not planned again at every sync, nor is an array of
            // ids estimated element by element (the 1% sync took a fifth longer planned at each run).
            try await session.execute("SELECT pg_advisory_xact_lock($1), set_config('plan_cache_mode', 'force_generic_plan', true)",
                                      [Self.writerLock.databaseValue])
            guard try await !session.rows("SELECT id FROM tape_libraries WHERE id = $1 FOR UPDATE",
                                          [libraryID.databaseValue]).isEmpty else {
                throw CatalogError.notFound(resource: "tape_libraries", identifier: String(libraryID))
            }
            // What the previous sync of this library committed, while no statement changed a
            // library element since (in this catalog, by anyone): its slots need not be read.
            let cached = reconcileCache.take(library: libraryID, elementChanges: try await Self.elementChanges(session))
            let storedSlots: Reconciler.StoredSlots
            if let cached {
                storedSlots = cached
                trace.mark("cached slots")
            } else {
                storedSlots = try await PostgresReconcileStore.loadSlots(
                    session, library: libraryID, addressCapacity: (elements.last?.address ?? 0) + 1)
                trace.mark("load slots")
            }
            var reconciler = Reconciler(libraryID: libraryID, now: now)
            let first = try reconciler.firstPass(elements, storedSlots: storedSlots)
            trace.mark("digests")
            var store = try await PostgresReconcileStore.prefetch(
                Reconciler.reads(of: first, elements, storedSlots), library: libraryID, session: session, trace: &trace)
            trace.mark("prefetch")
            let summary = try reconciler.secondPass(first, elements, storedSlots: storedSlots, drives: snapshot.drives,
                                                    store: &store, trace: &trace)
            try await store.flush(session, trace: &trace)
            // The count after this sync's own writes: nobody else can move it before the commit
            // (each writer's trigger updates its one row, which this transaction now holds).
            let changesAfter = try await Self.elementChanges(session)
            trace.report()
            return (summary, reconciler.slotsAfter.map { (slots: $0, elementChanges: changesAfter) })
        }
        // Committed: kept for the next sync.
        if let (slots, changes) = staged { reconcileCache.install(library: libraryID, slots: slots, elementChanges: changes) }
        return summary
    }

    static func elementChanges(_ session: PostgresSession) async throws -> Int64 {
        guard let changes = try await session.rows("SELECT changes FROM tapelib_element_changes WHERE id = 1").first?["changes"]
                as Int64? else {
            throw CatalogError.storage("tapelib_element_changes has no row: the catalog's schema is damaged")
        }
        return changes
    }

    /// The key of the advisory lock the catalog's writers hold (any constant other tapelib locks do not use).
    static let writerLock: Int64 = 0x7461_7065_7772_6974  // "tapewrit"
}

/// What reconcile's second pass reads, fetched before it, and what it writes, gathered for
/// `flush`. The writes go out in an order that keeps every constraint true after each statement
/// (PostgreSQL checks UNIQUE(slot_id) row by row within a statement, so a cartridge still sitting
/// in a slot that another is placed into is taken out first, then all are placed).
struct PostgresReconcileStore: ReconcileStore {
    let libraryID: Int64
    private let details: [Int64: Reconciler.StoredDetail]
    private let tags: [Int64: String]
    private let known: [String: Reconciler.StoredCartridge]
    private let types: TapeTypeTable
    /// As the second pass would read them when it gets to the drives (after `deleteSlots`).
    private var storedDrives: [Reconciler.StoredDrive]
    private let driveCartridges: [String: Int64]
    private var slotIDs: IndexingIterator<[Int64]>
    private var cartridgeIDs: IndexingIterator<[Int64]>

    private var newSlots: [(id: Int64, row: Reconciler.SlotRow)] = []
    private var slotUpdates: [(id: Int64, row: Reconciler.SlotRow)] = []
    private var digestUpdates: [(id: Int64, digest: Int64)] = []
    /// Cartridges taken out of their slots (detached; some are placed again below).
    private var vacated: [Int64] = []
    private var deletedSlots: [Int64] = []
    private var placements: [(id: Int64, slot: Int64, location: CartridgeLocation)] = []
    private var newCartridges: [Reconciler.NewCartridge] = []
    private var now = ""
    private var serials: [(drive: Int64, serial: String)] = []
    private var driveChanges: [(drive: Int64, cartridge: Int64?)] = []
    private var counts = SlotCountDelta()
    private var synced: DatabaseValue?

    // MARK: Reads before the second pass

    /// The library's elements: address, slot id and digest, and the cartridge in each.
    /// Each query returns one row of arrays (decoding 50,000 rows one by one costs more than
    /// the query).
    static func loadSlots(_ session: PostgresSession, library: Int64, addressCapacity: Int) async throws
        -> Reconciler.StoredSlots {
        var slots = Reconciler.StoredSlots(addressCapacity: addressCapacity)
        var binds = PostgresBindings()
        binds.append(library)
        for try await row in try await session.query("""
            SELECT array_agg(element_address), array_agg(id), array_agg(element_digest)
            FROM library_slots WHERE library_id = $1
            """, binds) {
            let (addresses, ids, digests) = try row.decode(([Int64]?, [Int64]?, [Int64]?).self)
            guard let addresses, let ids, let digests else { continue }
            guard addresses.count == ids.count, ids.count == digests.count else {
                throw CatalogError.storage("library_slots: the stored elements came back inconsistent")
            }
            for index in addresses.indices {
                let address = Int(addresses[index])
                guard (0...0xFFFF).contains(address) else {
                    throw CatalogError.storage("library_slots row with address \(address) out of range")
                }
                slots.insert(Reconciler.StoredSlot(id: ids[index], digest: digests[index]), at: address)
            }
            if let minimum = ids.min(), let maximum = ids.max() { _ = slots.indexSlotIDs(minimum: minimum, maximum: maximum) }
        }
        guard slots.count > 0 else { return slots }
        for try await row in try await session.query("""
            SELECT array_agg(s.element_address), array_agg(c.id)
            FROM tape_cartridges c JOIN library_slots s ON s.id = c.slot_id WHERE s.library_id = $1
            """, binds) {
            let (addresses, ids) = try row.decode(([Int64]?, [Int64]?).self)
            guard let addresses, let ids, addresses.count == ids.count else { continue }
            for index in addresses.indices { slots.setOccupant(ids[index], at: Int(addresses[index])) }
        }
        return slots
    }

    /// Fetches everything `reads` names, and reserves the ids of the rows the pass will insert.
    static func prefetch(_ reads: Reconciler.Reads, library: Int64, session: PostgresSession,
                         trace: inout PhaseTrace) async throws -> PostgresReconcileStore {
        var details: [Int64: Reconciler.StoredDetail] = [:]
        if !reads.slotIDs.isEmpty {
            for row in try await session.rows("""
                SELECT id, kind, "full", volume_tag, source_element, accessible, exception, "asc", ascq
                FROM library_slots WHERE id = ANY($1)
                """, arrays: [reads.slotIDs]) {
                guard let kind = SlotKind(rawValue: row["kind"]) else {
                    throw CatalogError.storage("library_slots row \(row["id"] as Int64? ?? -1) with a kind out of range")
                }
                details[row["id"]] = Reconciler.StoredDetail(
                    kind: kind, full: row["full"], volumeTag: row["volume_tag"], sourceElement: row["source_element"],
                    accessible: row["accessible"], exception: row["exception"], asc: row["asc"], ascq: row["ascq"])
            }
        }
        var tags: [Int64: String] = [:]
        if !reads.occupantIDs.isEmpty {
            for row in try await session.rows("SELECT id, volume_tag FROM tape_cartridges WHERE id = ANY($1)",
                                              arrays: [reads.occupantIDs]) {
                tags[row["id"]] = row["volume_tag"]
            }
        }
        trace.mark("prefetch details")
        let known = try await knownCartridges(reads.desiredTags, session: session)
        trace.mark("prefetch known")
        var driveCartridges: [String: Int64] = [:]
        if !reads.driveTags.isEmpty {
            for row in try await session.rows("SELECT volume_tag, id FROM tape_cartridges WHERE volume_tag = ANY($1)",
                                              texts: reads.driveTags) {
                driveCartridges[row["volume_tag"]] = row["id"]
            }
        }
        let drives = try await session.rows("""
            SELECT id, sys_transfer_element, loaded_cartridge_id, serial FROM library_tape_drives
            WHERE library_id = $1 AND sys_transfer_element IS NOT NULL ORDER BY id
            """, [library.databaseValue]).map { row in
            Reconciler.StoredDrive(id: row["id"], address: row["sys_transfer_element"],
                                   loadedCartridgeID: row["loaded_cartridge_id"], serial: row["serial"])
        }
        let types = TapeTypeTable(types: try await session.fetchAll(TapeType.self, "SELECT * FROM tape_types ORDER BY id"))
        let newCartridges = reads.desiredTags.reduce(0) { $0 + (known[$1] == nil ? 1 : 0) }
        trace.mark("prefetch drives, types")
        let slotIDs = try await reserveIDs(table: "library_slots", count: reads.newSlots, session: session)
        let cartridgeIDs = try await reserveIDs(table: "tape_cartridges", count: newCartridges, session: session)
        trace.mark("reserve ids")
        return PostgresReconcileStore(
            libraryID: library, details: details, tags: tags, known: known, types: types, storedDrives: drives,
            driveCartridges: driveCartridges, slotIDs: slotIDs.makeIterator(), cartridgeIDs: cartridgeIDs.makeIterator())
    }

    private init(libraryID: Int64, details: [Int64: Reconciler.StoredDetail], tags: [Int64: String],
                 known: [String: Reconciler.StoredCartridge], types: TapeTypeTable, storedDrives: [Reconciler.StoredDrive],
                 driveCartridges: [String: Int64], slotIDs: IndexingIterator<[Int64]>, cartridgeIDs: IndexingIterator<[Int64]>) {
        self.libraryID = libraryID
        self.details = details
        self.tags = tags
        self.known = known
        self.types = types
        self.storedDrives = storedDrives
        self.driveCartridges = driveCartridges
        self.slotIDs = slotIDs
        self.cartridgeIDs = cartridgeIDs
    }

    /// Above `Reconciler.scanThreshold` tags, one scan of tape_cartridges (as arrays) rather than
    /// a look-up of each.
    private static func knownCartridges(_ tags: [String], session: PostgresSession) async throws
        -> [String: Reconciler.StoredCartridge] {
        guard !tags.isEmpty else { return [:] }
        var known: [String: Reconciler.StoredCartridge] = [:]
        var binds = PostgresBindings()
        let sql: String
        if tags.count > Reconciler.scanThreshold {
            sql = "SELECT array_agg(volume_tag), array_agg(id), array_agg(COALESCE(slot_id, 0)) FROM tape_cartridges"
        } else {
            sql = """
                SELECT array_agg(volume_tag), array_agg(id), array_agg(COALESCE(slot_id, 0)) FROM tape_cartridges
                WHERE volume_tag = ANY($1)
                """
            binds.append(tags)
        }
        for try await row in try await session.query(sql, binds) {
            let (found, ids, slots) = try row.decode(([String]?, [Int64]?, [Int64]?).self)
            guard let found, let ids, let slots, found.count == ids.count, ids.count == slots.count else { continue }
            known.reserveCapacity(found.count)
            for index in found.indices {
                known[found[index]] = .init(id: ids[index], slotID: slots[index] == 0 ? nil : slots[index])
            }
        }
        return known
    }

    /// `count` ids from the table's identity sequence (PostgreSQL's; never handed out twice).
    /// Up to `blockThreshold` ids, one nextval each; above, nextval's ~3 µs each would cost a
    /// 50,000-slot first sync a third of a second, so the sequence steps once over the block.
    /// ALTER SEQUENCE is transactional and locks the sequence first: other writers' nextval on
    /// it waits until this transaction ends, so no id of the block can go to anyone else.
    private static func reserveIDs(table: String, count: Int, session: PostgresSession) async throws -> [Int64] {
        guard count > 0 else { return [] }
        let sequence = "pg_get_serial_sequence('\(table)', 'id')"
        var ids: [Int64] = []
        if count <= blockThreshold {
            var binds = PostgresBindings()
            binds.append(Int64(count))
            for try await row in try await session.query(
                "SELECT array_agg(nextval(\(sequence))) FROM generate_series(1, $1)", binds) {
                ids = try row.decode([Int64]?.self) ?? []
            }
        } else {
            // The first id by a plain nextval (a sequence never used returns its start without
            // stepping), then one step of count − 1 to the last.
            guard let name = try await session.rows("SELECT \(sequence) AS name").first?["name"] as String? else {
                throw CatalogError.storage("\(table) has no identity sequence")
            }
            // pg_get_serial_sequence quotes the name as needed; a number is not bound in DDL.
            // The first ALTER changes nothing but takes the lock before the first nextval.
            try await session.execute("ALTER SEQUENCE \(name) INCREMENT BY 1")
            guard let first = try await session.rows("SELECT nextval(\(sequence)) AS id").first?["id"] as Int64? else {
                throw CatalogError.storage("\(table): nextval returned nothing")
            }
            try await session.execute("ALTER SEQUENCE \(name) INCREMENT BY \(count - 1)")
            let last = try await session.rows("SELECT nextval(\(sequence)) AS id").first?["id"] as Int64?
            try await session.execute("ALTER SEQUENCE \(name) INCREMENT BY 1")
            guard let last, last == first + Int64(count) - 1 else {
                throw CatalogError.storage("\(table): the sequence stepped from \(first) to \(last ?? -1), not by \(count - 1)")
            }
            ids = Array(first...last)
        }
        guard ids.count == count else {
            throw CatalogError.storage("\(table): \(ids.count) of \(count) new ids reserved")
        }
        return ids
    }

    static let blockThreshold = 1_000

    // MARK: Reads during the second pass (answered from the prefetch)

    func detail(ofSlot id: Int64) throws -> Reconciler.StoredDetail {
        guard let detail = details[id] else {
            throw CatalogError.storage("library_slots row \(id) vanished during reconcile")
        }
        return detail
    }

    func volumeTag(ofCartridge id: Int64) throws -> String? { tags[id] }
    func knownCartridges(_ tags: [String]) throws -> [String: Reconciler.StoredCartridge] { known }
    func tapeTypes() throws -> TapeTypeTable { types }
    func drives() throws -> [Reconciler.StoredDrive] { storedDrives }
    func cartridgeID(volumeTag: String) throws -> Int64? { driveCartridges[volumeTag] }

    // MARK: Writes, gathered

    mutating func newCartridgeID() throws -> Int64 {
        guard let id = cartridgeIDs.next() else { throw CatalogError.storage("reconcile ran out of reserved cartridge ids") }
        return id
    }

    mutating func beginSlotInserts(rowCount: Int) throws { newSlots.reserveCapacity(rowCount) }

    mutating func insertSlot(_ row: Reconciler.SlotRow) throws -> Int64 {
        guard let id = slotIDs.next() else { throw CatalogError.storage("reconcile ran out of reserved slot ids") }
        newSlots.append((id, row))
        return id
    }

    mutating func finishSlotInserts() throws {}
    mutating func updateSlot(_ id: Int64, _ row: Reconciler.SlotRow) throws { slotUpdates.append((id, row)) }
    mutating func updateDigest(_ id: Int64, _ digest: Int64) throws { digestUpdates.append((id, digest)) }
    mutating func detachCartridge(_ id: Int64) throws { vacated.append(id) }
    mutating func deleteSlots(_ ids: [Int64]) throws {
        deletedSlots += ids
        // The library's drives are unloaded first, so the pass reads them empty afterwards.
        storedDrives = storedDrives.map { .init(id: $0.id, address: $0.address, loadedCartridgeID: nil, serial: $0.serial) }
    }

    mutating func placeCartridge(_ id: Int64, inSlot slotID: Int64, location: CartridgeLocation) throws {
        placements.append((id, slotID, location))
    }

    mutating func beginCartridgeInserts(rowCount: Int) throws { newCartridges.reserveCapacity(rowCount) }

    mutating func insertCartridge(_ cartridge: Reconciler.NewCartridge, now: String) throws {
        newCartridges.append(cartridge)
        self.now = now
    }

    mutating func finishCartridgeInserts() throws {}
    mutating func setSerial(_ serial: String, ofDrive id: Int64) throws { serials.append((id, serial)) }
    mutating func loadDrives(_ changes: [(drive: Int64, cartridge: Int64?)]) throws { driveChanges += changes }
    mutating func applyCounts(_ counts: SlotCountDelta) throws { self.counts = counts }
    mutating func markSynced(now: DatabaseValue) throws { synced = now }

    // MARK: Sending the writes

    /// Sends the gathered writes: new slots, changed slots, cartridges out of their slots, slots
    /// deleted, cartridges placed, new cartridges, drives, counts, the library's sync time.
    func flush(_ session: PostgresSession, trace: inout PhaseTrace) async throws {
        if !newSlots.isEmpty {
            try await session.copy(
                into: "library_slots",
                columns: ["id", "library_id", "element_address", "kind", "full", "volume_tag", "source_element",
                          "accessible", "exception", "asc", "ascq", "element_digest"],
                rows: newSlots.count) { index, line in
                let (id, row) = newSlots[index]
                line.field(id); line.field(libraryID); line.field(Int64(row.address)); line.field(row.detail.kind.rawValue)
                line.field(row.detail.full); line.field(row.detail.volumeTag); line.field(row.detail.sourceElement.map(Int64.init))
                line.field(row.detail.accessible); line.field(row.detail.exception); line.field(row.detail.asc.map(Int64.init))
                line.field(row.detail.ascq.map(Int64.init)); line.field(row.digest)
            }
        }
        trace.mark("copy slots")
        if !slotUpdates.isEmpty {
            // Optional numbers travel as -1 (no column takes a negative value) and optional text
            // with a flag: postgres-nio binds arrays without NULL elements.
            var binds = PostgresBindings()
            binds.append(slotUpdates.map(\.id))
            binds.append(slotUpdates.map(\.row.detail.kind.rawValue))
            binds.append(slotUpdates.map { Int64($0.row.detail.full ? 1 : 0) })
            binds.append(slotUpdates.map { $0.row.detail.volumeTag ?? "" })
            binds.append(slotUpdates.map { $0.row.detail.volumeTag == nil })
            binds.append(slotUpdates.map { Int64($0.row.detail.sourceElement ?? -1) })
            binds.append(slotUpdates.map { Int64($0.row.detail.accessible ? 1 : 0) })
            binds.append(slotUpdates.map { Int64($0.row.detail.exception ? 1 : 0) })
            binds.append(slotUpdates.map { Int64($0.row.detail.asc ?? -1) })
            binds.append(slotUpdates.map { Int64($0.row.detail.ascq ?? -1) })
            binds.append(slotUpdates.map(\.row.digest))
            try await session.execute("""
                UPDATE library_slots s SET kind = u.kind, "full" = u.is_full,
                    volume_tag = CASE WHEN u.no_tag THEN NULL ELSE u.tag END,
                    source_element = NULLIF(u.source, -1), accessible = u.accessible, exception = u.exception,
                    "asc" = NULLIF(u.sense_code, -1), ascq = NULLIF(u.sense_qualifier, -1), element_digest = u.digest
                FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::boolean[], $6::bigint[],
                            $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[])
                    AS u(id, kind, is_full, tag, no_tag, source, accessible, exception, sense_code, sense_qualifier, digest)
                WHERE s.id = u.id
                """, binds)
        }
        if !digestUpdates.isEmpty {
            var binds = PostgresBindings()
            binds.append(digestUpdates.map(\.id))
            binds.append(digestUpdates.map(\.digest))
            try await session.execute("""
                UPDATE library_slots s SET element_digest = u.digest
                FROM unnest($1::bigint[], $2::bigint[]) AS u(id, digest) WHERE s.id = u.id
                """, binds)
        }
        if !vacated.isEmpty {
            var binds = PostgresBindings()
            binds.append(vacated)
            try await session.execute(
                "UPDATE tape_cartridges SET slot_id = NULL, location = 'offline' WHERE id = ANY($1::bigint[])", binds)
        }
        if !placements.isEmpty {
            // A cartridge placed in this sync that still sits in a slot another one is placed
            // into (a chain of moves whose earlier link the pass already placed, so did not
            // detach) is taken out first: the placements below are one statement, and PostgreSQL
            // checks UNIQUE(slot_id) row by row within it. Other placed cartridges move in one update.
            var binds = PostgresBindings()
            binds.append(placements.map(\.id))
            binds.append(placements.map(\.slot))
            try await session.execute(
                "UPDATE tape_cartridges SET slot_id = NULL, location = 'offline' WHERE id = ANY($1::bigint[]) AND slot_id = ANY($2::bigint[])", binds)
        }
        if !deletedSlots.isEmpty {
            var binds = PostgresBindings()
            binds.append(libraryID)
            try await session.execute("UPDATE library_tape_drives SET loaded_cartridge_id = NULL WHERE library_id = $1", binds)
            binds = PostgresBindings()
            binds.append(deletedSlots)
            try await session.execute("DELETE FROM library_slots WHERE id = ANY($1::bigint[])", binds)
        }
        if !placements.isEmpty {
            var binds = PostgresBindings()
            binds.append(placements.map(\.id))
            binds.append(placements.map(\.slot))
            binds.append(placements.map(\.location.rawValue))
            try await session.execute("""
                UPDATE tape_cartridges c SET slot_id = u.slot, location = u.location
                FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS u(id, slot, location) WHERE c.id = u.id
                """, binds)
        }
        trace.mark("update slots, place cartridges")
        if !newCartridges.isEmpty {
            try await session.copy(
                into: "tape_cartridges",
                columns: ["id", "volume_tag", "tape_type_id", "status", "location", "slot_id", "native_capacity",
                          "cleaning_uses_left", "is_worm", "created_at", "is_registered"],
                rows: newCartridges.count) { index, line in
                let cartridge = newCartridges[index]
                line.field(cartridge.id); line.field(cartridge.volumeTag); line.field(cartridge.type?.id)
                line.field(cartridge.status.rawValue); line.field(cartridge.location.rawValue); line.field(cartridge.slotID)
                line.field(cartridge.type?.nativeCapacity ?? 0); line.field(cartridge.cleaningUsesLeft.map(Int64.init))
                line.field(cartridge.type?.isWorm ?? false); line.field(now); line.field(cartridge.isRegistered)
            }
        }
        trace.mark("copy cartridges")
        for (drive, serial) in serials {
            try await session.execute("UPDATE library_tape_drives SET serial = $1 WHERE id = $2",
                                      [serial.databaseValue, drive.databaseValue])
        }
        for change in driveChanges {
            try await session.execute("UPDATE library_tape_drives SET loaded_cartridge_id = NULL WHERE id = $1",
                                      [change.drive.databaseValue])
        }
        for change in driveChanges {
            guard let cartridge = change.cartridge else { continue }
            // A cartridge now loaded here may still be recorded as loaded in another library's drive.
            try await session.execute("UPDATE library_tape_drives SET loaded_cartridge_id = NULL WHERE loaded_cartridge_id = $1",
                                      [cartridge.databaseValue])
            try await session.execute("UPDATE library_tape_drives SET loaded_cartridge_id = $1 WHERE id = $2",
                                      [cartridge.databaseValue, change.drive.databaseValue])
        }
        try await Self.apply(counts, library: libraryID, session: session)
        if let synced {
            try await session.execute("UPDATE tape_libraries SET last_sync = $1, sync_state = 'synced' WHERE id = $2",
                                      [synced, libraryID.databaseValue])
        }
        trace.mark("drives, counts")
    }

    /// Adds the count changes to library_slot_block_counts: an UPDATE of the blocks that have a
    /// row, an INSERT of those that do not (not an upsert: the CHECK (slot_count >= 0) is tested
    /// on the candidate row before the conflict is seen, so a negative delta would fail).
    static func apply(_ counts: SlotCountDelta, library: Int64, session: PostgresSession) async throws {
        let changes = counts.changes
        guard !changes.isEmpty else { return }
        var binds = PostgresBindings()
        binds.append(library)
        binds.append(changes.map(\.kind.rawValue))
        binds.append(changes.map { Int64($0.full ? 1 : 0) })
        binds.append(changes.map { Int64($0.block) })
        binds.append(changes.map { Int64($0.delta) })
        try await session.execute("""
            WITH d AS (SELECT * FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) AS d(kind, is_full, block, delta)),
            updated AS (
                UPDATE library_slot_block_counts c SET slot_count = c.slot_count + d.delta FROM d
                WHERE c.library_id = $1 AND c.kind = d.kind AND c."full" = d.is_full AND c.block = d.block
                RETURNING c.kind, c."full", c.block)
            INSERT INTO library_slot_block_counts (library_id, kind, "full", block, slot_count)
            SELECT $1, d.kind, d.is_full, d.block, d.delta FROM d
            WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE u.kind = d.kind AND u."full" = d.is_full AND u.block = d.block)
            """, binds)
    }
}

/// What each library's last sync committed on this node (its stored slots, as SQLite's
/// `ReconcileCache` keeps them), with the element-change count read inside that sync after its
/// writes (`tapelib_element_changes`, moved by a trigger on every statement that changes
/// library_slots, tape_cartridges or library_tape_drives, whoever runs it). An entry serves the
/// next sync of its library only when the count, read inside that sync's transaction under the
/// writers' lock, still has the same value: then no element of any library changed in between.
/// An entry is taken out when a sync begins and installed again only after its commit, so a
/// failed or rolled-back sync leaves none.
final class PostgresReconcileCache: Sendable {
    private struct Entry: Sendable {
        let slots: Reconciler.StoredSlots
        let elementChanges: Int64
    }

    private let entries = Mutex<[Int64: Entry]>([:])
    private let hitCount = Atomic<Int>(0)

    func take(library: Int64, elementChanges: Int64) -> Reconciler.StoredSlots? {
        entries.withLock { entries in
            guard let entry = entries.removeValue(forKey: library), entry.elementChanges == elementChanges else { return nil }
            hitCount.add(1, ordering: .relaxed)
            return entry.slots
        }
    }

    func install(library: Int64, slots: Reconciler.StoredSlots, elementChanges: Int64) {
        entries.withLock { $0[library] = Entry(slots: slots, elementChanges: elementChanges) }
    }

    /// Syncs that used an entry instead of reading the catalog (for tests).
    var hits: Int { hitCount.load(ordering: .relaxed) }
}
