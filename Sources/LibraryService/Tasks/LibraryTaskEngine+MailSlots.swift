import Catalog
import SCSI
import TapeHardware

/// Import and export through the import/export elements (mail slots).
extension LibraryTaskEngine {
    /// Moves the cartridges an operator put in the mail slots (IMPEXP set; not those the robot
    /// put there for export), or the one at `source_element`, into empty storage slots (or
    /// `target_element` for a single cartridge), then reads the inventory back.
    func importCartridges(_ task: LibraryTask, id: Int64, library libraryID: Int64) async throws {
        let changer = try await changer(of: libraryID)
        try await announce(id, phase: "reading the mail slots", percent: 5)
        let mailSlots = try await changer.importExportStatus()
        let sources: [ElementStatus]
        if let requested = task.sourceElement {
            let address = try elementAddress(requested, "source_element")
            guard let element = mailSlots.first(where: { $0.address == address }) else {
                throw TaskRunFailure(message: "element \(address) is not an import/export element")
            }
            guard element.full else { throw TaskRunFailure(message: "import/export element \(address) is empty") }
            sources = [element]
        } else {
            sources = mailSlots.filter { $0.full && $0.importedByOperator }
            guard !sources.isEmpty else {
                throw TaskRunFailure(message: "no cartridge placed by an operator is waiting in the import/export slots")
            }
        }
        let inventory = try await changer.inventory()
        var free = inventory.storage.filter { !$0.full && $0.accessible }.map(\.address)
        if let requested = task.targetElement {
            guard sources.count == 1 else {
                throw TaskRunFailure(message: "target_element applies to one cartridge; \(sources.count) are waiting")
            }
            let address = try elementAddress(requested, "target_element")
            guard let target = inventory.element(address: address), target.kind == .storage, !target.full else {
                throw TaskRunFailure(message: "element \(address) is not an empty storage slot")
            }
            free = [address]
        }
        guard free.count >= sources.count else {
            throw TaskRunFailure(message: "\(sources.count) cartridges to import but \(free.count) empty storage slots")
        }
        for (index, source) in sources.enumerated() {
            let target = free[index]
            let tag = source.primaryVolumeTag.map { " (\($0.identifier))" } ?? ""
            try await announce(id, phase: "importing element \(source.address)\(tag) to slot element \(target)",
                               percent: 10 + 70 * Double(index) / Double(sources.count))
            try await changer.move(from: source.address, to: target)
        }
        try await readBack(library: libraryID, taskID: id, after: "the import")
        // Into the pool the operator named: the imported cartridges are registered there.
        let tags = sources.compactMap { $0.primaryVolumeTag?.identifier }.filter { !$0.isEmpty }
        if let poolID = task.poolId, !tags.isEmpty {
            try await announce(id, phase: "registering \(tags.count) cartridge(s) into pool \(poolID)", percent: 95,
                               safePoint: false)
            let registered = try await catalog.registerCartridges(tags, pool: poolID)
            try await catalog.appendLog(TaskLogEntry(tlTaskId: id, message: "imported into pool \(poolID): "
                + tags.joined(separator: ", ") + (registered.isEmpty ? "" : "; newly registered: "
                + registered.joined(separator: ", "))))
        }
    }

    /// Moves a cartridge (at `source_element`, or where the catalog last saw `cartridge_id`) to
    /// an empty import/export element (`target_element` or the first one), then reads the
    /// inventory back; the operator takes it from there, and the next sync marks it offline.
    func exportCartridge(_ task: LibraryTask, id: Int64, library libraryID: Int64) async throws {
        let changer = try await changer(of: libraryID)
        let (source, _) = try await loadSource(task, changer: changer)
        let mailSlots = try await changer.importExportStatus()
        let target: UInt16
        if let requested = task.targetElement {
            let address = try elementAddress(requested, "target_element")
            guard let element = mailSlots.first(where: { $0.address == address }) else {
                throw TaskRunFailure(message: "element \(address) is not an import/export element")
            }
            guard !element.full else { throw TaskRunFailure(message: "import/export element \(address) is full") }
            target = address
        } else {
            guard let element = mailSlots.first(where: { !$0.full && $0.accessible }) else {
                throw TaskRunFailure(message: "every import/export slot is full; empty the mail slots first")
            }
            target = element.address
        }
        try await announce(id, phase: "exporting element \(source) to import/export element \(target)", percent: 20)
        try await changer.move(from: source, to: target)
        try await readBack(library: libraryID, taskID: id, after: "the export")
    }
}
