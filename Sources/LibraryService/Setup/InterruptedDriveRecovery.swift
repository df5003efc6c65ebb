import Catalog
import Foundation
import Logging
import ServiceLifecycle

/// The second half of the recovery after a crash, beside the engine's (started tasks end
/// `broken`, a sync runs before anything else): a cartridge that an interrupted task left in a
/// drive — a load whose robot move finished, an unload that had ejected but not moved, an
/// erase, format or check_ltfs by cartridge that had not returned it home, a cleaning cycle —
/// has no task any more, and would hold the drive (and fail every load into it) until an
/// operator noticed. Once this start's sync has read the library, every drive that holds a
/// cartridge whose last task before the start (on that drive or that cartridge) ended
/// `broken`, once no queued task uses the drive, gets an unload queued at the recovery sync's
/// priority, which returns the cartridge to its source slot (or a free one); an unload refused
/// with NOT READY (the drive still erasing, formatting or cleaning) is queued again. A
/// cartridge an operator loaded on purpose (its load ended `done`) stays where it is; a broken
/// task can be restarted once the cartridge is home. This works with the engine's start-up
/// unload policy or without it: a drive it has emptied is left alone.
public struct InterruptedDriveRecovery: Service {
    public let catalog: TapeCatalog
    public let engine: LibraryTaskEngine
    public let priority: Int
    public let pollInterval: Duration
    /// How long an unload refused with NOT READY (the drive finishing an erase, a format or a
    /// cleaning cycle the dead process started) is retried.
    public let retryBudget: Duration
    public let logger: Logger

    public init(catalog: TapeCatalog, engine: LibraryTaskEngine, priority: Int,
                pollInterval: Duration = .milliseconds(200), retryBudget: Duration = .seconds(20 * 60), logger: Logger) {
        self.catalog = catalog; self.engine = engine; self.priority = priority
        self.pollInterval = pollInterval; self.retryBudget = retryBudget; self.logger = logger
    }

    public func run() async throws {
        let started = Date()
        // Runs until every attached library has been synced since the start, or the service
        // stops; it never fails the group (a failure is logged, the operator can still unload).
        do {
            try await cancelWhenGracefulShutdown {
                var waiting = try await attachedLibraries()
                var interval = pollInterval
                while !waiting.isEmpty {
                    for libraryID in waiting.sorted() where try await syncedSince(started, libraryID) {
                        waiting.remove(libraryID)
                        await recover(libraryID, started: started)
                    }
                    guard !waiting.isEmpty else { break }
                    // A library whose changer stays offline is looked at less and less often.
                    try await Task.sleep(for: interval)
                    interval = min(interval * 2, .seconds(5))
                }
            }
        } catch is CancellationError {
            return
        } catch {
            logger.error("recovery of cartridges left in drives failed: \(error)")
        }
    }

    private func attachedLibraries() async throws -> Set<Int64> {
        var attached = Set<Int64>()
        for library in try await catalog.listLibraries(ListQuery(limit: ListQuery.maximumLimit)).items {
            if let id = library.id, await engine.isAttached(id) { attached.insert(id) }
        }
        return attached
    }

    private func syncedSince(_ start: Date, _ libraryID: Int64) async throws -> Bool {
        guard let library = try await catalog.library(id: libraryID), library.syncState == .synced,
              let last = library.lastSync else { return false }
        return last >= start
    }

    /// Empties the drives of library `libraryID`, whose catalog has just been synced, that a task
    /// the crash interrupted left holding a cartridge; one drive does not wait for another.
    func recover(_ libraryID: Int64, started: Date) async {
        let drives: [LibraryTapeDrive]
        do { drives = try await catalog.drives(library: libraryID) } catch {
            logger.error("library \(libraryID): reading its drives failed: \(error)")
            return
        }
        let queued = await withTaskGroup(of: Int.self) { group in
            for drive in drives {
                group.addTask { await recover(drive, library: libraryID, started: started) }
            }
            return await group.reduce(0, +)
        }
        logger.info("library \(libraryID): drives checked after the start's sync, \(queued) unload(s) queued")
    }

