import Foundation
import GRDB

extension PostgresCatalog {
    // MARK: Creation (the rows a node registers itself and its libraries with)

    public func insert(_ server: MediaServer) async throws(CatalogError) -> MediaServer {
        try await transaction { session in try await session.insert(server) }
    }

    public func insert(_ library: TapeLibrary) async throws(CatalogError) -> TapeLibrary {
        try await transaction { session in try await session.insert(library) }
    }

    public func insert(_ drive: LibraryTapeDrive) async throws(CatalogError) -> LibraryTapeDrive {
        guard SCSIPath(drive.scsiPath) != nil else {
            throw .invalidArgument("scsi_path must look like [H:C:T:L], not \(drive.scsiPath)")
        }
        return try await transaction { session in try await session.insert(drive) }
    }
}
