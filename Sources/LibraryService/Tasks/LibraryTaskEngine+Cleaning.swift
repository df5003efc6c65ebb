import Catalog
import SCSI
import TapeHardware

/// Drive cleaning with a cleaning cartridge from the library's storage slots.
extension LibraryTaskEngine {
    func cleanDrive(_ task: LibraryTask, id: Int64, library libraryID: Int64,
                    drive: LibraryBinding.Drive) async throws {
        let driveAddress = try elementAddress(drive.elementAddress, "the drive's data-transfer element (sync the library)")
        let changer = try await changer(of: libraryID)
        try await announce(id, phase: "choosing a cleaning cartridge", percent: 5)
        let inventory = try await changer.inventory()
        guard let driveElement = inventory.element(address: driveAddress) else {
            throw TaskRunFailure(message: "the changer reports no element \(driveAddress)")
        }
        guard !driveElement.full else {
            throw TaskRunFailure(message: "drive \(drive.driveID) holds \(driveElement.volumeTag ?? "a cartridge"); unload it first")
        }
        let (home, cartridge) = try await cleaningCartridge(in: inventory)
        try await announce(id, phase: "loading cleaning cartridge \(cartridge.volumeTag)", percent: 10)
        try await changer.move(from: home, to: driveAddress)

        try await announce(id, phase: "cleaning", percent: 20)
        let device = try await tapeDrive(drive)
        var expired = false
        cleaning: while true {
            do {
                switch try await device.readiness() {
                case .cleaning, .becomingReady, .operationInProgress:
                    try await Task.sleep(for: settings.drivePollInterval)
                case .ready, .noMedium:
                    break cleaning
                case .notReady(let sense):
                    throw SCSIError.checkCondition(sense, opcode: OperationCode.testUnitReady)
                }
            } catch let error as SCSIError where error.sense?.additionalSense == Self.cleaningFailure {
                expired = true
                break cleaning
            }
        }
        // An expired cleaning cartridge is refused: MEDIUM ERROR 30h/07h and TapeAlert 16h.
        if !expired {
            expired = (try? await device.tapeAlerts().contains(.expiredCleaningMedia)) ?? false
        }

        try await announce(id, phase: "returning cleaning cartridge \(cartridge.volumeTag)", percent: 80)
        try await eject(drive)
        try await changer.move(from: driveAddress, to: home)
        guard let cartridgeID = cartridge.id else { throw TaskRunFailure(message: "cleaning cartridge without id") }
        try await catalog.recordCleaning(drive: drive.driveID, cartridge: cartridgeID, expired: expired)
        try await syncCatalog(library: libraryID, taskID: id)
        if expired {
            throw TaskRunFailure(message: "cleaning cartridge \(cartridge.volumeTag) has expired (TapeAlert 16h); "
                                    + "it is retired in the catalog and the drive was not cleaned")
        }
    }

    /// CLEANING FAILURE (SPC-4 ASC/ASCQ 30h/07h).
    static let cleaningFailure = AdditionalSense(0x30, 0x07)

    /// A cleaning cartridge the catalog has in service (status cleaning, uses left) that the
    /// changer reports in a storage slot; the one with the most uses left.
    private func cleaningCartridge(in inventory: LibraryInventory) async throws -> (UInt16, TapeCartridge) {
        var best: (UInt16, TapeCartridge)?
        for element in inventory.storage where element.full {
            guard let tag = element.volumeTag, !tag.isEmpty,
                  let cartridge = try await catalog.cartridge(volumeTag: tag),
                  cartridge.status == .cleaning, (cartridge.cleaningUsesLeft ?? 1) > 0 else { continue }
            if let current = best, (current.1.cleaningUsesLeft ?? 0) >= (cartridge.cleaningUsesLeft ?? 0) { continue }
            best = (element.address, cartridge)
        }
        guard let best else {
            throw TaskRunFailure(message: "no cleaning cartridge with uses left in the library's storage slots")
        }
        return best
    }
}
