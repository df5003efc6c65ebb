/// A mode page inside MODE SENSE / MODE SELECT data (SPC-4 7.5.7, tables 452 and 453:
/// page_0 format with a 2-byte header, sub_page format with a 4-byte header).
public struct ModePage: Sendable, Hashable {
    public var code: UInt8
    public var subpage: UInt8
    /// PS: the page can be saved (reported by MODE SENSE; reserved in MODE SELECT).
    public var parametersSaveable: Bool
    /// The page bytes after the page header.
    public var body: [UInt8]

    public init(code: UInt8, subpage: UInt8 = 0, parametersSaveable: Bool = false, body: [UInt8]) {
        self.code = code & 0x3F
        self.subpage = subpage
        self.parametersSaveable = parametersSaveable
        self.body = body
    }

    /// The page as sent in a MODE SELECT parameter list (PS cleared).
    public var encoded: [UInt8] {
        if subpage == 0 {
            return [code, UInt8(truncatingIfNeeded: body.count)] + body
        }
        return [code | 0x40, subpage] + BigEndian.bytes(UInt64(body.count), count: 2) + body
    }

    /// Checks the page code and that the body has at least `minimum` bytes.
    func require(code expected: UInt8, minimum: Int, _ context: String) throws(SCSIParseError) {
        guard code == expected else {
            throw SCSIParseError(.invalidField, context, offset: 0,
                                 "page \(hex(code))h, expected \(hex(expected))h")
        }
        guard body.count >= minimum else {
            throw SCSIParseError(.truncated, context, offset: body.count,
                                 "page length \(body.count), need \(minimum)")
        }
    }
}

/// A mode parameter block descriptor: short (SSC-4 table 92: density code, number of
/// blocks, block length) or long LBA (SPC-4 table 458).
public struct BlockDescriptor: Sendable, Hashable {
    /// DENSITY CODE (0 in long descriptors, which have none).
    public var densityCode: UInt8
    public var numberOfBlocks: UInt64
    /// BLOCK LENGTH; 0 means variable-length blocks on a tape drive.
    public var blockLength: UInt32

    public init(densityCode: UInt8 = 0, numberOfBlocks: UInt64 = 0, blockLength: UInt32 = 0) {
        self.densityCode = densityCode
        self.numberOfBlocks = numberOfBlocks
        self.blockLength = blockLength
    }

    /// Short form, 8 bytes.
    public var encodedShort: [UInt8] {
        [densityCode] + BigEndian.bytes(min(numberOfBlocks, 0xFF_FFFF), count: 3) + [0]
            + BigEndian.bytes(UInt64(min(blockLength, 0xFF_FFFF)), count: 3)
    }
}

/// MODE SENSE / MODE SELECT data: header, block descriptors, pages.
///
/// Headers: SPC-4 table 447 (6-byte CDB: 4-byte header) and table 448 (10-byte CDB:
/// 8-byte header). For tape drives the device-specific byte holds WP (bit 7), BUFFERED
/// MODE (bits 6–4) and SPEED (bits 3–0) (SSC-4 table 91).
public struct ModeParameters: Sendable, Hashable {
    public var mediumType: UInt8
    public var deviceSpecific: UInt8
    /// LONGLBA of the 10-byte header: block descriptors are 16 bytes.
    public var longLBA: Bool
    public var blockDescriptors: [BlockDescriptor]
    public var pages: [ModePage]

    public init(mediumType: UInt8 = 0, deviceSpecific: UInt8 = 0, longLBA: Bool = false,
                blockDescriptors: [BlockDescriptor] = [], pages: [ModePage] = []) {
        self.mediumType = mediumType
        self.deviceSpecific = deviceSpecific
        self.longLBA = longLBA
        self.blockDescriptors = blockDescriptors
        self.pages = pages
    }

    /// WP: the mounted medium is write protected (tape drives).
    public var writeProtected: Bool { deviceSpecific & 0x80 != 0 }
    /// BUFFERED MODE (tape drives).
    public var bufferedMode: UInt8 { (deviceSpecific >> 4) & 0x07 }
    /// SPEED (tape drives).
    public var speed: UInt8 { deviceSpecific & 0x0F }

    /// The first page with `code` (and `subpage`).
    public func page(_ code: UInt8, subpage: UInt8 = 0) -> ModePage? {
        pages.first { $0.code == code && $0.subpage == subpage }
    }

    /// Parses MODE SENSE(6) data.
    public init(parsing6 data: [UInt8]) throws(SCSIParseError) {
        var r = ByteReader(data, context: "MODE SENSE(6) header")
        let dataLength = Int(try r.u8())
        let mediumType = try r.u8()
        let deviceSpecific = try r.u8()
        let bdLength = Int(try r.u8())
        try self.init(data, headerLength: 4, total: dataLength + 1, mediumType: mediumType,
                      deviceSpecific: deviceSpecific, longLBA: false, blockDescriptorLength: bdLength)
    }

