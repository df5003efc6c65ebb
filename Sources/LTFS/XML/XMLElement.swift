/// A small XML element tree: what LTFS labels and indexes are made of. Text content is kept
/// only for leaf elements (LTFS puts no mixed content in its XML).
public struct LTFSXMLElement: Sendable, Hashable {
    public var name: String
    public var attributes: [(String, String)] {
        get { attributePairs.map { ($0.name, $0.value) } }
        set { attributePairs = newValue.map { AttributePair(name: $0.0, value: $0.1) } }
    }
    public var text: String
    public var children: [LTFSXMLElement]

    struct AttributePair: Sendable, Hashable {
        var name: String
        var value: String
    }
    var attributePairs: [AttributePair]

    public init(_ name: String, attributes: [(String, String)] = [], text: String = "",
                children: [LTFSXMLElement] = []) {
        self.name = name
        self.attributePairs = attributes.map { AttributePair(name: $0.0, value: $0.1) }
        self.text = text
        self.children = children
    }

    public init(_ name: String, _ children: [LTFSXMLElement]) {
        self.init(name, children: children)
    }

    public func attribute(_ name: String) -> String? {
        attributePairs.first { $0.name == name }?.value
    }

    public func child(_ name: String) -> LTFSXMLElement? {
        children.first { $0.name == name }
    }

    public func children(named name: String) -> [LTFSXMLElement] {
        children.filter { $0.name == name }
    }
}
