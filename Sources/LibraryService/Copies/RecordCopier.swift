import Catalog
import Crypto
import Foundation
import Logging
import LTFS
import SCSI
import TapeHardware

/// Copies repository records onto tape pools, verifies and restores them, over the library task
/// engine: every cartridge it needs is mounted and unmounted by a tl_task_queue load or unload
/// task linked to its backup task (`backup_task_id`), so the robot is scheduled in one place;
/// between the two the copier writes or reads through the drive the engine chose.
///
/// The catalog is kept true: a copy starts `in_progress`; each part's extent is recorded once
/// the part's trailer and filemark are on tape, with the cartridge's bytes and fullness; the copy
/// becomes `complete` only after every part was written and — unless the pool turns it off —
/// read back with the SHA-256 that was written; any failure leaves it `failed`.
public struct RecordCopier: Sendable {
    public let catalog: TapeCatalog
    public let engine: LibraryTaskEngine
    let logger: Logger
    /// Priority of the mounts and unmounts it queues.
    let mountPriority: Int
    let pollInterval: Duration

    public init(catalog: TapeCatalog, engine: LibraryTaskEngine, logger: Logger = Logger(label: "tapelib.copies"),
                mountPriority: Int = 500, pollInterval: Duration = .milliseconds(20)) {
        self.catalog = catalog; self.engine = engine; self.logger = logger
        self.mountPriority = mountPriority; self.pollInterval = pollInterval
    }

    /// A cartridge in a drive for one backup task.
    struct Mount {
        let libraryID: Int64
        let driveID: Int64
        let cartridge: TapeCartridge
        let drive: TapeDrive
    }

    // MARK: Copy

    /// Copies record `recordID` into tape pool `poolID` as backup task `taskID`; returns the
    /// copy as recorded (complete).
    /// `readBack` reads every part back even when the pool writes without it (a move does).
    @discardableResult
    public func copy(record recordID: Int64, toPool poolID: Int64, taskID: Int64, readBack: Bool = false) async throws -> RepositoryCopy {
        guard let record = try await catalog.record(id: recordID) else {
            throw TaskRunFailure(.notFound, message: "record \(recordID) does not exist")
        }
        guard let pool = try await catalog.pool(id: poolID), pool.type == .tapeLibrary else {
            throw TaskRunFailure(.invalidRequest, message: "pool \(poolID) is not a tape-library pool")
        }
        let verifying = pool.verifyAfterWrite || readBack
        guard let path = record.path else {
            throw TaskRunFailure(.refused, message: "record \(recordID) has no archive on this host (it was not added from a file)")
        }
        let file: RecordFile
        do { file = try RecordFile(path: path) } catch { throw TaskRunFailure(error.code, message: error.message) }
        guard file.size == record.sizeBytes else {
            throw TaskRunFailure(.dataMismatch, message: "\(path) is \(file.size) bytes; record \(recordID) says \(record.sizeBytes)")
        }
        try await status(taskID, phase: "reading \(path) for its SHA-256", percent: 0)
        let recordSHA = try await file.sha256()
        if let expected = record.sha256, expected != recordSHA {
            throw TaskRunFailure(.dataMismatch, message: "\(path) is not the record any more: its SHA-256 is \(recordSHA), "
                                    + "the record's \(expected)")
        }
        let copy = try await catalog.beginCopy(of: recordID, inPool: poolID)
        guard let copyID = copy.id else { throw TaskRunFailure(.internal, message: "copy without id") }
        do {
            let started = ContinuousClock.now
            try await writeParts(record: record, file: file, recordSHA: hexBytes(recordSHA), pool: pool, verifying: verifying,
                                 copyID: copyID, taskID: taskID)
            let done = try await catalog.finishCopy(copyID, state: .complete, verified: verifying)
            let rate = Double(record.sizeBytes) / max(0.001, Self.seconds(ContinuousClock.now - started)) / 1_000_000
            try await status(taskID, phase: "copied \(record.sizeBytes) bytes into pool \(pool.name) at \(String(format: "%.1f", rate)) MB/s"
                                 + (verifying ? ", read back and verified" : " (not verified: the pool writes without reading back)"),
                             percent: 100)
            return done
        } catch {
            _ = try? await catalog.finishCopy(copyID, state: .failed)
            throw error
        }
    }

