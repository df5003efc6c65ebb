import Foundation
import GRDB

extension CatalogDatabase {
    /// Applies a physical inventory of `library` to library_slots, tape_cartridges locations and
    /// loaded drives, in one transaction: new elements become slots, unknown cartridges are
    /// created (type from the barcode suffix), known ones move, and cartridges of this library
    /// that no element reports any more become offline. The physical library is the truth.
    public func reconcile(library libraryID: Int64, snapshot: InventorySnapshot,
                          now: Date = Date()) async throws(CatalogError) -> ReconcileSummary {
        do {
            return try await writer.writeWithoutTransaction { db in
                // Reconcile only writes references it has just read or created in this same
                // transaction (the library, tape types, slot ids it assigned), and detaches
                // cartridges before deleting their slots, so SQLite's per-row foreign-key look-ups
                // are redundant here and cost a quarter of a large sync. The pragma only takes
                // effect outside a transaction, hence the manual transaction; the tests run
                // `PRAGMA foreign_key_check` after every reconciliation.
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                let result = Result { () throws -> ReconcileSummary in
                    var summary = ReconcileSummary()
                    try db.inTransaction(.immediate) {
                        var reconciler = try Reconciler(db: db, libraryID: libraryID, now: now)
                        summary = try reconciler.apply(snapshot)
                        return .commit
                    }
                    return summary
                }
                try db.execute(sql: "PRAGMA foreign_keys = ON")
                return try result.get()
            }
        } catch {
            throw CatalogError(error)
        }
    }

    /// Foreign-key violations in the whole catalog (empty when consistent); for tests and `check`.
    public func foreignKeyViolations() async throws(CatalogError) -> [String] {
        try await read { db in
            try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { row in
                "\(row[0] as String? ?? "?") row \(row[1] as Int64? ?? -1) -> \(row[2] as String? ?? "?")"
            }
        }
    }
}

/// The reconciliation algorithm. Loads the library's slots (with their cartridges) once, diffs in
/// memory, and writes only what changed: new rows in multi-row inserts with ids assigned here,
/// changes through cached statements (a 50,000-slot library must sync in well under a second).
struct Reconciler {
    /// What the catalog holds for one element, and the cartridge recorded in it.
    private struct StoredSlot {
        let id: Int64
        let kind: SlotKind
        let full: Bool
        let volumeTag: String?
        let sourceElement: Int?
        let accessible: Bool
        let exception: Bool
        let asc: Int?
        let ascq: Int?
        let occupantID: Int64?
        let occupantTag: String?
    }

    private struct StoredCartridge {
        let id: Int64
        let slotID: Int64?
    }

    private struct Placement {
        let volumeTag: String
        let slotID: Int64
        let location: CartridgeLocation
        let address: Int
    }

    /// Cleaning cartridges are good for about 50 uses (scsi-reference.md).
    static let cleaningUses = 50
    /// Above this many cartridges to place, one scan of tape_cartridges beats a look-up each.
    static let scanThreshold = 2_000

    let db: Database
    let libraryID: Int64
    /// `now` in GRDB's date text format, bound as text on each new cartridge.
    let now: String
    let nowValue: DatabaseValue
    var summary = ReconcileSummary()

