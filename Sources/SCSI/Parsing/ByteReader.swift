/// A bounds-checked cursor over response bytes. Every read either succeeds or throws
/// `SCSIParseError.truncated`; there is no trapping path.
public struct ByteReader: Sendable {
    public let bytes: ArraySlice<UInt8>
    public private(set) var offset: Int
    public let context: String

    public init(_ bytes: [UInt8], context: String) {
        self.bytes = bytes[...]
        self.offset = 0
        self.context = context
    }

    public init(_ bytes: ArraySlice<UInt8>, context: String) {
        self.bytes = bytes
        self.offset = 0
        self.context = context
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { remaining <= 0 }

    // Inlined: every field read checks its length (10,000 element descriptors per inventory);
    // building the error stays out of line.
    @inline(__always)
    private func need(_ n: Int) throws(SCSIParseError) {
        guard n >= 0, remaining >= n else { throw shortOf(n) }
    }

    private func shortOf(_ n: Int) -> SCSIParseError {
        SCSIParseError(.truncated, context, offset: offset, "need \(n) bytes, \(max(0, remaining)) left")
    }

    @inline(__always)
    public mutating func u8() throws(SCSIParseError) -> UInt8 {
        try need(1)
        let v = bytes[bytes.startIndex + offset]
        offset += 1
        return v
    }

    @inline(__always)
    public mutating func u16() throws(SCSIParseError) -> UInt16 {
        try need(2)
        let b = bytes.startIndex + offset
        offset += 2
        return UInt16(bytes[b]) << 8 | UInt16(bytes[b + 1])
    }

    public mutating func u24() throws(SCSIParseError) -> UInt32 {
        try need(3)
        let b = bytes.startIndex + offset
        offset += 3
        return UInt32(bytes[b]) << 16 | UInt32(bytes[b + 1]) << 8 | UInt32(bytes[b + 2])
    }

    public mutating func u32() throws(SCSIParseError) -> UInt32 {
        try need(4)
        let b = bytes.startIndex + offset
        offset += 4
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[b + i]) }
        return v
    }

    public mutating func u64() throws(SCSIParseError) -> UInt64 {
        try need(8)
        let b = bytes.startIndex + offset
        offset += 8
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[b + i]) }
        return v
    }

    /// A big-endian unsigned integer of `count` bytes (0…8).
    public mutating func uint(_ count: Int) throws(SCSIParseError) -> UInt64 {
        guard count <= 8 else {
            throw SCSIParseError(.invalidField, context, offset: offset, "integer of \(count) bytes")
        }
        try need(count)
        let b = bytes.startIndex + offset
        offset += count
        var v: UInt64 = 0
        for i in 0..<count { v = v << 8 | UInt64(bytes[b + i]) }
        return v
    }

    public mutating func bytes(_ n: Int) throws(SCSIParseError) -> [UInt8] {
        try need(n)
        let b = bytes.startIndex + offset
        offset += n
        return Array(bytes[b..<(b + n)])
    }

    /// A sub-reader over the next `n` bytes, advancing past them.
    public mutating func sub(_ n: Int, context: String? = nil) throws(SCSIParseError) -> ByteReader {
        try need(n)
        let b = bytes.startIndex + offset
        offset += n
        return ByteReader(bytes[b..<(b + n)], context: context ?? self.context)
    }

    @inline(__always)
    public mutating func skip(_ n: Int) throws(SCSIParseError) {
        try need(n)
        offset += n
    }

    /// ASCII text of `n` bytes with trailing spaces and NULs removed.
    public mutating func ascii(_ n: Int) throws(SCSIParseError) -> String {
        try need(n)
        let b = bytes.startIndex + offset
        offset += n
        return ByteReader.trimmedASCII(bytes[b..<(b + n)])
    }

    /// ASCII text of `n` bytes with leading and trailing spaces (and trailing NULs) removed,
    /// as volume tags and identifiers are padded.
    public mutating func asciiTrimmingBothEnds(_ n: Int) throws(SCSIParseError) -> String {
        try need(n)
        let b = bytes.startIndex + offset
        offset += n
        return bytes[b..<(b + n)].withUnsafeBufferPointer { Self.trimmedASCII(buffer: $0, leadingSpaces: true) }
    }

    public static func trimmedASCII(_ raw: some Collection<UInt8>) -> String {
        if let text = raw.withContiguousStorageIfAvailable({ trimmedASCII(buffer: $0) }) { return text }
        return Array(raw).withUnsafeBufferPointer { trimmedASCII(buffer: $0) }
    }

    /// Trailing spaces and NULs removed (and leading spaces, when asked); non-printable bytes
    /// are shown as '?' rather than failing the parse. Printable text (the usual case) is
    /// decoded straight from the response bytes.
    private static func trimmedASCII(buffer: UnsafeBufferPointer<UInt8>, leadingSpaces: Bool = false) -> String {
        var start = 0
        if leadingSpaces { while start < buffer.count, buffer[start] == 0x20 { start += 1 } }
        var end = buffer.count
        while end > start, buffer[end - 1] == 0x20 || buffer[end - 1] == 0x00 { end -= 1 }
        let text = UnsafeBufferPointer(rebasing: buffer[start..<end])
        if text.allSatisfy({ (0x20...0x7E).contains($0) }) {
            return String(decoding: text, as: UTF8.self)
        }
        return String(decoding: text.map { (0x20...0x7E).contains($0) ? $0 : 0x3F }, as: UTF8.self)
    }
}

/// Big-endian encoding helpers for builders.
public enum BigEndian {
    @inlinable public static func bytes(_ v: UInt64, count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64(count - 1 - $0))) }
    }
}
