/// Why a response could not be parsed. Every parser in this module is total:
/// any input either parses or throws one of these, it never traps.
public struct SCSIParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case truncated
        case oversized
        case invalidField
        case unsupportedFormat
    }

    public var kind: Kind
    /// What was being parsed, e.g. "READ ELEMENT STATUS element page".
    public var context: String
    public var offset: Int
    public var detail: String

    public init(_ kind: Kind, _ context: String, offset: Int = 0, _ detail: String = "") {
        self.kind = kind
        self.context = context
        self.offset = offset
        self.detail = detail
    }

    public var description: String {
        var s = "\(context): \(kind.rawValue) at byte \(offset)"
        if !detail.isEmpty { s += " (\(detail))" }
        return s
    }
}
