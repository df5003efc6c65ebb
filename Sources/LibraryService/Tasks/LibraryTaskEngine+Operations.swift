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
            try await syncCatalog(library: libraryID, taskID: id)
        case .move:
            let source = try elementAddress(task.sourceElement, "source_element")
            let target = try elementAddress(task.targetElement, "target_element")
            try await announce(id, phase: "moving element \(source) to element \(target)", percent: 10)
            try await changer(of: libraryID).move(from: source, to: target)
            try await readBack(library: libraryID, taskID: id, after: "the move")
        case .load:
            let drive = try boundDrive(task, libraryID)
            let target = try driveElement(drive)
            let (source, tag) = try await loadSource(task, changer: changer(of: libraryID))
            if let tag { try await checkAccess(drive, volumeTag: tag, writing: false) }
            try await announce(id, phase: "loading element \(source) into drive \(drive.driveID) (element \(target))",
                               percent: 10)
            try await changer(of: libraryID).move(from: source, to: target)
            try await readBack(library: libraryID, taskID: id, after: "the load")
            try await announce(id, phase: "waiting for drive \(drive.driveID) to become ready", percent: 70)
            try await tapeDrive(drive).waitUntilReady()
            try await recordMount(drive, volumeTag: tag)
        case .unload:
            let drive = try boundDrive(task, libraryID)
            let from = try driveElement(drive)
            try await announce(id, phase: "ejecting the cartridge in drive \(drive.driveID)", percent: 5)
            await recordMountEnd(drive)
            try await eject(drive)
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
        case .erase:
            try await eraseMedium(task, id: id, library: libraryID, drive: try boundDrive(task, libraryID))
        case .format:
            try await formatMedium(task, id: id, library: libraryID, drive: try boundDrive(task, libraryID))
        case .checkLTFS:
            try await checkLTFS(task, id: id, library: libraryID, drive: try boundDrive(task, libraryID))
        case .import:
            try await importCartridges(task, id: id, library: libraryID)
        case .export:
            try await exportCartridge(task, id: id, library: libraryID)
        case .clean:
            try await cleanDrive(task, id: id, library: libraryID, drive: try boundDrive(task, libraryID))
        }
    }

    /// Reads the changer's inventory and reconciles the catalog to it.
    /// `safePoints` false: a read-back after a robot step, which a kill does not skip.
    func syncCatalog(library libraryID: Int64, taskID: Int64?, safePoints: Bool = true) async throws {
        if let taskID { try await announce(taskID, phase: "reading element status", percent: 50, safePoint: safePoints) }
        try? await catalog.recordSync(library: libraryID, state: .syncing)
        do {
            let inventory = try await changer(of: libraryID).inventory()
            if let taskID {
                try await announce(taskID, phase: "reconciling the catalog", percent: 80, safePoint: safePoints)
            }
            _ = try await catalog.reconcile(library: libraryID, snapshot: InventorySnapshot(inventory))
            try await catalog.recordSync(library: libraryID, state: .synced)
            syncSucceeded(libraryID)
        } catch {
            try? await catalog.recordSync(library: libraryID, state: .failed)
            throw error
        }
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
            throw TaskRunFailure(message: "cartridge \(task.cartridgeId.map(String.init) ?? "?") does not exist")
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
            throw TaskRunFailure(message: "the catalog is stale: element \(address) holds \(found ?? "nothing"), "
                                    + "not \(cartridge.volumeTag); sync the library")
        }
        return (address, cartridge.volumeTag)
    }

    /// SSC LOAD/UNLOAD before the robot pulls the cartridge (most libraries need the tape
    /// unthreaded). A drive that is already unloaded or empty answers NOT READY; the move that
    /// follows reports an empty drive properly.
    func eject(_ drive: LibraryBinding.Drive) async throws {
        let device = try await tapeDrive(drive)
        do {
            try await device.unload()
        } catch where error.matches(.notReady) {
            return
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
            throw TaskRunFailure(message: "no empty storage slot to unload into")
        }
        return free.address
    }
}
