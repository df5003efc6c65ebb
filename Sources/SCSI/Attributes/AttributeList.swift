/// READ ATTRIBUTE data for service action 00h ATTRIBUTE VALUES (SPC-4 table 329):
/// AVAILABLE DATA (4 bytes), then attributes.
public struct AttributeList: Sendable, Hashable {
    public var attributes: [MediumAttribute]
    /// True when AVAILABLE DATA exceeded the transfer: only complete attributes are listed.
    public var isTruncated: Bool

    public init(attributes: [MediumAttribute]) {
        self.attributes = attributes
        self.isTruncated = false
    }

    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        var r = ByteReader(data, context: "READ ATTRIBUTE data")
        let available = Int(try r.u32())
        let end = min(data.count, 4 + available)
        isTruncated = 4 + available > data.count
        var a = ByteReader(data[4..<end], context: "READ ATTRIBUTE attribute")
        var list: [MediumAttribute] = []
        while a.remaining >= 5 {
            let id = try a.u16()
            let b2 = try a.u8()
            let length = Int(try a.u16())
            guard a.remaining >= length else {
                // An attribute cut by the allocation length is left out; one that claims
                // more bytes than AVAILABLE DATA is a contradiction.
                if isTruncated { break }
                throw SCSIParseError(.invalidField, a.context, offset: a.offset,
                                     "attribute \(hex(UInt8(id >> 8)))\(hex(UInt8(id & 0xFF)))h length \(length) exceeds available data")
            }
            list.append(MediumAttribute(id: AttributeIdentifier(id), format: AttributeFormat(rawValue: b2 & 0x03) ?? .binary,
                                        readOnly: b2 & 0x80 != 0, value: try a.bytes(length)))
        }
        if !a.isAtEnd && !isTruncated {
            throw SCSIParseError(.truncated, a.context, offset: a.offset, "\(a.remaining) stray bytes")
        }
        attributes = list
    }

    public subscript(id: AttributeIdentifier) -> MediumAttribute? {
        attributes.first { $0.id == id }
    }

    public var remainingCapacityMiB: UInt64? { self[.remainingCapacity]?.integer }
    public var maximumCapacityMiB: UInt64? { self[.maximumCapacity]?.integer }
    public var loadCount: UInt64? { self[.loadCount]?.integer }
    public var volumeChangeReference: UInt64? { self[.volumeChangeReference]?.integer }
    public var totalMBWritten: UInt64? { self[.totalMBWritten]?.integer }
    public var totalMBRead: UInt64? { self[.totalMBRead]?.integer }
    public var manufacturer: String? { self[.manufacturer]?.text }
    public var serialNumber: String? { self[.serialNumber]?.text }
    /// MEDIUM DENSITY CODE (0405h), e.g. 5Eh for LTO-8.
    public var densityCode: UInt8? { self[.density]?.value.first }
    /// MEDIUM MANUFACTURE DATE (0406h), "YYYYMMDD".
    public var manufactureDate: String? { self[.manufactureDate]?.text }
    /// MEDIUM TYPE (0408h): 00h data, 01h cleaning, 80h WORM.
    public var mediumType: UInt8? { self[.mediumType]?.value.first }
    public var applicationVendor: String? { self[.applicationVendor]?.text }
    public var applicationName: String? { self[.applicationName]?.text }
    public var applicationVersion: String? { self[.applicationVersion]?.text }
    public var userMediumTextLabel: String? { self[.userMediumTextLabel]?.text }
    public var barcode: String? { self[.barcode]?.text }
    public var mediaPool: String? { self[.mediaPool]?.text }
    public var applicationFormatVersion: String? { self[.applicationFormatVersion]?.text }
    public var volumeCoherency: VolumeCoherencyInformation? {
        self[.volumeCoherencyInformation].flatMap { try? VolumeCoherencyInformation(parsing: $0.value) }
    }

    /// Encodes READ ATTRIBUTE data (for simulators and tests).
    public var encoded: [UInt8] {
        let body = attributes.flatMap(\.encoded)
        return BigEndian.bytes(UInt64(body.count), count: 4) + body
    }

    /// A WRITE ATTRIBUTE parameter list (SPC-4 table 187): PARAMETER LIST LENGTH (4 bytes,
    /// excluding itself), then the attributes. READ ONLY bits are cleared.
    public static func parameterList(_ attributes: [MediumAttribute]) -> [UInt8] {
        let body = attributes.flatMap { a -> [UInt8] in
            var w = a
            w.readOnly = false
            return w.encoded
        }
        return BigEndian.bytes(UInt64(body.count), count: 4) + body
    }
}

/// READ ATTRIBUTE data for service actions 01h ATTRIBUTE LIST and 05h SUPPORTED ATTRIBUTES
/// (SPC-4 table 340): AVAILABLE DATA (4), then 2-byte identifiers.
public struct AttributeIdentifierList: Sendable, Hashable {
    public var identifiers: [AttributeIdentifier]
    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        var r = ByteReader(data, context: "READ ATTRIBUTE identifier list")
        let available = Int(try r.u32())
        var list: [AttributeIdentifier] = []
        let end = min(data.count - 4, available)
        var body = try r.sub(end - end % 2)
        while !body.isAtEnd { list.append(AttributeIdentifier(try body.u16())) }
        identifiers = list
    }
}
