import Foundation
import Catalog
import Discovery
import SCSI
import TapeHardware

/// The hardware steps of each task type. Each step's phase is committed before the step runs.
extension LibraryTaskEngine {
    func perform(_ task: LibraryTask, id: Int64) async throws {
        guard let libraryID = task.libraryId else { throw TaskRunFailure(message: "no library_id") }
        switch task.type {
        case .sync:
            try await withRobot(libraryID, .other, priority: task.priority) {
                if task.initializeElements {
                    // The changer scans every element again (barcodes, fullness): minutes on a
                    // large library, under the command class's 30 min timeout.
                    try await announce(id, phase: "initializing element status (INITIALIZE ELEMENT STATUS)", percent: 10)
                    try await changer(of: libraryID).initializeElementStatus()
                }
                // The gate on the library's other tasks is lifted once this task's end is
                // recorded (`finish`), so nothing starts before the sync has finished.
                try await syncCatalog(library: libraryID, taskID: id, liftsGate: false)
            }
            // The catalog is true to the library now; a cartridge nobody registered still ends
            // the sync with an error that lists them (the seed's 422).
            let unregistered = try await catalog.unregisteredCartridges(library: libraryID)
            if !unregistered.isEmpty {
                guard settings.registerFoundCartridges else { throw UnregisteredCartridges(volumeTags: unregistered) }
                try await catalog.registerCartridges(unregistered, pool: nil)
                try await catalog.appendLog(TaskLogEntry(tlTaskId: id, message: "registered the cartridges found: "
                                                            + unregistered.joined(separator: ", ")))
            }
        case .move:
            let source = try elementAddress(task.sourceElement, "source_element")
            let target = try elementAddress(task.targetElement, "target_element")
            try await withRobot(libraryID, .other, priority: task.priority) {
                try await announce(id, phase: "moving element \(source) to element \(target)", percent: 10)
                try await changer(of: libraryID).move(from: source, to: target)
                try await readBack(library: libraryID, taskID: id, after: "the move")
            }
        case .load:
            let drive = try boundDrive(task, libraryID)
            let (_, tag) = try await loadIntoDrive(task, id: id, library: libraryID, drive: drive,
                                                   writing: false, percent: 10)
            try await announce(id, phase: "waiting for drive \(drive.driveID) to become ready", percent: 70)
            try await tapeDrive(drive).waitUntilReady()
            try await recordMount(drive, volumeTag: tag)
        case .unload:
            let drive = try boundDrive(task, libraryID)
            let from = try driveElement(drive)
            // Rewinding and unthreading take minutes: the robot serves other drives meanwhile.
            try await announce(id, phase: "ejecting the cartridge in drive \(drive.driveID)", percent: 5)
            await recordMountEnd(drive, taskID: id)
            try await eject(drive)
            try await withRobot(libraryID, .unload, priority: task.priority) {
                let changer = try await changer(of: libraryID)
                let target: UInt16
                if let requested = task.targetElement {
                    target = try elementAddress(requested, "target_element")
                } else {
                    try await announce(id, phase: "choosing a slot for the cartridge", percent: 20, safePoint: false)
                    target = try await unloadTarget(from: from, changer: changer)
                }
                try await announce(id, phase: "moving drive element \(from) to element \(target)", percent: 30,
                                   safePoint: false)
                try await changer.move(from: from, to: target)
                try await readBack(library: libraryID, taskID: id, after: "the unload")
            }
        case .erase:
            try await withCartridgeInDrive(task, id: id, library: libraryID) { drive in
                try await self.eraseMedium(task, id: id, library: libraryID, drive: drive)
            }
        case .format:
            try await withCartridgeInDrive(task, id: id, library: libraryID) { drive in
                try await self.formatMedium(task, id: id, library: libraryID, drive: drive)
            }
        case .checkLTFS:
            try await withCartridgeInDrive(task, id: id, library: libraryID) { drive in
                try await self.checkLTFS(task, id: id, library: libraryID, drive: drive)
            }
        case .import:
            try await withRobot(libraryID, .other, priority: task.priority) { try await importCartridges(task, id: id, library: libraryID) }
        case .export:
            try await withRobot(libraryID, .other, priority: task.priority) { try await exportCartridge(task, id: id, library: libraryID) }
        case .clean:
            try await cleanDrive(task, id: id, library: libraryID, drive: try boundDrive(task, libraryID))
        }
    }

