import SCSI

/// MODE SENSE on the changer: pages 1Dh, 1Eh, 1Fh and 3Fh (SMC-3 7.3).
extension LibraryCore {
    func changerModeSense(_ cdb: CDB) throws(CommandFailure) -> CommandReply {
        let ten = cdb.opcode == 0x5A
        if ten && profile.quirks.modeSense10Refused { throw CommandFailure(.invalidOpcode) }
        // MODE SENSE(6) (SPC-4 table 198) / (10) (table 200): PC bits 7–6 and page code bits
        // 5–0 of byte 2, subpage byte 3; allocation length byte 4 or bytes 7–8.
        let pageControl = cdb[2] >> 6
        let pageCode = cdb[2] & 0x3F
        let allocation = ten ? cdb.u16(7) : Int(cdb[4])
        guard cdb[3] == 0 || cdb[3] == 0xFF else { throw CommandFailure(.invalidField(cdbByte: 3)) }
        if pageControl == 3 { throw CommandFailure(.savingNotSupported) }
        let changeable = pageControl == 1
        var pages: [UInt8] = []
        switch pageCode {
        case 0x1D: pages = elementAddressAssignmentPage(changeable)
        case 0x1E: pages = transportGeometryPage(changeable)
        case 0x1F: pages = deviceCapabilitiesPage(changeable)
        case 0x3F: pages = elementAddressAssignmentPage(changeable) + transportGeometryPage(changeable) + deviceCapabilitiesPage(changeable)
        default: throw CommandFailure(.invalidField(cdbByte: 2))
        }
        // A changer has no block descriptors, so DBD makes no difference to the answer.
        let data = StandardInquiry.modeParameters(ten: ten, mediumType: 0, deviceSpecific: 0, blockDescriptor: [], pages: pages)
        return .good(data.truncated(to: allocation))
    }

    /// Element Address Assignment page (SMC-3 table 102), 20 bytes.
    func elementAddressAssignmentPage(_ changeable: Bool) -> [UInt8] {
        var b = ResponseBuffer(capacity: 20)
        b.u8(0x1D); b.u8(0x12)
        if changeable { b.zeros(18); return b.bytes }
        for t in [ElementType.transport, .storage, .importExport, .dataTransfer] {
            b.u16(count(t) > 0 ? firstAddress(t) : 0)
            b.u16(count(t))
        }
        b.zeros(2)
        return b.bytes
    }

    /// Transport Geometry Parameters page (SMC-3 table 110): 2 bytes per transport, no rotation.
    func transportGeometryPage(_ changeable: Bool) -> [UInt8] {
        var b = ResponseBuffer(capacity: 4)
        b.u8(0x1E); b.u8(2 * transports.count)
        for _ in transports { b.u8(0); b.u8(0) }  // ROTATE 0, member number 0
        return b.bytes
    }

    /// Device Capabilities page (SMC-3 table 104), 20 bytes: storage, move and exchange
    /// capabilities. Bit 0 MT, 1 ST, 2 I/E, 3 DT.
    func deviceCapabilitiesPage(_ changeable: Bool) -> [UInt8] {
        var b = ResponseBuffer(capacity: 20)
        b.u8(0x1F); b.u8(0x12)
        if changeable { b.zeros(18); return b.bytes }
        let hasIE = importExport.isEmpty ? 0 : 0x04
        let targets = UInt8(0x02 | hasIE | 0x08)       // ST, I/E, DT
        b.u8(targets)                                  // byte 2: StorDT, StorI/E, StorST
        b.u8(0)
        b.u8(targets)                                  // MT → …
        b.u8(targets)                                  // ST → …
        b.u8(importExport.isEmpty ? 0 : targets)       // I/E → …
        b.u8(targets)                                  // DT → …
        b.zeros(4)
        b.u8(targets); b.u8(targets); b.u8(importExport.isEmpty ? 0 : targets); b.u8(targets)  // exchange
        b.zeros(4)
        return b.bytes
    }
}

/// Log page encoding (SPC-4 table 374 and 377).
enum LogPage {
    static func encode(code: UInt8, body: [UInt8]) -> [UInt8] {
        var b = ResponseBuffer(capacity: 4 + body.count)
        b.u8(code); b.u8(0); b.u16(body.count)
        b.append(body)
        return b.bytes
    }

    /// One log parameter: code, control byte, length, value (SPC-4 table 377).
    static func parameter(_ code: Int, _ value: [UInt8], control: UInt8 = 0x03) -> [UInt8] {
        var b = ResponseBuffer(capacity: 4 + value.count)
        b.u16(code); b.u8(control); b.u8(value.count)
        b.append(value)
        return b.bytes
    }

    static func counter(_ code: Int, _ v: UInt64, bytes: Int = 8) -> [UInt8] {
        var b = ResponseBuffer(capacity: bytes)
        for i in (0..<bytes).reversed() { b.u8(UInt8(truncatingIfNeeded: v >> UInt64(8 * i))) }
        return parameter(code, b.bytes, control: 0x02)
    }
}
