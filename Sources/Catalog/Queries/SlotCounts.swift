import GRDB

/// Changes to library_slot_block_counts accumulated while slots are written, applied once at the
/// end of the transaction (see SchemaV3). A flat array indexed by kind, fullness and block: a
/// 50,000-slot sync adds 50,000 times, so no hashing.
struct SlotCountDelta {
    private static let blocks = 0x10000 / SchemaV3.addressesPerBlock
    private var deltas: [Int]

    init() { deltas = [] }

    static func block(ofAddress address: Int) -> Int { address / SchemaV3.addressesPerBlock }

    private static let kinds: [SlotKind] = [.storage, .importExport, .drive, .transport]

    private static func index(_ kind: SlotKind, _ full: Bool, _ address: Int) -> Int? {
        guard (0...0xFFFF).contains(address) else { return nil }
        let kindIndex: Int
        switch kind {
        case .storage: kindIndex = 0
        case .importExport: kindIndex = 1
        case .drive: kindIndex = 2
        case .transport: kindIndex = 3
        }
        return (kindIndex * 2 + (full ? 1 : 0)) * blocks + block(ofAddress: address)
    }

    mutating func add(kind: SlotKind, full: Bool, address: Int) { change(kind, full, address, by: 1) }
    mutating func remove(kind: SlotKind, full: Bool, address: Int) { change(kind, full, address, by: -1) }

    private mutating func change(_ kind: SlotKind, _ full: Bool, _ address: Int, by delta: Int) {
        // Addresses outside 16 bits never reach here: the snapshot and CHECK reject them.
        guard let index = Self.index(kind, full, address) else { return }
        if deltas.isEmpty { deltas = Array(repeating: 0, count: Self.kinds.count * 2 * Self.blocks) }
        deltas[index] += delta
    }

    /// The counts that change, per kind, fullness and block.
    var changes: [(kind: SlotKind, full: Bool, block: Int, delta: Int)] {
        deltas.enumerated().compactMap { index, delta in
            delta == 0 ? nil : (Self.kinds[index / (2 * Self.blocks)], (index / Self.blocks) % 2 == 1,
                                index % Self.blocks, delta)
        }
    }

    /// The changes one by one through either store (a slot insert changes one count).
    func apply(_ sql: any CatalogSQL, library libraryID: Int64) throws {
        for change in changes {
            let key: [DatabaseValue] = [libraryID.databaseValue, change.kind.rawValue.databaseValue,
                                        change.full.databaseValue, change.block.databaseValue]
            let updated = try sql.execute("""
                UPDATE library_slot_block_counts SET slot_count = slot_count + ?
                WHERE library_id = ? AND kind = ? AND "full" = ? AND block = ?
                """, [change.delta.databaseValue] + key)
            if updated == 0 {
                try sql.execute("""
                    INSERT INTO library_slot_block_counts (library_id, kind, "full", block, slot_count) VALUES (?, ?, ?, ?, ?)
                    """, key + [change.delta.databaseValue])
            }
        }
    }

    /// The changes through SQLite's prepared statements (a sync changes up to thousands).
    func apply(_ db: Database, library libraryID: Int64) throws {
        guard !deltas.isEmpty else { return }
        let update = try BulkStatement(db, sql: """
            UPDATE library_slot_block_counts SET slot_count = slot_count + ?
            WHERE library_id = ? AND kind = ? AND full = ? AND block = ?
            """)
        let insert = try BulkStatement(db, sql: """
            INSERT INTO library_slot_block_counts (library_id, kind, full, block, slot_count) VALUES (?, ?, ?, ?, ?)
            """)
        for (index, delta) in deltas.enumerated() where delta != 0 {
            let kind = Self.kinds[index / (2 * Self.blocks)].rawValue
            let full = (index / Self.blocks) % 2 == 1
            let block = index % Self.blocks
            // Not an UPSERT: SQLite checks slot_count >= 0 on the candidate row before it sees the
            // conflict, so a negative delta could never reach the DO UPDATE branch.
            update.bind(1, delta)
            update.bind(2, libraryID)
            update.bind(3, kind)
            update.bind(4, full)
            update.bind(5, block)
            try update.execute()
            if db.changesCount == 0 {
                insert.bind(1, libraryID)
                insert.bind(2, kind)
                insert.bind(3, full)
                insert.bind(4, block)
                insert.bind(5, delta)
                try insert.execute()
            }
        }
    }
}
