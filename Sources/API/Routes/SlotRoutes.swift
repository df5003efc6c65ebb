import Catalog
import Foundation
import Hummingbird
import LibraryService
import SCSI

/// A slot as the API answers it: the catalog's row, and for an element in exception the
/// standard's text of its ASC/ASCQ (SPC-4 annex F, SCSI's table).
struct SlotView: Encodable, Sendable {
    var id: Int64?
    var libraryId: Int64
    var elementAddress: Int
    var kind: SlotKind
    var full: Bool
    var volumeTag: String?
    var sourceElement: Int?
    var accessible: Bool
    var exception: Bool
    var asc: Int?
    var ascq: Int?
    var exceptionText: String?

    init(_ slot: LibrarySlot) {
        id = slot.id; libraryId = slot.libraryId; elementAddress = slot.elementAddress; kind = slot.kind
        full = slot.full; volumeTag = slot.volumeTag; sourceElement = slot.sourceElement
        accessible = slot.accessible; exception = slot.exception; asc = slot.asc; ascq = slot.ascq
        if slot.exception, let asc = slot.asc, let ascq = slot.ascq, let a = UInt8(exactly: asc), let q = UInt8(exactly: ascq) {
            exceptionText = AdditionalSense(a, q).text
        }
    }
}

struct CartridgeAction: Decodable, Sendable {
    var libraryId: Int64
    var volumeTag: String
    var isLongErase: Bool?
    var ltfs: Bool?
    var volumeName: String?
    var force: Bool?
    enum CodingKeys: String, CodingKey {
        case libraryId = "library_id", volumeTag = "volume_tag", isLongErase = "is_long_erase", ltfs
        case volumeName = "volume_name", force
    }
}

struct CheckLTFSBody: Decodable, Sendable, StrictFields {
    var data: [CartridgeAction]
    static let allowedFields: [String: Set<String>] = ["": ["data"], "data[]": ["library_id", "volume_tag"]]
}

struct EraseBody: Decodable, Sendable, StrictFields {
    var data: [CartridgeAction]
    static let allowedFields: [String: Set<String>] = ["": ["data"], "data[]": ["library_id", "volume_tag", "is_long_erase"]]
}

struct FormatBody: Decodable, Sendable, StrictFields {
    var data: [CartridgeAction]
    static let allowedFields: [String: Set<String>] = ["": ["data"], "data[]": ["library_id", "volume_tag", "ltfs", "volume_name", "force"]]
}

struct ExportBody: Decodable, Sendable, StrictFields {
    var libraryId: Int64
    var volumeTag: String
    enum CodingKeys: String, CodingKey { case libraryId = "library_id", volumeTag = "volume_tag" }
    static let allowedFields: [String: Set<String>] = ["data": ["library_id", "volume_tag"]]
}

struct ImportBody: Decodable, Sendable, StrictFields {
    var libraryId: Int64
    var poolName: String?
    enum CodingKeys: String, CodingKey { case libraryId = "library_id", poolName = "pool_name" }
    static let allowedFields: [String: Set<String>] = ["data": ["library_id", "pool_name"]]
}

struct MoveBody: Decodable, Sendable, StrictFields {
    var libraryId: Int64
    var volumeTag: String
    var slotId: Int64
    enum CodingKeys: String, CodingKey { case libraryId = "library_id", volumeTag = "volume_tag", slotId = "slot_id" }
    static let allowedFields: [String: Set<String>] = ["data": ["library_id", "volume_tag", "slot_id"]]
}

