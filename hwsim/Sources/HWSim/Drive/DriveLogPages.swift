import SCSI

/// LOG SENSE on a drive: pages 00h, 0Ch, 11h, 12h, 17h, 2Eh, 31h (SPC-4 6.6, SSC-4 8.2).
extension LibraryCore {
    static let driveLogPages: [UInt8] = [0x00, 0x0C, 0x11, 0x12, 0x17, 0x2E, 0x31]

    func driveLogSense(_ d: DriveUnit, _ cdb: CDB) throws(CommandFailure) -> CommandReply {
        // LOG SENSE (SPC-4 table 157): PPC bit 1 and SP bit 0 of byte 1, PC bits 7–6 and page
        // code bits 5–0 of byte 2, subpage byte 3, parameter pointer 5–6, allocation length 7–8.
        if cdb.bit(1, 0) { throw CommandFailure(.invalidField(cdbByte: 1, bit: 0)) }
        let page = cdb[2] & 0x3F
        guard cdb[3] == 0 else { throw CommandFailure(.invalidField(cdbByte: 3)) }
        let pointer = cdb.u16(5)
        let allocation = cdb.u16(7)
        var parameters: [(Int, [UInt8])] = []
        switch page {
        case 0x00:
            return .good(LogPage.encode(code: 0x00, body: Self.driveLogPages).truncated(to: allocation))
        case 0x0C:
            // Sequential-Access Device page (SSC-4 table 127).
            parameters = [
                (0x0000, LogPage.counter(0x0000, UInt64(d.bytesFromInitiator))),
                (0x0001, LogPage.counter(0x0001, UInt64(d.bytesFromInitiator))),
                (0x0002, LogPage.counter(0x0002, UInt64(d.bytesToInitiator))),
                (0x0003, LogPage.counter(0x0003, UInt64(d.bytesToInitiator))),
                (0x0100, LogPage.counter(0x0100, d.needsCleaning ? 1 : 0, bytes: 1)),
            ]
        case 0x11:
            // DT Device Status page (SSC-4 table 128), very high frequency data parameter 0000h.
            let c = d.cartridge
            let wp = c.map { $0.writeProtected } ?? false
            var b0: UInt8 = 0
            if wp { b0 |= 0x08 }                       // WRTP
            if d.needsCleaning { b0 |= 0x04 }          // CRQST
            var b1: UInt8 = 0
            if c != nil { b1 |= 0x10 }                 // MPRSNT
            if d.threaded { b1 |= 0x03 }               // MTHRD, MOUNTED
            let activity: UInt8 = d.busy != nil ? (d.busy?.kind == .cleaning ? 0x01 : 0x07) : 0
            parameters = [(0x0000, LogPage.parameter(0x0000, [b0, b1, activity, d.tapeAlerts.isEmpty ? 0 : 0x01]))]
        case 0x12:
            // TapeAlert Response page (SSC-4 table 129): flags 01h–40h as a 64-bit map, flag 1 in
            // the most significant bit. Reading it does not clear the flags.
            var map: UInt64 = 0
            for f in d.tapeAlerts where (1...64).contains(f) { map |= 1 << UInt64(64 - Int(f)) }
            parameters = [(0x0000, LogPage.counter(0x0000, map))]
        case 0x17:
            parameters = try volumeStatistics(d)
        case 0x2E:
            // TapeAlert page (SSC-4 table 131): one 1-byte parameter per flag; reading clears.
            parameters = (1...64).map { f in
                (f, LogPage.parameter(f, [d.tapeAlerts.contains(UInt8(f)) ? 1 : 0], control: 0x03))
            }
            // The flags are cleared only by a read that transfers the whole page: sg_logs and
            // others first probe with a 4-byte allocation length to learn the page length.
            let pageLength = 4 + parameters.reduce(0) { $0 + $1.1.count }
            if cdb[2] >> 6 == 1, Int(allocation) >= pageLength { d.tapeAlerts.removeAll() }
        case 0x31:
            parameters = try tapeCapacity(d)
        default:
            throw CommandFailure(.invalidField(cdbByte: 2))
        }
        let body = parameters.filter { $0.0 >= pointer }.flatMap { $0.1 }
        return .good(LogPage.encode(code: page, body: body).truncated(to: allocation))
    }

