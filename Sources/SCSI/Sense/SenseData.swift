/// Decoded sense data, from either the fixed (70h/71h) or the descriptor (72h/73h) format.
///
/// Layouts: SPC-4 4.5.3 table 48 (fixed format) and SPC-4 4.5.2 table 27 (descriptor format),
/// with the descriptors of SPC-4 tables 30 (information), 32 (sense key specific) and
/// SSC-4 table 57 (stream commands).
public struct SenseData: Sendable, Hashable, CustomStringConvertible {
    /// The sense data format the device used.
    public enum Format: Sendable, Hashable {
        case fixed
        case descriptor
    }

    /// Response code (70h, 71h, 72h or 73h).
    public var responseCode: UInt8
    public var format: Format
    /// True for deferred errors (71h, 73h): they belong to an earlier command.
    public var isDeferred: Bool
    public var senseKey: SenseKey
    public var additionalSense: AdditionalSense
    /// FILEMARK: a filemark was encountered (SSC-4).
    public var filemark: Bool
    /// EOM: end-of-medium / early-warning / beginning-of-partition condition (SSC-4).
    public var endOfMedium: Bool
    /// ILI: the requested length did not match the logical block length.
    public var incorrectLength: Bool
    /// INFORMATION field when marked valid (fixed: VALID bit; descriptor: descriptor 00h).
    public var information: UInt64?
    /// COMMAND-SPECIFIC INFORMATION field, when non-zero.
    public var commandSpecificInformation: UInt64?
    /// Field replaceable unit code (0 = none).
    public var fieldReplaceableUnit: UInt8
    /// Sense-key-specific data when the SKSV bit is set.
    public var senseKeySpecific: SenseKeySpecific?
    /// The bytes this was decoded from.
    public var raw: [UInt8]

    public init(responseCode: UInt8 = 0x70, senseKey: SenseKey,
                additionalSense: AdditionalSense = .noAdditionalSense,
                filemark: Bool = false, endOfMedium: Bool = false, incorrectLength: Bool = false,
                information: UInt64? = nil, commandSpecificInformation: UInt64? = nil,
                fieldReplaceableUnit: UInt8 = 0, senseKeySpecific: SenseKeySpecific? = nil,
                raw: [UInt8] = []) {
        self.responseCode = responseCode
        self.format = (responseCode == 0x72 || responseCode == 0x73) ? .descriptor : .fixed
        self.isDeferred = responseCode == 0x71 || responseCode == 0x73
        self.senseKey = senseKey
        self.additionalSense = additionalSense
        self.filemark = filemark
        self.endOfMedium = endOfMedium
        self.incorrectLength = incorrectLength
        self.information = information
        self.commandSpecificInformation = commandSpecificInformation
        self.fieldReplaceableUnit = fieldReplaceableUnit
        self.senseKeySpecific = senseKeySpecific
        self.raw = raw
    }

    /// Decodes sense bytes as returned by autosense or REQUEST SENSE.
    ///
    /// Total: any input either decodes or throws `SCSIParseError`. A short buffer is accepted
    /// as long as the fields up to the sense key are present (fixed: 3 bytes, descriptor:
    /// 2 bytes); missing later fields read as zero, as SPC-4 allows truncated sense.
    public init(parsing bytes: [UInt8]) throws(SCSIParseError) {
        guard let first = bytes.first else {
            throw SCSIParseError(.truncated, "sense data", offset: 0, "empty")
        }
        let code = first & 0x7F
        switch code {
        case 0x70, 0x71: try self.init(fixed: bytes, code: code)
        case 0x72, 0x73: try self.init(descriptor: bytes, code: code)
        default:
            throw SCSIParseError(.unsupportedFormat, "sense data", offset: 0,
                                 "response code 0x" + String(code, radix: 16))
        }
    }

