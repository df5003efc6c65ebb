/// LTO generations and their media facts (scsi-reference.md, "LTO generations").
public enum LTOGeneration: String, Codable, Sendable, CaseIterable, Hashable {
    case lto1 = "LTO-1", lto2 = "LTO-2", lto3 = "LTO-3", lto4 = "LTO-4", lto5 = "LTO-5"
    case lto6 = "LTO-6", lto7 = "LTO-7", lto7M8 = "LTO-7-M8", lto8 = "LTO-8", lto9 = "LTO-9"
    case lto10 = "LTO-10"

    /// Generation number; M8 media counts as 7 for compatibility rules.
    public var number: Int {
        switch self {
        case .lto1: return 1
        case .lto2: return 2
        case .lto3: return 3
        case .lto4: return 4
        case .lto5: return 5
        case .lto6: return 6
        case .lto7, .lto7M8: return 7
        case .lto8: return 8
        case .lto9: return 9
        case .lto10: return 10
        }
    }

    public init?(number: Int) {
        guard let g = LTOGeneration.allCases.first(where: { $0.number == number && $0 != .lto7M8 }) else { return nil }
        self = g
    }

    /// Native capacity in bytes (decimal units).
    public var nativeCapacity: Int64 {
        let gb: Int64 = 1_000_000_000
        switch self {
        case .lto1: return 100 * gb
        case .lto2: return 200 * gb
        case .lto3: return 400 * gb
        case .lto4: return 800 * gb
        case .lto5: return 1_500 * gb
        case .lto6: return 2_500 * gb
        case .lto7: return 6_000 * gb
        case .lto7M8: return 9_000 * gb
        case .lto8: return 12_000 * gb
        case .lto9: return 18_000 * gb
        case .lto10: return 30_000 * gb
        }
    }

    /// Native transfer rate in MB/s, for the timing model.
    public var megabytesPerSecond: Int {
        switch self {
        case .lto1: return 20
        case .lto2: return 40
        case .lto3: return 80
        case .lto4: return 120
        case .lto5: return 140
        case .lto6: return 160
        case .lto7, .lto7M8: return 300
        case .lto8: return 360
        case .lto9, .lto10: return 400
        }
    }

    /// Density code reported in the mode block descriptor and REPORT DENSITY SUPPORT.
    public var densityCode: UInt8 {
        switch self {
        case .lto1: return 0x40
        case .lto2: return 0x42
        case .lto3: return 0x44
        case .lto4: return 0x46
        case .lto5: return 0x58
        case .lto6: return 0x5A
        case .lto7: return 0x5C
        case .lto7M8: return 0x5D
        case .lto8: return 0x5E
        case .lto9: return 0x60
        case .lto10: return 0x62
        }
    }

    /// Barcode media suffix for data cartridges.
    public var barcodeSuffix: String {
        switch self {
        case .lto7M8: return "M8"
        case .lto10: return "LA"
        default: return "L\(number)"
        }
    }

    /// WORM barcode suffix, where the generation has WORM media.
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

    /// Partitions exist from LTO-5 on.
    public var supportsPartitions: Bool { number >= 5 }

    /// What a drive of this generation can do with a medium of generation `medium`.
    public func access(to medium: LTOGeneration) -> MediumAccess {
        switch self {
        case .lto10:
            return medium == .lto10 ? .readWrite : .none
        case .lto9:
            return (medium == .lto8 || medium == .lto9) ? .readWrite : .none
        case .lto8:
            return (medium == .lto7 || medium == .lto7M8 || medium == .lto8) ? .readWrite : .none
        case .lto7M8:
            return .none
        default:
            if medium == .lto7M8 { return .none }
            let d = number, m = medium.number
            if m == d || m == d - 1 { return .readWrite }
            if m == d - 2 { return .readOnly }
            return .none
        }
    }
}

/// A drive's access to a medium generation (LTO compatibility matrix).
public enum MediumAccess: Sendable, Hashable {
    case readWrite, readOnly, none
}
