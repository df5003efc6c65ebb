import Catalog
import Foundation
import Hummingbird
import LibraryService

struct PatchChangerBody: Decodable, Sendable, StrictFields {
    var scsiPath: String?
    var device: String?
    enum CodingKeys: String, CodingKey { case scsiPath = "scsi_path", device }
    static let allowedFields: [String: Set<String>] = ["data": ["scsi_path", "device"]]
}

struct PatchDriveBody: Decodable, Sendable, StrictFields {
    var scsiPath: String?
    var device: String?
    var sysTransferElement: Int?
    enum CodingKeys: String, CodingKey { case scsiPath = "scsi_path", device, sysTransferElement = "sys_transfer_element" }
    static let allowedFields: [String: Set<String>] = ["data": ["scsi_path", "device", "sys_transfer_element"]]
}

/// The cartridge a drive is to load (tapelib's addition: the seed moves cartridges between slots only).
struct LoadDriveBody: Decodable, Sendable, StrictFields {
    var volumeTag: String
    enum CodingKeys: String, CodingKey { case volumeTag = "volume_tag" }
    static let allowedFields: [String: Set<String>] = ["data": ["volume_tag"]]
}

struct PatchMediaServerBody: Decodable, Sendable, StrictFields {
    var description: String?
    var localServiceMode: String?
    enum CodingKeys: String, CodingKey { case description, localServiceMode = "local_service_mode" }
    static let allowedFields: [String: Set<String>] = ["data": ["description", "local_service_mode"]]
}

extension RouteTable {
    static func changerAndDriveRoutes(_ state: APIState) -> [Route] {
        [
            Route(method: .get, path: "/api/v1/medium_changers", access: .roles(Roles.all), cacheable: true) { call in
                try list(try await coded { try await state.catalog.listChangers(try call.listQuery()) })
            },
            Route(method: .get, path: "/api/v1/medium_changers/{id}", access: .roles(Roles.all), cacheable: true) { call in
                let id = try call.id(resource: "medium changer")
                return try .envelope(try found(try await coded { try await state.catalog.changer(id: id) }, "medium changer", id))
            },
            Route(method: .patch, path: "/api/v1/medium_changers/{id}", access: .roles(Roles.operators)) { call in
                let id = try call.id(resource: "medium changer")
                let body = try call.decode(Wrapped<PatchChangerBody>.self).data
                try validateSCSIPath(body.scsiPath)
                try validateDevice(body.device)
                let changer = try found(try await coded { try await state.catalog.changer(id: id) }, "medium changer", id)
                try call.requireMediaServerAccess(changer.mediaServerId)
                return try .envelope(try await coded {
                    try await state.catalog.updateChanger(id, scsiPath: body.scsiPath, device: body.device)
                })
            },
            Route(method: .get, path: "/api/v1/library_tape_drives", access: .roles(Roles.all), cacheable: true) { call in
                try list(try await coded { try await state.catalog.listDrives(try call.listQuery()) })
            },
            Route(method: .get, path: "/api/v1/library_tape_drives/{id}", access: .roles(Roles.all), cacheable: true) { call in
                let id = try call.id(resource: "tape drive")
                return try .envelope(try found(try await coded { try await state.catalog.drive(id: id) }, "tape drive", id))
            },
            Route(method: .patch, path: "/api/v1/library_tape_drives/{id}", access: .roles(Roles.operators)) { call in
                let id = try call.id(resource: "tape drive")
                let body = try call.decode(Wrapped<PatchDriveBody>.self).data
                try validateSCSIPath(body.scsiPath)
                try validateDevice(body.device)
                if let element = body.sysTransferElement, !(0...0xFFFF).contains(element) {
                    throw APIError(.invalidRequest, "sys_transfer_element is an element address (0…65535)",
                                   fields: ["sys_transfer_element": "0…65535"])
                }
                let drive = try found(try await coded { try await state.catalog.drive(id: id) }, "tape drive", id)
                try call.requireMediaServerAccess(drive.mediaServerId)
                return try .envelope(try await coded {
                    try await state.catalog.updateDrive(id, scsiPath: body.scsiPath, device: body.device,
                                                        sysTransferElement: body.sysTransferElement)
                })
            },
            Route(method: .patch, path: "/api/v1/library_tape_drives/{id}/load", access: .roles(Roles.operators)) { call in
                let (id, library) = try await driveInLibrary(call, state: state, for: "a load")
                let body = try call.decode(Wrapped<LoadDriveBody>.self).data
                let (cartridge, _) = try await cartridgeInLibrary(body.volumeTag, library: library, state: state)
                guard cartridge.location != .drive else {
                    throw APIError(.conflict, "cartridge \(cartridge.volumeTag) is already in a drive")
                }
                try await requireIdle(cartridge, state: state)
                let queued = try await submit(LibraryTask(type: .load, libraryId: library, driveId: id,
                                                          cartridgeId: cartridge.id), state: state)
                return try .envelope(TaskIDs(taskIds: [queued.id].compactMap { $0 }),
                                     message: "a load task was created. TASK WAS ADDED TO QUEUE:\(queued.id ?? 0)")
            },
            Route(method: .patch, path: "/api/v1/library_tape_drives/{id}/unload", access: .roles(Roles.operators)) { call in
                let (id, library) = try await driveInLibrary(call, state: state, for: "an unload")
                let queued = try await submit(LibraryTask(type: .unload, libraryId: library, driveId: id), state: state)
                return try .envelope(TaskIDs(taskIds: [queued.id].compactMap { $0 }),
                                     message: "an unload task was created. TASK WAS ADDED TO QUEUE:\(queued.id ?? 0)")
            },
            Route(method: .patch, path: "/api/v1/library_tape_drives/{id}/clean", access: .roles(Roles.operators)) { call in
                let (id, library) = try await driveInLibrary(call, state: state, for: "a cleaning")
                let queued = try await submit(LibraryTask(type: .clean, libraryId: library, driveId: id), state: state)
                return try .envelope(TaskIDs(taskIds: [queued.id].compactMap { $0 }),
                                     message: "a cleaning task was created. TASK WAS ADDED TO QUEUE:\(queued.id ?? 0)")
            },
            Route(method: .get, path: "/api/v1/media_servers", access: .roles(Roles.all)) { call in
                try list(try await coded { try await state.catalog.listMediaServers(try call.listQuery()) })
            },
            Route(method: .get, path: "/api/v1/media_servers/{id}", access: .roles(Roles.all)) { call in
                let id = try call.id(resource: "media server")
                return try .envelope(try found(try await coded { try await state.catalog.mediaServer(id: id) }, "media server", id))
            },
            Route(method: .patch, path: "/api/v1/media_servers/{id}", access: .roles(Roles.administrators)) { call in
                let id = try call.id(resource: "media server")
                let body = try call.decode(Wrapped<PatchMediaServerBody>.self).data
                if let mode = body.localServiceMode, !["yes", "no"].contains(mode) {
                    throw APIError(.invalidRequest, "local_service_mode is yes or no", fields: ["local_service_mode": "yes or no"])
                }
                if let description = body.description, description.utf8.count > 4_096 {
                    throw APIError(.invalidRequest, "description is at most 4096 bytes", fields: ["description": "too long"])
                }
                _ = try found(try await coded { try await state.catalog.mediaServer(id: id) }, "media server", id)
                return try .envelope(try await coded {
                    try await state.catalog.updateMediaServer(id, description: body.description, localServiceMode: body.localServiceMode)
                })
            },
        ]
    }

