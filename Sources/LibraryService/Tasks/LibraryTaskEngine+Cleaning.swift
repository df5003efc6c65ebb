import Catalog
import Discovery
import SCSI
import TapeHardware

/// Drive cleaning with a cleaning cartridge from the library's storage slots.
extension LibraryTaskEngine {
    func cleanDrive(_ task: LibraryTask, id: Int64, library libraryID: Int64,
                    drive: LibraryBinding.Drive) async throws {
        let driveAddress = try driveElement(drive)
        let changer = try await changer(of: libraryID)
        let device = try await tapeDrive(drive)
        // The drive's cleaning requests before the cleaner goes in: a cycle too short to be
        // seen counts only if they were raised and are gone afterwards.
        let requestsBefore = (try? await device.tapeAlerts()).map { $0.intersection(Self.cleaningRequests) }
        // The robot is held for the moves only, not for the cleaning cycle.
        let (home, cartridge) = try await withRobot(libraryID, .load, priority: task.priority) {
            try await announce(id, phase: "choosing a cleaning cartridge", percent: 5)
            let inventory = try await changer.inventory()
            guard let driveElement = inventory.element(address: driveAddress) else {
                throw TaskRunFailure(message: "the changer reports no element \(driveAddress)")
            }
            guard !driveElement.full else {
                throw TaskRunFailure(message: "drive \(drive.driveID) holds \(driveElement.volumeTag ?? "a cartridge"); "
                                        + "unload it first")
            }
            let (home, cartridge) = try await cleaningCartridge(in: inventory, library: libraryID)
            try await announce(id, phase: "loading cleaning cartridge \(cartridge.volumeTag)", percent: 10)
            try await changer.move(from: home, to: driveAddress)
            return (home, cartridge)
        }

        // A kill does not stop this wait: no library takes a cleaner out of a drive in its cycle.
        let outcome: CleaningOutcome
        do {
            // Not a safe point: the cleaner is in the drive and goes home whatever happens next.
            try await announce(id, phase: "cleaning", percent: 20, safePoint: false)
            outcome = try await waitForCleaning(device, requestsBefore: requestsBefore ?? [])
        } catch {
            // The cleaner goes home also when the drive failed under the wait (unless the drive
            // or the changer is gone); the task fails with the drive's error.
            if !error.isDeviceGone && !(error is DeviceOfflineError) {
                do {
                    try? await announce(id, phase: "returning cleaning cartridge \(cartridge.volumeTag) after a failure",
                                        safePoint: false)
                    try await eject(drive)
                    try await withRobot(libraryID, .unload, priority: task.priority) {
                        try await changer.move(from: driveAddress,
                                               to: try await returnTarget(preferring: home, from: driveAddress, changer: changer))
                    }
                } catch let returning {
                    logger.error("task \(id): returning \(cartridge.volumeTag) after a failed cleaning failed: \(returning)")
                }
            }
            throw error
        }

        try await announce(id, phase: "returning cleaning cartridge \(cartridge.volumeTag)", percent: 80,
                           safePoint: false)
        try await eject(drive)
        try await withRobot(libraryID, .unload, priority: task.priority) {
            try await changer.move(from: driveAddress,
                                   to: try await returnTarget(preferring: home, from: driveAddress, changer: changer))
        }
        guard let cartridgeID = cartridge.id else { throw TaskRunFailure(message: "cleaning cartridge without id") }
        switch outcome {
        case .cleaned, .expired:
            try await catalog.recordCleaning(drive: drive.driveID, cartridge: cartridgeID, expired: outcome == .expired)
        case .notStarted, .notSeen:
            break
        }
        try await withRobot(libraryID) { try await readBack(library: libraryID, taskID: id, after: "the cleaning") }
        switch outcome {
        case .cleaned:
            break
        case .expired:
            throw TaskRunFailure(message: "cleaning cartridge \(cartridge.volumeTag) has expired (TapeAlert 16h); "
                                    + "it is retired in the catalog and the drive was not cleaned")
        case .notStarted:
            throw TaskRunFailure(message: "drive \(drive.driveID) did not start a cleaning cycle with \(cartridge.volumeTag) "
                                    + "(is it a cleaning cartridge?); nothing was recorded")
        case .notSeen:
            throw TaskRunFailure(message: "drive \(drive.driveID) gave \(cartridge.volumeTag) back without being seen "
                                    + "cleaning, and it had raised no cleaning request that has now cleared; no "
                                    + "cleaning is recorded (run the task again, or check the drive)")
        }
    }

