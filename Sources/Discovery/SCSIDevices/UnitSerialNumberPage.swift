import SCSI

/// The Unit Serial Number VPD page (80h), as the kernel caches it in sysfs `vpd_pg80` and as
/// INQUIRY with EVPD=1 returns it. Layout from SPC-4, "Unit Serial Number VPD page":
/// byte 0 peripheral qualifier/device type, byte 1 page code 80h, bytes 2–3 page length n,
/// bytes 4..<4+n PRODUCT SERIAL NUMBER (ASCII, may be space padded on either side).
enum UnitSerialNumberPage {
    static let pageCode: UInt8 = 0x80

    /// The serial number, or nil when the page is well formed but the serial is blank.
    static func parse(_ bytes: [UInt8]) throws(SCSIParseError) -> String? {
        var reader = ByteReader(bytes, context: "Unit Serial Number VPD page")
        _ = try reader.u8()
        let code = try reader.u8()
        guard code == pageCode else {
            throw SCSIParseError(.invalidField, reader.context, offset: 1, "page code \(code), expected 80h")
        }
        let length = Int(try reader.u16())
        // Devices pad to the allocation length or cut the page short; use what is there.
        let available = min(length, max(0, bytes.count - 4))
        let serialBytes = try reader.bytes(available)
        let ascii = String(decoding: serialBytes.filter { $0 >= 0x20 && $0 < 0x7F }, as: UTF8.self)
        let serial = ascii.trimmingWhitespace()
        return serial.isEmpty ? nil : serial
    }

    /// INQUIRY with EVPD=1 for page 80h (SPC-4 INQUIRY CDB: opcode 12h, byte 1 bit 0 EVPD,
    /// byte 2 page code, bytes 3–4 allocation length, byte 5 control).
    static func inquiryCommand(allocationLength: UInt16 = 0xFF) -> SCSICommand {
        SCSICommand(cdb: [0x12, 0x01, pageCode, UInt8(allocationLength >> 8), UInt8(allocationLength & 0xFF), 0],
                    transfer: .fromDevice(allocationLength: Int(allocationLength)))
    }
}