    /// `[H:C:T:L]`, as the seed writes a SCSI address.
    static func validateSCSIPath(_ path: String?) throws(APIError) {
        guard let path else { return }
        let inner = path.hasPrefix("[") && path.hasSuffix("]") ? path.dropFirst().dropLast() : ""
        let parts = inner.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 5 && $0.allSatisfy(\.isNumber) }) else {
            throw APIError(.invalidRequest, "scsi_path is [host:channel:target:lun], e.g. [8:0:0:0]", fields: ["scsi_path": "[H:C:T:L]"])
        }
    }

    /// A device node under /dev (or a sim:/hwsim: address); no traversal.
    static func validateDevice(_ device: String?) throws(APIError) {
        guard let device else { return }
        let ok = (device.hasPrefix("/dev/") && !device.contains("/../") && !device.hasSuffix("/..") && device.utf8.count <= 255
                  && !device.contains("\0"))
            || ((device.hasPrefix("sim:") || device.hasPrefix("hwsim:")) && device.utf8.count <= 255)
        guard ok else {
            throw APIError(.invalidRequest, "device is a node under /dev (e.g. /dev/sg2)", fields: ["device": "a /dev node"])
        }
    }

    /// The drive a drive action addresses (path parameter `id`) and its library, which the caller
    /// may act on; 409 for a drive outside any library (`what` needs the library's robot).
    static func driveInLibrary(_ call: Call, state: APIState, for what: String) async throws(APIError)
        -> (drive: Int64, library: Int64) {
        let id = try call.id(resource: "tape drive")
        let drive = try found(try await coded { try await state.catalog.drive(id: id) }, "tape drive", id)
        guard let libraryID = drive.libraryId else {
            throw APIError(.conflict, "tape drive \(id) is not in a library; \(what) needs the library's robot")
        }
        _ = try await libraryForAction(libraryID, call: call, state: state)
        return (id, libraryID)
    }
}
