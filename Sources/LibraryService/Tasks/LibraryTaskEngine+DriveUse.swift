import Catalog
import SCSI
import TapeHardware

/// What the engine checks before a cartridge meets a drive, and what it records of a mount.
extension LibraryTaskEngine {
    /// The drive's LTO generation (1…10): the catalog's, else asked of the drive (REPORT
    /// DENSITY SUPPORT) and recorded. Nil when neither knows.
    func generation(of drive: LibraryBinding.Drive) async throws -> Int? {
        if let known = try await catalog.drive(id: drive.driveID)?.generation { return known }
        guard let reported = try await tapeDrive(drive).driveGeneration() else { return nil }
        try await catalog.setDriveGeneration(drive.driveID, generation: reported.number)
        return reported.number
    }

    /// Refuses, before the robot moves, a cartridge the catalog's compatibility matrix says the
    /// drive cannot read (or, when `writing`, write): an LTO-6 cartridge in an LTO-9 drive would
    /// be rejected by the drive after a trip of the robot, or worse, mounted read-only under an
    /// erase. Cleaning cartridges and barcodes of no known type are left to the drive.
    func checkAccess(_ drive: LibraryBinding.Drive, volumeTag: String, writing: Bool) async throws {
        guard let generation = try await generation(of: drive) else { return }
        let access = try await catalog.mediumAccess(driveGeneration: generation, volumeTag: volumeTag)
        guard let type = access.type, !type.isCleaning else { return }
        if !access.canRead && !access.canWrite {
            throw TaskRunFailure(message: "drive \(drive.driveID) is LTO-\(generation) and cannot read or write "
                                    + "\(volumeTag) (\(type.name)); use a drive of a generation that reads it")
        }
        if writing && !access.canWrite {
            throw TaskRunFailure(message: "drive \(drive.driveID) is LTO-\(generation) and reads \(volumeTag) "
                                    + "(\(type.name)) but cannot write it; use a drive of its own generation")
        }
    }

    /// Refuses to erase or format a cartridge the drive reports write-protected (the mode
    /// header's WP bit: the tab, or a generation the drive only reads) or WORM (volume
    /// statistics 0081h), before the drive would refuse with DATA PROTECT half-way.
    func checkWritable(_ device: TapeDrive, volumeTag: String?, _ what: String) async throws {
        let name = volumeTag.map { "cartridge \($0)" } ?? "the cartridge in the drive"
        if try await device.modeSense(page: 0x0F).writeProtected {
            throw TaskRunFailure(message: "\(name) is write-protected (the drive reports it so); it cannot be \(what)")
        }
        if let worm = try? await device.volumeStatistics().worm, worm {
            throw TaskRunFailure(message: "\(name) is a WORM cartridge; it cannot be \(what)")
        }
    }

    /// Records a mount of the cartridge `volumeTag` in `drive` (counts for cleaning and wear).
    func recordMount(_ drive: LibraryBinding.Drive, volumeTag: String?) async throws {
        var cartridgeID: Int64?
        if let volumeTag { cartridgeID = try await catalog.cartridge(volumeTag: volumeTag)?.id }
        try await catalog.recordMount(drive: drive.driveID, cartridge: cartridgeID)
    }

    /// Reads what the mount ending now did to the drive (bytes moved, TapeAlert flags) and
    /// records it. Best effort: an unload is not refused because a log page could not be read.
    func recordMountEnd(_ drive: LibraryBinding.Drive) async {
        do {
            let device = try await tapeDrive(drive)
            let alerts = (try? await device.tapeAlerts())?.rawValue ?? 0
            var bytes: Int64 = 0
            if let statistics = try? await device.volumeStatistics() {
                let megabytes = (statistics.lastMountMBWritten ?? 0) &+ (statistics.lastMountMBRead ?? 0)
                bytes = Int64(clamping: megabytes.multipliedReportingOverflow(by: 1_000_000).overflow
                              ? UInt64(Int64.max) : megabytes * 1_000_000)
            }
            try await catalog.recordUnmount(drive: drive.driveID, bytesTransferred: bytes,
                                            tapeAlertFlags: Int64(bitPattern: alerts))
        } catch {
            logger.warning("drive \(drive.driveID): recording the mount's statistics failed: \(error)")
        }
    }
}
