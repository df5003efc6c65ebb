import SCSI

/// What a simulated device answers to one CDB, before the transport applies the data-in length.
struct CommandReply {
    var status: SCSIStatus
    var data: [UInt8]
    var sense: SenseData?

    static func good(_ data: [UInt8] = []) -> CommandReply { CommandReply(status: .good, data: data, sense: nil) }
    static func check(_ sense: SenseData, data: [UInt8] = []) -> CommandReply {
        CommandReply(status: .checkCondition, data: data, sense: sense)
    }
}

/// Fields of a CDB, read totally: bytes beyond the CDB read as zero (the length is checked
/// against the opcode's group before dispatch).
struct CDB {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var opcode: UInt8 { bytes.first ?? 0 }
    subscript(_ i: Int) -> UInt8 { i < bytes.count ? bytes[i] : 0 }
    func bit(_ byte: Int, _ bit: Int) -> Bool { self[byte] & (1 << bit) != 0 }
    func u16(_ at: Int) -> Int { Int(self[at]) << 8 | Int(self[at + 1]) }
    func u24(_ at: Int) -> Int { Int(self[at]) << 16 | Int(self[at + 1]) << 8 | Int(self[at + 2]) }
    func u32(_ at: Int) -> Int { Int(self[at]) << 24 | Int(self[at + 1]) << 16 | Int(self[at + 2]) << 8 | Int(self[at + 3]) }
    func u64(_ at: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(self[at + $1]) } }
    /// Sign-extended 24-bit count (SPACE(6), SSC-4 table 43).
    func s24(_ at: Int) -> Int { let v = u24(at); return v & 0x80_0000 != 0 ? v - 0x100_0000 : v }

    /// The CDB length implied by the opcode's group code (SPC-4 4.2.5.1).
    static func expectedLength(_ opcode: UInt8) -> Int {
        switch opcode >> 5 {
        case 0: return 6
        case 1, 2: return 10
        case 4: return 16
        case 5: return 12
        default: return 6
        }
    }
}

/// Big-endian response encoding.
struct ResponseBuffer {
    var bytes: [UInt8] = []
    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u8(_ v: Int) { bytes.append(UInt8(truncatingIfNeeded: v)) }
    mutating func u16(_ v: Int) { bytes.append(UInt8(truncatingIfNeeded: v >> 8)); bytes.append(UInt8(truncatingIfNeeded: v)) }
    mutating func u24(_ v: Int) { u8(v >> 16); u16(v) }
    mutating func u32(_ v: Int) { u16(v >> 16); u16(v) }
    mutating func u32(_ v: UInt32) { u32(Int(v)) }
    mutating func u64(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) } }
    mutating func zeros(_ n: Int) { if n > 0 { bytes.append(contentsOf: repeatElement(0, count: n)) } }
    mutating func append(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    /// ASCII left-aligned, space padded (or cut) to `width` (SPC-4 4.3.1).
    mutating func ascii(_ s: String, width: Int, pad: UInt8 = 0x20) { bytes.append(contentsOf: Self.ascii(s, width: width, pad: pad)) }
    /// Patches a big-endian value at a given offset.
    mutating func set16(_ at: Int, _ v: Int) { bytes[at] = UInt8(truncatingIfNeeded: v >> 8); bytes[at + 1] = UInt8(truncatingIfNeeded: v) }
    mutating func set24(_ at: Int, _ v: Int) { bytes[at] = UInt8(truncatingIfNeeded: v >> 16); set16(at + 1, v) }
    mutating func set32(_ at: Int, _ v: Int) { set16(at, v >> 16); set16(at + 2, v) }
    var count: Int { bytes.count }

    static func ascii(_ s: String, width: Int, pad: UInt8 = 0x20) -> [UInt8] {
        var out = Array(s.utf8.prefix(width))
        if out.count < width { out.append(contentsOf: repeatElement(pad, count: width - out.count)) }
        return out
    }
}
