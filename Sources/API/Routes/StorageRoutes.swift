import Catalog
import Discovery
import Foundation
import HTTPTypes
import Hummingbird
import LibraryService

struct ClientPathItem: Decodable, Sendable {
    var clientHwid: String
    var path: String?
    enum CodingKeys: String, CodingKey { case clientHwid = "client_hwid", path }
}

struct ClientPathBody: Decodable, Sendable, StrictFields {
    var data: [ClientPathItem]
    static let allowedFields: [String: Set<String>] = ["": ["data"], "data[]": ["client_hwid", "path"]]
}

struct ClientDirectory: Encodable, Sendable {
    var clientHwid: String
    var path: String
    var entries: [DirectoryEntry]
    var truncated: Bool
}

struct ClientBlockDevices: Encodable, Sendable {
    var clientHwid: String
    var path: String
    var devices: [BlockDevice]
}

struct LocalCatalogBody: Decodable, Sendable, StrictFields {
    var path: String
    var pool: String?
    var description: String?
    static let allowedFields: [String: Set<String>] = ["data": ["path", "pool", "description"]]
}

struct BlockDeviceBody: Decodable, Sendable, StrictFields {
    var device: String
    var pool: String?
    var overwriteFileSystem: Bool?
    var description: String?
    enum CodingKeys: String, CodingKey { case device, pool, overwriteFileSystem = "overwrite_file_system", description }
    static let allowedFields: [String: Set<String>] = ["data": ["device", "pool", "overwrite_file_system", "description"]]
}

struct AddDrivesBody: Decodable, Sendable, StrictFields {
    var ids: [Int64]
    var tapeLibraryId: Int64
    enum CodingKeys: String, CodingKey { case ids, tapeLibraryId = "tape_library_id" }
    static let allowedFields: [String: Set<String>] = ["data": ["ids", "tape_library_id"]]
}

struct BackupTaskBody: Decodable, Sendable, StrictFields {
    struct Inner: Decodable, Sendable {
        var resourceType: String
        var resource: String
        var client: String
        var backupType: BackupType
        var pool: String
        var priority: Int?
        enum CodingKeys: String, CodingKey {
            case resourceType = "resource_type", resource, client, backupType = "backup_type", pool, priority
        }
    }
    var task: Inner
    static let allowedFields: [String: Set<String>] = [
        "data": ["task", "module_extensions", "common_modules_extensions"],
        "data.task": ["resource_type", "resource", "client", "backup_type", "pool", "crypto", "priority", "storage_duration", "archiving"],
    ]
}

extension RouteTable {
    static func storageRoutes(_ state: APIState) -> [Route] {
        clientRoutes(state) + poolStorageRoutes(state) + driveAssignmentRoutes(state) + [
            // Backups themselves are the backup core's: a task queued here is recorded as ended in
            // error with that reason (tapelib runs tape tasks and, with issue 12, copies to tape).
            Route(method: .post, path: "/api/v1/task_queue", access: .roles(Roles.operators)) { call in
                let body = try call.decode(Wrapped<BackupTaskBody>.self).data.task
                for (name, value) in [("resource_type", body.resourceType), ("resource", body.resource), ("client", body.client),
                                      ("pool", body.pool)] where value.isEmpty || value.utf8.count > 4_096 {
                    throw APIError(.invalidRequest, "\(name) is 1…4096 bytes", fields: [name: "1…4096 bytes"])
                }
                if let priority = body.priority, !(0...10_000).contains(priority) {
                    throw APIError(.invalidRequest, "priority is 0…10000", fields: ["priority": "0…10000"])
                }
                guard let pool = try await coded({ try await state.catalog.pool(named: body.pool) }) else {
                    throw APIError(.notFound, "no pool \(body.pool)", fields: ["pool": "unknown pool"])
                }
                let task = try await coded {
                    try await state.catalog.recordRefusedBackupTask(
                        BackupTask(type: .backup, priority: body.priority ?? 100, client: body.client, resource: body.resource,
                                   resourceType: body.resourceType, backupType: body.backupType, poolId: pool.id),
                        reason: "backups are made by the backup core's clients, not by tapelib (the tape service); "
                            + "tapelib copies finished backup records to tape")
                }
                return try .envelope(TaskIDs(taskIds: [task.id].compactMap { $0 }), status: .created,
                                     message: "Resource with name 'Task Queue' was created successfully! TASK WAS ADDED TO QUEUE:\(task.id ?? 0) "
                                        + "(it ended at once: \(task.errorMessage ?? ""))")
            },
        ]
    }