    /// Holding the robot: checks the cartridge's place and the drive's generation, moves the
    /// cartridge into the drive and reads the inventory back. Returns where it came from and
    /// its barcode.
    func loadIntoDrive(_ task: LibraryTask, id: Int64, library libraryID: Int64, drive: LibraryBinding.Drive,
                       writing: Bool, percent: Double) async throws -> (UInt16, String?) {
        let target = try driveElement(drive)
        return try await withRobot(libraryID, .load, priority: task.priority) {
            let changer = try await changer(of: libraryID)
            let (source, tag) = try await loadSource(task, changer: changer)
            if let tag { try await checkAccess(drive, volumeTag: tag, writing: writing) }
            try await announce(id, phase: "loading \(tag.map { $0 + " from " } ?? "")element \(source) into drive "
                                   + "\(drive.driveID) (element \(target))", percent: percent)
            try await changer.move(from: source, to: target)
            try await readBack(library: libraryID, taskID: id, after: "the load")
            return (source, tag)
        }
    }

    /// Runs a drive operation on the task's cartridge. A task addressed by drive works on what
    /// that drive holds. A task addressed by cartridge is one task with phases: the cartridge is
    /// loaded into the drive the engine chose, the drive becomes ready, the operation runs, and
    /// the cartridge goes back to the slot it came from — also when the operation failed.
    func withCartridgeInDrive(_ task: LibraryTask, id: Int64, library libraryID: Int64,
                              _ operation: (LibraryBinding.Drive) async throws -> Void) async throws {
        let drive = try boundDrive(task, libraryID)
        guard task.cartridgeId != nil else {
            try await operation(drive)
            return
        }
        let driveAddress = try driveElement(drive)
        let changer = try await changer(of: libraryID)
        var home: UInt16
        var tag: String?
        var loadedNow = false
        var failure: (any Error)?
        if let already = try await alreadyInDrive(task, drive: drive, changer: changer) {
            // Left there by the task before it (consolidating_tape_library_tasks): no load.
            (home, tag) = already
            try? await announce(id, phase: "\(tag ?? "the cartridge") is already in drive \(drive.driveID)", percent: 0,
                                safePoint: false)
        } else {
            do {
                (home, tag) = try await loadIntoDrive(task, id: id, library: libraryID, drive: drive,
                                                      writing: task.type != .checkLTFS, percent: 0)
                loadedNow = true
            } catch let readBack as ReadBackFailure {
                // The move was done; only the read-back failed: the cartridge is in the drive
                // and goes home below (to the slot the changer says it came from).
                home = driveAddress
                tag = (try? await catalogTag(of: task)) ?? nil
                failure = readBack
            }
        }
        if failure == nil {
            do {
                try await announce(id, phase: "waiting for drive \(drive.driveID) to become ready", percent: 0,
                                   safePoint: false)
                try await tapeDrive(drive).waitUntilReady()
                if loadedNow { try await recordMount(drive, volumeTag: tag) }
                try await operation(drive)
            } catch {
                failure = error
            }
        }
        // The next queued task on this cartridge uses it where it is (one load, one unload).
        if failure == nil, let next = await consolidatedSuccessor(of: task, library: libraryID) {
            handOff(drive: drive.driveID, library: libraryID, to: next)
            try await catalog.appendLog(TaskLogEntry(tlTaskId: id, message: "\(tag ?? "the cartridge") stays in drive "
                + "\(drive.driveID) for task \(next) (consolidating_tape_library_tasks)"))
            return
        }
        // Stopped by the service's shutdown: the drive may still run what it was given (an IMMED
        // erase or format) and the catalog takes no more writes from this task; the cartridge
        // stays in the drive, which the next start's recovery empties.
        if Task.isCancelled, running[id]?.stoppedForShutdown == true {
            throw failure ?? CancellationError()
        }
        // Home again, whatever happened (a drive or changer that went away cannot be asked).
        guard !(failure?.isDeviceGone ?? false), !(failure is DeviceOfflineError) else {
            if let failure { throw failure }
            return
        }
        do {
            try? await announce(id, phase: "returning \(tag ?? "the cartridge") to element \(home)", safePoint: false)
            await recordMountEnd(drive, taskID: id)
            try await eject(drive)
            try await withRobot(libraryID, .unload, priority: task.priority) {
                // Chosen now, holding the robot: the home slot may have been filled meanwhile.
                home = try await returnTarget(preferring: home, from: driveAddress, changer: changer)
                try await changer.move(from: driveAddress, to: home)
                try await readBack(library: libraryID, taskID: id, after: "returning the cartridge")
            }
        } catch {
            guard let failure else { throw error }
            logger.error("task \(id): returning \(tag ?? "the cartridge") to element \(home) after a failure failed: \(error)")
            throw failure
        }
        if let failure { throw failure }
    }

