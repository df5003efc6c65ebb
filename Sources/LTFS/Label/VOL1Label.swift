/// The 80-byte ANSI VOL1 label that starts each LTFS partition (LTFS Format Specification 2.4,
/// "Label Construct"; ISO/ANSI X3.27 label layout). Byte positions, 0-based:
/// 0–3 `VOL1`, 4–9 volume serial, 10 accessibility `L`, 11–23 reserved (spaces),
/// 24–36 implementation identifier `LTFS` + spaces, 37–50 owner identifier (spaces),
/// 51–78 reserved (spaces), 79 label standard version `4`.
public struct VOL1Label: Sendable, Hashable {
    public static let length = 80
    public static let implementationIdentifier = "LTFS"

    /// Six characters: the first six of the cartridge barcode, or spaces without one.
    public var volumeSerial: String
    public var implementationIdentifier: String

    public init(volumeSerial: String, implementationIdentifier: String = VOL1Label.implementationIdentifier) {
        self.volumeSerial = volumeSerial
        self.implementationIdentifier = implementationIdentifier
    }

    /// The label for a cartridge with this barcode (nil: no barcode, serial of six spaces).
    /// Throws when the barcode's first six characters are not upper-case letters or digits,
    /// the characters the reference formatter accepts as a volume serial.
    public init(barcode: String?) throws(LTFSFormatError) {
        guard let barcode, !barcode.isEmpty else {
            self.init(volumeSerial: "")
            return
        }
        let serial = Array(barcode.utf8.prefix(6))
        guard serial.count == 6, serial.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) }) else {
            throw .invalidBarcode(barcode)
        }
        self.init(volumeSerial: String(decoding: serial, as: UTF8.self))
    }

    public var isLTFS: Bool { implementationIdentifier == Self.implementationIdentifier }

    public func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0x20, count: Self.length)
        func put(_ text: String, at offset: Int, width: Int) {
            for (i, b) in text.utf8.prefix(width).enumerated() { bytes[offset + i] = b }
        }
        put("VOL1", at: 0, width: 4)
        put(volumeSerial, at: 4, width: 6)
        put("L", at: 10, width: 1)
        put(implementationIdentifier, at: 24, width: 13)
        put("4", at: 79, width: 1)
        return bytes
    }

    /// Decodes a VOL1 record. A reader checks the length and the `VOL1` label identifier;
    /// whether the implementation identifier is `LTFS` is left to `isLTFS`.
    public static func decode(_ record: [UInt8]) throws(LTFSLabelError) -> VOL1Label {
        guard record.count == length else { throw .vol1WrongLength(record.count) }
        guard Array(record[0..<4]) == Array("VOL1".utf8) else { throw .vol1NotVOL1 }
        let serial = Self.trimmed(record[4..<10])
        let implementation = Self.trimmed(record[24..<37])
        return VOL1Label(volumeSerial: serial, implementationIdentifier: implementation)
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> String {
        var chars = Array(bytes)
        while let last = chars.last, last == 0x20 || last == 0 { chars.removeLast() }
        return String(decoding: chars.map { (0x20...0x7E).contains($0) ? $0 : 0x3F }, as: UTF8.self)
    }
}
