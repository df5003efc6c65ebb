import Catalog
import Foundation
import Hummingbird
import LibraryService

struct CreateCartridgeBody: Decodable, Sendable, StrictFields {
    var type: String?
    var pool: String?
    var volumeTag: String
    var description: String?
    enum CodingKeys: String, CodingKey { case type, pool, volumeTag = "volume_tag", description }
    static let allowedFields: [String: Set<String>] = ["data": ["type", "pool", "volume_tag", "description"]]
}

struct PatchCartridgeBody: Decodable, Sendable, StrictFields {
    var volumeTag: String?
    var description: String?
    enum CodingKeys: String, CodingKey { case volumeTag = "volume_tag", description }
    static let allowedFields: [String: Set<String>] = ["data": ["volume_tag", "description"]]
}

/// Which queue a task control addresses: tl_task_queue (library tasks, the default) or
/// task_queue (copies, verifications, restores).
enum TaskQueueName: String, Decodable, Sendable {
    case libraryTasks = "tl_task_queue"
    case backupTasks = "task_queue"
}

struct TaskIDBody: Decodable, Sendable, StrictFields {
    var taskId: Int64
    var queue: TaskQueueName?
    enum CodingKeys: String, CodingKey { case taskId = "task_id", queue }
    static let allowedFields: [String: Set<String>] = ["data": ["task_id", "queue"]]
}

struct TaskIDsBody: Decodable, Sendable, StrictFields {
    var tasksIds: [Int64]
    var queue: TaskQueueName?
    enum CodingKeys: String, CodingKey { case tasksIds = "tasks_ids", queue }
    static let allowedFields: [String: Set<String>] = ["data": ["tasks_ids", "queue"]]
}

/// A task a control answered with, from either queue.
enum ControlledTask: Encodable, Sendable {
    case library(LibraryTask)
    case backup(BackupTask)

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .library(let task): try task.encode(to: encoder)
        case .backup(let task): try task.encode(to: encoder)
        }
    }
}

struct StatusCount: Encodable, Sendable {
    var status: String
    var count: Int
}

/// A copy part on a cartridge (tapelib's addition, for the cartridge's page).
struct CopyPartOnCartridge: Encodable, Sendable {
    var repositoryId: Int64
    var copyId: Int64
    var poolId: Int64
    var state: CopyState
    var verified: Bool
    var partIndex: Int
    var tapeFileNumber: Int64
    var byteCount: Int64
    var ltfsPath: String?

    init(copy: RepositoryCopy, extent: RepositoryCopyExtent) {
        repositoryId = copy.repositoryId; copyId = extent.copyId; poolId = copy.poolId; state = copy.state
        verified = copy.verified; partIndex = extent.partIndex; tapeFileNumber = extent.tapeFileNumber
        byteCount = extent.byteCount; ltfsPath = extent.ltfsPath
    }
}