    /// Where a cartridge leaving the drive at `driveAddress` goes: `preferred` when it is an
    /// empty storage slot, else the slot the changer says it came from if empty, else the first
    /// empty storage slot. Asked of the changer while the robot is held.
    func returnTarget(preferring preferred: UInt16, from driveAddress: UInt16,
                      changer: TapeHardware.MediumChanger) async throws -> UInt16 {
        let inventory = try await changer.inventory()
        if let element = inventory.element(address: preferred), element.kind == .storage, !element.full {
            return preferred
        }
        if let source = inventory.element(address: driveAddress)?.sourceAddress.flatMap(inventory.element(address:)),
           source.kind == .storage, !source.full {
            return source.address
        }
        guard let free = inventory.storage.first(where: { !$0.full && $0.accessible }) else {
            throw TaskRunFailure(.noSlot, message: "no empty storage slot to return the cartridge in element \(driveAddress) to")
        }
        return free.address
    }

    /// When the task's cartridge already sits in `drive` (a consolidated task left it there):
    /// the slot the changer says it came from (the slot it goes home to is chosen at return
    /// time, `returnTarget`) and its barcode. Nil when the drive does not hold it.
    func alreadyInDrive(_ task: LibraryTask, drive: LibraryBinding.Drive, changer: TapeHardware.MediumChanger)
        async throws -> (UInt16, String?)? {
        guard let tag = try await catalogTag(of: task) else { return nil }
        let address = try driveElement(drive)
        guard let element = try await changer.elementStatus(address: address), element.full,
              element.barcode == tag else { return nil }
        return (element.sourceAddress ?? address, tag)
    }

    /// The barcode of the task's cartridge, as the catalog has it.
    func catalogTag(of task: LibraryTask) async throws -> String? {
        guard let cartridgeID = task.cartridgeId else { return nil }
        return try await catalog.cartridge(id: cartridgeID)?.volumeTag
    }

    /// With consolidating_tape_library_tasks, the id of a queued task that works on the same
    /// cartridge next (erase, format or check_ltfs by cartridge, allowed to run now).
    func consolidatedSuccessor(of task: LibraryTask, library libraryID: Int64) async -> Int64? {
        guard policies.consolidate, let cartridgeID = task.cartridgeId,
              let pending = try? await catalog.pendingLibraryTasks(library: libraryID) else { return nil }
        return pending.first { next in
            next.status == .new && next.id != task.id && next.cartridgeId == cartridgeID
                && [.erase, .format, .checkLTFS].contains(next.type)
                && (next.driveId == nil || next.driveId == task.driveId)
                && policies.allowsHardwareWork(priority: next.priority, at: Date())
        }?.id
    }

