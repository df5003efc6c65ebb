import Catalog
import Discovery
import Foundation
import Hummingbird
import LibraryService

struct CreateLibraryBody: Decodable, Sendable, StrictFields {
    var pool: String?
    var mediaServer: String
    var description: String?
    var mediumChangerCandidateId: Int
    var tapeDrivesCandidatesIds: [Int]?
    enum CodingKeys: String, CodingKey {
        case pool, mediaServer = "media_server", description, mediumChangerCandidateId = "medium_changer_candidate_id"
        case tapeDrivesCandidatesIds = "tape_drives_candidates_ids"
    }
    static let allowedFields: [String: Set<String>] = [
        "": ["data"],
        "data": ["pool", "media_server", "description", "medium_changer_candidate_id", "tape_drives_candidates_ids"],
    ]
}

struct CandidateInfoBody: Decodable, Sendable, StrictFields {
    var mediaServer: String
    var mediumChangerSgPath: String
    enum CodingKeys: String, CodingKey { case mediaServer = "media_server", mediumChangerSgPath = "medium_changer_sg_path" }
    static let allowedFields: [String: Set<String>] = ["": ["data"], "data": ["media_server", "medium_changer_sg_path"]]
}

struct TreeBody: Decodable, Sendable, StrictFields {
    struct Paging: Decodable, Sendable { var limit: Int?; var page: Int? }
    struct Inner: Decodable, Sendable { var pools: Paging? }
    var data: Inner?
    static let allowedFields: [String: Set<String>] = ["": ["data"], "data": ["pools"], "data.pools": ["limit", "page"]]
}

struct TaskIDs: Encodable, Sendable {
    var taskIds: [Int64]
}

/// What tape_libraries/tree adds to each library: its changer and drives (slots always empty, as the seed).
struct LibraryParts: Encodable, Sendable {
    var mediumChanger: MediumChanger?
    var tapeDrives: [LibraryTapeDrive]
    var librarySlots: [LibrarySlot] = []

    enum CodingKeys: String, CodingKey { case mediumChanger, tapeDrives, librarySlots }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mediumChanger, forKey: .mediumChanger)   // null when the library has none
        try container.encode(tapeDrives, forKey: .tapeDrives)
        try container.encode(librarySlots, forKey: .librarySlots)
    }
}

struct PoolLibrary: Encodable, Sendable {
    var tapeLibraryId: Int64?
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tapeLibraryId, forKey: .tapeLibraryId)
    }
    enum CodingKeys: String, CodingKey { case tapeLibraryId }
}

struct PoolPage: Encodable, Sendable {
    var total: Int
    var page: Int
    var limit: Int
    var list: [Flattened<Pool, PoolLibrary>]
}

struct TreeAnswer: Encodable, Sendable {
    var tapeLibraries: [Flattened<TapeLibrary, LibraryParts>]
    var pools: PoolPage
}

