import SCSI

/// MODE SENSE / MODE SELECT on a drive: block descriptor and pages 0Fh, 10h, 11h, 1Dh (SSC-4 8.3).
extension LibraryCore {
    func driveModeSense(_ d: DriveUnit, _ cdb: CDB) throws(CommandFailure) -> CommandReply {
        let ten = cdb.opcode == 0x5A
        if ten && profile.quirks.modeSense10Refused { throw CommandFailure(.invalidOpcode) }
        // MODE SENSE(6)/(10) (SPC-4 tables 198/200): DBD byte 1 bit 3, PC and page code byte 2,
        // subpage byte 3, allocation length byte 4 or 7–8.
        let dbd = cdb.bit(1, 3)
        let pageControl = cdb[2] >> 6
        let pageCode = cdb[2] & 0x3F
        let allocation = ten ? cdb.u16(7) : Int(cdb[4])
        guard cdb[3] == 0 || cdb[3] == 0xFF else { throw CommandFailure(.invalidField(cdbByte: 3)) }
        if pageControl == 3 { throw CommandFailure(.savingNotSupported) }
        let changeable = pageControl == 1
        let pages: [UInt8]
        switch pageCode {
        case 0x00: pages = []
        case 0x0F: pages = compressionPage(d, changeable)
        case 0x10: pages = deviceConfigurationPage(d, changeable)
        case 0x11: pages = mediumPartitionPage(d, changeable)
        case 0x1D: pages = mediumConfigurationPage(d, changeable)
        case 0x3F:
            pages = compressionPage(d, changeable) + deviceConfigurationPage(d, changeable)
                + mediumPartitionPage(d, changeable) + mediumConfigurationPage(d, changeable)
        default: throw CommandFailure(.invalidField(cdbByte: 2))
        }
        let c = d.mounted
        let writeProtected = c.map { $0.writeProtected || d.generation.access(to: $0.generation) == .readOnly } ?? false
        // Device-specific parameter (SSC-4 table 72): WP bit 7, BUFFERED MODE 001b in bits 6–4.
        let deviceSpecific: UInt8 = (writeProtected ? 0x80 : 0) | 0x10
        var descriptor: [UInt8] = []
        if !dbd {
            // Short block descriptor (SSC-4 table 73 / SPC-4 table 457): density code, number of
            // blocks 1–3 (0: all), reserved, block length 5–7 (0: variable).
            var b = ResponseBuffer(capacity: 8)
            b.u8(changeable ? 0 : (c?.generation.densityCode ?? d.generation.densityCode))
            b.u24(0)
            b.u8(0)
            b.u24(changeable ? 0xFF_FFFF : d.blockLength)
            descriptor = b.bytes
        }
        let data = StandardInquiry.modeParameters(ten: ten, mediumType: c?.kind == .worm ? 0x01 : 0x00,
                                                  deviceSpecific: deviceSpecific, blockDescriptor: descriptor, pages: pages)
        return .good(data.truncated(to: allocation))
    }

    /// Data Compression page (SSC-4 table 96), 16 bytes: DCE bit 7 / DCC bit 6 of byte 2,
    /// DDE bit 7 of byte 3, compression and decompression algorithms.
    func compressionPage(_ d: DriveUnit, _ changeable: Bool) -> [UInt8] {
        var b = ResponseBuffer(capacity: 16)
        b.u8(0x0F); b.u8(0x0E)
        if changeable { b.u8(0x80); b.zeros(13); return b.bytes }
        b.u8((d.compression ? 0x80 : 0) | 0x40)
        b.u8(0x80)
        b.u32(1); b.u32(1)
        b.zeros(4)
        return b.bytes
    }

    /// Device Configuration page (SSC-4 table 98), 16 bytes: active partition byte 3,
    /// EEG/SEW in byte 10, select data compression algorithm byte 14.
    func deviceConfigurationPage(_ d: DriveUnit, _ changeable: Bool) -> [UInt8] {
        var b = ResponseBuffer(capacity: 16)
        b.u8(0x10); b.u8(0x0E)
        if changeable { b.zeros(12); b.u8(0xFF); b.u8(0); return b.bytes }
        b.u8(0)
        b.u8(d.partition)
        b.zeros(6)
        b.u8(0x18)
        b.zeros(3)
        b.u8(d.compression ? 1 : 0)
        b.u8(0)
        return b.bytes
    }

    /// Medium Partition page (SSC-4 table 103), 12 bytes for two partition size fields:
    /// maximum/defined additional partitions, FDP SDP IDP PSUM POFM CLEAR ADDP in byte 4,
    /// medium format recognition, partition units, sizes.
    func mediumPartitionPage(_ d: DriveUnit, _ changeable: Bool) -> [UInt8] {
        var b = ResponseBuffer(capacity: 12)
        b.u8(0x11); b.u8(0x0A)
        let maxAdditional = d.generation.supportsPartitions ? 1 : 0
        if changeable {
            b.u8(0); b.u8(maxAdditional); b.u8(0xFC); b.u8(0); b.u8(0x0F); b.u8(0)
            b.u16(0xFFFF); b.u16(0xFFFF)
            return b.bytes
        }
        let parts = d.mounted?.partitions ?? []
        let total = parts.reduce(Int64(0)) { $0 + $1.capacity }
        // Units: the smallest power of ten ≥ 10^6 in which the medium's size fits 16 bits.
        var exponent = 6
        var unit: Int64 = 1_000_000
        while total / unit > 0xFFFE && exponent < 15 { exponent += 1; unit *= 10 }
        b.u8(maxAdditional)
        b.u8(max(0, parts.count - 1))
        b.u8((parts.count > 1 ? 0x20 : 0) | 0x18 | 0x04)  // IDP when partitioned, PSUM 11b, POFM
        b.u8(0x03)                                         // format and partition recognition
        b.u8(exponent)
        b.u8(0)
        for i in 0..<2 {
            b.u16(i < parts.count ? Int((parts[i].capacity + unit - 1) / unit) : 0)
        }
        return b.bytes
    }

