import SCSI

/// Threading, ejecting and cleaning: what happens when a cartridge enters or leaves a drive.
extension LibraryCore {
    /// Threads the cartridge in the drive. Returns the sense of a failed load (the cartridge
    /// then stays ejected in the drive and the next command reports it).
    @discardableResult
    func threadCartridge(_ d: DriveUnit) -> SenseData? {
        guard let c = d.cartridge else { return .mediumNotPresent }
        if c.kind == .cleaning {
            d.threaded = false
            if c.cleaningUsesLeft <= 0 {
                // Expired cleaning cartridge: TapeAlert 16h, ejected straight away.
                d.tapeAlerts.insert(0x16)
                let s = SenseData(.mediumError, AdditionalSense(0x30, 0x07))  // cleaning failure
                d.deferredSense = s
                return s
            }
            let now = clock.now
            d.busy = BusyOperation(kind: .cleaning, start: now, end: now + TimingModel.cleaning)
            return nil
        }
        if d.generation.access(to: c.generation) == .none {
            d.threaded = false
            d.tapeAlerts.insert(0x0C)  // TapeAlert: unsupported format
            let s = SenseData(.mediumError, .incompatibleMedium)
            d.deferredSense = s
            return s
        }
        d.threaded = true
        d.partition = 0
        d.position = 0
        d.changedThisMount = false
        d.mountBytesRead = 0
        d.mountBytesWritten = 0
        c.loadCount += 1
        if clock.speed > 0 {
            let now = clock.now
            d.busy = BusyOperation(kind: .load, start: now, end: now + TimingModel.load(d.generation))
        }
        return nil
    }

    /// Rewinds and unthreads; the cartridge waits in the drive for the robot.
    func ejectCartridge(_ d: DriveUnit) {
        d.threaded = false
        d.partition = 0
        d.position = 0
        d.busy = nil
        stateChanged = true
    }

    /// Ends a background operation whose time is up.
    func finishBusy(_ d: DriveUnit) {
        guard let busy = d.busy else { return }
        d.busy = nil
        if busy.kind == .cleaning, let c = d.cartridge {
            c.cleaningUsesLeft = max(0, c.cleaningUsesLeft - 1)
            c.dirty = true
            d.needsCleaning = false
            d.tapeAlerts.subtract([0x14, 0x15])
            stateChanged = true
        }
    }
}

extension BusyOperation {
    var notReadyCondition: AdditionalSense {
        switch kind {
        case .cleaning: return .cleaningCartridgeInstalled
        case .load: return .becomingReady
        default: return .operationInProgress
        }
    }
}
