import Foundation
import GRDB

/// A directory that stores a pool's backups (seed: storage_local_catalogs).
public struct StorageLocalCatalog: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "storage_local_catalogs"

    public var id: Int64?
    public var path: String
    public var poolId: Int64
    public var description: String
    public var createdAt: Date

    public init(id: Int64? = nil, path: String, poolId: Int64, description: String = "", createdAt: Date = Date()) {
        self.id = id; self.path = path; self.poolId = poolId; self.description = description; self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A block device that stores a pool's backups (seed: storage_block_devices).
public struct StorageBlockDevice: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "storage_block_devices"

    public var id: Int64?
    public var device: String
    public var poolId: Int64
    public var description: String
    public var createdAt: Date

    public init(id: Int64? = nil, device: String, poolId: Int64, description: String = "", createdAt: Date = Date()) {
        self.id = id; self.device = device; self.poolId = poolId; self.description = description; self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
