/// Errors the catalog reports. The API maps `.filter` and `.invalidArgument` to 400,
/// `.notFound` to 404 and `.constraintViolation` to 409/400 as it sees fit.
public enum CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A filter_data / sort / paging parameter was rejected; never reaches SQL.
    case filter(FilterError)
    /// A cartridge lifecycle step the state machine forbids.
    case illegalTransition(CartridgeTransitionError)
    /// No row of `resource` with that identifier.
    case notFound(resource: String, identifier: String)
    /// SQLite refused a write because it breaks a UNIQUE, CHECK, FOREIGN KEY or trigger rule.
    case constraintViolation(String)
    /// Input that cannot be stored (e.g. duplicate element addresses in a snapshot).
    case invalidArgument(String)
    /// Opening, migrating or accessing the database file failed.
    case storage(String)
    /// A request the row's current state refuses (pause a finished task, continue a running
    /// one…); the API answers 409.
    case conflict(String)

    public var description: String {
        switch self {
        case .filter(let error): return "invalid list query: \(error)"
        case .illegalTransition(let error): return error.description
        case .notFound(let resource, let identifier): return "\(resource) \(identifier) not found"
        case .constraintViolation(let message): return "catalog constraint violated: \(message)"
        case .invalidArgument(let message): return "invalid argument: \(message)"
        case .storage(let message): return "catalog storage error: \(message)"
        case .conflict(let message): return message
        }
    }
}
