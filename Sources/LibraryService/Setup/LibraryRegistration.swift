import Catalog
import Discovery

/// Adds a library to the catalog from what discovery offers on this host.
public enum LibraryRegistration {
    /// Registers an automatic-mode changer candidate with the drives matched to its bays (by
    /// the serials the changer reports, not by position). Bays without a matched drive are left
    /// out; a candidate with no matched drive, or that could not be queried, is refused.
    public static func register(_ candidate: ChangerCandidate, mediaServer serverID: Int64, pool poolID: Int64? = nil,
                                description: String = "", catalog: CatalogDatabase)
        async throws(LibraryServiceError) -> (library: TapeLibrary, drives: [LibraryTapeDrive]) {
        if let problem = candidate.problem { throw .invalidTask("changer \(candidate.changer.sgPath): \(problem.message)") }
        guard let serial = candidate.changer.serial, !serial.isEmpty else {
            throw .deviceWithoutSerial("changer \(candidate.changer.sgPath)")
        }
        let query = ListQuery(filter: "serial=\"\(serial)\"", limit: 1)
        let known = try await LibraryServiceError.catalog { () async throws(CatalogError) in
            try await catalog.listChangers(query)
        }
        if let existing = known.items.first {
            throw .invalidTask("changer \(candidate.changer.sgPath) (serial \(serial)) is already registered "
                               + "as medium changer \(existing.id ?? 0)")
        }
        let matched = candidate.bays.filter { $0.drive != nil }
        guard !matched.isEmpty else {
            throw .invalidTask("changer \(candidate.changer.sgPath) has no drive matched to its bays on this host")
        }
        let changer = Catalog.MediumChanger(
            mediaServerId: serverID, scsiPath: "[\(candidate.changer.address)]", device: candidate.changer.sgPath,
            vendor: candidate.changer.vendor, product: candidate.changer.model, revision: candidate.changer.revision,
            serial: serial, dataTransferElementCount: candidate.bays.count)
        let drives = matched.compactMap { bay -> LibraryTapeDrive? in
            guard let drive = bay.drive else { return nil }
            return LibraryTapeDrive(mediaServerId: serverID, device: drive.sgPath, scsiPath: "[\(drive.address)]",
                                    sysTransferElement: Int(bay.elementAddress), serial: drive.serial ?? "",
                                    vendor: drive.vendor, product: drive.model, firmwareRevision: drive.revision)
        }
        do {
            let registered = try await catalog.registerLibrary(
                TapeLibrary(mediaServerId: serverID, poolId: poolID, description: description),
                changer: changer, drives: drives)
            return (registered.library, registered.drives)
        } catch {
            throw .catalog(error)
        }
    }
}