    private func writeParts(record: BackupRecord, file: RecordFile, recordSHA: [UInt8], pool: Pool, verifying: Bool,
                            copyID: Int64, taskID: Int64) async throws {
        guard let recordID = record.id, let poolID = pool.id else { return }
        var offset: Int64 = 0
        var part: UInt32 = 0
        var used: Set<Int64> = []
        let started = ContinuousClock.now
        repeat {
            // Only a cartridge in a library this media server serves (another's robot is not ours to drive).
            let own = await engine.attachedLibraries
            guard let (cartridge, libraryID) = try await catalog.writableCartridge(pool: poolID, excluding: used, libraries: own),
                  let cartridgeID = cartridge.id else {
                if let (elsewhere, library) = try await catalog.writableCartridge(pool: poolID, excluding: used), !own.contains(library) {
                    var server: MediaServer?
                    if let owner = try await catalog.library(id: library)?.mediaServerId { server = try await catalog.mediaServer(id: owner) }
                    throw TaskRunFailure(.noSlot, message: "pool \(pool.name)'s writable cartridges (\(elsewhere.volumeTag)…) are in library "
                                            + "\(library) of media server \(server?.hostname ?? "?"), which this service does not drive, and "
                                            + "record \(recordID)'s archive is read here: tapelib does not send archives between media "
                                            + "servers; import scratch cartridges of the pool into a library this service drives")
                }
                throw TaskRunFailure(.noSlot, message: "pool \(pool.name) has no writable cartridge in a library for part \(part) of "
                                        + "record \(recordID) (\(record.sizeBytes - offset) bytes to go): import scratch cartridges into it")
            }
            used.insert(cartridgeID)
            let mount = try await self.mount(cartridge, library: libraryID, taskID: taskID, writing: true)
            do {
                try await status(taskID, phase: "writing part \(part) of record \(recordID) to \(cartridge.volumeTag) in drive \(mount.driveID)")
                let size = record.sizeBytes
                let partNumber = part
                let checkpoint = TaskCheckpoint(catalog: catalog, taskID: taskID)
                let progress: @Sendable (Int64) async throws -> Void = { done in
                    let seconds = max(0.001, Self.seconds(ContinuousClock.now - started))
                    let rate = Double(done) / seconds / 1_000_000
                    try await checkpoint.reached(phase: "writing part \(partNumber) to \(cartridge.volumeTag): "
                                                     + "\(done) of \(size) bytes, \(String(format: "%.1f", rate)) MB/s",
                                                 percent: size > 0 ? Double(done) / Double(size) * 90 : 0)
                }
                let written: PartWritten
                var ltfsPath: String?
                var onTape: Int64
                switch pool.tapeFormat {
                case .native:
                    let bytesBefore = try await positionNative(mount, taskID: taskID)
                    let header = NativeTapeFormat.Header(recordID: recordID, partNumber: part, cartridgeSequence: UInt32(used.count - 1),
                                                         byteOffset: offset, recordSize: record.sizeBytes, recordSHA256: recordSHA,
                                                         blockSize: UInt32(pool.tapeBlockSize))
                    written = try await NativeRecordIO.writePart(mount.drive, file: file, header: header, progress: progress)
                    if verifying {
                        try await status(taskID, phase: "reading part \(part) back from \(cartridge.volumeTag)")
                        let read = try await NativeRecordIO.readPart(mount.drive, firstBlock: written.firstBlock,
                                                                     expectedRecord: recordID, expectedPart: part)
                        guard read.sha256 == written.sha256, read.byteCount == written.byteCount else {
                            throw TaskRunFailure(.dataMismatch, message: "part \(part) of record \(recordID) on \(cartridge.volumeTag) "
                                                    + "read back different from what was written")
                        }
                    }
                    // Labels and data on the cartridge so far (the catalog's count; the drive's volume
                    // statistics count compressed bytes, not the record's).
                    onTape = bytesBefore + written.byteCount + Int64(2 * NativeTapeFormat.labelLength)
                case .ltfs:
                    var (volume, bytesBefore) = try await prepareLTFS(mount, pool: pool, taskID: taskID)
                    let added = try await LTFSRecordIO.writePart(mount.drive, volume: &volume, volumeTag: cartridge.volumeTag, file: file,
                                                                 offset: offset, partNumber: part, baseName: Self.restoreFileName(record),
                                                                 progress: progress)
                    written = added.part
                    ltfsPath = added.path
                    if verifying {
                        try await status(taskID, phase: "reading part \(part) back from \(cartridge.volumeTag) (LTFS \(added.path))")
                        let digest = try await LTFSRecordIO.readPart(mount.drive, firstBlock: written.firstBlock, byteCount: written.byteCount)
                        guard digest == written.sha256 else {
                            throw TaskRunFailure(.dataMismatch, message: "part \(part) of record \(recordID) on \(cartridge.volumeTag) "
                                                    + "read back different from what was written")
                        }
                    }
                    // Every part leaves the volume as a reader mounts it; a copy is not recorded on one that is not.
                    if let problem = await LTFSRecordIO.inconsistency(mount.drive, volumeTag: cartridge.volumeTag) {
                        _ = try await mount.drive.readiness()   // a drive that failed under the check is not a verdict
                        throw TaskRunFailure(.ltfsError, message: "\(cartridge.volumeTag) is not a consistent LTFS volume after part \(part): \(problem)")
                    }
                    try await catalog.recordLTFSCheck(cartridgeID, state: .consistent, verdict: "consistent")
                    onTape = bytesBefore + written.byteCount
                }
                let extent = RepositoryCopyExtent(copyId: copyID, partIndex: Int(part), cartridgeId: cartridgeID,
                                                  tapeFileNumber: written.tapeFileNumber, firstBlock: written.firstBlock,
                                                  lastBlock: written.lastBlock, byteOffset: written.byteOffset,
                                                  byteCount: written.byteCount, ltfsPath: ltfsPath)
                _ = try await catalog.recordPartWritten(extent, bytesOnTape: onTape, cartridgeFull: written.reachedEarlyWarning)
                try await catalog.updateBackupTask(taskID, log: "part \(part): \(written.byteCount) bytes on \(cartridge.volumeTag), "
                                                       + (ltfsPath.map { "LTFS file \($0), data partition " } ?? "")
                                                       + "tape file \(written.tapeFileNumber), blocks \(written.firstBlock)…\(written.lastBlock)"
                                                       + (written.reachedEarlyWarning ? "; early warning: the cartridge is full" : ""))
                offset += written.byteCount
                part += 1
            } catch {
                // The physical end came before early warning had room for a whole block (a
                // block larger than the drive's early-warning zone): the cartridge is full; the
                // part has no trailer and is not recorded.
                if case .checkCondition(let sense, _)? = error as? SCSIError, sense.senseKey == .volumeOverflow {
                    try? await catalog.markCartridgeFull(cartridgeID)
                }
                // A damaged LTFS volume is kept out of use too, until checked or formatted.
                if let refusal = error as? TaskRunFailure, refusal.code == .ltfsError {
                    _ = try? await catalog.setCartridgeStatus(cartridgeID, to: .error)
                    try? await catalog.updateBackupTask(taskID, log: "\(cartridge.volumeTag): \(refusal.message); its status is error")
                }
                // A medium error: the cartridge is kept out of use (status error) until an
                // operator checks or formats it; a retry continues on another cartridge.
                if case .checkCondition(let sense, _)? = error as? SCSIError, sense.senseKey == .mediumError {
                    _ = try? await catalog.setCartridgeStatus(cartridgeID, to: .error)
                    try? await catalog.updateBackupTask(taskID, log: "\(cartridge.volumeTag) reported a medium error: "
                                                            + "its status is error; it is not written again until checked")
                }
                await unmountAfterFailure(mount, taskID: taskID)
                throw error
            }
            try await unmount(mount, taskID: taskID)
        } while offset < record.sizeBytes
    }