    /// The client of a listing is this host, named by its media server's hwid or host name.
    static func requireThisClient(_ hwid: String, state: APIState) async throws(APIError) {
        let serverID = state.server.mediaServerID
        let server = try await coded { () async throws -> MediaServer? in
            guard let serverID else { return nil }
            return try await state.catalog.mediaServer(id: serverID)
        }
        guard hwid == state.server.hostname || hwid == server?.hwid else {
            throw APIError(.notFound, "no client \(hwid) on this media server (it lists its own host: \(server?.hwid ?? state.server.hostname))",
                           fields: ["client_hwid": "unknown client"])
        }
    }

    static func clientRoutes(_ state: APIState) -> [Route] {
        [
            Route(method: .post, path: "/api/v1/list_client_filesystem", access: .roles(Roles.all)) { call in
                let items = try call.decode(ClientPathBody.self).data
                guard (1...100).contains(items.count) else { throw APIError(.invalidRequest, "data lists 1…100 paths", fields: ["data": "1…100 items"]) }
                let lister = DirectoryLister(roots: state.configuration.clientRoots)
                var answers: [ClientDirectory] = []
                for item in items {
                    try await requireThisClient(item.clientHwid, state: state)
                    let path = item.path ?? "/"
                    guard path.utf8.count <= 4_096, !path.contains("\0") else {
                        throw APIError(.invalidRequest, "path is at most 4096 bytes", fields: ["path": "invalid"])
                    }
                    do {
                        let listing = try await lister.listing(of: path)
                        answers.append(ClientDirectory(clientHwid: item.clientHwid, path: listing.path, entries: listing.entries,
                                                       truncated: listing.truncated))
                    } catch let error as ListingError {
                        // Outside the roots, or missing: the same 404, saying nothing of what exists there.
                        switch error.code {
                        case .outsideRoots, .notFound: throw APIError(.notFound, error.description, fields: ["path": error.code.rawValue])
                        case .invalidPath, .notADirectory: throw APIError(.invalidRequest, error.description, fields: ["path": error.code.rawValue])
                        default: throw APIError(.forbidden, error.description, fields: ["path": error.code.rawValue])
                        }
                    }
                }
                return try .envelope(answers)
            },
            Route(method: .post, path: "/api/v1/list_client_block_devices", access: .roles(Roles.all)) { call in
                let items = try call.decode(ClientPathBody.self).data
                guard (1...100).contains(items.count) else { throw APIError(.invalidRequest, "data lists 1…100 paths", fields: ["data": "1…100 items"]) }
                let devices = try await coded { try await offPool { try BlockDeviceScanner.scan() } }
                var answers: [ClientBlockDevices] = []
                for item in items {
                    try await requireThisClient(item.clientHwid, state: state)
                    let path = item.path ?? "/dev/"
                    guard path.hasPrefix("/dev"), !path.contains(".."), path.utf8.count <= 4_096 else {
                        throw APIError(.invalidRequest, "path is under /dev", fields: ["path": "under /dev"])
                    }
                    answers.append(ClientBlockDevices(clientHwid: item.clientHwid, path: path,
                                                      devices: devices.filter { $0.path.hasPrefix(path) }))
                }
                return try .envelope(answers)
            },
        ]
    }

    /// The pool a storage joins: named (default "Default"), of the storage's type.
    static func storagePool(_ name: String?, type: PoolType, state: APIState) async throws(APIError) -> Int64 {
        let name = name?.isEmpty == false ? name ?? "Default" : "Default"
        guard let pool = try await coded({ try await state.catalog.pool(named: name) }), let id = pool.id else {
            throw APIError(.notFound, "no pool \(name)", fields: ["pool": "unknown pool"])
        }
        guard pool.type == type else {
            throw APIError(.invalidRequest, "pool \(name) is a \(pool.type.rawValue) pool, not a \(type.rawValue) pool",
                           fields: ["pool": "wrong pool type"])
        }
        return id
    }

