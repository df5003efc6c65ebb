import Foundation
import GRDB

/// How a media server is let into a catalog (seed: media_servers/authorize,
/// unauthorised_media_servers). The first media server of a catalog joins by starting; a later
/// one under a new host name asks, and waits until an administrator authorises it.
public enum MediaServerAdmission: Sendable, Equatable {
    /// In the catalog as media server `id` (already there, or the catalog's first).
    case admitted(id: Int64, first: Bool)
    /// Waiting for authorisation; its request is `request`.
    case waiting(UnauthorisedMediaServer)
}

extension CatalogDatabase {
    /// Admits media server `hostname` (hardware id `hwid`) in one transaction: the row it already
    /// has, else a new row when the catalog has no media server yet, else a request for
    /// authorisation (kept, its last sighting updated, when it asked before).
    public func admitMediaServer(hostname: String, hwid: String, now: Date = Date()) async throws(CatalogError) -> MediaServerAdmission {
        try await write { db in
            if let server = try MediaServer.filter(MediaServer.Columns.hostname == hostname).fetchOne(db), let id = server.id {
                return .admitted(id: id, first: false)
            }
            if try MediaServer.fetchCount(db) == 0 {
                var server = MediaServer(hostname: hostname, hwid: hwid)
                try server.insert(db)
                guard let id = server.id else { throw CatalogError.storage("media server \(hostname) was not given an id") }
                return .admitted(id: id, first: true)
            }
            if var request = try UnauthorisedMediaServer.filter(UnauthorisedMediaServer.Columns.hostname == hostname).fetchOne(db) {
                request.hwid = hwid
                request.lastSeenAt = now
                try request.update(db)
                return .waiting(request)
            }
            var request = UnauthorisedMediaServer(hostname: hostname, hwid: hwid, firstSeenAt: now, lastSeenAt: now)
            try request.insert(db)
            return .waiting(request)
        }
    }

    /// Authorises the media server waiting under `hostname`: its request becomes a media_servers
    /// row, in one transaction. Not found when no such request waits; a conflict when a media
    /// server of that name exists already.
    public func authoriseMediaServer(hostname: String) async throws(CatalogError) -> MediaServer {
        try await write { db in
            guard let request = try UnauthorisedMediaServer.filter(UnauthorisedMediaServer.Columns.hostname == hostname).fetchOne(db),
                  let requestID = request.id else {
                throw CatalogError.notFound(resource: "unauthorised media server", identifier: hostname)
            }
            if try MediaServer.filter(MediaServer.Columns.hostname == hostname).fetchCount(db) > 0 {
                throw CatalogError.conflict("media server \(hostname) is authorised already")
            }
            var server = MediaServer(hostname: hostname, hwid: request.hwid)
            try server.insert(db)
            _ = try UnauthorisedMediaServer.deleteOne(db, key: requestID)
            return server
        }
    }

    public func listUnauthorisedMediaServers(_ query: ListQuery) async throws(CatalogError) -> Page<UnauthorisedMediaServer> {
        try await list(query, schema: ResourceSchemas.unauthorisedMediaServers, as: UnauthorisedMediaServer.self)
    }

    public func unauthorisedMediaServer(id: Int64) async throws(CatalogError) -> UnauthorisedMediaServer? {
        try await read { db in try UnauthorisedMediaServer.fetchOne(db, key: id) }
    }

    /// Removes a request for authorisation (the media server keeps waiting until it restarts and asks again).
    public func deleteUnauthorisedMediaServer(id: Int64) async throws(CatalogError) {
        try await write { db in
            guard try UnauthorisedMediaServer.deleteOne(db, key: id) else {
                throw CatalogError.notFound(resource: "unauthorised media server", identifier: String(id))
            }
        }
    }
}
