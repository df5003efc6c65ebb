import SCSI

/// One medium auxiliary memory attribute as READ/WRITE ATTRIBUTE carry it (SPC-4 table 326,
/// "Attribute format"): identifier (2 bytes), byte 2 = READ ONLY (bit 7) and FORMAT
/// (bits 1–0: 0 binary, 1 ASCII, 2 text), length (2 bytes), then the value.
public struct MAMAttribute: Sendable, Hashable {
    public enum Format: UInt8, Sendable, Hashable {
        case binary = 0
        case ascii = 1
        case text = 2
    }

    public static let headerLength = 5

    public var id: UInt16
    public var format: Format
    public var isReadOnly: Bool
    public var value: [UInt8]

    public init(id: UInt16, format: Format, value: [UInt8], isReadOnly: Bool = false) {
        self.id = id
        self.format = format
        self.value = value
        self.isReadOnly = isReadOnly
    }

    /// An ASCII attribute, left-aligned and padded with spaces to `length` (SPC-4 4.6.1).
    public static func ascii(_ id: UInt16, _ text: String, length: Int) -> MAMAttribute {
        var value = Array(text.utf8.filter { (0x20...0x7E).contains($0) }.prefix(length))
        value += [UInt8](repeating: 0x20, count: length - value.count)
        return MAMAttribute(id: id, format: .ascii, value: value)
    }

    /// A text attribute (UTF-8 under localisation 81h), padded with NULs to `length`;
    /// a text longer than `length` is cut at a character boundary.
    public static func text(_ id: UInt16, _ text: String, length: Int) -> MAMAttribute {
        var value: [UInt8] = []
        for scalar in text.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if value.count + encoded.count > length { break }
            value += encoded
        }
        value += [UInt8](repeating: 0, count: length - value.count)
        return MAMAttribute(id: id, format: .text, value: value)
    }

    public func encoded() -> [UInt8] {
        BigEndian.bytes(UInt64(id), count: 2)
            + [(isReadOnly ? 0x80 : 0) | format.rawValue]
            + BigEndian.bytes(UInt64(value.count), count: 2)
            + value
    }

    /// Decodes one attribute (header + value) from the start of `bytes`.
    public static func decode(_ bytes: [UInt8]) throws(SCSIParseError) -> MAMAttribute {
        var reader = ByteReader(bytes, context: "MAM attribute")
        let id = try reader.u16()
        let flags = try reader.u8()
        let length = try reader.u16()
        let value = try reader.bytes(Int(length))
        guard let format = Format(rawValue: flags & 0x03) else {
            throw SCSIParseError(.invalidField, "MAM attribute", offset: 2, "format \(flags & 0x03)")
        }
        return MAMAttribute(id: id, format: format, value: value, isReadOnly: flags & 0x80 != 0)
    }

    /// The value as text: ASCII without trailing spaces, text without trailing NULs.
    public var stringValue: String {
        var chars = value
        while let last = chars.last, last == 0x20 || last == 0 { chars.removeLast() }
        return String(decoding: chars, as: UTF8.self)
    }

    /// A big-endian integer value (binary attributes of 1–8 bytes).
    public var integerValue: UInt64? {
        guard format == .binary, (1...8).contains(value.count) else { return nil }
        return value.reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// Attribute identifiers LTFS uses (SPC-4 table 329–331; LTFS Format Specification 2.4 annex,
/// "Medium auxiliary memory"; 1623h is the volume lock state the reference implementation adds).
public enum MAMAttributeID {
    public static let volumeChangeReference: UInt16 = 0x0009
    public static let applicationVendor: UInt16 = 0x0800
    public static let applicationName: UInt16 = 0x0801
    public static let applicationVersion: UInt16 = 0x0802
    public static let userMediumTextLabel: UInt16 = 0x0803
    public static let textLocalizationIdentifier: UInt16 = 0x0805
    public static let barcode: UInt16 = 0x0806
    public static let mediaPool: UInt16 = 0x0808
    public static let applicationFormatVersion: UInt16 = 0x080B
    public static let volumeCoherencyInformation: UInt16 = 0x080C
    public static let volumeLockState: UInt16 = 0x1623
}
