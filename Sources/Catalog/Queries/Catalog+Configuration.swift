import Foundation
import GRDB

extension CatalogDatabase {
    public func globalConfiguration() async throws(CatalogError) -> [String: String] {
        try await read { db in
            var values: [String: String] = [:]
            for entry in try ConfigurationEntry.fetchAll(db) { values[entry.key] = entry.value }
            return values
        }
    }

    /// Changes known keys only (PATCH global_configuration); an unknown key is rejected.
    public func setConfiguration(_ values: [String: String]) async throws(CatalogError) {
        try await write { db in
            for (key, value) in values {
                guard try ConfigurationEntry.exists(db, key: key) else {
                    throw CatalogError.invalidArgument("unknown global_configuration key \(key)")
                }
                try ConfigurationEntry(key: key, value: value).update(db)
            }
        }
    }

    // MARK: Users and tokens

    public func insert(_ user: User, roles: [String]) async throws(CatalogError) -> User {
        try await write { db in
            var row = user
            try row.insert(db)
            for role in roles {
                try db.execute(sql: "INSERT INTO user_roles (user_id, role) VALUES (?, ?)", arguments: [row.id, role])
            }
            return row
        }
    }

    public func user(named name: String) async throws(CatalogError) -> User? {
        try await read { db in try User.filter(Column("name") == name).fetchOne(db) }
    }

    public func roles(ofUser userID: Int64) async throws(CatalogError) -> [String] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT role FROM user_roles WHERE user_id = ? ORDER BY role",
                                arguments: [userID])
        }
    }

    /// Counts a failed login; at `wrong_auth_attempts_count` failures the account is locked for
    /// `wrong_auth_block_period` minutes. Returns the updated user.
    @discardableResult
    public func recordFailedLogin(userID: Int64, now: Date = Date()) async throws(CatalogError) -> User {
        try await write { db in
            guard var user = try User.fetchOne(db, key: userID) else {
                throw CatalogError.notFound(resource: "users", identifier: String(userID))
            }
            let attempts = try String.fetchOne(db, sql: "SELECT value FROM global_configuration WHERE key = 'wrong_auth_attempts_count'")
                .flatMap(Int.init) ?? 5
            let minutes = try String.fetchOne(db, sql: "SELECT value FROM global_configuration WHERE key = 'wrong_auth_block_period'")
                .flatMap(Int.init) ?? 30
            user.failedLoginCount += 1
            user.lastFailedLogin = now
            if user.failedLoginCount >= attempts {
                user.lockedUntil = now.addingTimeInterval(TimeInterval(minutes * 60))
                user.failedLoginCount = 0
            }
            try user.update(db)
            return user
        }
    }

    @discardableResult
    public func recordSuccessfulLogin(userID: Int64, now: Date = Date()) async throws(CatalogError) -> User {
        try await write { db in
            guard var user = try User.fetchOne(db, key: userID) else {
                throw CatalogError.notFound(resource: "users", identifier: String(userID))
            }
            user.failedLoginCount = 0
            user.lastSuccessLogin = now
            user.lockedUntil = nil
            try user.update(db)
            return user
        }
    }

    /// Revokes a token (by its id claim) until it would have expired anyway.
    public func revokeToken(_ tokenID: String, expiresAt: Date) async throws(CatalogError) {
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO revoked_tokens (token_id, expires_at) VALUES (?, ?)",
                           arguments: [tokenID, expiresAt])
        }
    }

    public func isTokenRevoked(_ tokenID: String) async throws(CatalogError) -> Bool {
        try await read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM revoked_tokens WHERE token_id = ?", arguments: [tokenID]) ?? false
        }
    }

    /// Drops revocations of tokens that have expired by `now`.
    public func purgeRevokedTokens(now: Date = Date()) async throws(CatalogError) {
        try await write { db in
            try db.execute(sql: "DELETE FROM revoked_tokens WHERE expires_at <= ?", arguments: [now])
        }
    }
}
