import SCSI

/// READ(6), WRITE(6) and WRITE FILEMARKS(6) (SSC-4 7.2, 7.8, 7.9).
extension LibraryCore {
    /// READ(6) (SSC-4 table 29): SILI bit 1 and FIXED bit 0 of byte 1, transfer length 2–4.
    func read(_ d: DriveUnit, _ cdb: CDB, delay: inout Duration) throws(CommandFailure) -> CommandReply {
        let c = try requireMounted(d)
        let sili = cdb.bit(1, 1), fixed = cdb.bit(1, 0)
        let length = cdb.u24(2)
        if sili && fixed { throw CommandFailure(.invalidField(cdbByte: 1, bit: 1)) }
        guard length > 0 else { return .good() }
        if fixed {
            guard d.blockLength > 0 else { throw CommandFailure(.invalidField(cdbByte: 1, bit: 0)) }
            return try readFixed(d, c, blocks: length, delay: &delay)
        }
        let part = c.partitions[d.partition]
        do { try checkReadable(d, c, part) } catch {
            var s = error.sense
            s.information = Int64(length)
            throw CommandFailure(s)
        }
        let object = part.objects[d.position]
        if c.mediaErrorBlocks[d.partition]?.contains(d.position) == true {
            throw CommandFailure(SenseData(.mediumError, .unrecoveredReadError, information: Int64(length)))
        }
        d.position += 1
        if case .unretained = object {
            throw CommandFailure(SenseData(.mediumError, .unrecoveredReadError, information: Int64(length)))
        }
        guard case .record(let record) = object else {
            // A filemark: NO SENSE, FILEMARK, 00h/01h, INFORMATION = the whole length (SSC-4 4.2.9.2).
            throw CommandFailure(SenseData(.noSense, .filemarkDetected, filemark: true, information: Int64(length)))
        }
        countRead(d, c, record.count, delay: &delay)
        if record.count == length { return .good(record) }
        if record.count < length {
            if sili { return .good(record) }
            throw CommandFailure(SenseData(.noSense, .noAdditionalSense, incorrectLength: true,
                                           information: Int64(length - record.count)), data: record)
        }
        // Longer record than asked: ILI with a negative residue, the head of the record returned.
        throw CommandFailure(SenseData(.noSense, .noAdditionalSense, incorrectLength: true,
                                       information: Int64(length - record.count)),
                             data: Array(record.prefix(length)))
    }

    /// VERIFY(6) (SSC-4 table 50): BYTCMP bit 1 and FIXED bit 0 of byte 1, verification length
    /// 2–4. Without byte comparison it reads the records and transfers nothing; conditions
    /// (filemark, end of data, incorrect length) are reported as READ(6) reports them.
    func verify(_ d: DriveUnit, _ cdb: CDB, delay: inout Duration) throws(CommandFailure) -> CommandReply {
        if cdb.bit(1, 1) { throw CommandFailure(.invalidField(cdbByte: 1, bit: 1)) }
        let fixed = cdb.bit(1, 0)
        let count = cdb.u24(2)
        guard count > 0 else { _ = try requireMounted(d); return .good() }
        do {
            if fixed {
                _ = try read(d, CDB([0x08, 0x01, cdb[2], cdb[3], cdb[4], 0]), delay: &delay)
            } else {
                // Variable mode: the length is a record count; each record's length is accepted.
                for _ in 0..<count { _ = try read(d, CDB([0x08, 0x02, 0xFF, 0xFF, 0xFF, 0]), delay: &delay) }
            }
        } catch {
            throw CommandFailure(error.sense)
        }
        return .good()
    }

