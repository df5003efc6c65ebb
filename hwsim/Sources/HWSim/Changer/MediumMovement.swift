import SCSI

/// MOVE MEDIUM and EXCHANGE MEDIUM (SMC-3 6.6, 6.3).
///
/// Moving a cartridge out of a drive that still has it threaded makes the drive rewind and
/// eject it first, as real libraries do (mtx never sends UNLOAD to the drive); the drive
/// refuses with 5/53/02 while its PREVENT MEDIUM REMOVAL is set.
extension LibraryCore {
    func moveMedium(_ cdb: CDB, previousWasMove: Bool, delay: inout Duration) throws(CommandFailure) {
        // MOVE MEDIUM (SMC-3 table 34): transport 2–3, source 4–5, destination 6–7,
        // INVERT byte 10 bit 0; EEPOS (01b retract, 10b extend the mail slot) read from byte 10
        // bits 2–1 or, as scsi-reference.md notes for some tools, byte 11 bits 7–6.
        try checkTransport(cdb.u16(2), byte: 2)
        guard let src = locate(address: cdb.u16(4)), let dst = locate(address: cdb.u16(6)) else {
            throw CommandFailure(.invalidElementAddress)
        }
        if cdb.bit(10, 0) { throw CommandFailure(.invalidField(cdbByte: 10, bit: 0)) }
        let eepos = (cdb[10] >> 1) & 0x03 != 0 ? (cdb[10] >> 1) & 0x03 : cdb[11] >> 6
        if profile.quirks.backToBackMoveHardwareError && previousWasMove {
            throw CommandFailure(SenseData(.hardwareError, AdditionalSense(0x04, 0x03)))
        }
        try checkMovable(from: src, to: dst)
        if faults.robotJams > 0 {
            faults.robotJams -= 1
            jamRobot(at: src)
        }
        try transfer(from: src, to: dst)
        if eepos == 0x01 { mailSlotOpen = false }
        if eepos == 0x02 { mailSlotOpen = true }
        delay += TimingModel.robotMove
    }

    func exchangeMedium(_ cdb: CDB, delay: inout Duration) throws(CommandFailure) {
        // EXCHANGE MEDIUM (SMC-3 table 16): transport 2–3, source 4–5, first destination 6–7,
        // second destination 8–9, INV1 bit 1 and INV2 bit 0 of byte 10.
        try checkTransport(cdb.u16(2), byte: 2)
        guard let src = locate(address: cdb.u16(4)), let dst1 = locate(address: cdb.u16(6)),
              let dst2 = locate(address: cdb.u16(8)) else {
            throw CommandFailure(.invalidElementAddress)
        }
        if cdb[10] & 0x03 != 0 { throw CommandFailure(.invalidField(cdbByte: 10)) }
        guard cartridge(at: src) != nil, cartridge(at: dst1) != nil else {
            throw CommandFailure(SenseData(.illegalRequest, .sourceElementEmpty))
        }
        let sameSecond = dst2 == src
        if !sameSecond && cartridge(at: dst2) != nil {
            throw CommandFailure(SenseData(.illegalRequest, .destinationElementFull))
        }
        if src == dst1 { throw CommandFailure(.invalidField(cdbByte: 6)) }
        try checkAccessible(src); try checkAccessible(dst1); try checkAccessible(dst2)
        if faults.robotJams > 0 {
            faults.robotJams -= 1
            jamRobot(at: src)
        }
        if let jam = transports[0].exception { throw CommandFailure(SenseData(.hardwareError, jam)) }
        try releaseFromDrive(src)
        try releaseFromDrive(dst1)
        let first = cartridge(at: src), second = cartridge(at: dst1)
        let firstSource = newSource(moving: src), secondSource = newSource(moving: dst1)
        setContent(at: src, nil, source: nil)
        setContent(at: dst1, first, source: firstSource)
        if let d = driveIfDataTransfer(dst1), let c = first { insert(c, into: d) }
        setContent(at: dst2, second, source: secondSource)
        if let d = driveIfDataTransfer(dst2), let c = second { insert(c, into: d) }
        stateChanged = true
        delay += TimingModel.robotMove * 2
    }

