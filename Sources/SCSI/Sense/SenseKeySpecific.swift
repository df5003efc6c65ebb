/// Sense-key-specific data (SPC-4 4.5.2.4.1, tables 33–38), valid when SKSV is set.
/// The meaning of the three bytes depends on the sense key.
public enum SenseKeySpecific: Sendable, Hashable, CustomStringConvertible {
    /// ILLEGAL REQUEST: which byte (and bit) of the CDB or parameter list was wrong
    /// (SPC-4 table 34).
    case fieldPointer(inCDB: Bool, bitPointer: UInt8?, field: UInt16)
    /// RECOVERED / HARDWARE / MEDIUM ERROR: actual retry count (SPC-4 table 35).
    case actualRetryCount(UInt16)
    /// NO SENSE / NOT READY: progress of a long operation as a fraction 0…1
    /// (SPC-4 table 36: PROGRESS INDICATION / 65536).
    case progress(Double)
    /// COPY ABORTED: segment pointer (SPC-4 table 37).
    case segmentPointer(segmentDescriptor: Bool, bitPointer: UInt8?, field: UInt16)
    /// UNIT ATTENTION: unit attention condition queue overflowed (SPC-4 table 38).
    case unitAttentionQueueOverflow(Bool)
    /// Any other sense key: the raw 3 bytes.
    case other(UInt8, UInt8, UInt8)

    /// Decodes the three bytes (SKSV in bit 7 of the first) for `senseKey`.
    public init(senseKey: SenseKey, bytes: (UInt8, UInt8, UInt8)) {
        let (b0, b1, b2) = bytes
        let value = UInt16(b1) << 8 | UInt16(b2)
        switch senseKey {
        case .illegalRequest:
            let bpv = b0 & 0x08 != 0
            self = .fieldPointer(inCDB: b0 & 0x40 != 0, bitPointer: bpv ? b0 & 0x07 : nil,
                                 field: value)
        case .recoveredError, .hardwareError, .mediumError:
            self = .actualRetryCount(value)
        case .noSense, .notReady:
            self = .progress(Double(value) / 65536.0)
        case .copyAborted:
            let bpv = b0 & 0x08 != 0
            self = .segmentPointer(segmentDescriptor: b0 & 0x20 != 0,
                                   bitPointer: bpv ? b0 & 0x07 : nil, field: value)
        case .unitAttention:
            self = .unitAttentionQueueOverflow(b0 & 0x01 != 0)
        default:
            self = .other(b0, b1, b2)
        }
    }

    /// The three bytes with SKSV set (inverse of `init(senseKey:bytes:)`).
    public var encoded: [UInt8] {
        func split(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
        switch self {
        case .fieldPointer(let inCDB, let bit, let field):
            return [0x80 | (inCDB ? 0x40 : 0) | (bit.map { 0x08 | $0 & 0x07 } ?? 0)] + split(field)
        case .actualRetryCount(let n): return [0x80] + split(n)
        case .progress(let f):
            let v = UInt16(clamping: Int((max(0, min(f, 1)) * 65536).rounded(.down)))
            return [0x80] + split(v)
        case .segmentPointer(let sd, let bit, let field):
            return [0x80 | (sd ? 0x20 : 0) | (bit.map { 0x08 | $0 & 0x07 } ?? 0)] + split(field)
        case .unitAttentionQueueOverflow(let o): return [0x80 | (o ? 0x01 : 0), 0, 0]
        case .other(let a, let b, let c): return [a | 0x80, b, c]
        }
    }

    /// Percent done (0…100) for a progress indication.
    public var percent: Double? {
        if case .progress(let f) = self { return f * 100 }
        return nil
    }

    public var description: String {
        switch self {
        case .fieldPointer(let inCDB, let bit, let field):
            var s = "invalid field in \(inCDB ? "CDB" : "parameter list") byte \(field)"
            if let bit { s += " bit \(bit)" }
            return s
        case .actualRetryCount(let n): return "retries \(n)"
        case .progress(let f):
            let tenths = Int((f * 1000).rounded())
            return "progress \(tenths / 10).\(tenths % 10)%"
        case .segmentPointer(let sd, let bit, let field):
            var s = "\(sd ? "segment descriptor" : "parameter list") byte \(field)"
            if let bit { s += " bit \(bit)" }
            return s
        case .unitAttentionQueueOverflow(let o): return o ? "unit attention queue overflow" : "no overflow"
        case .other(let a, let b, let c): return "sense key specific \(hex(a)) \(hex(b)) \(hex(c))"
        }
    }
}
