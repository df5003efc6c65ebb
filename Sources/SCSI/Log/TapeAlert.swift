/// What a management layer should do about a TapeAlert flag (Bacula's policy, as
/// summarised in scsi-reference.md).
public struct TapeAlertPolicy: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let disableDrive = TapeAlertPolicy(rawValue: 1 << 0)
    public static let disableVolume = TapeAlertPolicy(rawValue: 1 << 1)
    public static let scheduleCleaning = TapeAlertPolicy(rawValue: 1 << 2)
}

/// One TapeAlert flag, 01h–40h (SSC-4 annex A, TapeAlert log page parameters).
public struct TapeAlertFlag: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: UInt8
    /// Nil outside 01h…40h.
    public init?(rawValue: UInt8) {
        guard (1...64).contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }
    init(_ v: UInt8) { rawValue = v }

    public static func < (a: TapeAlertFlag, b: TapeAlertFlag) -> Bool { a.rawValue < b.rawValue }

    public static let hardError = TapeAlertFlag(0x03)
    public static let media = TapeAlertFlag(0x04)
    public static let readFailure = TapeAlertFlag(0x05)
    public static let writeFailure = TapeAlertFlag(0x06)
    public static let mediaLife = TapeAlertFlag(0x07)
    public static let notDataGrade = TapeAlertFlag(0x08)
    public static let writeProtect = TapeAlertFlag(0x09)
    public static let cleaningMedia = TapeAlertFlag(0x0B)
    public static let unrecoverableSnappedTape = TapeAlertFlag(0x0E)
    public static let cleanNow = TapeAlertFlag(0x14)
    public static let cleanPeriodic = TapeAlertFlag(0x15)
    public static let expiredCleaningMedia = TapeAlertFlag(0x16)
    public static let invalidCleaningTape = TapeAlertFlag(0x17)

    /// The flag's name.
    public var name: String {
        TapeAlertFlag.names[Int(rawValue)] ?? "Flag \(hex(rawValue))h"
    }

    /// Severity per the TapeAlert specification: "C" critical, "W" warning, "I" information.
    public var severity: Character {
        switch rawValue {
        case 0x03...0x06, 0x0D, 0x0E, 0x10, 0x14, 0x1E, 0x1F, 0x22...0x26, 0x31...0x3A: return "C"
        case 0x01, 0x02, 0x07...0x0C, 0x0F, 0x11...0x13, 0x15...0x1D, 0x20, 0x21, 0x27, 0x3B, 0x3C: return "W"
        default: return "I"
        }
    }

    /// The actions tapelib takes for this flag.
    public var policy: TapeAlertPolicy {
        switch rawValue {
        case 0x0E, 0x14: return [.disableDrive, .disableVolume]
        case 0x07, 0x08, 0x0D, 0x16, 0x34, 0x35, 0x36: return .disableVolume
        case 0x1D, 0x1E, 0x1F, 0x26, 0x27: return .disableDrive
        case 0x15: return .scheduleCleaning
        default: return []
        }
    }

    public var description: String { "\(hex(rawValue))h \(name)" }

    static let names: [Int: String] = [
        0x01: "Read warning", 0x02: "Write warning", 0x03: "Hard error", 0x04: "Media",
        0x05: "Read failure", 0x06: "Write failure", 0x07: "Media life", 0x08: "Not data grade",
        0x09: "Write protect", 0x0A: "No removal", 0x0B: "Cleaning media", 0x0C: "Unsupported format",
        0x0D: "Recoverable mechanical cartridge failure (snapped tape)",
        0x0E: "Unrecoverable mechanical cartridge failure (snapped tape)",
        0x0F: "Memory chip in cartridge failure", 0x10: "Forced eject", 0x11: "Read only format",
        0x12: "Tape directory corrupted on load", 0x13: "Nearing media life", 0x14: "Clean now",
        0x15: "Clean periodic", 0x16: "Expired cleaning media", 0x17: "Invalid cleaning tape",
        0x18: "Retension requested", 0x19: "Dual-port interface error", 0x1A: "Cooling fan failure",
        0x1B: "Power supply failure", 0x1C: "Power consumption", 0x1D: "Drive maintenance",
        0x1E: "Hardware A", 0x1F: "Hardware B", 0x20: "Interface", 0x21: "Eject media",
        0x22: "Microcode update fail", 0x23: "Drive humidity", 0x24: "Drive temperature",
        0x25: "Drive voltage", 0x26: "Predictive failure", 0x27: "Diagnostics required",
        0x31: "Diminished native capacity", 0x32: "Lost statistics",
        0x33: "Tape directory invalid at unload", 0x34: "Tape system area write failure",
        0x35: "Tape system area read failure", 0x36: "No start of data", 0x37: "Loading failure",
        0x38: "Unrecoverable unload failure", 0x39: "Automation interface failure",
        0x3A: "Firmware failure", 0x3B: "WORM medium - integrity check failed",
        0x3C: "WORM medium - overwrite attempted",
    ]
}

