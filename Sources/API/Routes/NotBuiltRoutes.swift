import Foundation
import HTTPTypes
import Hummingbird
import LibraryService

extension RouteTable {
    /// Operations of the contract whose server side is not built yet: each answers 501 with the
    /// reason (never a fake success), and the route-table test lists them, so they cannot be forgotten.
    static let notBuilt: [(HTTPRequest.Method, String, String)] = [
        (.post, "/api/v1/task_queue", "queuing backup-core tasks directly"),
        (.post, "/api/v1/list_client_block_devices", "client listings"), (.post, "/api/v1/list_client_filesystem", "client listings"),
        (.get, "/api/v1/storage_block_devices", "storage"), (.post, "/api/v1/storage_block_devices", "storage"),
        (.delete, "/api/v1/storage_block_devices", "storage"), (.get, "/api/v1/storage_block_devices/{id}", "storage"),
        (.delete, "/api/v1/storage_block_devices/{id}", "storage"),
        (.get, "/api/v1/storage_local_catalogs", "storage"), (.post, "/api/v1/storage_local_catalogs", "storage"),
        (.delete, "/api/v1/storage_local_catalogs", "storage"), (.get, "/api/v1/storage_local_catalogs/{id}", "storage"),
        (.delete, "/api/v1/storage_local_catalogs/{id}", "storage"),
        (.post, "/api/v1/media_servers/authorize", "media-server authorisation (issue 13)"),
        (.post, "/api/v1/library_tape_drives", "adding drives to a library over the API"),
        (.delete, "/api/v1/library_tape_drives", "adding drives to a library over the API"),
        (.get, "/api/v1/library_tape_drives/candidates", "adding drives to a library over the API"),
    ]

    static func notBuiltRoutes(_ state: APIState) -> [Route] {
        notBuilt.map { method, path, what in
            Route(method: method, path: path, access: .roles(Roles.all)) { _ in
                throw APIError(.notBuilt, "\(method) \(path): \(what) is not built in this version of tapelib")
            }
        }
    }
}
