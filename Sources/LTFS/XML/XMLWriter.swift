/// Serialises an element tree the way the reference implementation's libxml2 text writer does:
/// an XML declaration, UTF-8, one element per line, empty elements as `<name/>`, and a final
/// newline. Labels are indented by four spaces per level, indexes are not indented.
public struct LTFSXMLWriter: Sendable {
    public var indentation: String

    public init(indentation: String) {
        self.indentation = indentation
    }

    public func document(_ root: LTFSXMLElement) -> [UInt8] {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        write(root, depth: 0, into: &out)
        return Array(out.utf8)
    }

    private func write(_ element: LTFSXMLElement, depth: Int, into out: inout String) {
        let pad = String(repeating: indentation, count: depth)
        var open = "<" + element.name
        for (name, value) in element.attributes {
            open += " \(name)=\"\(Self.escape(value, quotes: true))\""
        }
        if element.children.isEmpty {
            if element.text.isEmpty {
                out += pad + open + "/>\n"
            } else {
                out += pad + open + ">" + Self.escape(element.text, quotes: false) + "</\(element.name)>\n"
            }
            return
        }
        out += pad + open + ">\n"
        for child in element.children { write(child, depth: depth + 1, into: &out) }
        out += pad + "</\(element.name)>\n"
    }

    static func escape(_ text: String, quotes: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where quotes: out += "&quot;"
            case "\r": out += "&#13;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
