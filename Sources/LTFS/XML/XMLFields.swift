/// Typed access to an LTFS document's leaf elements, with errors naming the element.
struct XMLFields {
    let root: LTFSXMLElement
    let context: String

    init(_ root: LTFSXMLElement, context: String) {
        self.root = root
        self.context = context
    }

    func element(_ path: [String]) -> LTFSXMLElement? {
        var current: LTFSXMLElement? = root
        for name in path { current = current?.child(name) }
        return current
    }

    func text(_ path: String...) throws(LTFSXMLError) -> String {
        try text(path)
    }

    func text(_ path: [String]) throws(LTFSXMLError) -> String {
        guard let element = element(path) else { throw .missingElement(path.joined(separator: "/")) }
        return element.text
    }

    func version() throws(LTFSXMLError) -> String {
        guard let version = root.attribute("version") else { throw .missingElement("\(root.name)@version") }
        guard LTFSFormatVersion.isReadable(version) else { throw .unsupportedVersion(version) }
        return version
    }

    func unsigned(_ path: String...) throws(LTFSXMLError) -> UInt64 {
        let raw = try text(path).trimmingSpaces
        guard let value = UInt64(raw) else {
            throw .invalidValue(element: path.joined(separator: "/"), value: raw)
        }
        return value
    }

    func bool(_ path: String...) throws(LTFSXMLError) -> Bool {
        let raw = try text(path).trimmingSpaces
        switch raw {
        case "true", "1": return true
        case "false", "0": return false
        default: throw .invalidValue(element: path.joined(separator: "/"), value: raw)
        }
    }

    func partitionLetter(_ path: [String]) throws(LTFSXMLError) -> Character {
        let raw = try text(path).trimmingSpaces
        guard raw.count == 1, let letter = raw.first, letter.isASCII, letter.isLowercase else {
            throw .invalidValue(element: path.joined(separator: "/"), value: raw)
        }
        return letter
    }

    func uuid(_ path: String...) throws(LTFSXMLError) -> String {
        let raw = try text(path).trimmingSpaces
        guard LTFSVolumeUUID.isValid(raw) else {
            throw .invalidValue(element: path.joined(separator: "/"), value: raw)
        }
        return raw
    }
}

public enum LTFSVolumeUUID {
    /// 8-4-4-4-12 hexadecimal digits (RFC 4122 text form), as LTFS writes it.
    public static func isValid(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
