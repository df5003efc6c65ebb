import Foundation
import GRDB

/// The reconciliation algorithm, one definition for both stores. Reads a lean digest of the
/// library's elements (address, slot id, element digest, occupant id), skips every element whose
/// digest still matches, reads the few others in full and diffs them, and writes only what
/// changed. It runs in two passes: the first over every element needs only the lean digest; the
/// second, over the changed elements, makes its reads and writes through a `ReconcileStore`.
/// SQLite's store runs each at once on prepared statements (a 50,000-slot library with 1% moved
/// must sync in tens of milliseconds); PostgreSQL's answers the reads from what it fetched in bulk
/// between the passes (`reads(of:)` names them) and sends the writes set-based afterwards.
struct Reconciler {
    struct StoredCartridge {
        let id: Int64
        let slotID: Int64?
    }

    /// An element whose digest did not match (or that is new), with what it should hold.
    struct Pending {
        let index: Int
        let tag: String?
        let tagHash: UInt64
        let desiredTag: String?
        /// The cartridge that will sit in the element: known, or the id a new one will get.
        var cartridgeID: Int64?
        var known: StoredCartridge?
    }

    /// What the first pass found, over every element.
    struct FirstPass {
        var pending: [Pending]
        /// The volume tag each drive element reports (drives are pointed at these cartridges).
        var cartridgeAtAddress: [Int: String]
        var reportedStoredSlots: Int
    }

    /// What the second pass will read from the store, for a store that fetches it beforehand.
    struct Reads {
        /// Slots whose full row the second pass reads (changed or gone elements).
        var slotIDs: [Int64] = []
        /// Cartridges whose volume tag it reads (the occupants of those slots).
        var occupantIDs: [Int64] = []
        /// Tags it looks up as known cartridges.
        var desiredTags: [String] = []
        /// Tags of cartridges in drive elements.
        var driveTags: [String] = []
        /// How many slots it inserts.
        var newSlots = 0
    }

    /// A slot row as reconcile writes it (inserted or updated).
    struct SlotRow {
        let address: Int
        let detail: StoredDetail
        let digest: Int64
    }

    /// A cartridge a sync found and the catalog did not know.
    struct NewCartridge {
        let id: Int64
        let volumeTag: String
        let type: TapeType?
        let location: CartridgeLocation
        let slotID: Int64
    }

    /// A drive of the library as the catalog holds it.
    struct StoredDrive {
        let id: Int64
        let address: Int
        let loadedCartridgeID: Int64?
        let serial: String
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

    /// Cleaning cartridges are good for about 50 uses (scsi-reference.md).
    static let cleaningUses = 50
    /// Above this many cartridges to place, one scan of tape_cartridges beats a look-up each.
    static let scanThreshold = 2_000

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

    init(libraryID: Int64, now: Date) {
        self.libraryID = libraryID
        self.nowValue = now.databaseValue
        self.now = String.fromDatabaseValue(now.databaseValue) ?? ""
    }

    /// Reconciles on SQLite: the stored slots from `cachedSlots` (what the previous reconciliation
    /// of the library left, when nothing changed the catalog since; see `ReconcileCache`) or from
    /// the catalog, then both passes. Consumed: the slots are updated in place into `slotsAfter`.
    mutating func apply(_ snapshot: InventorySnapshot, cachedSlots: consuming StoredSlots? = nil,
                        store: inout SQLiteReconcileStore) throws -> ReconcileSummary {
        var trace = PhaseTrace()
        let elements = try Self.validated(snapshot.elements)
        trace.mark("validate")
        let storedSlots: StoredSlots
        if let slots = cachedSlots.take() {
            storedSlots = slots
            trace.mark("cached slots")
        } else {
            storedSlots = try store.loadSlots(addressCapacity: (elements.last?.address ?? 0) + 1, &trace)
            trace.mark("load occupants")
        }
        let first = try firstPass(elements, storedSlots: storedSlots)
        trace.mark("digests")
        let summary = try secondPass(first, elements, storedSlots: storedSlots, drives: snapshot.drives,
                                     store: &store, trace: &trace)
        trace.report()
        return summary
    }

