import Foundation
import GRDB

/// The API's users (POST/PATCH/DELETE users, `tapelib user`), each with its roles, their logins
/// and revoked tokens, and the global configuration. Written once for both stores
/// (`CatalogStore`, `CatalogSQL`).
extension CatalogStore {
    public static var roleNames: [String] { ["superuser", "administrator", "supervisor", "maintainer"] }

    public func users() async throws(CatalogError) -> [(User, [String])] {
        try await readSQL { sql in
            try sql.fetchAll(User.self, "SELECT * FROM users ORDER BY id").map { user in
                (user, try Self.roles(of: user.id, sql))
            }
        }
    }

    public func user(id: Int64) async throws(CatalogError) -> User? {
        try await readSQL { sql in try sql.record(User.self, id: id) }
    }

    public func userCount() async throws(CatalogError) -> Int {
        try await readSQL { sql in try sql.value(Int.self, "SELECT COUNT(*) FROM users") ?? 0 }
    }

    /// A user's roles in byte order, whatever the database's collation.
    private static func roles(of userID: Int64?, _ sql: any CatalogSQL) throws -> [String] {
        try sql.rows("SELECT role FROM user_roles WHERE user_id = ?", [userID.databaseValue])
            .compactMap { $0["role"] as String? }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Changes a user's password hash, roles and media server in one transaction (nil: unchanged).
    @discardableResult
    public func updateUser(_ id: Int64, passwordHash: String? = nil, roles: [String]? = nil,
                           mediaServerId: Int64?? = nil) async throws(CatalogError) -> User {
        try await writeSQL { sql in
            guard var user = try sql.record(User.self, id: id) else {
                throw CatalogError.notFound(resource: "users", identifier: String(id))
            }
            if let passwordHash {
                user.passwordHash = passwordHash
                user.failedLoginCount = 0
                user.lockedUntil = nil
            }
            if let mediaServerId { user.mediaServerId = mediaServerId }
            try sql.updateRecord(user)
            if let roles {
                try sql.execute("DELETE FROM user_roles WHERE user_id = ?", [id.databaseValue])
                for role in Set(roles) {
                    try sql.execute("INSERT INTO user_roles (user_id, role) VALUES (?, ?)", [id.databaseValue, role.databaseValue])
                }
            }
            return user
        }
    }

    /// Deletes a user; the last superuser cannot be deleted (nobody could manage users then).
    public func deleteUser(_ id: Int64) async throws(CatalogError) {
        try await writeSQL { sql in
            guard try sql.record(User.self, id: id) != nil else {
                throw CatalogError.notFound(resource: "users", identifier: String(id))
            }
            let isSuperuser = try sql.value(Int64.self, "SELECT 1 FROM user_roles WHERE user_id = ? AND role = 'superuser'",
                                            [id.databaseValue]) != nil
            if isSuperuser {
                let superusers = try sql.value(Int.self, "SELECT COUNT(*) FROM user_roles WHERE role = 'superuser'") ?? 0
                if superusers <= 1 { throw CatalogError.conflict("user \(id) is the last superuser; it cannot be deleted") }
            }
            try sql.execute("DELETE FROM users WHERE id = ?", [id.databaseValue])
        }
    }

    public func insert(_ user: User, roles: [String]) async throws(CatalogError) -> User {
        try await writeSQL { sql in try Self.insert(user, roles: roles, sql) }
    }

    /// Adds the catalog's first user, unless there is one already (nil then): media servers that
    /// start together on a new shared catalog create one superuser, not one each.
    public func insertFirstUser(_ user: User, roles: [String]) async throws(CatalogError) -> User? {
        try await writeSQL { sql in
            guard try sql.value(Int.self, "SELECT COUNT(*) FROM users") == 0 else { return nil }
            return try Self.insert(user, roles: roles, sql)
        }
    }

    private static func insert(_ user: User, roles: [String], _ sql: any CatalogSQL) throws -> User {
        let row = try sql.insertRecord(user)
        for role in roles {
            try sql.execute("INSERT INTO user_roles (user_id, role) VALUES (?, ?)", [row.id.databaseValue, role.databaseValue])
        }
        return row
    }

    public func user(named name: String) async throws(CatalogError) -> User? {
        try await readSQL { sql in try sql.fetchOne(User.self, "SELECT * FROM users WHERE name = ?", [name.databaseValue]) }
    }

    public func roles(ofUser userID: Int64) async throws(CatalogError) -> [String] {
        try await readSQL { sql in try Self.roles(of: userID, sql) }
    }

    /// Counts a failed login; at `wrong_auth_attempts_count` failures the account is locked for
    /// `wrong_auth_block_period` minutes. Returns the updated user.
    @discardableResult
    public func recordFailedLogin(userID: Int64, now: Date = Date()) async throws(CatalogError) -> User {
        try await writeSQL { sql in
            guard var user = try sql.record(User.self, id: userID) else {
                throw CatalogError.notFound(resource: "users", identifier: String(userID))
            }
            let attempts = try sql.value(String.self, "SELECT value FROM global_configuration WHERE key = 'wrong_auth_attempts_count'")
                .flatMap(Int.init) ?? 5
            let minutes = try sql.value(String.self, "SELECT value FROM global_configuration WHERE key = 'wrong_auth_block_period'")
                .flatMap(Int.init) ?? 30
            user.failedLoginCount += 1
            user.lastFailedLogin = now
            if user.failedLoginCount >= attempts {
                user.lockedUntil = now.addingTimeInterval(TimeInterval(minutes * 60))
                user.failedLoginCount = 0
            }
            try sql.updateRecord(user)
            return user
        }
    }

    @discardableResult
    public func recordSuccessfulLogin(userID: Int64, now: Date = Date()) async throws(CatalogError) -> User {
        try await writeSQL { sql in
            guard var user = try sql.record(User.self, id: userID) else {
                throw CatalogError.notFound(resource: "users", identifier: String(userID))
            }
            user.failedLoginCount = 0
            user.lastSuccessLogin = now
            user.lockedUntil = nil
            try sql.updateRecord(user)
            return user
        }
    }

    /// Revokes a token (by its id claim) until it would have expired anyway.
    public func revokeToken(_ tokenID: String, expiresAt: Date) async throws(CatalogError) {
        _ = try await writeSQL { sql in
            try sql.execute("""
                INSERT INTO revoked_tokens (token_id, expires_at) VALUES (?, ?)
                ON CONFLICT (token_id) DO UPDATE SET expires_at = excluded.expires_at
                """, [tokenID.databaseValue, expiresAt.databaseValue])
        }
    }

    public func isTokenRevoked(_ tokenID: String) async throws(CatalogError) -> Bool {
        try await isAnyTokenRevoked([tokenID])
    }

    /// Whether any of `tokenIDs` is revoked (a token's own id and its session's, in one read).
    public func isAnyTokenRevoked(_ tokenIDs: [String]) async throws(CatalogError) -> Bool {
        guard !tokenIDs.isEmpty else { return false }
        return try await readSQL { sql in
            try sql.value(Int64.self, "SELECT 1 FROM revoked_tokens WHERE token_id IN (\(tokenIDs.map { _ in "?" }.joined(separator: ", "))) LIMIT 1",
                          tokenIDs.map(\.databaseValue)) != nil
        }
    }

    /// Drops revocations of tokens that have expired by `now`.
    public func purgeRevokedTokens(now: Date = Date()) async throws(CatalogError) {
        _ = try await writeSQL { sql in
            try sql.execute("DELETE FROM revoked_tokens WHERE expires_at <= ?", [now.databaseValue])
        }
    }

    /// The API's secret `name` (`SchemaV14`): the stored one, else `proposed`, stored now. The
    /// first node to ask makes it and every other gets the same; it is never replaced (two nodes
    /// starting at once both read the one that was inserted first).
    public func apiSecret(_ name: String, proposed: String, now: Date = Date()) async throws(CatalogError) -> String {
        try await writeSQL { sql in
            let select = "SELECT value FROM api_secrets WHERE name = ?"
            if let stored = try sql.value(String.self, select, [name.databaseValue]) { return stored }
            // Written only when missing: on PostgreSQL any INSERT statement, even one that adds
            // nothing, is announced to every node, whose caches it empties.
            try sql.execute("INSERT INTO api_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                            [name.databaseValue, proposed.databaseValue, now.databaseValue])
            guard let value = try sql.value(String.self, select, [name.databaseValue]) else {
                throw CatalogError.notFound(resource: "api_secrets", identifier: name)
            }
            return value
        }
    }

    // MARK: Global configuration

    public func globalConfiguration() async throws(CatalogError) -> [String: String] {
        try await readSQL { sql in
            var values: [String: String] = [:]
            for entry in try sql.fetchAll(ConfigurationEntry.self, "SELECT * FROM global_configuration") {
                values[entry.key] = entry.value
            }
            return values
        }
    }

    /// Changes known keys only (PATCH global_configuration); an unknown key is rejected.
    public func setConfiguration(_ values: [String: String]) async throws(CatalogError) {
        try await writeSQL { sql in
            for (key, value) in values {
                guard try sql.execute("UPDATE global_configuration SET value = ? WHERE key = ?",
                                      [value.databaseValue, key.databaseValue]) == 1 else {
                    throw CatalogError.invalidArgument("unknown global_configuration key \(key)")
                }
            }
        }
    }
}
