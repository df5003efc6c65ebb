import Foundation
import GRDB

/// The API's users (POST/PATCH/DELETE users, `tapelib user`), each with its roles.
extension CatalogDatabase {
    public static let roleNames = ["superuser", "administrator", "supervisor", "maintainer"]

    public func users() async throws(CatalogError) -> [(User, [String])] {
        try await read { db in
            let users = try User.order(Column("id")).fetchAll(db)
            return try users.map { user in
                (user, try String.fetchAll(db, sql: "SELECT role FROM user_roles WHERE user_id = ? ORDER BY role",
                                           arguments: [user.id]))
            }
        }
    }

    public func user(id: Int64) async throws(CatalogError) -> User? {
        try await read { db in try User.fetchOne(db, key: id) }
    }

    public func userCount() async throws(CatalogError) -> Int {
        try await read { db in try User.fetchCount(db) }
    }

    /// Changes a user's password hash, roles and media server in one transaction (nil: unchanged).
    @discardableResult
    public func updateUser(_ id: Int64, passwordHash: String? = nil, roles: [String]? = nil,
                           mediaServerId: Int64?? = nil) async throws(CatalogError) -> User {
        try await write { db in
            guard var user = try User.fetchOne(db, key: id) else {
                throw CatalogError.notFound(resource: "users", identifier: String(id))
            }
            if let passwordHash {
                user.passwordHash = passwordHash
                user.failedLoginCount = 0
                user.lockedUntil = nil
            }
            if let mediaServerId { user.mediaServerId = mediaServerId }
            try user.update(db)
            if let roles {
                try db.execute(sql: "DELETE FROM user_roles WHERE user_id = ?", arguments: [id])
                for role in Set(roles) {
                    try db.execute(sql: "INSERT INTO user_roles (user_id, role) VALUES (?, ?)", arguments: [id, role])
                }
            }
            return user
        }
    }

    /// Deletes a user; the last superuser cannot be deleted (nobody could manage users then).
    public func deleteUser(_ id: Int64) async throws(CatalogError) {
        try await write { db in
            guard try User.fetchOne(db, key: id) != nil else {
                throw CatalogError.notFound(resource: "users", identifier: String(id))
            }
            let isSuperuser = try Bool.fetchOne(db, sql: "SELECT 1 FROM user_roles WHERE user_id = ? AND role = 'superuser'",
                                                arguments: [id]) ?? false
            if isSuperuser {
                let superusers = try Int.fetchOne(db, sql: "SELECT count(*) FROM user_roles WHERE role = 'superuser'") ?? 0
                if superusers <= 1 { throw CatalogError.conflict("user \(id) is the last superuser; it cannot be deleted") }
            }
            _ = try User.deleteOne(db, key: id)
        }
    }
}
