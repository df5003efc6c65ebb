import SCSI

/// Volume coherency information, attribute 080Ch, one per partition (SPC-4 table 332; LTFS
/// Format Specification 2.4 annex "Volume Coherency Information"):
/// VCR length (1, = 8), volume change reference (8), volume coherency count = index generation (8),
/// volume coherency set identifier = index start block (8), application client specific
/// information length (2), then that information: `LTFS\0`, the volume UUID + NUL (37 bytes),
/// and the LTFS version byte (1) — 43 bytes (002Bh).
public struct VolumeCoherency: Sendable, Hashable {
    public var volumeChangeReference: UInt64
    public var generation: UInt64
    public var indexStartBlock: UInt64
    public var volumeUUID: String
    public var version: UInt8

    public init(volumeChangeReference: UInt64, generation: UInt64, indexStartBlock: UInt64,
                volumeUUID: String, version: UInt8 = 1) {
        self.volumeChangeReference = volumeChangeReference
        self.generation = generation
        self.indexStartBlock = indexStartBlock
        self.volumeUUID = volumeUUID
        self.version = version
    }

    static let applicationSpecificLength = 43

    public func encodedValue() -> [UInt8] {
        var uuid = Array(volumeUUID.utf8.prefix(36))
        uuid += [UInt8](repeating: 0, count: 37 - uuid.count)
        return [8]
            + BigEndian.bytes(volumeChangeReference, count: 8)
            + BigEndian.bytes(generation, count: 8)
            + BigEndian.bytes(indexStartBlock, count: 8)
            + BigEndian.bytes(UInt64(Self.applicationSpecificLength), count: 2)
            + Array("LTFS".utf8) + [0]
            + uuid
            + [version]
    }

    public var attribute: MAMAttribute {
        MAMAttribute(id: MAMAttributeID.volumeCoherencyInformation, format: .binary, value: encodedValue())
    }

    /// Decodes the attribute's value. The VCR may be 0–8 bytes long as its length byte says;
    /// the application-specific part must be LTFS's.
    public static func decode(value: [UInt8]) throws(SCSIParseError) -> VolumeCoherency {
        let context = "volume coherency information (080Ch)"
        var reader = ByteReader(value, context: context)
        let vcrLength = Int(try reader.u8())
        let vcr = try reader.uint(vcrLength)
        let count = try reader.u64()
        let setID = try reader.u64()
        let appLength = Int(try reader.u16())
        var app = try reader.sub(appLength)
        let signature = try app.bytes(5)
        guard signature == Array("LTFS".utf8) + [0] else {
            throw SCSIParseError(.unsupportedFormat, context, offset: reader.offset - appLength,
                                 "application information is not LTFS's")
        }
        let uuidBytes = try app.bytes(37)
        let uuid = String(decoding: uuidBytes.prefix { $0 != 0 }, as: UTF8.self)
        let version = app.isAtEnd ? 0 : try app.u8()
        return VolumeCoherency(volumeChangeReference: vcr, generation: count, indexStartBlock: setID,
                               volumeUUID: uuid, version: version)
    }
}
