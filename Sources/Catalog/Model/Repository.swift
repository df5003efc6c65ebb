import Foundation
import GRDB

/// A backup record (seed: repository).
public struct BackupRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "repository"

    public var id: Int64?
    public var client: String
    public var resource: String
    public var resourceType: String
    public var backupType: BackupType
    public var poolId: Int64
    public var sizeBytes: Int64
    /// Lower-case hex SHA-256 of the archive.
    public var sha256: String?
    public var createdAt: Date
    public var storeUntil: Date?
    /// Where the archive is on this host, for a record of a local-catalog pool (schema v10).
    public var path: String?
    /// The media server whose host holds `path` (schema v15); nil: not known.
    public var archiveMediaServerId: Int64?

    public init(id: Int64? = nil, client: String, resource: String, resourceType: String,
                backupType: BackupType, poolId: Int64, sizeBytes: Int64 = 0, sha256: String? = nil,
                createdAt: Date = Date(), storeUntil: Date? = nil, path: String? = nil, archiveMediaServerId: Int64? = nil) {
        self.id = id; self.client = client; self.resource = resource; self.resourceType = resourceType
        self.backupType = backupType; self.poolId = poolId; self.sizeBytes = sizeBytes; self.sha256 = sha256
        self.createdAt = createdAt; self.storeUntil = storeUntil; self.path = path
        self.archiveMediaServerId = archiveMediaServerId
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A copy of a backup record held by a pool.
public struct RepositoryCopy: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "repository_copies"

    public var id: Int64?
    public var repositoryId: Int64
    public var poolId: Int64
    public var state: CopyState
    public var createdAt: Date
    /// Read back and its SHA-256 compared with the record's (schema v10).
    public var verified: Bool

    public init(id: Int64? = nil, repositoryId: Int64, poolId: Int64, state: CopyState = .inProgress,
                createdAt: Date = Date(), verified: Bool = false) {
        self.id = id; self.repositoryId = repositoryId; self.poolId = poolId; self.state = state
        self.createdAt = createdAt; self.verified = verified
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Part `partIndex` of a tape copy: tape file `tapeFileNumber`, blocks `firstBlock...lastBlock`
/// on one cartridge, holding `byteCount` bytes of the archive from `byteOffset`.
public struct RepositoryCopyExtent: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "repository_copy_extents"

    public var id: Int64?
    public var copyId: Int64
    public var partIndex: Int
    public var cartridgeId: Int64
    public var tapeFileNumber: Int64
    public var firstBlock: Int64
    public var lastBlock: Int64
    public var byteOffset: Int64
    public var byteCount: Int64
    /// On an LTFS volume: the part's file in the volume (its blocks are on the data partition,
    /// `tapeFileNumber` filemarks in); nil for the native format (schema v11).
    public var ltfsPath: String?

    public init(id: Int64? = nil, copyId: Int64, partIndex: Int, cartridgeId: Int64, tapeFileNumber: Int64,
                firstBlock: Int64, lastBlock: Int64, byteOffset: Int64, byteCount: Int64, ltfsPath: String? = nil) {
        self.id = id; self.copyId = copyId; self.partIndex = partIndex; self.cartridgeId = cartridgeId
        self.tapeFileNumber = tapeFileNumber; self.firstBlock = firstBlock; self.lastBlock = lastBlock
        self.byteOffset = byteOffset; self.byteCount = byteCount; self.ltfsPath = ltfsPath
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// An API user. Password hashing is the API's job; the catalog stores the encoded hash.
public struct User: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "users"

    public var id: Int64?
    public var name: String
    public var passwordHash: String
    /// A maintainer is bound to one media server.
    public var mediaServerId: Int64?
    public var failedLoginCount: Int
    public var lastFailedLogin: Date?
    public var lastSuccessLogin: Date?
    public var lockedUntil: Date?
    public var createdAt: Date

    public init(id: Int64? = nil, name: String, passwordHash: String, mediaServerId: Int64? = nil,
                createdAt: Date = Date()) {
        self.id = id; self.name = name; self.passwordHash = passwordHash; self.mediaServerId = mediaServerId
        self.failedLoginCount = 0; self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
