import Catalog
import Discovery
import Foundation
import HTTPTypes
import Hummingbird
import LibraryService

/// A record with extra fields beside its own (tree nodes): both encode into one JSON object.
struct Flattened<Base: Encodable & Sendable, Extra: Encodable & Sendable>: Encodable, Sendable {
    var base: Base
    var extra: Extra
    func encode(to encoder: any Encoder) throws {
        try base.encode(to: encoder)
        try extra.encode(to: encoder)
    }
}

struct CreatePoolBody: Decodable, Sendable, StrictFields {
    var poolName: String
    var poolType: PoolType
    var mediaServer: String?
    var compressionType: String?
    var description: String?
    var retentionPeriod: String?
    /// A tape pool's format, data record size and read-back (tapelib's; docs/tape-format.md).
    var tapeFormat: TapeFormat?
    var tapeBlockSize: Int?
    var verifyAfterWrite: Bool?
    enum CodingKeys: String, CodingKey {
        case poolName = "pool_name", poolType = "pool_type", mediaServer = "media_server", compressionType = "compression_type"
        case description, retentionPeriod = "retention_period"
        case tapeFormat = "tape_format", tapeBlockSize = "tape_block_size", verifyAfterWrite = "verify_after_write"
    }
    /// The seed's parameters of other pool types are accepted and ignored ("parameters that do not apply are ignored").
    static let allowedFields: [String: Set<String>] = ["data": [
        "pool_name", "pool_type", "media_server", "compression_type", "description", "retention_period",
        "ignore_free_space_check", "algorithm", "block_size", "hash_length", "meta_data_pool",
        "tape_format", "tape_block_size", "verify_after_write",
    ]]
}

struct PatchPoolBody: Decodable, Sendable, StrictFields {
    var poolName: String?
    var compressionType: String?
    var description: String?
    var retentionPeriod: String?
    enum CodingKeys: String, CodingKey {
        case poolName = "pool_name", compressionType = "compression_type", description, retentionPeriod = "retention_period"
    }
    static let allowedFields: [String: Set<String>] = ["data": ["pool_name", "compression_type", "description", "retention_period",
                                                                "ignore_free_space_check"]]
}

struct StoreUntilBody: Decodable, Sendable, StrictFields {
    var storeUntil: String?
    enum CodingKeys: String, CodingKey { case storeUntil = "store_until" }
    static let allowedFields: [String: Set<String>] = ["data": ["store_until"]]
}

struct RestoreBody: Decodable, Sendable, StrictFields {
    struct RestoreTask: Decodable, Sendable {
        var targetClient: String
        var destinationPath: String?
        /// tapelib's addition: a local-catalog pool (name) to restore into instead of a directory.
        var targetPool: String?
        enum CodingKeys: String, CodingKey {
            case targetClient = "target_client", destinationPath = "destination_path", targetPool = "target_pool"
        }
    }
    var restoreTask: RestoreTask
    enum CodingKeys: String, CodingKey { case restoreTask = "restore_task" }
    static let allowedFields: [String: Set<String>] = [
        "data": ["restore_task"],
        "data.restore_task": ["target_client", "destination_path", "target_pool", "data_deployment", "granular_restore_files",
                              "module_extensions", "common_modules_extensions"],
    ]
}

struct JobBody: Decodable, Sendable, StrictFields {
    var name: String?
    var kind: ScheduledJobKind?
    var libraryId: Int64?
    var poolId: Int64?
    var isPeriodic: Bool?
    var intervalHours: Int?
    var crontab: String?
    var isActive: Bool?
    var priority: Int?
    var maxRetries: Int?
    var retryWaitSeconds: Int?
    var comment: String?
    var sourcePoolId: Int64?
    enum CodingKeys: String, CodingKey {
        case name, kind, libraryId = "library_id", poolId = "pool_id", isPeriodic = "is_periodic", intervalHours = "interval_hours"
        case crontab, isActive = "is_active", priority, maxRetries = "max_retries", retryWaitSeconds = "retry_wait_seconds", comment
        case sourcePoolId = "source_pool_id"
    }
    static let allowedFields: [String: Set<String>] = ["data": [
        "name", "kind", "library_id", "pool_id", "is_periodic", "interval_hours", "crontab", "is_active", "priority",
        "max_retries", "retry_wait_seconds", "comment", "source_pool_id",
    ]]

