/// Why a list query (filter_data, sort, direction, page, limit) was rejected. The API answers
/// each with 400; nothing of the rejected input ever reaches SQL text.
public enum FilterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Malformed filter_data; `offset` counts UTF-8 bytes from the start.
    case syntax(offset: Int, message: String)
    case unknownField(name: String, resource: String)
    case operatorNotAllowed(field: String, operator: String)
    case invalidValue(field: String, value: String, expected: String)
    case unknownSortField(name: String, resource: String)
    case invalidDirection(String)
    case invalidPaging(String)
    case tooComplex(String)

    public var description: String {
        switch self {
        case .syntax(let offset, let message): return "filter_data syntax error at offset \(offset): \(message)"
        case .unknownField(let name, let resource): return "unknown field '\(name)' for \(resource)"
        case .operatorNotAllowed(let field, let op): return "operator \(op) cannot be used with field '\(field)'"
        case .invalidValue(let field, let value, let expected):
            return "invalid value \"\(value)\" for field '\(field)': expected \(expected)"
        case .unknownSortField(let name, let resource): return "cannot sort \(resource) by '\(name)'"
        case .invalidDirection(let value): return "sort direction must be asc or desc, not '\(value)'"
        case .invalidPaging(let message): return message
        case .tooComplex(let message): return message
        }
    }
}