    private func readFixed(_ d: DriveUnit, _ c: Cartridge, blocks: Int, delay: inout Duration) throws(CommandFailure) -> CommandReply {
        var out: [UInt8] = []
        out.reserveCapacity(min(blocks * d.blockLength, 1 << 26))
        for done in 0..<blocks {
            let part = c.partitions[d.partition]
            do { try checkReadable(d, c, part) } catch {
                var s = error.sense
                s.information = Int64(blocks - done)
                throw CommandFailure(s, data: out)
            }
            if c.mediaErrorBlocks[d.partition]?.contains(d.position) == true {
                throw CommandFailure(SenseData(.mediumError, .unrecoveredReadError, information: Int64(blocks - done)), data: out)
            }
            let object = part.objects[d.position]
            d.position += 1
            if case .unretained = object {
                throw CommandFailure(SenseData(.mediumError, .unrecoveredReadError, information: Int64(blocks - done)), data: out)
            }
            guard case .record(let record) = object else {
                throw CommandFailure(SenseData(.noSense, .filemarkDetected, filemark: true, information: Int64(blocks - done)), data: out)
            }
            countRead(d, c, record.count, delay: &delay)
            if record.count != d.blockLength {
                out.append(contentsOf: record.prefix(d.blockLength))
                throw CommandFailure(SenseData(.noSense, .noAdditionalSense, incorrectLength: true,
                                               information: Int64(blocks - done)), data: out)
            }
            out.append(contentsOf: record)
        }
        return .good(out)
    }

    /// At end of data: BLANK CHECK 8/00/05; where end of data is missing, MEDIUM ERROR
    /// 3/14/03 (end-of-data not found).
    private func checkReadable(_ d: DriveUnit, _ c: Cartridge, _ part: TapePartition) throws(CommandFailure) {
        guard d.position >= part.objects.count else { return }
        if !part.hasEndOfData { throw CommandFailure(SenseData(.mediumError, AdditionalSense(0x14, 0x03))) }
        throw CommandFailure(SenseData(.blankCheck, .endOfDataDetected))
    }

    private func countRead(_ d: DriveUnit, _ c: Cartridge, _ n: Int, delay: inout Duration) {
        d.mountBytesRead += Int64(n)
        d.bytesToInitiator += Int64(n)
        c.lifetimeBytesRead += Int64(n)
        if clock.speed > 0 { delay += TimingModel.transfer(bytes: n, generation: d.generation) }
    }

    /// WRITE(6) (SSC-4 table 47): FIXED bit 0 of byte 1, transfer length 2–4.
    func write(_ d: DriveUnit, _ cdb: CDB, _ transfer: DataTransfer, delay: inout Duration) throws(CommandFailure) -> CommandReply {
        let c = try requireMounted(d)
        let fixed = cdb.bit(1, 0)
        let length = cdb.u24(2)
        try checkWritable(d, c)
        guard length > 0 else { return .good() }
        // The records' bytes (kept), or only their lengths (a library that keeps lengths; the
        // bytes may then be lent in place and are not looked at).
        let sent: Int
        let data: [UInt8]
        switch transfer {
        case .toDevice(let bytes): sent = bytes.count; data = bytes
        case .toDeviceInPlace(let bytes) where !keepsRecordData: sent = bytes.count; data = []
        default: throw CommandFailure(.invalidField(cdbByte: 2))
        }
        let lengths: [Int]
        if fixed {
            guard d.blockLength > 0 else { throw CommandFailure(.invalidField(cdbByte: 1, bit: 0)) }
            guard sent >= length * d.blockLength else { throw CommandFailure(.invalidField(cdbByte: 2)) }
            lengths = Array(repeating: d.blockLength, count: length)
        } else {
            guard length <= Self.maximumBlockLength else { throw CommandFailure(.invalidField(cdbByte: 2)) }
            guard sent >= length else { throw CommandFailure(.invalidField(cdbByte: 2)) }
            lengths = [length]
        }
        let bytes = Int64(lengths.reduce(0, +))
        let part = c.partitions[d.partition]
        let usedAfterTruncation = usedBytes(part, keepingBefore: d.position)
        if usedAfterTruncation + bytes > part.capacity {
            // Physical end of partition: VOLUME OVERFLOW, EOM, 00h/02h; nothing written.
            throw CommandFailure(SenseData(.volumeOverflow, .endOfPartitionDetected, endOfMedium: true,
                                           information: Int64(length)))
        }
        if c.mediaErrorBlocks[d.partition]?.contains(d.position) == true {
            throw CommandFailure(SenseData(.mediumError, .writeError, information: Int64(length)))
        }
        c.partitions[d.partition].truncate(at: d.position)
        if keepsRecordData {
            if fixed {
                for start in stride(from: 0, to: length * d.blockLength, by: d.blockLength) {
                    c.partitions[d.partition].append(.record(Array(data[start..<(start + d.blockLength)])))
                }
            } else {
                // The initiator's buffer becomes the record: no copy when it is exactly one record.
                c.partitions[d.partition].append(.record(data.count == length ? data : Array(data.prefix(length))))
            }
        } else {
            for n in lengths { c.partitions[d.partition].append(.unretained(length: n)) }
        }
        let records = lengths
        d.position += records.count
        recordChange(d, c)
        d.mountBytesWritten += bytes
        d.bytesFromInitiator += bytes
        c.lifetimeBytesWritten += bytes
        if clock.speed > 0 { delay += TimingModel.transfer(bytes: Int(bytes), generation: d.generation) }
        return earlyWarning(c.partitions[d.partition])
    }

