/// INQUIRY, VPD pages and REPORT LUNS, common to the changer and the drives (SPC-4).
enum StandardInquiry {
    /// Standard INQUIRY data, 96 bytes (SPC-4 table 142).
    static func standard(deviceType: UInt8, removable: Bool, identity: DeviceIdentity) -> [UInt8] {
        var b = ResponseBuffer(capacity: 96)
        b.u8(deviceType & 0x1F)              // peripheral qualifier 000b, device type
        b.u8(removable ? 0x80 : 0x00)        // RMB
        b.u8(0x06)                           // VERSION: SPC-4
        b.u8(0x12)                           // HISUP, RESPONSE DATA FORMAT 2
        b.u8(96 - 5)                         // ADDITIONAL LENGTH (n − 4)
        b.u8(0x00)
        b.u8(0x00)
        b.u8(0x02)                           // CMDQUE
        b.ascii(identity.vendor, width: 8)
        b.ascii(identity.product, width: 16)
        b.ascii(identity.revision, width: 4)
        b.ascii(identity.serial, width: 20)  // bytes 36–55 vendor specific: the serial, as IBM does
        b.zeros(96 - b.count)
        return b.bytes
    }

    /// A VPD page (SPC-4 7.8), or nil when the page is not supported.
    static func vpd(page: UInt8, deviceType: UInt8, identity: DeviceIdentity) -> [UInt8]? {
        var b = ResponseBuffer(capacity: 64)
        b.u8(deviceType & 0x1F)
        b.u8(page)
        switch page {
        case 0x00:
            // Supported VPD pages (SPC-4 table 608).
            let pages: [UInt8] = [0x00, 0x80, 0x83]
            b.u16(pages.count)
            b.append(pages)
        case 0x80:
            // Unit serial number (SPC-4 table 610).
            let serial = Array(identity.serial.utf8)
            b.u16(serial.count)
            b.append(serial)
        case 0x83:
            // Device identification (SPC-4 table 589): one T10 vendor ID based designator
            // (table 594): code set 2 (ASCII), association 0, designator type 1.
            let designator = ResponseBuffer.ascii(identity.vendor, width: 8)
                + ResponseBuffer.ascii(identity.product, width: 16) + Array(identity.serial.utf8)
            b.u16(4 + designator.count)
            b.u8(0x02)
            b.u8(0x01)
            b.u8(0x00)
            b.u8(designator.count)
            b.append(designator)
        default:
            return nil
        }
        return b.bytes
    }

    /// INQUIRY (SPC-4 table 176): EVPD bit 0 of byte 1, page code byte 2, allocation length 3–4.
    static func inquiry(_ cdb: CDB, deviceType: UInt8, removable: Bool, identity: DeviceIdentity) -> CommandReply {
        let allocation = cdb.u16(3)
        if cdb.bit(1, 1) { return .check(.invalidField(cdbByte: 1, bit: 1)) }  // CMDDT (obsolete)
        if cdb.bit(1, 0) {
            guard let page = vpd(page: cdb[2], deviceType: deviceType, identity: identity) else {
                return .check(.invalidField(cdbByte: 2))
            }
            return .good(page.truncated(to: allocation))
        }
        if cdb[2] != 0 { return .check(.invalidField(cdbByte: 2)) }
        return .good(standard(deviceType: deviceType, removable: removable, identity: identity).truncated(to: allocation))
    }

    /// REPORT LUNS (SPC-4 table 283): one LUN, 0. Allocation length below 16 is invalid.
    static func reportLUNs(_ cdb: CDB) -> CommandReply {
        let allocation = cdb.u32(6)
        guard allocation >= 16 else { return .check(.invalidField(cdbByte: 6)) }
        guard cdb[2] <= 0x02 else { return .check(.invalidField(cdbByte: 2)) }
        var b = ResponseBuffer(capacity: 16)
        b.u32(8)     // LUN LIST LENGTH
        b.zeros(4)
        b.zeros(8)   // LUN 0
        return .good(b.bytes.truncated(to: allocation))
    }

    /// REQUEST SENSE (SPC-4 table 290): DESC bit 0 of byte 1, allocation length byte 4.
    static func requestSense(_ cdb: CDB, current: SenseData?) -> CommandReply {
        if cdb.bit(1, 0) { return .check(.invalidField(cdbByte: 1, bit: 0)) }  // descriptor format not supported
        let sense = current ?? SenseData(.noSense, .noAdditionalSense)
        return .good(sense.bytes.truncated(to: Int(cdb[4])))
    }

    /// A MODE SENSE header and the pages after it (SPC-4 tables 453 and 454).
    static func modeParameters(ten: Bool, mediumType: UInt8, deviceSpecific: UInt8,
                               blockDescriptor: [UInt8], pages: [UInt8]) -> [UInt8] {
        var b = ResponseBuffer(capacity: 8 + blockDescriptor.count + pages.count)
        if ten {
            b.u16(6 + blockDescriptor.count + pages.count)  // MODE DATA LENGTH (n − 1)
            b.u8(mediumType)
            b.u8(deviceSpecific)
            b.u8(0); b.u8(0)
            b.u16(blockDescriptor.count)
        } else {
            b.u8(3 + blockDescriptor.count + pages.count)
            b.u8(mediumType)
            b.u8(deviceSpecific)
            b.u8(blockDescriptor.count)
        }
        b.append(blockDescriptor)
        b.append(pages)
        return b.bytes
    }
}
