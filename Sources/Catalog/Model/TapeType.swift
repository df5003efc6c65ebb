import Foundation
import GRDB

/// A cartridge type (seed: tape_types), seeded by migration from scsi-reference.md.
public struct TapeType: Codable, Sendable, Equatable, FetchableRecord, TableRecord {
    public static let databaseTableName = "tape_types"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase

    public var id: Int64
    public var name: String
    public var generation: Int?
    /// Bytes, uncompressed.
    public var nativeCapacity: Int64
    public var nativeSpeedMbps: Int?
    public var densityCode: Int?
    public var barcodeSuffix: String
    public var isWorm: Bool
    public var isCleaning: Bool
    public var supportsPartitions: Bool
}

/// A row of the read/write compatibility matrix.
public struct TapeCompatibility: Codable, Sendable, Equatable, FetchableRecord, TableRecord {
    public static let databaseTableName = "tape_type_compatibility"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase

    public var driveGeneration: Int
    public var tapeTypeId: Int64
    public var canRead: Bool
    public var canWrite: Bool
}

/// The tape types indexed by barcode, loaded once per operation.
public struct TapeTypeTable: Sendable {
    public let types: [TapeType]
    private let bySuffix: [String: TapeType]
    private let cleaning: TapeType?

    public init(types: [TapeType]) {
        self.types = types
        var bySuffix: [String: TapeType] = [:]
        for type in types { bySuffix[type.barcodeSuffix] = type }
        self.bySuffix = bySuffix
        self.cleaning = types.first { $0.isCleaning }
    }

    /// The type a volume tag names: `CLN…` is a cleaning cartridge (CLNxxxLx or CLNxxxCU), else
    /// the last two characters are the LTO media suffix (L1…L9, LA, PA, M8, WORM LT…LZ).
    /// Nil when the barcode follows no known convention.
    public func type(forVolumeTag tag: String) -> TapeType? {
        // ASCII only: barcodes are printable ASCII, and this runs for every cartridge of a sync.
        let bytes = Array(tag.utf8)
        guard bytes.count >= 3 else { return nil }
        func upper(_ byte: UInt8) -> UInt8 { byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte }
        if upper(bytes[0]) == UInt8(ascii: "C") && upper(bytes[1]) == UInt8(ascii: "L")
            && upper(bytes[2]) == UInt8(ascii: "N") { return cleaning }
        let suffix = String(decoding: [upper(bytes[bytes.count - 2]), upper(bytes[bytes.count - 1])], as: UTF8.self)
        return bySuffix[suffix]
    }

    static func load(_ db: Database) throws -> TapeTypeTable {
        TapeTypeTable(types: try TapeType.order(Column("id")).fetchAll(db))
    }
}
