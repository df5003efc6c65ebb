import Foundation
import GRDB

extension CatalogDatabase {
    /// Barcodes of the cartridges in `library` (as its last sync saw it) that nobody registered,
    /// in element address order.
    public func unregisteredCartridges(library libraryID: Int64) async throws(CatalogError) -> [String] {
        try await read { db in
            try String.fetchAll(db, sql: """
                SELECT tape_cartridges.volume_tag FROM tape_cartridges
                JOIN library_slots ON library_slots.id = tape_cartridges.slot_id
                WHERE library_slots.library_id = ? AND tape_cartridges.is_registered = 0
                ORDER BY library_slots.element_address
                """, arguments: [libraryID])
        }
    }

    /// Registers cartridges the catalog knows by barcode into `pool` (an import into a pool):
    /// unregistered ones become registered; every one joins the pool (none: they stay in the
    /// pool they are in; a cleaning cartridge serves every pool's drives and stays out of pools).
    /// Returns the barcodes registered now (those that were not before). Unknown barcodes are
    /// `.notFound`, and nothing is changed. Set-based (a statement per 500 barcodes), so
    /// registering the 40,000 cartridges a large library's first sync found takes a fraction
    /// of a second.
    @discardableResult
    public func registerCartridges(_ volumeTags: [String], pool poolID: Int64?) async throws(CatalogError) -> [String] {
        try await write { db in
            if let poolID, try Int64.fetchOne(db, sql: "SELECT id FROM pools WHERE id = ?", arguments: [poolID]) == nil {
                throw CatalogError.notFound(resource: "pool_list", identifier: String(poolID))
            }
            let tags = Array(Set(volumeTags))
            var registered: [String] = []
            var found = 0
            for start in stride(from: 0, to: tags.count, by: 500) {
                let chunk = Array(tags[start..<min(start + 500, tags.count)])
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchAll(db, sql: """
                    SELECT volume_tag, is_registered FROM tape_cartridges WHERE volume_tag IN (\(marks))
                    """, arguments: StatementArguments(chunk))
                found += rows.count
                registered += rows.filter { ($0["is_registered"] as Bool?) == false }.compactMap { $0["volume_tag"] as String? }
                try db.execute(sql: """
                    UPDATE tape_cartridges SET is_registered = 1,
                        pool_id = CASE WHEN ? IS NULL OR status = 'cleaning' THEN pool_id ELSE ? END
                    WHERE volume_tag IN (\(marks))
                    """, arguments: StatementArguments([poolID, poolID] as [(any DatabaseValueConvertible)?])
                        + StatementArguments(chunk))
            }
            guard found == tags.count else {
                // Rolled back with the transaction: nothing is half-applied.
                let known = try Set(tags.chunked(500).flatMap { chunk in
                    try String.fetchAll(db, sql: "SELECT volume_tag FROM tape_cartridges WHERE volume_tag IN ("
                        + Array(repeating: "?", count: chunk.count).joined(separator: ",") + ")",
                                        arguments: StatementArguments(chunk))
                })
                let missing = tags.filter { !known.contains($0) }.sorted()
                throw CatalogError.notFound(resource: "tape_cartridges", identifier: missing.prefix(20).joined(separator: ", "))
            }
            let order = Dictionary(volumeTags.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            return registered.sorted { (order[$0] ?? 0) < (order[$1] ?? 0) }
        }
    }
}

extension Array {
    fileprivate func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
