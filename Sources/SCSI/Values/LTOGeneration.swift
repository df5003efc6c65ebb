/// LTO generations and media types (scsi-reference.md, "LTO generations").
public enum LTOGeneration: Int, Sendable, Hashable, CaseIterable, Codable, Comparable, CustomStringConvertible {
    case lto1 = 1, lto2, lto3, lto4, lto5, lto6, lto7
    /// LTO-7 media initialised as Type M (M8) in an LTO-8 drive: 9 TB.
    case lto7TypeM
    case lto8, lto9, lto10
    /// LTO-10 40 TB media (PA).
    case lto10HighCapacity

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .lto7TypeM: return "LTO-7 M8"
        case .lto10HighCapacity: return "LTO-10 40TB"
        case .lto8: return "LTO-8"
        case .lto9: return "LTO-9"
        case .lto10: return "LTO-10"
        default: return "LTO-\(rawValue)"
        }
    }

    /// The generation's number as the LTO programme counts them (1…10): M8 media is LTO-7
    /// media, the 40 TB LTO-10 media LTO-10. The catalog's compatibility matrix is keyed by it.
    public var number: Int {
        switch self {
        case .lto7TypeM: return 7
        case .lto8: return 8
        case .lto9: return 9
        case .lto10, .lto10HighCapacity: return 10
        default: return rawValue
        }
    }

    /// Native (uncompressed) capacity in bytes (decimal units).
    public var nativeCapacity: UInt64 {
        let gb: UInt64 = 1_000_000_000
        switch self {
        case .lto1: return 100 * gb
        case .lto2: return 200 * gb
        case .lto3: return 400 * gb
        case .lto4: return 800 * gb
        case .lto5: return 1_500 * gb
        case .lto6: return 2_500 * gb
        case .lto7: return 6_000 * gb
        case .lto7TypeM: return 9_000 * gb
        case .lto8: return 12_000 * gb
        case .lto9: return 18_000 * gb
        case .lto10: return 30_000 * gb
        case .lto10HighCapacity: return 40_000 * gb
        }
    }

    /// Native transfer rate in MB/s (nil where not published).
    public var nativeSpeedMBps: Int? {
        switch self {
        case .lto1: return 20
        case .lto2: return 40
        case .lto3: return 80
        case .lto4: return 120
        case .lto5: return 140
        case .lto6: return 160
        case .lto7, .lto7TypeM: return 300
        case .lto8: return 360
        case .lto9, .lto10: return 400
        case .lto10HighCapacity: return nil
        }
    }

    /// Barcode suffix of data cartridges ("L8", "M8", "LA", …).
    public var barcodeSuffix: String {
        switch self {
        case .lto7TypeM: return "M8"
        case .lto10: return "LA"
        case .lto10HighCapacity: return "PA"
        case .lto8: return "L8"
        case .lto9: return "L9"
        default: return "L\(rawValue)"
        }
    }

    /// Barcode suffix of WORM cartridges (LTO-3 to LTO-9).
    public var wormBarcodeSuffix: String? {
        switch self {
        case .lto3: return "LT"
        case .lto4: return "LU"
        case .lto5: return "LV"
        case .lto6: return "LW"
        case .lto7: return "LX"
        case .lto8: return "LY"
        case .lto9: return "LZ"
        default: return nil
        }
    }

    /// Density code as reported in the mode block descriptor and REPORT DENSITY SUPPORT.
    public var densityCode: UInt8 {
        switch self {
        case .lto1: return 0x40
        case .lto2: return 0x42
        case .lto3: return 0x44
        case .lto4: return 0x46
        case .lto5: return 0x58
        case .lto6: return 0x5A
        case .lto7: return 0x5C
        case .lto7TypeM: return 0x5D
        case .lto8: return 0x5E
        case .lto9: return 0x60
        case .lto10: return 0x62
        case .lto10HighCapacity: return 0x63
        }
    }

    /// Whether the medium can hold two partitions (needed by LTFS): LTO-5 and later.
    public var supportsPartitions: Bool { self >= .lto5 }

    /// The generation with this density code.
    public init?(densityCode: UInt8) {
        guard let g = LTOGeneration.allCases.first(where: { $0.densityCode == densityCode }) else { return nil }
        self = g
    }

    /// The generation of a barcode suffix, data or WORM ("L8", "LY", "M8"); cleaning
    /// suffixes ("CU") have none.
    public init?(barcodeSuffix: String) {
        let s = barcodeSuffix.uppercased()
        guard let g = LTOGeneration.allCases.first(where: { $0.barcodeSuffix == s || $0.wormBarcodeSuffix == s })
        else { return nil }
        self = g
    }

    /// Media generations a drive of this generation reads (self is the drive).
    /// Up to LTO-7: own and two back; LTO-8: LTO-7, M8, LTO-8; LTO-9: LTO-8, LTO-9;
    /// LTO-10: LTO-10 media only. M8 is a media type, not a drive: nothing.
    public func canRead(_ media: LTOGeneration) -> Bool {
        switch self {
        case .lto1, .lto2, .lto3, .lto4, .lto5, .lto6, .lto7:
            return media.rawValue <= rawValue && media.rawValue >= rawValue - 2
        case .lto7TypeM: return false
        case .lto8: return media == .lto7 || media == .lto7TypeM || media == .lto8
        case .lto9: return media == .lto8 || media == .lto9
        case .lto10, .lto10HighCapacity: return media == .lto10 || media == .lto10HighCapacity
        }
    }

    /// Media generations a drive of this generation writes (self is the drive).
    /// Up to LTO-7: own and one back; later generations as `canRead`.
    public func canWrite(_ media: LTOGeneration) -> Bool {
        switch self {
        case .lto1, .lto2, .lto3, .lto4, .lto5, .lto6, .lto7:
            return media.rawValue <= rawValue && media.rawValue >= rawValue - 1
        default:
            return canRead(media)
        }
    }
}

/// What an LTO barcode label says: 6-character volume serial plus 2-character media id.
public struct LTOCartridgeLabel: Sendable, Hashable {
    public var volumeSerial: String
    /// Nil for cleaning cartridges and unknown suffixes.
    public var generation: LTOGeneration?
    public var isWORM: Bool
    /// CLNxxxLx or CLNxxxCU (universal) cleaning cartridges.
    public var isCleaning: Bool

    /// Parses an 8-character label; nil for other lengths.
    public init?(barcode: String) {
        let b = barcode.trimmingSpaces.uppercased()
        guard b.count == 8 else { return nil }
        let suffix = String(b.suffix(2))
        volumeSerial = String(b.prefix(6))
        isCleaning = b.hasPrefix("CLN") && (suffix == "CU" || suffix.hasPrefix("L"))
        let g = LTOGeneration(barcodeSuffix: suffix)
        generation = g
        isWORM = g?.wormBarcodeSuffix == suffix
    }
}

extension String {
    var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
