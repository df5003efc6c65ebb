import Crypto
import Foundation

/// tapelib's native layout of a record part on tape (docs/tape-format.md): one tape file per
/// part — a header record, the data in records of the pool's block size (the last one shorter),
/// a trailer record, a filemark. The header says what the part is; the trailer, written when
/// the part ends (at the end of the record, or at early warning), says how long it is and its
/// SHA-256, which cannot be known before the drive reports early warning.
public enum NativeTapeFormat {
    /// Header and trailer records are this long.
    public static let labelLength = 512
    public static let headerMagic = Array("TLBKHDR1".utf8)
    public static let trailerMagic = Array("TLBKEND1".utf8)
    public static let version: UInt16 = 1
    public static let defaultBlockSize = 512 * 1024

    /// The header record of a part.
    public struct Header: Sendable, Equatable {
        public var recordID: Int64
        /// 0-based part number within the copy.
        public var partNumber: UInt32
        /// 0-based number of the cartridge within the copy (parts span cartridges in order).
        public var cartridgeSequence: UInt32
        /// Where the part starts in the record.
        public var byteOffset: Int64
        /// The whole record's size and SHA-256.
        public var recordSize: Int64
        public var recordSHA256: [UInt8]
        /// Data records are this long (the last one of the part may be shorter).
        public var blockSize: UInt32

        public init(recordID: Int64, partNumber: UInt32, cartridgeSequence: UInt32, byteOffset: Int64,
                    recordSize: Int64, recordSHA256: [UInt8], blockSize: UInt32) {
            self.recordID = recordID; self.partNumber = partNumber; self.cartridgeSequence = cartridgeSequence
            self.byteOffset = byteOffset; self.recordSize = recordSize; self.recordSHA256 = recordSHA256
            self.blockSize = blockSize
        }
    }

    /// The trailer record of a part.
    public struct Trailer: Sendable, Equatable {
        public var recordID: Int64
        public var partNumber: UInt32
        /// Bytes of the record in this part, and their SHA-256.
        public var partSize: Int64
        public var partSHA256: [UInt8]
        /// Whether the record ends with this part.
        public var lastPart: Bool

        public init(recordID: Int64, partNumber: UInt32, partSize: Int64, partSHA256: [UInt8], lastPart: Bool) {
            self.recordID = recordID; self.partNumber = partNumber; self.partSize = partSize
            self.partSHA256 = partSHA256; self.lastPart = lastPart
        }
    }

    public enum LabelError: Error, Sendable, Equatable, CustomStringConvertible {
        case wrongLength(Int)
        case wrongMagic
        case unsupportedVersion(UInt16)
        case checksumMismatch
        case invalidField(String)

        public var description: String {
            switch self {
            case .wrongLength(let length): return "a label record is \(labelLength) bytes, not \(length)"
            case .wrongMagic: return "not a tapelib label record (magic)"
            case .unsupportedVersion(let version): return "tape format version \(version) is not supported (this tapelib reads 1)"
            case .checksumMismatch: return "the label record's checksum does not match its contents"
            case .invalidField(let field): return "the label record's \(field) is out of range"
            }
        }
    }

    // MARK: Encoding (big-endian fields; the last 32 bytes are the SHA-256 of the first 480)

    public static func encode(_ header: Header) -> [UInt8] {
        var bytes = headerMagic
        append(version, to: &bytes)
        append(header.recordID, to: &bytes)
        append(header.partNumber, to: &bytes)
        append(header.cartridgeSequence, to: &bytes)
        append(header.byteOffset, to: &bytes)
        append(header.recordSize, to: &bytes)
        append(header.blockSize, to: &bytes)
        bytes += padded(header.recordSHA256, to: 32)
        return sealed(bytes)
    }

    public static func encode(_ trailer: Trailer) -> [UInt8] {
        var bytes = trailerMagic
        append(version, to: &bytes)
        append(trailer.recordID, to: &bytes)
        append(trailer.partNumber, to: &bytes)
        append(trailer.partSize, to: &bytes)
        bytes.append(trailer.lastPart ? 1 : 0)
        bytes += padded(trailer.partSHA256, to: 32)
        return sealed(bytes)
    }