extension RouteTable {
    static func slotRoutes(_ state: APIState) -> [Route] {
        [
            Route(method: .get, path: "/api/v1/library_slots", access: .roles(Roles.all), cacheable: true) { call in
                let page = try await coded { try await state.catalog.listSlots(try call.listQuery()) }
                return try list(page.items.map(SlotView.init), total: page.total)
            },
            Route(method: .get, path: "/api/v1/library_slots/{id}", access: .roles(Roles.all), cacheable: true) { call in
                let id = try call.id(resource: "library slot")
                return try .envelope(SlotView(try found(try await coded { try await state.catalog.slot(id: id) }, "library slot", id)))
            },
            Route(method: .patch, path: "/api/v1/library_slots/check_ltfs", access: .roles(Roles.operators)) { call in
                let items = try call.decode(CheckLTFSBody.self).data
                return try await cartridgeTasks(items, call: call, state: state, what: "LTFS check") { _ in
                    LibraryTask(type: .checkLTFS)
                }
            },
            Route(method: .patch, path: "/api/v1/library_slots/erase_cartridge", access: .roles(Roles.operators)) { call in
                let items = try call.decode(EraseBody.self).data
                return try await cartridgeTasks(items, call: call, state: state, what: "erase", writes: true) { item in
                    LibraryTask(type: .erase, longErase: item.isLongErase ?? false)
                }
            },
            Route(method: .patch, path: "/api/v1/library_slots/format_cartridge", access: .roles(Roles.operators)) { call in
                let items = try call.decode(FormatBody.self).data
                for item in items where item.volumeName != nil && item.ltfs != true {
                    throw APIError(.invalidRequest, "volume_name applies to an LTFS format (ltfs: true) of \(item.volumeTag)",
                                   fields: ["data[].volume_name": "needs ltfs: true"])
                }
                for item in items {
                    if let name = item.volumeName, name.isEmpty || name.utf8.count > 1_024 {
                        throw APIError(.invalidRequest, "volume_name must be 1…1024 bytes", fields: ["data[].volume_name": "1…1024 bytes"])
                    }
                }
                return try await cartridgeTasks(items, call: call, state: state, what: "format", writes: true) { item in
                    LibraryTask(type: .format, formatKind: item.ltfs == true ? .ltfs : .plain, volumeName: item.volumeName,
                                force: item.force ?? false)
                }
            },
            Route(method: .patch, path: "/api/v1/library_slots/export_cartridge", access: .roles(Roles.operators)) { call in
                let body = try call.decode(Wrapped<ExportBody>.self).data
                let item = CartridgeAction(libraryId: body.libraryId, volumeTag: body.volumeTag)
                return try await cartridgeTasks([item], call: call, state: state, what: "export") { _ in LibraryTask(type: .export) }
            },
            Route(method: .patch, path: "/api/v1/library_slots/import_cartridge", access: .roles(Roles.operators)) { call in
                let body = try call.decode(Wrapped<ImportBody>.self).data
                let library = try await libraryForAction(body.libraryId, call: call, state: state)
                var poolID: Int64?
                if let name = body.poolName, !name.isEmpty {
                    let pool = try await coded { try await state.catalog.pool(named: name) }
                    guard let pool else { throw APIError(.invalidRequest, "no pool \(name)", fields: ["pool_name": "unknown pool"]) }
                    guard pool.type == .tapeLibrary else {
                        throw APIError(.invalidRequest, "pool \(name) is not a tape-library pool", fields: ["pool_name": "not a tape-library pool"])
                    }
                    poolID = pool.id
                }
                let queued = try await submit(LibraryTask(type: .import, libraryId: library.id, poolId: poolID), state: state)
                return try .envelope(TaskIDs(taskIds: [queued.id].compactMap { $0 }), message: "TASK WAS ADDED TO QUEUE:\(queued.id ?? 0)")
            },
            Route(method: .patch, path: "/api/v1/library_slots/move_cartridge", access: .roles(Roles.operators)) { call in
                let body = try call.decode(Wrapped<MoveBody>.self).data
                let library = try await libraryForAction(body.libraryId, call: call, state: state)
                let (cartridge, source) = try await cartridgeInLibrary(body.volumeTag, library: body.libraryId, state: state)
                let target = try await coded { try await state.catalog.slot(id: body.slotId) }
                guard let target, target.libraryId == body.libraryId else {
                    throw APIError(.invalidRequest, "slot \(body.slotId) is not a slot of tape library \(body.libraryId)",
                                   fields: ["slot_id": "not a slot of this library"])
                }
                guard !target.full else {
                    throw APIError(.conflict, "slot \(body.slotId) (element \(target.elementAddress)) is full")
                }
                guard target.kind == .storage || target.kind == .importExport else {
                    throw APIError(.invalidRequest, "slot \(body.slotId) is a \(target.kind.rawValue) element; move to a storage or mail slot",
                                   fields: ["slot_id": "not a storage or mail slot"])
                }
                try await requireIdle(cartridge, state: state)
                let queued = try await submit(LibraryTask(type: .move, libraryId: library.id, sourceElement: source.elementAddress,
                                                          targetElement: target.elementAddress), state: state)
                return try .envelope(TaskIDs(taskIds: [queued.id].compactMap { $0 }), message: "TASK WAS ADDED TO QUEUE:\(queued.id ?? 0)")
            },
        ]
    }

