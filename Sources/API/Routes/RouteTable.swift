import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import LibraryService

/// Every operation the API serves, in the order of api.md's tables.
enum RouteTable {
    static func routes(_ state: APIState) -> [Route] {
        authRoutes(state) + serviceRoutes(state) + libraryRoutes(state) + changerAndDriveRoutes(state)
            + slotRoutes(state) + cartridgeRoutes(state) + taskRoutes(state) + configurationRoutes(state)
            + userRoutes(state) + backupCoreRoutes(state) + storageRoutes(state) + admissionRoutes(state) + notBuiltRoutes(state)
    }

    /// A list answer: the page's items, and X-Total-Count.
    static func list<T: Encodable & Sendable>(_ page: Page<T>) throws -> Response {
        try list(page.items, total: page.total)
    }

    static func list<T: Encodable & Sendable>(_ items: [T], total: Int) throws -> Response {
        var headers = HTTPFields()
        headers[HTTPField.Name("X-Total-Count")!] = String(total)
        return try .envelope(items, headers: headers)
    }

    /// A call into the catalog or the engine whose error becomes the API's (its coded ServiceError).
    static func coded<T>(_ body: () async throws -> T) async throws(APIError) -> T {
        do { return try await body() } catch let error as APIError { throw error } catch { throw APIError(ServiceError(error)) }
    }

    static func found<T>(_ value: T?, _ resource: String, _ id: Int64) throws(APIError) -> T {
        guard let value else { throw APIError(.notFound, "\(resource) \(id) not found") }
        return value
    }
}

/// `{"data": …}`.
struct Wrapped<Inner: Decodable & Sendable>: Decodable, Sendable {
    var data: Inner
}

extension Wrapped: StrictFields where Inner: StrictFields {
    static var allowedFields: [String: Set<String>] {
        var fields = Inner.allowedFields
        fields[""] = ["data"]
        return fields
    }
}

/// `{"ids": [1, 2]}` of a bulk delete.
struct IDList: Decodable, Sendable, StrictFields {
    var ids: [Int64]
    static let allowedFields: [String: Set<String>] = ["": ["ids"]]

    func validated() throws(APIError) -> [Int64] {
        guard !ids.isEmpty else { throw APIError(.invalidRequest, "ids must not be empty", fields: ["ids": "at least one id"]) }
        guard ids.count <= 1_000 else { throw APIError(.invalidRequest, "at most 1000 ids at once", fields: ["ids": "at most 1000"]) }
        guard ids.allSatisfy({ $0 >= 1 }) else { throw APIError(.invalidRequest, "ids are positive integers", fields: ["ids": "positive integers"]) }
        return Array(Set(ids)).sorted()
    }
}

/// One id's outcome of a bulk operation (207).
struct BulkResult: Encodable, Sendable {
    var id: Int64
    var status: Int
    var message: String
}

extension RouteTable {
    /// Applies `body` to each id: all succeed → 200; some → 207 with per-id results; none → the first error.
    static func bulk(_ ids: [Int64], message: String, _ body: (Int64) async throws -> Void) async throws -> Response {
        var results: [BulkResult] = []
        var firstError: APIError?
        for id in ids {
            do {
                try await body(id)
                results.append(BulkResult(id: id, status: 200, message: "done"))
            } catch {
                let api = (error as? APIError) ?? APIError(ServiceError(error))
                if firstError == nil { firstError = api }
                results.append(BulkResult(id: id, status: Int(api.status.code), message: api.error.message))
            }
        }
        if let firstError, results.allSatisfy({ $0.status != 200 }) { throw firstError }
        if firstError != nil { return try .envelope(results, status: .init(code: 207), message: "some operations failed") }
        return try .envelope(results, message: message)
    }

    /// Refuses hardware tasks while the service mode is on (globally, or for this media server).
    static func requireNotInServiceMode(_ state: APIState, library: TapeLibrary) async throws(APIError) {
        let (configuration, server) = try await coded { () async throws -> ([String: String], MediaServer?) in
            let configuration = try await state.catalog.globalConfiguration()
            return (configuration, try await state.catalog.mediaServer(id: library.mediaServerId))
        }
        if ["yes", "true", "1"].contains(configuration["service_mode"]?.lowercased() ?? "") {
            throw APIError(.serviceMode, "the service mode is on: hardware tasks are refused until it is turned off "
                                          + "(PATCH global_configuration/service_mode)")
        }
        if let server, ["yes", "true", "1"].contains(server.localServiceMode.lowercased()) {
            throw APIError(.serviceMode, "media server \(server.hostname) is in service mode: hardware tasks are refused")
        }
    }
}
