import Foundation
import GRDB

/// A media server (seed: media_servers).
public struct MediaServer: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "media_servers"
    public enum Columns {
        public static let hostname = Column("hostname")
        public static let hwid = Column("hwid")
    }

    public var id: Int64?
    public var hostname: String
    public var hwid: String
    public var description: String
    /// "yes" / "no" as the seed's PATCH body carries it.
    public var localServiceMode: String
    public var lastOnline: Date?

    public init(id: Int64? = nil, hostname: String, hwid: String, description: String = "",
                localServiceMode: String = "no", lastOnline: Date? = nil) {
        self.id = id; self.hostname = hostname; self.hwid = hwid; self.description = description
        self.localServiceMode = localServiceMode; self.lastOnline = lastOnline
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A storage pool (seed: pool_list).
public struct Pool: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "pools"

    public var id: Int64?
    public var name: String
    public var type: PoolType
    public var mediaServerId: Int64?
    public var retentionPeriod: String
    public var compressionType: String
    public var description: String
    public var healthState: PoolHealth
    public var createdAt: Date
    public var modifiedAt: Date
    /// A tape pool's format on its cartridges (schema v10).
    public var tapeFormat: TapeFormat
    /// Bytes per data record written to a tape pool's cartridges (schema v10).
    public var tapeBlockSize: Int
    /// Whether a copy into the pool is read back and its SHA-256 compared before it is recorded
    /// complete (schema v10); when off, copies are recorded unverified.
    public var verifyAfterWrite: Bool

    public init(id: Int64? = nil, name: String, type: PoolType, mediaServerId: Int64? = nil,
                retentionPeriod: String = "1 year", compressionType: String = "None",
                description: String = "", healthState: PoolHealth = .healthy,
                createdAt: Date = Date(), modifiedAt: Date = Date(), tapeFormat: TapeFormat = .native,
                tapeBlockSize: Int = 524_288, verifyAfterWrite: Bool = true) {
        self.id = id; self.name = name; self.type = type; self.mediaServerId = mediaServerId
        self.retentionPeriod = retentionPeriod; self.compressionType = compressionType
        self.description = description; self.healthState = healthState
        self.createdAt = createdAt; self.modifiedAt = modifiedAt
        self.tapeFormat = tapeFormat; self.tapeBlockSize = tapeBlockSize; self.verifyAfterWrite = verifyAfterWrite
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One global_configuration key and its value (stored as text, as the seed's PATCH sends it).
public struct ConfigurationEntry: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "global_configuration"
    public var key: String
    public var value: String

    public init(key: String, value: String) { self.key = key; self.value = value }
}

/// A media server that asked to join a catalog that already had media servers and waits for an
/// administrator to authorise it (seed: unauthorised_media_servers).
public struct UnauthorisedMediaServer: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "unauthorised_media_servers"
    public enum Columns {
        public static let hostname = Column("hostname")
    }

    public var id: Int64?
    public var hostname: String
    public var hwid: String
    public var firstSeenAt: Date
    public var lastSeenAt: Date

    public init(id: Int64? = nil, hostname: String, hwid: String, firstSeenAt: Date = Date(), lastSeenAt: Date = Date()) {
        self.id = id; self.hostname = hostname; self.hwid = hwid; self.firstSeenAt = firstSeenAt; self.lastSeenAt = lastSeenAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
