/// Element type codes (SMC-3 table 23, READ ELEMENT STATUS "ELEMENT TYPE CODE").
public enum ElementType: UInt8, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// All element types (only meaningful in a READ ELEMENT STATUS request).
    case all = 0
    /// Medium transport element (the picker / robot hand).
    case mediumTransport = 1
    /// Storage element (a slot).
    case storage = 2
    /// Import/export element (a mail slot).
    case importExport = 3
    /// Data transfer element (a drive).
    case dataTransfer = 4

    public var description: String {
        switch self {
        case .all: return "all"
        case .mediumTransport: return "medium transport"
        case .storage: return "storage"
        case .importExport: return "import/export"
        case .dataTransfer: return "data transfer"
        }
    }
}
