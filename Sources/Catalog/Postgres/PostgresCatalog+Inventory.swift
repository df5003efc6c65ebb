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
}