    /// Applies the given fields to `job` and checks the result as the scheduler will use it.
    func apply(to job: inout ScheduledJob) throws(APIError) {
        if let name {
            guard !name.isEmpty, name.utf8.count <= 255 else { throw APIError(.invalidRequest, "name is 1…255 bytes", fields: ["name": "1…255 bytes"]) }
            job.name = name
        }
        if let kind { job.kind = kind }
        if let libraryId { job.libraryId = libraryId }
        if let poolId { job.poolId = poolId }
        if let isPeriodic { job.isPeriodic = isPeriodic }
        if let intervalHours {
            guard (1...8_760).contains(intervalHours) else { throw APIError(.invalidRequest, "interval_hours is 1…8760", fields: ["interval_hours": "1…8760"]) }
            job.intervalHours = intervalHours
        }
        if let crontab {
            do { _ = try CronSchedule(crontab) } catch {
                throw APIError(.invalidRequest, "crontab: \(error)", fields: ["crontab": "not a five-field cron expression"])
            }
            job.crontab = crontab
        }
        if let isActive { job.isActive = isActive }
        if let priority {
            guard (0...10_000).contains(priority) else { throw APIError(.invalidRequest, "priority is 0…10000", fields: ["priority": "0…10000"]) }
            job.priority = priority
        }
        if let maxRetries {
            guard (0...100).contains(maxRetries) else { throw APIError(.invalidRequest, "max_retries is 0…100", fields: ["max_retries": "0…100"]) }
            job.maxRetries = maxRetries
        }
        if let retryWaitSeconds {
            guard (0...604_800).contains(retryWaitSeconds) else {
                throw APIError(.invalidRequest, "retry_wait_seconds is 0…604800", fields: ["retry_wait_seconds": "0…604800"])
            }
            job.retryWaitSeconds = retryWaitSeconds
        }
        if let comment { job.comment = comment }
        if let sourcePoolId { job.sourcePoolId = sourcePoolId }
        switch job.kind {
        case .librarySync, .driveCleaning:
            guard job.libraryId != nil else {
                throw APIError(.invalidRequest, "a \(job.kind.rawValue) job needs library_id", fields: ["library_id": "required"])
            }
        case .copyToTape:
            guard job.poolId != nil else { throw APIError(.invalidRequest, "a copy_to_tape job needs pool_id", fields: ["pool_id": "required"]) }
        }
    }
}

struct JobLogPage: Encodable, Sendable {
    var total: Int
    var list: [JobExecution]
}

struct PoolStorage: Encodable, Sendable {
    struct Storage: Encodable, Sendable {
        var localCatalogs: [StorageLocalCatalog]
        var blockDevices: [StorageBlockDevice]
        var tapeCartridges: [TapeCartridge]
    }
    var storage: Storage
}

struct PoolsOfServer: Encodable, Sendable { var pools: [Flattened<Pool, PoolStorage>] }

struct MediaServerTreeAnswer: Encodable, Sendable {
    var mediaServers: [Flattened<MediaServer, PoolsOfServer>]
    var unassignedPools: [Flattened<Pool, PoolStorage>]
}

extension RouteTable {
    static func backupCoreRoutes(_ state: APIState) -> [Route] {
        poolRoutes(state) + repositoryRoutes(state) + backupTaskRoutes(state) + jobRoutes(state)
    }

    /// A pool with the health its storage reports now.
    static func withHealth(_ pool: Pool, state: APIState) async throws(APIError) -> Pool {
        var pool = pool
        pool.healthState = try await coded { try await state.catalog.poolHealth(pool) }
        return pool
    }

