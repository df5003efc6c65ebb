import Catalog
import LTFS
import SCSI
import TapeHardware

/// Tasks on the cartridge in a drive: erase, format (plain or LTFS) and the LTFS check. The
/// catalog learns the outcome: erased or formatted media are scratch again, a check's verdict is
/// kept on the cartridge.
extension LibraryTaskEngine {
    func eraseMedium(_ task: LibraryTask, id: Int64, library libraryID: Int64,
                     drive: LibraryBinding.Drive) async throws {
        let (tag, cartridge) = try await cartridgeInDrive(drive, library: libraryID)
        try checkMayBecomeScratch(cartridge, "erased")
        let device = try await tapeDrive(drive)
        if let tag { try await checkAccess(drive, volumeTag: tag, writing: true) }
        try await checkWritable(device, volumeTag: tag, "erased")
        try await announce(id, phase: "rewinding", percent: 0)
        try await device.rewind()
        try await announce(id, phase: task.longErase ? "long erase" : "short erase", percent: 0)
        try await withProgress(id) { report in try await device.erase(long: task.longErase, progress: report) }
        if let cartridgeID = cartridge?.id { try await catalog.recordMediumRewritten(cartridgeID, ltfs: false) }
    }

    func formatMedium(_ task: LibraryTask, id: Int64, library libraryID: Int64,
                      drive: LibraryBinding.Drive) async throws {
        let (tag, cartridge) = try await cartridgeInDrive(drive, library: libraryID)
        try checkMayBecomeScratch(cartridge, "formatted")
        let device = try await tapeDrive(drive)
        if let tag { try await checkAccess(drive, volumeTag: tag, writing: true) }
        try await checkWritable(device, volumeTag: tag, "formatted")
        switch task.formatKind ?? .plain {
        case .plain:
            if !task.force, let cartridge, cartridge.bytesWritten > 0 || cartridge.status == .append || cartridge.status == .full {
                throw TaskRunFailure(message: "cartridge \(cartridge.volumeTag) holds data (\(cartridge.status.rawValue)); "
                                        + "set force to format it")
            }
            try await announce(id, phase: "formatting (FORMAT MEDIUM)", percent: 0)
            try await withProgress(id) { report in try await device.format(.defaultFormat, progress: report) }
        case .ltfs:
            try await announce(id, phase: "formatting as LTFS", percent: 0)
            let options = LTFSFormatOptions(volumeName: task.volumeName, barcode: cartridge?.volumeTag, force: task.force)
            _ = try await LTFSFormatter(options: options).format(TapeDriveDevice(drive: device, barcode: cartridge?.volumeTag))
        }
        if let cartridgeID = cartridge?.id {
            try await catalog.recordMediumRewritten(cartridgeID, ltfs: task.formatKind == .ltfs)
        }
    }

    /// A read-only check; its verdict goes to the cartridge and the task log. A check that finds
    /// a damaged volume has done its job: the task ends done, the verdict says what was found.
    func checkLTFS(_ task: LibraryTask, id: Int64, library libraryID: Int64,
                   drive: LibraryBinding.Drive) async throws {
        let (_, cartridge) = try await cartridgeInDrive(drive, library: libraryID)
        let device = try await tapeDrive(drive)
        try await announce(id, phase: "checking the LTFS volume (read-only)", percent: 10)
        let report = await LTFSChecker().check(TapeDriveDevice(drive: device, barcode: cartridge?.volumeTag))
        // The checker reads I/O failures as damage. A drive that failed or went away under the
        // check gives no verdict: the task fails instead (announce throws when the task has
        // been failed meanwhile; the probe throws when the drive does not answer).
        try await announce(id, phase: "recording the verdict", percent: 90)
        _ = try await device.readiness()
        let state: LTFSState
        switch report.verdict {
        case .consistent: state = .consistent
        case .recoverable, .inconsistent: state = .inconsistent
        case .notLTFS, .blank: state = .notFormatted
        }
        if let cartridgeID = cartridge?.id {
            try await catalog.recordLTFSCheck(cartridgeID, state: state, verdict: report.verdict.rawValue)
        }
        var line = "LTFS check: \(report.verdict.rawValue)"
        if !report.problems.isEmpty { line += "; problems: " + report.problems.joined(separator: "; ") }
        try await catalog.appendLog(TaskLogEntry(tlTaskId: id, level: report.verdict == .consistent ? "info" : "warning",
                                                 message: line))
    }

    /// The cartridge in the drive as the changer reports it now (not as the catalog last saw
    /// it: erasing the wrong cartridge, or recording the wrong one as erased, loses data), and
    /// the catalog's record of it when there is one.
    private func cartridgeInDrive(_ drive: LibraryBinding.Drive, library libraryID: Int64)
        async throws -> (tag: String?, cartridge: TapeCartridge?) {
        let address = try driveElement(drive)
        let element = try await changer(of: libraryID).elementStatus(address: address)
        guard let element, element.full else {
            throw TaskRunFailure(message: "drive \(drive.driveID) (element \(address)) is empty; load a cartridge first")
        }
        guard let tag = element.primaryVolumeTag?.identifier, !tag.isEmpty else { return (nil, nil) }
        return (tag, try await catalog.cartridge(volumeTag: tag))
    }

    /// Erase and format make a cartridge scratch: refused before the hardware step for WORM,
    /// cleaning and retired cartridges (the lifecycle's rules).
    private func checkMayBecomeScratch(_ cartridge: TapeCartridge?, _ what: String) throws {
        guard let cartridge else { return }
        do {
            try CartridgeLifecycle.check(from: cartridge.status, to: .scratch, isWORM: cartridge.isWorm,
                                         isCleaning: cartridge.status == .cleaning)
        } catch {
            throw TaskRunFailure(message: "cartridge \(cartridge.volumeTag) cannot be \(what): \(error)")
        }
    }

    /// Runs a long drive operation, committing its progress (whole percents) as it goes.
    private func withProgress(_ id: Int64,
                              _ operation: (@escaping @Sendable (Double) -> Void) async throws -> Void) async throws {
        let (fractions, report) = AsyncStream.makeStream(of: Double.self, bufferingPolicy: .bufferingNewest(1))
        let reporter = Task {
            var last = -1.0
            for await fraction in fractions {
                let percent = (min(max(fraction, 0), 1) * 100).rounded(.down)
                if percent > last {
                    last = percent
                    await self.progress(id, percent: percent)
                }
            }
        }
        defer { report.finish() }
        try await operation { report.yield($0) }
        report.finish()
        await reporter.value
    }
}
