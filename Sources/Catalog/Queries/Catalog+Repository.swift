import Foundation
import GRDB

/// Backup records and their copies, written once for both stores.
extension CatalogStore {
    public func insert(_ record: BackupRecord) async throws(CatalogError) -> BackupRecord {
        try await writeSQL { sql in try sql.insertRecord(record) }
    }

    /// Records a copy of `repositoryID` in a pool with the tape extents that hold it, atomically,
    /// in the state given (a copy is complete only once written and read back: `CopyLedger`).
    public func recordCopy(of repositoryID: Int64, inPool poolID: Int64, state: CopyState,
                           extents: [RepositoryCopyExtent] = []) async throws(CatalogError) -> RepositoryCopy {
        try await writeSQL { sql in
            let copy = try sql.insertRecord(RepositoryCopy(repositoryId: repositoryID, poolId: poolID, state: state))
            guard let copyID = copy.id else { throw CatalogError.storage("copy inserted without an id") }
            for var extent in extents {
                extent.id = nil
                extent.copyId = copyID
                _ = try sql.insertRecord(extent)
            }
            return copy
        }
    }

    public func copies(of repositoryID: Int64) async throws(CatalogError) -> [RepositoryCopy] {
        try await readSQL { sql in
            try sql.fetchAll(RepositoryCopy.self, "SELECT * FROM repository_copies WHERE repository_id = ? ORDER BY id",
                             [repositoryID.databaseValue])
        }
    }

    /// The parts of a copy in order: which cartridge, tape file and blocks to read.
    public func extents(ofCopy copyID: Int64) async throws(CatalogError) -> [RepositoryCopyExtent] {
        try await readSQL { sql in
            try sql.fetchAll(RepositoryCopyExtent.self, "SELECT * FROM repository_copy_extents WHERE copy_id = ? ORDER BY part_index",
                             [copyID.databaseValue])
        }
    }

    /// The copy parts on a cartridge with the copy each belongs to, by record then part (the
    /// cartridge page's "copies on it"); at most `limit`.
    public func extents(onCartridge cartridgeID: Int64, limit: Int = 1_000) async throws(CatalogError)
        -> [(RepositoryCopy, RepositoryCopyExtent)] {
        try await readSQL { sql in
            let extents = try sql.fetchAll(RepositoryCopyExtent.self, """
                SELECT * FROM repository_copy_extents WHERE cartridge_id = ? ORDER BY copy_id, part_index LIMIT ?
                """, [cartridgeID.databaseValue, limit.databaseValue])
            let ids = Array(Set(extents.map(\.copyId)))
            let copies = ids.isEmpty ? [] : try sql.fetchAll(RepositoryCopy.self, "SELECT * FROM repository_copies WHERE id IN ("
                + Array(repeating: "?", count: ids.count).joined(separator: ",") + ")", ids.map(\.databaseValue))
            let byID = Dictionary(copies.compactMap { copy in copy.id.map { ($0, copy) } }, uniquingKeysWith: { first, _ in first })
            return extents.compactMap { extent in byID[extent.copyId].map { ($0, extent) } }
        }
    }
}
