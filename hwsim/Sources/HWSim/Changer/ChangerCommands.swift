import SCSI

/// The medium changer device server (SMC-3): command dispatch and the small commands.
extension LibraryCore {
    func changerCommand(_ cdb: CDB, _ transfer: DataTransfer, delay: inout Duration) -> CommandReply {
        let op = cdb.opcode
        if !Self.isUnitAttentionExempt(op), !changerUnitAttentions.isEmpty {
            lastChangerCommandWasMove = false
            return .check(changerUnitAttentions.removeFirst())
        }
        let notReady = changerNotReady()
        if let s = notReady, op != 0x12, op != 0xA0, op != 0x03 { return .check(s) }
        let previousWasMove = lastChangerCommandWasMove
        lastChangerCommandWasMove = false
        do throws(CommandFailure) {
            switch op {
            case 0x00: return .good()
            case 0x03:
                let pending = changerUnitAttentions.isEmpty ? notReady : changerUnitAttentions.removeFirst()
                return StandardInquiry.requestSense(cdb, current: pending)
            case 0x12:
                return StandardInquiry.inquiry(cdb, deviceType: 0x08, removable: false, identity: profile.changer)
            case 0xA0: return StandardInquiry.reportLUNs(cdb)
            case 0x1A, 0x5A: return try changerModeSense(cdb)
            case 0x15, 0x55: return .good()  // nothing changeable: accepted, ignored
            case 0xB8: return .good(try readElementStatus(cdb))
            case 0xA5:
                try moveMedium(cdb, previousWasMove: previousWasMove, delay: &delay)
                lastChangerCommandWasMove = true
                return .good()
            case 0xA6:
                try exchangeMedium(cdb, delay: &delay)
                lastChangerCommandWasMove = true
                return .good()
            case 0x07:
                initializeElementStatus(range: nil)
                delay += TimingModel.robotScan
                return .good()
            case 0x37, 0xE7:
                // INITIALIZE ELEMENT STATUS WITH RANGE (SMC-3 table 18; mhVTL uses E7h): RANGE bit 0
                // of byte 1, starting address 2–3, number of elements 6–7.
                if cdb.bit(1, 0) {
                    initializeElementStatus(range: (cdb.u16(2), cdb.u16(6)))
                } else {
                    initializeElementStatus(range: nil)
                }
                delay += TimingModel.robotScan
                return .good()
            case 0x2B:
                // POSITION TO ELEMENT (SMC-3 table 40): transport 2–3, destination 4–5, INVERT byte 8 bit 0.
                try checkTransport(cdb.u16(2), byte: 2)
                guard locate(address: cdb.u16(4)) != nil else { throw CommandFailure(.invalidElementAddress) }
                if cdb.bit(8, 0) { throw CommandFailure(.invalidField(cdbByte: 8, bit: 0)) }
                delay += TimingModel.robotMove / 2
                return .good()
            case 0x1E:
                // PREVENT ALLOW MEDIUM REMOVAL (SPC-4 table 160 / SMC-3): PREVENT bits 1–0 of byte 4.
                changerPreventRemoval = cdb[4] & 0x03 != 0
                return .good()
            case 0x1B: return try openCloseImportExport(cdb)
            case 0x4D: return try changerLogSense(cdb)
            case 0xA3: return SupportedOperationCodes.report(cdb, SupportedOperationCodes.changer)
            default: return .check(.invalidOpcode)
            }
        } catch {
            return .check(error.sense, data: error.data)
        }
    }

    /// NOT READY while inventorying after power-on (quirk) or while a fault holds the changer.
    func changerNotReady() -> SenseData? {
        let now = clock.now
        if now < changerReadyAt || now < (faults.notReadyUntil[0] ?? .zero) { return .becomingReady }
        return nil
    }

    func checkTransport(_ address: Int, byte: Int) throws(CommandFailure) {
        // Address 0 means the default medium transport (SMC-3 6.6).
        guard address == 0 || address == firstAddress(.transport) else { throw CommandFailure(.invalidElementAddress) }
    }

    func initializeElementStatus(range: (Int, Int)?) {
        func inRange(_ a: Int) -> Bool {
            guard let r = range else { return true }
            return a >= r.0 && a < r.0 + max(1, r.1)
        }
        for i in transports.indices where inRange(firstAddress(.transport) + i) { transports[i].exception = nil }
        for i in storage.indices where inRange(firstAddress(.storage) + i) { storage[i].exception = nil }
        for i in importExport.indices where inRange(firstAddress(.importExport) + i) { importExport[i].exception = nil }
        for d in drives where inRange(firstAddress(.dataTransfer) + d.index) { d.exception = nil }
    }

    /// OPEN/CLOSE IMPORT/EXPORT ELEMENT (SMC-3 table 30): element address 2–3, ACTION CODE
    /// bits 4–0 of byte 4 (00h open, 01h close).
    func openCloseImportExport(_ cdb: CDB) throws(CommandFailure) -> CommandReply {
        guard let e = locate(address: cdb.u16(2)), e.0 == .importExport else {
            throw CommandFailure(.invalidElementAddress)
        }
        switch cdb[4] & 0x1F {
        case 0x00:
            if changerPreventRemoval { throw CommandFailure(.removalPrevented) }
            mailSlotOpen = true
        case 0x01:
            mailSlotOpen = false
        default:
            throw CommandFailure(.invalidField(cdbByte: 4))
        }
        stateChanged = true
        return .good()
    }

    /// LOG SENSE on the changer: only the supported-pages page 00h (SPC-4 table 384).
    func changerLogSense(_ cdb: CDB) throws(CommandFailure) -> CommandReply {
        guard cdb[2] & 0x3F == 0x00, cdb[3] == 0 else { throw CommandFailure(.invalidField(cdbByte: 2)) }
        return .good(LogPage.encode(code: 0x00, body: [0x00]).truncated(to: cdb.u16(7)))
    }
}
