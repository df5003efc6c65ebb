import SCSI

/// READ ATTRIBUTE and WRITE ATTRIBUTE: medium auxiliary memory (SPC-4 6.17, 6.40; 7.4).
extension LibraryCore {
    /// Device-maintained attributes of a partition (SPC-4 table 339 and 340), read-only
    /// (format byte bit 7). Stored attributes of the same id override them.
    func deviceAttributes(_ d: DriveUnit, _ c: Cartridge, partition p: Int) -> [UInt16: MAMAttribute] {
        let mib: Int64 = 1 << 20
        let part = c.partitions[p]
        func binary(_ v: UInt64, _ n: Int) -> MAMAttribute {
            var b = ResponseBuffer(capacity: n)
            for i in (0..<n).reversed() { b.u8(UInt8(truncatingIfNeeded: v >> UInt64(8 * i))) }
            return MAMAttribute(formatByte: 0x80, value: b.bytes)
        }
        func ascii(_ s: String, _ n: Int) -> MAMAttribute {
            MAMAttribute(formatByte: 0x81, value: ResponseBuffer.ascii(s, width: n))
        }
        let identity = d.profile.identity
        return [
            0x0000: binary(UInt64(part.remaining / mib), 8),
            0x0001: binary(UInt64(part.capacity / mib), 8),
            0x0002: binary(0, 8),
            0x0003: binary(UInt64(c.loadCount), 8),
            0x0004: binary(UInt64(4_096), 8),
            0x0005: ascii("LTO-CVE", 8),
            0x0006: binary(UInt64(c.generation.densityCode), 1),
            0x0007: binary(1, 2),
            0x0009: MAMAttribute(formatByte: 0x80, value: binary(UInt64(c.volumeChangeReference), 4).value),
            0x020A: ascii(ResponseBuffer.ascii(identity.vendor, width: 8).map { String(UnicodeScalar($0)) }.joined()
                          + identity.serial, 40),
            0x0220: binary(UInt64(c.lifetimeBytesWritten / 1_000_000), 8),
            0x0221: binary(UInt64(c.lifetimeBytesRead / 1_000_000), 8),
            0x0400: ascii("HWSIM", 8),
            0x0401: ascii("SIM" + c.barcode, 32),
            0x0402: binary(1_035, 4),
            0x0403: binary(127, 4),
            0x0404: ascii("LTO-CVE", 8),
            0x0405: binary(UInt64(c.generation.densityCode), 1),
            0x0406: ascii("20260101", 8),
            0x0407: binary(16_384, 8),
            0x0408: binary(UInt64(c.mamMediumType), 1),
            0x0409: binary(c.kind == .cleaning ? 50 : 0, 2),
        ]
    }

    /// All attributes of a partition, ordered by identifier.
    func attributes(_ d: DriveUnit, _ c: Cartridge, partition p: Int) -> [(UInt16, MAMAttribute)] {
        var all = deviceAttributes(d, c, partition: p)
        for (k, v) in c.attributes where Int(k.partition) == p { all[k.id] = v }
        return all.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// READ ATTRIBUTE (SPC-4 table 146): SERVICE ACTION bits 4–0 of byte 1, partition byte 7,
    /// first attribute identifier 8–9, allocation length 10–13.
    func readAttribute(_ d: DriveUnit, _ cdb: CDB) throws(CommandFailure) -> CommandReply {
        guard let c = d.cartridge else { throw CommandFailure(.mediumNotPresent) }
        let partition = Int(cdb[7])
        let first = cdb.u16(8)
        let allocation = cdb.u32(10)
        var b = ResponseBuffer(capacity: 256)
        switch cdb[1] & 0x1F {
        case 0x00:
            guard partition < c.partitions.count else { throw CommandFailure(.invalidField(cdbByte: 7)) }
            // ATTRIBUTE VALUES: available data (4), then attributes ≥ first (table 150).
            b.u32(0)
            for (id, a) in attributes(d, c, partition: partition) where Int(id) >= first {
                b.u16(Int(id)); b.u8(a.formatByte); b.u16(a.value.count); b.append(a.value)
            }
            b.set32(0, b.count - 4)
        case 0x01, 0x05:
            guard partition < c.partitions.count else { throw CommandFailure(.invalidField(cdbByte: 7)) }
            // ATTRIBUTE LIST / SUPPORTED ATTRIBUTES: available data (4), identifiers (table 151).
            b.u32(0)
            for (id, _) in attributes(d, c, partition: partition) { b.u16(Int(id)) }
            b.set32(0, b.count - 4)
        case 0x02:
            // LOGICAL VOLUME LIST (table 152): one volume.
            b.u16(2); b.u8(0); b.u8(1)
        case 0x03:
            // PARTITION LIST (table 153).
            b.u16(2); b.u8(0); b.u8(c.partitions.count)
        default:
            throw CommandFailure(.invalidField(cdbByte: 1))
        }
        return .good(b.bytes.truncated(to: allocation))
    }

    /// WRITE ATTRIBUTE (SPC-4 table 247): WTC byte 1 bit 0, partition byte 7, parameter list
    /// length 10–13. Parameter list: data length (4) then attributes (id, format, length, value).
    /// Device attributes (below 0800h) are read-only. All-or-nothing.
    func writeAttribute(_ d: DriveUnit, _ cdb: CDB, _ transfer: DataTransfer) throws(CommandFailure) -> CommandReply {
        guard let c = d.cartridge else { throw CommandFailure(.mediumNotPresent) }
        let partition = Int(cdb[7])
        guard partition < c.partitions.count else { throw CommandFailure(.invalidField(cdbByte: 7)) }
        let length = cdb.u32(10)
        guard length > 0 else { return .good() }
        guard case .toDevice(let sent) = transfer, sent.count >= length, length >= 4 else {
            throw CommandFailure(.parameterListLengthError)
        }
        let list = Array(sent.prefix(length))
        let dataLength = Int(list[0]) << 24 | Int(list[1]) << 16 | Int(list[2]) << 8 | Int(list[3])
        guard dataLength + 4 <= list.count else { throw CommandFailure(.parameterListLengthError) }
        var updates: [(UInt16, MAMAttribute?)] = []
        var i = 4
        while i < 4 + dataLength {
            guard i + 5 <= 4 + dataLength else { throw CommandFailure(.invalidParameter(byte: i)) }
            let id = UInt16(list[i]) << 8 | UInt16(list[i + 1])
            let format = list[i + 2] & 0x03
            let n = Int(list[i + 3]) << 8 | Int(list[i + 4])
            guard i + 5 + n <= 4 + dataLength else { throw CommandFailure(.invalidParameter(byte: i + 3)) }
            guard id >= 0x0800 else { throw CommandFailure(.invalidParameter(byte: i)) }
            updates.append((id, n == 0 ? nil : MAMAttribute(formatByte: format, value: Array(list[(i + 5)..<(i + 5 + n)]))))
            i += 5 + n
        }
        for (id, a) in updates { c.attributes[MAMKey(partition: UInt8(partition), id: id)] = a }
        c.dirty = true
        stateChanged = true
        return .good()
    }
}