    public static func decodeHeader(_ bytes: [UInt8]) throws(LabelError) -> Header {
        var reader = try opened(bytes, magic: headerMagic)
        let recordID: Int64 = reader.next()
        let partNumber: UInt32 = reader.next()
        let sequence: UInt32 = reader.next()
        let offset: Int64 = reader.next()
        let size: Int64 = reader.next()
        let blockSize: UInt32 = reader.next()
        let sha = reader.bytes(32)
        guard recordID > 0 else { throw .invalidField("record id") }
        guard size >= 0, offset >= 0, offset <= size else { throw .invalidField("byte offset") }
        guard blockSize > 0, blockSize <= 16 * 1024 * 1024 else { throw .invalidField("block size") }
        return Header(recordID: recordID, partNumber: partNumber, cartridgeSequence: sequence, byteOffset: offset,
                      recordSize: size, recordSHA256: sha, blockSize: blockSize)
    }

    public static func decodeTrailer(_ bytes: [UInt8]) throws(LabelError) -> Trailer {
        var reader = try opened(bytes, magic: trailerMagic)
        let recordID: Int64 = reader.next()
        let partNumber: UInt32 = reader.next()
        let size: Int64 = reader.next()
        let last = reader.bytes(1)[0]
        let sha = reader.bytes(32)
        guard recordID > 0 else { throw .invalidField("record id") }
        guard size >= 0 else { throw .invalidField("part size") }
        guard last <= 1 else { throw .invalidField("last-part flag") }
        return Trailer(recordID: recordID, partNumber: partNumber, partSize: size, partSHA256: sha, lastPart: last == 1)
    }

    /// Whether a record read from tape is a trailer (the data records of a part are never a
    /// label's length with its magic and a valid checksum... except by a 2^-256 chance; the
    /// reader also knows the part's last block from the catalog or from the filemark after it).
    public static func isTrailer(_ bytes: [UInt8]) -> Bool {
        (try? decodeTrailer(bytes)) != nil
    }

    // MARK: Helpers

    private static func append<I: FixedWidthInteger>(_ value: I, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    private static func padded(_ bytes: [UInt8], to count: Int) -> [UInt8] {
        Array(bytes.prefix(count)) + [UInt8](repeating: 0, count: max(0, count - bytes.count))
    }

    /// Pads to 480 bytes and appends the SHA-256 of those 480.
    private static func sealed(_ bytes: [UInt8]) -> [UInt8] {
        let body = bytes + [UInt8](repeating: 0, count: labelLength - 32 - bytes.count)
        return body + Array(SHA256.hash(data: body))
    }

    private static func opened(_ bytes: [UInt8], magic: [UInt8]) throws(LabelError) -> FieldReader {
        guard bytes.count == labelLength else { throw .wrongLength(bytes.count) }
        guard Array(bytes.prefix(8)) == magic else { throw .wrongMagic }
        let body = Array(bytes.prefix(labelLength - 32))
        guard Array(SHA256.hash(data: body)) == Array(bytes.suffix(32)) else { throw .checksumMismatch }
        var reader = FieldReader(bytes: bytes, offset: 8)
        let version: UInt16 = reader.next()
        guard version == Self.version else { throw .unsupportedVersion(version) }
        return reader
    }

    /// Reads big-endian fields of a label whose length was checked (480 bytes hold every field).
    private struct FieldReader {
        let bytes: [UInt8]
        var offset: Int

        mutating func next<I: FixedWidthInteger>() -> I {
            var value: I = 0
            for byte in bytes[offset..<offset + MemoryLayout<I>.size] { value = value << 8 | I(byte) }
            offset += MemoryLayout<I>.size
            return value
        }

        mutating func bytes(_ count: Int) -> [UInt8] {
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }
    }
}