    /// Fixed format, SPC-4 table 48.
    private init(fixed bytes: [UInt8], code: UInt8) throws(SCSIParseError) {
        guard bytes.count >= 3 else {
            throw SCSIParseError(.truncated, "fixed sense data", offset: bytes.count,
                                 "need 3 bytes for the sense key")
        }
        // The additional sense length (byte 7) bounds the valid bytes; a device may send
        // fewer bytes than it announces, so the shorter of the two wins.
        let announced = bytes.count > 7 ? 8 + Int(bytes[7]) : bytes.count
        let valid = Array(bytes.prefix(min(bytes.count, announced)))
        func byte(_ i: Int) -> UInt8 { i < valid.count ? valid[i] : 0 }
        func field(_ range: Range<Int>) -> UInt64? {
            guard range.upperBound <= valid.count else { return nil }
            return range.reduce(UInt64(0)) { $0 << 8 | UInt64(valid[$1]) }
        }
        let b2 = bytes[2]
        let infoValid = bytes[0] & 0x80 != 0
        let information = infoValid ? field(3..<7) : nil
        let csi = field(8..<12).flatMap { $0 == 0 ? nil : $0 }
        var sks: SenseKeySpecific?
        let key = SenseKey(rawValue: b2 & 0x0F) ?? .noSense
        if valid.count >= 18, byte(15) & 0x80 != 0 {
            sks = SenseKeySpecific(senseKey: key, bytes: (byte(15), byte(16), byte(17)))
        }
        self.init(responseCode: code, senseKey: key,
                  additionalSense: AdditionalSense(byte(12), byte(13)),
                  filemark: b2 & 0x80 != 0, endOfMedium: b2 & 0x40 != 0,
                  incorrectLength: b2 & 0x20 != 0,
                  information: information, commandSpecificInformation: csi,
                  fieldReplaceableUnit: byte(14), senseKeySpecific: sks, raw: bytes)
    }

    /// Descriptor format, SPC-4 table 27; descriptors per SPC-4 table 29.
    private init(descriptor bytes: [UInt8], code: UInt8) throws(SCSIParseError) {
        guard bytes.count >= 2 else {
            throw SCSIParseError(.truncated, "descriptor sense data", offset: bytes.count,
                                 "need 2 bytes for the sense key")
        }
        func byte(_ i: Int) -> UInt8 { i < bytes.count ? bytes[i] : 0 }
        let key = SenseKey(rawValue: bytes[1] & 0x0F) ?? .noSense
        var filemark = false, eom = false, ili = false
        var information: UInt64?
        var csi: UInt64?
        var fru: UInt8 = 0
        var sks: SenseKeySpecific?
        if bytes.count > 8 {
            let end = min(bytes.count, 8 + Int(bytes[7]))
            var r = ByteReader(bytes[8..<end], context: "sense data descriptor")
            // Each descriptor: type (1), additional length (1), body. A descriptor cut off by
            // the end of the buffer is ignored rather than failing the whole sense.
            while r.remaining >= 2 {
                let type = try r.u8()
                let length = Int(try r.u8())
                guard r.remaining >= length else { break }
                let body = try r.bytes(length)
                func at(_ i: Int) -> UInt8 { i < body.count ? body[i] : 0 }
                switch type {
                case 0x00:  // Information, SPC-4 table 30: VALID bit, reserved, 8-byte field.
                    if body.count >= 10, at(0) & 0x80 != 0 {
                        information = body[2..<10].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                    }
                case 0x01:  // Command-specific information, SPC-4 table 31.
                    if body.count >= 10 {
                        let v = body[2..<10].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                        csi = v == 0 ? nil : v
                    }
                case 0x02:  // Sense key specific, SPC-4 table 32.
                    if body.count >= 5, at(2) & 0x80 != 0 {
                        sks = SenseKeySpecific(senseKey: key, bytes: (at(2), at(3), at(4)))
                    }
                case 0x03:  // Field replaceable unit, SPC-4 table 39.
                    fru = at(1)
                case 0x04:  // Stream commands, SSC-4 table 57: FILEMARK, EOM, ILI in byte 3.
                    let flags = at(1)
                    filemark = flags & 0x80 != 0
                    eom = flags & 0x40 != 0
                    ili = flags & 0x20 != 0
                case 0x05:  // Block commands, SBC-3: ILI in byte 3.
                    ili = ili || at(1) & 0x20 != 0
                default:
                    break
                }
            }
        }
        self.init(responseCode: code, senseKey: key,
                  additionalSense: AdditionalSense(byte(2), byte(3)),
                  filemark: filemark, endOfMedium: eom, incorrectLength: ili,
                  information: information, commandSpecificInformation: csi,
                  fieldReplaceableUnit: fru, senseKeySpecific: sks, raw: bytes)
    }

