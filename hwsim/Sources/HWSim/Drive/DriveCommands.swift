import SCSI

/// The tape drive device server (SSC-4): dispatch and the small commands.
extension LibraryCore {
    func driveCommand(_ d: DriveUnit, _ cdb: CDB, _ transfer: DataTransfer, delay: inout Duration) -> CommandReply {
        let op = cdb.opcode
        let exempt = Self.isUnitAttentionExempt(op)
        if !exempt, !d.unitAttentions.isEmpty { return .check(d.unitAttentions.removeFirst()) }
        if let until = faults.notReadyUntil[d.index + 1], clock.now < until, op != 0x12, op != 0xA0 {
            let s = SenseData.becomingReady
            return op == 0x03 ? .good(s.bytes.truncated(to: Int(cdb[4]))) : .check(s)
        }
        if let busy = d.busy {
            if clock.now >= busy.end {
                finishBusy(d)
            } else if op != 0x12 && op != 0xA0 && op != 0x4D && op != 0xA3 {
                // INQUIRY, REPORT LUNS, LOG SENSE and REPORT SUPPORTED OPERATION CODES still
                // answer during a background operation, as LTO drives do.
                let s = busySense(busy)
                if clock.speed == 0 { clock.advance(by: (busy.end - busy.start) / 4) }
                if op == 0x03 { return .good(s.bytes.truncated(to: Int(cdb[4]))) }
                return .check(s)
            }
        }
        if op == 0x03 {
            let pending: SenseData?
            if !d.unitAttentions.isEmpty {
                pending = d.unitAttentions.removeFirst()
            } else {
                pending = d.deferredSense
                d.deferredSense = nil
            }
            return StandardInquiry.requestSense(cdb, current: pending ?? driveNotReadySense(d))
        }
        if let deferred = d.deferredSense, op != 0x12, op != 0xA0 {
            d.deferredSense = nil
            return .check(deferred)
        }
        do throws(CommandFailure) {
            switch op {
            case 0x00:
                _ = try requireMounted(d)
                return .good()
            case 0x12:
                return StandardInquiry.inquiry(cdb, deviceType: 0x01, removable: true, identity: d.profile.identity)
            case 0xA0: return StandardInquiry.reportLUNs(cdb)
            case 0x05: return .good(readBlockLimits(cdb))
            case 0x08: return try read(d, cdb, delay: &delay)
            case 0x13: return try verify(d, cdb, delay: &delay)
            case 0x0A: return try write(d, cdb, transfer, delay: &delay)
            case 0x10: return try writeFilemarks(d, cdb)
            case 0x11, 0x91: return try space(d, cdb, delay: &delay)
            case 0x2B, 0x92: return try locate(d, cdb, delay: &delay)
            case 0x34: return try readPosition(d, cdb)
            case 0x01: return try rewind(d, cdb, delay: &delay)
            case 0x1B: return try loadUnload(d, cdb, delay: &delay)
            case 0x1E:
                // PREVENT ALLOW MEDIUM REMOVAL (SPC-4 table 160): PREVENT bits 1–0 of byte 4.
                d.preventRemoval = cdb[4] & 0x03 != 0
                return .good()
            case 0x1A, 0x5A: return try driveModeSense(d, cdb)
            case 0x15, 0x55: return try driveModeSelect(d, cdb, transfer)
            case 0x19: return try erase(d, cdb, delay: &delay)
            case 0x04: return try formatMedium(d, cdb, delay: &delay)
            case 0x0B: return try setCapacity(d, cdb, delay: &delay)
            case 0x44: return try reportDensitySupport(d, cdb)
            case 0x4D: return try driveLogSense(d, cdb)
            case 0x4C: return .good()  // LOG SELECT: counters are not resettable; accepted
            case 0x8C: return try readAttribute(d, cdb)
            case 0x8D: return try writeAttribute(d, cdb, transfer)
            case 0xA2: return try securityProtocolIn(cdb, drive: d)
            case 0xA3: return SupportedOperationCodes.report(cdb, SupportedOperationCodes.drive)
            default: return .check(.invalidOpcode)
            }
        } catch {
            return .check(error.sense, data: error.data)
        }
    }

    /// NOT READY with the progress of an IMMED operation (SPC-4 4.5.2.4.4).
    func busySense(_ busy: BusyOperation) -> SenseData {
        let total = busy.end - busy.start
        let done = clock.now - busy.start
        let fraction = total > .zero ? min(1, max(0, done / total)) : 1
        var s = SenseData(.notReady, busy.notReady)
        s.progress = UInt16(min(65535, Int((fraction * 65536).rounded())))
        return s
    }

    /// REQUEST SENSE's answer when nothing is pending: NOT READY if there is no medium.
    func driveNotReadySense(_ d: DriveUnit) -> SenseData? {
        d.mounted == nil ? .mediumNotPresent : nil
    }

    func requireMounted(_ d: DriveUnit) throws(CommandFailure) -> Cartridge {
        guard let c = d.mounted else { throw CommandFailure(.mediumNotPresent) }
        return c
    }

    /// READ BLOCK LIMITS (SSC-4 table 34 / 35): granularity 0, maximum 8 MiB, minimum 1.
    func readBlockLimits(_ cdb: CDB) -> [UInt8] {
        var b = ResponseBuffer(capacity: 6)
        b.u8(0)
        b.u24(Self.maximumBlockLength)
        b.u16(1)
        return b.bytes
    }

