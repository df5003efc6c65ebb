import Foundation
import GRDB

/// The reads and writes of reconcile's second pass, in the order the algorithm makes them. What
/// a sync means is `Reconciler`'s; a store decides only how the rows get there: SQLite's runs
/// each on a prepared statement at once, inside the write transaction; PostgreSQL's answers the
/// reads from what it fetched in bulk beforehand and gathers the writes, which it then sends
/// set-based (`PostgresReconcileStore`).
protocol ReconcileStore {
    // MARK: Reads
    /// The full row of a stored slot (a changed or a vanished element).
    func detail(ofSlot id: Int64) throws -> Reconciler.StoredDetail
    func volumeTag(ofCartridge id: Int64) throws -> String?
    /// The catalog's cartridges among `tags`, by tag.
    func knownCartridges(_ tags: [String]) throws -> [String: Reconciler.StoredCartridge]
    func tapeTypes() throws -> TapeTypeTable
    /// The library's drives that have a data-transfer element address.
    func drives() throws -> [Reconciler.StoredDrive]
    func cartridgeID(volumeTag: String) throws -> Int64?

    // MARK: Writes
    /// The id the next new cartridge gets.
    mutating func newCartridgeID() throws -> Int64
    mutating func beginSlotInserts(rowCount: Int) throws
    /// Inserts a slot and returns its id.
    mutating func insertSlot(_ row: Reconciler.SlotRow) throws -> Int64
    mutating func finishSlotInserts() throws
    mutating func updateSlot(_ id: Int64, _ row: Reconciler.SlotRow) throws
    mutating func updateDigest(_ id: Int64, _ digest: Int64) throws
    /// The cartridge leaves its slot: no slot, location offline.
    mutating func detachCartridge(_ id: Int64) throws
    /// Deletes slots whose cartridges have been detached (and unloads the library's drives first).
    mutating func deleteSlots(_ ids: [Int64]) throws
    mutating func placeCartridge(_ id: Int64, inSlot slotID: Int64, location: CartridgeLocation) throws
    mutating func beginCartridgeInserts(rowCount: Int) throws
    mutating func insertCartridge(_ cartridge: Reconciler.NewCartridge, now: String) throws
    mutating func finishCartridgeInserts() throws
    mutating func setSerial(_ serial: String, ofDrive id: Int64) throws
    /// Points drives at cartridges (nil: empty); a cartridge loaded here leaves any other drive.
    mutating func loadDrives(_ changes: [(drive: Int64, cartridge: Int64?)]) throws
    mutating func applyCounts(_ counts: SlotCountDelta) throws
    mutating func markSynced(now: DatabaseValue) throws
}

extension Reconciler.NewCartridge {
    var isCleaning: Bool { type?.isCleaning ?? false }
    var status: CartridgeStatus { isCleaning ? .cleaning : .scratch }
    var cleaningUsesLeft: Int? { isCleaning ? Reconciler.cleaningUses : nil }
    /// A data cartridge nobody registered is recorded as such; a cleaning one needs no pool.
    var isRegistered: Bool { isCleaning }
}

/// Reconcile's reads and writes on SQLite: cached prepared statements inside the one write
/// transaction (exclusive, so ids handed out here cannot collide), new rows through multi-row
/// inserts.
struct SQLiteReconcileStore: ReconcileStore {
    private static let kindTexts = SlotKind.allCases.map { ($0, InternedText($0.rawValue)) }
    private static let locationTexts = CartridgeLocation.allCases.map { ($0, InternedText($0.rawValue)) }
    private static let scratchStatus = InternedText(CartridgeStatus.scratch.rawValue)
    private static let cleaningStatus = InternedText(CartridgeStatus.cleaning.rawValue)

    private static func interned(_ kind: SlotKind) -> InternedText {
        kindTexts.first { $0.0 == kind }?.1 ?? InternedText(kind.rawValue)
    }

    private static func interned(_ location: CartridgeLocation) -> InternedText {
        locationTexts.first { $0.0 == location }?.1 ?? InternedText(location.rawValue)
    }