    /// One drive: while it holds a cartridge whose last task before this start ended `broken`,
    /// and no task uses the drive, an unload is queued. A drive still busy with what the
    /// interrupted task started (an IMMED erase or format, a cleaning cycle) refuses the move
    /// with NOT READY: the unload is queued again, backing off, for up to `retryBudget`.
    /// Returns the number of unloads queued.
    private func recover(_ drive: LibraryTapeDrive, library libraryID: Int64, started: Date) async -> Int {
        guard let driveID = drive.id, let address = drive.sysTransferElement else { return 0 }
        let clock = ContinuousClock()
        let deadline = clock.now + retryBudget
        var queued = 0
        var delay = pollInterval
        do {
            while true {
                guard let slot = try await catalog.slot(library: libraryID, address: address),
                      slot.full else { return queued }
                // A task queued or running on the drive: see what it leaves (a paused one, which
                // may wait for ever, does not count).
                if try await catalog.pendingLibraryTasks(library: libraryID)
                    .contains(where: { $0.driveId == driveID && ($0.status != .suspended || $0.startedAt != nil) }) {
                    try await Task.sleep(for: pollInterval)   // a task uses the drive: see what it leaves
                    continue
                }
                let cartridge = try await slot.volumeTag.asyncFlatMap { try await catalog.cartridge(volumeTag: $0) }
                let history = try await catalog.listLibraryTasks(ListQuery(
                    filter: "library_id=\"\(libraryID)\"", limit: ListQuery.maximumLimit, sort: "id",
                    direction: .descending)).items.filter { task in
                        task.driveId == driveID || (cartridge?.id != nil && task.cartridgeId == cartridge?.id)
                    }
                // Left by a task of the dead process that ended broken, and nothing since this
                // start has used the cartridge there on purpose.
                // (`killed` by the service's own shutdown, too: it stopped an erase, format or check
                // whose cartridge it could not take home.)
                guard let culprit = history.first(where: { $0.createdAt < started }),
                      culprit.status == .broken
                        || (culprit.status == .killed && culprit.errorMessage?.contains("the service shut down") == true)
                else { return queued }
                let sinceStart = history.filter { $0.createdAt >= started }
                if sinceStart.contains(where: { $0.type != .unload && $0.status == .done }) { return queued }
                if let failed = sinceStart.first(where: { $0.type == .unload && $0.status == .error }) {
                    guard failed.senseKey == 2 else {
                        let why = failed.errorMessage ?? ""
                        logger.error("library \(libraryID): drive \(driveID) still holds \(slot.volumeTag ?? "a cartridge"): unload task \(failed.id ?? 0) failed (\(why)); unload it by hand")
                        return queued
                    }
                    guard clock.now < deadline else {
                        let why = failed.errorMessage ?? ""
                        logger.error("library \(libraryID): drive \(driveID) stayed not ready; \(slot.volumeTag ?? "a cartridge") is still in it (unload task \(failed.id ?? 0): \(why))")
                        return queued
                    }
                    try await Task.sleep(for: delay)   // the drive is still busy: back off, then again
                    delay = min(delay * 2, .seconds(30))
                }
                let tag = slot.volumeTag ?? "a cartridge without barcode"
                let unload = try await engine.submit(LibraryTask(type: .unload, priority: priority,
                                                                 libraryId: libraryID, driveId: driveID))
                queued += 1
                let message = "\(tag) was left in drive \(driveID) by task \(culprit.id ?? 0) (\(culprit.type.rawValue)), "
                    + "which the service's stop interrupted: unloaded to its home slot"
                if let id = unload.id {
                    try await catalog.appendLog(TaskLogEntry(tlTaskId: id, level: "warning", message: message))
                }
                logger.warning("library \(libraryID): task \(unload.id ?? 0) queued: \(message)")
                try await Task.sleep(for: pollInterval)
            }
        } catch is CancellationError {
            return queued
        } catch {
            logger.error("library \(libraryID): emptying drive \(driveID) after the crash failed: \(error)")
            return queued
        }
    }
}

extension Optional {
    fileprivate func asyncFlatMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