/// A set of TapeAlert flags (bit n−1 for flag n).
public struct TapeAlertFlags: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(_ flags: some Sequence<TapeAlertFlag>) {
        self.init(rawValue: flags.reduce(UInt64(0)) { $0 | 1 << UInt64($1.rawValue - 1) })
    }

    public func contains(_ flag: TapeAlertFlag) -> Bool { rawValue & 1 << UInt64(flag.rawValue - 1) != 0 }

    /// The set flags in ascending order.
    public var flags: [TapeAlertFlag] {
        (1...64).compactMap { n in rawValue & 1 << UInt64(n - 1) != 0 ? TapeAlertFlag(rawValue: UInt8(n)) : nil }
    }

    /// The union of the set flags' policies.
    public var policy: TapeAlertPolicy { flags.reduce([]) { $0.union($1.policy) } }

    /// TapeAlert log page 2Eh (SSC-4 table 140): one parameter per flag, codes 0001h–0040h,
    /// the flag in bit 0 of its 1-byte value. Reading it clears the flags on most drives.
    public init(parsingTapeAlertLog data: [UInt8]) throws(SCSIParseError) {
        let page = try LogPage(parsing: data, expectedPage: 0x2E)
        var raw: UInt64 = 0
        for p in try page.parameters() where (1...64).contains(p.code) {
            if let v = p.value.first, v & 0x01 != 0 { raw |= 1 << UInt64(p.code - 1) }
        }
        self.init(rawValue: raw)
    }

    /// TapeAlert Response log page 12h (SSC-4 table 133): parameter 0000h with 8 bytes,
    /// flag 01h in bit 7 of the first byte … flag 40h in bit 0 of the last. Reading it does
    /// not clear the flags.
    public init(parsingTapeAlertResponseLog data: [UInt8]) throws(SCSIParseError) {
        let page = try LogPage(parsing: data, expectedPage: 0x12)
        guard let p = try page.parameters().first(where: { $0.code == 0 }), p.value.count >= 8 else {
            throw SCSIParseError(.invalidField, "TapeAlert Response log page", offset: 4,
                                 "missing 8-byte flag parameter 0000h")
        }
        // Bit 7 of byte 0 is flag 1: reversing the 64-bit big-endian value maps flag n to bit n−1.
        let be = p.value.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        var raw: UInt64 = 0
        for n in 0..<64 where be & (1 << UInt64(63 - n)) != 0 { raw |= 1 << UInt64(n) }
        self.init(rawValue: raw)
    }

    /// Encodes page 2Eh (all 64 parameters), for simulators and tests.
    public func encodedTapeAlertLog() -> [UInt8] {
        LogPage.encoded(code: 0x2E, parameters: (1...64).map { n in
            LogParameter(code: UInt16(n), control: 0x00, value: [rawValue & 1 << UInt64(n - 1) != 0 ? 1 : 0])
        })
    }

    public var description: String {
        flags.isEmpty ? "no TapeAlert flags" : flags.map(\.description).joined(separator: ", ")
    }
}