    /// The first pass, over every element: tags, duplicates, and whether the stored digest still
    /// holds. Validation ends here: nothing is written before it returns.
    mutating func firstPass(_ elements: [InventoryElement], storedSlots: StoredSlots) throws -> FirstPass {
        var seenTags = VolumeTagSet(capacity: elements.count)
        var pass = FirstPass(pending: [], cartridgeAtAddress: [:], reportedStoredSlots: 0)
        pass.pending.reserveCapacity(storedSlots.count == 0 ? elements.count : 64)
        for (index, element) in elements.enumerated() {
            let tag = Self.normalizedTag(element.volumeTag)
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
            if element.kind == .drive, let desiredTag { pass.cartridgeAtAddress[element.address] = desiredTag }
            if let stored = storedSlots[element.address] {
                pass.reportedStoredSlots += 1
                if skipUnchanged && stored.digest == ElementDigest.of(
                    element, tagHash: tagHash, placed: desiredTag != nil, occupant: stored.occupantID) { continue }
            }
            pass.pending.append(Pending(index: index, tag: tag, tagHash: tagHash, desiredTag: desiredTag))
        }
        return pass
    }

    /// Elements the changer no longer reports (empty when every stored one was reported).
    static func removed(_ pass: FirstPass, _ elements: [InventoryElement], _ storedSlots: StoredSlots) -> [(Int, StoredSlot)] {
        guard pass.reportedStoredSlots != storedSlots.count else { return [] }
        let reportedAddresses = Set(elements.map(\.address))
        return storedSlots.all.filter { !reportedAddresses.contains($0.0) }
    }

    /// What the second pass reads of the store after `pass`.
    static func reads(of pass: FirstPass, _ elements: [InventoryElement], _ storedSlots: StoredSlots) -> Reads {
        var reads = Reads()
        for item in pass.pending {
            if let stored = storedSlots[elements[item.index].address] {
                reads.slotIDs.append(stored.id)
                if let occupant = stored.occupantID { reads.occupantIDs.append(occupant) }
            } else {
                reads.newSlots += 1
            }
            if let tag = item.desiredTag { reads.desiredTags.append(tag) }
        }
        for (_, stored) in removed(pass, elements, storedSlots) {
            reads.slotIDs.append(stored.id)
            if let occupant = stored.occupantID { reads.occupantIDs.append(occupant) }
        }
        reads.driveTags = Array(Set(pass.cartridgeAtAddress.values))
        return reads
    }

