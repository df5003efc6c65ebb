/// Standard INQUIRY data (SPC-4 table 143).
public struct StandardInquiry: Sendable, Hashable {
    /// PERIPHERAL QUALIFIER (byte 0 bits 7–5): 0 = device connected, 1 = not connected,
    /// 3 = no device at this LUN.
    public var peripheralQualifier: UInt8
    public var deviceType: PeripheralDeviceType
    /// RMB: removable medium (byte 1 bit 7).
    public var removable: Bool
    /// VERSION (byte 2): 5 = SPC-3, 6 = SPC-4, 7 = SPC-5.
    public var version: UInt8
    /// RESPONSE DATA FORMAT (byte 3 bits 3–0), 2 for all current devices.
    public var responseDataFormat: UInt8
    /// MCHNGR (byte 6 bit 3): an attached medium changer.
    public var attachedMediumChanger: Bool
    /// CMDQUE (byte 7 bit 1).
    public var commandQueueing: Bool
    /// T10 VENDOR IDENTIFICATION (bytes 8–15), trimmed.
    public var vendor: String
    /// PRODUCT IDENTIFICATION (bytes 16–31), trimmed.
    public var product: String
    /// PRODUCT REVISION LEVEL (bytes 32–35), trimmed.
    public var revision: String
    /// Bytes 36… (vendor specific: several tape drives put a serial number here).
    public var vendorSpecific: [UInt8]

    /// Parses standard INQUIRY data. At least the 36 bytes of SPC-4's mandatory part are
    /// required; the ADDITIONAL LENGTH (byte 4) limits how much of the rest is used.
    public init(parsing data: [UInt8]) throws(SCSIParseError) {
        var r = ByteReader(data, context: "standard INQUIRY data")
        guard data.count >= 36 else {
            throw SCSIParseError(.truncated, "standard INQUIRY data", offset: data.count,
                                 "need 36 bytes, got \(data.count)")
        }
        let b0 = try r.u8()
        peripheralQualifier = b0 >> 5
        deviceType = PeripheralDeviceType(rawValue: b0)
        removable = try r.u8() & 0x80 != 0
        version = try r.u8()
        responseDataFormat = try r.u8() & 0x0F
        let additional = Int(try r.u8())
        _ = try r.u8()
        attachedMediumChanger = try r.u8() & 0x08 != 0
        commandQueueing = try r.u8() & 0x02 != 0
        vendor = try r.ascii(8)
        product = try r.ascii(16)
        revision = try r.ascii(4)
        let end = min(data.count, 5 + additional)
        vendorSpecific = end > 36 ? Array(data[36..<end]) : []
    }

    public init(deviceType: PeripheralDeviceType, removable: Bool, vendor: String, product: String,
                revision: String, version: UInt8 = 6) {
        self.peripheralQualifier = 0
        self.deviceType = deviceType
        self.removable = removable
        self.version = version
        self.responseDataFormat = 2
        self.attachedMediumChanger = false
        self.commandQueueing = false
        self.vendor = vendor
        self.product = product
        self.revision = revision
        self.vendorSpecific = []
    }

    /// Encodes standard INQUIRY data (96 bytes: the 36 mandatory ones, vendor specific
    /// bytes, zero padding), for simulators and tests.
    public var encoded: [UInt8] {
        func text(_ s: String, _ n: Int) -> [UInt8] {
            let b = Array(s.utf8.prefix(n))
            return b + Array(repeating: 0x20, count: n - b.count)
        }
        var out: [UInt8] = [peripheralQualifier << 5 | deviceType.rawValue, removable ? 0x80 : 0, version,
                            0x10 | responseDataFormat & 0x0F, 91, 0,
                            attachedMediumChanger ? 0x08 : 0, commandQueueing ? 0x02 : 0]
        out += text(vendor, 8) + text(product, 16) + text(revision, 4)
        out += Array(vendorSpecific.prefix(60))
        return out + Array(repeating: 0, count: 96 - out.count)
    }
}
