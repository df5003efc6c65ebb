import Foundation
import GRDB

/// The reconciliation algorithm. Reads a lean digest of the library's elements (address, slot
/// id, element digest, occupant id) from covering indexes, skips every element
/// whose digest still matches, reads the few others in full and diffs them, and writes only what
/// changed: new rows in multi-row inserts with ids assigned here, changes through cached
/// statements (a 50,000-slot library with 1% moved must sync in tens of milliseconds).
struct Reconciler {
    private struct StoredCartridge {
        let id: Int64
        let slotID: Int64?
    }

    /// An element whose digest did not match (or that is new), with what it should hold.
    private struct Pending {
        let index: Int
        let tag: String?
        let tagHash: UInt64
        let desiredTag: String?
        /// The cartridge that will sit in the element: known, or the id a new one will get.
        var cartridgeID: Int64?
        var known: StoredCartridge?
    }

    private struct Placement {
        let volumeTag: String
        let slotID: Int64
        let location: CartridgeLocation
        let address: Int
        let cartridgeID: Int64
        let known: StoredCartridge?
        /// The cartridge the slot held before this sync (may be the one placed).
        let previousOccupant: Int64?
    }

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
    /// False: treat every stored element as changed (the reference path of the tests).
    var skipUnchanged = true
    /// The library's elements as the catalog holds them once this reconciliation commits (see
    /// `ReconcileCache`); nil when `apply` could not tell for certain.
    private(set) var slotsAfter: StoredSlots?