extension RouteTable {
    static func cartridgeRoutes(_ state: APIState) -> [Route] {
        [
            Route(method: .get, path: "/api/v1/tape_cartridges", access: .roles(Roles.all), cacheable: true) { call in
                try list(try await coded { try await state.catalog.listCartridges(try call.listQuery()) })
            },
            Route(method: .post, path: "/api/v1/tape_cartridges", access: .roles(Roles.operators)) { call in
                let body = try call.decode(Wrapped<CreateCartridgeBody>.self).data
                try validateVolumeTag(body.volumeTag)
                if let description = body.description, description.utf8.count > 4_096 {
                    throw APIError(.invalidRequest, "description is at most 4096 bytes", fields: ["description": "too long"])
                }
                var poolID: Int64?
                if let poolName = body.pool, !poolName.isEmpty {
                    guard let pool = try await coded({ try await state.catalog.pool(named: poolName) }) else {
                        throw APIError(.invalidRequest, "no pool \(poolName)", fields: ["pool": "unknown pool"])
                    }
                    guard pool.type == .tapeLibrary else {
                        throw APIError(.invalidRequest, "pool \(poolName) is not a tape-library pool", fields: ["pool": "not a tape-library pool"])
                    }
                    poolID = pool.id
                }
                if let existing = try await coded({ try await state.catalog.cartridge(volumeTag: body.volumeTag) }) {
                    // A cartridge a sync found in a library and nobody registered: registering it is this call's purpose.
                    guard !existing.isRegistered, let id = existing.id else {
                        throw APIError(.conflict, "cartridge \(body.volumeTag) is already in the catalog", fields: ["volume_tag": "exists"])
                    }
                    try await coded { try await state.catalog.registerCartridges([body.volumeTag], pool: poolID) }
                    if let description = body.description {
                        try await coded { try await state.catalog.updateCartridge(id, volumeTag: nil, description: description) }
                    }
                    return try .envelope(try found(try await coded { try await state.catalog.cartridge(id: id) }, "tape cartridge", id),
                                         status: .created, message: "cartridge \(body.volumeTag), found by a sync, is registered")
                }
                let cartridge = try await coded {
                    try await state.catalog.registerCartridge(volumeTag: body.volumeTag, typeName: body.type?.isEmpty == false ? body.type : nil,
                                                              poolName: body.pool?.isEmpty == false ? body.pool : nil,
                                                              description: body.description ?? "")
                }
                return try .envelope(cartridge, status: .created,
                                     message: "Resource with name 'Tape cartridge' was created successfully!")
            },
            Route(method: .delete, path: "/api/v1/tape_cartridges", access: .roles(Roles.operators)) { call in
                let ids = try call.decode(IDList.self).validated()
                return try await bulk(ids, message: "tape cartridges deleted") { id in
                    try await coded { try await state.catalog.deleteCartridge(id) }
                }
            },
            Route(method: .get, path: "/api/v1/tape_cartridges/{id}", access: .roles(Roles.all), cacheable: true) { call in
                let id = try call.id(resource: "tape cartridge")
                return try .envelope(try found(try await coded { try await state.catalog.cartridge(id: id) }, "tape cartridge", id))
            },
            Route(method: .get, path: "/api/v1/tape_cartridges/{id}/copies", access: .roles(Roles.all), cacheable: true) { call in
                let id = try call.id(resource: "tape cartridge")
                _ = try found(try await coded { try await state.catalog.cartridge(id: id) }, "tape cartridge", id)
                let parts = try await coded { try await state.catalog.extents(onCartridge: id) }
                return try .envelope(parts.map { copy, extent in CopyPartOnCartridge(copy: copy, extent: extent) })
            },
            Route(method: .patch, path: "/api/v1/tape_cartridges/{id}", access: .roles(Roles.operators)) { call in
                let id = try call.id(resource: "tape cartridge")
                let body = try call.decode(Wrapped<PatchCartridgeBody>.self).data
                if let tag = body.volumeTag { try validateVolumeTag(tag) }
                if let description = body.description, description.utf8.count > 4_096 {
                    throw APIError(.invalidRequest, "description is at most 4096 bytes", fields: ["description": "too long"])
                }
                _ = try found(try await coded { try await state.catalog.cartridge(id: id) }, "tape cartridge", id)
                return try .envelope(try await coded {
                    try await state.catalog.updateCartridge(id, volumeTag: body.volumeTag, description: body.description)
                })
            },
            Route(method: .delete, path: "/api/v1/tape_cartridges/{id}", access: .roles(Roles.operators)) { call in
                let id = try call.id(resource: "tape cartridge")
                try await coded { try await state.catalog.deleteCartridge(id) }
                return try .envelope(NoData?.none, message: "tape cartridge \(id) deleted")
            },
            Route(method: .get, path: "/api/v1/tape_types", access: .roles(Roles.all), cacheable: true) { call in
                try list(try await coded { try await state.catalog.listTapeTypes(try call.listQuery()) })
            },
        ]
    }