    init(db: Database, libraryID: Int64, now: Date) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM tape_libraries WHERE id = ?", arguments: [libraryID]) != nil
        else { throw CatalogError.notFound(resource: "tape_libraries", identifier: String(libraryID)) }
        self.db = db
        self.libraryID = libraryID
        self.nowValue = now.databaseValue
        self.now = String.fromDatabaseValue(now.databaseValue) ?? ""
    }

    mutating func apply(_ snapshot: InventorySnapshot) throws -> ReconcileSummary {
        var trace = PhaseTrace()
        let elements = try Self.validated(snapshot.elements)
        trace.mark("validate")
        let storedSlots = try loadSlots()
        trace.mark("load slots")

        // The write transaction is exclusive, so ids handed out here cannot collide.
        var nextSlotID = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM library_slots") ?? 1
        var slotInserts = BatchInsert(db, table: "library_slots", columns: [
            "id", "library_id", "element_address", "kind", "full", "volume_tag", "source_element",
            "accessible", "exception", "asc", "ascq",
        ])
        let updateSlot = try BulkStatement(db, sql: """
            UPDATE library_slots SET kind = ?, full = ?, volume_tag = ?, source_element = ?, accessible = ?,
                exception = ?, asc = ?, ascq = ? WHERE id = ?
            """)

        var seenTags = Set<String>()
        seenTags.reserveCapacity(elements.count)
        var placements: [Placement] = []
        var detach: [Int64] = []
        var detachSet = Set<Int64>()
        var tagByCartridgeID: [Int64: String] = [:]
        var cartridgeAtAddress: [Int: String] = [:]
        var reportedStoredSlots = 0
        var counts = SlotCountDelta()

        for element in elements {
            let tag = Self.normalizedTag(element.volumeTag)
            var desiredTag: String? = element.isFull ? tag : nil
            if element.isFull && tag == nil { summary.unlabeledElements.append(element.address) }
            if let candidate = desiredTag, !seenTags.insert(candidate).inserted {
                summary.duplicateVolumeTags.append(candidate)
                desiredTag = nil
            }
            let asc = element.exception.map { Int($0.asc) }
            let ascq = element.exception.map { Int($0.ascq) }
            let slotID: Int64
            var kindChanged = false
            var occupant: (id: Int64, tag: String)?
            if let stored = storedSlots[element.address] {
                slotID = stored.id
                reportedStoredSlots += 1
                if let id = stored.occupantID, let tag = stored.occupantTag { occupant = (id, tag) }
                kindChanged = stored.kind != element.kind
                if kindChanged || stored.full != element.isFull || stored.volumeTag != tag
                    || stored.sourceElement != element.sourceElement || stored.accessible != element.isAccessible
                    || stored.exception != (element.exception != nil) || stored.asc != asc || stored.ascq != ascq {
                    updateSlot.bind(1, element.kind.rawValue)
                    updateSlot.bind(2, element.isFull)
                    updateSlot.bind(3, tag)
                    updateSlot.bind(4, element.sourceElement)
                    updateSlot.bind(5, element.isAccessible)
                    updateSlot.bind(6, element.exception != nil)
                    updateSlot.bind(7, asc)
                    updateSlot.bind(8, ascq)
                    updateSlot.bind(9, slotID)
                    try updateSlot.execute()
                    summary.slotsUpdated += 1
                    if kindChanged || stored.full != element.isFull {
                        counts.remove(kind: stored.kind.rawValue, full: stored.full)
                        counts.add(kind: element.kind.rawValue, full: element.isFull)
                    }
                }
            } else {
                slotID = nextSlotID
                nextSlotID += 1
                try slotInserts.append([
                    .integer(slotID), .integer(libraryID), BulkValue(element.address), .text(element.kind.rawValue),
                    BulkValue(element.isFull), BulkValue(tag), BulkValue(element.sourceElement),
                    BulkValue(element.isAccessible), BulkValue(element.exception != nil), BulkValue(asc), BulkValue(ascq),
                ])
                summary.slotsAdded += 1
                counts.add(kind: element.kind.rawValue, full: element.isFull)
            }
            if element.kind == .drive, let desiredTag { cartridgeAtAddress[element.address] = desiredTag }

            if occupant?.tag == desiredTag && !kindChanged { continue }
            if let occupant, detachSet.insert(occupant.id).inserted {
                detach.append(occupant.id)
                tagByCartridgeID[occupant.id] = occupant.tag
            }
            if let desiredTag {
                placements.append(Placement(volumeTag: desiredTag, slotID: slotID,
                                            location: element.kind.cartridgeLocation, address: element.address))
            }
        }
        try slotInserts.flush()
        trace.mark("walk elements")

        // Which of the cartridges to place the catalog already knows, and where they are.
        let known = try knownCartridges(placements.map(\.volumeTag))
        for placement in placements {
            if let cartridge = known[placement.volumeTag], cartridge.slotID != nil,
               detachSet.insert(cartridge.id).inserted {
                detach.append(cartridge.id)
                tagByCartridgeID[cartridge.id] = placement.volumeTag
            }
        }

        trace.mark("known cartridges")
        // Elements the changer no longer reports: their cartridges leave with them.
        var removedSlotIDs: [Int64] = []
        let reportedAddresses = reportedStoredSlots == storedSlots.count
            ? Set<Int>() : Set(elements.map(\.address))
        for (address, stored) in storedSlots.all
        where reportedStoredSlots != storedSlots.count && !reportedAddresses.contains(address) {
            removedSlotIDs.append(stored.id)
            counts.remove(kind: stored.kind.rawValue, full: stored.full)
            if let occupantID = stored.occupantID, let tag = stored.occupantTag, detachSet.insert(occupantID).inserted {
                detach.append(occupantID)
                tagByCartridgeID[occupantID] = tag
            }
        }

        // Two phases keep UNIQUE(slot_id) satisfied while cartridges swap places.
        let detachCartridge = try BulkStatement(
            db, sql: "UPDATE tape_cartridges SET slot_id = NULL, location = 'offline' WHERE id = ?")
        for id in detach {
            detachCartridge.bind(1, id)
            try detachCartridge.execute()
        }
        if !removedSlotIDs.isEmpty {
            try db.execute(sql: "UPDATE library_tape_drives SET loaded_cartridge_id = NULL WHERE library_id = ?",
                           arguments: [libraryID])
            let deleteSlot = try BulkStatement(db, sql: "DELETE FROM library_slots WHERE id = ?")
            for id in removedSlotIDs {
                deleteSlot.bind(1, id)
                try deleteSlot.execute()
            }
            summary.slotsRemoved = removedSlotIDs.count
        }

        // Where moved cartridges came from, for the summary: one pass over the stored slots.
        let previousSlotIDs = Set(placements.compactMap { known[$0.volumeTag]?.slotID })
        let addressBySlotID = storedSlots.addresses(of: previousSlotIDs)
        var placedIDs = Set<Int64>()
        var idByTag: [String: Int64] = [:]
        let placeCartridge = try BulkStatement(
            db, sql: "UPDATE tape_cartridges SET slot_id = ?, location = ? WHERE id = ?")
        var nextCartridgeID = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM tape_cartridges") ?? 1
        var cartridgeInserts = BatchInsert(db, table: "tape_cartridges", columns: [
            "id", "volume_tag", "tape_type_id", "status", "location", "slot_id", "native_capacity",
            "cleaning_uses_left", "is_worm", "created_at",
        ])
        var tapeTypes: TapeTypeTable?
        for placement in placements {
            if let cartridge = known[placement.volumeTag] {
                placeCartridge.bind(1, placement.slotID)
                placeCartridge.bind(2, placement.location.rawValue)
                placeCartridge.bind(3, cartridge.id)
                try placeCartridge.execute()
                placedIDs.insert(cartridge.id)
                idByTag[placement.volumeTag] = cartridge.id
                let from = cartridge.slotID.flatMap { addressBySlotID[$0] }
                if from != placement.address {
                    summary.cartridgesMoved.append(.init(volumeTag: placement.volumeTag, fromAddress: from,
                                                         toAddress: placement.address))
                }
            } else {
                if tapeTypes == nil { tapeTypes = try TapeTypeTable.load(db) }
                let type = tapeTypes?.type(forVolumeTag: placement.volumeTag)
                let isCleaning = type?.isCleaning ?? false
                let id = nextCartridgeID
                nextCartridgeID += 1
                try cartridgeInserts.append([
                    .integer(id), .text(placement.volumeTag), BulkValue(type?.id),
                    .text(isCleaning ? CartridgeStatus.cleaning.rawValue : CartridgeStatus.scratch.rawValue),
                    .text(placement.location.rawValue), .integer(placement.slotID),
                    .integer(type?.nativeCapacity ?? 0), BulkValue(isCleaning ? Self.cleaningUses : nil),
                    BulkValue(type?.isWorm ?? false), .text(now),
                ])
                idByTag[placement.volumeTag] = id
                summary.cartridgesCreated.append(placement.volumeTag)
            }
        }
        try cartridgeInserts.flush()
        trace.mark("place cartridges")
        for id in detach where !placedIDs.contains(id) {
            if let tag = tagByCartridgeID[id] { summary.cartridgesMarkedOffline.append(tag) }
        }

        try reconcileDrives(snapshot.drives, cartridgeAtAddress: cartridgeAtAddress, idByTag: idByTag)
        try counts.apply(db, library: libraryID)
        try db.execute(sql: "UPDATE tape_libraries SET last_sync = ?, sync_state = 'synced' WHERE id = ?",
                       arguments: [nowValue, libraryID])
        trace.mark("drives")
        trace.report()
        return summary
    }

    /// The catalog's cartridges among `tags`: one indexed look-up each for a few, one scan for many.
    private func knownCartridges(_ tags: [String]) throws -> [String: StoredCartridge] {
        var known: [String: StoredCartridge] = [:]
        if tags.count > Self.scanThreshold {
            let query = try BulkStatement(db, sql: "SELECT volume_tag, id, slot_id FROM tape_cartridges")
            while try query.step() {
                known[query.text(0) ?? ""] = StoredCartridge(id: query.int64(1), slotID: query.optionalInt64(2))
            }
        } else {
            let query = try BulkStatement(db, sql: "SELECT id, slot_id FROM tape_cartridges WHERE volume_tag = ?")
            for tag in tags {
                query.bind(1, tag)
                if try query.step() {
                    known[tag] = StoredCartridge(id: query.int64(0), slotID: query.optionalInt64(1))
                    while try query.step() {}
                }
            }
        }
        return known
    }

    /// Points each drive of the library at the cartridge its data-transfer element holds.
    private mutating func reconcileDrives(_ drives: [InventoryDrive], cartridgeAtAddress: [Int: String],
                                          idByTag: [String: Int64]) throws {
        let rows = try Row.fetchAll(db, sql: """
            SELECT id, sys_transfer_element, loaded_cartridge_id, serial FROM library_tape_drives
            WHERE library_id = ? AND sys_transfer_element IS NOT NULL
            """, arguments: [libraryID])
        guard !rows.isEmpty else { return }
        var serialByAddress: [Int: String] = [:]
        for drive in drives { if let serial = drive.serialNumber, !serial.isEmpty { serialByAddress[drive.address] = serial } }
        var changes: [(id: Int64, cartridge: Int64?)] = []
        for row in rows {
            let id: Int64 = row[0]
            let address: Int = row[1]
            let loaded: Int64? = row[2]
            let serial: String = row[3]
            var desired = cartridgeAtAddress[address].flatMap { idByTag[$0] }
            if desired == nil, let tag = cartridgeAtAddress[address] {
                // Unchanged since the last sync, so not among this run's placements.
                desired = try Int64.fetchOne(db, sql: "SELECT id FROM tape_cartridges WHERE volume_tag = ?",
                                             arguments: [tag])
            }
            if desired != loaded { changes.append((id, desired)) }
            if serial.isEmpty, let reported = serialByAddress[address] {
                try db.execute(sql: "UPDATE library_tape_drives SET serial = ? WHERE id = ?", arguments: [reported, id])
                summary.drivesUpdated += 1
            }
        }
        for change in changes {
            try db.execute(sql: "UPDATE library_tape_drives SET loaded_cartridge_id = NULL WHERE id = ?",
                           arguments: [change.id])
        }
        for change in changes where change.cartridge != nil {
            // A cartridge now loaded here may still be recorded as loaded in another library's drive.
            try db.execute(sql: "UPDATE library_tape_drives SET loaded_cartridge_id = NULL WHERE loaded_cartridge_id = ?",
                           arguments: [change.cartridge])
            try db.execute(sql: "UPDATE library_tape_drives SET loaded_cartridge_id = ? WHERE id = ?",
                           arguments: [change.cartridge, change.id])
        }
        summary.drivesUpdated += changes.count
    }

    /// The library's stored elements indexed by their 16-bit address (no hashing on the hot path).
    private struct StoredSlots {
        private var byAddress: [StoredSlot?]
        private(set) var count = 0

        init() { byAddress = [] }

        subscript(address: Int) -> StoredSlot? {
            byAddress.indices.contains(address) ? byAddress[address] : nil
        }

        mutating func insert(_ slot: StoredSlot, at address: Int) {
            if byAddress.isEmpty { byAddress = Array(repeating: nil, count: 0x10000) }
            if byAddress[address] == nil { count += 1 }
            byAddress[address] = slot
        }

        func addresses(of slotIDs: Set<Int64>) -> [Int64: Int] {
            guard !slotIDs.isEmpty else { return [:] }
            var addresses: [Int64: Int] = [:]
            for address in byAddress.indices {
                if let slot = byAddress[address], slotIDs.contains(slot.id) { addresses[slot.id] = address }
            }
            return addresses
        }

        var all: [(Int, StoredSlot)] {
            byAddress.indices.compactMap { address in byAddress[address].map { (address, $0) } }
        }
    }

    private func loadSlots() throws -> StoredSlots {
        var slots = StoredSlots()
        let query = try BulkStatement(db, sql: """
            SELECT s.element_address, s.id, s.kind, s.full, s.volume_tag, s.source_element, s.accessible,
                s.exception, s.asc, s.ascq, c.id, c.volume_tag
            FROM library_slots s LEFT JOIN tape_cartridges c ON c.slot_id = s.id
            WHERE s.library_id = ?
            """)
        query.bind(1, libraryID)
        while try query.step() {
            let address = query.int(0)
            guard (0...0xFFFF).contains(address), let kind = SlotKind(leadingByte: query.firstByte(2)) else {
                throw CatalogError.storage("library_slots row with address \(address) or kind out of range")
            }
            slots.insert(StoredSlot(
                id: query.int64(1), kind: kind, full: query.bool(3), volumeTag: query.text(4),
                sourceElement: query.optionalInt(5), accessible: query.bool(6), exception: query.bool(7),
                asc: query.optionalInt(8), ascq: query.optionalInt(9),
                occupantID: query.optionalInt64(10), occupantTag: query.text(11)), at: address)
        }
        return slots
    }

    /// The volume tag without the space padding of the 32-byte field (SMC-3 primary volume tag).
    static func normalizedTag(_ tag: String?) -> String? {
        guard let tag else { return nil }
        let utf8 = tag.utf8
        guard let first = utf8.first, let last = utf8.last else { return nil }
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x00 }
        if !blank(first) && !blank(last) { return tag }
        guard let start = utf8.firstIndex(where: { !blank($0) }),
              let end = utf8.lastIndex(where: { !blank($0) }) else { return nil }
        return String(tag[start...end])
    }

    /// Rejects snapshots no changer can produce, before anything is written.
    static func validated(_ elements: [InventoryElement]) throws -> [InventoryElement] {
        // Element addresses are 16-bit (SMC-3): a bitmap finds duplicates without hashing.
        var seen = [Bool](repeating: false, count: 0x10000)
        var sorted = true
        var previous = -1
        for element in elements {
            guard (0...0xFFFF).contains(element.address) else {
                throw CatalogError.invalidArgument("element address \(element.address) outside 0...65535")
            }
            guard !seen[element.address] else {
                throw CatalogError.invalidArgument("element address \(element.address) reported twice")
            }
            seen[element.address] = true
            if element.address < previous { sorted = false }
            previous = element.address
            if let source = element.sourceElement, !(0...0xFFFF).contains(source) {
                throw CatalogError.invalidArgument("source element \(source) outside 0...65535")
            }
            if let tag = normalizedTag(element.volumeTag), tag.utf8.count > 32 {
                throw CatalogError.invalidArgument("volume tag longer than 32 bytes at element \(element.address)")
            }
        }
        return sorted ? elements : elements.sorted { $0.address < $1.address }
    }
}

/// Phase timings of a reconciliation, printed to stderr when TAPELIB_RECONCILE_TRACE is set.
struct PhaseTrace {
    private let enabled = ProcessInfo.processInfo.environment["TAPELIB_RECONCILE_TRACE"] != nil
    private let clock = ContinuousClock()
    private var last = ContinuousClock.now
    private var lastCPU = PhaseTrace.threadCPU()
    private var phases: [(String, Duration, Double)] = []

    static func threadCPU() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1000 + Double(time.tv_nsec) / 1e6
    }

    mutating func mark(_ phase: String) {
        guard enabled else { return }
        let now = clock.now
        let cpu = Self.threadCPU()
        phases.append((phase, now - last, cpu - lastCPU))
        last = now
        lastCPU = cpu
    }

    func report() {
        guard enabled else { return }
        let line = phases.map { "\($0.0) \($0.1) (CPU \(Int($0.2)) ms)" }.joined(separator: ", ")
        FileHandle.standardError.write(Data(("reconcile: " + line + "\n").utf8))
    }
}
