import Catalog
import Foundation

/// Where a record's archive may be removed by a move, and where a restore into a pool writes it:
/// tapelib removes and creates archives only inside the directories of a pool's local catalogs
/// (storage_local_catalogs). A record registered from a file elsewhere (`tapelib repository
/// add` of any file) can be copied, never moved: its file is not tapelib's to delete.
public enum ArchivePlacement {
    /// The archive a move of `record` removes once its copy is verified: the record's file when
    /// it lies inside one of its pool's local catalogs; otherwise the move is refused (409).
    public static func removableArchive(of record: BackupRecord, catalog: TapeCatalog) async throws -> String {
        let id = record.id ?? 0
        guard let path = record.path else {
            throw ServiceError(.conflict, "backup record \(id) has no archive on this host to move (it is held only by its copies)")
        }
        let directories = try await catalog.localCatalogDirectories(pool: record.poolId)
        let inside = try await offPool { directories.contains(where: { contains($0, path) }) }
        guard inside else {
            throw ServiceError(.conflict, "backup record \(id)'s archive \(path) is not inside a local catalog of its pool "
                                   + (directories.isEmpty ? "(the pool has none)" : "(\(directories.joined(separator: ", ")))")
                                   + ": tapelib removes only archives of its local catalogs; copy the record instead")
        }
        return path
    }

    /// The file a restore of `record` into local-catalog pool `pool` creates: `record-ID-NAME` in
    /// the pool's first local catalog. Refused when the pool is a tape pool or has no local
    /// catalog, when the record still has its archive on this host, or when the file exists.
    public static func restoreFile(of record: BackupRecord, into pool: Pool, catalog: TapeCatalog) async throws -> String {
        let id = record.id ?? 0
        guard pool.type != .tapeLibrary, let poolID = pool.id else {
            throw ServiceError(.invalidRequest, "pool \(pool.name) is a tape pool: a restore into a pool goes to a local-catalog pool")
        }
        if let path = record.path {
            throw ServiceError(.conflict, "backup record \(id) still has its archive on this host (\(path)): restore it to a directory instead")
        }
        guard let directory = try await catalog.localCatalogDirectories(pool: poolID).first else {
            throw ServiceError(.conflict, "pool \(pool.name) has no local catalog (storage_local_catalogs) to restore into")
        }
        let file = directory + (directory.hasSuffix("/") ? "" : "/") + RecordCopier.restoreFileName(record)
        guard !(try await offPool { FileManager.default.fileExists(atPath: file) }) else {
            throw ServiceError(.conflict, "\(file) exists; a restore never overwrites a file")
        }
        return file
    }

    /// Whether `path` names a file below `directory` (both taken as absolute, symbolic links and
    /// `..` resolved; it reads the file system: call it off the cooperative pool).
    static func contains(_ directory: String, _ path: String) -> Bool {
        let root = URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath().path
        let file = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return file.hasPrefix(prefix) && file.count > prefix.count
    }
}
