import Catalog
import Foundation
import HummingbirdBcrypt
import LibraryService
import Logging

/// Users, passwords and logins: bcrypt hashes (cost ≥ 12, computed off the cooperative pool),
/// lockout after `wrong_auth_attempts_count` failures for `wrong_auth_block_period` minutes
/// (kept in the catalog, so a restart does not reset it), and a failed login that costs the
/// same whether or not the user exists.
public struct Accounts: Sendable {
    let catalog: TapeCatalog
    let cost: UInt8
    /// Verified against when the user does not exist, so that answer takes as long as a wrong password.
    let decoyHash: String
    let authLog: Logger

    init(catalog: TapeCatalog, cost: UInt8, authLog: Logger) async throws {
        self.catalog = catalog
        self.cost = cost
        self.decoyHash = try await offPool { Bcrypt.hash(TokenService.randomToken(), cost: cost) }
        self.authLog = authLog
    }

    public static func hash(_ password: String, cost: UInt8 = 12) async throws -> String {
        try await offPool { Bcrypt.hash(password, cost: cost) }
    }

    static func verify(_ password: String, hash: String) async -> Bool {
        (try? await offPool { Bcrypt.verify(password, hash: hash) }) ?? false
    }

    /// Checks a password policy an operator would expect: 8…128 characters.
    static func validate(password: String) throws(APIError) {
        guard (8...128).contains(password.count) else {
            throw APIError(.invalidRequest, "a password has 8 to 128 characters", fields: ["password": "8 to 128 characters"])
        }
    }

    struct LoggedIn: Sendable {
        var user: User
        var roles: [String]
    }

    /// A login: the user and roles when the password is right and the account not locked.
    func login(name: String, password: String, now: Date = Date()) async throws(APIError) -> LoggedIn {
        let user: User?
        do { user = try await catalog.user(named: name) } catch { throw APIError(ServiceError(error)) }
        guard let user, let id = user.id else {
            _ = await Self.verify(password, hash: decoyHash)
            authLog.warning("login refused: unknown user \(name)")
            throw APIError(.unauthenticated, "verification failed: wrong user name or password")
        }
        if let lockedUntil = user.lockedUntil, lockedUntil > now {
            _ = await Self.verify(password, hash: decoyHash)
            authLog.warning("login refused: user \(name) is locked until \(lockedUntil)")
            throw APIError(.accountLocked, "the account is locked after repeated failed logins; try again after "
                                            + ISO8601DateFormatter().string(from: lockedUntil))
        }
        guard await Self.verify(password, hash: user.passwordHash) else {
            do {
                let updated = try await catalog.recordFailedLogin(userID: id, now: now)
                if let lockedUntil = updated.lockedUntil, lockedUntil > now {
                    authLog.warning("user \(name) locked until \(lockedUntil) after repeated failed logins")
                } else {
                    authLog.warning("login failed: wrong password for user \(name)")
                }
            } catch {
                throw APIError(ServiceError(error))
            }
            throw APIError(.unauthenticated, "verification failed: wrong user name or password")
        }
        do {
            let previous = user
            _ = try await catalog.recordSuccessfulLogin(userID: id, now: now)
            authLog.info("user \(name) logged in")
            return LoggedIn(user: previous, roles: try await catalog.roles(ofUser: id))
        } catch {
            throw APIError(ServiceError(error))
        }
    }

    /// On first start (no user at all): the superuser `name` with `password`, or a generated
    /// password written once to `<state>/admin-password` (0600) and never logged.
    static func bootstrap(catalog: TapeCatalog, name: String, password: String?, stateDirectory: String,
                          cost: UInt8, logger: Logger) async throws {
        guard try await catalog.userCount() == 0 else { return }
        let path = stateDirectory + "/admin-password"
        let chosen: String
        var createdFile = false
        if let password {
            chosen = password
        } else {
            let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
            let generated = String((0..<24).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
            // Written once, before the user exists (a crash in between leaves the password known):
            // a file left by an earlier first start (a catalog removed since) keeps its password.
            (chosen, createdFile) = try await offPool {
                let created = try SecretFile.createOnce(path: path, contents: Data((generated + "\n").utf8))
                let stored = try String(contentsOfFile: path, encoding: .utf8)
                return (stored.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? generated, created)
            }
        }
        let hash = try await hash(chosen, cost: cost)
        // Another media server starting on the same new catalog may have created its superuser
        // meanwhile: then the password file this start wrote names no user, and goes.
        guard try await catalog.insertFirstUser(User(name: name, passwordHash: hash), roles: [Role.superuser.rawValue]) != nil else {
            if createdFile { try? await offPool { try FileManager.default.removeItem(atPath: path) } }
            logger.notice("another media server created the catalog's first user meanwhile; no superuser created here")
            return
        }
        if password == nil {
            logger.notice("created superuser \(name); its password is in \(path) (mode 0600)")
        } else {
            logger.notice("created superuser \(name) with the password from TAPELIB_ADMIN_PASSWORD")
        }
    }
}
