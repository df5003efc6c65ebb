import Crypto
import LTFS
import SCSI
import TapeHardware

/// Writes and reads record parts as files of an LTFS volume (an LTFS tape pool): each part is
/// a file in the volume's root directory — `record-ID-NAME` when it holds the whole record,
/// `record-ID-NAME.partN` when the record spans cartridges — its data one extent on the data
/// partition, followed by a new index generation there and on the index partition
/// (`LTFSVolumeAppender`), so that after every part the volume is what an LTFS reader mounts.
public enum LTFSRecordIO {
    /// A part written, and the file's path in the volume.
    public struct Written: Sendable {
        public var part: PartWritten
        public var path: String
    }

    /// The volume in `drive`, read and checked for adding a part; the error says why it cannot be.
    public static func open(_ drive: TapeDrive, volumeTag: String) async -> Result<LTFSVolumeAppender<TapeDriveDevice>, LTFSAppendError> {
        do {
            return .success(try await LTFSVolumeAppender.open(TapeDriveDevice(drive: drive, barcode: volumeTag)))
        } catch {
            return .failure(error)
        }
    }

    /// Formats the cartridge in `drive` as an LTFS volume for `pool` (its block size; the
    /// pool's name as MAM media pool), over whatever it held.
    public static func format(_ drive: TapeDrive, volumeTag: String, blockSize: Int, poolName: String) async throws {
        let options = LTFSFormatOptions(barcode: volumeTag, blockSize: blockSize, mediaPool: poolName, force: true)
        do {
            _ = try await LTFSFormatter(options: options).format(TapeDriveDevice(drive: drive, barcode: volumeTag))
        } catch {
            if case .command(_, let scsi) = error { throw scsi }
            throw TaskRunFailure(.ltfsError, message: "formatting \(volumeTag) as LTFS failed: \(error)")
        }
    }

    /// Adds the part of `file` from `offset` to the volume: data blocks of the volume's block
    /// size at the data partition's end of data until the record ends or the drive reports early
    /// warning (the index then goes into the early-warning zone, as it is meant for), the new
    /// index on both partitions. `baseName` is the whole record's file name.
    public static func writePart(_ drive: TapeDrive, volume appender: inout LTFSVolumeAppender<TapeDriveDevice>, volumeTag: String,
                                 file: RecordFile, offset: Int64, partNumber: UInt32, baseName: String,
                                 progress: @Sendable (Int64) async throws -> Void = { _ in }) async throws -> Written {
        let start: UInt64
        do { start = try await appender.appendPoint() } catch { throw failure(error, volumeTag) }
        let fileNumber = Int64(try await drive.position().fileNumber ?? 0)
        let data = try await NativeRecordIO.writeData(drive, file: file, from: offset, blockSize: Int64(appender.blockSize),
                                                      startsAtEarlyWarning: false, progress: progress)
        let byteCount = data.end - offset
        let name = offset == 0 && data.end >= file.size ? baseName : "\(baseName).part\(partNumber)"
        let ltfsFile = LTFSFile(name: name, length: UInt64(byteCount), creationTime: .now(), fileUID: appender.nextFileUID,
                                extents: byteCount == 0 ? [] : [LTFSExtent(fileOffset: 0, partition: "b", startBlock: start,
                                                                           byteCount: UInt64(byteCount))])
        do {
            try await appender.commit(ltfsFile, nextBlock: start + UInt64(data.records))
            try await appender.writeIndexPartition()
        } catch {
            throw failure(error, volumeTag)
        }
        let part = PartWritten(partNumber: partNumber, tapeFileNumber: fileNumber, firstBlock: Int64(start),
                               lastBlock: Int64(start) + max(0, data.records - 1), byteOffset: offset, byteCount: byteCount,
                               sha256: data.sha256, reachedEarlyWarning: data.earlyWarning, lastPart: data.end >= file.size)
        return Written(part: part, path: "/" + name)
    }

    /// Reads a part's `byteCount` bytes from block `firstBlock` of the data partition, each
    /// record handed to `sink`; returns their SHA-256.
    public static func readPart(_ drive: TapeDrive, firstBlock: Int64, byteCount: Int64,
                                sink: @Sendable ([UInt8]) async throws -> Void = { _ in },
                                progress: @Sendable (Int64) async throws -> Void = { _ in }) async throws -> [UInt8] {
        try await drive.locate(partition: LTFSVolumeLayout.dataPartition, block: UInt64(firstBlock))
        var hasher = SHA256()
        var done: Int64 = 0
        while done < byteCount {
            switch try await drive.readRecord(maxLength: LTFSFormatOptions.maximumBlockSize) {
            case .record(let data, let truncatedBy):
                guard truncatedBy == 0 else {
                    throw TaskRunFailure(.dataMismatch, message: "a data block is longer than LTFS allows (\(data.count + truncatedBy) bytes)")
                }
                let wanted = Int(min(Int64(data.count), byteCount - done))
                let slice = wanted == data.count ? data : Array(data[0..<wanted])
                hasher.update(data: slice)
                try await sink(slice)
                done += Int64(wanted)
                try await progress(done)
            case .filemark, .endOfData:
                throw TaskRunFailure(.dataMismatch, message: "the part's data ends after \(done) of \(byteCount) bytes "
                                        + "(a filemark or end of data at block \(firstBlock) + …): the volume does not hold it")
            }
        }
        return Array(hasher.finalize())
    }

    /// Reads the volume's state after a part (read-only): nil when consistent, else the problems.
    public static func inconsistency(_ drive: TapeDrive, volumeTag: String) async -> String? {
        let report = await LTFSChecker().check(TapeDriveDevice(drive: drive, barcode: volumeTag))
        guard report.verdict != .consistent else { return nil }
        return "\(report.verdict.rawValue): " + report.problems.joined(separator: "; ")
    }

    static func failure(_ error: LTFSAppendError, _ volumeTag: String) -> any Error {
        if let scsi = error.scsiError { return scsi }
        return TaskRunFailure(.ltfsError, message: "\(volumeTag): \(error.description)")
    }
}
