import GRDB

/// What reconcile reads of the catalog's side: the lean per-element digest of a library (from
/// covering indexes only), and, for the few elements whose digest changed, their full rows.
extension Reconciler {
    /// What the lean read knows of a stored element.
    struct StoredSlot {
        let id: Int64
        let digest: Int64
        var occupantID: Int64?
    }

    /// The rest of a stored element, read only when its digest no longer matches; also what
    /// reconcile writes of an element besides its address and digest.
    struct StoredDetail: Equatable {
        let kind: SlotKind
        let full: Bool
        let volumeTag: String?
        let sourceElement: Int?
        let accessible: Bool
        let exception: Bool
        let asc: Int?
        let ascq: Int?
    }

    /// The library's stored elements indexed by their 16-bit address (no hashing on the hot path).
    struct StoredSlots {
        private var byAddress: [StoredSlot?]
        private(set) var count = 0
        /// Slot id → address, dense from the smallest id (reconcile hands out ids in runs).
        private var addressBySlot: [Int32] = []
        private var firstSlotID: Int64 = 0

        /// Addresses below this get room up front (the snapshot's highest address + 1); a
        /// stored element above it grows the table. Untouched memory is never faulted in.
        private let addressCapacity: Int

        init(addressCapacity: Int = 0x10000) {
            byAddress = []
            self.addressCapacity = min(max(addressCapacity, 1), 0x10000)
        }

        subscript(address: Int) -> StoredSlot? {
            byAddress.indices.contains(address) ? byAddress[address] : nil
        }

        mutating func insert(_ slot: StoredSlot, at address: Int) {
            if byAddress.isEmpty { byAddress = Array(repeating: nil, count: addressCapacity) }
            if address >= byAddress.count {
                byAddress.append(contentsOf: repeatElement(nil, count: address - byAddress.count + 1))
            }
            if byAddress[address] == nil { count += 1 }
            byAddress[address] = slot
        }

        mutating func remove(at address: Int) {
            guard byAddress.indices.contains(address), byAddress[address] != nil else { return }
            byAddress[address] = nil
            count -= 1
        }

        /// Rebuilds the slot id → address map after slots were inserted or removed.
        mutating func reindexSlotIDs() {
            var minimum = Int64.max
            var maximum = Int64.min
            for slot in byAddress {
                guard let slot else { continue }
                minimum = min(minimum, slot.id)
                maximum = max(maximum, slot.id)
            }
            addressBySlot = []
            firstSlotID = 0
            _ = indexSlotIDs(minimum: minimum, maximum: maximum)
        }

        /// Builds the slot id → address map once all slots are in (nil when ids are too sparse).
        mutating func indexSlotIDs(minimum: Int64, maximum: Int64) -> Bool {
            guard count > 0, maximum >= minimum, maximum - minimum < Int64(max(count, 1024) * 4) else { return false }
            firstSlotID = minimum
            addressBySlot = Array(repeating: -1, count: Int(maximum - minimum) + 1)
            for address in byAddress.indices {
                if let slot = byAddress[address] { addressBySlot[Int(slot.id - minimum)] = Int32(address) }
            }
            return true
        }

        func address(ofSlot id: Int64) -> Int? {
            let offset = id - firstSlotID
            guard offset >= 0, offset < Int64(addressBySlot.count) else { return nil }
            let address = addressBySlot[Int(offset)]
            return address < 0 ? nil : Int(address)
        }

        mutating func setOccupant(_ cartridgeID: Int64, at address: Int) {
            guard byAddress.indices.contains(address) else { return }
            byAddress[address]?.occupantID = cartridgeID
        }

        func addresses(of slotIDs: Set<Int64>) -> [Int64: Int] {
            guard !slotIDs.isEmpty else { return [:] }
            var addresses: [Int64: Int] = [:]
            if !addressBySlot.isEmpty {
                for id in slotIDs { if let address = address(ofSlot: id) { addresses[id] = address } }
                return addresses
            }
            for address in byAddress.indices {
                if let slot = byAddress[address], slotIDs.contains(slot.id) { addresses[slot.id] = address }
            }
            return addresses
        }

        var all: [(Int, StoredSlot)] {
            byAddress.indices.compactMap { address in byAddress[address].map { (address, $0) } }
        }
    }
}

extension SQLiteReconcileStore {
    /// The library's elements from the covering page index (no table rows), then which cartridge
    /// sits in each from the slot_id index of tape_cartridges (no table rows either).
    func loadSlots(addressCapacity: Int, _ trace: inout PhaseTrace) throws -> Reconciler.StoredSlots {
        var slots = Reconciler.StoredSlots(addressCapacity: addressCapacity)
        let query = try BulkStatement(db, sql: """
            SELECT element_address, id, element_digest
            FROM library_slots INDEXED BY library_slots_kind_page WHERE library_id = ?
            """)
        query.bind(1, libraryID)
        var minimumID = Int64.max
        var maximumID = Int64.min
        while try query.step() {
            let address = query.int(0)
            guard (0...0xFFFF).contains(address) else {
                throw CatalogError.storage("library_slots row with address \(address) out of range")
            }
            let id = query.int64(1)
            minimumID = min(minimumID, id)
            maximumID = max(maximumID, id)
            slots.insert(Reconciler.StoredSlot(id: id, digest: query.int64(2)), at: address)
        }
        trace.mark("load slots")
        guard slots.count > 0 else { return slots }
        if slots.indexSlotIDs(minimum: minimumID, maximum: maximumID) {
            let occupants = try BulkStatement(db, sql: """
                SELECT slot_id, id FROM tape_cartridges WHERE slot_id BETWEEN ? AND ?
                """)
            occupants.bind(1, minimumID)
            occupants.bind(2, maximumID)
            while try occupants.step() {
                if let address = slots.address(ofSlot: occupants.int64(0)) {
                    slots.setOccupant(occupants.int64(1), at: address)
                }
            }
        } else {
            // Slot ids of this library scattered among others': look the occupants up by join.
            let occupants = try BulkStatement(db, sql: """
                SELECT s.element_address, c.id
                FROM tape_cartridges c CROSS JOIN library_slots s ON s.id = c.slot_id
                WHERE c.slot_id IS NOT NULL AND s.library_id = ?
                """)
            occupants.bind(1, libraryID)
            while try occupants.step() { slots.setOccupant(occupants.int64(1), at: occupants.int(0)) }
        }
        return slots
    }
}