    /// A barcode as libraries print them: 1…32 printable ASCII characters, no spaces.
    static func validateVolumeTag(_ tag: String) throws(APIError) {
        guard !tag.isEmpty, tag.utf8.count <= 32, tag.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw APIError(.invalidRequest, "volume_tag is 1…32 printable ASCII characters without spaces",
                           fields: ["volume_tag": "1…32 printable ASCII characters"])
        }
    }

    static func taskRoutes(_ state: APIState) -> [Route] {
        @Sendable func control(_ action: TaskControlAction, _ id: Int64, _ call: Call,
                               queue: TaskQueueName?) async throws(APIError) -> ControlledTask {
            if queue == .backupTasks {
                do {
                    return .backup(try await state.catalog.controlBackupTask(id, action, by: call.identity?.name ?? "operator"))
                } catch {
                    let coded = ServiceError(error)
                    throw APIError(coded.code == .conflict ? .invalidRequest : coded.code, coded.message)
                }
            }
            return .library(try await control(action, id, call))
        }
        @Sendable func control(_ action: TaskControlAction, _ id: Int64, _ call: Call) async throws(APIError) -> LibraryTask {
            let task = try found(try await coded { try await state.catalog.libraryTask(id: id) }, "task", id)
            if let libraryID = task.libraryId, let library = try await coded({ try await state.catalog.library(id: libraryID) }) {
                try call.requireLibraryAccess(library)
            }
            do {
                _ = try await state.server.service.engine.control(id, action, by: call.identity?.name ?? "operator")
            } catch {
                let coded = ServiceError(error)
                // The seed answers 400 when the task's status does not allow the control.
                throw APIError(coded.code == .conflict ? .invalidRequest : coded.code, coded.message)
            }
            return try found(try await coded { try await state.catalog.libraryTask(id: id) }, "task", id)
        }
        return [
            Route(method: .get, path: "/api/v1/tl_task_queue", access: .roles(Roles.all), cacheable: true) { call in
                try list(try await coded { try await state.catalog.listLibraryTasks(try call.listQuery()) })
            },
            Route(method: .get, path: "/api/v1/tl_task_queue/{id}", access: .roles(Roles.all), cacheable: true) { call in
                let id = try call.id(resource: "task")
                return try .envelope(try found(try await coded { try await state.catalog.libraryTask(id: id) }, "task", id))
            },
            Route(method: .get, path: "/api/v1/task_status", access: .roles(Roles.all), cacheable: true) { _ in
                let counts = try await coded { try await state.catalog.libraryTaskStatusCounts() }
                return try .envelope(counts.map { StatusCount(status: $0.status, count: $0.count) })
            },
            Route(method: .get, path: "/api/v1/task_log", access: .roles(Roles.all), cacheable: true) { call in
                try list(try await coded { try await state.catalog.listTaskLog(try call.listQuery()) })
            },
            Route(method: .get, path: "/api/v1/task_log/{id}", access: .roles(Roles.all), cacheable: true) { call in
                let id = try call.id(resource: "task log entry")
                let page = try await coded { try await state.catalog.listTaskLog(ListQuery(filter: "id=\"\(id)\"", limit: 1)) }
                return try .envelope(try found(page.items.first, "task log entry", id))
            },
            Route(method: .post, path: "/api/v1/kill_task", access: .roles(Roles.operators)) { call in
                let body = try call.decode(Wrapped<TaskIDBody>.self).data
                return try .envelope(try await control(.kill, body.taskId, call, queue: body.queue), message: "task \(body.taskId): kill requested")
            },
            Route(method: .post, path: "/api/v1/put_task_on_pause", access: .roles(Roles.operators)) { call in
                let body = try call.decode(Wrapped<TaskIDBody>.self).data
                return try .envelope(try await control(.pause, body.taskId, call, queue: body.queue), message: "task \(body.taskId) paused")
            },
            Route(method: .post, path: "/api/v1/continue_task_working", access: .roles(Roles.operators)) { call in
                let body = try call.decode(Wrapped<TaskIDBody>.self).data
                return try .envelope(try await control(.continue, body.taskId, call, queue: body.queue), message: "task \(body.taskId) continues")
            },
            Route(method: .post, path: "/api/v1/restart_task", access: .roles(Roles.operators)) { call in
                let body = try call.decode(Wrapped<TaskIDsBody>.self).data
                let ids = body.tasksIds
                guard !ids.isEmpty, ids.count <= 1_000 else {
                    throw APIError(.invalidRequest, "tasks_ids lists 1…1000 task ids", fields: ["tasks_ids": "1…1000 ids"])
                }
                var results: [BulkResult] = []
                var tasks: [ControlledTask] = []
                var firstError: APIError?
                for id in Array(Set(ids)).sorted() {
                    do {
                        tasks.append(try await control(.restart, id, call, queue: body.queue))
                        results.append(BulkResult(id: id, status: 200, message: "restarted"))
                    } catch let error as APIError {
                        if firstError == nil { firstError = error }
                        results.append(BulkResult(id: id, status: Int(error.status.code), message: error.error.message))
                    }
                }
                if let firstError {
                    if tasks.isEmpty { throw firstError }
                    return try .envelope(results, status: .init(code: 207), message: "some tasks could not be restarted")
                }
                return try .envelope(tasks, message: "tasks restarted")
            },
        ]
    }
}
