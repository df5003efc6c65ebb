import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parses an XML document into an `LTFSXMLElement` tree with Foundation's XMLParser.
/// Elements deeper than `retainedDepth` are parsed (so the document is still validated) but
/// not kept: an index's file tree can be large, and a check needs only its top levels.
public enum LTFSXMLTreeParser {
    public static func parse(_ bytes: [UInt8], retainedDepth: Int = .max) throws(LTFSXMLError) -> LTFSXMLElement {
        // XMLParser stops at a NUL; a record padded with NULs is cut there.
        let trimmed = bytes.prefix { $0 != 0 }
        // LTFS XML is UTF-8. Foundation's XMLParser on Linux traps on attribute values that are
        // not valid UTF-8 (it bridges a nil NSString), so such input is refused before it gets there.
        guard String(validating: trimmed, as: UTF8.self) != nil else {
            throw .malformed("not valid UTF-8")
        }
        let builder = TreeBuilder(retainedDepth: retainedDepth)
        // A stream is parsed in chunks; one chunk over 10 MB trips libxml2's huge-input limit, and
        // an index of many files is larger than that.
        let parser = XMLParser(stream: InputStream(data: Data(trimmed)))
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = false
        parser.delegate = builder
        let ok = parser.parse()
        if let failure = builder.failure { throw failure }
        guard ok, let root = builder.root else {
            let message = parser.parserError.map { "\($0.localizedDescription)" } ?? "not well-formed"
            throw .malformed("line \(parser.lineNumber): \(message)")
        }
        return root
    }
}

/// XMLParser's delegate; lives only for one synchronous parse.
private final class TreeBuilder: NSObject, XMLParserDelegate {
    let retainedDepth: Int
    var stack: [LTFSXMLElement] = []
    var texts: [String] = []
    var skippedDepth = 0
    var root: LTFSXMLElement?
    var failure: LTFSXMLError?

    init(retainedDepth: Int) {
        self.retainedDepth = retainedDepth
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        if skippedDepth > 0 || stack.count >= retainedDepth {
            skippedDepth += 1
            return
        }
        let attributes = attributeDict.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        stack.append(LTFSXMLElement(elementName, attributes: attributes))
        texts.append("")
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard skippedDepth == 0, !texts.isEmpty else { return }
        texts[texts.count - 1] += string
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?) {
        if skippedDepth > 0 {
            skippedDepth -= 1
            return
        }
        guard var element = stack.popLast(), let text = texts.popLast() else { return }
        // Whitespace between child elements is layout, not content.
        element.text = element.children.isEmpty ? text : ""
        if stack.isEmpty {
            root = element
        } else {
            stack[stack.count - 1].children.append(element)
        }
    }

    func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
        failure = .malformed("external entity \(name) refused")
        parser.abortParsing()
        return nil
    }
}
