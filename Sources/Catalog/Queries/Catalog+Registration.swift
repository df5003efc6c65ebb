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
    /// pool they are in). Returns the barcodes
    /// registered now (those that were not before). Unknown barcodes are `.notFound`.
    @discardableResult
    public func registerCartridges(_ volumeTags: [String], pool poolID: Int64?) async throws(CatalogError) -> [String] {
        try await write { db in
            if let poolID, try Int64.fetchOne(db, sql: "SELECT id FROM pools WHERE id = ?", arguments: [poolID]) == nil {
                throw CatalogError.notFound(resource: "pool_list", identifier: String(poolID))
            }
            var registered: [String] = []
            for tag in volumeTags {
                guard var cartridge = try TapeCartridge.filter(Column("volume_tag") == tag).fetchOne(db) else {
                    throw CatalogError.notFound(resource: "tape_cartridges", identifier: tag)
                }
                if !cartridge.isRegistered { registered.append(tag) }
                cartridge.isRegistered = true
                // A cleaning cartridge serves every pool's drives: it stays out of pools.
                if cartridge.status != .cleaning, let poolID { cartridge.poolId = poolID }
                try cartridge.update(db)
            }
            return registered
        }
    }
}
