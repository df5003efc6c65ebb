import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import LibraryService
import NIOCore

/// One operation of the API: method, path template (as the OpenAPI document writes it), who may
/// call it, and its handler. The route table is the one list the router is built from and the
/// one a test compares with the OpenAPI document.
struct Route: Sendable {
    enum Access: Sendable, Equatable {
        /// No token (login, server_hello, the document and its page).
        case open
        /// An access token, the CSRF token, and one of the roles.
        case roles(Set<Role>)
        /// The refresh token (refresh), or any valid token (logout); no CSRF token.
        case tokenOnly
        /// `/metrics`: loopback, or the configured bearer token.
        case metrics
    }

    var method: HTTPRequest.Method
    var path: String
    var access: Access
    /// A GET whose answer is read from the catalog alone: kept in the response cache until the
    /// catalog changes (see `ResponseCache`).
    var cacheable = false
    var handler: @Sendable (Call) async throws -> Response

    /// Hummingbird's form of the template: `{id}` → `:id`.
    var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : part
        }.joined(separator: "/")
    }

    /// Whether a concrete path matches the template.
    func matches(path concrete: String) -> Bool {
        let a = path.split(separator: "/"), b = concrete.split(separator: "/")
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { template, part in (template.hasPrefix("{") && template.hasSuffix("}")) || template == part }
    }
}

/// The role sets routes declare.
enum Roles {
    static let all: Set<Role> = Set(Role.allCases)
    /// Hardware actions and library, cartridge and pool writes.
    static let operators: Set<Role> = [.superuser, .administrator, .maintainer]
    /// Configuration, media servers, users.
    static let administrators: Set<Role> = [.superuser, .administrator]
    static let superusers: Set<Role> = [.superuser]
}

/// What a handler is given: the request with its body collected, the caller, path parameters.
struct Call: Sendable {
    var request: Request
    var body: ByteBuffer
    var identity: Identity?
    var parameters: Parameters
    var peerIsLoopback: Bool

    /// Path parameter `name` as a positive integer id, else 404 (no such resource can exist).
    func id(_ name: String = "id", resource: String) throws(APIError) -> Int64 {
        guard let text = parameters.get(name), let value = Int64(text), value >= 1 else {
            throw APIError(.notFound, "\(resource) \(parameters.get(name) ?? "") not found")
        }
        return value
    }

    /// The body decoded as `T`; malformed JSON, wrong types, missing and unknown fields are a 400.
    func decode<T: Decodable & StrictFields>(_ type: T.Type) throws(APIError) -> T {
        guard body.readableBytes > 0 else { throw APIError(.invalidRequest, "the request needs a JSON body") }
        let data = Data(buffer: body)
        try StrictJSON.checkFields(data, as: T.self)
        do {
            return try APIJSON.decoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw APIError.decoding(error)
        } catch {
            throw APIError(.invalidRequest, "the body is not valid JSON")
        }
    }

    /// Query parameter `name`.
    func query(_ name: String) -> String? { request.uri.queryParameters[Substring(name)].map(String.init) }

    /// The list query of a collection (page, limit, sort, direction, filter_data).
    func listQuery() throws(APIError) -> ListQuery {
        do {
            return try ListQuery.parse(filterData: query("filter_data"), page: query("page"), limit: query("limit"),
                                       sort: query("sort"), direction: query("direction"))
        } catch {
            throw APIError(.invalidQuery, "\(error)")
        }
    }

    /// A maintainer acts only on its media server's libraries.
    func requireLibraryAccess(_ library: TapeLibrary) throws(APIError) {
        try requireMediaServerAccess(library.mediaServerId)
    }

    /// A maintainer acts only on its own media server's hardware.
    func requireMediaServerAccess(_ mediaServerID: Int64) throws(APIError) {
        guard let identity, identity.isConfinedToMediaServer else { return }
        guard identity.mediaServerID == mediaServerID else {
            throw APIError(.forbidden, "a maintainer acts only on the hardware of its media server")
        }
    }
}

extension APIError {
    static func decoding(_ error: DecodingError) -> APIError {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "body" : keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = (context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            return APIError(.invalidRequest, "missing field \(field)", fields: [field: "required"])
        case .typeMismatch(let type, let context):
            let field = path(context)
            return APIError(.invalidRequest, "\(field) has the wrong type (expected \(type))", fields: [field: "wrong type"])
        case .valueNotFound(_, let context):
            let field = path(context)
            return APIError(.invalidRequest, "\(field) must not be null", fields: [field: "must not be null"])
        case .dataCorrupted(let context):
            let field = path(context)
            return APIError(.invalidRequest, field == "body" ? "the body is not valid JSON" : "\(field) is invalid: \(context.debugDescription)",
                            fields: field == "body" ? [:] : [field: "invalid"])
        @unknown default:
            return APIError(.invalidRequest, "the body could not be read")
        }
    }
}

/// Request types that name their fields, so unknown fields are refused (no silent ignoring).
protocol StrictFields {
    /// The allowed keys at each level: "" for the top level, "data" for the object inside it,
    /// "data[]" for the objects of an array inside it.
    static var allowedFields: [String: Set<String>] { get }
}

enum StrictJSON {
    static func checkFields<T: StrictFields>(_ data: Data, as type: T.Type) throws(APIError) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw APIError(.invalidRequest, "the body is not valid JSON")
        }
        try check(object, path: "", allowed: T.allowedFields)
    }

    private static func check(_ value: Any, path: String, allowed: [String: Set<String>]) throws(APIError) {
        if let dictionary = value as? [String: Any] {
            guard let keys = allowed[path] else { return }
            for key in dictionary.keys.sorted() where !keys.contains(key) {
                let field = path.isEmpty ? key : "\(path).\(key)"
                throw APIError(.invalidRequest, "unknown field \(field)", fields: [field: "unknown field"])
            }
            for (key, inner) in dictionary {
                try check(inner, path: path.isEmpty ? key : "\(path).\(key)", allowed: allowed)
            }
        } else if let array = value as? [Any] {
            for element in array { try check(element, path: path + "[]", allowed: allowed) }
        }
    }
}