    // MARK: Move

    /// Moves record `recordID` into tape pool `poolID`: copies it there with every part read back
    /// (or reads back the complete copy it already has there), then — in one catalog transaction —
    /// makes the record the tape pool's with no archive on this host, and only then removes the
    /// archive. Refused before anything is written when the archive is not one tapelib may
    /// remove (`ArchivePlacement.removableArchive`). Returns the copy and the removed file.
    @discardableResult
    public func move(record recordID: Int64, toPool poolID: Int64, taskID: Int64) async throws -> (copy: RepositoryCopy, removed: String) {
        guard let record = try await catalog.record(id: recordID) else {
            throw TaskRunFailure(.notFound, message: "record \(recordID) does not exist")
        }
        let archive = try await ArchivePlacement.removableArchive(of: record, catalog: catalog)
        // The archive is deleted only when the copy is proven to be it: the record's SHA-256 is
        // the archive's now, and the read-back compares the copy with it.
        guard let expected = record.sha256 else {
            throw TaskRunFailure(.refused, message: "record \(recordID) has no SHA-256: a move needs one to prove its copy is the archive; copy it instead")
        }
        let file: RecordFile
        do { file = try RecordFile(path: archive) } catch { throw TaskRunFailure(error.code, message: error.message) }
        try await status(taskID, phase: "reading \(archive) for its SHA-256", percent: 0)
        let actual = try await file.sha256()
        guard actual == expected else {
            throw TaskRunFailure(.dataMismatch, message: "\(archive) is not the record any more: its SHA-256 is \(actual), the record's \(expected); "
                                    + "nothing was moved")
        }
        var copy: RepositoryCopy
        if let existing = try await catalog.completeCopies(of: recordID).first(where: { $0.0.poolId == poolID })?.0 {
            try await catalog.updateBackupTask(taskID, log: "record \(recordID) has a complete copy in pool \(poolID) already "
                                                   + "(copy \(existing.id ?? 0)): reading it back before the archive is removed")
            try await verify(record: recordID, pool: poolID, taskID: taskID)
            copy = existing
            copy.verified = true
        } else {
            copy = try await self.copy(record: recordID, toPool: poolID, taskID: taskID, readBack: true)
        }
        guard let copyID = copy.id, copy.verified else {
            throw TaskRunFailure(.dataMismatch, message: "the copy of record \(recordID) in pool \(poolID) was not read back: the archive stays")
        }
        _ = try await catalog.completeMove(record: recordID, into: poolID, copy: copyID, expectedPath: archive)
        // The catalog says the record is on tape only now; the file goes after. A file that cannot
        // be removed is logged (space is lost, never data).
        do {
            try await offPool { try FileManager.default.removeItem(atPath: archive) }
        } catch {
            try await catalog.updateBackupTask(taskID, log: "record \(recordID) is in pool \(poolID); its archive \(archive) could not be "
                                                   + "removed (\(error.localizedDescription)): remove it by hand")
        }
        return (copy, archive)
    }