    init(db: Database, libraryID: Int64, now: Date) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM tape_libraries WHERE id = ?", arguments: [libraryID]) != nil
        else { throw CatalogError.notFound(resource: "tape_libraries", identifier: String(libraryID)) }
        self.db = db
        self.libraryID = libraryID
        self.nowValue = now.databaseValue
        self.now = String.fromDatabaseValue(now.databaseValue) ?? ""
    }

    /// `cachedSlots`: what the previous reconciliation of the library left, when nothing changed
    /// the catalog since (see `ReconcileCache`); nil reads it from the catalog.
    /// Consumed: the slots are updated in place into `slotsAfter` (no copy of 50,000 entries).
    mutating func apply(_ snapshot: InventorySnapshot, cachedSlots: consuming StoredSlots? = nil) throws -> ReconcileSummary {
        var trace = PhaseTrace()
        let elements = try Self.validated(snapshot.elements)
        trace.mark("validate")
        var storedSlots: StoredSlots
        if let slots = cachedSlots.take() {
            storedSlots = slots
            trace.mark("cached slots")
        } else {
            storedSlots = try loadSlots(addressCapacity: (elements.last?.address ?? 0) + 1, &trace)
            trace.mark("load occupants")
        }

        // Pass 1, over every element: tags, duplicates, and whether the stored digest still holds.
        var seenTags = VolumeTagSet(capacity: elements.count)
        var pending: [Pending] = []
        pending.reserveCapacity(storedSlots.count == 0 ? elements.count : 64)
        var cartridgeAtAddress: [Int: String] = [:]
        var reportedStoredSlots = 0
        for (index, element) in elements.enumerated() {
            let tag = Self.normalizedTag(element.volumeTag)
            // Part of validation (nothing is written before this loop ends).
            if let tag, tag.utf8.count > 32 {
                throw CatalogError.invalidArgument("volume tag longer than 32 bytes at element \(element.address)")
            }
            let tagHash = ElementDigest.tagHash(tag)
            var desiredTag: String? = element.isFull ? tag : nil
            if element.isFull && tag == nil { summary.unlabeledElements.append(element.address) }
            if let candidate = desiredTag,
               !seenTags.insert(candidate, hash: tagHash, index: index, tagAt: { Self.normalizedTag(elements[$0].volumeTag) }) {
                summary.duplicateVolumeTags.append(candidate)
                desiredTag = nil
            }
            if element.kind == .drive, let desiredTag { cartridgeAtAddress[element.address] = desiredTag }
            if let stored = storedSlots[element.address] {
                reportedStoredSlots += 1
                if skipUnchanged && stored.digest == ElementDigest.of(
                    element, tagHash: tagHash, placed: desiredTag != nil, occupant: stored.occupantID) { continue }
            }
            pending.append(Pending(index: index, tag: tag, tagHash: tagHash, desiredTag: desiredTag))
        }
        trace.mark("digests")

        // Which of the cartridges to place the catalog already knows; ids for the others.
        let known = try knownCartridges(pending.compactMap(\.desiredTag))
        var nextCartridgeID = try Self.nextID(db, table: "tape_cartridges")
        for position in pending.indices {
            guard let desiredTag = pending[position].desiredTag else { continue }
            if let cartridge = known[desiredTag] {
                pending[position].known = cartridge
                pending[position].cartridgeID = cartridge.id
            } else {
                pending[position].cartridgeID = nextCartridgeID
                nextCartridgeID += 1
            }
        }
        trace.mark("known cartridges")

        // Pass 2, over changed and new elements only.
        // The write transaction is exclusive, so ids handed out here cannot collide.
        var nextSlotID = try Self.nextID(db, table: "library_slots")
        // New rows leave id to SQLite, which gives each the largest id so far + 1 (documented,
        // sqlite.org/autoinc.html): exactly the ids handed out here, in insertion order, and
        // without an existence check of each explicit id. Verified after the inserts.
        var slotInserts = BatchInsert(db, table: "library_slots", columns: [
            "library_id", "element_address", "kind", "full", "volume_tag", "source_element",
            "accessible", "exception", "asc", "ascq", "element_digest",
        ], rowCount: pending.reduce(0) { $0 + (storedSlots[elements[$1.index].address] == nil ? 1 : 0) })
        let updateSlot = try BulkStatement(db, sql: """
            UPDATE library_slots SET kind = ?, full = ?, volume_tag = ?, source_element = ?, accessible = ?,
                exception = ?, asc = ?, ascq = ?, element_digest = ? WHERE id = ?
            """)
        let updateDigest = try BulkStatement(db, sql: "UPDATE library_slots SET element_digest = ? WHERE id = ?")
        let detailQuery = try BulkStatement(db, sql: """
            SELECT kind, full, volume_tag, source_element, accessible, exception, asc, ascq
            FROM library_slots WHERE id = ?
            """)
        let tagQuery = try BulkStatement(db, sql: "SELECT volume_tag FROM tape_cartridges WHERE id = ?")
        var placements: [Placement] = []
        placements.reserveCapacity(pending.count)
        var detach: [Int64] = []
        var detachSet = Set<Int64>()
        var tagByCartridgeID: [Int64: String] = [:]
        var counts = SlotCountDelta()
        // What each pending element holds after this transaction, for `slotsAfter`.
        var slotUpdates: [(address: Int, slot: StoredSlot)] = []
        slotUpdates.reserveCapacity(pending.count)
        var rewritten = [Bool](repeating: false, count: 0x10000)

        for item in pending {
            let element = elements[item.index]
            let tag = item.tag
            let asc = element.exception.map { Int($0.asc) }
            let ascq = element.exception.map { Int($0.ascq) }
            let digest = ElementDigest.of(element, tagHash: item.tagHash, placed: item.desiredTag != nil,
                                          occupant: item.cartridgeID)
            let slotID: Int64
            var kindChanged = false
            var occupant: (id: Int64, tag: String)?
            if let stored = storedSlots[element.address] {
                slotID = stored.id
                let detail = try readDetail(detailQuery, slotID: slotID)
                if let id = stored.occupantID, let occupantTag = try cartridgeTag(tagQuery, id: id) {
                    occupant = (id, occupantTag)
                }
                kindChanged = detail.kind != element.kind
                if kindChanged || detail.full != element.isFull || detail.volumeTag != tag
                    || detail.sourceElement != element.sourceElement || detail.accessible != element.isAccessible
                    || detail.exception != (element.exception != nil) || detail.asc != asc || detail.ascq != ascq {
                    updateSlot.bind(1, element.kind.rawValue)
                    updateSlot.bind(2, element.isFull)
                    updateSlot.bind(3, tag)
                    updateSlot.bind(4, element.sourceElement)
                    updateSlot.bind(5, element.isAccessible)
                    updateSlot.bind(6, element.exception != nil)
                    updateSlot.bind(7, asc)
                    updateSlot.bind(8, ascq)
                    updateSlot.bind(9, digest)
                    updateSlot.bind(10, slotID)
                    try updateSlot.execute()
                    summary.slotsUpdated += 1
                    if kindChanged || detail.full != element.isFull {
                        counts.remove(kind: detail.kind, full: detail.full, address: element.address)
                        counts.add(kind: element.kind, full: element.isFull, address: element.address)
                    }
                } else if digest != stored.digest {
                    updateDigest.bind(1, digest)
                    updateDigest.bind(2, slotID)
                    try updateDigest.execute()
                }
            } else {
                slotID = nextSlotID
                nextSlotID += 1
                try slotInserts.add(libraryID)
                try slotInserts.add(element.address)
                try slotInserts.add(Self.interned(element.kind))
                try slotInserts.add(element.isFull)
                try slotInserts.add(tag)
                try slotInserts.add(element.sourceElement)
                try slotInserts.add(element.isAccessible)
                try slotInserts.add(element.exception != nil)
                try slotInserts.add(asc)
                try slotInserts.add(ascq)
                try slotInserts.add(digest)
                try slotInserts.endRow()
                summary.slotsAdded += 1
                counts.add(kind: element.kind, full: element.isFull, address: element.address)
            }
            // Either the occupant already is the desired cartridge or it is placed below.
            slotUpdates.append((element.address, StoredSlot(
                id: slotID, digest: digest, occupantID: item.desiredTag == nil ? nil : item.cartridgeID)))
            rewritten[element.address] = true

            if occupant?.tag == item.desiredTag && !kindChanged { continue }
            if let occupant, detachSet.insert(occupant.id).inserted {
                detach.append(occupant.id)
                tagByCartridgeID[occupant.id] = occupant.tag
            }
            if let desiredTag = item.desiredTag, let cartridgeID = item.cartridgeID {
                placements.append(Placement(volumeTag: desiredTag, slotID: slotID,
                                            location: element.kind.cartridgeLocation, address: element.address,
                                            cartridgeID: cartridgeID, known: item.known,
                                            previousOccupant: occupant?.id))
            }
        }
        try slotInserts.finish()
        try Self.verifyLastID(db, table: "library_slots", expected: nextSlotID - 1, inserted: slotInserts.rowCount)
        trace.mark("write slots")

        // Known cartridges that sit elsewhere leave their old place first.
        for placement in placements {
            if let cartridge = placement.known, cartridge.slotID != nil, detachSet.insert(cartridge.id).inserted {
                detach.append(cartridge.id)
                tagByCartridgeID[cartridge.id] = placement.volumeTag
            }
        }

        // Elements the changer no longer reports: their cartridges leave with them.
        var removedSlotIDs: [Int64] = []
        var removedAddresses: [Int] = []
        var removedOccupants = Set<Int64>()
        if reportedStoredSlots != storedSlots.count {
            let reportedAddresses = Set(elements.map(\.address))
            for (address, stored) in storedSlots.all where !reportedAddresses.contains(address) {
                removedSlotIDs.append(stored.id)
                removedAddresses.append(address)
                if let occupantID = stored.occupantID { removedOccupants.insert(occupantID) }
                rewritten[address] = true
                let detail = try readDetail(detailQuery, slotID: stored.id)
                counts.remove(kind: detail.kind, full: detail.full, address: address)
                if let occupantID = stored.occupantID, let tag = try cartridgeTag(tagQuery, id: occupantID),
                   detachSet.insert(occupantID).inserted {
                    detach.append(occupantID)
                    tagByCartridgeID[occupantID] = tag
                }
            }
        }

        // Cartridges that leave and get no new place go offline now. One that moves is written
        // once, at its new place, unless it still holds a slot another cartridge is placed in
        // first (a swap): then it is detached just before (UNIQUE(slot_id) holds throughout).
        // Occupants of vanished elements always leave before those slots are deleted.
        let detachCartridge = try BulkStatement(
            db, sql: "UPDATE tape_cartridges SET slot_id = NULL, location = 'offline' WHERE id = ?")
        var knownPlaced = Set<Int64>()
        for placement in placements { if let cartridge = placement.known { knownPlaced.insert(cartridge.id) } }
        /// Cartridges whose slot_id this sync has already written.
        var rewrittenCartridges = Set<Int64>()
        for id in detach where !knownPlaced.contains(id) || removedOccupants.contains(id) {
            detachCartridge.bind(1, id)
            try detachCartridge.execute()
            rewrittenCartridges.insert(id)
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
        let previousSlotIDs = Set(placements.compactMap { $0.known?.slotID })
        let addressBySlotID = storedSlots.addresses(of: previousSlotIDs)
        // An unchanged element of this library losing its cartridge is not described by
        // `slotUpdates`; the digests rule it out, but `slotsAfter` never guesses.
        let afterIsExact = addressBySlotID.values.allSatisfy { rewritten[$0] }
        var placedIDs = Set<Int64>()
        var idByTag: [String: Int64] = [:]
        let placeCartridge = try BulkStatement(
            db, sql: "UPDATE tape_cartridges SET slot_id = ?, location = ? WHERE id = ?")
        var cartridgeInserts = BatchInsert(db, table: "tape_cartridges", columns: [
            "volume_tag", "tape_type_id", "status", "location", "slot_id", "native_capacity",
            "cleaning_uses_left", "is_worm", "created_at", "is_registered",
        ], rowCount: placements.reduce(0) { $0 + ($1.known == nil ? 1 : 0) })
        var tapeTypes: TapeTypeTable?
        for placement in placements {
            if placement.location == .drive { idByTag[placement.volumeTag] = placement.cartridgeID }
            if let blocker = placement.previousOccupant, blocker != placement.cartridgeID,
               rewrittenCartridges.insert(blocker).inserted {
                detachCartridge.bind(1, blocker)
                try detachCartridge.execute()
            }
            if let cartridge = placement.known {
                rewrittenCartridges.insert(cartridge.id)
                placeCartridge.bind(1, placement.slotID)
                placeCartridge.bind(2, placement.location.rawValue)
                placeCartridge.bind(3, cartridge.id)
                try placeCartridge.execute()
                placedIDs.insert(cartridge.id)
                let from = cartridge.slotID.flatMap { addressBySlotID[$0] }
                if from != placement.address {
                    summary.cartridgesMoved.append(.init(volumeTag: placement.volumeTag, fromAddress: from,
                                                         toAddress: placement.address))
                }
            } else {
                if tapeTypes == nil { tapeTypes = try TapeTypeTable.load(db) }
                let type = tapeTypes?.type(forVolumeTag: placement.volumeTag)
                let isCleaning = type?.isCleaning ?? false
                try cartridgeInserts.add(placement.volumeTag)
                try cartridgeInserts.add(type?.id)
                try cartridgeInserts.add(isCleaning ? Self.cleaningStatus : Self.scratchStatus)
                try cartridgeInserts.add(Self.interned(placement.location))
                try cartridgeInserts.add(placement.slotID)
                try cartridgeInserts.add(type?.nativeCapacity ?? 0)
                try cartridgeInserts.add(isCleaning ? Self.cleaningUses : nil)
                try cartridgeInserts.add(type?.isWorm ?? false)
                try cartridgeInserts.add(now)
                // A data cartridge nobody registered is recorded as such; a cleaning one needs no pool.
                try cartridgeInserts.add(isCleaning)
                try cartridgeInserts.endRow()
                summary.cartridgesCreated.append(placement.volumeTag)
            }
        }
        try cartridgeInserts.finish()
        try Self.verifyLastID(db, table: "tape_cartridges", expected: nextCartridgeID - 1,
                              inserted: cartridgeInserts.rowCount)
        trace.mark("place cartridges")
        for id in detach where !placedIDs.contains(id) {
            if let tag = tagByCartridgeID[id] { summary.cartridgesMarkedOffline.append(tag) }
        }

        try reconcileDrives(snapshot.drives, cartridgeAtAddress: cartridgeAtAddress, idByTag: idByTag)
        try counts.apply(db, library: libraryID)
        try db.execute(sql: "UPDATE tape_libraries SET last_sync = ?, sync_state = 'synced' WHERE id = ?",
                       arguments: [nowValue, libraryID])
        trace.mark("drives")
        if skipUnchanged && afterIsExact {
            for address in removedAddresses { storedSlots.remove(at: address) }
            for update in slotUpdates { storedSlots.insert(update.slot, at: update.address) }
            if !removedAddresses.isEmpty || summary.slotsAdded > 0 { storedSlots.reindexSlotIDs() }
            slotsAfter = storedSlots
        }
        trace.mark("slots after")
        trace.report()
        return summary
    }

    /// Checks that SQLite gave rows inserted without an id the ids this sync handed out.
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

    static func verifyLastID(_ db: Database, table: String, expected: Int64, inserted: Int) throws {
        guard inserted > 0 else { return }
        let last = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM \(table)")
        guard last == expected else {
            throw CatalogError.storage("\(table): new rows got ids up to \(last ?? -1), expected \(expected)")
        }
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

    /// The volume tag without the space padding of the 32-byte field (SMC-3 primary volume tag).
    static func normalizedTag(_ tag: String?) -> String? {
        guard var tag else { return nil }
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x00 }
        // One look at the bytes (no index walking): most tags have no padding at all.
        let trimmed: Range<Int>? = tag.withUTF8 { bytes in
            guard let first = bytes.first, let last = bytes.last else { return 0..<0 }
            if !blank(first) && !blank(last) { return nil }
            guard let start = bytes.firstIndex(where: { !blank($0) }),
                  let end = bytes.lastIndex(where: { !blank($0) }) else { return 0..<0 }
            return start..<(end + 1)
        }
        guard let trimmed else { return tag }
        if trimmed.isEmpty { return nil }
        return tag.withUTF8 { String(decoding: UnsafeBufferPointer(rebasing: $0[trimmed]), as: UTF8.self) }
    }

    /// Rejects snapshots no changer can produce, before anything is written (tags longer than 32
    /// bytes are rejected by the first pass of `apply`, which writes nothing either).
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
        }
        return sorted ? elements : elements.sorted { $0.address < $1.address }
    }
}
