import Foundation
import HTTPTypes
import Hummingbird
import LibraryService

extension RouteTable {
    /// Operations of the contract whose server side is not built yet: each answers 501 with the
    /// reason (never a fake success), and the route-table test lists them, so they cannot be forgotten.
    static let notBuilt: [(HTTPRequest.Method, String, String)] = []

    static func notBuiltRoutes(_ state: APIState) -> [Route] {
        notBuilt.map { method, path, what in
            Route(method: method, path: path, access: .roles(Roles.all)) { _ in
                throw APIError(.notBuilt, "\(method) \(path): \(what) is not built in this version of tapelib")
            }
        }
    }
}