    /// Positions a mounted cartridge where a part is appended — the beginning of a scratch
    /// cartridge, else its end of data — and returns the bytes on it to count from. When end of
    /// data is not where the catalog's parts on the cartridge end (a part of a copy that was
    /// never recorded, e.g. one interrupted by a stop), the catalog is in doubt: the orphan tape
    /// file is closed with a filemark, so that the new part starts a tape file of its own, and
    /// the bytes are re-derived from what the drive reports used (log page 31h).
    private func positionNative(_ mount: Mount, taskID: Int64) async throws -> Int64 {
        let cartridge = mount.cartridge
        guard cartridge.status != .scratch, let cartridgeID = cartridge.id else {
            try await mount.drive.rewind()
            return 0
        }
        try await mount.drive.space(.endOfData, count: 0)
        let expected = try await catalog.endOfRecordedParts(cartridge: cartridgeID)
        guard let block = try await mount.drive.position().blockNumber, Int64(block) != expected else {
            return cartridge.bytesWritten
        }
        _ = try await mount.drive.writeFilemarks(1)
        let log = try await mount.drive.capacity()
        let maximum = Int64(log.maximumMiB.first.flatMap { $0 } ?? 0)
        let remaining = Int64(log.remainingMiB.first.flatMap { $0 } ?? 0)
        let used = max(0, maximum - remaining) * 1_048_576
        let derived = max(cartridge.bytesWritten, used)
        try await catalog.updateBackupTask(taskID, log: "\(cartridge.volumeTag): end of data at block \(block), the catalog's parts end at "
                                               + "block \(expected): an unrecorded tape file was closed with a filemark; bytes on the "
                                               + "cartridge re-derived from the drive: \(derived) (catalog \(cartridge.bytesWritten))")
        return derived
    }

