import Crypto
import Foundation
import SCSI
import TapeHardware

/// A record's archive on this host, read off the cooperative pool.
public final class RecordFile: Sendable {
    public let path: String
    public let size: Int64
    private let handle: FileHandle

    public init(path: String) throws(ServiceError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ServiceError(.notFound, "the record's archive \(path) cannot be opened")
        }
        let end: UInt64
        do { end = try handle.seekToEnd() } catch {
            throw ServiceError(.notFound, "the record's archive \(path) cannot be read: \(error.localizedDescription)")
        }
        self.path = path; self.handle = handle; self.size = Int64(end)
    }

    deinit { try? handle.close() }

    /// Up to `count` bytes from `offset` (pread(2) straight into the array: one copy, off the
    /// cooperative pool).
    public func read(at offset: Int64, count: Int) async throws -> [UInt8] {
        let descriptor = handle.fileDescriptor
        return try await offPool {
            var failure: Int32 = 0
            let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                var done = 0
                while done < count {
                    let got = pread(descriptor, buffer.baseAddress.map { $0 + done }, count - done, off_t(offset) + off_t(done))
                    if got < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        break
                    }
                    if got == 0 { break }
                    done += got
                }
                initialized = done
            }
            if failure != 0 { throw POSIXError(POSIXErrorCode(rawValue: failure) ?? .EIO) }
            return bytes
        }
    }

    /// Up to `buffer.count` bytes from `offset` into `buffer` (pread(2), off the cooperative
    /// pool); the count read (short only at the end of the file).
    func read(at offset: Int64, into buffer: BlockBuffer) async throws -> Int {
        let descriptor = handle.fileDescriptor
        return try await offPool {
            let memory = buffer.memory
            var done = 0
            while done < memory.count {
                guard let base = memory.baseAddress else { break }
                let got = pread(descriptor, base + done, memory.count - done, off_t(offset) + off_t(done))
                if got < 0 {
                    if errno == EINTR { continue }
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                }
                if got == 0 { break }
                done += got
            }
            return done
        }
    }

    /// SHA-256 of the whole file, in lower-case hex.
    public func sha256(blockSize: Int = 1 << 20) async throws -> String {
        var hasher = SHA256()
        var offset: Int64 = 0
        while offset < size {
            let chunk = try await read(at: offset, count: blockSize)
            guard !chunk.isEmpty else { break }
            hasher.update(data: chunk)
            offset += Int64(chunk.count)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// A page-aligned block of memory a copy reuses for every block it writes: the file is read
/// into it and the drive writes it in place (`TapeDrive.write(borrowing:)`), so a part of any
/// size moves through two of these and no other memory.
final class BlockBuffer: @unchecked Sendable {
    let memory: UnsafeMutableRawBufferPointer

    init(size: Int) throws {
        var pointer: UnsafeMutableRawPointer?
        guard posix_memalign(&pointer, 4_096, max(size, 1)) == 0, let pointer else {
            throw TaskRunFailure(.internal, message: "cannot allocate a \(size)-byte block buffer")
        }
        memory = UnsafeMutableRawBufferPointer(start: pointer, count: size)
    }

    deinit { free(memory.baseAddress) }

    /// The first `count` bytes, lent to a hash or a transport while this buffer is not refilled.
    func bytes(_ count: Int) -> BorrowedBytes {
        BorrowedBytes(UnsafeRawBufferPointer(rebasing: memory[0..<min(count, memory.count)]))
    }
}

/// One part of a record as it was written on a cartridge.
public struct PartWritten: Sendable, Equatable {
    public var partNumber: UInt32
    /// Filemarks before the part's header on the partition (`mt fsf` count).
    public var tapeFileNumber: Int64
    /// Logical object number of the header and of the trailer.
    public var firstBlock: Int64
    public var lastBlock: Int64
    public var byteOffset: Int64
    public var byteCount: Int64
    public var sha256: [UInt8]
    /// The drive reported early warning: the cartridge takes nothing more.
    public var reachedEarlyWarning: Bool
    public var lastPart: Bool
}

/// Writes and reads record parts in the native format (`NativeTapeFormat`) on a drive that
/// holds the cartridge.
public enum NativeRecordIO {
    /// Writes the part of `file` starting at `offset` at the drive's current position (end of
    /// data): header, data records of `header.blockSize` until the record ends or the drive
    /// reports early warning (the record that drew it was written; the part ends there), the
    /// trailer and a filemark. `progress` gets the record's bytes written so far.
    public static func writePart(_ drive: TapeDrive, file: RecordFile, header: NativeTapeFormat.Header,
                                 progress: @Sendable (Int64) async throws -> Void = { _ in }) async throws -> PartWritten {
        let position = try await drive.position()
        guard let first = position.blockNumber else {
            throw TaskRunFailure(.deviceAnswerInvalid, message: "the drive does not report its position (READ POSITION)")
        }
        let fileNumber = Int64(position.fileNumber ?? 0)
        var earlyWarning = try await drive.write(record: NativeTapeFormat.encode(header)).earlyWarning
        let data = try await writeData(drive, file: file, from: header.byteOffset, blockSize: Int64(header.blockSize),
                                       startsAtEarlyWarning: earlyWarning, progress: progress)
        earlyWarning = earlyWarning || data.earlyWarning
        let offset = data.end
        let records = data.records
        let digest = data.sha256
        let last = offset >= file.size
        let trailer = NativeTapeFormat.Trailer(recordID: header.recordID, partNumber: header.partNumber,
                                               partSize: offset - header.byteOffset, partSHA256: digest, lastPart: last)
        // Past early warning there is room for these by design (SSC-4 4.2.4): the part is closed cleanly.
        if try await drive.write(record: NativeTapeFormat.encode(trailer)).earlyWarning { earlyWarning = true }
        if try await drive.writeFilemarks(1).earlyWarning { earlyWarning = true }
        return PartWritten(partNumber: header.partNumber, tapeFileNumber: fileNumber, firstBlock: Int64(first),
                           lastBlock: Int64(first) + 1 + records, byteOffset: header.byteOffset,
                           byteCount: offset - header.byteOffset, sha256: digest,
                           reachedEarlyWarning: earlyWarning, lastPart: last)
    }

    /// What `writeData` wrote.
    struct DataWritten {
        var records: Int64
        /// The record's offset after the last byte written.
        var end: Int64
        var sha256: [UInt8]
        var earlyWarning: Bool
    }

    /// Writes `file` from `offset` as data records of `blockSize` at the drive's position until
    /// the file ends or the drive reports early warning (the record that drew it was written).
    /// A bounded pipeline: the next block is read (off the pool) while this one is hashed (a
    /// child task) and written (the drive), so the three overlap instead of adding up; the
    /// blocks live in two reused page-aligned buffers that the drive writes in place.
    static func writeData(_ drive: TapeDrive, file: RecordFile, from start: Int64, blockSize: Int64, startsAtEarlyWarning: Bool,
                          progress: @Sendable (Int64) async throws -> Void) async throws -> DataWritten {
        var hasher = SHA256()
        var offset = start
        var records: Int64 = 0
        var earlyWarning = false
        // Double buffering: the file is read into one buffer while the other is hashed and
        // written; a buffer is refilled only after its write and hash have returned.
        let buffers = [try BlockBuffer(size: Int(blockSize)), try BlockBuffer(size: Int(blockSize))]
        var slot = 0
        func prefetch(_ at: Int64, into buffer: BlockBuffer) -> Task<Int, any Error>? {
            guard at < file.size else { return nil }
            return Task { try await file.read(at: at, into: buffer) }
        }
        var next = startsAtEarlyWarning ? nil : prefetch(offset, into: buffers[slot])
        while let pending = next {
            let buffer = buffers[slot]
            let count = Int(min(Int64(try await pending.value), file.size - offset))
            guard count > 0 else {
                throw TaskRunFailure(.refused, message: "\(file.path) ended at \(offset) bytes, before its \(file.size) bytes")
            }
            let after = offset + Int64(count)
            slot = 1 - slot
            next = prefetch(after, into: buffers[slot])
            let bytes = buffer.bytes(count)
            let state = hasher
            async let hashed = Self.hashing(state, bytes)
            let outcome: WriteOutcome
            do {
                outcome = try await drive.write(borrowing: bytes)
            } catch {
                next?.cancel()
                _ = await hashed
                _ = await next?.result
                throw error
            }
            hasher = await hashed
            offset = after
            records += 1
            do {
                try await progress(offset)
            } catch {
                next?.cancel()
                _ = await next?.result
                throw error
            }
            if outcome.earlyWarning {
                earlyWarning = true
                next?.cancel()
                _ = await next?.result
                next = nil
            }
        }
        return DataWritten(records: records, end: offset, sha256: Array(hasher.finalize()), earlyWarning: earlyWarning)
    }

    /// What reading a part back found.
    public struct PartRead: Sendable, Equatable {
        public var header: NativeTapeFormat.Header
        public var trailer: NativeTapeFormat.Trailer
        /// SHA-256 of the data as read.
        public var sha256: [UInt8]
        public var byteCount: Int64
    }

    /// Reads the part whose header is logical object `firstBlock`: every data record up to the
    /// trailer, hashed, each handed to `sink` (a restore writes them out). Fails when the layout
    /// is broken or the data's SHA-256 differs from the trailer's.
    public static func readPart(_ drive: TapeDrive, firstBlock: Int64, expectedRecord recordID: Int64,
                                expectedPart partNumber: UInt32,
                                sink: @Sendable ([UInt8]) async throws -> Void = { _ in },
                                progress: @Sendable (Int64) async throws -> Void = { _ in }) async throws -> PartRead {
        try await drive.locate(partition: 0, block: UInt64(firstBlock))
        let header = try NativeTapeFormat.decodeHeader(try await record(drive, maxLength: NativeTapeFormat.labelLength, what: "header"))
        guard header.recordID == recordID, header.partNumber == partNumber else {
            throw TaskRunFailure(.dataMismatch, message: "block \(firstBlock) holds part \(header.partNumber) of record \(header.recordID), "
                                    + "not part \(partNumber) of record \(recordID): the catalog and the tape disagree")
        }
        var hasher = SHA256()
        var bytes: Int64 = 0
        let maxLength = max(Int(header.blockSize), NativeTapeFormat.labelLength)
        // The block read last is hashed while the drive reads the next one.
        var unhashed: [UInt8] = []
        while true {
            let state = hasher
            let previous = unhashed
            async let hashed = Self.hashing(state, previous)
            let data: [UInt8]
            do {
                data = try await record(drive, maxLength: maxLength, what: "data")
            } catch {
                _ = await hashed
                throw error
            }
            hasher = await hashed
            unhashed = []
            if data.count == NativeTapeFormat.labelLength, let trailer = try? NativeTapeFormat.decodeTrailer(data) {
                let digest = Array(hasher.finalize())
                guard trailer.recordID == recordID, trailer.partNumber == partNumber, trailer.partSize == bytes else {
                    throw TaskRunFailure(.dataMismatch, message: "the trailer of part \(partNumber) of record \(recordID) says "
                                            + "\(trailer.partSize) bytes of part \(trailer.partNumber); \(bytes) were read")
                }
                guard digest == trailer.partSHA256 else {
                    throw TaskRunFailure(.dataMismatch, message: "part \(partNumber) of record \(recordID) read back with another "
                                            + "SHA-256 than was written: the data on tape is not the record's")
                }
                return PartRead(header: header, trailer: trailer, sha256: digest, byteCount: bytes)
            }
            try await sink(data)
            unhashed = data
            bytes += Int64(data.count)
            try await progress(bytes)
        }
    }

    /// `state` with `bytes` hashed in (run as a child task beside the drive's I/O; the bytes
    /// are a block buffer not refilled before this returns).
    static func hashing(_ state: SHA256, _ bytes: BorrowedBytes) -> SHA256 {
        var state = state
        state.update(bufferPointer: bytes.buffer)
        return state
    }

    /// `state` with `bytes` hashed in (run as a child task beside the drive's I/O).
    static func hashing(_ state: SHA256, _ bytes: [UInt8]) -> SHA256 {
        var state = state
        state.update(data: bytes)
        return state
    }

    private static func record(_ drive: TapeDrive, maxLength: Int, what: String) async throws -> [UInt8] {
        switch try await drive.readRecord(maxLength: maxLength) {
        case .record(let data, let truncatedBy):
            guard truncatedBy == 0 else {
                throw TaskRunFailure(.dataMismatch, message: "a \(what) record is \(data.count + truncatedBy) bytes, longer than \(maxLength)")
            }
            return data
        case .filemark:
            throw TaskRunFailure(.dataMismatch, message: "a filemark where a \(what) record was expected: the part has no trailer")
        case .endOfData:
            throw TaskRunFailure(.dataMismatch, message: "end of data where a \(what) record was expected")
        }
    }
}
