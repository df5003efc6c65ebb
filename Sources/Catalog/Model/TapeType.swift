import Foundation
import GRDB

/// A cartridge type (seed: tape_types), seeded by migration from scsi-reference.md.
public struct TapeType: Codable, Sendable, Equatable, FetchableRecord, TableRecord, SnakeCaseColumns {
    public static let databaseTableName = "tape_types"

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
public struct TapeCompatibility: Codable, Sendable, Equatable, FetchableRecord, TableRecord, SnakeCaseColumns {
    public static let databaseTableName = "tape_type_compatibility"

    public var driveGeneration: Int
    public var tapeTypeId: Int64
    public var canRead: Bool
    public var canWrite: Bool
}

/// The tape types indexed by barcode, loaded once per operation.
public struct TapeTypeTable: Sendable {
    public let types: [TapeType]
    /// Keyed by the two suffix bytes, upper-cased, as one number: no String per look-up.
    private let bySuffix: [UInt16: TapeType]
    private let cleaning: TapeType?

    public init(types: [TapeType]) {
        self.types = types
        var bySuffix: [UInt16: TapeType] = [:]
        for type in types {
            let bytes = Array(type.barcodeSuffix.utf8)
            guard bytes.count == 2 else { continue }
            bySuffix[Self.suffixKey(bytes[0], bytes[1])] = type
        }
        self.bySuffix = bySuffix
        self.cleaning = types.first { $0.isCleaning }
    }

    private static func upper(_ byte: UInt8) -> UInt8 { byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte }

    private static func suffixKey(_ first: UInt8, _ second: UInt8) -> UInt16 {
        UInt16(upper(first)) << 8 | UInt16(upper(second))
    }

    /// The type a volume tag names: `CLN…` is a cleaning cartridge (CLNxxxLx or CLNxxxCU), else
    /// the last two characters are the LTO media suffix (L1…L9, LA, PA, M8, WORM LT…LZ).
    /// Nil when the barcode follows no known convention.
    public func type(forVolumeTag tag: String) -> TapeType? {
        // ASCII only: barcodes are printable ASCII, and this runs for every cartridge of a sync.
        let utf8 = tag.utf8
        guard utf8.count >= 3 else { return nil }
        var prefix = utf8.makeIterator()
        if Self.upper(prefix.next() ?? 0) == UInt8(ascii: "C") && Self.upper(prefix.next() ?? 0) == UInt8(ascii: "L")
            && Self.upper(prefix.next() ?? 0) == UInt8(ascii: "N") { return cleaning }
        let lastIndex = utf8.index(before: utf8.endIndex)
        let key = Self.suffixKey(utf8[utf8.index(before: lastIndex)], utf8[lastIndex])
        return bySuffix[key]
    }

    static func load(_ sql: any CatalogSQL) throws -> TapeTypeTable {
        TapeTypeTable(types: try sql.fetchAll(TapeType.self, "SELECT * FROM tape_types ORDER BY id"))
    }
}