    /// Queues one task per item, addressed by cartridge; every item is checked before any is queued.
    static func cartridgeTasks(_ items: [CartridgeAction], call: Call, state: APIState, what: String, writes: Bool = false,
                               make: (CartridgeAction) -> LibraryTask) async throws -> Response {
        guard !items.isEmpty else { throw APIError(.invalidRequest, "data must list at least one cartridge", fields: ["data": "empty"]) }
        guard items.count <= 1_000 else { throw APIError(.invalidRequest, "at most 1000 cartridges at once", fields: ["data": "too many"]) }
        var seen = Set<String>()
        var tasks: [LibraryTask] = []
        for item in items {
            guard seen.insert("\(item.libraryId)/\(item.volumeTag)").inserted else {
                throw APIError(.invalidRequest, "cartridge \(item.volumeTag) is listed twice", fields: ["data": "duplicate volume_tag"])
            }
            let library = try await libraryForAction(item.libraryId, call: call, state: state)
            let (cartridge, _) = try await cartridgeInLibrary(item.volumeTag, library: item.libraryId, state: state)
            if writes {
                if cartridge.isWorm { throw APIError(.mediumProtected, "\(cartridge.volumeTag) is a WORM cartridge; it cannot be \(what)d") }
                if cartridge.writeProtected {
                    throw APIError(.mediumProtected, "\(cartridge.volumeTag) is write-protected; it cannot be \(what)d")
                }
                if cartridge.status == .cleaning {
                    throw APIError(.invalidRequest, "\(cartridge.volumeTag) is a cleaning cartridge", fields: ["data[].volume_tag": "cleaning cartridge"])
                }
            }
            try await requireIdle(cartridge, state: state)
            var task = make(item)
            task.libraryId = library.id
            task.cartridgeId = cartridge.id
            tasks.append(task)
        }
        var ids: [Int64] = []
        for task in tasks { ids.append(contentsOf: [try await submit(task, state: state).id].compactMap { $0 }) }
        return try .envelope(TaskIDs(taskIds: ids), message: "TASK WAS ADDED TO QUEUE:" + ids.map(String.init).joined(separator: ","))
    }

    /// The cartridge `volumeTag` and the slot it is in, in library `libraryID`.
    static func cartridgeInLibrary(_ volumeTag: String, library libraryID: Int64, state: APIState) async throws(APIError)
        -> (TapeCartridge, LibrarySlot) {
        guard !volumeTag.isEmpty, volumeTag.utf8.count <= 32 else {
            throw APIError(.invalidRequest, "volume_tag must be 1…32 characters", fields: ["volume_tag": "1…32 characters"])
        }
        let cartridge = try await coded { try await state.catalog.cartridge(volumeTag: volumeTag) }
        guard let cartridge else { throw APIError(.notFound, "no cartridge \(volumeTag) in the catalog") }
        let slot = try await coded { try await cartridge.slotId.asyncMap { try await state.catalog.slot(id: $0) } ?? nil }
        guard let slot, slot.libraryId == libraryID else {
            throw APIError(.conflict, "cartridge \(volumeTag) is not in tape library \(libraryID) (\(cartridge.location.rawValue))")
        }
        return (cartridge, slot)
    }

    /// Refuses a cartridge that an unfinished task already uses.
    static func requireIdle(_ cartridge: TapeCartridge, state: APIState) async throws(APIError) {
        guard let id = cartridge.id else { return }
        let tasks = try await coded { try await state.catalog.unfinishedLibraryTasks(cartridge: id) }
        if let task = tasks.first {
            throw APIError(.conflict, "cartridge \(cartridge.volumeTag) is in unfinished task \(task.id ?? 0) (\(task.type.rawValue), \(task.status.rawValue))")
        }
    }
}
