import Foundation

/// A small streaming JSON writer for the large, flat documents the CLI prints (a 10,000-slot
/// inventory): Foundation's JSONEncoder spends ~200 ms on such a document here. Output is
/// valid JSON (RFC 8259), objects one per line in arrays.
///
/// Bytes go into one buffer written through a pointer (no uniqueness or growth check per
/// byte), literals and values are copied in one piece and numbers formatted in place, so a
/// field costs no allocation. The buffer is written to the file descriptor whenever 64 KiB
/// have gathered, so a 1.4 MB document never sits in memory whole.
struct JSONWriter {
    private let buffer: OutputBuffer
    /// Whether the innermost open container (the document at first) has a value, so that
    /// the next needs a comma; the same flag of each enclosing container.
    private var hasValue = false
    private var enclosing: [Bool] = []

    /// A writer that writes to `descriptor` whenever 64 KiB have gathered; `finish()` writes
    /// the rest.
    init(streamingTo descriptor: Int32) {
        buffer = OutputBuffer(capacity: OutputBuffer.streamChunk, descriptor: descriptor)
    }

    /// Writes what the buffer still holds.
    func finish() { buffer.flush() }

    private var depth: Int { enclosing.count }

    @inline(__always)
    private mutating func separator() {
        if hasValue { buffer.append(UInt8(ascii: ",")) }
        hasValue = true
    }

    private func newline(indent: Int) {
        buffer.append(UInt8(ascii: "\n"))
        for _ in 0..<(2 * indent) { buffer.append(UInt8(ascii: " ")) }
    }

    mutating func beginObject(key: String? = nil) { open(UInt8(ascii: "{"), key) }
    mutating func endObject() { close(UInt8(ascii: "}")) }
    mutating func beginArray(key: String? = nil) { open(UInt8(ascii: "["), key) }
    mutating func endArray() { close(UInt8(ascii: "]")) }

    private mutating func open(_ bracket: UInt8, _ key: String?) {
        separator()
        if let key {
            newline(indent: depth)
            appendQuoted(key)
            buffer.append(": ")
        } else if depth > 0 {
            newline(indent: depth)
        }
        buffer.append(bracket)
        enclosing.append(hasValue)
        hasValue = false
    }

    private mutating func close(_ bracket: UInt8) {
        let wroteValues = hasValue
        hasValue = enclosing.popLast() ?? false
        // Containers at the top two levels (the document, its arrays) close on their own line.
        if depth <= 1 && wroteValues { newline(indent: depth) }
        buffer.append(bracket)
        if depth == 0 { buffer.append(UInt8(ascii: "\n")) }
    }

    /// A literal key: known to need no escaping, copied in one piece.
    @inline(__always)
    private mutating func key(_ key: StaticString) {
        separator()
        let spaced = depth <= 1
        if spaced { newline(indent: depth) }
        buffer.appendQuotedKey(key, spaced: spaced)
    }

    mutating func field(_ name: StaticString, _ value: String?) {
        key(name)
        if let value { appendQuoted(value) } else { buffer.append("null") }
    }

    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        buffer.append(value ? "true" : "false")
    }

    mutating func field(_ name: StaticString, _ value: Int) {
        key(name)
        buffer.appendDecimal(value)
    }

    /// A compact object in an array (one line), written by `body` from literal pieces that
    /// carry their own punctuation: for the 10,000 elements of an inventory, a dozen copies
    /// per object instead of a separator, key and value step per field.
    mutating func compactObject(_ body: (CompactObject) -> Void) {
        separator()
        if depth > 0 { newline(indent: depth) }
        body(CompactObject(buffer: buffer))
    }

    /// Appends to a compact object: literals as given (the caller supplies valid JSON
    /// punctuation and keys), strings quoted and escaped, numbers in decimal. It holds the
    /// buffer alone, not a copy of the writer (whose container stack would be retained and
    /// released for each of 10,000 objects).
    struct CompactObject {
        fileprivate let buffer: OutputBuffer

        @inline(__always) func literal(_ text: StaticString) { buffer.append(text) }
        @inline(__always) func string(_ value: String?) {
            if let value { buffer.appendQuoted(value) } else { buffer.append("null") }
        }
        @inline(__always) func int(_ value: Int) { buffer.appendDecimal(value) }
        func bool(_ value: Bool) { buffer.append(value ? "true" : "false") }
    }

    private func appendQuoted(_ s: String) { buffer.appendQuoted(s) }
}

