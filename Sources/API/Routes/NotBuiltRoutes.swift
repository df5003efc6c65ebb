import Foundation
import HTTPTypes
import Hummingbird
import LibraryService

extension RouteTable {
    /// Operations of the contract whose server side is not built yet: each answers 501 with the
    /// reason (never a fake success), and the route-table test lists them, so they cannot be forgotten.
    static let notBuilt: [(HTTPRequest.Method, String, String)] = [
        (.get, "/api/v1/pool_list", "pools"), (.post, "/api/v1/pool_list", "pools"), (.delete, "/api/v1/pool_list", "pools"),
        (.get, "/api/v1/pool_list/{id}", "pools"), (.patch, "/api/v1/pool_list/{id}", "pools"),
        (.delete, "/api/v1/pool_list/{id}", "pools"), (.get, "/api/v1/pool_list/available_for_copy_or_move", "pools"),
        (.get, "/api/v1/destination_storage_types", "pools"),
        (.get, "/api/v1/task_queue", "the backup-core task queue"), (.post, "/api/v1/task_queue", "the backup-core task queue"),
        (.delete, "/api/v1/task_queue", "the backup-core task queue"), (.get, "/api/v1/task_queue/{id}", "the backup-core task queue"),
        (.delete, "/api/v1/task_queue/{id}", "the backup-core task queue"),
        (.get, "/api/v1/repository", "the repository"), (.get, "/api/v1/repository/{id}", "the repository"),
        (.patch, "/api/v1/repository/{id}", "the repository"), (.delete, "/api/v1/repository/{id}", "the repository"),
        (.post, "/api/v1/repository/{id}/copying", "copies to tape (issue 12)"),
        (.post, "/api/v1/repository/{id}/moving", "copies to tape (issue 12)"),
        (.post, "/api/v1/repository/{id}/verification", "copies to tape (issue 12)"),
        (.post, "/api/v1/repository/{id}/restoring", "copies to tape (issue 12)"),
        (.post, "/api/v1/list_client_block_devices", "client listings"), (.post, "/api/v1/list_client_filesystem", "client listings"),
        (.get, "/api/v1/storage_block_devices", "storage"), (.post, "/api/v1/storage_block_devices", "storage"),
        (.delete, "/api/v1/storage_block_devices", "storage"), (.get, "/api/v1/storage_block_devices/{id}", "storage"),
        (.delete, "/api/v1/storage_block_devices/{id}", "storage"),
        (.get, "/api/v1/storage_local_catalogs", "storage"), (.post, "/api/v1/storage_local_catalogs", "storage"),
        (.delete, "/api/v1/storage_local_catalogs", "storage"), (.get, "/api/v1/storage_local_catalogs/{id}", "storage"),
        (.delete, "/api/v1/storage_local_catalogs/{id}", "storage"),
        (.get, "/api/v1/scheduled_jobs", "scheduled jobs over the API"), (.post, "/api/v1/scheduled_jobs", "scheduled jobs over the API"),
        (.get, "/api/v1/scheduled_jobs/{id}", "scheduled jobs over the API"),
        (.patch, "/api/v1/scheduled_jobs/{id}", "scheduled jobs over the API"),
        (.delete, "/api/v1/scheduled_jobs/{id}", "scheduled jobs over the API"),
        (.get, "/api/v1/scheduled_jobs/{id}/executions", "scheduled jobs over the API"),
        (.post, "/api/v1/scheduled_jobs/{id}/executions", "scheduled jobs over the API"),
        (.get, "/api/v1/job_logs", "scheduled jobs over the API"),
        (.get, "/api/v1/media_servers/tree", "media-server trees"),
        (.get, "/api/v1/media_servers/filtered_by_tape_library_pool", "media-server trees"),
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