    static func poolRoutes(_ state: APIState) -> [Route] {
        [
            Route(method: .get, path: "/api/v1/pool_list", access: .roles(Roles.all)) { call in
                var page = try await coded { try await state.catalog.listPools(try call.listQuery()) }
                for i in page.items.indices { page.items[i] = try await withHealth(page.items[i], state: state) }
                return try list(page)
            },
            Route(method: .post, path: "/api/v1/pool_list", access: .roles(Roles.administrators)) { call in
                let body = try call.decode(Wrapped<CreatePoolBody>.self).data
                guard !body.poolName.isEmpty, body.poolName.utf8.count <= 255 else {
                    throw APIError(.invalidRequest, "pool_name is 1…255 bytes", fields: ["pool_name": "1…255 bytes"])
                }
                for (name, value) in [("compression_type", body.compressionType), ("description", body.description),
                                      ("retention_period", body.retentionPeriod)] where (value?.utf8.count ?? 0) > 4_096 {
                    throw APIError(.invalidRequest, "\(name) is at most 4096 bytes", fields: [name: "too long"])
                }
                if let size = body.tapeBlockSize, !(4_096...8_388_608).contains(size) || size % 4_096 != 0 {
                    throw APIError(.invalidRequest, "tape_block_size is a multiple of 4096 from 4096 to 8388608 bytes",
                                   fields: ["tape_block_size": "4096…8388608, a multiple of 4096"])
                }
                if body.tapeFormat == .ltfs, let size = body.tapeBlockSize, size > 1_048_576 {
                    throw APIError(.invalidRequest, "an LTFS pool's tape_block_size is at most 1048576 bytes (LTFS readers take no larger blocks)",
                                   fields: ["tape_block_size": "at most 1048576 for ltfs"])
                }
                if body.poolType != .tapeLibrary && (body.tapeFormat != nil || body.tapeBlockSize != nil || body.verifyAfterWrite != nil) {
                    throw APIError(.invalidRequest, "tape_format, tape_block_size and verify_after_write apply to tape pools only",
                                   fields: ["pool_type": "not a tape pool"])
                }
                if try await coded({ try await state.catalog.pool(named: body.poolName) }) != nil {
                    throw APIError(.conflict, "pool \(body.poolName) exists", fields: ["pool_name": "exists"])
                }
                var serverID: Int64?
                if let name = body.mediaServer, !name.isEmpty {
                    guard let server = try await coded({ try await state.catalog.mediaServer(hostname: name) }) else {
                        throw APIError(.notFound, "no media server \(name)", fields: ["media_server": "unknown media server"])
                    }
                    serverID = server.id
                }
                let pool = try await coded {
                    try await state.catalog.insert(Pool(name: body.poolName, type: body.poolType, mediaServerId: serverID,
                                                        retentionPeriod: body.retentionPeriod ?? "1 year",
                                                        compressionType: body.compressionType ?? "None",
                                                        description: body.description ?? "", tapeFormat: body.tapeFormat ?? .native,
                                                        tapeBlockSize: body.tapeBlockSize ?? NativeTapeFormat.defaultBlockSize,
                                                        verifyAfterWrite: body.verifyAfterWrite ?? true))
                }
                return try .envelope(try await withHealth(pool, state: state), status: .created,
                                     message: "Resource with name '\(body.poolName)' was created successfully!")
            },
            Route(method: .delete, path: "/api/v1/pool_list", access: .roles(Roles.administrators)) { call in
                let ids = try call.decode(IDList.self).validated()
                return try await bulk(ids, message: "pools deleted") { id in try await coded { try await state.catalog.deletePool(id) } }
            },
            Route(method: .get, path: "/api/v1/pool_list/available_for_copy_or_move", access: .roles(Roles.all)) { call in
                var source: Int64?
                if let text = call.query("repository_id") {
                    guard let id = Int64(text), id >= 1 else {
                        throw APIError(.invalidRequest, "repository_id is a positive integer", fields: ["repository_id": "positive integer"])
                    }
                    let record = try found(try await coded { try await state.catalog.record(id: id) }, "backup record", id)
                    source = record.poolId
                }
                let pools = try await coded { try await state.catalog.listPools(ListQuery(filter: #"pool_type="Tape library""#,
                                                                                            limit: ListQuery.maximumLimit)) }
                var answer: [Pool] = []
                for pool in pools.items where pool.id != source { answer.append(try await withHealth(pool, state: state)) }
                return try .envelope(answer)
            },
            Route(method: .get, path: "/api/v1/pool_list/{id}", access: .roles(Roles.all)) { call in
                let id = try call.id(resource: "pool")
                let pool = try found(try await coded { try await state.catalog.pool(id: id) }, "pool", id)
                return try .envelope(try await withHealth(pool, state: state))
            },
            Route(method: .patch, path: "/api/v1/pool_list/{id}", access: .roles(Roles.administrators)) { call in
                let id = try call.id(resource: "pool")
                let body = try call.decode(Wrapped<PatchPoolBody>.self).data
                if let name = body.poolName {
                    guard !name.isEmpty, name.utf8.count <= 255 else {
                        throw APIError(.invalidRequest, "pool_name is 1…255 bytes", fields: ["pool_name": "1…255 bytes"])
                    }
                    if let other = try await coded({ try await state.catalog.pool(named: name) }), other.id != id {
                        throw APIError(.conflict, "pool \(name) exists", fields: ["pool_name": "exists"])
                    }
                }
                for (name, value) in [("compression_type", body.compressionType), ("description", body.description),
                                      ("retention_period", body.retentionPeriod)] where (value?.utf8.count ?? 0) > 4_096 {
                    throw APIError(.invalidRequest, "\(name) is at most 4096 bytes", fields: [name: "too long"])
                }
                let pool = try await coded {
                    try await state.catalog.updatePool(id, .init(name: body.poolName, compressionType: body.compressionType,
                                                                 description: body.description, retentionPeriod: body.retentionPeriod))
                }
                return try .envelope(try await withHealth(pool, state: state))
            },
            Route(method: .delete, path: "/api/v1/pool_list/{id}", access: .roles(Roles.administrators)) { call in
                let id = try call.id(resource: "pool")
                try await coded { try await state.catalog.deletePool(id) }
                return try .envelope(NoData?.none, message: "pool \(id) deleted")
            },
            Route(method: .get, path: "/api/v1/destination_storage_types", access: .roles(Roles.all)) { _ in
                try .envelope(PoolType.allCases.map(\.rawValue))
            },
            Route(method: .get, path: "/api/v1/media_servers/tree", access: .roles(Roles.all)) { _ in
                try .envelope(try await mediaServerTree(state))
            },
            Route(method: .get, path: "/api/v1/media_servers/filtered_by_tape_library_pool", access: .roles(Roles.all)) { _ in
                let pools = try await coded { try await state.catalog.listPools(ListQuery(filter: #"pool_type="Tape library""#,
                                                                                            limit: ListQuery.maximumLimit)) }
                let ids = Set(pools.items.compactMap(\.mediaServerId))
                let servers = try await coded { try await state.catalog.listMediaServers(ListQuery(limit: ListQuery.maximumLimit)) }
                return try .envelope(servers.items.filter { $0.id.map(ids.contains) ?? false })
            },
        ]
    }

