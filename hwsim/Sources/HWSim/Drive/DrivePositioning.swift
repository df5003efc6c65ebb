import SCSI

/// SPACE, LOCATE, READ POSITION and REWIND (SSC-4 7.3, 6.7, 7.7, 6.9).
extension LibraryCore {
    /// SPACE(6) (SSC-4 table 45): CODE bits 3–0 of byte 1, signed COUNT 2–4.
    /// SPACE(16) (SSC-4 table 46): CODE bits 3–0 of byte 1, signed COUNT 4–11, PARAMETER LENGTH 12–13.
    func space(_ d: DriveUnit, _ cdb: CDB, delay: inout Duration) throws(CommandFailure) -> CommandReply {
        let c = try requireMounted(d)
        let code = cdb[1] & 0x0F
        let count: Int
        if cdb.opcode == 0x11 {
            count = cdb.s24(2)
        } else {
            if cdb.u16(12) != 0 { throw CommandFailure(.invalidField(cdbByte: 12)) }
            // A count beyond any tape is as good as the largest one (and cannot overflow).
            count = max(-(1 << 48), min(1 << 48, Int(truncatingIfNeeded: Int64(bitPattern: cdb.u64(4)))))
        }
        let part = c.partitions[d.partition]
        let objects = part.objects
        var p = d.position
        let from = p
        defer {
            d.position = p
            // Spacing costs like winding over the distance moved.
            delay += TimingModel.rewind(fraction: Double(abs(p - from)) / Double(max(1, objects.count)), generation: d.generation)
        }
        switch code {
        case 0x00:  // logical blocks
            if count >= 0 {
                var moved = 0
                while moved < count {
                    if p >= objects.count { throw endOfData(part, residue: count - moved) }
                    if objects[p] == .filemark {
                        p += 1
                        throw CommandFailure(SenseData(.noSense, .filemarkDetected, filemark: true, information: Int64(count - moved)))
                    }
                    p += 1; moved += 1
                }
            } else {
                let want = -count
                var moved = 0
                while moved < want {
                    if p == 0 { throw beginningOfPartition(residue: want - moved) }
                    if objects[p - 1] == .filemark {
                        p -= 1
                        throw CommandFailure(SenseData(.noSense, .filemarkDetected, filemark: true, information: Int64(want - moved)))
                    }
                    p -= 1; moved += 1
                }
            }
        case 0x01:  // filemarks
            if count >= 0 {
                var passed = 0
                while passed < count {
                    if p >= objects.count { throw endOfData(part, residue: count - passed) }
                    if objects[p] == .filemark { passed += 1 }
                    p += 1
                }
            } else {
                let want = -count
                var passed = 0
                while passed < want {
                    if p == 0 { throw beginningOfPartition(residue: want - passed) }
                    p -= 1
                    if objects[p] == .filemark { passed += 1 }
                }
            }
        case 0x03:  // end of data
            p = objects.count
            if !part.hasEndOfData { throw CommandFailure(SenseData(.mediumError, AdditionalSense(0x14, 0x03))) }
        default:
            throw CommandFailure(.invalidField(cdbByte: 1))
        }
        return .good()
    }

    private func endOfData(_ part: TapePartition, residue: Int) -> CommandFailure {
        if !part.hasEndOfData {
            return CommandFailure(SenseData(.mediumError, AdditionalSense(0x14, 0x03), information: Int64(residue)))
        }
        return CommandFailure(SenseData(.blankCheck, .endOfDataDetected, information: Int64(residue)))
    }

    private func beginningOfPartition(residue: Int) -> CommandFailure {
        CommandFailure(SenseData(.noSense, .beginningOfPartitionDetected, endOfMedium: true, information: Int64(residue)))
    }