    /// Makes the cartridge in the drive an LTFS volume a part can be added to: a scratch one
    /// that is not already an LTFS volume is formatted for the pool (its block size, its name as
    /// media pool); an appendable one that is not — a volume the check finds damaged — is
    /// refused (the copier then keeps it out of use). Returns the catalog's bytes on it.
    private func prepareLTFS(_ mount: Mount, pool: Pool, taskID: Int64) async throws
        -> (LTFSVolumeAppender<TapeDriveDevice>, Int64) {
        let tag = mount.cartridge.volumeTag
        let scratch = mount.cartridge.status == .scratch
        let problem: String
        switch await LTFSRecordIO.open(mount.drive, volumeTag: tag) {
        case .success(let volume):
            // A scratch cartridge holds nothing the catalog needs: an empty volume (formatted by
            // an operator) is used as it is; one with an earlier use's files is formatted afresh.
            guard scratch, !volume.index.rootContents.isEmpty else { return (volume, try await ltfsBytes(mount, taskID: taskID)) }
            problem = "it holds files of an earlier use"
        case .failure(let error):
            if let scsi = error.scsiError { throw scsi }
            // A check that could not read is not a verdict on the volume: a drive that fails or
            // went away fails the copy here, before the cartridge would be taken out of use.
            _ = try await mount.drive.readiness()
            guard scratch else {
                throw TaskRunFailure(.ltfsError, message: "\(tag) holds a damaged LTFS volume (\(error)): check or format it")
            }
            problem = error.description
        }
        guard let cartridgeID = mount.cartridge.id else { throw TaskRunFailure(.internal, message: "cartridge without id") }
        try await catalog.updateBackupTask(taskID, log: "\(tag) is scratch and not an empty LTFS volume (\(problem)): formatting it for pool \(pool.name)")
        try await status(taskID, phase: "formatting \(tag) as an LTFS volume of pool \(pool.name)")
        try await LTFSRecordIO.format(mount.drive, volumeTag: tag, blockSize: pool.tapeBlockSize, poolName: pool.name)
        try await catalog.recordMediumRewritten(cartridgeID, ltfs: true)
        try await catalog.updateBackupTask(taskID, log: "\(tag) formatted as an LTFS volume (block size \(pool.tapeBlockSize))")
        switch await LTFSRecordIO.open(mount.drive, volumeTag: tag) {
        case .success(let volume): return (volume, try await ltfsBytes(mount, taskID: taskID, formatted: true))
        case .failure(let error): throw LTFSRecordIO.failure(error, tag)
        }
    }

