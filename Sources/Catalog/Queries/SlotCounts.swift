import GRDB

/// Changes to library_slot_block_counts accumulated while slots are written, applied once at the
/// end of the transaction (see SchemaV3).
struct SlotCountDelta {
    private struct Key: Hashable {
        let kind: String
        let full: Bool
        let block: Int
    }

    private var deltas: [Key: Int] = [:]

    static func block(ofAddress address: Int) -> Int { address / SchemaV3.addressesPerBlock }

    mutating func add(kind: String, full: Bool, address: Int) {
        deltas[Key(kind: kind, full: full, block: Self.block(ofAddress: address)), default: 0] += 1
    }

    mutating func remove(kind: String, full: Bool, address: Int) {
        deltas[Key(kind: kind, full: full, block: Self.block(ofAddress: address)), default: 0] -= 1
    }

    func apply(_ db: Database, library libraryID: Int64) throws {
        let update = try BulkStatement(db, sql: """
            UPDATE library_slot_block_counts SET slot_count = slot_count + ?
            WHERE library_id = ? AND kind = ? AND full = ? AND block = ?
            """)
        let insert = try BulkStatement(db, sql: """
            INSERT INTO library_slot_block_counts (library_id, kind, full, block, slot_count) VALUES (?, ?, ?, ?, ?)
            """)
        for (key, delta) in deltas where delta != 0 {
            // Not an UPSERT: SQLite checks slot_count >= 0 on the candidate row before it sees the
            // conflict, so a negative delta could never reach the DO UPDATE branch.
            update.bind(1, delta)
            update.bind(2, libraryID)
            update.bind(3, key.kind)
            update.bind(4, key.full)
            update.bind(5, key.block)
            try update.execute()
            if db.changesCount == 0 {
                insert.bind(1, libraryID)
                insert.bind(2, key.kind)
                insert.bind(3, key.full)
                insert.bind(4, key.block)
                insert.bind(5, delta)
                try insert.execute()
            }
        }
    }
}