    /// Reads the changer's inventory and reconciles the catalog to it.
    /// `safePoints` false: a read-back after a robot step, which a kill does not skip.
    /// `liftsGate` false: a sync task, whose end lifts the library's sync gate (see `finish`).
    func syncCatalog(library libraryID: Int64, taskID: Int64?, safePoints: Bool = true,
                     liftsGate: Bool = true) async throws {
        if let taskID { try await announce(taskID, phase: "reading element status", percent: 50, safePoint: safePoints) }
        try? await catalog.recordSync(library: libraryID, state: .syncing)
        do {
            let inventory = try await changer(of: libraryID).inventory()
            if let taskID {
                try await announce(taskID, phase: "reconciling the catalog", percent: 80, safePoint: safePoints)
            }
            let summary = try await catalog.reconcile(library: libraryID, snapshot: InventorySnapshot(inventory))
            try await catalog.recordSync(library: libraryID, state: .synced)
            if liftsGate { await syncSucceeded(libraryID) }
            if let taskID, summary.changedAnything {
                try await catalog.appendLog(TaskLogEntry(tlTaskId: taskID, message: Self.describe(summary)))
            }
        } catch {
            try? await catalog.recordSync(library: libraryID, state: .failed)
            throw error
        }
    }

    /// A sync's summary, one task_log line: what changed in the catalog.
    static func describe(_ summary: ReconcileSummary) -> String {
        var parts: [String] = []
        func list(_ tags: [String]) -> String {
            tags.prefix(20).joined(separator: ", ") + (tags.count > 20 ? ", … (\(tags.count) in all)" : "")
        }
        if summary.slotsAdded + summary.slotsUpdated + summary.slotsRemoved > 0 {
            parts.append("elements: \(summary.slotsAdded) added, \(summary.slotsUpdated) changed, "
                         + "\(summary.slotsRemoved) removed")
        }
        if !summary.cartridgesCreated.isEmpty { parts.append("new cartridges: " + list(summary.cartridgesCreated)) }
        if !summary.cartridgesMoved.isEmpty {
            parts.append("moved: " + list(summary.cartridgesMoved.map {
                "\($0.volumeTag) \($0.fromAddress.map(String.init) ?? "offline")→\($0.toAddress)"
            }))
        }
        if !summary.cartridgesMarkedOffline.isEmpty { parts.append("gone offline: " + list(summary.cartridgesMarkedOffline)) }
        if !summary.unlabeledElements.isEmpty {
            parts.append("full elements without a label: " + list(summary.unlabeledElements.map(String.init)))
        }
        if !summary.duplicateVolumeTags.isEmpty { parts.append("duplicate labels: " + list(summary.duplicateVolumeTags)) }
        if summary.drivesUpdated > 0 { parts.append("drives updated: \(summary.drivesUpdated)") }
        return "sync: " + parts.joined(separator: "; ")
    }

    /// The read-back after a robot step that worked: a failure here says the step was done.
    func readBack(library libraryID: Int64, taskID: Int64, after step: String) async throws {
        do {
            try await syncCatalog(library: libraryID, taskID: taskID, safePoints: false)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ReadBackFailure(step: step, underlying: error)
        }
    }

    /// The drive's data-transfer element address, which the catalog records when the drive is
    /// added to the library (sys_transfer_element).
    func driveElement(_ drive: LibraryBinding.Drive) throws -> UInt16 {
        guard let address = drive.elementAddress else {
            throw TaskRunFailure(message: "drive \(drive.driveID) has no data-transfer element address "
                                    + "(sys_transfer_element) in the catalog")
        }
        return try elementAddress(address, "sys_transfer_element")
    }

    func boundDrive(_ task: LibraryTask, _ libraryID: Int64) throws -> LibraryBinding.Drive {
        guard let driveID = task.driveId, let drive = try binding(libraryID).drives[driveID] else {
            throw TaskRunFailure(message: "drive \(task.driveId.map(String.init) ?? "?") is not in library \(libraryID)")
        }
        return drive
    }

    func elementAddress(_ value: Int?, _ name: String) throws -> UInt16 {
        guard let value else { throw TaskRunFailure(message: "no \(name)") }
        guard let address = UInt16(exactly: value) else {
            throw TaskRunFailure(message: "\(name) \(value) is not an element address (0…65535)")
        }
        return address
    }