    /// The bytes on an LTFS cartridge before a part: the catalog's, or — when the drive reports
    /// more used on the data partition (log page 31h; data of copies that were never recorded,
    /// such as one stopped before its index or its read-back) — the drive's. A drive that
    /// compresses reports less than the host wrote, and the catalog's count stands.
    private func ltfsBytes(_ mount: Mount, taskID: Int64, formatted: Bool = false) async throws -> Int64 {
        let recorded = formatted ? 0 : mount.cartridge.bytesWritten
        let log = try await mount.drive.capacity()
        let maximum = Int64(log.maximumMiB.dropFirst().first.flatMap { $0 } ?? 0)
        let remaining = Int64(log.remainingMiB.dropFirst().first.flatMap { $0 } ?? 0)
        let used = max(0, maximum - remaining) * 1_048_576
        guard used > recorded + 1_048_576 else { return recorded }
        try await catalog.updateBackupTask(taskID, log: "\(mount.cartridge.volumeTag): the drive reports \(used) bytes used on the data "
                                               + "partition, the catalog \(recorded): data no copy recorded; counted from the drive")
        return used
    }

    // MARK: Verify and restore

    /// Reads every part of the record's complete copy in pool `poolID` back and compares the
    /// SHA-256 of each with its trailer and of the whole with the record's; marks the copy
    /// verified. `sink` receives the record's bytes in order (a restore writes them out).
    public func verify(record recordID: Int64, pool poolID: Int64, taskID: Int64,
                       sink: @escaping @Sendable ([UInt8]) async throws -> Void = { _ in }) async throws {
        guard let record = try await catalog.record(id: recordID) else {
            throw TaskRunFailure(.notFound, message: "record \(recordID) does not exist")
        }
        guard let (copy, extents) = try await catalog.completeCopies(of: recordID).first(where: { $0.0.poolId == poolID }),
              let copyID = copy.id else {
            throw TaskRunFailure(.notFound, message: "record \(recordID) has no complete copy in pool \(poolID)")
        }
        // Every cartridge the copy needs must be in the library before the first is loaded: a
        // restore that would stop halfway for a cartridge on a shelf names them all at once.
        var missing: [String] = []
        for extent in extents {
            guard let cartridge = try await catalog.cartridge(id: extent.cartridgeId) else { continue }
            if cartridge.location != .slot && cartridge.location != .drive {
                missing.append("\(cartridge.volumeTag) (part \(extent.partIndex), \(cartridge.location.rawValue))")
            }
        }
        guard missing.isEmpty else {
            throw TaskRunFailure(.refused, message: "record \(recordID)'s copy in pool \(poolID) needs cartridges that are not in a library: "
                                    + missing.joined(separator: ", ") + "; import them")
        }
        let whole = WholeRecordHash()
        var done: Int64 = 0
        for extent in extents {
            guard let cartridge = try await catalog.cartridge(id: extent.cartridgeId), let cartridgeID = cartridge.id else {
                throw TaskRunFailure(.notFound, message: "cartridge \(extent.cartridgeId) of copy \(copyID) is not in the catalog")
            }
            guard cartridge.location == .slot, let slotID = cartridge.slotId, let slot = try await catalog.slot(id: slotID) else {
                throw TaskRunFailure(.refused, message: "cartridge \(cartridge.volumeTag), which holds part \(extent.partIndex) of record "
                                        + "\(recordID), is not in a library slot (\(cartridge.location.rawValue)): import it")
            }
            _ = cartridgeID
            let mount = try await self.mount(cartridge, library: slot.libraryId, taskID: taskID, writing: false)
            do {
                try await status(taskID, phase: "reading part \(extent.partIndex) from \(cartridge.volumeTag) in drive \(mount.driveID)",
                                 percent: record.sizeBytes > 0 ? Double(done) / Double(record.sizeBytes) * 100 : 0)
                let checkpoint = TaskCheckpoint(catalog: catalog, taskID: taskID)
                let before = done
                let size = record.sizeBytes
                let volumeTag = cartridge.volumeTag
                let partSink: @Sendable ([UInt8]) async throws -> Void = { bytes in
                    await whole.update(bytes)
                    try await sink(bytes)
                }
                let partProgress: @Sendable (Int64) async throws -> Void = { bytes in
                    try await checkpoint.reached(phase: "reading part \(extent.partIndex) from \(volumeTag): \(before + bytes) of \(size) bytes",
                                                 percent: size > 0 ? Double(before + bytes) / Double(size) * 100 : 0)
                }
                if extent.ltfsPath != nil {
                    // A file of an LTFS volume: its extent on the data partition; the record's
                    // SHA-256 over every part is compared at the end.
                    _ = try await LTFSRecordIO.readPart(mount.drive, firstBlock: extent.firstBlock, byteCount: extent.byteCount,
                                                        sink: partSink, progress: partProgress)
                } else {
                    let read = try await NativeRecordIO.readPart(mount.drive, firstBlock: extent.firstBlock, expectedRecord: recordID,
                                                                 expectedPart: UInt32(extent.partIndex), sink: partSink, progress: partProgress)
                    guard read.byteCount == extent.byteCount, read.header.byteOffset == extent.byteOffset else {
                        throw TaskRunFailure(.dataMismatch, message: "part \(extent.partIndex) on \(cartridge.volumeTag) holds \(read.byteCount) "
                                                + "bytes from \(read.header.byteOffset); the catalog says \(extent.byteCount) from \(extent.byteOffset)")
                    }
                }
                done += extent.byteCount
            } catch {
                await unmountAfterFailure(mount, taskID: taskID)
                throw error
            }
            try await unmount(mount, taskID: taskID)
        }
        let digest = await whole.hex()
        guard done == record.sizeBytes, record.sha256 == nil || record.sha256 == digest else {
            throw TaskRunFailure(.dataMismatch, message: "record \(recordID) read back from pool \(poolID) is \(done) bytes with SHA-256 "
                                    + "\(digest); the record is \(record.sizeBytes) bytes with \(record.sha256 ?? "?")")
        }
        try await catalog.markCopyVerified(copyID)
        try await status(taskID, phase: "read back \(done) bytes: the SHA-256 matches the record's", percent: 100)
    }

