import SCSI

/// Sense data as the simulator reports it, encoded in fixed format (SPC-4 table 48).
public struct SenseData: Sendable, Hashable {
    public var key: SenseKey
    public var additional: AdditionalSense
    public var filemark: Bool
    public var endOfMedium: Bool
    public var incorrectLength: Bool
    /// INFORMATION field (sets VALID); a signed residue for READ/SPACE/WRITE.
    public var information: Int64?
    /// Sense-key-specific: progress indication (0…65535), SPC-4 table 54 (progress).
    public var progress: UInt16?
    /// Sense-key-specific: field pointer into the CDB (true) or parameter list (false).
    public var fieldPointer: (cdb: Bool, byte: UInt16, bit: UInt8?)?

    public init(_ key: SenseKey, _ additional: AdditionalSense, filemark: Bool = false,
                endOfMedium: Bool = false, incorrectLength: Bool = false, information: Int64? = nil,
                progress: UInt16? = nil) {
        self.key = key
        self.additional = additional
        self.filemark = filemark
        self.endOfMedium = endOfMedium
        self.incorrectLength = incorrectLength
        self.information = information
        self.progress = progress
        self.fieldPointer = nil
    }

    public static func == (a: SenseData, b: SenseData) -> Bool { a.bytes == b.bytes }
    public func hash(into h: inout Hasher) { h.combine(bytes) }

    /// 18 bytes of fixed-format sense (SPC-4 table 48): response code 70h, additional length 10.
    public var bytes: [UInt8] {
        var b = [UInt8](repeating: 0, count: 18)
        b[0] = 0x70 | (information != nil ? 0x80 : 0)
        b[2] = key.rawValue | (filemark ? 0x80 : 0) | (endOfMedium ? 0x40 : 0) | (incorrectLength ? 0x20 : 0)
        if let info = information {
            let v = UInt32(truncatingIfNeeded: info)
            b[3] = UInt8(v >> 24); b[4] = UInt8(truncatingIfNeeded: v >> 16)
            b[5] = UInt8(truncatingIfNeeded: v >> 8); b[6] = UInt8(truncatingIfNeeded: v)
        }
        b[7] = 10
        b[12] = additional.asc
        b[13] = additional.ascq
        if let p = progress {
            // SPC-4 table 53: SKSV, then the progress indication in bytes 16–17.
            b[15] = 0x80; b[16] = UInt8(p >> 8); b[17] = UInt8(truncatingIfNeeded: p)
        } else if let f = fieldPointer {
            // SPC-4 table 52: SKSV | C/D | BPV | bit pointer, field pointer in bytes 16–17.
            b[15] = 0x80 | (f.cdb ? 0x40 : 0) | (f.bit != nil ? 0x08 : 0) | ((f.bit ?? 0) & 0x07)
            b[16] = UInt8(f.byte >> 8); b[17] = UInt8(truncatingIfNeeded: f.byte)
        }
        return b
    }

    // Common conditions.
    static func invalidField(cdbByte: Int, bit: UInt8? = nil) -> SenseData {
        var s = SenseData(.illegalRequest, .invalidFieldInCDB)
        s.fieldPointer = (true, UInt16(clamping: cdbByte), bit)
        return s
    }
    static func invalidParameter(byte: Int) -> SenseData {
        var s = SenseData(.illegalRequest, .invalidFieldInParameterList)
        s.fieldPointer = (false, UInt16(clamping: byte), nil)
        return s
    }
    static let invalidOpcode = SenseData(.illegalRequest, .invalidOperationCode)
    static let invalidElementAddress = SenseData(.illegalRequest, AdditionalSense(0x21, 0x01))
    static let parameterListLengthError = SenseData(.illegalRequest, AdditionalSense(0x1A, 0x00))
    static let savingNotSupported = SenseData(.illegalRequest, AdditionalSense(0x39, 0x00))
    static let mediumNotPresent = SenseData(.notReady, .mediumNotPresent)
    static let becomingReady = SenseData(.notReady, .becomingReady)
    static let powerOn = SenseData(.unitAttention, .powerOnOrReset)
    static let mediumChanged = SenseData(.unitAttention, .mediumMayHaveChanged)
    static let removalPrevented = SenseData(.illegalRequest, .mediumRemovalPrevented)
}

/// A command that ends in CHECK CONDITION.
struct CommandFailure: Error {
    var sense: SenseData
    /// Data-in bytes transferred before the condition (READ with ILI/FILEMARK).
    var data: [UInt8] = []
    init(_ sense: SenseData, data: [UInt8] = []) { self.sense = sense; self.data = data }
}