    /// Parses MODE SENSE(10) data.
    public init(parsing10 data: [UInt8]) throws(SCSIParseError) {
        var r = ByteReader(data, context: "MODE SENSE(10) header")
        let dataLength = Int(try r.u16())
        let mediumType = try r.u8()
        let deviceSpecific = try r.u8()
        let longLBA = try r.u8() & 0x01 != 0
        try r.skip(1)
        let bdLength = Int(try r.u16())
        try self.init(data, headerLength: 8, total: dataLength + 2, mediumType: mediumType,
                      deviceSpecific: deviceSpecific, longLBA: longLBA, blockDescriptorLength: bdLength)
    }

    private init(_ data: [UInt8], headerLength: Int, total: Int, mediumType: UInt8, deviceSpecific: UInt8,
                 longLBA: Bool, blockDescriptorLength: Int) throws(SCSIParseError) {
        // The mode data length may exceed what was transferred (allocation length) or be
        // smaller than the buffer (padding): the shorter one bounds the pages.
        let end = min(data.count, max(total, headerLength))
        guard end >= headerLength else {
            throw SCSIParseError(.truncated, "mode parameter header", offset: data.count)
        }
        var r = ByteReader(data[headerLength..<end], context: "mode parameter block descriptors")
        let size = longLBA ? 16 : 8
        guard blockDescriptorLength % size == 0 else {
            throw SCSIParseError(.invalidField, "mode parameter header", offset: headerLength - 1,
                                 "block descriptor length \(blockDescriptorLength) is not a multiple of \(size)")
        }
        var descriptors: [BlockDescriptor] = []
        var bd = try r.sub(blockDescriptorLength)
        while !bd.isAtEnd {
            if longLBA {
                let blocks = try bd.u64()
                try bd.skip(4)
                descriptors.append(BlockDescriptor(densityCode: 0, numberOfBlocks: blocks, blockLength: try bd.u32()))
            } else {
                let density = try bd.u8()
                let blocks = UInt64(try bd.u24())
                try bd.skip(1)
                descriptors.append(BlockDescriptor(densityCode: density, numberOfBlocks: blocks,
                                                   blockLength: try bd.u24()))
            }
        }
        var pages: [ModePage] = []
        var pr = ByteReader(data[(headerLength + blockDescriptorLength)..<end], context: "mode page")
        while !pr.isAtEnd {
            let b0 = try pr.u8()
            let spf = b0 & 0x40 != 0
            let subpage: UInt8
            let length: Int
            if spf {
                subpage = try pr.u8()
                length = Int(try pr.u16())
            } else {
                subpage = 0
                length = Int(try pr.u8())
            }
            pages.append(ModePage(code: b0 & 0x3F, subpage: subpage, parametersSaveable: b0 & 0x80 != 0,
                                  body: try pr.bytes(length)))
        }
        self.init(mediumType: mediumType, deviceSpecific: deviceSpecific, longLBA: longLBA,
                  blockDescriptors: descriptors, pages: pages)
    }

    /// MODE SENSE(6) data as a device returns it (mode data length filled in), for
    /// simulators and tests.
    public func encodedSense6() -> [UInt8] {
        var list = modeSelect6List()
        list[0] = UInt8(truncatingIfNeeded: list.count - 1)
        list[2] = deviceSpecific
        return list
    }

    /// MODE SENSE(10) data as a device returns it, for simulators and tests.
    public func encodedSense10() -> [UInt8] {
        var list = modeSelect10List()
        list.replaceSubrange(0..<2, with: BigEndian.bytes(UInt64(list.count - 2), count: 2))
        list[3] = deviceSpecific
        return list
    }

    /// A MODE SELECT(6) parameter list: 4-byte header (mode data length reserved, 0),
    /// short block descriptors, pages. For tape drives pass `deviceSpecific` with the
    /// buffered mode (10h = buffered) — WP is ignored by MODE SELECT.
    public func modeSelect6List() -> [UInt8] {
        let descriptors = blockDescriptors.flatMap(\.encodedShort)
        return [0, mediumType, deviceSpecific & 0x7F, UInt8(truncatingIfNeeded: descriptors.count)]
            + descriptors + pages.flatMap(\.encoded)
    }

    /// A MODE SELECT(10) parameter list: 8-byte header, block descriptors, pages.
    public func modeSelect10List() -> [UInt8] {
        let descriptors: [UInt8] = longLBA
            ? blockDescriptors.flatMap { BigEndian.bytes($0.numberOfBlocks, count: 8) + [0, 0, 0, 0]
                + BigEndian.bytes(UInt64($0.blockLength), count: 4) }
            : blockDescriptors.flatMap(\.encodedShort)
        return [0, 0, mediumType, deviceSpecific & 0x7F, longLBA ? 1 : 0, 0]
            + BigEndian.bytes(UInt64(descriptors.count), count: 2) + descriptors + pages.flatMap(\.encoded)
    }
}