    /// Restores the record from its copy in `poolID` to a new file at `path` (refused if it
    /// exists); the file is removed when the restore fails.
    public func restore(record recordID: Int64, pool poolID: Int64, to path: String, taskID: Int64) async throws {
        // O_EXCL: a restore never overwrites a file.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw TaskRunFailure(.conflict, message: "\(path) cannot be created: \(String(cString: strerror(errno)))")
        }
        let output = RestoreOutput(handle: FileHandle(fileDescriptor: descriptor, closeOnDealloc: true))
        do {
            try await verify(record: recordID, pool: poolID, taskID: taskID) { bytes in try await output.write(bytes) }
            try await output.close()
        } catch {
            try? await output.close()
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }

    /// The name a restore gives the record's file in the directory it is restored to:
    /// `record-ID-NAME`, NAME the archive's file name with anything but letters, digits, `.`,
    /// `_` and `-` replaced (never a path).
    public static func restoreFileName(_ record: BackupRecord) -> String {
        let source = (record.path ?? record.resource).split(separator: "/").last.map(String.init) ?? ""
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        let name = String(source.map { allowed.contains($0) ? $0 : "_" }.prefix(200))
        let cleaned = name.isEmpty || name.allSatisfy({ $0 == "." }) ? "archive" : name
        return "record-\(record.id ?? 0)-\(cleaned)"
    }

    // MARK: Mounts through the engine

    private func mount(_ cartridge: TapeCartridge, library libraryID: Int64, taskID: Int64, writing: Bool) async throws -> Mount {
        try await status(taskID, phase: "waiting for \(cartridge.volumeTag) to be loaded into a free drive")
        let load = try await engine.submit(LibraryTask(type: .load, priority: mountPriority, backupTaskId: taskID,
                                                       libraryId: libraryID, cartridgeId: cartridge.id))
        let ended = try await waitForEnd(of: load)
        guard ended.status == .done, let driveID = ended.driveId else {
            throw Self.failure(of: ended, "loading \(cartridge.volumeTag) failed")
        }
        return Mount(libraryID: libraryID, driveID: driveID, cartridge: cartridge,
                     drive: try await engine.mountedDrive(library: libraryID, drive: driveID))
    }

