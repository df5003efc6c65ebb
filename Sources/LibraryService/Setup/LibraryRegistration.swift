import Catalog
import Discovery

/// Adds a library to the catalog from what discovery offers on this host.
public enum LibraryRegistration {
    /// Registers an automatic-mode changer candidate with the drives matched to its bays (by
    /// the serials the changer reports, not by position). `manualDrives` (drive number → the
    /// drive an operator names) overrides the automatic match of those bays. A bay left without
    /// a drive is an error that names the serial the changer reports for it and the drives this
    /// host has (`drivesSeen`), never silently left out; a candidate that could not be queried
    /// is refused.
    public static func register(_ candidate: ChangerCandidate, mediaServer serverID: Int64, pool poolID: Int64? = nil,
                                description: String = "", manualDrives: [Int: DiscoveredDevice] = [:],
                                drivesSeen: [DiscoveredDevice] = [], catalog: TapeCatalog)
        async throws(LibraryServiceError) -> (library: TapeLibrary, drives: [LibraryTapeDrive]) {
        if let problem = candidate.problem { throw .invalidTask("changer \(candidate.changer.sgPath): \(problem.message)") }
        var candidate = candidate
        for (number, device) in manualDrives.sorted(by: { $0.key < $1.key }) {
            guard let index = candidate.bays.firstIndex(where: { $0.driveNumber == number }) else {
                throw .invalidTask("changer \(candidate.changer.sgPath) has no drive \(number) (drives 0–"
                                   + "\(max(0, candidate.bays.count - 1)))")
            }
            candidate.bays[index].drive = device
            candidate.bays[index].problem = nil
        }
        let mapped = candidate.bays.compactMap(\.drive?.sgPath)
        if let twice = mapped.first(where: { path in mapped.filter { $0 == path }.count > 1 }) {
            throw .invalidTask("\(twice) is mapped to more than one drive bay of changer \(candidate.changer.sgPath)")
        }
        let unmatched = candidate.bays.filter { $0.drive == nil }
        if !unmatched.isEmpty {
            let bays = unmatched.map { bay in
                "drive \(bay.driveNumber) (element \(bay.elementAddress), serial \(bay.reportedSerial ?? "not reported")): "
                    + (bay.problem?.message ?? "no drive matched")
            }
            let seen = drivesSeen.isEmpty ? "none"
                : drivesSeen.map { "\($0.serial ?? "no serial") at \($0.sgPath)" }.joined(separator: ", ")
            throw .invalidTask("changer \(candidate.changer.sgPath): " + bays.joined(separator: "; ")
                               + "; tape drives on this host: \(seen); connect the drive, or map the bay to a drive "
                               + "by hand (drive number = its sg node)")
        }
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
            throw .invalidTask("changer \(candidate.changer.sgPath) reports no drive bays")
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
