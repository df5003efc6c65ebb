import Foundation
import GRDB

extension CatalogDatabase {
    public func insert(_ record: BackupRecord) async throws(CatalogError) -> BackupRecord {
        try await write { db in var row = record; try row.insert(db); return row }
    }

    /// Records a copy of `repositoryID` in a pool with the tape extents that hold it, atomically,
    /// in the state given (a copy is complete only once written and read back: `CopyLedger`).
    public func recordCopy(of repositoryID: Int64, inPool poolID: Int64, state: CopyState,
                           extents: [RepositoryCopyExtent] = []) async throws(CatalogError) -> RepositoryCopy {
        try await write { db in
            var copy = RepositoryCopy(repositoryId: repositoryID, poolId: poolID, state: state)
            try copy.insert(db)
            guard let copyID = copy.id else { throw CatalogError.storage("copy inserted without an id") }
            for var extent in extents {
                extent.id = nil
                extent.copyId = copyID
                try extent.insert(db)
            }
            return copy
        }
    }

    public func copies(of repositoryID: Int64) async throws(CatalogError) -> [RepositoryCopy] {
        try await read { db in
            try RepositoryCopy.filter(Column("repository_id") == repositoryID).order(Column("id")).fetchAll(db)
        }
    }

    /// The parts of a copy in order: which cartridge, tape file and blocks to read.
    public func extents(ofCopy copyID: Int64) async throws(CatalogError) -> [RepositoryCopyExtent] {
        try await read { db in
            try RepositoryCopyExtent.filter(Column("copy_id") == copyID).order(Column("part_index")).fetchAll(db)
        }
    }

    /// The copy parts on a cartridge with the copy each belongs to, by record then part (the
    /// cartridge page's "copies on it"); at most `limit`.
    public func extents(onCartridge cartridgeID: Int64, limit: Int = 1_000) async throws(CatalogError)
        -> [(RepositoryCopy, RepositoryCopyExtent)] {
        try await read { db in
            let extents = try RepositoryCopyExtent.filter(Column("cartridge_id") == cartridgeID)
                .order(Column("copy_id"), Column("part_index")).limit(limit).fetchAll(db)
            let copies = try RepositoryCopy.filter(keys: Set(extents.map(\.copyId))).fetchAll(db)
            let byID = Dictionary(copies.compactMap { copy in copy.id.map { ($0, copy) } }, uniquingKeysWith: { first, _ in first })
            return extents.compactMap { extent in byID[extent.copyId].map { ($0, extent) } }
        }
    }
}