    enum CleaningOutcome: Equatable { case cleaned, expired, notStarted, notSeen }

    /// TapeAlert CLEAN NOW (14h) and CLEAN PERIODIC (15h).
    static let cleaningRequests = TapeAlertFlags([.cleanNow, .cleanPeriodic])

    /// Polls the drive through its cleaning cycle. A drive that refuses the cartridge with
    /// CLEANING FAILURE (30h/07h) or TapeAlert 16h has an expired cleaning cartridge; TapeAlert
    /// 17h (invalid cleaning tape), or a cartridge the drive threads and reports READY (a data
    /// tape), did not clean. A drive that reports no medium without ever having been seen
    /// cleaning counts as cleaned only when the cleaning requests it had raised before
    /// (`requestsBefore`) are gone; otherwise it may have ejected the cleaner at once, and no
    /// cleaning is recorded.
    private func waitForCleaning(_ device: TapeDrive, requestsBefore: TapeAlertFlags) async throws -> CleaningOutcome {
        let deadline = ContinuousClock.now + settings.cleaningTimeout
        var sawCleaning = false
        while true {
            do {
                let state = try await device.readiness()
                switch state {
                case .cleaning:
                    sawCleaning = true
                case .becomingReady, .operationInProgress:
                    break
                case .ready, .noMedium:
                    if sawCleaning { return .cleaned }
                    let unthreaded = state == .noMedium
                    let alerts = (try? await device.tapeAlerts()) ?? []
                    if alerts.contains(.expiredCleaningMedia) { return .expired }
                    if alerts.contains(.invalidCleaningTape) { return .notStarted }
                    // READY: a tape the drive threaded for data.
                    guard unthreaded else { return .notStarted }
                    let cleared = !requestsBefore.isEmpty && alerts.isDisjoint(with: Self.cleaningRequests)
                    return cleared ? .cleaned : .notSeen
                case .notReady(let sense):
                    throw SCSIError.checkCondition(sense, opcode: OperationCode.testUnitReady)
                }
            } catch let error as SCSIError where error.sense?.additionalSense == Self.cleaningFailure {
                return .expired
            }
            guard ContinuousClock.now < deadline else {
                throw TaskRunFailure(message: "the drive was still cleaning after \(settings.cleaningTimeout); "
                                        + "the cleaning cartridge is left in the drive")
            }
            try await Task.sleep(for: settings.drivePollInterval)
        }
    }

    /// CLEANING FAILURE (SPC-4 ASC/ASCQ 30h/07h).
    static let cleaningFailure = AdditionalSense(0x30, 0x07)

    /// A cleaning cartridge the catalog has in service (status cleaning, uses left) that the
    /// changer reports in a storage slot; the one with the most uses left.
    private func cleaningCartridge(in inventory: LibraryInventory, library libraryID: Int64)
        async throws -> (UInt16, TapeCartridge) {
        let inService = try await catalog.cleaningCartridges(library: libraryID)
            .filter { ($0.cleaningUsesLeft ?? 1) > 0 }
        let byTag = Dictionary(inService.map { ($0.volumeTag, $0) }, uniquingKeysWith: { first, _ in first })
        var best: (UInt16, TapeCartridge)?
        // Where the changer reports them now, not where the catalog last saw them.
        for element in inventory.storage where element.full {
            guard let tag = element.volumeTag, let cartridge = byTag[tag] else { continue }
            if let current = best, (current.1.cleaningUsesLeft ?? 0) >= (cartridge.cleaningUsesLeft ?? 0) { continue }
            best = (element.address, cartridge)
        }
        guard let best else {
            throw TaskRunFailure(message: "no cleaning cartridge with uses left in the library's storage slots")
        }
        return best
    }
}