    static func poolStorageRoutes(_ state: APIState) -> [Route] {
        [
            Route(method: .get, path: "/api/v1/storage_local_catalogs", access: .roles(Roles.all)) { call in
                try list(try await coded { try await state.catalog.listStorageLocalCatalogs(try call.listQuery()) })
            },
            Route(method: .post, path: "/api/v1/storage_local_catalogs", access: .roles(Roles.administrators)) { call in
                let body = try call.decode(Wrapped<LocalCatalogBody>.self).data
                if let description = body.description, description.utf8.count > 4_096 {
                    throw APIError(.invalidRequest, "description is at most 4096 bytes", fields: ["description": "too long"])
                }
                guard body.path.hasPrefix("/"), body.path.utf8.count <= 4_096, !body.path.contains("\0") else {
                    throw APIError(.invalidRequest, "path is an absolute directory path", fields: ["path": "absolute path"])
                }
                // The directory must exist on this host, inside the roots it exposes; stored by its canonical path.
                let listing: DirectoryListing
                do { listing = try await DirectoryLister(roots: state.configuration.clientRoots, entryLimit: 1).listing(of: body.path) } catch let error as ListingError {
                    throw APIError(.invalidRequest, error.description, fields: ["path": error.code.rawValue])
                }
                let poolID = try await storagePool(body.pool, type: .fileSystem, state: state)
                let row = try await coded {
                    try await state.catalog.insertStorage(StorageLocalCatalog(path: listing.path, poolId: poolID, description: body.description ?? ""))
                }
                return try .envelope(row, status: .created, message: "Resource with name '\(listing.path)' was created successfully!")
            },
            Route(method: .delete, path: "/api/v1/storage_local_catalogs", access: .roles(Roles.administrators)) { call in
                let ids = try call.decode(IDList.self).validated()
                return try await bulk(ids, message: "local catalogs removed") { id in
                    try await coded { try await state.catalog.deleteStorage(StorageLocalCatalog.self, id: id, resource: "storage_local_catalogs") }
                }
            },
            Route(method: .get, path: "/api/v1/storage_local_catalogs/{id}", access: .roles(Roles.all)) { call in
                let id = try call.id(resource: "local catalog")
                return try .envelope(try found(try await coded { try await state.catalog.storageLocalCatalog(id: id) }, "local catalog", id))
            },
            Route(method: .delete, path: "/api/v1/storage_local_catalogs/{id}", access: .roles(Roles.administrators)) { call in
                let id = try call.id(resource: "local catalog")
                try await coded { try await state.catalog.deleteStorage(StorageLocalCatalog.self, id: id, resource: "storage_local_catalogs") }
                return try .envelope(NoData?.none, message: "local catalog \(id) removed")
            },
            Route(method: .get, path: "/api/v1/storage_block_devices", access: .roles(Roles.all)) { call in
                try list(try await coded { try await state.catalog.listStorageBlockDevices(try call.listQuery()) })
            },
            Route(method: .post, path: "/api/v1/storage_block_devices", access: .roles(Roles.administrators)) { call in
                let body = try call.decode(Wrapped<BlockDeviceBody>.self).data
                if let description = body.description, description.utf8.count > 4_096 {
                    throw APIError(.invalidRequest, "description is at most 4096 bytes", fields: ["description": "too long"])
                }
                try validateDevice(body.device)
                let devices = try await coded { try await offPool { try BlockDeviceScanner.scan() } }
                guard let device = devices.first(where: { $0.path == body.device }) else {
                    throw APIError(.invalidRequest, "\(body.device) is not a block device of this host", fields: ["device": "not a block device"])
                }
                if !device.mountpoints.isEmpty || !device.holders.isEmpty {
                    throw APIError(.conflict, "\(body.device) is in use (mounted or held by \((device.mountpoints + device.holders).joined(separator: ", ")))")
                }
                if let fsType = device.fsType, body.overwriteFileSystem != true {
                    throw APIError(.conflict, "\(body.device) holds a \(fsType) file system; pass overwrite_file_system to use it anyway",
                                   fields: ["overwrite_file_system": "required to overwrite \(fsType)"])
                }
                let poolID = try await storagePool(body.pool, type: .blockDevice, state: state)
                let row = try await coded {
                    try await state.catalog.insertStorage(StorageBlockDevice(device: body.device, poolId: poolID, description: body.description ?? ""))
                }
                return try .envelope(row, status: .created, message: "Resource with name '\(body.device)' was created successfully!")
            },
            Route(method: .delete, path: "/api/v1/storage_block_devices", access: .roles(Roles.administrators)) { call in
                let ids = try call.decode(IDList.self).validated()
                return try await bulk(ids, message: "block devices removed") { id in
                    try await coded { try await state.catalog.deleteStorage(StorageBlockDevice.self, id: id, resource: "storage_block_devices") }
                }
            },
            Route(method: .get, path: "/api/v1/storage_block_devices/{id}", access: .roles(Roles.all)) { call in
                let id = try call.id(resource: "block device")
                return try .envelope(try found(try await coded { try await state.catalog.storageBlockDevice(id: id) }, "block device", id))
            },
            Route(method: .delete, path: "/api/v1/storage_block_devices/{id}", access: .roles(Roles.administrators)) { call in
                let id = try call.id(resource: "block device")
                try await coded { try await state.catalog.deleteStorage(StorageBlockDevice.self, id: id, resource: "storage_block_devices") }
                return try .envelope(NoData?.none, message: "block device \(id) removed")
            },
        ]
    }

