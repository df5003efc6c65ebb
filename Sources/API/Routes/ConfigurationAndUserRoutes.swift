import Catalog
import Foundation
import Hummingbird
import LibraryService

struct ConfigurationPatch: Decodable, Sendable, StrictFields {
    var data: [String: String]
    static let allowedFields: [String: Set<String>] = ["": ["data"]]
}

struct ServiceModeBody: Decodable, Sendable, StrictFields {
    var serviceMode: Bool
    enum CodingKeys: String, CodingKey { case serviceMode = "service_mode" }
    static let allowedFields: [String: Set<String>] = ["": ["service_mode"]]
}

struct CreateUserBody: Decodable, Sendable, StrictFields {
    var name: String
    var password: String
    var roles: [String]
    var mediaServerId: Int64?
    enum CodingKeys: String, CodingKey { case name, password, roles, mediaServerId = "media_server_id" }
    static let allowedFields: [String: Set<String>] = ["data": ["name", "password", "roles", "media_server_id"]]
}

struct PatchUserBody: Decodable, Sendable, StrictFields {
    var password: String?
    var roles: [String]?
    var mediaServerId: Int64?
    enum CodingKeys: String, CodingKey { case password, roles, mediaServerId = "media_server_id" }
    static let allowedFields: [String: Set<String>] = ["data": ["password", "roles", "media_server_id"]]
}

struct ChangePasswordBody: Decodable, Sendable, StrictFields {
    var oldPassword: String
    var newPassword: String
    enum CodingKeys: String, CodingKey { case oldPassword = "old_password", newPassword = "new_password" }
    static let allowedFields: [String: Set<String>] = ["data": ["old_password", "new_password"]]
}

/// A user as the API shows it (never the hash).
struct UserView: Encodable, Sendable {
    var id: Int64?
    var name: String
    var roles: [String]
    var mediaServerId: Int64?
    var lastSuccessLogin: Date?
    var lastFailedLogin: Date?
    var lockedUntil: Date?
    var createdAt: Date

    init(_ user: User, roles: [String]) {
        id = user.id; name = user.name; self.roles = roles; mediaServerId = user.mediaServerId
        lastSuccessLogin = user.lastSuccessLogin; lastFailedLogin = user.lastFailedLogin
        lockedUntil = user.lockedUntil; createdAt = user.createdAt
    }
}

extension RouteTable {
    static func configurationRoutes(_ state: APIState) -> [Route] {
        [
            Route(method: .get, path: "/api/v1/global_configuration", access: .roles(Roles.all)) { _ in
                try .envelope(try await coded { try await state.catalog.globalConfiguration() })
            },
            Route(method: .patch, path: "/api/v1/global_configuration", access: .roles(Roles.administrators)) { call in
                let values = try call.decode(ConfigurationPatch.self).data
                guard !values.isEmpty else { throw APIError(.invalidRequest, "data names no key", fields: ["data": "empty"]) }
                let known = try await coded { try await state.catalog.globalConfiguration() }
                for (key, value) in values {
                    guard known[key] != nil else {
                        throw APIError(.invalidRequest, "unknown global_configuration key \(key)", fields: [key: "unknown key"])
                    }
                    guard value.utf8.count <= 1_024 else {
                        throw APIError(.invalidRequest, "\(key) is at most 1024 bytes", fields: [key: "too long"])
                    }
                    if let message = ConfigurationRules.check(key: key, value: value) {
                        throw APIError(.invalidRequest, "\(key): \(message)", fields: [key: message])
                    }
                }
                try await coded { try await state.catalog.setConfiguration(values) }
                return try .envelope(try await coded { try await state.catalog.globalConfiguration() },
                                     message: "global configuration changed")
            },
            Route(method: .patch, path: "/api/v1/global_configuration/service_mode", access: .roles(Roles.administrators)) { call in
                let body = try call.decode(ServiceModeBody.self)
                try await coded { try await state.catalog.setConfiguration(["service_mode": body.serviceMode ? "true" : "false"]) }
                return try .envelope(["service_mode": body.serviceMode],
                                     message: body.serviceMode ? "service mode on: hardware tasks are refused" : "service mode off")
            },
        ]
    }