/// The byte buffer behind JSONWriter, drained to a file descriptor when full.
private final class OutputBuffer {
    static let streamChunk = 64 * 1024

    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    private let descriptor: Int32

    init(capacity: Int, descriptor: Int32) {
        self.capacity = capacity
        self.base = .allocate(capacity: capacity)
        self.descriptor = descriptor
    }

    deinit { base.deallocate() }

    /// Room for `n` more bytes: drains a streaming buffer, grows a keeping one.
    /// Room for `n` more bytes: the buffer is drained when full, so its capacity bounds what
    /// is held (it grows only for a single value longer than that).
    @inline(__always)
    private func reserve(_ n: Int) {
        if count + n > capacity { makeRoom(n) }
    }

    private func makeRoom(_ n: Int) {
        flush()
        if n <= capacity { return }
        let newCapacity = max(count + n, 2 * capacity)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        guard let source = bytes.baseAddress else { return }
        if bytes.count <= 16 {
            // Most values are short: a byte loop beats a call to memcpy.
            for i in 0..<bytes.count { base[count + i] = source[i] }
        } else {
            (base + count).update(from: source, count: bytes.count)
        }
        count += bytes.count
    }

    /// `"key":` (and a space when `spaced`) for a literal key.
    @inline(__always)
    func appendQuotedKey(_ key: StaticString, spaced: Bool) {
        let length = key.utf8CodeUnitCount
        guard key.hasPointerRepresentation else {
            append(UInt8(ascii: "\"")); append(key); append(UInt8(ascii: "\"")); append(UInt8(ascii: ":"))
            if spaced { append(UInt8(ascii: " ")) }
            return
        }
        reserve(length + 4)
        let source = key.utf8Start
        base[count] = UInt8(ascii: "\"")
        for i in 0..<length { base[count + 1 + i] = source[i] }
        base[count + 1 + length] = UInt8(ascii: "\"")
        base[count + 2 + length] = UInt8(ascii: ":")
        count += length + 3
        if spaced { base[count] = UInt8(ascii: " "); count += 1 }
    }

    @inline(__always)
    func append(_ literal: StaticString) {
        if literal.hasPointerRepresentation {
            append(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        } else {
            literal.withUTF8Buffer { append($0) }   // a one-character literal
        }
    }

    /// The decimal digits of `value`, formatted in place.
    func appendDecimal(_ value: Int) {
        reserve(20)
        if value < 0 { base[count] = UInt8(ascii: "-"); count += 1 }
        var magnitude = value.magnitude
        // Digits counted by comparison (no division): element numbers and addresses are
        // small, so this is one to five steps.
        var digits = 1
        var bound: UInt = 10
        while digits < 20 && magnitude >= bound { digits += 1; bound &*= 10 }
        var i = count + digits - 1
        repeat {
            base[i] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
            i -= 1
        } while magnitude > 0
        count += digits
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    func appendQuoted(_ s: String) {
        append(UInt8(ascii: "\""))
        // Barcodes, keys and vendor names need no escaping: copy them in one piece.
        let copied: Bool? = s.utf8.withContiguousStorageIfAvailable { utf8 in
            for byte in utf8 where Self.needsEscape(byte) { return false }
            append(utf8)
            return true
        }
        if copied != true { appendEscaped(s) }
        append(UInt8(ascii: "\""))
    }

    private func appendEscaped(_ s: String) {
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            case UInt8(ascii: "\r"): append("\\r")
            case UInt8(ascii: "\t"): append("\\t")
            case 0..<0x20:
                let hex: StaticString = "0123456789abcdef"
                append("\\u00")
                hex.withUTF8Buffer { digits in
                    append(digits[Int(byte >> 4)])
                    append(digits[Int(byte & 0xF)])
                }
            default: append(byte)   // UTF-8 passes through unchanged
            }
        }
    }

    /// Writes and empties the buffer.
    func flush() {
        var offset = 0
        while offset < count {
            let written = Glibc.write(descriptor, base + offset, count - offset)
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { break }   // a closed pipe: the rest has nowhere to go
            offset += written
        }
        count = 0
    }
}
