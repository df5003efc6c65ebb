/// READ BLOCK LIMITS data (SSC-4 table 36, 6 bytes): GRANULARITY byte 0 bits 4–0,
/// MAXIMUM BLOCK LENGTH LIMIT bytes 1–3, MINIMUM BLOCK LENGTH LIMIT bytes 4–5.
/// With MLOI (SSC-4 table 37, 20 bytes): MAXIMUM LOGICAL OBJECT IDENTIFIER bytes 12–19.
public struct BlockLimits: Sendable, Hashable {
    /// Block lengths must be a multiple of 2^granularity.
    public var granularity: UInt8
    public var maximumBlockLength: UInt32
    public var minimumBlockLength: UInt16

    public init(granularity: UInt8 = 0, maximumBlockLength: UInt32, minimumBlockLength: UInt16) {
        self.granularity = granularity
        self.maximumBlockLength = maximumBlockLength
        self.minimumBlockLength = minimumBlockLength
    }

    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        var r = ByteReader(data, context: "READ BLOCK LIMITS data")
        granularity = try r.u8() & 0x1F
        maximumBlockLength = try r.u24()
        minimumBlockLength = try r.u16()
    }

    /// Parses the 20-byte MLOI form and returns the maximum logical object identifier.
    public static func maximumLogicalObjectIdentifier(parsing data: [UInt8]) throws(SCSIParseError) -> UInt64 {
        var r = ByteReader(data, context: "READ BLOCK LIMITS MLOI data")
        try r.skip(12)
        return try r.u64()
    }

    public var encoded: [UInt8] {
        [granularity & 0x1F] + BigEndian.bytes(UInt64(maximumBlockLength), count: 3)
            + BigEndian.bytes(UInt64(minimumBlockLength), count: 2)
    }
}
