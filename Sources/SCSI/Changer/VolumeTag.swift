/// A primary or alternate volume tag (SMC-3 6.11.5, volume tag information): a 32-byte
/// space-padded identifier (the barcode), 2 reserved bytes, a 2-byte sequence number.
public struct VolumeTag: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The volume identifier (barcode), trailing spaces removed.
    public var identifier: String
    /// VOLUME SEQUENCE NUMBER.
    public var sequence: UInt16

    public init(identifier: String, sequence: UInt16 = 0) {
        self.identifier = identifier
        self.sequence = sequence
    }

    /// Encoded size in an element descriptor.
    public static let encodedLength = 36

    /// Decodes 36 bytes; returns nil for an all-blank identifier (no label read).
    /// A field cut after the 32-byte identifier (a response cut short) reads sequence 0.
    public static func parse(_ r: inout ByteReader) throws(SCSIParseError) -> VolumeTag? {
        let trimmed = try r.asciiTrimmingBothEnds(32)
        var sequence: UInt16 = 0
        if r.remaining >= 4 {
            try r.skip(2)
            sequence = try r.u16()
        } else {
            try r.skip(r.remaining)
        }
        return trimmed.isEmpty ? nil : VolumeTag(identifier: trimmed, sequence: sequence)
    }

    /// The 36 bytes of the volume tag field; identifiers longer than 32 bytes are cut.
    public var encoded: [UInt8] {
        let id = Array(identifier.utf8.prefix(32))
        return id + Array(repeating: 0x20, count: 32 - id.count) + [0, 0]
            + BigEndian.bytes(UInt64(sequence), count: 2)
    }

    public var description: String { identifier }
}