    static func mediaServerTree(_ state: APIState) async throws(APIError) -> MediaServerTreeAnswer {
        let pools = try await coded { try await state.catalog.listPools(ListQuery(limit: ListQuery.maximumLimit)).items }
        var nodes: [(Int64?, Flattened<Pool, PoolStorage>)] = []
        for pool in pools {
            let ofPool = ListQuery(filter: "pool_id=\"\(pool.id ?? 0)\"", limit: ListQuery.maximumLimit)
            let storage = try await coded {
                PoolStorage.Storage(
                    localCatalogs: try await state.catalog.listStorageLocalCatalogs(ofPool).items,
                    blockDevices: try await state.catalog.listStorageBlockDevices(ofPool).items,
                    tapeCartridges: pool.type == .tapeLibrary ? try await state.catalog.listCartridges(ofPool).items : [])
            }
            nodes.append((pool.mediaServerId, Flattened(base: try await withHealth(pool, state: state), extra: PoolStorage(storage: storage))))
        }
        let servers = try await coded { try await state.catalog.listMediaServers(ListQuery(limit: ListQuery.maximumLimit)).items }
        return MediaServerTreeAnswer(
            mediaServers: servers.map { server in
                Flattened(base: server, extra: PoolsOfServer(pools: nodes.filter { $0.0 != nil && $0.0 == server.id }.map(\.1)))
            },
            unassignedPools: nodes.filter { $0.0 == nil }.map(\.1))
    }

