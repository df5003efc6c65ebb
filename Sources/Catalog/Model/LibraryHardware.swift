import Foundation
import GRDB

/// A medium changer (seed: medium_changers). `scsiPath` is `[H:C:T:L]`.
public struct MediumChanger: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "medium_changers"

    public var id: Int64?
    public var mediaServerId: Int64
    public var scsiPath: String
    public var device: String
    public var vendor: String
    public var product: String
    public var revision: String
    public var serial: String
    public var storageElementCount: Int
    public var importExportElementCount: Int
    public var dataTransferElementCount: Int
    public var transportElementCount: Int
    /// Since schema v4.
    public var state: ChangerState

    public init(id: Int64? = nil, mediaServerId: Int64, scsiPath: String, device: String,
                vendor: String = "", product: String = "", revision: String = "", serial: String = "",
                storageElementCount: Int = 0, importExportElementCount: Int = 0,
                dataTransferElementCount: Int = 0, transportElementCount: Int = 0, state: ChangerState = .online) {
        self.id = id; self.mediaServerId = mediaServerId; self.scsiPath = scsiPath; self.device = device
        self.vendor = vendor; self.product = product; self.revision = revision; self.serial = serial
        self.storageElementCount = storageElementCount; self.importExportElementCount = importExportElementCount
        self.dataTransferElementCount = dataTransferElementCount; self.transportElementCount = transportElementCount
        self.state = state
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A tape library (seed: tape_libraries): a changer, its drives and slots, on one media server.
public struct TapeLibrary: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "tape_libraries"

    public var id: Int64?
    public var mediaServerId: Int64
    public var poolId: Int64?
    public var mediumChangerId: Int64?
    public var description: String
    public var lastSync: Date?
    public var syncState: LibrarySyncState

    public init(id: Int64? = nil, mediaServerId: Int64, poolId: Int64? = nil, mediumChangerId: Int64? = nil,
                description: String = "", lastSync: Date? = nil, syncState: LibrarySyncState = .never) {
        self.id = id; self.mediaServerId = mediaServerId; self.poolId = poolId
        self.mediumChangerId = mediumChangerId; self.description = description
        self.lastSync = lastSync; self.syncState = syncState
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A tape drive, in a library or still a candidate (seed: library_tape_drives).
public struct LibraryTapeDrive: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "library_tape_drives"

    public var id: Int64?
    public var libraryId: Int64?
    public var mediaServerId: Int64
    public var device: String
    public var scsiPath: String
    /// Data-transfer element address of this drive in its changer.
    public var sysTransferElement: Int?
    public var serial: String
    public var vendor: String
    public var product: String
    public var generation: Int?
    public var state: DriveState
    public var loadedCartridgeId: Int64?
    public var mountsSinceCleaning: Int
    public var bytesSinceCleaning: Int64
    public var lastCleaning: Date?
    /// TapeAlert flags 1...64 ever seen: flag n is bit n-1 (SSC-4 TapeAlert log page).
    public var tapeAlertFlagsSeen: Int64
    /// Since schema v2.
    public var firmwareRevision: String

    public init(id: Int64? = nil, libraryId: Int64? = nil, mediaServerId: Int64, device: String,
                scsiPath: String, sysTransferElement: Int? = nil, serial: String = "", vendor: String = "",
                product: String = "", generation: Int? = nil, state: DriveState = .online,
                loadedCartridgeId: Int64? = nil, mountsSinceCleaning: Int = 0, bytesSinceCleaning: Int64 = 0,
                lastCleaning: Date? = nil, tapeAlertFlagsSeen: Int64 = 0, firmwareRevision: String = "") {
        self.id = id; self.libraryId = libraryId; self.mediaServerId = mediaServerId; self.device = device
        self.scsiPath = scsiPath; self.sysTransferElement = sysTransferElement; self.serial = serial
        self.vendor = vendor; self.product = product; self.generation = generation; self.state = state
        self.loadedCartridgeId = loadedCartridgeId; self.mountsSinceCleaning = mountsSinceCleaning
        self.bytesSinceCleaning = bytesSinceCleaning; self.lastCleaning = lastCleaning
        self.tapeAlertFlagsSeen = tapeAlertFlagsSeen; self.firmwareRevision = firmwareRevision
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One changer element as the catalog last saw it (seed: library_slots).
public struct LibrarySlot: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "library_slots"

    public var id: Int64?
    public var libraryId: Int64
    public var elementAddress: Int
    public var kind: SlotKind
    public var full: Bool
    public var volumeTag: String?
    public var sourceElement: Int?
    public var accessible: Bool
    public var exception: Bool
    public var asc: Int?
    public var ascq: Int?

    public init(id: Int64? = nil, libraryId: Int64, elementAddress: Int, kind: SlotKind, full: Bool = false,
                volumeTag: String? = nil, sourceElement: Int? = nil, accessible: Bool = true,
                exception: Bool = false, asc: Int? = nil, ascq: Int? = nil) {
        self.id = id; self.libraryId = libraryId; self.elementAddress = elementAddress; self.kind = kind
        self.full = full; self.volumeTag = volumeTag; self.sourceElement = sourceElement
        self.accessible = accessible; self.exception = exception; self.asc = asc; self.ascq = ascq
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The columns it is decoded from, in the order of its fields.
    static let decodedColumns = ["id", "library_id", "element_address", "kind", "full", "volume_tag", "source_element",
                                 "accessible", "exception", "asc", "ascq"]

    /// Decodes without Codable, by position (`PositionalRecord`): slot pages are the hottest list.
    public init(row: Row) throws {
        self = try Self.decoding(row) { try Self(decoding: $0) }
    }
}

extension LibrarySlot: PositionalRecord {
    static func field(ofColumn name: String) -> Int? {
        switch name {
        case "id": 0
        case "library_id": 1
        case "element_address": 2
        case "kind": 3
        case "full": 4
        case "volume_tag": 5
        case "source_element": 6
        case "accessible": 7
        case "exception": 8
        case "asc": 9
        case "ascq": 10
        default: nil
        }
    }

    init(values: PositionalValues<[DatabaseValue]>) throws {
        try self.init(decoding: values)
    }

    private init<Source>(decoding values: PositionalValues<Source>) throws {
        guard let kind = SlotKind(rawValue: try values.required(3)) else {
            throw CatalogError.storage("library_slots row with unknown kind")
        }
        self.init(id: try values.optional(0), libraryId: try values.required(1), elementAddress: try values.required(2),
                  kind: kind, full: try values.required(4), volumeTag: try values.optional(5),
                  sourceElement: try values.optional(6), accessible: try values.required(7),
                  exception: try values.required(8), asc: try values.optional(9), ascq: try values.optional(10))
    }
}

/// A cartridge (seed: tape_cartridges). `slotId` is set exactly when `location` is in a library.
public struct TapeCartridge: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord, SnakeCaseColumns {
    public static let databaseTableName = "tape_cartridges"

    public var id: Int64?
    public var volumeTag: String
    public var tapeTypeId: Int64?
    public var poolId: Int64?
    public var status: CartridgeStatus
    public var location: CartridgeLocation
    public var slotId: Int64?
    public var description: String
    public var bytesWritten: Int64
    public var nativeCapacity: Int64
    public var mounts: Int
    public var cleaningUsesLeft: Int?
    public var ltfsState: LTFSState
    public var ltfsCheckedAt: Date?
    public var ltfsCheckVerdict: String?
    public var lastError: String?
    public var writeProtected: Bool
    public var isWorm: Bool
    public var createdAt: Date
    /// False for a data cartridge a sync found that nobody registered yet (schema v5).
    public var isRegistered: Bool

    public init(id: Int64? = nil, volumeTag: String, tapeTypeId: Int64? = nil, poolId: Int64? = nil,
                status: CartridgeStatus = .scratch, location: CartridgeLocation = .offline, slotId: Int64? = nil,
                description: String = "", bytesWritten: Int64 = 0, nativeCapacity: Int64 = 0, mounts: Int = 0,
                cleaningUsesLeft: Int? = nil, ltfsState: LTFSState = .unknown, ltfsCheckedAt: Date? = nil,
                ltfsCheckVerdict: String? = nil, lastError: String? = nil, writeProtected: Bool = false,
                isWorm: Bool = false, createdAt: Date = Date()) {
        self.id = id; self.volumeTag = volumeTag; self.tapeTypeId = tapeTypeId; self.poolId = poolId
        self.status = status; self.location = location; self.slotId = slotId; self.description = description
        self.bytesWritten = bytesWritten; self.nativeCapacity = nativeCapacity; self.mounts = mounts
        self.cleaningUsesLeft = cleaningUsesLeft; self.ltfsState = ltfsState; self.ltfsCheckedAt = ltfsCheckedAt
        self.ltfsCheckVerdict = ltfsCheckVerdict; self.lastError = lastError
        self.writeProtected = writeProtected; self.isWorm = isWorm; self.createdAt = createdAt
        self.isRegistered = true
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
