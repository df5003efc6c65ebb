import Foundation
import GRDB

/// What a drive can do with a cartridge, per the catalog's compatibility matrix.
public struct MediumAccess: Sendable, Equatable {
    /// The cartridge's type, nil when its barcode follows no known convention.
    public var type: TapeType?
    public var canRead: Bool
    public var canWrite: Bool
}

extension CatalogDatabase {
    /// Records a drive's LTO generation (1…10) as the drive reported it.
    @discardableResult
    public func setDriveGeneration(_ driveID: Int64, generation: Int) async throws(CatalogError) -> LibraryTapeDrive {
        guard (1...10).contains(generation) else { throw .invalidArgument("drive generation \(generation) outside 1…10") }
        return try await updateRow(LibraryTapeDrive.self, driveID) { $0.generation = generation }
    }

    /// Whether a drive of `driveGeneration` reads and writes the cartridge labelled `volumeTag`
    /// (its catalog type when the catalog knows the cartridge, else the type its barcode names),
    /// from the tape_type_compatibility matrix. A type the matrix has no row for is neither.
    public func mediumAccess(driveGeneration: Int, volumeTag: String) async throws(CatalogError) -> MediumAccess {
        try await read { db in
            let table = try TapeTypeTable.load(db)
            var type = table.type(forVolumeTag: volumeTag)
            if let known = try TapeCartridge.filter(Column("volume_tag") == volumeTag).fetchOne(db),
               let typeID = known.tapeTypeId {
                type = table.types.first { $0.id == typeID } ?? type
            }
            guard let type else { return MediumAccess(type: nil, canRead: false, canWrite: false) }
            let row = try TapeCompatibility
                .filter(Column("drive_generation") == driveGeneration && Column("tape_type_id") == type.id)
                .fetchOne(db)
            return MediumAccess(type: type, canRead: row?.canRead ?? false, canWrite: row?.canWrite ?? false)
        }
    }

    /// Records that a cartridge was mounted in a drive: the drive holds it, and both count the
    /// mount (the drive's count restarts at its next cleaning).
    public func recordMount(drive driveID: Int64, cartridge cartridgeID: Int64?) async throws(CatalogError) {
        try await write { db in
            guard var drive = try LibraryTapeDrive.fetchOne(db, key: driveID) else {
                throw CatalogError.notFound(resource: "library_tape_drives", identifier: String(driveID))
            }
            drive.loadedCartridgeId = cartridgeID
            drive.mountsSinceCleaning += 1
            try drive.update(db)
            if let cartridgeID, var cartridge = try TapeCartridge.fetchOne(db, key: cartridgeID) {
                cartridge.mounts += 1
                try cartridge.update(db)
            }
        }
    }

    /// Records what a mount did to a drive, read from the drive as the cartridge left it:
    /// bytes read and written in the mount add to `bytes_since_cleaning`, TapeAlert flags seen
    /// (flag n is bit n−1) join `tape_alert_flags_seen`, and the drive holds no cartridge.
    public func recordUnmount(drive driveID: Int64, bytesTransferred: Int64, tapeAlertFlags: Int64)
        async throws(CatalogError) {
        guard bytesTransferred >= 0 else { throw .invalidArgument("bytes transferred \(bytesTransferred) < 0") }
        try await updateRow(LibraryTapeDrive.self, driveID) { drive in
            drive.loadedCartridgeId = nil
            let (sum, overflow) = drive.bytesSinceCleaning.addingReportingOverflow(bytesTransferred)
            drive.bytesSinceCleaning = overflow ? Int64.max : sum
            drive.tapeAlertFlagsSeen |= tapeAlertFlags
        }
    }

    /// Adds TapeAlert flags a drive reported to those it has ever shown.
    public func recordTapeAlerts(drive driveID: Int64, flags: Int64) async throws(CatalogError) {
        guard flags != 0 else { return }
        try await updateRow(LibraryTapeDrive.self, driveID) { $0.tapeAlertFlagsSeen |= flags }
    }
}