    static func userRoutes(_ state: APIState) -> [Route] {
        @Sendable func view(_ id: Int64) async throws(APIError) -> UserView {
            let user = try found(try await coded { try await state.catalog.user(id: id) }, "user", id)
            return UserView(user, roles: try await coded { try await state.catalog.roles(ofUser: id) })
        }
        @Sendable func checkRoles(_ roles: [String], mediaServer: Int64?) async throws(APIError) {
            guard !roles.isEmpty, roles.allSatisfy({ Role(rawValue: $0) != nil }) else {
                throw APIError(.invalidRequest, "roles are some of superuser, administrator, supervisor, maintainer",
                               fields: ["roles": "unknown role"])
            }
            if roles == ["maintainer"] && mediaServer == nil {
                throw APIError(.invalidRequest, "a maintainer is bound to a media server", fields: ["media_server_id": "required for a maintainer"])
            }
            if let mediaServer, try await coded({ try await state.catalog.mediaServer(id: mediaServer) }) == nil {
                throw APIError(.invalidRequest, "no media server \(mediaServer)", fields: ["media_server_id": "unknown media server"])
            }
        }
        return [
            Route(method: .get, path: "/api/v1/users", access: .roles(Roles.administrators)) { _ in
                let users = try await coded { try await state.catalog.users() }
                return try .envelope(users.map { UserView($0.0, roles: $0.1) })
            },
            Route(method: .post, path: "/api/v1/users", access: .roles(Roles.superusers)) { call in
                let body = try call.decode(Wrapped<CreateUserBody>.self).data
                guard !body.name.isEmpty, body.name.utf8.count <= 255,
                      body.name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-@".unicodeScalars.contains($0) }) else {
                    throw APIError(.invalidRequest, "name is 1…255 letters, digits and . _ - @", fields: ["name": "invalid"])
                }
                try Accounts.validate(password: body.password)
                try await checkRoles(body.roles, mediaServer: body.mediaServerId)
                if try await coded({ try await state.catalog.user(named: body.name) }) != nil {
                    throw APIError(.conflict, "user \(body.name) exists", fields: ["name": "exists"])
                }
                let hash = try await Accounts.hash(body.password, cost: state.configuration.bcryptCost)
                let user = try await coded {
                    try await state.catalog.insert(User(name: body.name, passwordHash: hash, mediaServerId: body.mediaServerId),
                                                   roles: Array(Set(body.roles)).sorted())
                }
                guard let id = user.id else { throw APIError(.internal, "user without id") }
                return try .envelope(try await view(id), status: .created, message: "Resource with name 'User' was created successfully!")
            },
            Route(method: .post, path: "/api/v1/users/change_password", access: .roles(Roles.all)) { call in
                let body = try call.decode(Wrapped<ChangePasswordBody>.self).data
                guard let identity = call.identity else { throw APIError(.unauthenticated, "no user") }
                try Accounts.validate(password: body.newPassword)
                let user = try found(try await coded { try await state.catalog.user(id: identity.userID) }, "user", identity.userID)
                guard await Accounts.verify(body.oldPassword, hash: user.passwordHash) else {
                    throw APIError(.invalidRequest, "old_password is wrong", fields: ["old_password": "wrong password"])
                }
                let hash = try await Accounts.hash(body.newPassword, cost: state.configuration.bcryptCost)
                try await coded { try await state.catalog.updateUser(identity.userID, passwordHash: hash) }
                return try .envelope(NoData?.none, message: "password changed")
            },
            Route(method: .get, path: "/api/v1/users/{id}", access: .roles(Roles.administrators)) { call in
                try .envelope(try await view(try call.id(resource: "user")))
            },
            Route(method: .patch, path: "/api/v1/users/{id}", access: .roles(Roles.superusers)) { call in
                let id = try call.id(resource: "user")
                let body = try call.decode(Wrapped<PatchUserBody>.self).data
                let existing = try await view(id)
                if let password = body.password { try Accounts.validate(password: password) }
                if let roles = body.roles { try await checkRoles(roles, mediaServer: body.mediaServerId ?? existing.mediaServerId) }
                if let roles = body.roles, !roles.contains("superuser"), existing.roles.contains("superuser") {
                    let superusers = try await coded { try await state.catalog.users() }.filter { $0.1.contains("superuser") }
                    if superusers.count <= 1 { throw APIError(.conflict, "user \(id) is the last superuser") }
                }
                let hash: String? = if let password = body.password {
                    try await Accounts.hash(password, cost: state.configuration.bcryptCost)
                } else { nil }
                try await coded {
                    try await state.catalog.updateUser(id, passwordHash: hash, roles: body.roles.map { Array(Set($0)).sorted() },
                                                       mediaServerId: body.mediaServerId.map { .some($0) })
                }
                return try .envelope(try await view(id))
            },
            Route(method: .delete, path: "/api/v1/users/{id}", access: .roles(Roles.superusers)) { call in
                let id = try call.id(resource: "user")
                _ = try await view(id)
                try await coded { try await state.catalog.deleteUser(id) }
                return try .envelope(NoData?.none, message: "user \(id) deleted")
            },
        ]
    }
}

/// Values the global configuration's keys accept.
enum ConfigurationRules {
    static let yesNo: Set<String> = ["unload_tape_cartridges_whes_media_server_starts", "consolidating_tape_library_tasks",
                                     "auto_clean_tape_drives", "service_mode"]
    static let positiveIntegers: Set<String> = ["ltfs_umount_timeout", "clean_tape_drives_period", "wrong_auth_attempts_count",
                                                "wrong_auth_block_period", "file_transfer_block_size"]

    static func check(key: String, value: String) -> String? {
        if yesNo.contains(key), !["yes", "no", "true", "false"].contains(value.lowercased()) { return "yes or no" }
        if positiveIntegers.contains(key), Int(value).map({ $0 >= 1 && $0 <= 100_000_000 }) != true { return "a positive integer" }
        if key.hasSuffix("_remove_period"), Int(value).map({ $0 >= 0 && $0 <= 100_000 }) != true { return "days, 0 or more" }
        if key == "service_window_start" || key == "service_window_end" {
            let parts = value.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            let limits = [23, 59, 59]
            let valid = (2...3).contains(parts.count)
                && parts.enumerated().allSatisfy { i, part in part.map { (0...limits[i]).contains($0) } ?? false }
            if !valid { return "HH:MM:SS" }
        }
        return nil
    }
}
