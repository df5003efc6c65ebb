import Catalog
import Discovery
import Foundation
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
            throw TaskRunFailure(.mediumIncompatible, message: "drive \(drive.driveID) is LTO-\(generation) and cannot read or write "
                                    + "\(volumeTag) (\(type.name)); use a drive of a generation that reads it")
        }
        if writing && !access.canWrite {
            throw TaskRunFailure(.mediumIncompatible, message: "drive \(drive.driveID) is LTO-\(generation) and reads \(volumeTag) "
                                    + "(\(type.name)) but cannot write it; use a drive of its own generation")
        }
    }

    /// Refuses to erase or format a cartridge the drive reports write-protected (the mode
    /// header's WP bit: the tab, or a generation the drive only reads) or WORM (volume
    /// statistics 0081h), before the drive would refuse with DATA PROTECT half-way.
    func checkWritable(_ device: TapeDrive, volumeTag: String?, _ what: String) async throws {
        let name = volumeTag.map { "cartridge \($0)" } ?? "the cartridge in the drive"
        if try await device.modeSense(page: 0x0F).writeProtected {
            throw TaskRunFailure(.mediumProtected, message: "\(name) is write-protected (the drive reports it so); it cannot be \(what)")
        }
        if let worm = try? await device.volumeStatistics().worm, worm {
            throw TaskRunFailure(.mediumProtected, message: "\(name) is a WORM cartridge; it cannot be \(what)")
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
    func recordMountEnd(_ drive: LibraryBinding.Drive, taskID: Int64? = nil) async {
        do {
            let device = try await tapeDrive(drive)
            let flags = (try? await device.tapeAlerts()) ?? []
            let alerts = flags.rawValue
            let loaded = try await catalog.drive(id: drive.driveID)?.loadedCartridgeId
            var bytes: Int64 = 0
            if let statistics = try? await device.volumeStatistics() {
                let megabytes = (statistics.lastMountMBWritten ?? 0) &+ (statistics.lastMountMBRead ?? 0)
                let (product, overflow) = megabytes.multipliedReportingOverflow(by: 1_000_000)
                bytes = overflow ? .max : Int64(clamping: product)
            }
            try await catalog.recordUnmount(drive: drive.driveID, bytesTransferred: bytes,
                                            tapeAlertFlags: Int64(bitPattern: alerts))
            await applyTapeAlerts(flags, drive: drive, cartridge: loaded, taskID: taskID)
        } catch {
            logger.warning("drive \(drive.driveID): recording the mount's statistics failed: \(error)")
        }
    }
}

extension LibraryTaskEngine {
    /// For a task addressed by cartridge: the first drive of the library (in element order)
    /// that is online, enabled, free (held by no task, not waited for, empty as the catalog
    /// saw it) and whose generation can do the work (write for erase and format, read for the
    /// LTFS check). Nil when every such drive is busy; an error when no drive of the library
    /// could ever do it.
    func freeDrive(for task: LibraryTask, library libraryID: Int64,
                   excluding waited: Set<RegisteredDevice>) async throws -> Int64? {
        let binding = try binding(libraryID)
        guard let cartridgeID = task.cartridgeId, let cartridge = try await catalog.cartridge(id: cartridgeID) else {
            throw TaskRunFailure(.notFound, message: "cartridge \(task.cartridgeId.map(String.init) ?? "?") does not exist")
        }
        let writing = task.type != .checkLTFS
        let held = heldDevices
        var anyCapable = false
        let rows = try await catalog.drives(library: libraryID)
        // A drive that holds the cartridge already (left there by the task before) comes first.
        for row in rows {
            guard let id = row.id, let drive = binding.drives[id], let address = drive.elementAddress,
                  row.state == .online, !held.contains(drive.device), !waited.contains(drive.device),
                  let slot = try await catalog.slot(library: libraryID, address: address),
                  slot.full, slot.volumeTag == cartridge.volumeTag else { continue }
            return id
        }
        for row in rows {
            guard let id = row.id, let drive = binding.drives[id], let address = drive.elementAddress else { continue }
            if let generation = row.generation {
                let access = try await catalog.mediumAccess(driveGeneration: generation, volumeTag: cartridge.volumeTag)
                if access.type != nil && !(writing ? access.canWrite : access.canRead) { continue }
            }
            anyCapable = true
            guard row.state == .online, !held.contains(drive.device), !waited.contains(drive.device) else { continue }
            guard let slot = try await catalog.slot(library: libraryID, address: address), !slot.full else { continue }
            return id
        }
        guard anyCapable else {
            throw TaskRunFailure(.noDrive, message: "no drive of tape library \(libraryID) can \(writing ? "write" : "read") "
                                    + "cartridge \(cartridge.volumeTag)")
        }
        return nil
    }
}

extension LibraryTaskEngine {
    /// Asks each online drive whose generation the catalog does not know yet (REPORT DENSITY
    /// SUPPORT, no cartridge needed), so that drives can be chosen by what they can read and
    /// write. Best effort: a drive that does not answer is asked again at its first load.
    func learnGenerations(of binding: LibraryBinding) async {
        for drive in binding.drives.values.sorted(by: { $0.driveID < $1.driveID }) {
            guard (try? await catalog.drive(id: drive.driveID))??.generation == nil else { continue }
            guard case .online? = await tracker.presence(of: drive.device) else { continue }
            do {
                _ = try await generation(of: drive)
            } catch {
                logger.warning("drive \(drive.driveID): its generation could not be read: \(error)")
            }
        }
    }
}

extension LibraryTaskEngine {
    /// What the TapeAlert flags read at an unload make the service do (Bacula's policy, as
    /// scsi-reference.md gives it, with tapelib's rule for 14h):
    /// - 14h CLEAN NOW: the drive waits for a cleaning (needs_cleaning; back in service by
    ///   itself once a cleaning succeeds) and the cartridge it held is marked for verification;
    /// - 15h CLEAN PERIODIC, or a last cleaning older than `clean_tape_drives_period`: a clean
    ///   task is queued when `auto_clean_tape_drives` is yes (also for 14h);
    /// - flags that disable the volume (07h, 08h, 0Dh, 0Eh, 16h, 34h–36h): the cartridge is
    ///   marked error with the flag's text;
    /// - flags that disable the drive (0Eh, 1Dh–1Fh, 26h, 27h): the drive is disabled until an
    ///   operator enables it.
    /// Each action is written to the task log (when a task read the flags) and the service log.
    func applyTapeAlerts(_ flags: TapeAlertFlags, drive: LibraryBinding.Drive, cartridge: Int64?,
                         taskID: Int64?) async {
        let cleanNow = flags.contains(.cleanNow)
        let disablingDrive = flags.flags.filter { $0 != .cleanNow && $0.policy.contains(.disableDrive) }
        let disablingVolume = flags.flags.filter { $0 != .cleanNow && $0.policy.contains(.disableVolume) }
        var notes: [String] = []
        do {
            let driveState: DriveState? = !disablingDrive.isEmpty ? .disabled : (cleanNow ? .needsCleaning : nil)
            var cartridgeError: String?
            if !disablingVolume.isEmpty {
                cartridgeError = "TapeAlert " + disablingVolume.map(\.description).joined(separator: ", ")
            } else if cleanNow {
                cartridgeError = "TapeAlert \(TapeAlertFlag.cleanNow.description) while loaded: verify this cartridge"
            }
            if driveState != nil || cartridgeError != nil {
                try await catalog.recordDriveHealth(drive: drive.driveID, driveState: driveState, cartridge: cartridge,
                                                    cartridgeStatus: disablingVolume.isEmpty ? nil : .error,
                                                    cartridgeError: cartridgeError)
            }
            if !disablingDrive.isEmpty {
                notes.append("drive \(drive.driveID) disabled until an operator enables it: TapeAlert "
                             + disablingDrive.map(\.description).joined(separator: ", "))
            } else if cleanNow {
                notes.append("drive \(drive.driveID) needs cleaning (TapeAlert \(TapeAlertFlag.cleanNow.description))")
            }
            if let cartridgeError, cartridge != nil {
                notes.append("cartridge \(cartridge ?? 0): \(cartridgeError)"
                             + (disablingVolume.isEmpty ? "" : "; marked error"))
            }
            var cleaningDue = cleanNow || flags.contains(.cleanPeriodic)
            if !cleaningDue, let last = try await catalog.drive(id: drive.driveID)?.lastCleaning {
                cleaningDue = Date().timeIntervalSince(last) > Double(policies.cleaningPeriodDays) * 86_400
            }
            if cleaningDue && policies.autoClean && disablingDrive.isEmpty,
               let libraryID = bindings.first(where: { $0.value.drives[drive.driveID] != nil })?.key {
                let pending = try await catalog.pendingLibraryTasks(library: libraryID)
                if !pending.contains(where: { $0.type == .clean && $0.driveId == drive.driveID }) {
                    let clean = try await catalog.enqueue(LibraryTask(type: .clean, priority: 500, libraryId: libraryID,
                                                                      driveId: drive.driveID))
                    notes.append("clean task \(clean.id ?? 0) queued for drive \(drive.driveID) (auto_clean_tape_drives)")
                }
            }
        } catch {
            logger.error("drive \(drive.driveID): applying TapeAlert \(flags) failed: \(error)")
        }
        for note in notes {
            logger.warning("\(note)")
            if let taskID { try? await catalog.appendLog(TaskLogEntry(tlTaskId: taskID, level: "warning", message: note)) }
        }
    }
}