    /// WRITE FILEMARKS(6) (SSC-4 table 49): WSMK bit 1, IMMED bit 0 of byte 1, count 2–4.
    func writeFilemarks(_ d: DriveUnit, _ cdb: CDB) throws(CommandFailure) -> CommandReply {
        let c = try requireMounted(d)
        if cdb.bit(1, 1) { throw CommandFailure(.invalidField(cdbByte: 1, bit: 1)) }  // setmarks
        let count = cdb.u24(2)
        guard count > 0 else { return .good() }  // a flush: nothing is buffered
        try checkWritable(d, c)
        if c.mediaErrorBlocks[d.partition]?.contains(d.position) == true {
            throw CommandFailure(SenseData(.mediumError, .writeError, information: Int64(count)))
        }
        c.partitions[d.partition].truncate(at: d.position)
        for _ in 0..<count { c.partitions[d.partition].append(.filemark) }
        d.position += count
        recordChange(d, c)
        return earlyWarning(c.partitions[d.partition])
    }

    /// Write protection, read-only compatibility and WORM append-only rules.
    func checkWritable(_ d: DriveUnit, _ c: Cartridge) throws(CommandFailure) {
        if c.writeProtected || d.generation.access(to: c.generation) == .readOnly {
            d.tapeAlerts.insert(0x09)  // TapeAlert: write protect
            throw CommandFailure(SenseData(.dataProtect, .writeProtected))
        }
        if c.kind == .worm && d.position < c.partitions[d.partition].objects.count {
            throw CommandFailure(SenseData(.dataProtect, .wormOverwriteAttempted))
        }
    }

    func recordChange(_ d: DriveUnit, _ c: Cartridge) {
        if !d.changedThisMount {
            d.changedThisMount = true
            c.contentsChanged()
        } else {
            c.dirty = true
        }
    }

    /// After a successful write in the early-warning zone: CHECK CONDITION, NO SENSE, EOM,
    /// 00h/02h (SSC-4 4.2.5); the data is on tape.
    private func earlyWarning(_ part: TapePartition) -> CommandReply {
        if part.usedBytes > part.earlyWarningBoundary {
            return .check(SenseData(.noSense, .endOfPartitionDetected, endOfMedium: true, information: 0))
        }
        return .good()
    }

    private func usedBytes(_ part: TapePartition, keepingBefore position: Int) -> Int64 {
        guard position < part.objects.count else { return part.usedBytes }
        var dropped: Int64 = 0
        for i in position..<part.objects.count { dropped += part.objects[i].byteCount }
        return part.usedBytes - dropped
    }
}