    /// The element a load or export takes its cartridge from, and the cartridge's barcode as
    /// the changer reports it: the task's source element, else where the catalog last saw the
    /// cartridge — checked against the changer before the robot moves, so a stale catalog never
    /// sends the wrong cartridge.
    func loadSource(_ task: LibraryTask, changer: TapeHardware.MediumChanger) async throws -> (UInt16, String?) {
        if let source = task.sourceElement {
            let address = try elementAddress(source, "source_element")
            // An empty source is left to the move, which reports it with the changer's sense.
            let element = try await changer.elementStatus(address: address)
            return (address, element.flatMap { $0.full ? $0.primaryVolumeTag?.identifier : nil })
        }
        guard let cartridgeID = task.cartridgeId, let cartridge = try await catalog.cartridge(id: cartridgeID) else {
            throw TaskRunFailure(.notFound, message: "cartridge \(task.cartridgeId.map(String.init) ?? "?") does not exist")
        }
        guard let slotID = cartridge.slotId, let slot = try await catalog.slot(id: slotID),
              slot.libraryId == task.libraryId else {
            throw TaskRunFailure(message: "cartridge \(cartridge.volumeTag) is not in a slot of library "
                                    + "\(task.libraryId.map(String.init) ?? "?") (\(cartridge.location.rawValue))")
        }
        let address = try elementAddress(slot.elementAddress, "the cartridge's slot")
        let element = try await changer.elementStatus(address: address)
        let found = element.flatMap { $0.full ? ($0.primaryVolumeTag?.identifier ?? "an unlabelled cartridge") : nil }
        guard found == cartridge.volumeTag else {
            throw TaskRunFailure(.catalogStale, message: "the catalog is stale: element \(address) holds \(found ?? "nothing"), "
                                    + "not \(cartridge.volumeTag); sync the library")
        }
        return (address, cartridge.volumeTag)
    }

    /// SSC LOAD/UNLOAD before the robot pulls the cartridge (most libraries need the tape
    /// unthreaded). A drive that is already unloaded or empty answers NOT READY; the move that
    /// follows reports an empty drive properly.
    func eject(_ drive: LibraryBinding.Drive) async throws {
        let device = try await tapeDrive(drive)
        try await waitWhileBusy(device, drive: drive)
        do {
            try await device.unload()
        } catch where error.matches(.notReady) {
            return
        }
    }

    /// A drive still running an operation nobody waits for any more (an IMMED erase or format,
    /// a cleaning cycle that a crash or a kill left behind) cannot give its cartridge back:
    /// its LOAD/UNLOAD answers NOT READY and the robot would find the cartridge held. Waits
    /// while the drive reports operation in progress (04h/07h) or cleaning (30h/03h), polling
    /// at the drive poll interval, for at most `busyDriveTimeout`.
    func waitWhileBusy(_ device: TapeDrive, drive: LibraryBinding.Drive) async throws {
        let deadline = ContinuousClock.now + settings.busyDriveTimeout
        while true {
            let state: DriveReadiness
            do { state = try await device.readiness() } catch { return }   // the unload reports it
            switch state {
            case .operationInProgress, .cleaning:
                guard ContinuousClock.now < deadline else {
                    throw TaskRunFailure(message: "drive \(drive.driveID) is still busy (\(state)) after "
                                            + "\(settings.busyDriveTimeout); its cartridge is left in it")
                }
                try await Task.sleep(for: settings.drivePollInterval)
            default:
                return
            }
        }
    }

    /// The cartridge goes back to the slot it came from when that slot is empty, else to the
    /// first empty accessible storage slot.
    private func unloadTarget(from address: UInt16, changer: TapeHardware.MediumChanger) async throws -> UInt16 {
        let inventory = try await changer.inventory()
        guard let drive = inventory.element(address: address) else {
            throw TaskRunFailure(message: "the changer reports no element \(address)")
        }
        guard drive.full else { throw TaskRunFailure(message: "the drive at element \(address) is empty") }
        if let home = drive.sourceAddress.flatMap(inventory.element(address:)), home.kind != .drive, !home.full {
            return home.address
        }
        guard let free = inventory.storage.first(where: { !$0.full && $0.accessible }) else {
            throw TaskRunFailure(.noSlot, message: "no empty storage slot to unload into")
        }
        return free.address
    }
}
