import SCSI

/// ERASE, FORMAT MEDIUM, SET CAPACITY and REPORT DENSITY SUPPORT (SSC-4 6.3, 6.2, 6.12, 6.10).
extension LibraryCore {
    /// ERASE(6) (SSC-4 table 13): IMMED bit 1, LONG bit 0 of byte 1. Erases from the current
    /// position to the end of the partition (end of data is written there).
    func erase(_ d: DriveUnit, _ cdb: CDB, delay: inout Duration) throws(CommandFailure) -> CommandReply {
        let c = try requireMounted(d)
        try checkWritable(d, c)
        let long = cdb.bit(1, 0)
        c.partitions[d.partition].truncate(at: d.position)
        recordChange(d, c)
        let duration = long ? TimingModel.longErase(capacity: c.partitions[d.partition].capacity, generation: d.generation)
                            : TimingModel.shortErase
        schedule(d, .erase, duration, immediate: cdb.bit(1, 1), delay: &delay)
        return .good()
    }

    /// FORMAT MEDIUM (SSC-4 table 10): VERIFY bit 1, IMMED bit 0 of byte 1; FORMAT bits 3–0 of
    /// byte 2 (0 default: one partition; 1 partition per the Medium Partition page; 2 both);
    /// transfer length 3–4 (no format parameters are supported).
    func formatMedium(_ d: DriveUnit, _ cdb: CDB, delay: inout Duration) throws(CommandFailure) -> CommandReply {
        let c = try requireMounted(d)
        let format = cdb[2] & 0x0F
        guard format <= 2 else { throw CommandFailure(.invalidField(cdbByte: 2)) }
        guard cdb.u16(3) == 0 else { throw CommandFailure(.invalidField(cdbByte: 3)) }
        if c.writeProtected || d.generation.access(to: c.generation) == .readOnly {
            throw CommandFailure(SenseData(.dataProtect, .writeProtected))
        }
        if c.kind == .worm && c.partitions.contains(where: { !$0.objects.isEmpty }) {
            throw CommandFailure(SenseData(.dataProtect, .wormOverwriteAttempted))
        }
        if format != 0 && !d.generation.supportsPartitions { throw CommandFailure(.invalidField(cdbByte: 2)) }
        let plan: [Int64?] = format == 0 ? [nil] : (d.pendingPartitionSizes ?? [nil])
        c.repartition(sizes: plan)
        d.partition = 0
        d.position = 0
        recordChange(d, c)
        stateChanged = true
        schedule(d, .format, TimingModel.format(generation: c.generation), immediate: cdb.bit(1, 0), delay: &delay)
        return .good()
    }

    /// SET CAPACITY (SSC-4 table 31): IMMED bit 0 of byte 1, capacity proportion value 3–4
    /// (fraction of 65535). At the beginning of partition 0; leaves one partition.
    func setCapacity(_ d: DriveUnit, _ cdb: CDB, delay: inout Duration) throws(CommandFailure) -> CommandReply {
        let c = try requireMounted(d)
        guard d.partition == 0 && d.position == 0 else {
            throw CommandFailure(SenseData(.illegalRequest, AdditionalSense(0x3B, 0x08)))  // not at BOP... position error
        }
        try checkWritable(d, c)
        let proportion = cdb.u16(3)
        guard proportion > 0 else { throw CommandFailure(.invalidField(cdbByte: 3)) }
        let wanted = c.fullCapacity * Int64(proportion) / 0xFFFF
        c.capacity = max(1 << 20, wanted)
        c.repartition(sizes: [nil])
        recordChange(d, c)
        stateChanged = true
        schedule(d, .format, .seconds(5), immediate: cdb.bit(1, 0), delay: &delay)
        return .good()
    }

    /// REPORT DENSITY SUPPORT (SSC-4 table 27): MEDIUM TYPE bit 1, MEDIA bit 0 of byte 1,
    /// allocation length 7–8. Density support descriptors of 52 bytes (table 29).
    func reportDensitySupport(_ d: DriveUnit, _ cdb: CDB) throws(CommandFailure) -> CommandReply {
        if cdb.bit(1, 1) { throw CommandFailure(.invalidField(cdbByte: 1, bit: 1)) }
        let mediaOnly = cdb.bit(1, 0)
        var generations: [LTOGeneration]
        if mediaOnly {
            let c = try requireMounted(d)
            generations = [c.generation]
        } else {
            generations = LTOGeneration.allCases.filter { d.generation.access(to: $0) != .none }.reversed()
        }
        var b = ResponseBuffer(capacity: 4 + 52 * generations.count)
        b.u16(2 + 52 * generations.count)   // available density support length (n − 1)
        b.zeros(2)
        for g in generations {
            let access = d.generation.access(to: g)
            b.u8(g.densityCode); b.u8(g.densityCode)
            b.u8((access == .readWrite ? 0x80 : 0) | (g == d.generation ? 0x20 : 0))  // WRTOK, DEFLT
            b.zeros(2)
            b.u24(0)                                   // bits per mm (not modelled)
            b.u16(127)                                 // media width, 0.1 mm
            b.u16(0)                                   // tracks
            b.u32(Int(g.nativeCapacity / 1_000_000))   // capacity, MB
            b.ascii("LTO-CVE", width: 8)
            b.ascii(g.rawValue, width: 8)
            b.ascii("Ultrium \(g.number)", width: 20)
        }
        return .good(b.bytes.truncated(to: cdb.u16(7)))
    }
}
