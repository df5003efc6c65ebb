import Foundation
import GRDB

extension CatalogDatabase {
    /// Applies a physical inventory of `library` to library_slots, tape_cartridges locations and
    /// loaded drives, in one transaction: new elements become slots, unknown cartridges are
    /// created (type from the barcode suffix), known ones move, and cartridges of this library
    /// that no element reports any more become offline. The physical library is the truth.
    public func reconcile(library libraryID: Int64, snapshot: InventorySnapshot,
                          now: Date = Date()) async throws(CatalogError) -> ReconcileSummary {
        try await write { db in
            var reconciler = try Reconciler(db: db, libraryID: libraryID, now: now)
            return try reconciler.apply(snapshot)
        }
    }
}

/// The reconciliation algorithm. Loads the library's slots and the cartridges once, diffs in
/// memory, and writes only what changed with cached statements (a 50,000-slot library must
/// reconcile in well under a second).
struct Reconciler {
    /// What the catalog holds for one element.
    private struct StoredSlot {
        let id: Int64
        let kind: String
        let full: Bool
        let volumeTag: String?
        let sourceElement: Int?
        let accessible: Bool
        let exception: Bool
        let asc: Int?
        let ascq: Int?
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

    let db: Database
    let libraryID: Int64
    let now: DatabaseValue
    var summary = ReconcileSummary()

    init(db: Database, libraryID: Int64, now: Date) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM tape_libraries WHERE id = ?", arguments: [libraryID]) != nil
        else { throw CatalogError.notFound(resource: "tape_libraries", identifier: String(libraryID)) }
        self.db = db
        self.libraryID = libraryID
        self.now = now.databaseValue
    }