    let db: Database
    let libraryID: Int64
    private let updateSlotStatement: BulkStatement
    private let updateDigestStatement: BulkStatement
    private let detailQuery: BulkStatement
    private let tagQuery: BulkStatement
    private var detachStatement: BulkStatement?
    private var placeStatement: BulkStatement?
    private var slotInserts: BatchInsert
    private var cartridgeInserts: BatchInsert
    private var nextSlotID: Int64?
    private var nextCartridgeID: Int64?

    init(db: Database, libraryID: Int64) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM tape_libraries WHERE id = ?", arguments: [libraryID]) != nil
        else { throw CatalogError.notFound(resource: "tape_libraries", identifier: String(libraryID)) }
        self.db = db
        self.libraryID = libraryID
        updateSlotStatement = try BulkStatement(db, sql: """
            UPDATE library_slots SET kind = ?, full = ?, volume_tag = ?, source_element = ?, accessible = ?,
                exception = ?, asc = ?, ascq = ?, element_digest = ? WHERE id = ?
            """)
        updateDigestStatement = try BulkStatement(db, sql: "UPDATE library_slots SET element_digest = ? WHERE id = ?")
        detailQuery = try BulkStatement(db, sql: """
            SELECT kind, full, volume_tag, source_element, accessible, exception, asc, ascq
            FROM library_slots WHERE id = ?
            """)
        tagQuery = try BulkStatement(db, sql: "SELECT volume_tag FROM tape_cartridges WHERE id = ?")
        slotInserts = Self.slotInsert(db, rowCount: 0)
        cartridgeInserts = Self.cartridgeInsert(db, rowCount: 0)
    }

    private static func slotInsert(_ db: Database, rowCount: Int) -> BatchInsert {
        BatchInsert(db, table: "library_slots", columns: [
            "library_id", "element_address", "kind", "full", "volume_tag", "source_element",
            "accessible", "exception", "asc", "ascq", "element_digest",
        ], rowCount: rowCount)
    }

    private static func cartridgeInsert(_ db: Database, rowCount: Int) -> BatchInsert {
        BatchInsert(db, table: "tape_cartridges", columns: [
            "volume_tag", "tape_type_id", "status", "location", "slot_id", "native_capacity",
            "cleaning_uses_left", "is_worm", "created_at", "is_registered",
        ], rowCount: rowCount)
    }

    // MARK: Reads

    func detail(ofSlot id: Int64) throws -> Reconciler.StoredDetail {
        let statement = detailQuery
        statement.bind(1, id)
        guard try statement.step() else {
            throw CatalogError.storage("library_slots row \(id) vanished during reconcile")
        }
        guard let kind = SlotKind(leadingByte: statement.firstByte(0)) else {
            throw CatalogError.storage("library_slots row \(id) with a kind out of range")
        }
        let detail = Reconciler.StoredDetail(
            kind: kind, full: statement.bool(1), volumeTag: statement.text(2), sourceElement: statement.optionalInt(3),
            accessible: statement.bool(4), exception: statement.bool(5), asc: statement.optionalInt(6),
            ascq: statement.optionalInt(7))
        while try statement.step() {}
        return detail
    }

    func volumeTag(ofCartridge id: Int64) throws -> String? {
        let statement = tagQuery
        statement.bind(1, id)
        guard try statement.step() else { return nil }
        let tag = statement.text(0)
        while try statement.step() {}
        return tag
    }

    /// One indexed look-up each for a few, one scan for many.
    func knownCartridges(_ tags: [String]) throws -> [String: Reconciler.StoredCartridge] {
        var known: [String: Reconciler.StoredCartridge] = [:]
        if tags.count > Reconciler.scanThreshold {
            let query = try BulkStatement(db, sql: "SELECT volume_tag, id, slot_id FROM tape_cartridges")
            while try query.step() {
                known[query.text(0) ?? ""] = .init(id: query.int64(1), slotID: query.optionalInt64(2))
            }
        } else {
            let query = try BulkStatement(db, sql: "SELECT id, slot_id FROM tape_cartridges WHERE volume_tag = ?")
            for tag in tags {
                query.bind(1, tag)
                if try query.step() {
                    known[tag] = .init(id: query.int64(0), slotID: query.optionalInt64(1))
                    while try query.step() {}
                }
            }
        }
        return known
    }

    func tapeTypes() throws -> TapeTypeTable { try TapeTypeTable.load(db) }

    func drives() throws -> [Reconciler.StoredDrive] {
        try Row.fetchAll(db, sql: """
            SELECT id, sys_transfer_element, loaded_cartridge_id, serial FROM library_tape_drives
            WHERE library_id = ? AND sys_transfer_element IS NOT NULL
            """, arguments: [libraryID]).map { row in
            Reconciler.StoredDrive(id: row[0], address: row[1], loadedCartridgeID: row[2], serial: row[3])
        }
    }

    func cartridgeID(volumeTag: String) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT id FROM tape_cartridges WHERE volume_tag = ?", arguments: [volumeTag])
    }

    // MARK: Writes

    /// New rows leave id to SQLite, which gives each the largest id so far + 1 (documented,
    /// sqlite.org/autoinc.html): exactly the ids handed out here, in insertion order, and
    /// without an existence check of each explicit id. Verified after the inserts.
    mutating func newCartridgeID() throws -> Int64 {
        let id = try nextCartridgeID ?? Self.nextID(db, table: "tape_cartridges")
        nextCartridgeID = id + 1
        return id
    }

    mutating func beginSlotInserts(rowCount: Int) throws {
        nextSlotID = try Self.nextID(db, table: "library_slots")
        slotInserts = Self.slotInsert(db, rowCount: rowCount)
    }

    mutating func insertSlot(_ row: Reconciler.SlotRow) throws -> Int64 {
        guard let id = nextSlotID else {
            throw CatalogError.storage("reconcile inserted a slot before beginSlotInserts")
        }
        try slotInserts.add(libraryID)
        try slotInserts.add(row.address)
        try slotInserts.add(Self.interned(row.detail.kind))
        try slotInserts.add(row.detail.full)
        try slotInserts.add(row.detail.volumeTag)
        try slotInserts.add(row.detail.sourceElement)
        try slotInserts.add(row.detail.accessible)
        try slotInserts.add(row.detail.exception)
        try slotInserts.add(row.detail.asc)
        try slotInserts.add(row.detail.ascq)
        try slotInserts.add(row.digest)
        try slotInserts.endRow()
        nextSlotID = id + 1
        return id
    }

    mutating func finishSlotInserts() throws {
        guard let next = nextSlotID else { return }
        try slotInserts.finish()
        try Self.verifyLastID(db, table: "library_slots", expected: next - 1, inserted: slotInserts.rowCount)
    }

    mutating func updateSlot(_ id: Int64, _ row: Reconciler.SlotRow) throws {
        let statement = updateSlotStatement
        statement.bind(1, row.detail.kind.rawValue)
        statement.bind(2, row.detail.full)
        statement.bind(3, row.detail.volumeTag)
        statement.bind(4, row.detail.sourceElement)
        statement.bind(5, row.detail.accessible)
        statement.bind(6, row.detail.exception)
        statement.bind(7, row.detail.asc)
        statement.bind(8, row.detail.ascq)
        statement.bind(9, row.digest)
        statement.bind(10, id)
        try statement.execute()
    }

    mutating func updateDigest(_ id: Int64, _ digest: Int64) throws {
        updateDigestStatement.bind(1, digest)
        updateDigestStatement.bind(2, id)
        try updateDigestStatement.execute()
    }

    mutating func detachCartridge(_ id: Int64) throws {
        if detachStatement == nil {
            detachStatement = try BulkStatement(
                db, sql: "UPDATE tape_cartridges SET slot_id = NULL, location = 'offline' WHERE id = ?")
        }
        guard let statement = detachStatement else { return }
        statement.bind(1, id)
        try statement.execute()
    }

    mutating func deleteSlots(_ ids: [Int64]) throws {
        try db.execute(sql: "UPDATE library_tape_drives SET loaded_cartridge_id = NULL WHERE library_id = ?",
                       arguments: [libraryID])
        let deleteSlot = try BulkStatement(db, sql: "DELETE FROM library_slots WHERE id = ?")
        for id in ids {
            deleteSlot.bind(1, id)
            try deleteSlot.execute()
        }
    }

    mutating func placeCartridge(_ id: Int64, inSlot slotID: Int64, location: CartridgeLocation) throws {
        if placeStatement == nil {
            placeStatement = try BulkStatement(db, sql: "UPDATE tape_cartridges SET slot_id = ?, location = ? WHERE id = ?")
        }
        guard let statement = placeStatement else { return }
        statement.bind(1, slotID)
        statement.bind(2, location.rawValue)
        statement.bind(3, id)
        try statement.execute()
    }

    mutating func beginCartridgeInserts(rowCount: Int) throws {
        cartridgeInserts = Self.cartridgeInsert(db, rowCount: rowCount)
    }

    mutating func insertCartridge(_ cartridge: Reconciler.NewCartridge, now: String) throws {
        try cartridgeInserts.add(cartridge.volumeTag)
        try cartridgeInserts.add(cartridge.type?.id)
        try cartridgeInserts.add(cartridge.isCleaning ? Self.cleaningStatus : Self.scratchStatus)
        try cartridgeInserts.add(Self.interned(cartridge.location))
        try cartridgeInserts.add(cartridge.slotID)
        try cartridgeInserts.add(cartridge.type?.nativeCapacity ?? 0)
        try cartridgeInserts.add(cartridge.cleaningUsesLeft)
        try cartridgeInserts.add(cartridge.type?.isWorm ?? false)
        try cartridgeInserts.add(now)
        try cartridgeInserts.add(cartridge.isRegistered)
        try cartridgeInserts.endRow()
    }

    mutating func finishCartridgeInserts() throws {
        try cartridgeInserts.finish()
        if let next = nextCartridgeID {
            try Self.verifyLastID(db, table: "tape_cartridges", expected: next - 1, inserted: cartridgeInserts.rowCount)
        }
    }

    mutating func setSerial(_ serial: String, ofDrive id: Int64) throws {
        try db.execute(sql: "UPDATE library_tape_drives SET serial = ? WHERE id = ?", arguments: [serial, id])
    }

    mutating func loadDrives(_ changes: [(drive: Int64, cartridge: Int64?)]) throws {
        for change in changes {
            try db.execute(sql: "UPDATE library_tape_drives SET loaded_cartridge_id = NULL WHERE id = ?",
                           arguments: [change.drive])
        }
        for change in changes where change.cartridge != nil {
            // A cartridge now loaded here may still be recorded as loaded in another library's drive.
            try db.execute(sql: "UPDATE library_tape_drives SET loaded_cartridge_id = NULL WHERE loaded_cartridge_id = ?",
                           arguments: [change.cartridge])
            try db.execute(sql: "UPDATE library_tape_drives SET loaded_cartridge_id = ? WHERE id = ?",
                           arguments: [change.cartridge, change.drive])
        }
    }

    mutating func applyCounts(_ counts: SlotCountDelta) throws { try counts.apply(db, library: libraryID) }

    mutating func markSynced(now: DatabaseValue) throws {
        try db.execute(sql: "UPDATE tape_libraries SET last_sync = ?, sync_state = 'synced' WHERE id = ?",
                       arguments: [now, libraryID])
    }

    /// The rowid SQLite gives the next row (largest + 1). Refused far below the 64-bit limit, so
    /// that counting ids for 65,536 elements can never overflow (ids that large only come from a
    /// caller that chose them).
    static func nextID(_ db: Database, table: String) throws -> Int64 {
        let last = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM \(table)") ?? 0
        guard last < Int64.max - 0x100_0000 else {
            throw CatalogError.storage("\(table) ids have reached \(last), too close to the 64-bit limit to add rows")
        }
        return last + 1
    }

    /// Checks that SQLite gave rows inserted without an id the ids this sync handed out.
    static func verifyLastID(_ db: Database, table: String, expected: Int64, inserted: Int) throws {
        guard inserted > 0 else { return }
        let last = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM \(table)")
        guard last == expected else {
            throw CatalogError.storage("\(table): new rows got ids up to \(last ?? -1), expected \(expected)")
        }
    }
}
