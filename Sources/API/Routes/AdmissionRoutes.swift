import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import LibraryService

/// `POST media_servers/authorize` (seed: `{"data": {"hostname": "my_hostname"}}` → 201).
struct AuthorizeMediaServerBody: Decodable, Sendable, StrictFields {
    var hostname: String
    static let allowedFields: [String: Set<String>] = ["data": ["hostname"]]
}

extension RouteTable {
    /// Media servers that asked to join the catalog, and their authorisation: a media server
    /// that starts under a new host name against a catalog with other media servers waits,
    /// serving no hardware, until an administrator authorises it here.
    static func admissionRoutes(_ state: APIState) -> [Route] {
        [
            Route(method: .post, path: "/api/v1/media_servers/authorize", access: .roles(Roles.administrators)) { call in
                let body = try call.decode(Wrapped<AuthorizeMediaServerBody>.self).data
                let hostname = body.hostname
                guard (1...255).contains(hostname.utf8.count),
                      hostname.unicodeScalars.allSatisfy({ !CharacterSet.controlCharacters.contains($0) && $0 != " " }) else {
                    throw APIError(.invalidRequest, "hostname is 1…255 bytes without spaces or control characters",
                                   fields: ["hostname": "a host name"])
                }
                let server = try await coded { try await state.catalog.authoriseMediaServer(hostname: hostname) }
                state.logger.notice("media server \(hostname) authorised as media server \(server.id ?? 0) by \(call.identity?.name ?? "-")")
                return try .envelope(server, status: .created, message: "media server \(hostname) was authorised")
            },
            Route(method: .get, path: "/api/v1/unauthorised_media_servers", access: .roles(Roles.all), cacheable: true) { call in
                try list(try await coded { try await state.catalog.listUnauthorisedMediaServers(try call.listQuery()) })
            },
            Route(method: .delete, path: "/api/v1/unauthorised_media_servers", access: .roles(Roles.administrators)) { call in
                let ids = try call.decode(IDList.self).validated()
                return try await bulk(ids, message: "unauthorised media servers removed") { id in
                    try await coded { try await state.catalog.deleteUnauthorisedMediaServer(id: id) }
                }
            },
            Route(method: .get, path: "/api/v1/unauthorised_media_servers/{id}", access: .roles(Roles.all), cacheable: true) { call in
                let id = try call.id(resource: "unauthorised media server")
                return try .envelope(try found(try await coded { try await state.catalog.unauthorisedMediaServer(id: id) },
                                               "unauthorised media server", id))
            },
            Route(method: .delete, path: "/api/v1/unauthorised_media_servers/{id}", access: .roles(Roles.administrators)) { call in
                let id = try call.id(resource: "unauthorised media server")
                try await coded { try await state.catalog.deleteUnauthorisedMediaServer(id: id) }
                return try .envelope(NoData?.none, message: "unauthorised media server \(id) removed")
            },
        ]
    }
}