    static func driveAssignmentRoutes(_ state: APIState) -> [Route] {
        /// The engine serves a library's drives as they were when it attached it: attach again.
        @Sendable func reattach(_ libraryID: Int64) async throws(APIError) {
            await state.server.service.engine.detach(library: libraryID)
            _ = try await coded { try await state.server.service.engine.attach(library: libraryID) }
        }
        return [
            Route(method: .get, path: "/api/v1/library_tape_drives/candidates", access: .roles(Roles.all)) { call in
                _ = try candidateMode(call.query("mode"))
                var serverID: Int64?
                if let name = call.query("media_server"), !name.isEmpty {
                    guard let server = try await coded({ try await state.catalog.mediaServer(hostname: name) }) else {
                        throw APIError(.notFound, "no media server \(name)", fields: ["media_server": "unknown media server"])
                    }
                    serverID = server.id
                }
                return try .envelope(try await coded { try await state.catalog.unassignedDrives(mediaServer: serverID) })
            },
            Route(method: .post, path: "/api/v1/library_tape_drives", access: .roles(Roles.operators)) { call in
                let body = try call.decode(Wrapped<AddDrivesBody>.self).data
                let ids = try IDList(ids: body.ids).validated()
                let library = try await libraryForAction(body.tapeLibraryId, call: call, state: state)
                guard let libraryID = library.id else { throw APIError(.internal, "library without id") }
                var added: [LibraryTapeDrive] = []
                let response = try await bulk(ids, message: "drives added") { id in
                    added.append(try await coded { try await state.catalog.assignDrive(id, toLibrary: libraryID) })
                }
                if !added.isEmpty { try await reattach(libraryID) }
                return response.status == .ok ? try .envelope(added, status: .created, message: "drives added to tape library \(libraryID)") : response
            },
            Route(method: .delete, path: "/api/v1/library_tape_drives", access: .roles(Roles.operators)) { call in
                let ids = try call.decode(IDList.self).validated()
                var libraries = Set<Int64>()
                let response = try await bulk(ids, message: "drives taken out of their libraries") { id in
                    let drive = try found(try await coded { try await state.catalog.drive(id: id) }, "tape drive", id)
                    try call.requireMediaServerAccess(drive.mediaServerId)
                    if let libraryID = try await coded({ try await state.catalog.unassignDrive(id) }) { libraries.insert(libraryID) }
                }
                for libraryID in libraries { try await reattach(libraryID) }
                return response
            },
        ]
    }
}