    /// A restore's destination: a directory inside the roots this host exposes, by its canonical path.
    static func restoreDirectory(_ path: String, state: APIState) async throws(APIError) -> String {
        do {
            return try await DirectoryLister(roots: state.configuration.clientRoots, entryLimit: 1).listing(of: path).path
        } catch {
            throw APIError(.invalidRequest, error.description, fields: ["destination_path": error.code.rawValue])
        }
    }

    static func repositoryRoutes(_ state: APIState) -> [Route] {
        @Sendable func queued(_ task: BackupTask) async throws -> Response {
            let row = try await coded { try await state.catalog.enqueue(task) }
            return try .envelope(TaskIDs(taskIds: [row.id].compactMap { $0 }), status: .created,
                                 message: "TASK WAS ADDED TO QUEUE:\(row.id ?? 0)")
        }
        /// Copies, moves, verifications and restores are backup-core tasks. Copies into native
        /// tape pools, verifications and restores are queued for the copy runner; the rest
        /// (moves, copies to other pools or LTFS pools) are recorded as a task that ended in error with
        /// the reason (201 with its id), never as a success.
        @Sendable func refusedTask(_ type: BackupTaskType, _ call: Call) async throws -> Response {
            let id = try call.id(resource: "backup record")
            let record = try found(try await coded { try await state.catalog.record(id: id) }, "backup record", id)
            var target: Int64?
            if type == .copy || type == .move {
                guard let name = call.query("pool"), !name.isEmpty else {
                    throw APIError(.invalidRequest, "pool (the target pool's name) is required", fields: ["pool": "required"])
                }
                let pool = try await coded { try await state.catalog.pool(named: name) }
                guard let pool else { throw APIError(.notFound, "no pool \(name)", fields: ["pool": "unknown pool"]) }
                guard pool.id != record.poolId else {
                    throw APIError(.invalidRequest, "backup record \(id) is already in pool \(name)", fields: ["pool": "the record's own pool"])
                }
                target = pool.id
            }
            if type == .restore {
                let body = try call.decode(Wrapped<RestoreBody>.self).data.restoreTask
                // Restored on this media server, into a directory inside the roots it exposes
                // (outside, traversal and missing are the same 400), as a new file.
                let destination = body.destinationPath.flatMap { $0.isEmpty ? nil : $0 }
                let poolName = body.targetPool.flatMap { $0.isEmpty ? nil : $0 }
                guard (destination == nil) != (poolName == nil) else {
                    throw APIError(.invalidRequest, "give one of destination_path (a directory) and target_pool (a local-catalog pool)",
                                   fields: ["destination_path": "one of the two", "target_pool": "one of the two"])
                }
                try await requireThisClient(body.targetClient, state: state)
                var file = ""
                var into = record.poolId
                if let poolName {
                    guard let pool = try await coded({ try await state.catalog.pool(named: poolName) }), let poolID = pool.id else {
                        throw APIError(.notFound, "no pool \(poolName)", fields: ["target_pool": "unknown pool"])
                    }
                    file = try await coded { try await ArchivePlacement.restoreFile(of: record, into: pool, catalog: state.catalog) }
                    into = poolID
                }
                if let destination {
                    let directory = try await restoreDirectory(destination, state: state)
                    file = directory + (directory.hasSuffix("/") ? "" : "/") + RecordCopier.restoreFileName(record)
                    let candidate = file
                    guard !(try await coded { try await offPool { FileManager.default.fileExists(atPath: candidate) } }) else {
                        throw APIError(.conflict, "\(file) exists; a restore never overwrites a file")
                    }
                }
                let copies = try await coded { try await state.catalog.completeCopies(of: id) }
                guard let copy = copies.first?.0 else {
                    throw APIError(.conflict, "backup record \(id) has no complete copy on tape to restore from")
                }
                return try await queued(BackupTask(type: .restore, client: record.client, resource: record.resource,
                                                   resourceType: record.resourceType, backupType: record.backupType,
                                                   poolId: into, targetPoolId: copy.poolId, repositoryId: id,
                                                   targetPath: file))
            }
            // Built: copies and moves into a tape pool (native or LTFS) and verifications of a tape copy, queued for
            // the media server's copy runner (LibraryService/Copies).
            if type == .copy || type == .move, let target, let pool = try await coded({ try await state.catalog.pool(id: target) }),
               pool.type == .tapeLibrary {
                if type == .move {
                    // Refused before anything is queued when the archive is not tapelib's to remove.
                    _ = try await coded { try await ArchivePlacement.removableArchive(of: record, catalog: state.catalog) }
                }
                return try await queued(BackupTask(type: type, client: record.client, resource: record.resource,
                                                   resourceType: record.resourceType, backupType: record.backupType,
                                                   poolId: record.poolId, targetPoolId: target, repositoryId: id))
            }
            if type == .verify {
                let copies = try await coded { try await state.catalog.completeCopies(of: id) }
                guard let copy = copies.first?.0 else {
                    throw APIError(.conflict, "backup record \(id) has no complete copy on tape to verify")
                }
                return try await queued(BackupTask(type: .verify, client: record.client, resource: record.resource,
                                                   resourceType: record.resourceType, backupType: record.backupType,
                                                   poolId: record.poolId, targetPoolId: copy.poolId, repositoryId: id))
            }
            let task = try await coded {
                try await state.catalog.recordRefusedBackupTask(
                    BackupTask(type: type, client: record.client, resource: record.resource, resourceType: record.resourceType,
                               backupType: record.backupType, poolId: record.poolId, targetPoolId: target, repositoryId: id),
                    reason: "\(type.rawValue) of backup records into a pool that is not a tape pool is not built in this version of tapelib "
                        + "(copies and moves go onto tape pools, native or LTFS)")
            }
            return try .envelope(TaskIDs(taskIds: [task.id].compactMap { $0 }), status: .created,
                                 message: "TASK WAS ADDED TO QUEUE:\(task.id ?? 0) (it ended at once: \(task.errorMessage ?? ""))")
        }
        return [
            Route(method: .get, path: "/api/v1/repository", access: .roles(Roles.all), cacheable: true) { call in
                try list(try await coded { try await state.catalog.listRepository(try call.listQuery()) })
            },
            Route(method: .get, path: "/api/v1/repository/{id}", access: .roles(Roles.all), cacheable: true) { call in
                let id = try call.id(resource: "backup record")
                return try .envelope(try found(try await coded { try await state.catalog.record(id: id) }, "backup record", id))
            },
            Route(method: .patch, path: "/api/v1/repository/{id}", access: .roles(Roles.operators)) { call in
                let id = try call.id(resource: "backup record")
                let body = try call.decode(Wrapped<StoreUntilBody>.self).data
                var date: Date?
                if let text = body.storeUntil {
                    guard let parsed = ISO8601Timestamp.parse(text) else {
                        throw APIError(.invalidRequest, "store_until is an ISO 8601 time", fields: ["store_until": "ISO 8601"])
                    }
                    date = parsed
                }
                _ = try found(try await coded { try await state.catalog.record(id: id) }, "backup record", id)
                return try .envelope(try await coded { try await state.catalog.setStoreUntil(id, date) })
            },
            Route(method: .delete, path: "/api/v1/repository/{id}", access: .roles(Roles.operators)) { call in
                let id = try call.id(resource: "backup record")
                try await coded { try await state.catalog.deleteRecord(id) }
                return try .envelope(NoData?.none, message: "backup record \(id) deleted")
            },
            Route(method: .post, path: "/api/v1/repository/{id}/copying", access: .roles(Roles.operators)) { try await refusedTask(.copy, $0) },
            Route(method: .post, path: "/api/v1/repository/{id}/moving", access: .roles(Roles.operators)) { try await refusedTask(.move, $0) },
            Route(method: .post, path: "/api/v1/repository/{id}/verification", access: .roles(Roles.operators)) { try await refusedTask(.verify, $0) },
            Route(method: .post, path: "/api/v1/repository/{id}/restoring", access: .roles(Roles.operators)) { try await refusedTask(.restore, $0) },
        ]
    }