    /// LOCATE(10) (SSC-4 table 18): BT bit 2, CP bit 1, IMMED bit 0 of byte 1; logical object
    /// identifier 3–6; partition byte 8. LOCATE(16) (SSC-4 table 19): DEST_TYPE bits 5–3, CP
    /// bit 1, IMMED bit 0 of byte 1; partition byte 3; logical identifier 4–11.
    func locate(_ d: DriveUnit, _ cdb: CDB, delay: inout Duration) throws(CommandFailure) -> CommandReply {
        let c = try requireMounted(d)
        let changePartition = cdb.bit(1, 1)
        let target: Int
        let partition: Int
        var byFile = false
        if cdb.opcode == 0x2B {
            target = cdb.u32(3)
            partition = Int(cdb[8])
        } else {
            let destType = (cdb[1] >> 3) & 0x07
            guard destType <= 1 else { throw CommandFailure(.invalidField(cdbByte: 1, bit: 3)) }
            byFile = destType == 1
            partition = Int(cdb[3])
            target = Int(clamping: cdb.u64(4))
        }
        if changePartition {
            guard partition < c.partitions.count else { throw CommandFailure(.invalidField(cdbByte: cdb.opcode == 0x2B ? 8 : 3)) }
            d.partition = partition
        }
        let part = c.partitions[d.partition]
        var objectIndex = target
        if byFile {
            // Logical file identifier n: the first object after the n-th filemark.
            var seen = 0
            objectIndex = part.objects.count + 1
            if target == 0 { objectIndex = 0 }
            for (i, o) in part.objects.enumerated() where o == .filemark {
                seen += 1
                if seen == target { objectIndex = i + 1; break }
            }
        }
        let from = d.position
        if objectIndex > part.objects.count {
            d.position = part.objects.count
            throw CommandFailure(SenseData(.blankCheck, .endOfDataDetected))
        }
        d.position = objectIndex
        let span = Double(abs(objectIndex - from)) / Double(max(1, part.objects.count))
        schedule(d, .locate, TimingModel.rewind(fraction: span, generation: d.generation), immediate: cdb.bit(1, 0), delay: &delay)
        return .good()
    }

    /// READ POSITION (SSC-4 table 36): SERVICE ACTION bits 4–0 of byte 1 — 00h/01h short form
    /// (table 37), 06h long form (table 38), 08h extended form (table 39); allocation length 7–8.
    func readPosition(_ d: DriveUnit, _ cdb: CDB) throws(CommandFailure) -> CommandReply {
        let c = try requireMounted(d)
        let part = c.partitions[d.partition]
        let bop = d.position == 0
        let eop = part.usedBytes > part.earlyWarningBoundary
        var b = ResponseBuffer(capacity: 32)
        switch cdb[1] & 0x1F {
        case 0x00, 0x01:
            b.u8((bop ? 0x80 : 0) | (eop ? 0x40 : 0))  // BOP, EOP; LOCU/BYCU 0: buffer empty
            b.u8(d.partition)
            b.zeros(2)
            b.u32(d.position)                           // first logical object location
            b.u32(d.position)                           // last logical object location
            b.u8(0)
            b.u24(0)                                    // objects in buffer
            b.u32(0)                                    // bytes in buffer
            return .good(b.bytes)
        case 0x06:
            b.u8((bop ? 0x80 : 0) | (eop ? 0x40 : 0))
            b.zeros(3)
            b.u32(d.partition)
            b.u64(UInt64(d.position))
            b.u64(UInt64(part.filemarks(before: d.position)))  // logical file identifier
            b.zeros(8)
            return .good(b.bytes)
        case 0x08:
            b.u8((bop ? 0x80 : 0) | (eop ? 0x40 : 0))
            b.u8(d.partition)
            b.u16(0x1C)                                 // additional length
            b.u8(0)
            b.u24(0)
            b.u64(UInt64(d.position))
            b.u64(UInt64(d.position))
            b.u64(0)
            return .good(b.bytes.truncated(to: cdb.u16(7)))
        default:
            throw CommandFailure(.invalidField(cdbByte: 1))
        }
    }

    /// REWIND (SSC-4 table 41): IMMED bit 0 of byte 1. Goes to the beginning of partition 0.
    func rewind(_ d: DriveUnit, _ cdb: CDB, delay: inout Duration) throws(CommandFailure) -> CommandReply {
        let c = try requireMounted(d)
        let fraction = Double(d.position) / Double(max(1, c.partitions[d.partition].objects.count))
        d.partition = 0
        d.position = 0
        schedule(d, .rewind, TimingModel.rewind(fraction: fraction, generation: d.generation), immediate: cdb.bit(1, 0), delay: &delay)
        return .good()
    }
}
