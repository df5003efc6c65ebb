import Catalog
import Discovery

/// Why the library service refused a request or could not bind a library.
public enum LibraryServiceError: Error, Sendable, CustomStringConvertible {
    case libraryNotFound(Int64)
    case libraryNotAttached(Int64)
    case libraryWithoutChanger(Int64)
    case deviceWithoutSerial(String)
    case driveNotInLibrary(drive: Int64, library: Int64)
    case invalidTask(String)
    case catalog(CatalogError)
    case discovery(DiscoveryError)

    public var description: String {
        switch self {
        case .libraryNotFound(let id): return "tape library \(id) does not exist"
        case .libraryNotAttached(let id): return "tape library \(id) is not served by this media server's service"
        case .libraryWithoutChanger(let id): return "tape library \(id) has no medium changer"
        case .deviceWithoutSerial(let what):
            return "\(what) has no serial number; the service tracks devices by serial across reconnects"
        case .driveNotInLibrary(let drive, let library): return "drive \(drive) is not a drive of tape library \(library)"
        case .invalidTask(let why): return why
        case .catalog(let error): return "catalog: \(error)"
        case .discovery(let error): return "discovery: \(error)"
        }
    }
}

extension LibraryServiceError {
    /// Runs a catalog call, its error wrapped as `.catalog`.
    static func catalog<T>(_ body: () async throws(CatalogError) -> T) async throws(LibraryServiceError) -> T {
        do { return try await body() } catch { throw .catalog(error) }
    }
}