    static let maximumBlockLength = 0x80_0000

    /// LOAD/UNLOAD (SSC-4 table 22): IMMED byte 1 bit 0; byte 4 HOLD bit 3, EOT bit 2,
    /// RETEN bit 1, LOAD bit 0.
    func loadUnload(_ d: DriveUnit, _ cdb: CDB, delay: inout Duration) throws(CommandFailure) -> CommandReply {
        let load = cdb.bit(4, 0)
        if load && cdb.bit(4, 2) { throw CommandFailure(.invalidField(cdbByte: 4, bit: 2)) }
        guard d.cartridge != nil else { throw CommandFailure(.mediumNotPresent) }
        if load {
            if d.threaded {
                d.partition = 0; d.position = 0
                return .good()
            }
            if let failure = threadCartridge(d) {
                d.deferredSense = nil
                throw CommandFailure(failure)
            }
            if d.busy?.kind == .load { d.busy = nil }  // the command itself takes the load time
            schedule(d, .load, TimingModel.load(d.generation), immediate: cdb.bit(1, 0), delay: &delay)
        } else {
            if d.preventRemoval { throw CommandFailure(.removalPrevented) }
            if d.threaded {
                ejectCartridge(d)
                schedule(d, .load, TimingModel.unload(d.generation), immediate: cdb.bit(1, 0), delay: &delay)
            }
        }
        return .good()
    }

    /// A long operation: with IMMED it runs in the background (NOT READY with progress until
    /// done) — in instant mode only erase, format and cleaning keep such a window, so that
    /// simple sequences never need polling; without IMMED the command itself takes the time.
    func schedule(_ d: DriveUnit, _ kind: BusyOperation.Kind, _ duration: Duration, immediate: Bool,
                  delay: inout Duration) {
        let keepsWindow = clock.speed > 0 || kind == .erase || kind == .format || kind == .cleaning
        if immediate && keepsWindow {
            let now = clock.now
            d.busy = BusyOperation(kind: kind, start: now, end: now + duration)
        } else {
            delay += duration
        }
    }

    /// SECURITY PROTOCOL IN (SPC-4 table 267): protocol 00h (security protocol information)
    /// and 20h (tape data encryption, SSC-4 8.5) for a drive that supports no encryption
    /// algorithm and has encryption and decryption disabled — what `stenc --detail` reads.
    func securityProtocolIn(_ cdb: CDB, drive d: DriveUnit? = nil) throws(CommandFailure) -> CommandReply {
        let allocation = cdb.u32(6)
        let page = cdb.u16(2)
        switch (cdb[1], page) {
        case (0x00, 0x0000):
            // Supported security protocol list (SPC-4 table 270): protocols 00h and 20h.
            var b = ResponseBuffer(capacity: 10)
            b.zeros(6); b.u16(2); b.u8(0x00); b.u8(0x20)
            return .good(b.bytes.truncated(to: allocation))
        case (0x00, 0x0001):
            // Certificate data (SPC-4 table 271): none.
            return .good([0, 0, 0, 0].truncated(to: allocation))
        case (0x20, 0x0000):
            // Tape Data Encryption In Support page (SSC-4 table 196): the pages listed here.
            let pages: [UInt16] = [0x0000, 0x0001, 0x0010, 0x0020, 0x0021]
            var b = ResponseBuffer(capacity: 4 + 2 * pages.count)
            b.u16(0x0000); b.u16(2 * pages.count)
            for p in pages { b.u16(Int(p)) }
            return .good(b.bytes.truncated(to: allocation))
        case (0x20, 0x0001):
            // Tape Data Encryption Out Support page (SSC-4 table 197): none settable.
            return .good([0x00, 0x01, 0x00, 0x00].truncated(to: allocation))
        case (0x20, 0x0010):
            // Data Encryption Capabilities page (SSC-4 table 198): no algorithm descriptors;
            // byte 4 CFG_P = 01b (the drive is not capable of encryption).
            var b = ResponseBuffer(capacity: 20)
            b.u16(0x0010); b.u16(16); b.u8(0x01); b.zeros(15)
            return .good(b.bytes.truncated(to: allocation))
        case (0x20, 0x0020):
            // Data Encryption Status page (SSC-4 table 205): I_T nexus scope public, key scope
            // public, encryption mode DISABLE (0), decryption mode DISABLE (0), algorithm 0,
            // key instance counter 0, no key-associated data.
            var b = ResponseBuffer(capacity: 24)
            b.u16(0x0020); b.u16(20); b.zeros(20)
            return .good(b.bytes.truncated(to: allocation))
        case (0x20, 0x0021):
            // Next Block Encryption Status page (SSC-4 table 208): the logical object number
            // at the current position; encryption status 2h "not encrypted" for a data block,
            // 1h for a filemark or end of data, 0h without a medium.
            var b = ResponseBuffer(capacity: 16)
            b.u16(0x0021); b.u16(12)
            let position = d?.cartridge != nil ? UInt64(clamping: d?.position ?? 0) : 0
            b.u64(position)
            b.u8(d?.cartridge == nil ? 0x00 : 0x02)
            b.zeros(3)
            return .good(b.bytes.truncated(to: allocation))
        default:
            throw CommandFailure(.invalidField(cdbByte: cdb[1] == 0x00 || cdb[1] == 0x20 ? 2 : 1))
        }
    }
}
