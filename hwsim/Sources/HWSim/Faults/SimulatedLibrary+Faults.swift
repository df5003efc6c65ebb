import SCSI

/// Fault injection for tests. Every fault is armed here and reported through SCSI (or as a
/// `TransportError` for a vanished device) exactly as a real device would.
extension SimulatedLibrary {
    /// The next `count` commands with `opcode` on `device` (0 changer, 1… drives) end in
    /// CHECK CONDITION with `sense`, changing nothing.
    public func failNext(_ count: Int = 1, opcode: UInt8, device: Int, with sense: SenseData) {
        withCore { $0.faults.injected.append(.init(device: device, opcode: opcode, remaining: count, sense: sense)) }
    }

    /// The next `count` MOVE/EXCHANGE MEDIUM commands jam the robot: HARDWARE ERROR 4/15/01,
    /// EXCEPT set on the transport and source elements, nothing moved. Later moves fail the
    /// same way until INITIALIZE ELEMENT STATUS clears the exception.
    public func jamRobot(nextMoves count: Int = 1) {
        withCore { $0.faults.robotJams += count }
    }

    /// The drive asks for cleaning: TapeAlert 14h (clean now), log page 0Ch cleaning required.
    public func requireCleaning(drive: Int) {
        withCore { core in
            guard core.drives.indices.contains(drive) else { return }
            core.drives[drive].needsCleaning = true
            core.drives[drive].tapeAlerts.insert(0x14)
        }
    }

    /// Sets TapeAlert flags on a drive (01h…40h).
    public func raiseTapeAlerts(_ flags: [UInt8], drive: Int) {
        withCore { core in
            guard core.drives.indices.contains(drive) else { return }
            core.drives[drive].tapeAlerts.formUnion(flags.filter { (1...64).contains($0) })
        }
    }

    /// Reading the logical object at `block` of `partition` gives MEDIUM ERROR 3/11/00, and
    /// writing there gives 3/0C/00.
    public func injectMediaError(barcode: String, partition: Int = 0, block: Int) {
        withCore { core in
            if let c = core.allCartridges().first(where: { $0.0.barcode == barcode })?.0 {
                c.mediaErrorBlocks[partition, default: []].insert(block)
            }
        }
    }

    /// `device` answers NOT READY 2/04/01 (becoming ready) for `duration` of virtual time.
    public func makeNotReady(device: Int, for duration: Duration) {
        withCore { core in core.faults.notReadyUntil[device] = core.clock.now + duration }
    }

    /// The device vanishes: its transport throws `TransportError(.deviceGone)`.
    public func disconnect(device: Int) { withCore { _ = $0.faults.goneDevices.insert(device) } }

    /// The device is back (with a power-on unit attention).
    public func reconnect(device: Int) {
        withCore { core in
            core.faults.goneDevices.remove(device)
            if device == 0 { core.changerUnitAttentions = [.powerOn] }
            else if core.drives.indices.contains(device - 1) { core.drives[device - 1].unitAttentions = [.powerOn] }
        }
    }

    /// Disarms every fault.
    public func clearFaults() { withCore { $0.faults = FaultBook() } }
}