extension RouteTable {
    static func libraryRoutes(_ state: APIState) -> [Route] {
        [
            Route(method: .get, path: "/api/v1/tape_libraries", access: .roles(Roles.all), cacheable: true) { call in
                try list(try await coded { try await state.catalog.listLibraries(try call.listQuery()) })
            },
            Route(method: .post, path: "/api/v1/tape_libraries", access: .roles(Roles.operators)) { call in
                let body = try call.decode(Wrapped<CreateLibraryBody>.self).data
                try requireThisMediaServer(body.mediaServer, state: state)
                let serverID = try thisMediaServerID(state)
                try call.requireMediaServerAccess(serverID)
                let candidates = try await localCandidates(state, mode: .automatic)
                let index = body.mediumChangerCandidateId - 1
                guard candidates.changers.indices.contains(index) else {
                    throw APIError(.invalidRequest, "no changer candidate \(body.mediumChangerCandidateId) (there are \(candidates.changers.count))",
                                   fields: ["medium_changer_candidate_id": "unknown candidate"])
                }
                var poolID: Int64?
                if let poolName = body.pool, !poolName.isEmpty {
                    let pool = try await coded { try await state.catalog.pool(named: poolName) }
                    guard let pool else { throw APIError(.invalidRequest, "no pool \(poolName)", fields: ["pool": "unknown pool"]) }
                    guard pool.type == .tapeLibrary else {
                        throw APIError(.invalidRequest, "pool \(poolName) is not a tape-library pool", fields: ["pool": "not a tape-library pool"])
                    }
                    poolID = pool.id
                }
                let registered = try await coded {
                    try await LibraryRegistration.register(candidates.changers[index], mediaServer: serverID,
                                                           pool: poolID, description: body.description ?? "", catalog: state.catalog)
                }
                guard let id = registered.library.id else { throw APIError(.internal, "library without id") }
                _ = try await coded { try await state.server.service.engine.attach(library: id) }
                return try .envelope(registered.library, status: .created,
                                     message: "Resource with name 'Tape library' was created successfully!")
            },
            Route(method: .delete, path: "/api/v1/tape_libraries", access: .roles(Roles.operators)) { call in
                let ids = try call.decode(IDList.self).validated()
                return try await bulk(ids, message: "tape libraries deleted") { id in
                    try await deleteLibrary(id, call: call, state: state)
                }
            },
            Route(method: .get, path: "/api/v1/tape_libraries/candidates", access: .roles(Roles.all)) { call in
                guard let server = call.query("media_server"), !server.isEmpty else {
                    throw APIError(.invalidRequest, "media_server (a hostname) is required", fields: ["media_server": "required"])
                }
                try requireThisMediaServer(server, state: state)
                let mode = try candidateMode(call.query("mode"))
                return try .envelope(try await localCandidates(state, mode: mode))
            },
            Route(method: .post, path: "/api/v1/tape_libraries/candidates/info", access: .roles(Roles.all)) { call in
                let body = try call.decode(Wrapped<CandidateInfoBody>.self).data
                try requireThisMediaServer(body.mediaServer, state: state)
                let info = try await coded {
                    try await CandidateFinder(source: state.server.service.source).changerInfo(sgPath: body.mediumChangerSgPath)
                }
                return try .envelope(info)
            },
            Route(method: .post, path: "/api/v1/tape_libraries/tree", access: .roles(Roles.all)) { call in
                let body = call.body.readableBytes > 0 ? try call.decode(TreeBody.self) : TreeBody(data: nil)
                let limit = body.data?.pools?.limit ?? 50, page = body.data?.pools?.page ?? 1
                guard (1...ListQuery.maximumLimit).contains(limit), (1...ListQuery.maximumPage).contains(page) else {
                    throw APIError(.invalidRequest, "pools.limit is 1…\(ListQuery.maximumLimit) and pools.page ≥ 1")
                }
                return try .envelope(try await tree(state, poolLimit: limit, poolPage: page, identity: call.identity))
            },
            Route(method: .get, path: "/api/v1/tape_libraries/{id}", access: .roles(Roles.all), cacheable: true) { call in
                let id = try call.id(resource: "tape library")
                return try .envelope(try found(try await coded { try await state.catalog.library(id: id) }, "tape library", id))
            },
            Route(method: .delete, path: "/api/v1/tape_libraries/{id}", access: .roles(Roles.operators)) { call in
                let id = try call.id(resource: "tape library")
                try await deleteLibrary(id, call: call, state: state)
                return try .envelope(NoData?.none, message: "tape library \(id) deleted")
            },
            Route(method: .post, path: "/api/v1/tape_libraries/{id}/sync", access: .roles(Roles.operators)) { call in
                let id = try call.id(resource: "tape library")
                let library = try await libraryForAction(id, call: call, state: state)
                var task = LibraryTask(type: .sync, libraryId: library.id)
                task.initializeElements = try boolQuery(call, "initialize_elements")
                let queued = try await submit(task, state: state)
                guard try boolQuery(call, "wait"), let taskID = queued.id else {
                    return try .envelope(TaskIDs(taskIds: [queued.id].compactMap { $0 }), status: .created,
                                         message: "TASK WAS ADDED TO QUEUE:\(queued.id ?? 0)")
                }
                let ended = try await waitForEnd(taskID, state: state)
                if ended.errorCode == ServiceErrorCode.unregisteredCartridges.rawValue {
                    let tags = try await coded { try await state.catalog.unregisteredCartridges(library: id) }
                    throw APIError(.unregisteredCartridges, ended.errorMessage ?? "the library holds unregistered cartridges",
                                   data: ["unregistered": tags])
                }
                if ended.status != .done {
                    let code = ended.errorCode.flatMap(ServiceErrorCode.init(rawValue:)) ?? .refused
                    throw APIError(code, ended.errorMessage ?? "the sync ended \(ended.status.rawValue)")
                }
                return try .envelope(TaskIDs(taskIds: [taskID]), message: "tape library \(id) synced")
            },
        ]
    }