    private func checkMovable(from src: (ElementType, Int), to dst: (ElementType, Int)) throws(CommandFailure) {
        guard cartridge(at: src) != nil else { throw CommandFailure(SenseData(.illegalRequest, .sourceElementEmpty)) }
        if src == dst { return }
        guard cartridge(at: dst) == nil else { throw CommandFailure(SenseData(.illegalRequest, .destinationElementFull)) }
        try checkAccessible(src)
        try checkAccessible(dst)
    }

    /// The mail slot cannot be reached by the robot while it is open (SPC-4 3Bh/11h).
    private func checkAccessible(_ e: (ElementType, Int)) throws(CommandFailure) {
        if e.0 == .importExport && mailSlotOpen {
            throw CommandFailure(SenseData(.notReady, AdditionalSense(0x3B, 0x11)))
        }
        if e.0 == .dataTransfer {
            let d = drives[e.1]
            if let busy = d.busy, clock.now < busy.end, cartridge(at: e) != nil {
                throw CommandFailure(SenseData(.notReady, busy.notReady))
            }
        }
    }

    /// A robot jam: HARDWARE ERROR, the transport and the source flagged EXCEPT.
    private func jamRobot(at src: (ElementType, Int)) {
        let jam = AdditionalSense(0x15, 0x01)  // mechanical positioning error
        transports[0].exception = jam
        switch src.0 {
        case .storage: storage[src.1].exception = jam
        case .importExport: importExport[src.1].exception = jam
        case .dataTransfer: drives[src.1].exception = jam
        case .transport: break
        }
    }

    private func transfer(from src: (ElementType, Int), to dst: (ElementType, Int)) throws(CommandFailure) {
        if transports[0].exception != nil {
            throw CommandFailure(SenseData(.hardwareError, transports[0].exception ?? AdditionalSense(0x15, 0x01)))
        }
        if src == dst { return }
        try releaseFromDrive(src)
        guard let c = cartridge(at: src) else { return }
        let source = newSource(moving: src)
        setContent(at: src, nil, source: nil)
        setContent(at: dst, c, source: source)
        if let d = driveIfDataTransfer(dst) { insert(c, into: d) }
        stateChanged = true
    }

    /// The source address a medium keeps: the storage or mail slot it last left (SMC-3 6.11.3).
    private func newSource(moving e: (ElementType, Int)) -> UInt16? {
        if e.0 == .storage || e.0 == .importExport { return UInt16(firstAddress(e.0) + e.1) }
        return source(at: e) ?? UInt16(firstAddress(e.0) + e.1)
    }

    private func driveIfDataTransfer(_ e: (ElementType, Int)) -> DriveUnit? {
        e.0 == .dataTransfer ? drives[e.1] : nil
    }

    /// Before the robot takes a cartridge from a drive: the drive rewinds and ejects it.
    private func releaseFromDrive(_ e: (ElementType, Int)) throws(CommandFailure) {
        guard e.0 == .dataTransfer else { return }
        let d = drives[e.1]
        guard d.cartridge != nil else { return }
        if let busy = d.busy, clock.now >= busy.end { finishBusy(d) }  // e.g. a cleaning cycle that is over
        if d.preventRemoval { throw CommandFailure(.removalPrevented) }
        if d.threaded { ejectCartridge(d) }
        d.busy = nil
    }

    /// A cartridge arrives in a drive: the drive reports a medium change and threads it.
    func insert(_ c: Cartridge, into d: DriveUnit) {
        d.cartridge = c
        d.threaded = false
        d.unitAttentions.append(.mediumChanged)
        _ = threadCartridge(d)
    }
}