    /// Volume Statistics page (SSC-4 table 133); counters in MB (10^6 bytes). Parameter 0203h
    /// (per partition, 4-byte value) is FFFFFFFFh where a partition's end of data is missing,
    /// as LTFS checks it.
    private func volumeStatistics(_ d: DriveUnit) throws(CommandFailure) -> [(Int, [UInt8])] {
        guard let c = d.cartridge else { throw CommandFailure(.mediumNotPresent) }
        let mb: Int64 = 1_000_000
        let used = c.partitions.reduce(Int64(0)) { $0 + $1.usedBytes }
        var p: [(Int, [UInt8])] = [
            (0x0000, LogPage.counter(0x0000, 1, bytes: 1)),
            (0x0001, LogPage.counter(0x0001, UInt64(c.loadCount), bytes: 4)),
            (0x000E, LogPage.counter(0x000E, UInt64(d.mountBytesWritten / mb), bytes: 4)),
            (0x000F, LogPage.counter(0x000F, UInt64(d.mountBytesRead / mb), bytes: 4)),
            (0x0010, LogPage.counter(0x0010, UInt64(c.lifetimeBytesWritten / mb), bytes: 4)),
            (0x0011, LogPage.counter(0x0011, UInt64(c.lifetimeBytesRead / mb), bytes: 4)),
            (0x0016, LogPage.counter(0x0016, UInt64(c.capacity / mb), bytes: 4)),
            (0x0017, LogPage.counter(0x0017, UInt64(used / mb), bytes: 4)),
            (0x0040, LogPage.parameter(0x0040, ResponseBuffer.ascii(c.barcode, width: 32), control: 0x01)),
            (0x0080, LogPage.counter(0x0080, c.writeProtected ? 1 : 0, bytes: 1)),
            (0x0081, LogPage.counter(0x0081, c.kind == .worm ? 1 : 0, bytes: 1)),
            (0x0101, LogPage.counter(0x0101, UInt64(c.loadCount), bytes: 4)),
            (0x0102, LogPage.counter(0x0102, UInt64(c.loadCount), bytes: 4)),
        ]
        // Partition record lists (SSC-4 table 134): length 07h, reserved, partition (2), value (4).
        var eod = ResponseBuffer(capacity: 8 * c.partitions.count)
        for (i, part) in c.partitions.enumerated() {
            eod.u8(0x07); eod.u8(0); eod.u16(i)
            eod.u32(part.hasEndOfData ? part.objects.count : 0xFFFF_FFFF)
        }
        p.append((0x0203, LogPage.parameter(0x0203, eod.bytes)))
        return p
    }

    /// Tape Capacity page (31h, IBM/HPE LTO): remaining and maximum capacity of partitions 0
    /// and 1 in MB (10^6 bytes), 4 bytes each.
    private func tapeCapacity(_ d: DriveUnit) throws(CommandFailure) -> [(Int, [UInt8])] {
        guard let c = d.mounted else { throw CommandFailure(.mediumNotPresent) }
        let mb: Int64 = 1_000_000
        func part(_ i: Int) -> TapePartition? { i < c.partitions.count ? c.partitions[i] : nil }
        return [
            (1, LogPage.counter(1, UInt64((part(0)?.remaining ?? 0) / mb), bytes: 4)),
            (2, LogPage.counter(2, UInt64((part(1)?.remaining ?? 0) / mb), bytes: 4)),
            (3, LogPage.counter(3, UInt64((part(0)?.capacity ?? 0) / mb), bytes: 4)),
            (4, LogPage.counter(4, UInt64((part(1)?.capacity ?? 0) / mb), bytes: 4)),
        ]
    }
}