    mutating func apply(_ snapshot: InventorySnapshot) throws -> ReconcileSummary {
        let elements = try Self.validated(snapshot.elements)
        let storedSlots = try loadSlots()
        let cartridges = try loadCartridges()

        var addressBySlotID: [Int64: Int] = [:]
        addressBySlotID.reserveCapacity(storedSlots.count)
        for (address, slot) in storedSlots { addressBySlotID[slot.id] = address }
        var occupantBySlotID: [Int64: (id: Int64, tag: String)] = [:]
        var tagByCartridgeID: [Int64: String] = [:]
        for (tag, cartridge) in cartridges {
            if let slotID = cartridge.slotID { occupantBySlotID[slotID] = (cartridge.id, tag) }
        }

        let insertSlot = try db.cachedStatement(sql: """
            INSERT INTO library_slots (library_id, element_address, kind, full, volume_tag, source_element,
                accessible, exception, asc, ascq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let updateSlot = try db.cachedStatement(sql: """
            UPDATE library_slots SET kind = ?, full = ?, volume_tag = ?, source_element = ?, accessible = ?,
                exception = ?, asc = ?, ascq = ? WHERE id = ?
            """)

        var seenAddresses = Set<Int>()
        seenAddresses.reserveCapacity(elements.count)
        var seenTags = Set<String>()
        seenTags.reserveCapacity(elements.count)
        var placements: [Placement] = []
        var detach: [Int64] = []
        var detachSet = Set<Int64>()
        var cartridgeAtAddress: [Int: String] = [:]

        for element in elements {
            seenAddresses.insert(element.address)
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
            if let stored = storedSlots[element.address] {
                slotID = stored.id
                kindChanged = stored.kind != element.kind.rawValue
                if kindChanged || stored.full != element.isFull || stored.volumeTag != tag
                    || stored.sourceElement != element.sourceElement || stored.accessible != element.isAccessible
                    || stored.exception != (element.exception != nil) || stored.asc != asc || stored.ascq != ascq {
                    updateSlot.setUncheckedArguments([
                        element.kind.rawValue, element.isFull, tag, element.sourceElement, element.isAccessible,
                        element.exception != nil, asc, ascq, slotID,
                    ])
                    try updateSlot.execute()
                    summary.slotsUpdated += 1
                }
            } else {
                insertSlot.setUncheckedArguments([
                    libraryID, element.address, element.kind.rawValue, element.isFull, tag, element.sourceElement,
                    element.isAccessible, element.exception != nil, asc, ascq,
                ])
                try insertSlot.execute()
                slotID = db.lastInsertedRowID
                summary.slotsAdded += 1
            }
            if let desiredTag { cartridgeAtAddress[element.address] = desiredTag }

            let occupant = occupantBySlotID[slotID]
            if occupant?.tag == desiredTag && !kindChanged { continue }
            if let occupant, detachSet.insert(occupant.id).inserted {
                detach.append(occupant.id)
                tagByCartridgeID[occupant.id] = occupant.tag
            }
            if let desiredTag {
                placements.append(Placement(volumeTag: desiredTag, slotID: slotID,
                                            location: element.kind.cartridgeLocation, address: element.address))
                if let known = cartridges[desiredTag], known.slotID != nil, detachSet.insert(known.id).inserted {
                    detach.append(known.id)
                    tagByCartridgeID[known.id] = desiredTag
                }
            }
        }

        // Elements the changer no longer reports: their cartridges leave with them.
        var removedSlotIDs: [Int64] = []
        for (address, stored) in storedSlots where !seenAddresses.contains(address) {
            removedSlotIDs.append(stored.id)
            if let occupant = occupantBySlotID[stored.id], detachSet.insert(occupant.id).inserted {
                detach.append(occupant.id)
                tagByCartridgeID[occupant.id] = occupant.tag
            }
        }

        // Two phases keep UNIQUE(slot_id) satisfied while cartridges swap places.
        let detachCartridge = try db.cachedStatement(
            sql: "UPDATE tape_cartridges SET slot_id = NULL, location = 'offline' WHERE id = ?")
        for id in detach {
            detachCartridge.setUncheckedArguments([id])
            try detachCartridge.execute()
        }
        if !removedSlotIDs.isEmpty {
            let clearDrives = try db.cachedStatement(
                sql: "UPDATE library_tape_drives SET loaded_cartridge_id = NULL WHERE library_id = ?")
            try clearDrives.execute(arguments: [libraryID])
            let deleteSlot = try db.cachedStatement(sql: "DELETE FROM library_slots WHERE id = ?")
            for id in removedSlotIDs {
                deleteSlot.setUncheckedArguments([id])
                try deleteSlot.execute()
            }
            summary.slotsRemoved = removedSlotIDs.count
        }

        var placedIDs = Set<Int64>()
        var idByTag: [String: Int64] = [:]
        let placeCartridge = try db.cachedStatement(
            sql: "UPDATE tape_cartridges SET slot_id = ?, location = ? WHERE id = ?")
        let insertCartridge = try db.cachedStatement(sql: """
            INSERT INTO tape_cartridges (volume_tag, tape_type_id, status, location, slot_id, native_capacity,
                cleaning_uses_left, is_worm, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var tapeTypes: TapeTypeTable?
        for placement in placements {
            if let known = cartridges[placement.volumeTag] {
                placeCartridge.setUncheckedArguments([placement.slotID, placement.location.rawValue, known.id])
                try placeCartridge.execute()
                placedIDs.insert(known.id)
                idByTag[placement.volumeTag] = known.id
                let from = known.slotID.flatMap { addressBySlotID[$0] }
                if from != placement.address {
                    summary.cartridgesMoved.append(.init(volumeTag: placement.volumeTag, fromAddress: from,
                                                         toAddress: placement.address))
                }
            } else {
                if tapeTypes == nil { tapeTypes = try TapeTypeTable.load(db) }
                let type = tapeTypes?.type(forVolumeTag: placement.volumeTag)
                let isCleaning = type?.isCleaning ?? false
                insertCartridge.setUncheckedArguments([
                    placement.volumeTag, type?.id,
                    isCleaning ? CartridgeStatus.cleaning.rawValue : CartridgeStatus.scratch.rawValue,
                    placement.location.rawValue, placement.slotID, type?.nativeCapacity ?? 0,
                    isCleaning ? Self.cleaningUses : nil, type?.isWorm ?? false, now,
                ])
                try insertCartridge.execute()
                idByTag[placement.volumeTag] = db.lastInsertedRowID
                summary.cartridgesCreated.append(placement.volumeTag)
            }
        }
        for id in detach where !placedIDs.contains(id) {
            if let tag = tagByCartridgeID[id] { summary.cartridgesMarkedOffline.append(tag) }
        }

        try reconcileDrives(snapshot.drives, cartridgeAtAddress: cartridgeAtAddress, idByTag: idByTag,
                            cartridges: cartridges)
        try db.execute(sql: "UPDATE tape_libraries SET last_sync = ?, sync_state = 'synced' WHERE id = ?",
                       arguments: [now, libraryID])
        return summary
    }

    /// Points each drive of the library at the cartridge its data-transfer element holds.
    private mutating func reconcileDrives(_ drives: [InventoryDrive], cartridgeAtAddress: [Int: String],
                                          idByTag: [String: Int64],
                                          cartridges: [String: StoredCartridge]) throws {
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
            let desired = cartridgeAtAddress[address].flatMap { idByTag[$0] ?? cartridges[$0]?.id }
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

    private func loadSlots() throws -> [Int: StoredSlot] {
        var slots: [Int: StoredSlot] = [:]
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT element_address, id, kind, full, volume_tag, source_element, accessible, exception, asc, ascq
            FROM library_slots WHERE library_id = ?
            """, arguments: [libraryID])
        while let row = try cursor.next() {
            slots[row[0]] = StoredSlot(id: row[1], kind: row[2], full: row[3], volumeTag: row[4],
                                       sourceElement: row[5], accessible: row[6], exception: row[7],
                                       asc: row[8], ascq: row[9])
        }
        return slots
    }

    private func loadCartridges() throws -> [String: StoredCartridge] {
        var cartridges: [String: StoredCartridge] = [:]
        let cursor = try Row.fetchCursor(db, sql: "SELECT volume_tag, id, slot_id FROM tape_cartridges")
        while let row = try cursor.next() {
            cartridges[row[0]] = StoredCartridge(id: row[1], slotID: row[2])
        }
        return cartridges
    }

    static func normalizedTag(_ tag: String?) -> String? {
        guard let tag else { return nil }
        let trimmed = tag.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Rejects snapshots no changer can produce, before anything is written.
    static func validated(_ elements: [InventoryElement]) throws -> [InventoryElement] {
        var addresses = Set<Int>()
        for element in elements {
            guard (0...0xFFFF).contains(element.address) else {
                throw CatalogError.invalidArgument("element address \(element.address) outside 0...65535")
            }
            guard addresses.insert(element.address).inserted else {
                throw CatalogError.invalidArgument("element address \(element.address) reported twice")
            }
            if let source = element.sourceElement, !(0...0xFFFF).contains(source) {
                throw CatalogError.invalidArgument("source element \(source) outside 0...65535")
            }
            if let tag = normalizedTag(element.volumeTag), tag.utf8.count > 32 {
                throw CatalogError.invalidArgument("volume tag longer than 32 bytes at element \(element.address)")
            }
        }
        return elements.sorted { $0.address < $1.address }
    }
}