    /// Medium Configuration page (SSC-4 table 102), 32 bytes: WORMM bit 0 of byte 2, WORM mode
    /// label restrictions byte 4, filemark restrictions byte 5.
    func mediumConfigurationPage(_ d: DriveUnit, _ changeable: Bool) -> [UInt8] {
        var b = ResponseBuffer(capacity: 32)
        b.u8(0x1D); b.u8(0x1E)
        if changeable { b.zeros(30); return b.bytes }
        b.u8(d.mounted?.kind == .worm ? 0x01 : 0x00)
        b.u8(0)
        b.u8(0x01)
        b.u8(0x02)
        b.zeros(26)
        return b.bytes
    }

    /// MODE SELECT(6) (SPC-4 table 192) / (10) (table 194): PF byte 1 bit 4, SP bit 0;
    /// parameter list length byte 4 or 7–8.
    func driveModeSelect(_ d: DriveUnit, _ cdb: CDB, _ transfer: DataTransfer) throws(CommandFailure) -> CommandReply {
        let ten = cdb.opcode == 0x55
        if cdb.bit(1, 0) { throw CommandFailure(.invalidField(cdbByte: 1, bit: 0)) }
        let length = ten ? cdb.u16(7) : Int(cdb[4])
        guard length > 0 else { return .good() }
        guard case .toDevice(let sent) = transfer, sent.count >= length else {
            throw CommandFailure(.parameterListLengthError)
        }
        let list = Array(sent.prefix(length))
        let headerLength = ten ? 8 : 4
        guard list.count >= headerLength else { throw CommandFailure(.parameterListLengthError) }
        let descriptorLength = ten ? Int(list[6]) << 8 | Int(list[7]) : Int(list[3])
        guard headerLength + descriptorLength <= list.count, descriptorLength % 8 == 0 else {
            throw CommandFailure(.invalidParameter(byte: ten ? 6 : 3))
        }
        // Validate everything first, then apply: a refused MODE SELECT changes nothing.
        var newBlockLength = d.blockLength
        if descriptorLength >= 8 {
            let o = headerLength
            newBlockLength = Int(list[o + 5]) << 16 | Int(list[o + 6]) << 8 | Int(list[o + 7])
            guard newBlockLength <= Self.maximumBlockLength else { throw CommandFailure(.invalidParameter(byte: o + 5)) }
        }
        var newCompression = d.compression
        var newPartitionPlan: [Int64?]? = nil
        var i = headerLength + descriptorLength
        while i < list.count {
            guard i + 2 <= list.count else { throw CommandFailure(.parameterListLengthError) }
            let code = list[i] & 0x3F
            let pageLength = Int(list[i + 1])
            guard i + 2 + pageLength <= list.count else { throw CommandFailure(.parameterListLengthError) }
            let page = Array(list[i..<(i + 2 + pageLength)])
            switch code {
            case 0x0F:
                guard page.count >= 4 else { throw CommandFailure(.invalidParameter(byte: i + 1)) }
                newCompression = page[2] & 0x80 != 0
            case 0x10:
                break  // nothing here is settable in the simulator; accepted
            case 0x11:
                newPartitionPlan = try partitionPlan(d, page, offset: i)
            case 0x1D:
                break
            default:
                throw CommandFailure(.invalidParameter(byte: i))
            }
            i += 2 + pageLength
        }
        d.blockLength = newBlockLength
        d.compression = newCompression
        if let plan = newPartitionPlan { d.pendingPartitionSizes = plan }
        return .good()
    }

    /// Partition sizes requested by a Medium Partition page: bytes per partition, nil for "the rest".
    private func partitionPlan(_ d: DriveUnit, _ page: [UInt8], offset: Int) throws(CommandFailure) -> [Int64?] {
        guard page.count >= 8 else { throw CommandFailure(.invalidParameter(byte: offset + 1)) }
        let additional = Int(page[3])
        let maxAdditional = d.generation.supportsPartitions ? 1 : 0
        guard additional <= maxAdditional else { throw CommandFailure(.invalidParameter(byte: offset + 3)) }
        let flags = page[4]
        let fdp = flags & 0x80 != 0, sdp = flags & 0x40 != 0, idp = flags & 0x20 != 0
        if fdp || (!sdp && !idp) { return additional == 0 || fdp ? [nil] : [nil, nil] }
        if sdp { return Array(repeating: nil, count: additional + 1) }
        let unit: Int64
        switch (flags >> 3) & 0x03 {
        case 0: unit = 1
        case 1: unit = 1_000
        case 2: unit = 1_000_000
        default:
            let e = Int(page[6] & 0x0F)
            var u: Int64 = 1
            for _ in 0..<e { u *= 10 }
            unit = u
        }
        var sizes: [Int64?] = []
        for p in 0...additional {
            let at = 8 + 2 * p
            guard at + 1 < page.count else { throw CommandFailure(.invalidParameter(byte: offset + at)) }
            let v = Int64(page[at]) << 8 | Int64(page[at + 1])
            sizes.append(v == 0xFFFF ? nil : v * unit)
        }
        return sizes
    }
}
