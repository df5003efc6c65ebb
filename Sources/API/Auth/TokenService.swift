import Catalog
import Foundation
import JWTKit
import LibraryService

/// A token's claims: HS256, with `jti` (revocation) and `type` (access or refresh).
struct TokenClaims: JWTPayload, Equatable {
    enum Kind: String, Codable, Sendable { case access, refresh }

    var sub: SubjectClaim
    var jti: IDClaim
    var type: Kind
    var name: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }

    var userID: Int64? { Int64(sub.value) }
}

/// Issues and checks the API's tokens: access (15 min) and refresh (24 h) JWTs signed with a key
/// generated once per state directory (0600), and the CSRF token, valid until the service
/// restarts. Revocations (logout) are kept in the catalog, so they survive a restart.
public struct TokenService: Sendable {
    public static let accessLifetime: TimeInterval = 15 * 60
    public static let refreshLifetime: TimeInterval = 24 * 60 * 60

    let keys: JWTKeyCollection
    /// Random per service start.
    public let csrfToken: String
    let catalog: TapeCatalog

    init(signingKey: [UInt8], catalog: TapeCatalog, csrfToken: String = TokenService.randomToken()) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: signingKey), digestAlgorithm: .sha256)
        self.keys = keys
        self.csrfToken = csrfToken
        self.catalog = catalog
    }

    /// The state directory's signing key, created on first use (64 random bytes, mode 0600).
    static func signingKey(stateDirectory: String) throws(ServiceError) -> [UInt8] {
        let path = stateDirectory + "/api-signing.key"
        let bytes = (0..<64).map { _ in UInt8.random(in: .min ... .max) }
        do {
            try SecretFile.createOnce(path: path, contents: Data(bytes))
            let stored = try Data(contentsOf: URL(fileURLWithPath: path))
            guard stored.count >= 32 else { throw ServiceError(.internal, "\(path) holds \(stored.count) bytes; a signing key needs 32 or more") }
            return [UInt8](stored)
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError(.internal, "cannot read the API signing key \(path): \(error.localizedDescription)")
        }
    }

    static func randomToken() -> String {
        (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max)) }.joined()
    }

    struct Pair: Sendable {
        var access: String
        var refresh: String
        var accessExpires: Date
        var refreshExpires: Date
    }

    func issue(userID: Int64, name: String, now: Date = Date()) async throws -> Pair {
        let accessExpires = now.addingTimeInterval(Self.accessLifetime)
        let refreshExpires = now.addingTimeInterval(Self.refreshLifetime)
        let access = TokenClaims(sub: .init(value: String(userID)), jti: .init(value: UUID().uuidString), type: .access,
                                 name: name, iat: .init(value: now), exp: .init(value: accessExpires))
        var refresh = access
        refresh.type = .refresh
        refresh.jti = .init(value: UUID().uuidString)
        refresh.exp = .init(value: refreshExpires)
        return Pair(access: try await keys.sign(access), refresh: try await keys.sign(refresh),
                    accessExpires: accessExpires, refreshExpires: refreshExpires)
    }

    /// The claims of a valid, unexpired, unrevoked token of `kind`, else a 401 error.
    func verify(_ token: String, kind: TokenClaims.Kind) async throws(APIError) -> TokenClaims {
        let claims: TokenClaims
        do {
            claims = try await keys.verify(token, as: TokenClaims.self)
        } catch {
            throw APIError(.unauthenticated, "the \(kind.rawValue) token is invalid or expired")
        }
        guard claims.type == kind else {
            throw APIError(.unauthenticated, "a \(claims.type.rawValue) token was given where a \(kind.rawValue) token is needed")
        }
        let revoked: Bool
        do {
            revoked = try await catalog.isTokenRevoked(claims.jti.value)
        } catch {
            throw APIError(ServiceError(error))
        }
        if revoked { throw APIError(.unauthenticated, "the \(kind.rawValue) token has been revoked") }
        return claims
    }

    /// Revokes a token until its own expiry; a token that does not verify is ignored.
    func revoke(_ token: String) async throws {
        guard let claims = try? await keys.verify(token, as: TokenClaims.self) else { return }
        try await catalog.revokeToken(claims.jti.value, expiresAt: claims.exp.value)
    }

    /// Whether a presented CSRF token is this start's (constant time).
    func csrfMatches(_ presented: String) -> Bool { Self.constantTimeEquals(presented, csrfToken) }

    /// Compares secrets without an early exit on the first differing byte.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Files that hold secrets: created once with mode 0600, never overwritten.
enum SecretFile {
    /// Writes `contents` to `path` unless the file exists (O_EXCL); the mode is 0600 from the start.
    /// True when this call created the file, false when it existed.
    @discardableResult
    static func createOnce(path: String, contents: Data) throws -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return false }
            throw ServiceError(.internal, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let written = contents.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == contents.count else {
            throw ServiceError(.internal, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return true
    }
}