    private func unmount(_ mount: Mount, taskID: Int64) async throws {
        try await status(taskID, phase: "unloading \(mount.cartridge.volumeTag) from drive \(mount.driveID)")
        let unload = try await engine.submit(LibraryTask(type: .unload, priority: mountPriority, backupTaskId: taskID,
                                                         libraryId: mount.libraryID, driveId: mount.driveID))
        let ended = try await waitForEnd(of: unload)
        guard ended.status == .done else {
            throw Self.failure(of: ended, "unloading \(mount.cartridge.volumeTag) failed")
        }
    }

    /// A mount or unmount that did not end done, as the backup task's failure: the library
    /// task's code and message, and the sense the device reported.
    static func failure(of task: LibraryTask, _ what: String) -> ServiceError {
        ServiceError(ServiceErrorCode(rawValue: task.errorCode ?? "") ?? .refused,
                     "\(what) (task \(task.id ?? 0)): \(task.errorMessage ?? task.status.rawValue)",
                     sense: DecodedSense(senseKey: task.senseKey, asc: task.asc, ascq: task.ascq, description: task.senseDescription))
    }

    /// After a failure the cartridge still goes home; a failing unload is logged, the first failure reported.
    private func unmountAfterFailure(_ mount: Mount, taskID: Int64) async {
        do { try await unmount(mount, taskID: taskID) } catch {
            logger.error("backup task \(taskID): \(error)")
        }
    }

    private func waitForEnd(of task: LibraryTask) async throws -> LibraryTask {
        guard let id = task.id else { throw TaskRunFailure(.internal, message: "library task without id") }
        while true {
            if let row = try await catalog.libraryTask(id: id), row.status.isFinal { return row }
            try await Task.sleep(for: pollInterval)
        }
    }

    private func status(_ taskID: Int64, phase: String, percent: Double? = nil) async throws {
        try await catalog.updateBackupTask(taskID, status: .execution, phase: phase, percent: percent)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func hexBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }
}

/// Where a running backup task looks at its controls and reports progress, between two blocks
/// and at most every half second: a kill ends it (its copy failed, its cartridge sent home by
/// the caller); a pause holds it here, `suspended`, the cartridge in the drive, until continued.
actor TaskCheckpoint {
    let catalog: TapeCatalog
    let taskID: Int64
    private var last: ContinuousClock.Instant?

    init(catalog: TapeCatalog, taskID: Int64) { self.catalog = catalog; self.taskID = taskID }

    func reached(phase: String, percent: Double) async throws {
        let now = ContinuousClock.now
        if let last, now - last < .milliseconds(500) { return }
        last = now
        try await catalog.updateBackupTask(taskID, phase: phase, percent: percent)
        var paused = false
        while true {
            guard let task = try await catalog.backupTask(id: taskID) else { return }
            switch task.controlRequest {
            case .kill?:
                throw TaskRunFailure(.killed, message: "killed by an operator while \(phase.split(separator: ":").first ?? "running")")
            case .pause?:
                if !paused {
                    paused = true
                    try await catalog.updateBackupTask(taskID, status: .suspended, phase: "paused while " + phase,
                                                       log: "paused; the cartridge stays in the drive until the task is continued")
                }
                try await Task.sleep(for: .milliseconds(200))
            case nil:
                if paused {
                    try await catalog.updateBackupTask(taskID, status: .execution, phase: phase, log: "continued")
                }
                return
            }
        }
    }
}

/// The SHA-256 of a record read back part after part.
actor WholeRecordHash {
    private var hasher = SHA256()
    func update(_ bytes: [UInt8]) { hasher.update(data: bytes) }
    func hex() -> String { hasher.finalize().map { String(format: "%02x", $0) }.joined() }
}

/// A restore's output file, written off the cooperative pool.
actor RestoreOutput {
    private let handle: FileHandle
    init(handle: FileHandle) { self.handle = handle }
    func write(_ bytes: [UInt8]) async throws {
        let handle = self.handle
        try await offPool { try handle.write(contentsOf: bytes) }
    }
    func close() async throws {
        let handle = self.handle
        try await offPool {
            try handle.synchronize()
            try handle.close()
        }
    }
}
