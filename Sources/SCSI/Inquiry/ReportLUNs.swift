/// REPORT LUNS parameter data (SPC-4 table 164): LUN LIST LENGTH (4), reserved (4),
/// then 8-byte LUNs.
public struct LUNList: Sendable, Hashable {
    /// The LUNs as 8-byte values (SAM-5 format).
    public var luns: [UInt64]
    /// True when LUN LIST LENGTH exceeded the transfer.
    public var isTruncated: Bool

    public init(luns: [UInt64]) {
        self.luns = luns
        self.isTruncated = false
    }

    /// Encodes REPORT LUNS data.
    public var encoded: [UInt8] {
        BigEndian.bytes(UInt64(luns.count * 8), count: 4) + [0, 0, 0, 0]
            + luns.flatMap { BigEndian.bytes($0, count: 8) }
    }

    /// The 8-byte LUN for a single-level LUN number (peripheral addressing below 256,
    /// flat addressing above; SAM-5 4.7).
    public static func lun(_ number: UInt16) -> UInt64 {
        number < 256 ? UInt64(number) << 48 : (UInt64(0x4000 | number & 0x3FFF)) << 48
    }

    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        var r = ByteReader(data, context: "REPORT LUNS data")
        let length = Int(try r.u32())
        try r.skip(4)
        guard length % 8 == 0 else {
            throw SCSIParseError(.invalidField, r.context, offset: 0, "LUN list length \(length) not a multiple of 8")
        }
        isTruncated = length > r.remaining
        var list: [UInt64] = []
        var count = min(length, r.remaining) / 8
        while count > 0 {
            list.append(try r.u64())
            count -= 1
        }
        luns = list
    }

    /// LUN numbers for the peripheral (00b) and flat (01b) addressing methods of the first
    /// level (SAM-5 4.7); other methods are left out.
    public var simpleNumbers: [UInt16] {
        luns.compactMap { lun in
            let first = UInt16(lun >> 48)
            switch first >> 14 {
            case 0: return first & 0x00FF
            case 1: return first & 0x3FFF
            default: return nil
            }
        }
    }
}
