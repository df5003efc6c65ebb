import GRDB

/// Changes to library_slot_counts accumulated while slots are written, applied once at the end
/// of the transaction (see SchemaV2).
struct SlotCountDelta {
    private struct Key: Hashable {
        let kind: String
        let full: Bool
    }

    private var deltas: [Key: Int] = [:]

    mutating func add(kind: String, full: Bool) { deltas[Key(kind: kind, full: full), default: 0] += 1 }
    mutating func remove(kind: String, full: Bool) { deltas[Key(kind: kind, full: full), default: 0] -= 1 }

    func apply(_ db: Database, library libraryID: Int64) throws {
        for (key, delta) in deltas where delta != 0 {
            // Not an UPSERT: SQLite checks slot_count >= 0 on the candidate row before it sees the
            // conflict, so a negative delta could never reach the DO UPDATE branch.
            try db.execute(sql: """
                UPDATE library_slot_counts SET slot_count = slot_count + ?
                WHERE library_id = ? AND kind = ? AND full = ?
                """, arguments: [delta, libraryID, key.kind, key.full])
            if db.changesCount == 0 {
                try db.execute(sql: """
                    INSERT INTO library_slot_counts (library_id, kind, full, slot_count) VALUES (?, ?, ?, ?)
                    """, arguments: [libraryID, key.kind, key.full, delta])
            }
        }
    }
}