    /// INFORMATION as a signed number: the residue of a READ, WRITE or SPACE (requested
    /// minus actual; negative when a record was longer than requested). Fixed format carries
    /// 4 bytes, descriptor format 8.
    public var signedInformation: Int64? {
        guard let information else { return nil }
        return format == .fixed ? Int64(Int32(truncatingIfNeeded: information)) : Int64(bitPattern: information)
    }

    /// Encodes fixed-format sense data (SPC-4 table 48, 18 bytes), for simulators and tests.
    public var encodedFixed: [UInt8] {
        var b = [UInt8](repeating: 0, count: 18)
        b[0] = (isDeferred ? 0x71 : 0x70) | (information != nil ? 0x80 : 0)
        b[2] = senseKey.rawValue | (filemark ? 0x80 : 0) | (endOfMedium ? 0x40 : 0) | (incorrectLength ? 0x20 : 0)
        if let information { b.replaceSubrange(3..<7, with: BigEndian.bytes(information, count: 4)) }
        b[7] = 10
        if let csi = commandSpecificInformation { b.replaceSubrange(8..<12, with: BigEndian.bytes(csi, count: 4)) }
        b[12] = additionalSense.asc
        b[13] = additionalSense.ascq
        b[14] = fieldReplaceableUnit
        if let sks = senseKeySpecific { b.replaceSubrange(15..<18, with: sks.encoded) }
        return b
    }

    /// Encodes descriptor-format sense data (SPC-4 table 27) with information, sense key
    /// specific and stream commands descriptors as needed, for simulators and tests.
    public var encodedDescriptor: [UInt8] {
        var descriptors: [UInt8] = []
        if let information { descriptors += [0x00, 0x0A, 0x80, 0x00] + BigEndian.bytes(information, count: 8) }
        if let sks = senseKeySpecific { descriptors += [0x02, 0x06, 0x00, 0x00] + sks.encoded + [0x00] }
        if filemark || endOfMedium || incorrectLength {
            descriptors += [0x04, 0x02, 0x00,
                            (filemark ? 0x80 : 0) | (endOfMedium ? 0x40 : 0) | (incorrectLength ? 0x20 : 0)]
        }
        return [isDeferred ? 0x73 : 0x72, senseKey.rawValue, additionalSense.asc, additionalSense.ascq, 0, 0, 0,
                UInt8(truncatingIfNeeded: descriptors.count)] + descriptors
    }

    /// Progress of a long operation (0…1) when the device reports one.
    public var progress: Double? {
        if case .progress(let fraction)? = senseKeySpecific { return fraction }
        return nil
    }

    /// "NOT READY: Logical unit is in process of becoming ready".
    public var text: String {
        "\(senseKey): \(additionalSense.text)"
    }

    /// The line operators see under a failure: "sense: key 2h (NOT READY), ASC/ASCQ 04h/01h".
    public var summaryLine: String {
        "sense: key " + String(senseKey.rawValue, radix: 16, uppercase: true) + "h (\(senseKey)), ASC/ASCQ "
            + hex(additionalSense.asc) + "h/" + hex(additionalSense.ascq) + "h"
    }

    public var description: String {
        var parts = [text]
        let ascHex = "ASC/ASCQ " + hex(additionalSense.asc) + "h/" + hex(additionalSense.ascq) + "h"
        parts.append(ascHex)
        if isDeferred { parts.append("deferred") }
        if filemark { parts.append("FILEMARK") }
        if endOfMedium { parts.append("EOM") }
        if incorrectLength { parts.append("ILI") }
        if let information { parts.append("information \(information)") }
        if let sks = senseKeySpecific { parts.append(sks.description) }
        return parts.joined(separator: ", ")
    }
}

func hex(_ v: UInt8) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return s.count < 2 ? "0" + s : s
}
