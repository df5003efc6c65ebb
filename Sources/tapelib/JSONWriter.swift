import Foundation

/// A small streaming JSON writer for the large, flat documents the CLI prints (a 10,000-slot
/// inventory): Foundation's JSONEncoder spends ~200 ms on such a document here. Bytes are
/// appended to one buffer; output is valid JSON (RFC 8259), objects one per line in arrays.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Per open container: whether a value was written (so the next needs a comma).
    private var needsComma: [Bool] = [false]

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Writes the document to standard output.
    func write(to handle: FileHandle = .standardOutput) {
        handle.write(Data(bytes))
    }

    private var depth: Int { needsComma.count - 1 }

    private mutating func separator() {
        if needsComma[depth] { bytes.append(UInt8(ascii: ",")) }
        needsComma[depth] = true
    }

    private mutating func newline(indent: Int) {
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * indent))
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
            bytes.append(contentsOf: ": ".utf8)
        } else if depth > 0 {
            newline(indent: depth)
        }
        bytes.append(bracket)
        needsComma.append(false)
    }

    private mutating func close(_ bracket: UInt8) {
        let wroteValues = needsComma.removeLast()
        // Containers at the top two levels (the document, its arrays) close on their own line.
        if depth <= 1 && wroteValues { newline(indent: depth) }
        bytes.append(bracket)
        if depth == 0 { bytes.append(UInt8(ascii: "\n")) }
    }

    private mutating func key(_ key: String) {
        separator()
        if depth <= 1 { newline(indent: depth) }
        appendQuoted(key)
        bytes.append(UInt8(ascii: ":"))
        if depth <= 1 { bytes.append(UInt8(ascii: " ")) }
    }

    mutating func field(_ name: String, _ value: String?) {
        key(name)
        if let value { appendQuoted(value) } else { bytes.append(contentsOf: "null".utf8) }
    }

    mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func field(_ name: String, _ value: Int) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    private mutating func appendQuoted(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        // Barcodes, keys and vendor names need no escaping: copy them in one piece.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: s.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: "\\n".utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: "\\r".utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)   // UTF-8 passes through unchanged
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