    static func backupTaskRoutes(_ state: APIState) -> [Route] {
        [
            Route(method: .get, path: "/api/v1/task_queue", access: .roles(Roles.all), cacheable: true) { call in
                try list(try await coded { try await state.catalog.listBackupTasks(try call.listQuery()) })
            },
            Route(method: .delete, path: "/api/v1/task_queue", access: .roles(Roles.operators)) { call in
                let ids = try call.decode(IDList.self).validated()
                return try await bulk(ids, message: "tasks deleted") { id in try await coded { try await state.catalog.deleteBackupTask(id) } }
            },
            Route(method: .get, path: "/api/v1/task_queue/{id}", access: .roles(Roles.all), cacheable: true) { call in
                let id = try call.id(resource: "task")
                return try .envelope(try found(try await coded { try await state.catalog.backupTask(id: id) }, "task", id))
            },
            Route(method: .delete, path: "/api/v1/task_queue/{id}", access: .roles(Roles.operators)) { call in
                let text = call.parameters.get("id") ?? ""
                if let status = TaskStatus(rawValue: text), [.error, .killed, .obsoleted].contains(status) {
                    let count = try await coded { try await state.catalog.deleteBackupTasks(status: status) }
                    return try .envelope(NoData?.none, message: "\(count) \(status.rawValue) task(s) deleted")
                }
                let id = try call.id(resource: "task")
                try await coded { try await state.catalog.deleteBackupTask(id) }
                return try .envelope(NoData?.none, message: "task \(id) deleted")
            },
        ]
    }