    /// The second pass, over changed and new elements only, then the drives. Consumes
    /// `storedSlots`: they are updated in place into `slotsAfter` (no copy of 50,000 entries).
    mutating func secondPass<Store: ReconcileStore>(_ first: consuming FirstPass, _ elements: [InventoryElement],
                                                   storedSlots: consuming StoredSlots, drives: [InventoryDrive],
                                                   store: inout Store, trace: inout PhaseTrace) throws -> ReconcileSummary {
        var pending = first.pending
        // Which of the cartridges to place the catalog already knows; ids for the others.
        let known = try store.knownCartridges(pending.compactMap(\.desiredTag))
        for position in pending.indices {
            guard let desiredTag = pending[position].desiredTag else { continue }
            if let cartridge = known[desiredTag] {
                pending[position].known = cartridge
                pending[position].cartridgeID = cartridge.id
            } else {
                pending[position].cartridgeID = try store.newCartridgeID()
            }
        }
        trace.mark("known cartridges")

        try store.beginSlotInserts(rowCount: pending.reduce(0) { $0 + (storedSlots[elements[$1.index].address] == nil ? 1 : 0) })
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
            let row = SlotRow(address: element.address, detail: StoredDetail(
                kind: element.kind, full: element.isFull, volumeTag: tag, sourceElement: element.sourceElement,
                accessible: element.isAccessible, exception: element.exception != nil, asc: asc, ascq: ascq), digest: digest)
            let slotID: Int64
            var kindChanged = false
            var occupant: (id: Int64, tag: String)?
            if let stored = storedSlots[element.address] {
                slotID = stored.id
                let detail = try store.detail(ofSlot: slotID)
                if let id = stored.occupantID, let occupantTag = try store.volumeTag(ofCartridge: id) {
                    occupant = (id, occupantTag)
                }
                kindChanged = detail.kind != element.kind
                if detail != row.detail {
                    try store.updateSlot(slotID, row)
                    summary.slotsUpdated += 1
                    if kindChanged || detail.full != element.isFull {
                        counts.remove(kind: detail.kind, full: detail.full, address: element.address)
                        counts.add(kind: element.kind, full: element.isFull, address: element.address)
                    }
                } else if digest != stored.digest {
                    try store.updateDigest(slotID, digest)
                }
            } else {
                slotID = try store.insertSlot(row)
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
        try store.finishSlotInserts()
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
        for (address, stored) in Self.removed(first, elements, storedSlots) {
            removedSlotIDs.append(stored.id)
            removedAddresses.append(address)
            if let occupantID = stored.occupantID { removedOccupants.insert(occupantID) }
            rewritten[address] = true
            let detail = try store.detail(ofSlot: stored.id)
            counts.remove(kind: detail.kind, full: detail.full, address: address)
            if let occupantID = stored.occupantID, let tag = try store.volumeTag(ofCartridge: occupantID),
               detachSet.insert(occupantID).inserted {
                detach.append(occupantID)
                tagByCartridgeID[occupantID] = tag
            }
        }

        // Cartridges that leave and get no new place go offline now. One that moves is written
        // once, at its new place, unless it still holds a slot another cartridge is placed in
        // first (a swap): then it is detached just before (UNIQUE(slot_id) holds throughout).
        // Occupants of vanished elements always leave before those slots are deleted.
        var knownPlaced = Set<Int64>()
        for placement in placements { if let cartridge = placement.known { knownPlaced.insert(cartridge.id) } }
        /// Cartridges whose slot_id this sync has already written.
        var rewrittenCartridges = Set<Int64>()
        for id in detach where !knownPlaced.contains(id) || removedOccupants.contains(id) {
            try store.detachCartridge(id)
            rewrittenCartridges.insert(id)
        }
        if !removedSlotIDs.isEmpty {
            try store.deleteSlots(removedSlotIDs)
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
        try store.beginCartridgeInserts(rowCount: placements.reduce(0) { $0 + ($1.known == nil ? 1 : 0) })
        var tapeTypes: TapeTypeTable?
        for placement in placements {
            if placement.location == .drive { idByTag[placement.volumeTag] = placement.cartridgeID }
            if let blocker = placement.previousOccupant, blocker != placement.cartridgeID,
               rewrittenCartridges.insert(blocker).inserted {
                try store.detachCartridge(blocker)
            }
            if let cartridge = placement.known {
                rewrittenCartridges.insert(cartridge.id)
                try store.placeCartridge(cartridge.id, inSlot: placement.slotID, location: placement.location)
                placedIDs.insert(cartridge.id)
                let from = cartridge.slotID.flatMap { addressBySlotID[$0] }
                if from != placement.address {
                    summary.cartridgesMoved.append(.init(volumeTag: placement.volumeTag, fromAddress: from,
                                                         toAddress: placement.address))
                }
            } else {
                if tapeTypes == nil { tapeTypes = try store.tapeTypes() }
                try store.insertCartridge(NewCartridge(
                    id: placement.cartridgeID, volumeTag: placement.volumeTag,
                    type: tapeTypes?.type(forVolumeTag: placement.volumeTag), location: placement.location,
                    slotID: placement.slotID), now: now)
                summary.cartridgesCreated.append(placement.volumeTag)
            }
        }
        try store.finishCartridgeInserts()
        trace.mark("place cartridges")
        for id in detach where !placedIDs.contains(id) {
            if let tag = tagByCartridgeID[id] { summary.cartridgesMarkedOffline.append(tag) }
        }

        try reconcileDrives(drives, cartridgeAtAddress: first.cartridgeAtAddress, idByTag: idByTag, store: &store)
        try store.applyCounts(counts)
        try store.markSynced(now: nowValue)
        trace.mark("drives")
        if skipUnchanged && afterIsExact {
            for address in removedAddresses { storedSlots.remove(at: address) }
            for update in slotUpdates { storedSlots.insert(update.slot, at: update.address) }
            if !removedAddresses.isEmpty || summary.slotsAdded > 0 { storedSlots.reindexSlotIDs() }
            slotsAfter = storedSlots
        }
        trace.mark("slots after")
        return summary
    }

    /// Points each drive of the library at the cartridge its data-transfer element holds.
    private mutating func reconcileDrives<Store: ReconcileStore>(
        _ drives: [InventoryDrive], cartridgeAtAddress: [Int: String], idByTag: [String: Int64],
        store: inout Store) throws {
        let rows = try store.drives()
        guard !rows.isEmpty else { return }
        var serialByAddress: [Int: String] = [:]
        for drive in drives { if let serial = drive.serialNumber, !serial.isEmpty { serialByAddress[drive.address] = serial } }
        var changes: [(drive: Int64, cartridge: Int64?)] = []
        for row in rows {
            var desired = cartridgeAtAddress[row.address].flatMap { idByTag[$0] }
            if desired == nil, let tag = cartridgeAtAddress[row.address] {
                // Unchanged since the last sync, so not among this run's placements.
                desired = try store.cartridgeID(volumeTag: tag)
            }
            if desired != row.loadedCartridgeID { changes.append((row.id, desired)) }
            if row.serial.isEmpty, let reported = serialByAddress[row.address] {
                try store.setSerial(reported, ofDrive: row.id)
                summary.drivesUpdated += 1
            }
        }
        if !changes.isEmpty { try store.loadDrives(changes) }
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
