import GRDB

/// Eighth migration (issue 11, the API's slot pages): an index on library_slots' element address
/// alone. A page of slots filtered without a library (`full="true"`, the dashboards' query)
/// is sorted by address then id; without this index SQLite scanned and sorted all 50,000 rows
/// for each page (~4 ms). With it, the page seeks to its block (`SlotPageSeek`) and walks at
/// most 256 + limit index entries in order (the row id closes every index entry, so ties are in
/// id order with no sort). The count comes from library_slot_block_counts summed over libraries.
enum SchemaV8 {
    static let identifier = "v8-slot-address-index"

    static func migrate(_ db: Database) throws {
        try db.execute(sql: "CREATE INDEX library_slots_address ON library_slots(element_address)")
    }
}