    static func jobRoutes(_ state: APIState) -> [Route] {
        [
            Route(method: .get, path: "/api/v1/scheduled_jobs", access: .roles(Roles.all)) { call in
                try list(try await coded { try await state.catalog.listScheduledJobs(try call.listQuery()) })
            },
            Route(method: .post, path: "/api/v1/scheduled_jobs", access: .roles(Roles.operators)) { call in
                let body = try call.decode(Wrapped<JobBody>.self).data
                guard let name = body.name, let kind = body.kind else {
                    throw APIError(.invalidRequest, "name and kind are required", fields: ["name": "required", "kind": "required"])
                }
                var job = ScheduledJob(name: name, kind: kind, author: call.identity?.name ?? "")
                try body.apply(to: &job)
                try await checkJobReferences(job, call: call, state: state)
                let inserted = try await coded { try await state.catalog.insert(job) }
                return try .envelope(inserted, status: .created, message: "Resource with name '\(name)' was created successfully!")
            },
            Route(method: .get, path: "/api/v1/scheduled_jobs/{id}", access: .roles(Roles.all)) { call in
                let id = try call.id(resource: "scheduled job")
                return try .envelope(try found(try await coded { try await state.catalog.scheduledJob(id: id) }, "scheduled job", id))
            },
            Route(method: .patch, path: "/api/v1/scheduled_jobs/{id}", access: .roles(Roles.operators)) { call in
                let id = try call.id(resource: "scheduled job")
                let body = try call.decode(Wrapped<JobBody>.self).data
                var job = try found(try await coded { try await state.catalog.scheduledJob(id: id) }, "scheduled job", id)
                try body.apply(to: &job)
                try await checkJobReferences(job, call: call, state: state)
                job.updatedAt = Date()
                // A changed period or crontab is scheduled afresh by the scheduler's next pass.
                if body.intervalHours != nil || body.crontab != nil || body.isPeriodic != nil { job.nextRunAt = nil }
                return try .envelope(try await coded { try await state.catalog.replaceScheduledJob(job) })
            },
            Route(method: .delete, path: "/api/v1/scheduled_jobs/{id}", access: .roles(Roles.operators)) { call in
                let id = try call.id(resource: "scheduled job")
                try await coded { try await state.catalog.deleteScheduledJob(id) }
                return try .envelope(NoData?.none, message: "scheduled job \(id) deleted")
            },
            Route(method: .get, path: "/api/v1/scheduled_jobs/{id}/executions", access: .roles(Roles.all)) { call in
                let id = try call.id(resource: "scheduled job")
                _ = try found(try await coded { try await state.catalog.scheduledJob(id: id) }, "scheduled job", id)
                var query = try call.listQuery()
                query.filter = ["job_id=\"\(id)\"", query.filter].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
                return try list(try await coded { try await state.catalog.listJobExecutions(query) })
            },
            Route(method: .post, path: "/api/v1/scheduled_jobs/{id}/executions", access: .roles(Roles.operators)) { call in
                let id = try call.id(resource: "scheduled job")
                let job = try found(try await coded { try await state.catalog.scheduledJob(id: id) }, "scheduled job", id)
                try await checkJobReferences(job, call: call, state: state)
                let tasks = try await coded { try await state.server.service.scheduler.runNow(id) }
                return try .envelope(TaskIDs(taskIds: tasks), status: .created,
                                     message: tasks.isEmpty ? "job \(job.name) ran: nothing to do" : "TASK WAS ADDED TO QUEUE:"
                                        + tasks.map(String.init).joined(separator: ","))
            },
            Route(method: .get, path: "/api/v1/job_logs", access: .roles(Roles.all)) { call in
                var conditions: [String] = []
                switch call.query("status") ?? "ALL" {
                case "ALL": break
                case "SUCCESS": conditions.append(#"status="SUCCESS""#)
                case "FAILED": conditions.append(#"status="FAILED""#)
                default: throw APIError(.invalidRequest, "status is SUCCESS, FAILED or ALL", fields: ["status": "SUCCESS, FAILED or ALL"])
                }
                if let start = call.query("startAt") {
                    guard ISO8601Timestamp.parse(start) != nil, !start.contains("\"") else {
                        throw APIError(.invalidRequest, "startAt is an ISO 8601 time", fields: ["startAt": "ISO 8601"])
                    }
                    conditions.append("started_at>\"\(start)\"")
                }
                func positive(_ name: String, _ fallback: Int, _ limit: Int) throws(APIError) -> Int {
                    guard let text = call.query(name) else { return fallback }
                    guard let value = Int(text), (1...limit).contains(value) else {
                        throw APIError(.invalidRequest, "\(name) is 1…\(limit)", fields: [name: "1…\(limit)"])
                    }
                    return value
                }
                let query = ListQuery(filter: conditions.isEmpty ? nil : conditions.joined(separator: ", "),
                                      page: try positive("pageNo", 1, ListQuery.maximumPage),
                                      limit: try positive("pageSize", 50, ListQuery.maximumLimit), sort: "started_at", direction: .descending)
                let page = try await coded { try await state.catalog.listJobExecutions(query) }
                return try .envelope(JobLogPage(total: page.total, list: page.items))
            },
        ]
    }

    /// A job's library and pool exist, and a maintainer may act on its library.
    static func checkJobReferences(_ job: ScheduledJob, call: Call, state: APIState) async throws(APIError) {
        if let libraryID = job.libraryId {
            guard let library = try await coded({ try await state.catalog.library(id: libraryID) }) else {
                throw APIError(.invalidRequest, "no tape library \(libraryID)", fields: ["library_id": "unknown library"])
            }
            try call.requireLibraryAccess(library)
        }
        if let poolID = job.poolId {
            guard let pool = try await coded({ try await state.catalog.pool(id: poolID) }) else {
                throw APIError(.invalidRequest, "no pool \(poolID)", fields: ["pool_id": "unknown pool"])
            }
            if job.kind == .copyToTape, pool.type != .tapeLibrary {
                throw APIError(.invalidRequest, "a copy_to_tape job's pool_id is the tape pool it copies into", fields: ["pool_id": "not a tape pool"])
            }
        }
        if let sourceID = job.sourcePoolId {
            guard job.kind == .copyToTape else {
                throw APIError(.invalidRequest, "source_pool_id applies to copy_to_tape jobs only", fields: ["source_pool_id": "not a copy job"])
            }
            guard let pool = try await coded({ try await state.catalog.pool(id: sourceID) }), pool.type != .tapeLibrary else {
                throw APIError(.invalidRequest, "source_pool_id \(sourceID) is not a pool that holds records (not a tape pool)",
                               fields: ["source_pool_id": "unknown or a tape pool"])
            }
        }
    }
}
