import Foundation
import GRDB

extension CatalogDatabase {
    /// Applies what a drive's TapeAlert flags say (Bacula's policy, scsi-reference.md), in one
    /// transaction: `driveState` (disabled, or needs_cleaning) unless an operator already
    /// disabled it; the cartridge that was in the drive gets `cartridgeError` as its last error
    /// and, with `cartridgeStatus`, that status when its lifecycle allows it (a cleaning
    /// cartridge keeps its own).
    public func recordDriveHealth(drive driveID: Int64, driveState: DriveState?, cartridge cartridgeID: Int64?,
                                  cartridgeStatus: CartridgeStatus?, cartridgeError: String?)
        async throws(CatalogError) {
        try await write { db in
            if let driveState, var drive = try LibraryTapeDrive.fetchOne(db, key: driveID), drive.state != .disabled {
                drive.state = driveState
                try drive.update(db)
            }
            guard let cartridgeID, var cartridge = try TapeCartridge.fetchOne(db, key: cartridgeID) else { return }
            if let cartridgeError { cartridge.lastError = cartridgeError }
            if let cartridgeStatus, cartridge.status != .cleaning,
               (try? CartridgeLifecycle.check(from: cartridge.status, to: cartridgeStatus, isWORM: cartridge.isWorm,
                                              isCleaning: false)) != nil {
                cartridge.status = cartridgeStatus
            }
            try cartridge.update(db)
        }
    }

    /// Removes library tasks that ended with a status of `cutoffs` before its cutoff, with their
    /// task_log lines (ON DELETE CASCADE). Returns how many tasks were removed.
    @discardableResult
    public func pruneFinishedLibraryTasks(endedBefore cutoffs: [TaskStatus: Date]) async throws(CatalogError) -> Int {
        try await write { db in
            var removed = 0
            for (status, cutoff) in cutoffs.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where status.isFinal {
                try db.execute(sql: "DELETE FROM tl_task_queue WHERE status = ? AND finished_at < ?",
                               arguments: [status.rawValue, cutoff])
                removed += db.changesCount
            }
            return removed
        }
    }
}