    static func candidateMode(_ text: String?) throws(APIError) -> CandidateMode {
        guard let text else { return .automatic }
        guard let mode = CandidateMode(rawValue: text) else {
            throw APIError(.invalidRequest, "mode is manual or automatic", fields: ["mode": "manual or automatic"])
        }
        return mode
    }

    static func boolQuery(_ call: Call, _ name: String) throws(APIError) -> Bool {
        guard let text = call.query(name) else { return false }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no", "": return false
        default: throw APIError(.invalidRequest, "\(name) is true or false", fields: [name: "true or false"])
        }
    }

    /// This node serves only its own media server's hardware.
    static func requireThisMediaServer(_ name: String, state: APIState) throws(APIError) {
        guard name == state.server.hostname else {
            throw APIError(.invalidRequest, "media server \(name) is not this node (\(state.server.hostname)); ask that media server",
                           fields: ["media_server": "not this media server"])
        }
    }

    /// This node's media server id; refused while the node waits for authorisation.
    static func thisMediaServerID(_ state: APIState) throws(APIError) -> Int64 {
        guard let id = state.server.mediaServerID else {
            throw APIError(.refused, "media server \(state.server.hostname) waits for authorisation "
                           + "(POST /api/v1/media_servers/authorize): it serves no hardware until then")
        }
        return id
    }

    static func localCandidates(_ state: APIState, mode: CandidateMode) async throws(APIError) -> Candidates {
        try await coded { try await CandidateFinder(source: state.server.service.source).candidates(mode: mode) }
    }

    static func deleteLibrary(_ id: Int64, call: Call, state: APIState) async throws {
        let library = try found(try await coded { try await state.catalog.library(id: id) }, "tape library", id)
        try call.requireLibraryAccess(library)
        try await coded { try await state.catalog.deleteLibrary(id) }
        await state.server.service.engine.detach(library: id)
    }

    /// The library an action addresses: it exists, the caller may act on it, the service mode is off.
    static func libraryForAction(_ id: Int64, call: Call, state: APIState) async throws(APIError) -> TapeLibrary {
        let library = try found(try await coded { try await state.catalog.library(id: id) }, "tape library", id)
        try call.requireLibraryAccess(library)
        try await requireNotInServiceMode(state, library: library)
        return library
    }

    static func submit(_ task: LibraryTask, state: APIState) async throws(APIError) -> LibraryTask {
        try await coded { try await state.server.service.engine.submit(task) }
    }

    /// Waits (polling the catalog) until task `id` ends; at most 30 minutes.
    static func waitForEnd(_ id: Int64, state: APIState) async throws -> LibraryTask {
        let deadline = ContinuousClock.now + .seconds(30 * 60)
        while ContinuousClock.now < deadline {
            let task = try found(try await coded { try await state.catalog.libraryTask(id: id) }, "task", id)
            if task.status.isFinal { return task }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw APIError(.conflict, "task \(id) is still running; follow it in tl_task_queue/\(id)")
    }

    static func tree(_ state: APIState, poolLimit: Int, poolPage: Int, identity: Identity?) async throws(APIError) -> TreeAnswer {
        try await coded {
            var libraries: [Flattened<TapeLibrary, LibraryParts>] = []
            let all = try await state.catalog.listLibraries(ListQuery(limit: ListQuery.maximumLimit)).items
            for library in all {
                if let identity, identity.isConfinedToMediaServer, identity.mediaServerID != library.mediaServerId { continue }
                let changer = try await library.mediumChangerId.asyncMap { try await state.catalog.changer(id: $0) } ?? nil
                let drives = try await library.id.asyncMap { try await state.catalog.drives(library: $0) } ?? []
                libraries.append(Flattened(base: library, extra: LibraryParts(mediumChanger: changer, tapeDrives: drives)))
            }
            let pools = try await state.catalog.listPools(ListQuery(filter: "pool_type=\"Tape library\"", page: poolPage, limit: poolLimit))
            let list = pools.items.map { pool in
                Flattened(base: pool, extra: PoolLibrary(tapeLibraryId: all.first { $0.poolId != nil && $0.poolId == pool.id }?.id))
            }
            return TreeAnswer(tapeLibraries: libraries, pools: PoolPage(total: pools.total, page: poolPage, limit: poolLimit, list: list))
        }
    }
}

extension Optional {
    func asyncMap<T>(_ body: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await body(value)
    }
}
