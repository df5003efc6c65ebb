/// Medium auxiliary memory attribute identifiers (SPC-4 tables 334–337; the subset in
/// scsi-reference.md).
public struct AttributeIdentifier: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ v: UInt16) { rawValue = v }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public static let remainingCapacity = Self(0x0000)
    public static let maximumCapacity = Self(0x0001)
    public static let loadCount = Self(0x0003)
    public static let volumeChangeReference = Self(0x0009)
    public static let totalMBWritten = Self(0x0220)
    public static let totalMBRead = Self(0x0221)
    public static let manufacturer = Self(0x0400)
    public static let serialNumber = Self(0x0401)
    public static let length = Self(0x0402)
    public static let width = Self(0x0403)
    public static let density = Self(0x0405)
    public static let manufactureDate = Self(0x0406)
    public static let mediumType = Self(0x0408)
    public static let applicationVendor = Self(0x0800)
    public static let applicationName = Self(0x0801)
    public static let applicationVersion = Self(0x0802)
    public static let userMediumTextLabel = Self(0x0803)
    public static let textLocalization = Self(0x0805)
    public static let barcode = Self(0x0806)
    public static let mediaPool = Self(0x0808)
    public static let applicationFormatVersion = Self(0x080B)
    public static let volumeCoherencyInformation = Self(0x080C)

    public var description: String {
        let names: [UInt16: String] = [
            0x0000: "remaining capacity", 0x0001: "maximum capacity", 0x0003: "load count",
            0x0009: "volume change reference", 0x0220: "total MB written", 0x0221: "total MB read",
            0x0400: "medium manufacturer", 0x0401: "medium serial number", 0x0402: "medium length",
            0x0403: "medium width", 0x0405: "medium density code", 0x0406: "medium manufacture date",
            0x0408: "medium type", 0x0800: "application vendor", 0x0801: "application name",
            0x0802: "application version", 0x0803: "user medium text label",
            0x0805: "text localization identifier", 0x0806: "barcode", 0x0808: "media pool",
            0x080B: "application format version", 0x080C: "volume coherency information",
        ]
        let id = String(rawValue, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, 4 - id.count)) + id
        return names[rawValue].map { "\($0) (\(padded)h)" } ?? "attribute \(padded)h"
    }
}

/// FORMAT of an attribute (SPC-4 table 331).
public enum AttributeFormat: UInt8, Sendable, Hashable {
    case binary = 0, ascii = 1, text = 2, reserved = 3
}

/// One MAM attribute (SPC-4 table 330): identifier (2), READ ONLY 80h | FORMAT (1),
/// length (2), value.
public struct MediumAttribute: Sendable, Hashable {
    public var id: AttributeIdentifier
    public var format: AttributeFormat
    public var readOnly: Bool
    public var value: [UInt8]

    public init(id: AttributeIdentifier, format: AttributeFormat, readOnly: Bool = false, value: [UInt8]) {
        self.id = id
        self.format = format
        self.readOnly = readOnly
        self.value = value
    }

    /// An ASCII attribute, space padded to `length` (attributes have fixed sizes, e.g.
    /// barcode 32 bytes, application vendor 8).
    public static func ascii(_ id: AttributeIdentifier, _ text: String, length: Int) -> MediumAttribute {
        let b = Array(text.utf8.prefix(length))
        return MediumAttribute(id: id, format: .ascii, value: b + Array(repeating: 0x20, count: length - b.count))
    }

    /// A binary attribute holding an unsigned integer of `length` bytes.
    public static func binary(_ id: AttributeIdentifier, _ value: UInt64, length: Int) -> MediumAttribute {
        MediumAttribute(id: id, format: .binary, value: BigEndian.bytes(value, count: min(length, 8)))
    }

    /// Binary value as an integer (nil when longer than 8 bytes).
    public var integer: UInt64? {
        guard value.count <= 8 else { return nil }
        return value.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// ASCII/text value, trimmed.
    public var text: String { String(ByteReader.trimmedASCII(value).drop(while: { $0 == " " })) }

    public var encoded: [UInt8] {
        BigEndian.bytes(UInt64(id.rawValue), count: 2) + [(readOnly ? 0x80 : 0) | format.rawValue]
            + BigEndian.bytes(UInt64(value.count), count: 2) + value
    }
}

/// Volume coherency information, attribute 080Ch (SPC-4 table 339, as LTFS uses it):
/// volume change reference value (length-prefixed), VOLUME COHERENCY COUNT (8),
/// VOLUME COHERENCY SET IDENTIFIER (8), application client specific information
/// (length-prefixed, e.g. "LTFS" + UUID).
public struct VolumeCoherencyInformation: Sendable, Hashable {
    public var volumeChangeReference: UInt64
    public var coherencyCount: UInt64
    public var setIdentifier: UInt64
    public var applicationClientSpecific: [UInt8]

    public init(volumeChangeReference: UInt64, coherencyCount: UInt64, setIdentifier: UInt64,
                applicationClientSpecific: [UInt8]) {
        self.volumeChangeReference = volumeChangeReference
        self.coherencyCount = coherencyCount
        self.setIdentifier = setIdentifier
        self.applicationClientSpecific = applicationClientSpecific
    }

    public init(parsing value: [UInt8]) throws(SCSIParseError) {
        var r = ByteReader(value, context: "volume coherency information")
        let vcrLength = Int(try r.u8())
        volumeChangeReference = try r.uint(vcrLength)
        coherencyCount = try r.u64()
        setIdentifier = try r.u64()
        let acLength = Int(try r.u16())
        applicationClientSpecific = try r.bytes(acLength)
    }

    public var encoded: [UInt8] {
        [8] + BigEndian.bytes(volumeChangeReference, count: 8) + BigEndian.bytes(coherencyCount, count: 8)
            + BigEndian.bytes(setIdentifier, count: 8)
            + BigEndian.bytes(UInt64(applicationClientSpecific.count), count: 2) + applicationClientSpecific
    }
}
